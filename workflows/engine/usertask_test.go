package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/worker"

	"cop/forms/examples"
	"cop/platform/testenv/temporalenv"
	"cop/workflows"
)

// TestPriorityOutOfRangeFaults: a priority computed outside 1-5 faults the
// task with a validation error instead of quietly becoming 3.
func TestPriorityOutOfRangeFaults(t *testing.T) {
	c := temporalenv.Client(t)
	w, js, err := workflows.Parse([]byte(`document: {dsl: '1.0.0', namespace: test, name: prio, version: '1.0.0'}
do:
  - ask: {call: userTask, with: {form: seizure-approval, candidateGroups: [role:supervisor], priority: '${ .urgency * 3 }'}}
`))
	if err != nil {
		t.Fatal(err)
	}
	r := NewLocalResolver()
	for _, f := range examples.All() {
		add := map[string]func([]byte) error{"forms": r.AddForm, "terms": r.AddTerm, "refdata": r.AddRefData}[f.Kind]
		if err := add(f.Content); err != nil {
			t.Fatal(err)
		}
	}
	start := Start{Definition: js, Input: map[string]any{"urgency": 3}}
	if err := Pin(w, r, &start); err != nil {
		t.Fatal(err)
	}
	queue := "priority-range"
	wk := worker.New(c, queue, worker.Options{})
	platform := &LocalPlatform{}
	(&Activities{Platform: platform}).Register(wk)
	if err := wk.Start(); err != nil {
		t.Fatal(err)
	}
	defer wk.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run, err := StartInstance(ctx, c, StartOptions{ID: "prio-" + time.Now().Format("150405.000000"), TaskQueue: queue, Namespace: "test", Name: "prio", Start: start})
	if err != nil {
		t.Fatal(err)
	}
	var res Result
	o := OutcomeOf(&res, run.Get(ctx, &res))
	if o.Status != StatusFaulted || !strings.HasSuffix(o.Error.Type, "/validation") || !strings.Contains(o.Error.Detail, "not 9") || o.Error.Instance != "/do/0/ask" {
		t.Fatalf("outcome %+v %+v", o, o.Error)
	}
	if len(platform.Tasks) != 0 {
		t.Fatalf("a task was created: %+v", platform.Tasks)
	}
}
