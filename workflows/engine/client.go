package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"cop/workflows"
)

// Outcome is how an instance ended, in the shape `cop workflows run --json`
// prints and GET /api/v1/instances/{id} returns.
type Outcome struct {
	Status string                  `json:"status"` // running, completed, faulted, cancelled
	Output any                     `json:"output"`
	Error  *workflows.RuntimeError `json:"error"`
	Trace  []TraceEntry            `json:"trace"`
}

// Status values of an instance.
const (
	StatusRunning   = "running"
	StatusCompleted = "completed"
	StatusFaulted   = "faulted"
	StatusCancelled = "cancelled"
)

// DraftPrefix begins the id of a draft run, and so of its sub-workflows,
// whose ids begin with their parent's.
const DraftPrefix = "draft-"

// IsDraft says whether an instance (or a sub-workflow's) id is a draft run's.
func IsDraft(instance string) bool { return strings.HasPrefix(instance, DraftPrefix) }

// StartOptions start an instance.
type StartOptions struct {
	ID        string
	TaskQueue string
	Start     Start
	Namespace string // the definition's document.namespace
	Name      string
}

// StartInstance starts the interpreter on a definition.
func StartInstance(ctx context.Context, c client.Client, o StartOptions) (client.WorkflowRun, error) {
	opts := client.StartWorkflowOptions{
		ID:                       o.ID,
		TaskQueue:                o.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		// The first workflow task comes back with the start, to this
		// process's worker when it has one with a free slot, skipping a
		// trip through Temporal's matching service; elsewhere it is
		// dispatched as usual.
		EnableEagerStart: true,
	}
	run, err := c.ExecuteWorkflow(ctx, opts, WorkflowType(o.Namespace, o.Name), o.Start)
	if err != nil {
		return nil, fmt.Errorf("start %s/%s: %w", o.Namespace, o.Name, err)
	}
	return run, nil
}

// OutcomeOf reads how a finished run ended; err is the run's Get error.
func OutcomeOf(res *Result, err error) *Outcome {
	if err == nil {
		if res == nil {
			res = &Result{}
		}
		return &Outcome{Status: StatusCompleted, Output: res.Output, Trace: nonNil(res.Trace)}
	}
	var can *temporal.CanceledError
	if errors.As(err, &can) {
		return &Outcome{Status: StatusCancelled, Trace: []TraceEntry{}}
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.Type() == FaultType {
		var f Fault
		if app.HasDetails() && app.Details(&f) == nil && f.Error != nil {
			return &Outcome{Status: StatusFaulted, Error: f.Error, Trace: nonNil(f.Trace)}
		}
		e := workflows.NewError(workflows.ErrRuntime, "Instance failed", "%s", app.Message())
		return &Outcome{Status: StatusFaulted, Error: e, Trace: []TraceEntry{}}
	}
	var term *temporal.TerminatedError
	if errors.As(err, &term) {
		// Temporal terminates an instance whose message it refuses (a
		// payload over its limit), and operators may terminate one: either
		// way it did not finish, so it is faulted, not cancelled.
		return &Outcome{Status: StatusFaulted, Error: workflows.NewError(workflows.ErrRuntime, "Terminated", "the instance was terminated"), Trace: []TraceEntry{}}
	}
	return &Outcome{Status: StatusFaulted, Error: workflows.NewError(workflows.ErrRuntime, "Instance failed", "%v", err), Trace: []TraceEntry{}}
}

func nonNil(t []TraceEntry) []TraceEntry {
	if t == nil {
		return []TraceEntry{}
	}
	return t
}

// TerminationReason says why Temporal (or an operator) terminated an
// instance, from its history's last event.
func TerminationReason(ctx context.Context, c client.Client, instance string) string {
	it := c.GetWorkflowHistory(ctx, instance, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			break
		}
		if a := ev.GetWorkflowExecutionTerminatedEventAttributes(); a != nil {
			if a.GetReason() == "" {
				return "the instance was terminated, with no reason given"
			}
			return "the instance was terminated: " + a.GetReason()
		}
	}
	return "the instance was terminated"
}

// History is what an operator reads of an instance's current run in
// Temporal's history: what it started with, and the CloudEvents it
// received. A retry's reset carries the events received before it into
// the new run, so the current run's history has them all (those before a
// continue-as-new are in the earlier run's).
type History struct {
	Start  Start
	Events []ReceivedEvent
}

// ReceivedEvent is a CloudEvent an instance was sent (SignalEvent): when
// it arrived, who sent it to the instance (COP's event router, or the
// client that called the instance's events endpoint), and the event.
type ReceivedEvent struct {
	At       time.Time
	Identity string
	Event    map[string]any
}

// HistoryOf reads the instance's current run's history.
func HistoryOf(ctx context.Context, c client.Client, instance string) (History, error) {
	it := c.GetWorkflowHistory(ctx, instance, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var h History
	first := true
	for ; it.HasNext(); first = false {
		ev, err := it.Next()
		if err != nil {
			return History{}, fmt.Errorf("read the history of %s: %w", instance, err)
		}
		if first {
			a := ev.GetWorkflowExecutionStartedEventAttributes()
			if a == nil {
				return History{}, fmt.Errorf("the history of %s does not begin with its start", instance)
			}
			if err := converter.GetDefaultDataConverter().FromPayloads(a.GetInput(), &h.Start); err != nil {
				return History{}, fmt.Errorf("read the start of %s: %w", instance, err)
			}
			continue
		}
		a := ev.GetWorkflowExecutionSignaledEventAttributes()
		if a == nil || a.GetSignalName() != SignalEvent {
			continue
		}
		got := ReceivedEvent{At: ev.GetEventTime().AsTime(), Identity: a.GetIdentity()}
		if err := converter.GetDefaultDataConverter().FromPayloads(a.GetInput(), &got.Event); err != nil {
			return History{}, fmt.Errorf("read event %d of %s: %w", ev.GetEventId(), instance, err)
		}
		h.Events = append(h.Events, got)
	}
	if first {
		return History{}, fmt.Errorf("instance %s has no history", instance)
	}
	return h, nil
}

// SendEvent delivers a CloudEvent to a running instance.
func SendEvent(ctx context.Context, c client.Client, instance string, event map[string]any) error {
	return c.SignalWorkflow(ctx, instance, "", SignalEvent, event)
}

// RouterIdentity names COP's event router in the histories of the
// instances it hands events to.
const RouterIdentity = "cop-event-router"

// SendEventOnce delivers a CloudEvent to a running instance once per
// requestID: Temporal drops a signal whose request id the run has already
// had, so a sender that retries after a crash (signalled, then died
// before noting it) does not hand the instance the event twice.
func SendEventOnce(ctx context.Context, c client.Client, namespace, instance, requestID string, event map[string]any) error {
	input, err := converter.GetDefaultDataConverter().ToPayloads(event)
	if err != nil {
		return fmt.Errorf("encode event for %s: %w", instance, err)
	}
	_, err = c.WorkflowService().SignalWorkflowExecution(ctx, &workflowservice.SignalWorkflowExecutionRequest{
		Namespace:         namespace,
		WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: instance},
		SignalName:        SignalEvent,
		Input:             input,
		Identity:          RouterIdentity,
		RequestId:         requestID,
	})
	return err
}

// ActOnTask sends a task action through the instance's Update; a refused
// action comes back as *TaskActionError. updateID names the request:
// Temporal applies an Update once per id, so a retry of the same request
// (a double click, a client retrying after a timeout) gets the first
// one's outcome instead of acting twice. Empty lets the SDK pick one.
func ActOnTask(ctx context.Context, c client.Client, instance, updateID string, a TaskAction) (string, error) {
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		UpdateID:   updateID,
		WorkflowID: instance, UpdateName: UpdateTask, Args: []any{a},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return "", taskError(err)
	}
	var out string
	if err := h.Get(ctx, &out); err != nil {
		return "", taskError(err)
	}
	return out, nil
}

// taskError recovers a validator's refusal from Temporal's error wrapping.
// An update Temporal cannot deliver because the instance has ended, or
// ends before the update is taken (a second complete sent with the first,
// whose instance then runs to its end in the same workflow task), is
// refused as gone, as the validator refuses an action on a done task.
func taskError(err error) error {
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return &TaskActionError{Code: "gone", Message: "the task is no longer open: its instance has ended"}
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		msg := app.Message()
		for _, code := range []string{"gone", "forbidden", "conflict", "invalid"} {
			if rest, ok := strings.CutPrefix(msg, code+": "); ok {
				return &TaskActionError{Code: code, Message: rest}
			}
		}
	}
	return err
}

// Resume after a fault: an operator's retry resets the instance's failed
// run to the workflow task that scheduled the call that failed, so the
// new run replays every task that completed (their calls are not made
// again) and makes the failed call again, with its Idempotency-Key
// unchanged (callKey). A fault in the workflow itself (an expression)
// has no failed call: the run is reset to its last workflow task and
// faults again unless what it reads has changed.

// ErrNotRetryable says an instance's run did not fault: there is nothing
// to resume.
var ErrNotRetryable = errors.New("the instance's run did not fault")

// Retry resets instance's current run, which must have failed (or been
// terminated or timed out), to where it faulted, and returns the new
// run's id. requestID makes a repeated request reset once.
func Retry(ctx context.Context, c client.Client, namespace, instance, reason, requestID string) (string, error) {
	desc, err := c.DescribeWorkflowExecution(ctx, instance, "")
	if err != nil {
		return "", fmt.Errorf("describe instance %s: %w", instance, err)
	}
	info := desc.GetWorkflowExecutionInfo()
	switch info.GetStatus() {
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
	default:
		return "", ErrNotRetryable
	}
	runID := info.GetExecution().GetRunId()
	point, err := resetPoint(ctx, c, instance, runID)
	if err != nil {
		return "", err
	}
	resp, err := c.ResetWorkflowExecution(ctx, &workflowservice.ResetWorkflowExecutionRequest{
		Namespace:                 namespace,
		WorkflowExecution:         &commonpb.WorkflowExecution{WorkflowId: instance, RunId: runID},
		Reason:                    reason,
		WorkflowTaskFinishEventId: point,
		RequestId:                 requestID,
	})
	if err != nil {
		return "", fmt.Errorf("reset instance %s: %w", instance, err)
	}
	return resp.GetRunId(), nil
}

// resetPoint is the workflow task to reset a failed run to: the one that
// scheduled its last failed or timed-out activity, else its last
// completed workflow task.
func resetPoint(ctx context.Context, c client.Client, instance, runID string) (int64, error) {
	scheduledBy := map[int64]int64{} // activity scheduled event → the workflow task that scheduled it
	var failedActivity, lastTask int64
	it := c.GetWorkflowHistory(ctx, instance, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return 0, fmt.Errorf("read the history of %s: %w", instance, err)
		}
		switch {
		case ev.GetWorkflowTaskCompletedEventAttributes() != nil:
			lastTask = ev.GetEventId()
		case ev.GetActivityTaskScheduledEventAttributes() != nil:
			scheduledBy[ev.GetEventId()] = ev.GetActivityTaskScheduledEventAttributes().GetWorkflowTaskCompletedEventId()
		case ev.GetActivityTaskFailedEventAttributes() != nil:
			failedActivity = ev.GetActivityTaskFailedEventAttributes().GetScheduledEventId()
		case ev.GetActivityTaskTimedOutEventAttributes() != nil:
			failedActivity = ev.GetActivityTaskTimedOutEventAttributes().GetScheduledEventId()
		}
	}
	if task := scheduledBy[failedActivity]; task > 0 {
		return task, nil
	}
	if lastTask == 0 {
		return 0, fmt.Errorf("instance %s never completed a workflow task: start it again instead", instance)
	}
	return lastTask, nil
}
