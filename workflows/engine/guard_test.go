package engine

import (
	"context"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
)

// TestHeavyWorkYieldsAndCompletes: a loop whose expressions spend more
// than one turn may (YieldOps) but less than the runaway bound completes,
// yielding between tasks (a local activity marker each time) instead of
// holding one coroutine turn past the SDK's deadlock detector.
func TestHeavyWorkYieldsAndCompletes(t *testing.T) {
	t.Parallel() // waits on Temporal, mostly: overlap it with the other tests that do
	li := startLocal(t, "heavy", `document: {dsl: '1.0.0', namespace: test, name: heavy, version: '1.0.0'}
do:
  - each:
      for: {in: '${ [range(25)] }'}
      do:
        - churn: {set: '${ [range(100000)] | length }'}
`, map[string]any{})
	o := li.outcome()
	if o.Status != StatusCompleted || o.Output != float64(100000) {
		t.Fatalf("outcome %+v %+v", o, o.Error)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	markers := 0
	it := li.c.GetWorkflowHistory(ctx, li.run.GetID(), li.run.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if ev.GetEventType() == enumspb.EVENT_TYPE_MARKER_RECORDED {
			markers++
		}
	}
	// 25 × 400,000 operations: a yield every 1,000,000 or so, plus the
	// version marker.
	if markers < 8 || markers > 15 {
		t.Fatalf("%d markers in history", markers)
	}
}
