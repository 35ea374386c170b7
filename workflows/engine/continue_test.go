package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/worker"

	"cop/platform/testenv/temporalenv"
	"cop/workflows"
)

// TestContinueAsNewCarriesTheInstance: an instance that continues as new
// between top-level tasks keeps its data, $context, buffered events and
// trace, and ends as one instance with one output.
func TestContinueAsNewCarriesTheInstance(t *testing.T) {
	t.Parallel() // waits on Temporal, mostly: overlap it with the other tests that do
	c := temporalenv.Client(t)
	_, js, err := workflows.Parse([]byte(`document: {dsl: '1.0.0', namespace: test, name: long, version: '1.0.0'}
do:
  - one: {set: {n: '${ .start + 1 }'}, export: {as: '{seen: [.n]}'}}
  - two: {set: {n: '${ .n + 1 }'}, export: {as: '{seen: ($context.seen + [.n])}'}}
  - hear: {listen: {to: {one: {with: {type: ping}}}}}
  - three: {set: {n: '${ $context.seen[-1] + 1 }', ping: '${ .[0].said }'}, export: {as: '{seen: ($context.seen + [.n])}'}}
  - four: {set: {n: '${ .n + 1 }', ping: '${ .ping }', seen: '${ $context.seen }', input: '${ $workflow.input.start }'}}
`))
	if err != nil {
		t.Fatal(err)
	}
	queue := "continue-as-new"
	wk := worker.New(c, queue, worker.Options{})
	platform := &LocalPlatform{}
	(&Activities{Platform: platform}).Register(wk)
	if err := wk.Start(); err != nil {
		t.Fatal(err)
	}
	defer wk.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id := "continue-" + time.Now().Format("150405.000000")
	run, err := StartInstance(ctx, c, StartOptions{ID: id, TaskQueue: queue, Namespace: "test", Name: "long",
		Start: Start{Definition: js, Input: map[string]any{"start": 10}, ContinueEvery: 1}})
	if err != nil {
		t.Fatal(err)
	}
	// Sent before the instance listens, across at least one continue-as-new.
	if err := SendEvent(ctx, c, id, map[string]any{"specversion": "1.0", "id": "p1", "source": "/t", "type": "ping", "data": map[string]any{"said": "hello"}}); err != nil {
		t.Fatal(err)
	}
	var res Result
	if err := run.Get(ctx, &res); err != nil {
		t.Fatalf("instance: %v", err)
	}
	out, _ := res.Output.(map[string]any)
	if out["n"] != float64(14) || out["ping"] != "hello" || out["input"] != float64(10) || len(out["seen"].([]any)) != 3 {
		t.Fatalf("output %v", res.Output)
	}
	// The runs hand their trace over before continuing; the last one's
	// result holds the rest.
	trace := platform.TraceOf(id, res.Trace)
	if len(trace) != 5 || trace[0].Name != "one" || trace[4].Name != "four" {
		t.Fatalf("trace across runs %+v", trace)
	}
	desc, err := c.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		t.Fatal(err)
	}
	info := desc.GetWorkflowExecutionInfo()
	if info.GetFirstRunId() == info.GetExecution().GetRunId() {
		t.Fatal("the instance never continued as new")
	}
}

// runs counts the Temporal runs an instance went through.
func (li *localInstance) runs() int {
	li.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	desc, err := li.c.DescribeWorkflowExecution(ctx, li.run.GetID(), "")
	if err != nil {
		li.t.Fatal(err)
	}
	n, runID := 0, desc.GetWorkflowExecutionInfo().GetFirstRunId()
	for runID != "" {
		n++
		next := ""
		it := li.c.GetWorkflowHistory(ctx, li.run.GetID(), runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				li.t.Fatal(err)
			}
			if a := ev.GetWorkflowExecutionContinuedAsNewEventAttributes(); a != nil {
				next = a.GetNewExecutionRunId()
			}
		}
		runID = next
	}
	return n
}

// TestContinueAsNewInsideLoops: an instance continues as new between the
// tasks of a for inside a try inside a do, and between iterations of a
// then loop, and carries on where it stopped: same output, one trace
// entry per task run, the enclosing tasks completed once.
func TestContinueAsNewInsideLoops(t *testing.T) {
	t.Parallel() // waits on Temporal, mostly: overlap it with the other tests that do
	li := startLocal(t, "nested", `document: {dsl: '1.0.0', namespace: test, name: nested, version: '1.0.0'}
do:
  - outer:
      do:
        - guarded:
            try:
              - each:
                  for: {each: n, in: '${ .numbers }'}
                  do:
                    - add: {set: '${ {numbers: .numbers, sum: ((.sum // 0) + $n)} }'}
            catch:
              do:
                - never: {set: {caught: true}}
        - count: {set: '${ . + {i: 0} }'}
        - again:
            switch:
              - more: {when: '${ .i < 3 }', then: bump}
              - done: {then: exit}
        - bump: {set: '${ . + {i: (.i + 1)} }', then: again}
`, map[string]any{"numbers": []any{1, 2, 3, 4, 5, 6, 7, 8}}, continueEvery(3))
	o := li.outcome()
	if o.Status != StatusCompleted {
		t.Fatalf("outcome %+v %+v", o, o.Error)
	}
	out, _ := o.Output.(map[string]any)
	if out["sum"] != float64(36) || out["i"] != float64(3) || out["caught"] != nil {
		t.Fatalf("output %v", o.Output)
	}
	if n := li.runs(); n < 5 {
		t.Fatalf("the instance ran in %d runs; it should have continued as new inside the loops", n)
	}
	trace := li.platform.TraceOf(li.run.GetID(), o.Trace)
	count := map[string]int{}
	for i, e := range trace {
		if e.Status != "completed" {
			t.Errorf("%s ended %s", e.Position, e.Status)
		}
		if i > 0 && e.Seq != trace[i-1].Seq+1 {
			t.Errorf("trace entry %d has seq %d after %d", i, e.Seq, trace[i-1].Seq)
		}
		count[e.Name]++
	}
	want := map[string]int{"outer": 1, "guarded": 1, "each": 1, "add": 8, "count": 1, "again": 4, "bump": 3}
	for name, n := range want {
		if count[name] != n {
			t.Errorf("%s ran %d times in the trace, want %d (%v)", name, count[name], n, count)
		}
	}
}

// TestTimeoutsRunOnAcrossRuns: a workflow's timeout and a task's timeout
// keep their deadlines when the instance continues as new, instead of
// starting again in each run.
func TestTimeoutsRunOnAcrossRuns(t *testing.T) {
	t.Parallel() // waits on Temporal, mostly: overlap it with the other tests that do
	loop := `
      do:
        - tick: {wait: PT0.2S}
        - again: {switch: [{more: {when: '${ true }', then: tick}}]}
`
	t.Run("workflow timeout", func(t *testing.T) {
		t.Parallel()
		li := startLocal(t, "wf-timeout", `document: {dsl: '1.0.0', namespace: test, name: wf-timeout, version: '1.0.0'}
timeout: {after: PT3S}
do:
  - forever:`+loop, map[string]any{}, continueEvery(2))
		start := time.Now()
		o := li.outcome()
		if o.Status != StatusFaulted || o.Error.Type != workflows.ErrorTypePrefix+workflows.ErrTimeout || o.Error.Instance != "/" {
			t.Fatalf("outcome %+v %+v", o, o.Error)
		}
		if took := time.Since(start); took > 20*time.Second {
			t.Fatalf("a 3s timeout fired after %v", took)
		}
	})
	t.Run("task timeout", func(t *testing.T) {
		t.Parallel()
		li := startLocal(t, "task-timeout", `document: {dsl: '1.0.0', namespace: test, name: task-timeout, version: '1.0.0'}
do:
  - forever:
      timeout: {after: PT3S}`+loop, map[string]any{}, continueEvery(2))
		o := li.outcome()
		if o.Status != StatusFaulted || o.Error.Type != workflows.ErrorTypePrefix+workflows.ErrTimeout || o.Error.Instance != "/do/0/forever" {
			t.Fatalf("outcome %+v %+v", o, o.Error)
		}
		if n := li.runs(); n < 2 {
			t.Fatalf("ran in %d runs", n)
		}
	})
}

// TestChildIDsStayUniqueAcrossRuns: children started without waiting, in
// a loop that continues as new, each get their own id (the counter used
// to start again in each run, and the next child's start collided with a
// child still running).
func TestChildIDsStayUniqueAcrossRuns(t *testing.T) {
	t.Parallel() // waits on Temporal, mostly: overlap it with the other tests that do
	child := `document: {dsl: '1.0.0', namespace: test, name: sleeper, version: '1.0.0'}
do:
  - nap: {wait: PT5S}
`
	li := startLocal(t, "parent", `document: {dsl: '1.0.0', namespace: test, name: parent, version: '1.0.0'}
do:
  - spawn: {run: {workflow: {namespace: test, name: sleeper, version: '1.0.0'}, await: false}}
  - count: {set: '${ {n: ((.n // 0) + 1)} }'}
  - again: {switch: [{more: {when: '${ .n < 4 }', then: spawn}}]}
`, map[string]any{}, continueEvery(2), withWorkflow(child))
	o := li.outcome()
	if o.Status != StatusCompleted {
		t.Fatalf("outcome %+v %+v", o, o.Error)
	}
	if n := li.runs(); n < 3 {
		t.Fatalf("ran in %d runs", n)
	}
}

// TestBufferedEventsAreBounded: events no listen takes are kept up to
// MaxBufferedEvents, oldest dropped first, and expire after
// BufferedEventTTL (the test environment skips the day).
func TestBufferedEventsAreBounded(t *testing.T) {
	_, js, err := workflows.Parse([]byte(`document: {dsl: '1.0.0', namespace: test, name: buffer, version: '1.0.0'}
do:
  - first: {listen: {to: {one: {with: {type: go}}}}}
  - oldest: {listen: {to: {one: {with: {type: noise}}}}}
  - later: {wait: P2D}
  - fresh: {listen: {to: {one: {with: {type: noise}}}}}
`))
	if err != nil {
		t.Fatal(err)
	}
	env := testEnv()
	(&Activities{Platform: &LocalPlatform{}}).Register(env)
	noise := func(n int) map[string]any {
		return map[string]any{"specversion": "1.0", "id": fmt.Sprint(n), "source": "/t", "type": "noise", "data": map[string]any{"n": n}}
	}
	env.RegisterDelayedCallback(func() {
		for n := range MaxBufferedEvents + 20 {
			env.SignalWorkflow(SignalEvent, noise(n))
		}
		env.SignalWorkflow(SignalEvent, map[string]any{"specversion": "1.0", "id": "go", "source": "/t", "type": "go"})
	}, time.Second)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalEvent, noise(1000)) }, 60*time.Hour)
	env.ExecuteWorkflow("test/buffer", Start{Definition: js})
	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	var res Result
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	// oldest took the oldest event still kept (the first 20 were dropped);
	// the rest expired during the two-day wait, so fresh took the new one.
	got := res.Output.([]any)[0].(map[string]any)["n"]
	if got != float64(1000) {
		t.Fatalf("fresh got %v", res.Output)
	}
}
