package engine

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/worker"

	"cop/platform/testenv/temporalenv"
	"cop/workflows"
)

// TestContinueAsNewCarriesTheInstance: an instance that continues as new
// between top-level tasks keeps its data, $context, buffered events and
// trace, and ends as one instance with one output.
func TestContinueAsNewCarriesTheInstance(t *testing.T) {
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
