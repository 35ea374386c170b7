package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"cop/workflows"
)

// Start is the input of every interpreted workflow: the pinned definition
// travels with it, so replay never reads the registry.
type Start struct {
	Definition json.RawMessage `json:"definition"`
	Input      any             `json:"input"`
	// Workflows holds the pinned sub-workflows run tasks start, keyed
	// "namespace/name@version" as the run task writes it.
	Workflows map[string]json.RawMessage `json:"workflows,omitempty"`
	// Forms holds the pinned forms userTask calls use, keyed as written.
	Forms map[string]PinnedForm `json:"forms,omitempty"`
	// CaseKey is the business key of the instance's case, if any.
	CaseKey   string  `json:"caseKey,omitempty"`
	StartedBy string  `json:"startedBy,omitempty"`
	Resume    *Resume `json:"resume,omitempty"`
	// Tracked instances report how they ended to the platform
	// (Platform.InstanceEnded), which keeps a row per instance.
	Tracked bool `json:"tracked,omitempty"`
	// ContinueEvery, when set, continues as new after that many tasks as
	// well as when Temporal suggests it (tests use it to prove a long
	// instance carries its state across runs).
	ContinueEvery int `json:"continueEvery,omitempty"`
}

// PinnedForm is a form version and the definitions it was compiled with.
type PinnedForm struct {
	Name    string          `json:"name"`
	Version string          `json:"version"`
	Content json.RawMessage `json:"content"`
	// Pins maps "kind:name@version" to the pinned term or reference data.
	Pins map[string]json.RawMessage `json:"pins,omitempty"`
}

// Resume carries an instance across continue-as-new: where it stopped
// and the state it had.
type Resume struct {
	// Index and Data say where the top-level list stopped; runs from
	// before changeNestedContinue wrote only these. Frames say where
	// every level stopped.
	Index  int     `json:"index"`
	Data   any     `json:"data"`
	Frames []Frame `json:"frames,omitempty"`

	Context any          `json:"context"`
	Trace   []TraceEntry `json:"trace,omitempty"`
	// TraceSeq is the last trace entry's sequence number.
	TraceSeq int `json:"traceSeq,omitempty"`
	// Events is the event buffer as runs from before arrival times were
	// kept wrote it; Buffered is it since.
	Events   []map[string]any `json:"events,omitempty"`
	Buffered []BufferedEvent  `json:"buffered,omitempty"`

	StartedAt time.Time `json:"startedAt"`
	RawInput  any       `json:"rawInput"`
	// Deadline is when the workflow's timeout fires: it runs on across
	// runs rather than starting again in each.
	Deadline *time.Time `json:"deadline,omitempty"`
	// Children is how many children the instance has started, so a new
	// child's id never repeats one a child started earlier still runs
	// under.
	Children int `json:"children,omitempty"`
	// Steps and Ops are the tasks run and jq operations spent since the
	// instance last really waited: a runaway loop that grows history
	// (timers set and cancelled) is still one loop across runs.
	Steps int   `json:"steps,omitempty"`
	Ops   int64 `json:"ops,omitempty"`
	// Visits counts the calls made at each position (callKey).
	Visits map[string]int `json:"visits,omitempty"`
}

// Result is what a completed instance returns.
type Result struct {
	Output any          `json:"output"`
	Trace  []TraceEntry `json:"trace"`
}

// Fault is the detail of a faulted instance's failure.
type Fault struct {
	Error *workflows.RuntimeError `json:"error"`
	Trace []TraceEntry            `json:"trace"`
}

// TraceEntry records one task that ran.
type TraceEntry struct {
	// Seq numbers entries in the order their tasks started, across runs
	// (0 on entries from before it was kept).
	Seq       int        `json:"seq,omitempty"`
	Name      string     `json:"name"`
	Position  string     `json:"position"`
	Status    string     `json:"status"` // running, completed, faulted, skipped, cancelled
	StartedAt time.Time  `json:"startedAt"`
	EndedAt   *time.Time `json:"endedAt,omitempty"` // absent while running
}

// Temporal names the interpreter answers to.
const (
	QueryTrace   = "cop.trace"
	SignalEvent  = "cop.event"
	FaultType    = "cop.workflow.fault"
	activityHTTP = "cop.http"
	activityAPI  = "cop.openapi"
)

// MaxStepsWithoutWaiting bounds the tasks an instance may run without
// really waiting on anything: an activity, a child, an event, an officer,
// or a timer that let time pass. A loop of then jumps emits no Temporal
// command, so history limits would never stop it; this does,
// deterministically. A wait of no time (wait: PT0S, a retry with no
// delay) or a timeout that never fired is not a wait.
const MaxStepsWithoutWaiting = 10000

// The work the interpreter does between two yields to the SDK, in jq
// operations (workflows.Meter): past YieldOps it yields at the next task
// boundary (a local activity that does nothing, one marker in history,
// which ends the coroutine's turn and lets a long workflow task heartbeat);
// past MaxSegmentOps, in the middle of a task, the instance faults as a
// runaway. Both keep every turn well inside the SDK's one-second deadlock
// detector, and both count operations, not time, so replay decides as
// the first run did.
const (
	YieldOps      = 1_000_000
	MaxSegmentOps = 3_000_000
)

// MaxOpsWithoutWaiting bounds the jq operations an instance may spend
// without really waiting (see MaxStepsWithoutWaiting), across the yields:
// a loop of heavy expressions faults after a few seconds of work instead
// of after its ten-thousandth step.
const MaxOpsWithoutWaiting = 20_000_000

// runtimeInfo is $runtime.
var runtimeInfo = map[string]any{"name": "COP", "version": "1.0", "metadata": map[string]any{"engine": "temporal"}}

// WorkflowType is the Temporal workflow type an instance of a definition
// runs as (the dynamic workflow answers to every type).
func WorkflowType(namespace, name string) string { return namespace + "/" + name }

// Interpret is the one dynamic workflow: it runs the definition in its
// input.
func Interpret(ctx workflow.Context, args converter.EncodedValues) (*Result, error) {
	var start Start
	if err := args.Get(&start); err != nil {
		return nil, temporal.NewNonRetryableApplicationError("read the instance's input: "+err.Error(), FaultType, nil)
	}
	wf, err := workflows.Decode(start.Definition)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), FaultType, nil)
	}
	r := newRun(ctx, wf, &start)
	out, err := r.main(ctx)
	var cont *errContinue
	if errors.As(err, &cont) {
		err = r.continueAsNew(ctx, cont.frames)
	}
	if err == nil {
		// An output too large to send is the instance's fault, not a
		// termination by Temporal.
		err = checkPayload("the instance's output", out)
	}
	if err != nil {
		var can *workflow.ContinueAsNewError
		if errors.As(err, &can) {
			return nil, err
		}
		if temporal.IsCanceledError(err) {
			r.reportEnd(ctx, StatusCancelled, nil, nil)
			return nil, err
		}
		rerr, ok := asRuntimeError(err, "/").(*workflows.RuntimeError)
		if !ok {
			rerr = workflows.NewError(workflows.ErrRuntime, "Runaway instance", "%v", err)
			rerr.Instance = "/"
			var runaway *errRunaway
			if errors.As(err, &runaway) {
				rerr.Instance = runaway.ptr
			}
		}
		r.reportEnd(ctx, StatusFaulted, nil, rerr)
		return nil, temporal.NewNonRetryableApplicationError(rerr.Error(), FaultType, nil, Fault{Error: rerr, Trace: r.trace})
	}
	r.reportEnd(ctx, StatusCompleted, out, nil)
	return &Result{Output: out, Trace: r.trace}, nil
}

// Interpreter changes that alter the commands an instance issues are
// guarded with workflow.GetVersion, so histories recorded before a change
// replay as they ran (testdata/histories holds such recordings, an era
// for each change they were recorded at). One
// change ID per change; never reuse or remove one while instances that
// ran before it may still be open.
const (
	// changeReportEnd: tracked instances report their end in an activity.
	changeReportEnd = "cop.report-end"
	// changeWithdrawTask: a user task whose wait is cancelled is withdrawn
	// from the inbox in an activity.
	changeWithdrawTask = "cop.withdraw-task"
	// changeChildIDs: each child a run task starts gets its own id (#n).
	changeChildIDs = "cop.child-ids"
	// changeRealWaits: only a wait that let a workflow task end resets the
	// runaway guard's step count (a wait of no time or a timeout that
	// never fired used to).
	changeRealWaits = "cop.real-waits"
	// changeYield: a turn that has spent YieldOps yields at the next
	// task boundary through a local activity.
	changeYield = "cop.yield"
	// changeAttemptDuration: retry.limit.attempt.duration bounds each
	// attempt of a try list with a timer (it used to be ignored).
	changeAttemptDuration = "cop.attempt-duration"
	// changeListenData: a listen filter's data written as an expression
	// is a predicate on each event's data (it used to be evaluated once,
	// on the task's input); read: raw reads the event's data as sent.
	changeListenData = "cop.listen-data"
	// changeRunReturn: run.return all and none shape a child's result (all
	// used to be read as stdout).
	changeRunReturn = "cop.run-return"
	// changeCatchInput: tasks in catch.do see their own $input.
	changeCatchInput = "cop.catch-input"
	// changeNestedContinue: an instance continues as new between the
	// tasks of nested lists too, not only of the top-level one.
	changeNestedContinue = "cop.nested-continue"
	// changeTraceSink: finished trace entries are handed to the
	// platform in an activity (trace.go).
	changeTraceSink = "cop.trace-sink"
	// changeEventBuffer: buffered events past MaxBufferedEvents,
	// MaxBufferedBytes or BufferedEventTTL are dropped.
	changeEventBuffer = "cop.event-buffer"
	// changeListenRoute: a tracked instance tells the platform when it
	// begins and ends waiting in a listen, so events sent to COP are
	// routed to it (COP's own correlation).
	changeListenRoute = "cop.listen-route"
	// changeLocalPlatform: the platform's own writes and reads (tasks,
	// notifications, reference data, events, listens, the end) run as
	// local activities (call.go).
	changeLocalPlatform = "cop.local-platform"
)

// changeIDs are the change IDs in the order they were made. The replay
// corpus keeps one era of recordings for each change it was recorded at
// (testdata/histories/<change ID>), and must have one for the newest, the
// last here: add a new change here and record its era.
var changeIDs = []string{changeReportEnd, changeWithdrawTask, changeChildIDs, changeRealWaits, changeYield,
	changeAttemptDuration, changeListenData, changeRunReturn, changeCatchInput, changeNestedContinue,
	changeTraceSink, changeEventBuffer, changeListenRoute, changeLocalPlatform}

// reportEnd tells the platform how a tracked instance ended, so its
// instance row, lists and open tasks follow. It runs even when the
// instance was cancelled; a failure to report is logged, not fatal: the
// API reads the outcome from Temporal when a row lags.
func (r *run) reportEnd(ctx workflow.Context, status string, out any, rerr *workflows.RuntimeError) {
	if !r.start.Tracked || workflow.GetVersion(ctx, changeReportEnd, workflow.DefaultVersion, 1) < 1 {
		return
	}
	dctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	end := InstanceEnd{Instance: workflow.GetInfo(ctx).WorkflowExecution.ID, Status: status, Output: out, Error: rerr, At: workflow.Now(ctx), Trace: r.trace}
	if checkPayload("the end report", end) != nil {
		end.Output = nil // too large to send: the API reads it from Temporal
	}
	if err := r.activity(dctx, activityInstanceEnded, nil, end, nil); err != nil {
		workflow.GetLogger(ctx).Warn("could not report the instance's end", "error", err)
	}
}

type run struct {
	wf      *workflows.Workflow
	start   *Start
	exprs   *workflows.Exprs
	context any
	// root is the workflow's context, through which any code of the run
	// reads the workflow task it runs in (GetCurrentHistoryLength).
	root     workflow.Context
	workflow map[string]any
	// trace holds the entries not yet handed to the platform (trace.go).
	trace    []TraceEntry
	traceSeq int
	flushing bool
	// steps counts tasks run since the last real wait (changeRealWaits);
	// legacySteps since any wait, as before that change; runSteps in
	// this run.
	steps, legacySteps, runSteps int
	// meter totals the jq operations spent since the run last yielded or
	// entered the workflow task whose WorkflowTaskStarted event is wft;
	// opsAtWait is its Total at the last real wait.
	meter     workflows.Meter
	wft       int
	opsAtWait int64
	events    []BufferedEvent
	eventsIn  workflow.ReceiveChannel
	defs      map[string]any
	tasks     *taskInbox
	startedAt time.Time
	// deadline is when the workflow's timeout fires, once known.
	deadline *time.Time
	children int // children started, numbering their ids
	waits    int // listens begun in this run, naming their activations
	// frames are what is left of the path a resumed run re-enters.
	frames []Frame
	// visits counts the calls made at each position, for their
	// Idempotency-Keys; a try's retry runs its calls again under the
	// same counts.
	visits map[string]int
}

func newRun(ctx workflow.Context, wf *workflows.Workflow, start *Start) *run {
	r := &run{wf: wf, start: start, exprs: &workflows.Exprs{}, context: map[string]any{}, defs: map[string]any{}, root: ctx, visits: map[string]int{}}
	r.meter.Limit = MaxSegmentOps
	r.exprs.Meter = &r.meter
	r.startedAt = workflow.Now(ctx)
	rawInput := start.Input
	if res := start.Resume; res != nil {
		r.resumeFrom(res)
		rawInput = res.RawInput
	}
	var definition any
	_ = json.Unmarshal(start.Definition, &definition)
	r.workflow = map[string]any{
		"id":         workflow.GetInfo(ctx).WorkflowExecution.ID,
		"definition": definition,
		"input":      rawInput,
		"startedAt":  dateTime(r.startedAt),
	}
	r.eventsIn = workflow.GetSignalChannel(ctx, SignalEvent)
	r.tasks = newTaskInbox(ctx, r)
	_ = workflow.SetQueryHandler(ctx, QueryTrace, func() ([]TraceEntry, error) { return r.trace, nil })
	return r
}

// main runs the workflow: input, the top-level do list, output.
func (r *run) main(ctx workflow.Context) (any, error) {
	if r.wf.Timeout != nil {
		var d time.Duration
		if r.deadline != nil {
			d = r.deadline.Sub(workflow.Now(ctx)) // carried across continue-as-new
		} else {
			// A timeout written as an expression sees the workflow's raw input.
			var err error
			if d, err = r.timeoutOf(r.wf.Timeout, r.workflow["input"], r.vars(nil, nil)); err != nil {
				return nil, err
			}
			at := workflow.Now(ctx).Add(d)
			r.deadline = &at
		}
		var out any
		err := r.withTimeout(ctx, d, "/", func(ctx workflow.Context) error {
			var err error
			out, err = r.body(ctx)
			return err
		})
		return out, err
	}
	return r.body(ctx)
}

func (r *run) body(ctx workflow.Context) (any, error) {
	var data any
	if r.start.Resume == nil {
		in, err := r.workflowInput()
		if err != nil {
			return nil, err
		}
		data = in
	}
	out, _, err := r.runList(ctx, r.wf.Do, "/do", data, nil)
	if err != nil {
		return nil, err
	}
	return r.workflowOutput(out)
}

func (r *run) workflowInput() (any, error) {
	in := r.start.Input
	if r.wf.Input == nil {
		return in, nil
	}
	if err := validateData(r.wf.Input.Schema, in, "/input/schema", "workflow input"); err != nil {
		return nil, err
	}
	if r.wf.Input.From == nil {
		return in, nil
	}
	return r.eval(r.wf.Input.From, in, r.vars(nil, nil), "/input/from", true)
}

func (r *run) workflowOutput(out any) (any, error) {
	if r.wf.Output == nil {
		return out, nil
	}
	if r.wf.Output.As != nil {
		var err error
		if out, err = r.eval(r.wf.Output.As, out, r.vars(nil, nil), "/output/as", true); err != nil {
			return nil, err
		}
	}
	if err := validateData(r.wf.Output.Schema, out, "/output/schema", "workflow output"); err != nil {
		return nil, err
	}
	return out, nil
}

// vars assembles the runtime expression arguments.
func (r *run) vars(task map[string]any, scope workflows.Vars) workflows.Vars {
	v := workflows.Vars{
		"context": r.context, "workflow": r.workflow, "runtime": runtimeInfo,
		"secrets": map[string]any{}, "authorization": nil, "task": task,
	}
	for k, val := range scope {
		v[k] = val
	}
	return v
}

// eval evaluates v: always an expression when always is set (if, when,
// output.as, …), else only `${ }` strings inside it.
func (r *run) eval(v any, input any, vars workflows.Vars, ptr string, always bool) (any, error) {
	r.tick()
	var out any
	var err error
	if always {
		out, err = r.exprs.Run(v, input, vars)
	} else {
		out, err = r.exprs.Evaluate(v, input, vars)
	}
	if err != nil {
		return nil, exprFailure(err, ptr)
	}
	return out, nil
}

// translated is the text at ptr in each language the workflow translates
// it into, evaluated as its English is.
func (r *run) translated(ptr string, in any, vars workflows.Vars) (map[string]string, error) {
	all := r.wf.Translations()
	var out map[string]string
	for _, l := range slices.Sorted(maps.Keys(all)) {
		v, ok := all[l][ptr]
		if !ok {
			continue
		}
		got, err := r.eval(v, in, vars, "/document/metadata/translations/"+l+"/"+workflows.EscapeToken(ptr), false)
		if err != nil {
			return nil, err
		}
		if s, ok := got.(string); ok && s != "" {
			if out == nil {
				out = map[string]string{}
			}
			out[l] = s
		}
	}
	return out, nil
}

// exprFailure is how a failed evaluation faults: an expression error at
// ptr, or a runaway when the workflow task's work budget ran out.
func exprFailure(err error, ptr string) error {
	if errors.Is(err, workflows.ErrWorkBudget) {
		return &errRunaway{ptr: ptr, work: true}
	}
	e := workflows.NewError(workflows.ErrExpression, "Expression failed", "%v", err)
	e.Instance = ptr
	return e
}

// runList runs a task list (from where a resumed run stopped in it) and
// returns its output and whether a task ended the workflow (then: end).
func (r *run) runList(ctx workflow.Context, list workflows.TaskList, ptr string, input any, scope workflows.Vars) (any, bool, error) {
	cur, i := input, 0
	if f := r.resumeFrame(frameList); f != nil {
		cur, i = f.Data, f.Index
	}
	top := ptr == "/do" && scope == nil
	for i < len(list) {
		if r.continueHere(ctx, top) {
			return nil, false, &errContinue{frames: []Frame{{Kind: frameList, Index: i, Data: cur}}}
		}
		nt := list[i]
		out, then, err := r.runTask(ctx, nt, ptr+"/"+strconv.Itoa(i)+"/"+workflows.EscapeToken(nt.Name), cur, scope)
		if err != nil {
			return nil, false, stopped(err, Frame{Kind: frameList, Index: i, Data: cur})
		}
		cur = out
		switch then {
		case "", "continue":
			i++
		case "exit":
			return cur, false, nil
		case "end":
			return cur, true, nil
		default:
			i = list.Index(then)
			if i < 0 {
				return nil, false, workflows.NewError(workflows.ErrConfiguration, "Unknown flow target", "then %q names no task in this list", then)
			}
		}
	}
	return cur, false, nil
}

// errRunaway faults an instance that loops without waiting, or whose
// expressions did more work than a workflow task may; try/catch cannot
// catch it.
type errRunaway struct {
	ptr  string
	work bool
}

func (e *errRunaway) Error() string {
	if e.work {
		return fmt.Sprintf("the instance's expressions spent more than the %d jq operations one task may spend at a time, or the %d the instance may spend without waiting on anything; the last task was %s: check for a loop with no exit, or one over too much data", MaxSegmentOps, MaxOpsWithoutWaiting, e.ptr)
	}
	return fmt.Sprintf("%d tasks ran without waiting on anything (an activity, an event, an officer or a timer that let time pass); the last was %s: check the then jumps and retries for a loop with no exit", MaxStepsWithoutWaiting, e.ptr)
}

// historyLen identifies the workflow task the run is in: its
// WorkflowTaskStarted event's id, the same on replay.
func (r *run) historyLen() int {
	return workflow.GetInfo(r.root).GetCurrentHistoryLength()
}

// tick starts the counts of a new workflow task.
func (r *run) tick() {
	if h := r.historyLen(); h != r.wft {
		r.wft, r.meter.Used = h, 0
	}
}

// waited resets the step count after a wait that began in workflow task
// before, if the run has moved on to another: time passed or something
// arrived. A wait that returned at once leaves the count as it was.
// waiting is called as the run is about to wait: it hands the trace
// over beside the wait, and returns the workflow task the wait begins
// in, for waited.
func (r *run) waiting(ctx workflow.Context) int {
	r.flushTrace(ctx, flushBesideWait)
	return r.historyLen()
}

func (r *run) waited(before int) {
	r.legacySteps = 0
	if r.historyLen() != before {
		r.steps, r.opsAtWait = 0, r.meter.Total
	}
}

// step counts one task against the runaway guard and, when the workflow
// task has done much work, lets it end before the task runs. A task a
// resumed run re-enters is not a new one for ContinueEvery.
func (r *run) step(ctx workflow.Context, ptr string, reentered bool) error {
	r.tick()
	r.flushTrace(ctx, flushOverCap)
	r.steps++
	r.legacySteps++
	if !reentered {
		r.runSteps++
	}
	overSteps := r.steps > MaxStepsWithoutWaiting
	if overSteps || r.meter.Total-r.opsAtWait > MaxOpsWithoutWaiting {
		// Instances that ran before changeRealWaits counted any wait and
		// no operations; they replay as they ran.
		legacyOK := r.legacySteps <= MaxStepsWithoutWaiting
		if legacyOK && workflow.GetVersion(ctx, changeRealWaits, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
			return nil
		}
		return &errRunaway{ptr: ptr, work: !overSteps}
	}
	if r.meter.Used > YieldOps && workflow.GetVersion(ctx, changeYield, workflow.DefaultVersion, 1) >= 1 {
		lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 10 * time.Second})
		if err := workflow.ExecuteLocalActivity(lctx, yieldTurn).Get(ctx, nil); err != nil {
			return err
		}
		r.tick()
		r.meter.Used = 0
	}
	return nil
}

// yieldTurn does nothing: waiting on it ends the workflow coroutine's turn.
func yieldTurn(context.Context) error { return nil }

// runTask runs one task through the DSL's data flow: if, input, the task,
// output, export, then. A resumed run re-enters the task it stopped in
// without running if and input again.
func (r *run) runTask(ctx workflow.Context, nt *workflows.NamedTask, ptr string, raw any, scope workflows.Vars) (any, string, error) {
	if ctx.Err() != nil {
		return nil, "", temporal.NewCanceledError()
	}
	resumed := r.resumeFrame(frameTask)
	if err := r.step(ctx, ptr, resumed != nil); err != nil {
		return nil, "", err
	}
	t := nt.Task
	// The trace lists tasks in the order they started; each entry is
	// completed when its task ends.
	var startedAt time.Time
	var seq int
	if resumed != nil {
		raw, startedAt, seq = resumed.Raw, resumed.StartedAt, resumed.Seq
	} else {
		startedAt = workflow.Now(ctx)
		seq = r.startTrace(nt.Name, ptr, startedAt)
	}
	desc := map[string]any{"name": nt.Name, "reference": ptr, "definition": r.definition(ptr, t), "input": raw, "startedAt": dateTime(startedAt)}
	finish := func(status string) { r.finishTrace(seq, status, workflow.Now(ctx)) }
	if t.If != "" && resumed == nil {
		ok, err := r.eval(t.If, raw, r.vars(desc, withInput(scope, raw)), ptr+"/if", true)
		if err != nil {
			finish("faulted")
			return nil, "", err
		}
		if !truthy(ok) {
			finish("skipped")
			return raw, "continue", nil
		}
	}
	out, then, err := r.dataFlow(ctx, t, ptr, raw, desc, scope, resumed, Frame{Kind: frameTask, Raw: raw, StartedAt: startedAt, Seq: seq})
	if err != nil {
		switch {
		case isContinue(err):
			return nil, "", err // still running, in the next run
		case temporal.IsCanceledError(err):
			finish("cancelled")
		default:
			finish("faulted")
		}
		return nil, "", asRuntimeError(err, ptr)
	}
	finish("completed")
	if then == "" {
		then = t.Then
	}
	return out, then, nil
}

func (r *run) dataFlow(ctx workflow.Context, t *workflows.Task, ptr string, raw any, desc map[string]any, scope workflows.Vars, resumed *Frame, here Frame) (any, string, error) {
	in := raw
	if resumed != nil {
		in = resumed.Data
	} else if t.Input != nil {
		if err := validateData(t.Input.Schema, raw, ptr+"/input/schema", "task input"); err != nil {
			return nil, "", err
		}
		if t.Input.From != nil {
			var err error
			if in, err = r.eval(t.Input.From, raw, r.vars(desc, scope), ptr+"/input/from", true); err != nil {
				return nil, "", err
			}
		}
	}
	here.Data = in
	vars := r.vars(desc, withInput(scope, in))
	var out any
	var then string
	body := func(ctx workflow.Context) error {
		var err error
		out, then, err = r.execute(ctx, t, ptr, in, vars, scope)
		return err
	}
	if t.Timeout != nil {
		var d time.Duration
		if resumed != nil && resumed.Deadline != nil {
			d = resumed.Deadline.Sub(workflow.Now(ctx))
		} else {
			var err error
			if d, err = r.timeoutOf(t.Timeout, in, vars); err != nil {
				return nil, "", err
			}
		}
		at := workflow.Now(ctx).Add(d)
		here.Deadline = &at
		if err := r.withTimeout(ctx, d, ptr, body); err != nil {
			return nil, "", stopped(err, here)
		}
	} else if err := body(ctx); err != nil {
		return nil, "", stopped(err, here)
	}
	desc["output"] = out
	if t.Output != nil {
		if t.Output.As != nil {
			var err error
			if out, err = r.eval(t.Output.As, out, vars, ptr+"/output/as", true); err != nil {
				return nil, "", err
			}
		}
		if err := validateData(t.Output.Schema, out, ptr+"/output/schema", "task output"); err != nil {
			return nil, "", err
		}
	}
	if t.Export != nil && t.Export.As != nil {
		ev := r.vars(desc, withInput(scope, in))
		ev["output"] = out
		ctxVal, err := r.eval(t.Export.As, out, ev, ptr+"/export/as", true)
		if err != nil {
			return nil, "", err
		}
		if err := validateData(t.Export.Schema, ctxVal, ptr+"/export/schema", "exported context"); err != nil {
			return nil, "", err
		}
		r.context = ctxVal
	}
	return out, then, nil
}

// definition returns the task's definition as expressions see it
// ($task.definition), decoded once per position.
func (r *run) definition(ptr string, t *workflows.Task) any {
	if d, ok := r.defs[ptr]; ok {
		return d
	}
	var d any
	if b, err := json.Marshal(t); err == nil {
		_ = json.Unmarshal(b, &d)
	}
	r.defs[ptr] = d
	return d
}

func (r *run) timeoutOf(ref *workflows.TimeoutRef, input any, vars workflows.Vars) (time.Duration, error) {
	t := ref.Inline
	if t == nil {
		t = r.use().Timeouts[ref.Name]
	}
	if t == nil {
		return 0, workflows.NewError(workflows.ErrConfiguration, "Unknown timeout", "timeout %q is not defined in use.timeouts", ref.Name)
	}
	return r.duration(&t.After, input, vars)
}

func (r *run) use() *workflows.Use {
	if r.wf.Use == nil {
		return &workflows.Use{}
	}
	return r.wf.Use
}

// duration resolves a DSL duration, evaluating it when it is an expression.
func (r *run) duration(d *workflows.Duration, input any, vars workflows.Vars) (time.Duration, error) {
	if d.Expr == "" {
		v, err := d.Static()
		if err != nil {
			return 0, workflows.NewError(workflows.ErrConfiguration, "Invalid duration", "%v", err)
		}
		return v, nil
	}
	r.tick()
	v, err := r.exprs.Run(d.Expr, input, vars)
	if err != nil {
		return 0, exprFailure(err, "")
	}
	out, err := workflows.ParseDuration(v)
	if err != nil {
		return 0, workflows.NewError(workflows.ErrExpression, "Invalid duration", "%v", err)
	}
	return out, nil
}

// withTimeout runs fn and raises a timeout error if it has not finished
// after d; fn's context is cancelled so what it waits on stops.
func (r *run) withTimeout(ctx workflow.Context, d time.Duration, ptr string, fn func(workflow.Context) error) error {
	if d <= 0 {
		// The time ran out across a continue-as-new: what fn would have
		// resumed is given up.
		r.dropFrames()
		e := workflows.NewError(workflows.ErrTimeout, "Timed out", "did not finish in time")
		e.Instance = ptr
		return e
	}
	child, cancel := workflow.WithCancel(ctx)
	defer cancel()
	done := workflow.NewChannel(ctx)
	var ferr error
	workflow.Go(child, func(c workflow.Context) {
		ferr = fn(c)
		done.Send(c, true)
	})
	timerCtx, cancelTimer := workflow.WithCancel(ctx)
	timer := workflow.NewTimer(timerCtx, d)
	timedOut := false
	before := r.historyLen()
	sel := workflow.NewSelector(ctx)
	sel.AddReceive(done, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
	sel.AddFuture(timer, func(workflow.Future) { timedOut = true })
	sel.Select(ctx)
	r.waited(before)
	if timedOut {
		cancel()
		e := workflows.NewError(workflows.ErrTimeout, "Timed out", "did not finish within %s", workflows.FormatISO(d))
		e.Instance = ptr
		return e
	}
	cancelTimer()
	return ferr
}

func withInput(scope workflows.Vars, in any) workflows.Vars {
	out := workflows.Vars{"input": in}
	for k, v := range scope {
		out[k] = v
	}
	return out
}

// asRuntimeError turns any failure into the DSL's error object, located at
// ptr unless it already says where it happened.
func asRuntimeError(err error, ptr string) error {
	if err == nil {
		return nil
	}
	var run *errRunaway
	var can *workflow.ContinueAsNewError
	if errors.As(err, &run) || errors.As(err, &can) || isContinue(err) || temporal.IsCanceledError(err) {
		return err
	}
	var re *workflows.RuntimeError
	if errors.As(err, &re) {
		if re.Instance == "" {
			re.Instance = ptr
		}
		return re
	}
	if e := fromActivityError(err); e != nil {
		if e.Instance == "" {
			e.Instance = ptr
		}
		return e
	}
	e := workflows.NewError(workflows.ErrRuntime, "Runtime error", "%v", err)
	e.Instance = ptr
	return e
}

// fromActivityError recovers the DSL error an activity returned.
func fromActivityError(err error) *workflows.RuntimeError {
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.Type() == FaultType && app.HasDetails() {
		var re workflows.RuntimeError
		if app.Details(&re) == nil && re.Type != "" {
			return &re
		}
	}
	var to *temporal.TimeoutError
	if errors.As(err, &to) {
		return workflows.NewError(workflows.ErrTimeout, "Timed out", "%v", err)
	}
	return nil
}

func truthy(v any) bool { return v != nil && v != false }

func dateTime(t time.Time) map[string]any {
	return map[string]any{
		"iso8601": t.UTC().Format(time.RFC3339Nano),
		"epoch":   map[string]any{"seconds": t.Unix(), "milliseconds": t.UnixMilli()},
	}
}
