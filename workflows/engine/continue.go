package engine

import (
	"errors"
	"time"

	"go.temporal.io/sdk/workflow"

	"cop/workflows"
)

// An instance continues as new (a fresh Temporal run, so its history stays
// small) when Temporal suggests it, at the boundary between two tasks of
// any list it is running in sequence: the top-level do, a nested do, a
// for's do, a try or catch.do. Not inside fork branches or functions,
// whose concurrent or borrowed state has no place in a resume.
//
// The decision unwinds the run: each level the unwinding passes through
// adds a Frame saying where it stopped, and the next run's levels take
// their frames back, outermost first, as they are entered again.

// Frame kinds.
const (
	frameList = "list" // a task list: the next task and the data it gets
	frameTask = "task" // a task in progress: its inputs, start, trace entry, timeout
	frameFor  = "for"  // a for: its items, the iteration and the data it got
	frameTry  = "try"  // a try: the attempt, and the caught error in catch.do
)

// Frame is where one level of a run stopped when it continued as new.
type Frame struct {
	Kind string `json:"kind"`
	// Index is the next task (list), the iteration (for) or the attempt (try).
	Index int `json:"index,omitempty"`
	// Data is the data the list's next task, the iteration or the task
	// (after input.from) gets.
	Data any `json:"data,omitempty"`
	// Raw is a task's input before input.from.
	Raw any `json:"raw,omitempty"`
	// Items are a for's items, evaluated once when it began.
	Items []any `json:"items,omitempty"`
	// StartedAt is when a task, or a try's first attempt, started.
	StartedAt time.Time `json:"startedAt,omitzero"`
	// Deadline is when a task's timeout (or a try attempt's) fires.
	Deadline *time.Time `json:"deadline,omitempty"`
	// Seq is a task's trace entry, still running.
	Seq int `json:"seq,omitempty"`
	// Error is the error a try caught when it stopped inside catch.do.
	Error   *workflows.RuntimeError `json:"error,omitempty"`
	InCatch bool                    `json:"inCatch,omitempty"`
	// Visits are the call counts a try's attempts start from (callKey).
	Visits map[string]int `json:"visits,omitempty"`
}

// errContinue unwinds the run to continue it as new.
type errContinue struct{ frames []Frame }

func (e *errContinue) Error() string { return "the instance continues as new" }

// stopped adds the frame of a level the unwinding passes through, if err
// is the unwinding, and returns err.
func stopped(err error, f Frame) error {
	var c *errContinue
	if errors.As(err, &c) {
		c.frames = append([]Frame{f}, c.frames...)
	}
	return err
}

func isContinue(err error) bool {
	var c *errContinue
	return errors.As(err, &c)
}

// resumeFrame takes the next frame back when a level of the resumed path
// is entered again; nil when the run is not resuming there.
func (r *run) resumeFrame(kind string) *Frame {
	if len(r.frames) == 0 || r.frames[0].Kind != kind {
		return nil
	}
	f := r.frames[0]
	r.frames = r.frames[1:]
	return &f
}

// dropFrames forgets the rest of the resumed path, when a level gives up
// on it (a timeout that expired across the continue-as-new).
func (r *run) dropFrames() { r.frames = nil }

type noContinueKey struct{}

// noContinue marks the work of a fork branch or a function: no
// continue-as-new is decided inside it.
func noContinue(ctx workflow.Context) workflow.Context {
	return workflow.WithValue(ctx, noContinueKey{}, true)
}

// continueHere decides, before a task of a list, whether the instance
// continues as new there.
func (r *run) continueHere(ctx workflow.Context, top bool) bool {
	if r.runSteps == 0 || ctx.Value(noContinueKey{}) != nil {
		return false
	}
	suggested := workflow.GetInfo(ctx).GetContinueAsNewSuggested() ||
		(r.start.ContinueEvery > 0 && r.runSteps >= r.start.ContinueEvery)
	if !suggested {
		return false
	}
	return top || workflow.GetVersion(ctx, changeNestedContinue, workflow.DefaultVersion, 1) >= 1
}

// continueAsNew starts the next run with the frames the unwinding
// gathered and the state the run carries: $context, the events still
// buffered, the trace not yet recorded, when it started and when its
// timeout fires. It waits for task actions in flight to finish first.
func (r *run) continueAsNew(ctx workflow.Context, frames []Frame) error {
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) && !r.flushing }); err != nil {
		return err
	}
	r.flushTrace(ctx, flushAll)
	// Last, after every wait: an event that arrived meanwhile goes along.
	r.drainEvents(ctx)
	next := *r.start
	next.Resume = &Resume{Frames: frames, Context: r.context, Trace: r.trace, Buffered: r.events,
		StartedAt: r.startedAt, RawInput: r.workflow["input"], Deadline: r.deadline, Children: r.children, TraceSeq: r.traceSeq,
		Steps: r.steps, Ops: r.meter.Total - r.opsAtWait, Visits: r.visits}
	if len(frames) > 0 && frames[0].Kind == frameList {
		// What a run from before changeNestedContinue reads.
		next.Resume.Index, next.Resume.Data = frames[0].Index, frames[0].Data
	}
	if err := checkPayload("the state the instance carries into its next run", next); err != nil {
		return err
	}
	return workflow.NewContinueAsNewError(ctx, workflow.GetInfo(ctx).WorkflowType.Name, next)
}

// resumeFrom sets the run up from a Resume.
func (r *run) resumeFrom(res *Resume) {
	r.context, r.trace, r.startedAt, r.deadline = res.Context, res.Trace, res.StartedAt, res.Deadline
	r.children, r.traceSeq, r.frames = res.Children, res.TraceSeq, res.Frames
	r.steps, r.opsAtWait = res.Steps, -res.Ops
	if res.Visits != nil {
		r.visits = res.Visits
	}
	r.events = res.Buffered
	for _, ev := range res.Events {
		// Buffered before arrival times were kept: as if they had just come.
		r.events = append(r.events, BufferedEvent{Event: ev, At: res.StartedAt})
	}
	if len(r.frames) == 0 {
		// A run from before changeNestedContinue stopped between two
		// top-level tasks.
		r.frames = []Frame{{Kind: frameList, Index: res.Index, Data: res.Data}}
	}
	if r.traceSeq == 0 {
		for _, e := range r.trace {
			r.traceSeq = max(r.traceSeq, e.Seq)
		}
	}
}

// BufferedEvent is an event that arrived before a listen took it.
type BufferedEvent struct {
	Event map[string]any `json:"event"`
	At    time.Time      `json:"at"`
}

// The events an instance keeps for a listen to come: at most
// MaxBufferedEvents, MaxBufferedBytes in all, none older than
// BufferedEventTTL. Beyond that the oldest go, so a sender that keeps
// sending what no listen takes cannot grow an instance's state without
// end.
const (
	MaxBufferedEvents = 100
	MaxBufferedBytes  = 256 << 10
	BufferedEventTTL  = 24 * time.Hour
)

// bufferEvent keeps an event that arrived, then drops what the bounds
// no longer allow.
func (r *run) bufferEvent(ctx workflow.Context, ev map[string]any) {
	r.events = append(r.events, BufferedEvent{Event: ev, At: workflow.Now(ctx)})
	r.pruneEvents(ctx)
}

func (r *run) pruneEvents(ctx workflow.Context) {
	now := workflow.Now(ctx)
	total := 0
	for _, b := range r.events {
		total += workflows.ApproxSize(b.Event, MaxBufferedBytes)
	}
	drop := 0
	for drop < len(r.events) {
		b := r.events[drop]
		if now.Sub(b.At) <= BufferedEventTTL && len(r.events)-drop <= MaxBufferedEvents && total <= MaxBufferedBytes {
			break
		}
		total -= workflows.ApproxSize(b.Event, MaxBufferedBytes)
		drop++
	}
	if drop == 0 || workflow.GetVersion(ctx, changeEventBuffer, workflow.DefaultVersion, 1) < 1 {
		return
	}
	for _, b := range r.events[:drop] {
		workflow.GetLogger(ctx).Warn("dropped an event no listen took", "type", b.Event["type"], "id", b.Event["id"], "arrived", b.At)
	}
	r.events = append([]BufferedEvent(nil), r.events[drop:]...)
}
