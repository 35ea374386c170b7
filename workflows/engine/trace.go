package engine

import (
	"context"
	"sort"
	"time"

	"go.temporal.io/sdk/workflow"
)

// The trace lists the tasks an instance ran, in the order they started.
// An instance keeps the entries it has not handed to the platform yet
// (Platform.RecordTrace, an activity): every running entry and the
// finished ones since the last hand-over. Handing over rides on the
// instance's own waits: when it is about to wait on something anyway
// and holds TraceBatch finished entries, it hands them over beside the
// wait, costing it no extra turn. Only an instance that runs TraceCap
// tasks without waiting hands them over then and there. So a long
// instance's trace lives in the platform's store, and its state, its
// queries and its result stay small.
const (
	TraceBatch = 100
	TraceCap   = 1000
)

// TraceRecord hands trace entries to the platform.
type TraceRecord struct {
	Instance string       `json:"instance"`
	Entries  []TraceEntry `json:"entries"`
}

const activityTrace = "cop.trace"

// RecordTrace stores trace entries the instance hands over.
func (a *Activities) RecordTrace(ctx context.Context, t TraceRecord) error {
	p, err := a.platform()
	if err != nil {
		return err
	}
	return p.RecordTrace(ctx, t)
}

// startTrace adds a running entry and returns its sequence number.
func (r *run) startTrace(name, ptr string, at time.Time) int {
	r.traceSeq++
	r.trace = append(r.trace, TraceEntry{Seq: r.traceSeq, Name: name, Position: ptr, Status: "running", StartedAt: at})
	return r.traceSeq
}

// finishTrace ends the entry seq with status.
func (r *run) finishTrace(seq int, status string, at time.Time) {
	for i := len(r.trace) - 1; i >= 0; i-- {
		if r.trace[i].Seq == seq {
			r.trace[i].Status, r.trace[i].EndedAt = status, &at
			return
		}
	}
}

// Ways of handing the trace over.
const (
	flushBesideWait = iota // TraceBatch or more finished: beside the wait to come
	flushOverCap           // more than TraceCap finished: now
	flushAll               // every finished entry, now (before continuing as new)
)

// flushTrace hands finished entries to the platform as mode says. A
// failure keeps them, to go with the next hand-over.
func (r *run) flushTrace(ctx workflow.Context, mode int) {
	if r.flushing {
		return
	}
	var batch []TraceEntry
	for _, e := range r.trace {
		if e.Status != "running" {
			batch = append(batch, e)
		}
	}
	switch {
	case len(batch) == 0,
		mode == flushBesideWait && len(batch) < TraceBatch,
		mode == flushOverCap && len(batch) <= TraceCap:
		return
	}
	if workflow.GetVersion(ctx, changeTraceSink, workflow.DefaultVersion, 1) < 1 {
		return
	}
	r.flushing = true
	send := func(ctx workflow.Context) {
		defer func() { r.flushing = false }()
		rec := TraceRecord{Instance: workflow.GetInfo(ctx).WorkflowExecution.ID, Entries: batch}
		dctx, cancel := workflow.NewDisconnectedContext(ctx)
		defer cancel()
		// Not r.activity: handing the trace over is not a wait the
		// runaway guard may count.
		actx := workflow.WithActivityOptions(dctx, platformOptions())
		if err := workflow.ExecuteActivity(actx, activityTrace, rec).Get(dctx, nil); err != nil {
			workflow.GetLogger(ctx).Warn("could not record the trace; keeping it", "error", err)
			return
		}
		sent := map[int]bool{}
		for _, e := range batch {
			sent[e.Seq] = true
		}
		kept := r.trace[:0:0]
		for _, e := range r.trace {
			if !sent[e.Seq] {
				kept = append(kept, e)
			}
		}
		r.trace = kept
	}
	if mode == flushBesideWait {
		workflow.Go(ctx, send)
		return
	}
	send(ctx)
}

// MergeTrace joins trace entries the platform recorded with those an
// instance still holds, in the order the tasks started; an entry both
// have is the instance's (newer). Entries from before sequence numbers
// (Seq 0) keep their order after the numbered ones the store has.
func MergeTrace(recorded, held []TraceEntry) []TraceEntry {
	bySeq := map[int]TraceEntry{}
	var legacy []TraceEntry
	for _, list := range [][]TraceEntry{recorded, held} {
		for _, e := range list {
			if e.Seq == 0 {
				legacy = append(legacy, e)
				continue
			}
			bySeq[e.Seq] = e
		}
	}
	out := make([]TraceEntry, 0, len(bySeq)+len(legacy))
	out = append(out, legacy...)
	for _, e := range bySeq {
		out = append(out, e)
	}
	sort.SliceStable(out[len(legacy):], func(i, j int) bool { return out[len(legacy)+i].Seq < out[len(legacy)+j].Seq })
	return out
}
