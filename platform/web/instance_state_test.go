package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"cop/platform/testenv/temporalenv"
	"cop/platform/web/webtest"
)

// TestLongTraceIsKeptInTheStore: an instance that runs more tasks than it
// keeps hands its trace to the store beside its waits; GET shows the whole
// trace in order, while it runs and once it has ended.
func TestLongTraceIsKeptInTheStore(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	author := e.Token("author")
	def := `document: {dsl: '1.0.0', namespace: trace, name: long, version: '0.1.0'}
do:
  - count:
      for: {in: '${ [range(150)] }'}
      do:
        - tick: {set: '${ {n: $index} }'}
  - hold: {listen: {to: {one: {with: {type: go}}}}}
  - done: {set: {ok: true}}
`
	var in webtest.InstanceBody
	e.Must(201, "POST", "/api/v1/instances", author, map[string]any{"definition": def}, &in)
	running := e.WaitInstance(author, in.ID, func(i webtest.InstanceBody) bool { return len(i.Trace) >= 152 })
	checkTrace := func(trace []struct{ Name, Position, Status string }, want int) {
		t.Helper()
		if len(trace) != want || trace[0].Name != "count" || trace[1].Name != "tick" || trace[150].Name != "tick" || trace[151].Name != "hold" {
			t.Fatalf("%d trace entries, want %d: first %+v", len(trace), want, trace[:min(3, len(trace))])
		}
		for i := 1; i <= 150; i++ {
			if trace[i].Position != "/do/0/count/do/0/tick" || trace[i].Status != "completed" {
				t.Fatalf("entry %d: %+v", i, trace[i])
			}
		}
	}
	checkTrace(running.Trace, 152)
	// The query answers from the instance at once; the hand-over to the
	// store is an activity that may land a moment later.
	var stored int
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if err := e.Pool.QueryRow(context.Background(), `SELECT count(*) FROM instance_trace WHERE instance_id = $1`, in.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if stored >= 100 || time.Now().After(deadline) {
			break
		}
	}
	if stored < 100 {
		t.Fatalf("the store holds %d of the instance's trace entries; it should have been handed the finished ones", stored)
	}
	e.Must(202, "POST", "/api/v1/instances/"+in.ID+"/events", author, webtest.Event("go"), nil)
	done := e.WaitInstance(author, in.ID, func(i webtest.InstanceBody) bool { return i.Status != "running" })
	if done.Status != "completed" {
		t.Fatalf("%+v", done)
	}
	checkTrace(done.Trace, 153)
}

// TestTerminatedInstanceIsFaulted: an instance Temporal (or an operator)
// terminated shows as faulted, with the reason, not as cancelled.
func TestTerminatedInstanceIsFaulted(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	author := e.Token("author")
	var in webtest.InstanceBody
	e.Must(201, "POST", "/api/v1/instances", author, map[string]any{"definition": `document: {dsl: '1.0.0', namespace: trace, name: waits, version: '0.1.0'}
do:
  - hold: {listen: {to: {one: {with: {type: go}}}}}
`}, &in)
	e.WaitInstance(author, in.ID, func(i webtest.InstanceBody) bool { return len(i.Trace) > 0 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := temporalenv.Client(t).TerminateWorkflow(ctx, in.ID, "", "BadScheduleActivityAttributes: input exceeds size limit"); err != nil {
		t.Fatal(err)
	}
	got := e.WaitInstance(author, in.ID, func(i webtest.InstanceBody) bool { return i.Status != "running" })
	if got.Status != "faulted" || got.Error == nil || !strings.Contains(got.Error.Detail, "exceeds size limit") {
		t.Fatalf("terminated instance: %+v %+v", got, got.Error)
	}
	var listed struct{ Items []webtest.InstanceBody }
	e.Must(200, "GET", "/api/v1/instances?status=faulted&name=waits", author, nil, &listed)
	if len(listed.Items) == 0 || listed.Items[0].ID != in.ID {
		t.Fatalf("faulted list %+v", listed.Items)
	}
}
