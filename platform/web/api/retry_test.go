package api_test

import (
	"net/http"
	"strings"
	"testing"

	"cop/platform/web/webtest"
)

// A faulted instance, retried once the system it calls is back, goes on
// from the call that failed: the call before it is not made again, the
// failed one is made again with the same Idempotency-Key, and its runs'
// ends are each announced.
func TestRetryResumesFromTheFailedCall(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	sys, in := e.FaultedRelay(t)
	officer, operator := e.Token("officer"), e.Token("operator")
	e.Scenarios(t, []webtest.Scenario{
		{Name: "a retry needs a reason", As: "operator", Method: "POST", Path: "/api/v1/instances/" + in.ID + "/retry", Body: map[string]any{"reason": " "},
			Status: 422, Pointers: []string{"/reason"}},
		{Name: "an officer may not retry", As: "officer", Method: "POST", Path: "/api/v1/instances/" + in.ID + "/retry", Body: map[string]any{"reason": "x"}, Status: 403},
		{Name: "an instance that does not exist", As: "admin", Method: "POST", Path: "/api/v1/instances/no-such/retry", Body: map[string]any{"reason": "x"}, Status: 404},
		{Name: "an unknown field", As: "operator", Method: "POST", Path: "/api/v1/instances/" + in.ID + "/retry", Body: map[string]any{"reason": "x", "force": true}, Status: 400},
	})

	sys.Up()
	var done webtest.InstanceBody // another instance, once the system is back
	e.Must(201, "POST", "/api/v1/workflows/kit/relay/instances", officer, map[string]any{"input": map[string]any{}}, &done)
	// Twice at once: one retries, the other is told it is no longer faulted.
	var reqs []*http.Request
	for range 2 {
		reqs = append(reqs, e.Request("POST", "/api/v1/instances/"+in.ID+"/retry", operator, map[string]any{"reason": "the relay is back"}))
	}
	statuses := map[int]int{}
	for _, r := range e.Race(reqs...) {
		statuses[r.Status]++
	}
	if statuses[200] != 1 || statuses[409] != 1 {
		t.Fatalf("two retries at once answered %v", statuses)
	}
	completed := e.WaitInstance(officer, in.ID, func(i webtest.InstanceBody) bool { return i.Status != "running" && i.Status != "starting" })
	if completed.Status != "completed" {
		t.Fatalf("after the retry the instance is %s", completed.Status)
	}
	e.WaitInstance(officer, done.ID, func(i webtest.InstanceBody) bool { return i.Status == "completed" })
	first, second := sys.Calls("/first"), sys.Calls("/second")
	// The other instance called each once; this one /first once and
	// /second twice (refused, then taken), with one key.
	if len(first) != 2 || len(second) != 3 {
		t.Fatalf("the system saw /first %d times and /second %d times", len(first), len(second))
	}
	if second[0] == "" || !(second[1] == second[0] || second[2] == second[0]) {
		t.Errorf("the retried call did not carry the refused call's Idempotency-Key: %q", second)
	}
	resp, body := e.Send("POST", "/api/v1/instances/"+in.ID+"/retry", operator, map[string]any{"reason": "again"})
	if resp.StatusCode != 409 {
		t.Errorf("retrying a completed instance: %d %s", resp.StatusCode, body)
	}
	// Cancel takes a reason too; a misspelt field is refused.
	if resp, body := e.Send("POST", "/api/v1/instances/"+done.ID+"/cancel", operator, map[string]any{"reasn": "x"}); resp.StatusCode != 400 {
		t.Errorf("cancel with an unknown field: %d %s", resp.StatusCode, body)
	}
	if resp, body := e.Send("POST", "/api/v1/instances/"+done.ID+"/cancel", operator, map[string]any{"reason": "done already"}); resp.StatusCode != 409 {
		t.Errorf("cancelling a completed instance: %d %s", resp.StatusCode, body)
	}
	rows, err := e.Pool.Query(t.Context(), `SELECT type FROM events WHERE data->>'id' = $1 AND type LIKE 'cop.instance.%' ORDER BY seq`, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for rows.Next() {
		var ty string
		_ = rows.Scan(&ty)
		types = append(types, ty)
	}
	want := "cop.instance.starting cop.instance.started cop.instance.faulted cop.instance.retried cop.instance.completed"
	if got := strings.Join(types, " "); got != want {
		t.Errorf("events %s, want %s", got, want)
	}
	var reason string
	if err := e.Pool.QueryRow(t.Context(), `SELECT detail->>'reason' FROM audit_log WHERE action = 'instance.retry' AND resource = $1`, "instance:"+in.ID).Scan(&reason); err != nil || reason != "the relay is back" {
		t.Errorf("the audit trail has the retry's reason %q (%v)", reason, err)
	}
}
