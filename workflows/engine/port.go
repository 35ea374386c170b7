package engine

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"cop/workflows"
)

// Platform is what the interpreter needs from COP beyond Temporal: the
// inbox, notifications, reference data and the event log. The platform
// implements it over PostgreSQL; `cop workflows run` over memory.
type Platform interface {
	CreateTask(ctx context.Context, t TaskRequest) error
	TaskChanged(ctx context.Context, c TaskChange) error
	Notify(ctx context.Context, n Notification) error
	Lookup(ctx context.Context, l LookupRequest) (any, error)
	Emit(ctx context.Context, e EmitRequest) error
	InstanceEnded(ctx context.Context, e InstanceEnd) error
	// RecordTrace stores trace entries an instance hands over (trace.go).
	RecordTrace(ctx context.Context, t TraceRecord) error
	// ListenStarted records that an instance waits in a listen, so events
	// sent to COP find it, and sends it the events kept for it (sent
	// before it began to wait) that it takes. ListenEnded forgets it.
	ListenStarted(ctx context.Context, l ListenRequest) error
	ListenEnded(ctx context.Context, l ListenEnd) error
}

// ListenRequest is an instance beginning to wait in a listen task.
// Activation names this wait: one per time the task runs.
type ListenRequest struct {
	Instance   string `json:"instance"`
	Activation string `json:"activation"`
	Position   string `json:"position"`
	workflows.Waiting
}

// ListenEnd is the end of a listen's wait, however it ended.
type ListenEnd struct {
	Instance   string `json:"instance"`
	Activation string `json:"activation"`
}

// InstanceEnd is how a tracked instance ended.
type InstanceEnd struct {
	Instance string                  `json:"instance"`
	Status   string                  `json:"status"`
	Output   any                     `json:"output,omitempty"`
	Error    *workflows.RuntimeError `json:"error,omitempty"`
	At       time.Time               `json:"at"`
	// Trace is the trace the instance had not yet handed over.
	Trace []TraceEntry `json:"trace,omitempty"`
}

// TaskRequest creates an inbox task for a userTask call.
type TaskRequest struct {
	ID          string `json:"id"`
	Instance    string `json:"instance"`
	Position    string `json:"position"`
	CaseKey     string `json:"caseKey,omitempty"`
	Form        string `json:"form"`
	FormVersion string `json:"formVersion"`
	Title       string `json:"title"`
	// Titles are the title in other languages, by language ("cy").
	Titles          map[string]string `json:"titles,omitempty"`
	CandidateGroups []string          `json:"candidateGroups,omitempty"`
	Assignee        string            `json:"assignee,omitempty"`
	Priority        int               `json:"priority"`
	Reason          string            `json:"reason,omitempty"`
	Due             *time.Time        `json:"due,omitempty"`
	Input           any               `json:"input,omitempty"`
	CreatedAt       time.Time         `json:"createdAt"`
	// Show is what the task's page shows beside the form: nil, the case's
	// submissions; ["submission"], the one that started the instance; JSON
	// pointers, only those answers of it (the userTask's show).
	Show []string `json:"show,omitempty"`
	// Amends, on a task that returns the submission that started the
	// instance to its submitter (userTask amend: submission), is that
	// submission's id. Its form is the submission's form version, pinned
	// as AmendFormKey; completing it stores the answers as a new
	// submission, AmendmentID(ID), that corrects it.
	Amends string `json:"amends,omitempty"`
}

// AmendFormKey is where Start.Forms pins the form of the submission an
// amend task corrects.
func AmendFormKey(form, version string) string { return "amend:" + form + "@" + version }

// AmendmentID is the id of the submission an amend task's completion
// stores: derived from the task, so the instance knows it and a retried
// write stores it once.
func AmendmentID(taskID string) string {
	return uuid.NewSHA1(amendmentSpace, []byte(taskID)).String()
}

var amendmentSpace = uuid.MustParse("8a3c1f0e-6a0b-4d0e-9a59-0c0d0e0f1a2b")

// TaskChange records what happened to a task: claimed, released,
// reassigned, escalated, completed, cancelled.
type TaskChange struct {
	ID       string         `json:"id"`
	Kind     TaskChangeKind `json:"kind"`
	By       string         `json:"by,omitempty"`
	Assignee string         `json:"assignee,omitempty"`
	Priority int            `json:"priority,omitempty"`
	Data     any            `json:"data,omitempty"`
	At       time.Time      `json:"at"`
	// Action is the Update id of the officer's action that made the
	// change (empty for what the instance does by itself), so the inbox
	// can tell a retried request from a new one.
	Action string `json:"action,omitempty"`
}

// Notification is an in-app message (call: notify).
type Notification struct {
	ID       string   `json:"id"`
	Instance string   `json:"instance"`
	CaseKey  string   `json:"caseKey,omitempty"`
	To       []string `json:"to"`
	Title    string   `json:"title"`
	Body     string   `json:"body,omitempty"`
	// Translations are the title and body in other languages, by language.
	Translations map[string]NotificationText `json:"translations,omitempty"`
	Link         string                      `json:"link,omitempty"`
	// Channels are how it reaches its recipients (workflows.Channels);
	// none means inapp (an escalation, or a notification sent before
	// there were channels).
	Channels []string  `json:"channels,omitempty"`
	At       time.Time `json:"at"`
}

// NotificationText is a notification's words in one language.
type NotificationText struct {
	Title string `json:"title"`
	Body  string `json:"body,omitempty"`
}

// LookupRequest reads reference data (call: lookup).
type LookupRequest struct {
	RefData string `json:"refdata"`
	Key     string `json:"key,omitempty"`
	Filter  string `json:"filter,omitempty"`
	On      string `json:"on,omitempty"`
}

const (
	activityCreateTask    = "cop.task.create"
	activityTaskChanged   = "cop.task.changed"
	activityNotify        = "cop.notify"
	activityLookup        = "cop.lookup"
	activityInstanceEnded = "cop.instance.ended"
	activityListenStarted = "cop.listen.started"
	activityListenEnded   = "cop.listen.ended"

	// UpdateTask is the Temporal Update through which officers act on a
	// task: claim, release, complete, reassign.
	UpdateTask = "cop.task"
)

func (a *Activities) registerPlatform(r worker.Registry) {
	r.RegisterActivityWithOptions(a.CreateTask, activity.RegisterOptions{Name: activityCreateTask})
	r.RegisterActivityWithOptions(a.TaskChanged, activity.RegisterOptions{Name: activityTaskChanged})
	r.RegisterActivityWithOptions(a.Notify, activity.RegisterOptions{Name: activityNotify})
	r.RegisterActivityWithOptions(a.Lookup, activity.RegisterOptions{Name: activityLookup})
	r.RegisterActivityWithOptions(a.InstanceEnded, activity.RegisterOptions{Name: activityInstanceEnded})
	r.RegisterActivityWithOptions(a.RecordTrace, activity.RegisterOptions{Name: activityTrace})
	r.RegisterActivityWithOptions(a.ListenStarted, activity.RegisterOptions{Name: activityListenStarted})
	r.RegisterActivityWithOptions(a.ListenEnded, activity.RegisterOptions{Name: activityListenEnded})
}

// ListenStarted records a listen's wait.
func (a *Activities) ListenStarted(ctx context.Context, l ListenRequest) error {
	p, err := a.platform()
	if err != nil {
		return err
	}
	return p.ListenStarted(ctx, l)
}

// ListenEnded forgets a listen's wait.
func (a *Activities) ListenEnded(ctx context.Context, l ListenEnd) error {
	p, err := a.platform()
	if err != nil {
		return err
	}
	return p.ListenEnded(ctx, l)
}

func (a *Activities) platform() (Platform, error) {
	if a.Platform == nil {
		return nil, fault(workflows.NewError(workflows.ErrConfiguration, "No platform", "this worker has no platform for tasks, notifications and look-ups"))
	}
	return a.Platform, nil
}

// CreateTask stores an inbox task.
func (a *Activities) CreateTask(ctx context.Context, t TaskRequest) error {
	p, err := a.platform()
	if err != nil {
		return err
	}
	return p.CreateTask(ctx, t)
}

// TaskChanged records a change to an inbox task.
func (a *Activities) TaskChanged(ctx context.Context, c TaskChange) error {
	p, err := a.platform()
	if err != nil {
		return err
	}
	return p.TaskChanged(ctx, c)
}

// Notify sends an in-app notification.
func (a *Activities) Notify(ctx context.Context, n Notification) error {
	p, err := a.platform()
	if err != nil {
		return err
	}
	return p.Notify(ctx, n)
}

// InstanceEnded records how a tracked instance ended.
func (a *Activities) InstanceEnded(ctx context.Context, e InstanceEnd) error {
	p, err := a.platform()
	if err != nil {
		return err
	}
	return p.InstanceEnded(ctx, e)
}

// Lookup reads reference data.
func (a *Activities) Lookup(ctx context.Context, l LookupRequest) (any, error) {
	p, err := a.platform()
	if err != nil {
		return nil, err
	}
	out, err := p.Lookup(ctx, l)
	if err != nil {
		return nil, err
	}
	if err := checkResult("reference data "+l.RefData, out); err != nil {
		return nil, err
	}
	return out, nil
}

// notify sends an in-app notification; its output is the notification.
func (r *run) notify(ctx workflow.Context, with map[string]any, ptr string, in any, vars workflows.Vars) (any, error) {
	args, err := r.eval(with, in, vars, ptr+"/with", false)
	if err != nil {
		return nil, err
	}
	a, _ := args.(map[string]any)
	n := Notification{Instance: workflow.GetInfo(ctx).WorkflowExecution.ID, CaseKey: r.start.CaseKey, At: workflow.Now(ctx)}
	if n.To, err = entries(a["to"], workflows.IsRecipientEntry, "Invalid recipient", "notify's to takes user:SUB, team:NAME or role:NAME", ptr+"/with/to"); err != nil {
		return nil, err
	}
	n.To = r.sandboxTo(n.Instance, n.To)
	n.Title, _ = a["title"].(string)
	n.Body, _ = a["body"].(string)
	n.Link, _ = a["link"].(string)
	titles, err := r.translated(ptr+"/with/title", in, vars)
	if err != nil {
		return nil, err
	}
	bodies, err := r.translated(ptr+"/with/body", in, vars)
	if err != nil {
		return nil, err
	}
	for l, t := range titles {
		if n.Translations == nil {
			n.Translations = map[string]NotificationText{}
		}
		n.Translations[l] = NotificationText{Title: t, Body: cmp.Or(bodies[l], n.Body)}
	}
	n.Channels = []string{"inapp"}
	if list, ok := with["channels"].([]any); ok { // written out; the check refused anything else
		n.Channels = n.Channels[:0]
		for _, c := range list {
			n.Channels = append(n.Channels, fmt.Sprint(c))
		}
	}
	_ = workflow.SideEffect(ctx, func(workflow.Context) any { return newID() }).Get(&n.ID)
	if err := r.activity(ctx, activityNotify, nil, n, nil); err != nil {
		return nil, err
	}
	b, _ := json.Marshal(n)
	var out any
	_ = json.Unmarshal(b, &out)
	return out, nil
}

// lookup reads reference data through the platform.
func (r *run) lookup(ctx workflow.Context, with map[string]any, ptr string, in any, vars workflows.Vars) (any, error) {
	args, err := r.eval(map[string]any{"refdata": with["refdata"], "key": with["key"], "on": with["on"]}, in, vars, ptr+"/with", false)
	if err != nil {
		return nil, err
	}
	a, _ := args.(map[string]any)
	req := LookupRequest{Filter: fmt.Sprint(orEmpty(with["filter"]))}
	req.RefData, _ = a["refdata"].(string)
	req.Key = fmt.Sprint(orEmpty(a["key"]))
	req.On = fmt.Sprint(orEmpty(a["on"]))
	if req.On == "" {
		req.On = workflow.Now(ctx).UTC().Format("2006-01-02")
	}
	var items any
	if err := r.activity(ctx, activityLookup, nil, req, &items); err != nil {
		return nil, err
	}
	if req.Filter == "" {
		return items, nil
	}
	// The filter is a jq condition evaluated here, deterministically, on
	// each item the activity returned.
	var out []any
	for _, item := range asList(items) {
		ok, err := r.eval(req.Filter, item, r.vars(vars["task"].(map[string]any), workflows.Vars{"item": item, "input": in}), ptr+"/with/filter", true)
		if err != nil {
			return nil, err
		}
		if truthy(ok) {
			out = append(out, item)
		}
	}
	return out, nil
}

func orEmpty(v any) any {
	if v == nil {
		return ""
	}
	return v
}
