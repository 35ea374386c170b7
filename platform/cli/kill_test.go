package cli_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cop/platform/devstack"
	"cop/platform/web/webtest"
)

// cop dev killed with SIGKILL under a load of a start form's submissions,
// twice, and started again on the same data: every submission it answered
// 201 is still there, with its answers, and the workflow it started
// reaches its first user task. What was acknowledged stays done.
func TestKilledUnderLoadKeepsEveryAcknowledgedSubmission(t *testing.T) {
	env, _, ports := devEnv(t)
	env = append(env, "COP_RATE_LIMIT=0") // a load test: no budget per caller
	r := startDev(t, env, ports["PORT"])
	r.waitReady(t, 2*time.Minute)
	token := func(role string) string { return r.token(t, ports, role) }
	form := `{"name": "kill-nine", "version": "1.0.0", "title": "Kill nine", "casePrefix": "KILL",
		"schema": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer", "title": "N"}}}}`
	author := token("author")
	if code, body := post(t, r.base+"/api/v1/forms", author, form); code != 201 {
		t.Fatalf("publish: %d %s", code, body)
	}
	review := `{"document": {"dsl": "1.0.0", "namespace": "e2e", "name": "kill-nine-review", "version": "1.0.0",
		"metadata": {"startForm": "kill-nine"}},
		"do": [{"review": {"call": "userTask", "with": {"form": "kill-nine", "title": "Review", "candidateGroups": ["role:officer"]}}}]}`
	if code, body := post(t, r.base+"/api/v1/workflows", author, review); code != 201 {
		t.Fatalf("publish the workflow: %d %s", code, body)
	}

	type ack struct {
		n           int
		businessKey string
		instances   []string
	}
	acknowledged := map[string]ack{} // submission id → what the 201 said
	var mu sync.Mutex
	var n atomic.Int64
	for round := range 2 {
		officer := token("officer")
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				client := &http.Client{Timeout: 10 * time.Second}
				for {
					select {
					case <-stop:
						return
					default:
					}
					i := int(n.Add(1))
					req, _ := http.NewRequest("POST", r.base+"/api/v1/forms/kill-nine/submissions", strings.NewReader(fmt.Sprintf(`{"n": %d}`, i)))
					req.Header.Set("Authorization", "Bearer "+officer)
					req.Header.Set("Content-Type", "application/json")
					resp, err := client.Do(req)
					if err != nil {
						continue // the process died under this request: not acknowledged
					}
					var sub struct {
						ID, BusinessKey string
						Instances       []string
					}
					_ = json.NewDecoder(resp.Body).Decode(&sub)
					resp.Body.Close()
					if resp.StatusCode == http.StatusCreated && sub.ID != "" {
						mu.Lock()
						acknowledged[sub.ID] = ack{i, sub.BusinessKey, sub.Instances}
						mu.Unlock()
					}
				}
			}()
		}
		time.Sleep(1500 * time.Millisecond)
		before := len(acknowledged)
		if err := r.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = r.cmd.Wait()
		close(stop)
		wg.Wait()
		if before == 0 {
			t.Fatalf("round %d: no submission was acknowledged before the kill; stderr:\n%s", round, r.stderr)
		}
		t.Logf("round %d: %d submissions acknowledged in all", round, len(acknowledged))
		r = startDev(t, env, ports["PORT"])
		r.waitReady(t, 2*time.Minute)
	}

	reader := token("admin")
	for id, want := range acknowledged {
		code, body := get(t, r.base+"/api/v1/submissions/"+id, reader)
		var sub struct{ Data struct{ N int } }
		_ = json.Unmarshal([]byte(body), &sub)
		if code != 200 || sub.Data.N != want.n {
			t.Errorf("acknowledged submission %s (n=%d) after the kills: %d %s", id, want.n, code, body)
		}
		if len(want.instances) != 1 {
			t.Errorf("acknowledged submission %s started %v", id, want.instances)
		}
	}
	// Each acknowledged submission's workflow reaches its user task, even
	// where the process died between the commit and the start.
	began, deadline := time.Now(), time.Now().Add(3*time.Minute)
	waiting := map[string]ack{}
	for id, a := range acknowledged {
		if len(a.instances) == 1 {
			waiting[id] = a
		}
	}
	for len(waiting) > 0 && time.Now().Before(deadline) {
		for id, a := range waiting {
			if caseHasOpenTask(t, r.base, reader, a.businessKey, a.instances[0]) {
				delete(waiting, id)
			}
		}
		if len(waiting) > 0 {
			time.Sleep(time.Second)
		}
	}
	if len(waiting) > 0 {
		t.Errorf("%d of %d acknowledged submissions' workflows never reached their user task", len(waiting), len(acknowledged))
	}
	t.Logf("every workflow at its user task %s after the last restart was ready", time.Since(began).Round(time.Second))
	r.stop(t)
}

// caseHasOpenTask says whether the case lists an open task of the instance.
func caseHasOpenTask(t *testing.T, base, token, businessKey, instance string) bool {
	t.Helper()
	code, body := get(t, base+"/api/v1/cases/"+businessKey, token)
	var c struct {
		Tasks []struct{ Instance, Status string }
	}
	if code != 200 || json.Unmarshal([]byte(body), &c) != nil {
		return false
	}
	for _, task := range c.Tasks {
		if task.Instance == instance && task.Status == "open" {
			return true
		}
	}
	return false
}

// A start form's submission whose workflow ends, announced to a receiver
// that verifies with its own implementation and fails its first attempts;
// cop is killed with SIGKILL mid-schedule and started again: each event
// arrives, verified, once, with the same webhook-id on every attempt.
func TestWebhookPendingWhenKilledIsSentAfterRestart(t *testing.T) {
	env, _, ports := devEnv(t)
	env = append(env, "COP_WEBHOOK_RETRY_SCHEDULE=2s,2s,2s")
	r := startDev(t, env, ports["PORT"])
	r.waitReady(t, 2*time.Minute)
	token := func(role string) string { return r.token(t, ports, role) }
	rcv := webtest.StartReceiver(t)
	integrator, author := token("integrator"), token("author")
	code, body := post(t, r.base+"/api/v1/webhooks", integrator, `{"url": "`+rcv.URL+`", "types": ["cop.submission.created", "cop.instance.completed"]}`)
	var hook struct{ ID, Secret string }
	if err := json.Unmarshal([]byte(body), &hook); code != 201 || err != nil {
		t.Fatalf("subscribe: %d %s", code, body)
	}
	rcv.Expect([]string{hook.Secret}, 2, 500, "")
	form := `{"name": "kill-hook", "version": "1.0.0", "title": "Kill hook", "casePrefix": "HOOK",
		"access": {"start": ["role:integrator"]},
		"schema": {"type": "object", "properties": {"n": {"type": "integer", "title": "N"}}}}`
	if code, body := post(t, r.base+"/api/v1/forms", author, form); code != 201 {
		t.Fatalf("publish: %d %s", code, body)
	}
	workflow := `{"document": {"dsl": "1.0.0", "namespace": "e2e", "name": "kill-hook", "version": "1.0.0", "metadata": {"startForm": "kill-hook"}},
		"do": [{"done": {"set": {"recorded": true}}}]}`
	if code, body := post(t, r.base+"/api/v1/workflows", author, workflow); code != 201 {
		t.Fatalf("publish the workflow: %d %s", code, body)
	}
	if code, body := post(t, r.base+"/api/v1/forms/kill-hook/submissions", integrator, `{"n": 1}`); code != 201 {
		t.Fatalf("submit: %d %s", code, body)
	}
	rcv.WaitFor("the first attempt", func(rs []webtest.Received) bool { return len(rs) >= 1 })
	// Killed once an attempt is recorded, so a delivery waits on its
	// schedule rather than on a lapsed claim.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, body := get(t, r.base+"/api/v1/webhooks/"+hook.ID+"/deliveries", integrator)
		var list struct{ Items []struct{ Attempts []any } }
		if json.Unmarshal([]byte(body), &list) == nil && len(list.Items) > 0 && len(list.Items[len(list.Items)-1].Attempts) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the first attempt was never recorded: %s", body)
		}
	}
	if err := r.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = r.cmd.Wait()
	r = startDev(t, env, ports["PORT"])
	r.waitReady(t, 2*time.Minute)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("cop's log after the restart:\n%s", r.stderr.String())
		}
	})
	// The kill may land on an activity in flight (the instance's end):
	// Temporal hands it out again only once its 30 s start-to-close
	// timeout has passed.
	rcv.WaitForWithin("both events delivered after the restart", 90*time.Second, func(rs []webtest.Received) bool {
		n := 0
		for _, rc := range rs {
			if rc.Answered == 204 {
				n++
			}
		}
		return n == 2
	})
	time.Sleep(time.Second) // a repeat would come now
	byID := map[string][]int{}
	types := map[string]string{}
	for _, rc := range rcv.Received() {
		if len(rc.VerifiedBy) != 1 {
			t.Errorf("not verified: %+v", rc)
		}
		byID[rc.ID] = append(byID[rc.ID], rc.Answered)
		types[rc.ID] = rc.Type
	}
	if len(byID) != 2 {
		t.Fatalf("webhook-ids %v, want one per event", byID)
	}
	for id, answers := range byID {
		delivered := 0
		for _, a := range answers {
			if a == 204 {
				delivered++
			}
		}
		if delivered != 1 || answers[len(answers)-1] != 204 {
			t.Errorf("%s (%s): answers %v, want delivered once, last", id, types[id], answers)
		}
	}
	r.stop(t)
}

// token gets an access token for a demo user from the run's provider
// through the real code grant.
func (r *devRun) token(t *testing.T, ports map[string]int, role string) string {
	t.Helper()
	issuer := fmt.Sprintf("http://localhost:%d", ports["COP_DEV_OIDC_PORT"])
	tok, err := devstack.Token(t.Context(), issuer, r.base+"/auth/callback", role, devstack.DevPassword)
	if err != nil {
		t.Fatalf("token for %s: %v", role, err)
	}
	return tok.AccessToken
}

// Outcome events sent while cop dev is killed with SIGKILL and started
// again: every event it acknowledged, and every one sent again after the
// restart, reaches the instance waiting for its target reference, once.
func TestEventsKilledMidStreamReachTheirInstances(t *testing.T) {
	env, _, ports := devEnv(t)
	r := startDev(t, env, ports["PORT"])
	r.waitReady(t, 2*time.Minute)
	author, officer, integrator := r.token(t, ports, "author"), r.token(t, ports, "officer"), r.token(t, ports, "integrator")
	workflow := `{"document": {"dsl": "1.0.0", "namespace": "e2e", "name": "kill-outcome", "version": "1.0.0",
		"metadata": {"access": {"start": ["role:officer"], "read": ["role:officer"], "events": ["team:analytics"]}}},
		"input": {"schema": {"format": "json", "document": {"type": "object", "required": ["target"]}}},
		"do": [{"outcome": {"listen": {"to": {"one": {"with": {"type": "gov.uk.border.target.outcome"},
			"correlate": {"target": {"from": ".data.targetRef", "expect": "${ .target }"}}}}}, "output": {"as": ".[0]"}}}]}`
	if code, body := post(t, r.base+"/api/v1/workflows", author, workflow); code != 201 {
		t.Fatalf("publish the workflow: %d %s", code, body)
	}
	const n = 12
	ids := make([]string, n)
	for i := range n {
		code, body := post(t, r.base+"/api/v1/workflows/e2e/kill-outcome/instances", officer, fmt.Sprintf(`{"input": {"target": "TGT-K%d"}}`, i))
		var in struct{ ID string }
		if code != 201 || json.Unmarshal([]byte(body), &in) != nil {
			t.Fatalf("start: %d %s", code, body)
		}
		ids[i] = in.ID
	}
	send := func(base, token string, i int) int {
		body := fmt.Sprintf(`{"specversion": "1.0", "id": "kill-%d", "source": "/analytics", "type": "gov.uk.border.target.outcome",
			"data": {"targetRef": "TGT-K%d", "outcome": "outcome %d"}}`, i, i, i)
		req, _ := http.NewRequest("POST", base+"/api/v1/events", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/cloudevents+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0 // killed mid-request: not acknowledged
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	acked := map[int]bool{}
	for i := range n / 2 {
		if code := send(r.base, integrator, i); code == 202 {
			acked[i] = true
		}
	}
	// Killed as the next one is sent.
	done := make(chan int)
	go func() { done <- send(r.base, integrator, n/2) }()
	if err := r.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = r.cmd.Wait()
	if <-done == 202 {
		acked[n/2] = true
	}
	if len(acked) < n/2 {
		t.Fatalf("only %d events acknowledged before the kill", len(acked))
	}
	r = startDev(t, env, ports["PORT"])
	r.waitReady(t, 2*time.Minute)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("cop's log after the restart:\n%s", r.stderr.String())
		}
	})
	integrator, officer = r.token(t, ports, "integrator"), r.token(t, ports, "officer")
	for i := range n {
		if !acked[i] {
			if code := send(r.base, integrator, i); code != 202 {
				t.Fatalf("event %d after the restart: %d", i, code)
			}
		}
	}
	// A lost signal would wait out an activity's timeout: allow for it.
	for i, id := range ids {
		var in struct {
			Status string
			Output map[string]any
		}
		for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			_, body := get(t, r.base+"/api/v1/instances/"+id, officer)
			if json.Unmarshal([]byte(body), &in) == nil && in.Status != "running" && in.Status != "starting" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("instance %d never took its outcome: %s", i, body)
			}
		}
		if in.Status != "completed" || in.Output["targetRef"] != fmt.Sprintf("TGT-K%d", i) || in.Output["outcome"] != fmt.Sprintf("outcome %d", i) {
			t.Errorf("instance %d: %s %v", i, in.Status, in.Output)
		}
	}
	t.Logf("%d of %d events acknowledged before the kill reached their instances after it", len(acked), n)
}
