package web_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"cop/platform/audit"
	"cop/platform/web/webtest"
)

// auditActions lists the audit actions recorded for one resource.
func auditActions(e *webtest.Env, resource string) []string {
	e.T.Helper()
	rows, _, err := audit.List(context.Background(), e.Pool, audit.Filter{Resource: resource, Limit: 100, Reader: audit.Reader{All: true}})
	if err != nil {
		e.T.Fatal(err)
	}
	var out []string
	for i := len(rows) - 1; i >= 0; i-- {
		out = append(out, rows[i].Action)
	}
	return out
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// TestTwoCompletesAtOnce: a double submission of a task applies once and
// the instance carries on (it used to wedge for good: the second complete
// was accepted while the first's inbox write ran, and set the task's
// result twice on every replay).
func TestTwoCompletesAtOnce(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	supervisor, integrator := e.Token("supervisor"), e.Token("integrator")
	// claimed starts an instance whose task the supervisor holds, and
	// gives the task's complete path.
	claimed := func() (webtest.InstanceBody, webtest.TaskBody, string) {
		in, task := e.StartOneTask("race-complete", "[role:supervisor]", supervisor)
		e.Must(200, "POST", "/api/v1/tasks/"+task.ID+"/claim", supervisor, nil, nil)
		return in, task, "/api/v1/tasks/" + task.ID + "/complete"
	}
	completedOnce := func(t *testing.T, task webtest.TaskBody) {
		t.Helper()
		if n := count(auditActions(e, "task:"+task.ID), "task.completed"); n != 1 {
			t.Fatalf("the task was completed %d times", n)
		}
	}

	t.Run("different answers: one applies, the other is refused", func(t *testing.T) {
		in, task, path := claimed()
		rs := e.Race(
			e.Request("POST", path, supervisor, map[string]any{"data": map[string]any{"approved": true}}),
			e.Request("POST", path, supervisor, map[string]any{"data": map[string]any{"approved": false}}),
		)
		if got := webtest.Statuses(rs); got != "Conflict,OK" {
			t.Fatalf("two completes answered %s: %+v", got, rs)
		}
		var won map[string]any
		for _, r := range rs {
			if r.Status == 200 {
				var tb webtest.TaskBody
				_ = json.Unmarshal([]byte(r.Body), &tb)
				won = tb.Data
			}
		}
		final := e.WaitInstance(integrator, in.ID, func(i webtest.InstanceBody) bool { return i.Status != "running" })
		if final.Status != "completed" || final.Output["approved"] != won["approved"] {
			t.Fatalf("instance %+v after the winning answer %v", final, won)
		}
		completedOnce(t, task)
	})

	t.Run("the same answers twice: one completion, both told it is done", func(t *testing.T) {
		in, task, path := claimed()
		answer := map[string]any{"data": map[string]any{"approved": true, "comments": "double click"}}
		rs := e.Race(e.Request("POST", path, supervisor, answer), e.Request("POST", path, supervisor, answer))
		if got := webtest.Statuses(rs); got != "OK,OK" {
			t.Fatalf("a double click answered %s: %+v", got, rs)
		}
		for _, r := range rs {
			var tb webtest.TaskBody
			if err := json.Unmarshal([]byte(r.Body), &tb); err != nil || tb.Status != "completed" {
				t.Fatalf("response %s", r.Body)
			}
		}
		e.WaitInstance(integrator, in.ID, func(i webtest.InstanceBody) bool { return i.Status == "completed" })
		// The same request again later is still the request that completed
		// the task; other answers are a second complete, refused.
		e.Must(200, "POST", path, supervisor, answer, nil)
		resp, body := e.Send("POST", path, supervisor, map[string]any{"data": map[string]any{"approved": false}})
		webtest.ProblemOf(t, resp, body, 409)
		completedOnce(t, task)
	})

	t.Run("a keyed retry after the completion gets the completion", func(t *testing.T) {
		in, task, path := claimed()
		answer := map[string]any{"data": map[string]any{"approved": false}}
		resp, body := e.Send("POST", path, supervisor, answer, "Idempotency-Key", "complete-1")
		if resp.StatusCode != 200 {
			t.Fatalf("complete: %d %s", resp.StatusCode, body)
		}
		e.WaitInstance(integrator, in.ID, func(i webtest.InstanceBody) bool { return i.Status == "completed" })
		resp, body = e.Send("POST", path, supervisor, answer, "Idempotency-Key", "complete-1")
		var tb webtest.TaskBody
		if _ = json.Unmarshal([]byte(body), &tb); resp.StatusCode != 200 || tb.Status != "completed" || tb.Data["approved"] != false {
			t.Fatalf("retry after the instance ended: %d %s", resp.StatusCode, body)
		}
		resp, body = e.Send("POST", path, supervisor, answer, "Idempotency-Key", "complete-2")
		webtest.ProblemOf(t, resp, body, 409)
		resp, body = e.Send("POST", path, supervisor, answer, "Idempotency-Key", "bad key")
		if p := webtest.ProblemOf(t, resp, body, 422); len(p.Errors) != 1 || p.Errors[0].Pointer != "/Idempotency-Key" {
			t.Fatalf("malformed key: %+v", p)
		}
		completedOnce(t, task)
	})
}

// TestTwoOfficersClaimAtOnce: exactly one of two candidates gets the task.
func TestTwoOfficersClaimAtOnce(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	officer, dover := e.Token("officer"), e.Token("officer-dover")
	_, task := e.StartOneTask("race-claim", "[role:officer]", officer)
	path := "/api/v1/tasks/" + task.ID + "/claim"
	rs := e.Race(e.Request("POST", path, officer, nil), e.Request("POST", path, dover, nil))
	if got := webtest.Statuses(rs); got != "Conflict,OK" {
		t.Fatalf("two claims answered %s: %+v", got, rs)
	}
	var holder string
	for _, r := range rs {
		if r.Status == 200 {
			var tb webtest.TaskBody
			_ = json.Unmarshal([]byte(r.Body), &tb)
			holder = tb.ClaimedBy
		}
	}
	var now webtest.TaskBody
	e.Must(200, "GET", "/api/v1/tasks/"+task.ID, officer, nil, &now)
	if holder == "" || now.ClaimedBy != holder {
		t.Fatalf("the winner %q, the row says %q", holder, now.ClaimedBy)
	}
	if n := count(auditActions(e, "task:"+task.ID), "task.claimed"); n != 1 {
		t.Fatalf("the task was claimed %d times", n)
	}

	// Claim, release, claim again: three actions, none mistaken for a retry.
	winner := officer
	if rs[1].Status == 200 {
		winner = dover
	}
	e.Must(200, "POST", "/api/v1/tasks/"+task.ID+"/release", winner, nil, nil)
	e.Must(200, "POST", "/api/v1/tasks/"+task.ID+"/claim", winner, nil, &now)
	if now.ClaimedBy != holder {
		t.Fatalf("claimed again by %q", now.ClaimedBy)
	}
	deadline := time.Now().Add(10 * time.Second)
	for count(auditActions(e, "task:"+task.ID), "task.claimed") != 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := auditActions(e, "task:"+task.ID); count(got, "task.claimed") != 2 || count(got, "task.released") != 1 {
		t.Fatalf("audit after claim, release, claim: %v", got)
	}
}
