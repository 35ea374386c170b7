package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"cop/platform/audit"
)

// oneTaskWorkflow asks one user task of candidates and outputs its data.
func oneTaskWorkflow(name, groups string) string {
	return `document: {dsl: '1.0.0', namespace: border-force, name: ` + name + `, version: '1.0.0', metadata: {casePrefix: RACE}}
do:
  - approve:
      call: userTask
      with: {form: seizure-approval, title: Approve seizure, candidateGroups: ` + groups + `}
      output: {as: '${ .data }'}
`
}

// raced is one response of a request sent at the same moment as others.
type raced struct {
	status int
	body   string
	err    error
}

// race sends every request at once, released together behind a barrier,
// and returns the responses in the order given.
func (e *env) race(reqs ...*http.Request) []raced {
	e.t.Helper()
	out := make([]raced, len(reqs))
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for i, r := range reqs {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			resp, err := noRedirects().Do(r)
			if err != nil {
				out[i].err = err
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			out[i] = raced{status: resp.StatusCode, body: string(b)}
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	for i, r := range out {
		if r.err != nil {
			e.t.Fatalf("request %d: %v", i, r.err)
		}
	}
	return out
}

// request builds an API request with a JSON body.
func (e *env) request(method, path, token string, body any, header ...string) *http.Request {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.base+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return req
}

func statuses(rs []raced) string {
	var s []string
	for _, r := range rs {
		s = append(s, http.StatusText(r.status))
	}
	sort.Strings(s)
	return strings.Join(s, ",")
}

// auditActions lists the audit actions recorded for one resource.
func (e *env) auditActions(resource string) []string {
	e.t.Helper()
	rows, _, err := audit.List(context.Background(), e.pool, audit.Filter{Resource: resource, Limit: 100, Reader: audit.Reader{All: true}})
	if err != nil {
		e.t.Fatal(err)
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

// startOneTask publishes a one-task workflow, starts it and waits for its task.
func (e *env) startOneTask(name, groups, candidate string) (instanceBody, taskBody) {
	e.t.Helper()
	author, integrator := e.token("author"), e.token("integrator")
	e.send("POST", "/api/v1/forms", author, approvalForm) // 201, or 200 when a test before published it
	if resp, body := e.publishYAML(author, oneTaskWorkflow(name, groups)); resp.StatusCode != 201 && resp.StatusCode != 200 {
		e.t.Fatalf("publish: %d %s", resp.StatusCode, body)
	}
	var in instanceBody
	e.must(201, "POST", "/api/v1/workflows/border-force/"+name+"/instances", integrator, map[string]any{"input": map[string]any{}}, &in)
	return in, e.waitTask(candidate, in.ID)
}

// TestTwoCompletesAtOnce: a double submission of a task applies once and
// the instance carries on (it used to wedge for good: the second complete
// was accepted while the first's inbox write ran, and set the task's
// result twice on every replay).
func TestTwoCompletesAtOnce(t *testing.T) {
	e := newEnv(t, withWorker)
	supervisor, integrator := e.token("supervisor"), e.token("integrator")
	// claimed starts an instance whose task the supervisor holds, and
	// gives the task's complete path.
	claimed := func() (instanceBody, taskBody, string) {
		in, task := e.startOneTask("race-complete", "[role:supervisor]", supervisor)
		e.must(200, "POST", "/api/v1/tasks/"+task.ID+"/claim", supervisor, nil, nil)
		return in, task, "/api/v1/tasks/" + task.ID + "/complete"
	}
	completedOnce := func(t *testing.T, task taskBody) {
		t.Helper()
		if n := count(e.auditActions("task:"+task.ID), "task.completed"); n != 1 {
			t.Fatalf("the task was completed %d times", n)
		}
	}

	t.Run("different answers: one applies, the other is refused", func(t *testing.T) {
		in, task, path := claimed()
		rs := e.race(
			e.request("POST", path, supervisor, map[string]any{"data": map[string]any{"approved": true}}),
			e.request("POST", path, supervisor, map[string]any{"data": map[string]any{"approved": false}}),
		)
		if got := statuses(rs); got != "Conflict,OK" {
			t.Fatalf("two completes answered %s: %+v", got, rs)
		}
		var won map[string]any
		for _, r := range rs {
			if r.status == 200 {
				var tb taskBody
				_ = json.Unmarshal([]byte(r.body), &tb)
				won = tb.Data
			}
		}
		final := e.waitInstance(integrator, in.ID, func(i instanceBody) bool { return i.Status != "running" })
		if final.Status != "completed" || final.Output["approved"] != won["approved"] {
			t.Fatalf("instance %+v after the winning answer %v", final, won)
		}
		completedOnce(t, task)
	})

	t.Run("the same answers twice: one completion, both told it is done", func(t *testing.T) {
		in, task, path := claimed()
		answer := map[string]any{"data": map[string]any{"approved": true, "comments": "double click"}}
		rs := e.race(e.request("POST", path, supervisor, answer), e.request("POST", path, supervisor, answer))
		if got := statuses(rs); got != "OK,OK" {
			t.Fatalf("a double click answered %s: %+v", got, rs)
		}
		for _, r := range rs {
			var tb taskBody
			if err := json.Unmarshal([]byte(r.body), &tb); err != nil || tb.Status != "completed" {
				t.Fatalf("response %s", r.body)
			}
		}
		e.waitInstance(integrator, in.ID, func(i instanceBody) bool { return i.Status == "completed" })
		// The same request again later is still the request that completed
		// the task; other answers are a second complete, refused.
		e.must(200, "POST", path, supervisor, answer, nil)
		resp, body := e.send("POST", path, supervisor, map[string]any{"data": map[string]any{"approved": false}})
		problemOf(t, resp, body, 409)
		completedOnce(t, task)
	})

	t.Run("a keyed retry after the completion gets the completion", func(t *testing.T) {
		in, task, path := claimed()
		answer := map[string]any{"data": map[string]any{"approved": false}}
		resp, body := e.send("POST", path, supervisor, answer, "Idempotency-Key", "complete-1")
		if resp.StatusCode != 200 {
			t.Fatalf("complete: %d %s", resp.StatusCode, body)
		}
		e.waitInstance(integrator, in.ID, func(i instanceBody) bool { return i.Status == "completed" })
		resp, body = e.send("POST", path, supervisor, answer, "Idempotency-Key", "complete-1")
		var tb taskBody
		if _ = json.Unmarshal([]byte(body), &tb); resp.StatusCode != 200 || tb.Status != "completed" || tb.Data["approved"] != false {
			t.Fatalf("retry after the instance ended: %d %s", resp.StatusCode, body)
		}
		resp, body = e.send("POST", path, supervisor, answer, "Idempotency-Key", "complete-2")
		problemOf(t, resp, body, 409)
		resp, body = e.send("POST", path, supervisor, answer, "Idempotency-Key", "bad key")
		if p := problemOf(t, resp, body, 422); len(p.Errors) != 1 || p.Errors[0].Pointer != "/Idempotency-Key" {
			t.Fatalf("malformed key: %+v", p)
		}
		completedOnce(t, task)
	})
}

// TestTwoOfficersClaimAtOnce: exactly one of two candidates gets the task.
func TestTwoOfficersClaimAtOnce(t *testing.T) {
	e := newEnv(t, withWorker)
	officer, dover := e.token("officer"), e.token("officer-dover")
	_, task := e.startOneTask("race-claim", "[role:officer]", officer)
	path := "/api/v1/tasks/" + task.ID + "/claim"
	rs := e.race(e.request("POST", path, officer, nil), e.request("POST", path, dover, nil))
	if got := statuses(rs); got != "Conflict,OK" {
		t.Fatalf("two claims answered %s: %+v", got, rs)
	}
	var holder string
	for _, r := range rs {
		if r.status == 200 {
			var tb taskBody
			_ = json.Unmarshal([]byte(r.body), &tb)
			holder = tb.ClaimedBy
		}
	}
	var now taskBody
	e.must(200, "GET", "/api/v1/tasks/"+task.ID, officer, nil, &now)
	if holder == "" || now.ClaimedBy != holder {
		t.Fatalf("the winner %q, the row says %q", holder, now.ClaimedBy)
	}
	if n := count(e.auditActions("task:"+task.ID), "task.claimed"); n != 1 {
		t.Fatalf("the task was claimed %d times", n)
	}

	// Claim, release, claim again: three actions, none mistaken for a retry.
	winner := officer
	if rs[1].status == 200 {
		winner = dover
	}
	e.must(200, "POST", "/api/v1/tasks/"+task.ID+"/release", winner, nil, nil)
	e.must(200, "POST", "/api/v1/tasks/"+task.ID+"/claim", winner, nil, &now)
	if now.ClaimedBy != holder {
		t.Fatalf("claimed again by %q", now.ClaimedBy)
	}
	deadline := time.Now().Add(10 * time.Second)
	for count(e.auditActions("task:"+task.ID), "task.claimed") != 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := e.auditActions("task:" + task.ID); count(got, "task.claimed") != 2 || count(got, "task.released") != 1 {
		t.Fatalf("audit after claim, release, claim: %v", got)
	}
}
