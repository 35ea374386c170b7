package engine

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"cop/forms"
	"cop/workflows"
)

// Caller is who acts on a task, as the API authenticated them.
type Caller struct {
	Sub   string   `json:"sub"`
	Name  string   `json:"name,omitempty"`
	Roles []string `json:"roles,omitempty"`
	Teams []string `json:"teams,omitempty"`
}

func (c Caller) has(kind, name string) bool {
	list := c.Roles
	if kind == "team" {
		list = c.Teams
	}
	for _, x := range list {
		if x == name {
			return true
		}
	}
	return false
}

// TaskVerb is what an officer does to a task through the Update.
type TaskVerb string

// The task verbs.
const (
	Claim    TaskVerb = "claim"
	Release  TaskVerb = "release"
	Complete TaskVerb = "complete"
	Reassign TaskVerb = "reassign"
)

// TaskVerbs are every verb, in the order the API lists them.
var TaskVerbs = []TaskVerb{Claim, Release, Complete, Reassign}

// TaskStatus is where a task is in its life.
type TaskStatus = string

// The task statuses.
const (
	TaskOpen      TaskStatus = "open"
	TaskCompleted TaskStatus = "completed"
	TaskCancelled TaskStatus = "cancelled"
)

// TaskChangeKind is what happened to a task, as the inbox records it.
type TaskChangeKind string

// The task changes.
const (
	TaskClaimed    TaskChangeKind = "claimed"
	TaskReleased   TaskChangeKind = "released"
	TaskReassigned TaskChangeKind = "reassigned"
	TaskEscalated  TaskChangeKind = "escalated"
	TaskDone       TaskChangeKind = "completed"
	TaskWithdrawn  TaskChangeKind = "cancelled"
)

// TaskAction is the Update's argument.
type TaskAction struct {
	TaskID string   `json:"taskId"`
	Action TaskVerb `json:"action"`
	Caller Caller   `json:"caller"`
	Data   any      `json:"data,omitempty"`
	To     string   `json:"to,omitempty"` // reassign: the new assignee's sub
}

// TaskActionError is a refused action; the API maps Code to a status.
type TaskActionError struct {
	Code    string // forbidden, conflict, invalid, gone
	Message string
	Errors  []forms.FieldError
}

func (e *TaskActionError) Error() string { return e.Code + ": " + e.Message }

// openTask is a userTask waiting in this instance.
type openTask struct {
	req       TaskRequest
	claimedBy string
	// busy names the action whose inbox write is in flight: the handler
	// yields while the activity runs, and a second action accepted in that
	// window would act on state the first is about to change.
	busy   TaskVerb
	form   *forms.Form
	done   workflow.Settable
	result workflow.Future
}

// taskInbox holds the instance's open tasks and answers the Update.
type taskInbox struct {
	r    *run
	open map[string]*openTask
}

func newTaskInbox(ctx workflow.Context, r *run) *taskInbox {
	in := &taskInbox{r: r, open: map[string]*openTask{}}
	_ = workflow.SetUpdateHandlerWithOptions(ctx, UpdateTask, in.handle, workflow.UpdateHandlerOptions{Validator: in.validate})
	return in
}

// validate runs before anything enters history: the caller's rights and,
// for complete, the data against the task's pinned form.
func (in *taskInbox) validate(ctx workflow.Context, a TaskAction) error {
	return in.check(ctx, a)
}

// check decides whether an action may apply to the task as it is now.
// The validator and the handler both ask: the SDK runs no validator on
// replay, and an action accepted beside another sees its effect here.
func (in *taskInbox) check(ctx workflow.Context, a TaskAction) error {
	t := in.open[a.TaskID]
	if t == nil {
		return &TaskActionError{Code: "gone", Message: "the task is no longer open"}
	}
	if t.busy != "" {
		return &TaskActionError{Code: "conflict", Message: fmt.Sprintf("another action on this task (%s) is being applied; look at the task again", t.busy)}
	}
	c := a.Caller
	switch a.Action {
	case Claim:
		if !t.candidate(c) {
			return &TaskActionError{Code: "forbidden", Message: "you are not in this task's candidate groups"}
		}
		if t.claimedBy != "" && t.claimedBy != c.Sub {
			return &TaskActionError{Code: "conflict", Message: "someone else has claimed this task"}
		}
	case Release:
		if t.claimedBy != c.Sub && !t.supervises(c) {
			return &TaskActionError{Code: "forbidden", Message: "you do not hold the claim on this task"}
		}
	case Complete:
		if t.claimedBy != c.Sub {
			return &TaskActionError{Code: "forbidden", Message: "claim the task before completing it"}
		}
		if errs := t.form.Validate(a.Data, workflow.Now(ctx)); len(errs) > 0 {
			msg := "the data does not fit form " + t.req.Form + "@" + t.req.FormVersion + ":"
			for _, e := range errs {
				msg += " " + e.Pointer + ": " + e.Message + ";"
			}
			return &TaskActionError{Code: "invalid", Message: strings.TrimSuffix(msg, ";"), Errors: errs}
		}
	case Reassign:
		if !t.supervises(c) {
			return &TaskActionError{Code: "forbidden", Message: "only a supervisor of the task's team, an operator or an admin reassigns"}
		}
		if a.To == "" {
			return &TaskActionError{Code: "invalid", Message: "say whom to reassign the task to"}
		}
	default:
		return &TaskActionError{Code: "invalid", Message: fmt.Sprintf("unknown action %q", a.Action)}
	}
	return nil
}

func (t *openTask) candidate(c Caller) bool {
	if c.has("role", "admin") || (t.req.Assignee != "" && t.req.Assignee == c.Sub) {
		return true
	}
	for _, g := range t.req.CandidateGroups {
		kind, name, _ := strings.Cut(g, ":")
		if c.has(kind, name) {
			return true
		}
	}
	return false
}

func (t *openTask) supervises(c Caller) bool {
	// Operators mend any instance, so they release and reassign any of
	// its tasks, but are not candidates: they do not claim or complete
	// the work. (No history holds an operator's action refused in the
	// handler, so replays are unaffected: the role is new.)
	if c.has("role", "admin") || c.has("role", "operator") {
		return true
	}
	// A supervisor supervises a task offered to their team, or to them
	// (a task for role:supervisor belongs to every supervisor).
	return c.has("role", "supervisor") && t.candidate(c)
}

// handle applies an accepted action: it reserves the task, writes the
// inbox row (an activity), then changes the instance's own state. Until
// the write returns, every other action on the task is refused as a
// conflict, so two completes (or two claims) can never both apply.
func (in *taskInbox) handle(ctx workflow.Context, a TaskAction) (string, error) {
	if err := in.check(ctx, a); err != nil {
		return "", err
	}
	t := in.open[a.TaskID]
	t.busy = a.Action
	defer func() { t.busy = "" }()
	change := TaskChange{ID: a.TaskID, By: a.Caller.Sub, At: workflow.Now(ctx)}
	if info := workflow.GetCurrentUpdateInfo(ctx); info != nil {
		change.Action = info.ID
	}
	switch a.Action {
	case Claim:
		change.Kind, change.Assignee = TaskClaimed, a.Caller.Sub
	case Release:
		change.Kind = TaskReleased
	case Complete:
		change.Kind, change.Data = TaskDone, a.Data
	case Reassign:
		change.Kind, change.Assignee = TaskReassigned, a.To
	}
	if err := in.r.activity(ctx, activityTaskChanged, nil, change, nil); err != nil {
		if e := fromActivityError(err); e != nil && strings.HasSuffix(e.Type, "/"+workflows.ErrValidation) {
			return "", &TaskActionError{Code: "invalid", Message: e.Detail} // the inbox cannot hold what was sent
		}
		return "", err
	}
	if in.open[a.TaskID] != t {
		// The wait ended meanwhile (a timeout, a lost fork branch, a
		// cancelled instance) and the task was withdrawn.
		return "", &TaskActionError{Code: "gone", Message: "the task was withdrawn while your action was applied"}
	}
	switch a.Action {
	case Claim:
		t.claimedBy = a.Caller.Sub
	case Release:
		t.claimedBy = ""
	case Reassign:
		t.claimedBy, t.req.Assignee = a.To, a.To
	case Complete:
		delete(in.open, a.TaskID)
		out := map[string]any{"data": a.Data, "submittedBy": a.Caller.Sub, "submittedAt": change.At.UTC().Format(time.RFC3339)}
		if t.req.Amends != "" {
			out["submission"] = AmendmentID(t.req.ID)
		}
		t.done.Set(out, nil)
	}
	return string(change.Kind), nil
}

// userTask creates an inbox task and waits until an officer completes it,
// escalating once if escalation.after passes first.
func (r *run) userTask(ctx workflow.Context, with map[string]any, ptr string, in any, vars workflows.Vars) (any, error) {
	args, err := r.eval(with, in, vars, ptr+"/with", false)
	if err != nil {
		return nil, err
	}
	a, _ := args.(map[string]any)
	formKey, _ := a["form"].(string)
	var amended startSubmission
	if a["amend"] == "submission" {
		if amended, err = r.startSubmission(); err != nil {
			return nil, err
		}
		formKey = AmendFormKey(amended.Form, amended.FormVersion)
	}
	pinned, ok := r.start.Forms[formKey]
	if !ok {
		return nil, workflows.NewError(workflows.ErrConfiguration, "Form not pinned", "form %s was not pinned when this instance started", formKey)
	}
	form, err := CompilePinned(pinned)
	if err != nil {
		return nil, workflows.NewError(workflows.ErrConfiguration, "Form does not compile", "%v", err)
	}
	now := workflow.Now(ctx)
	req := TaskRequest{
		Instance: workflow.GetInfo(ctx).WorkflowExecution.ID, Position: ptr, CaseKey: r.start.CaseKey,
		Form: pinned.Name, FormVersion: pinned.Version, Priority: 3, Input: in, CreatedAt: now,
	}
	_ = workflow.SideEffect(ctx, func(workflow.Context) any { return newID() }).Get(&req.ID)
	req.Title, _ = a["title"].(string)
	if req.Titles, err = r.translated(ptr+"/with/title", in, vars); err != nil {
		return nil, err
	}
	if req.Title == "" {
		req.Title = pinned.Name
		if amended.ID != "" {
			req.Title = "Correct your answers"
		}
	}
	req.Assignee, _ = a["assignee"].(string)
	if amended.ID != "" {
		req.Amends, req.Assignee = amended.ID, amended.SubmittedBy
	}
	req.Reason, _ = a["reason"].(string)
	req.Show = taskShow(a["show"])
	if req.CandidateGroups, err = entries(a["candidateGroups"], workflows.IsGroupEntry, "Invalid candidate group",
		"candidate groups are team:NAME or role:NAME", ptr+"/with/candidateGroups"); err != nil {
		return nil, err
	}
	if v, ok := a["priority"]; ok && v != nil {
		p := toInt(v)
		if p < 1 || p > 5 || fmt.Sprint(p) != fmt.Sprint(v) {
			return nil, workflows.NewError(workflows.ErrValidation, "Invalid priority", "priority must be a whole number from 1 (first) to 5, not %v", v)
		}
		req.Priority = p
	}
	r.sandboxTask(&req)
	if d, ok := a["due"]; ok {
		dur, err := workflows.ParseDuration(d)
		if err != nil {
			return nil, workflows.NewError(workflows.ErrExpression, "Invalid due", "%v", err)
		}
		due := now.Add(dur)
		req.Due = &due
	}
	if err := r.activity(ctx, activityCreateTask, nil, req, nil); err != nil {
		return nil, err
	}
	f, set := workflow.NewFuture(ctx)
	r.tasks.open[req.ID] = &openTask{req: req, form: form, done: set, result: f}
	esc, _ := a["escalation"].(map[string]any)
	if esc != nil {
		after, err := workflows.ParseDuration(esc["after"])
		if err != nil {
			return nil, workflows.NewError(workflows.ErrExpression, "Invalid escalation", "%v", err)
		}
		timerCtx, cancelTimer := workflow.WithCancel(ctx)
		defer cancelTimer()
		sel := workflow.NewSelector(ctx)
		escalate := false
		sel.AddFuture(f, func(workflow.Future) {})
		sel.AddFuture(workflow.NewTimer(timerCtx, after), func(workflow.Future) { escalate = true })
		sel.Select(ctx)
		if ctx.Err() != nil {
			return nil, r.taskCancelled(ctx, req)
		}
		if escalate {
			if err := r.escalate(ctx, req, esc); err != nil {
				return nil, err
			}
		}
	}
	// A settable future's Get does not notice cancellation (a fork branch
	// that lost, a timeout, a cancelled instance), so wait on both.
	before := r.waiting(ctx)
	sel := workflow.NewSelector(ctx)
	sel.AddFuture(f, func(workflow.Future) {})
	sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {})
	sel.Select(ctx)
	r.waited(before)
	if ctx.Err() != nil {
		return nil, r.taskCancelled(ctx, req)
	}
	var out any
	err = f.Get(ctx, &out)
	return out, err
}

// taskCancelled withdraws a task whose wait was cancelled (a timeout, a
// fork branch that lost, a cancelled instance): it leaves the inbox at
// once instead of lingering until the instance ends.
func (r *run) taskCancelled(ctx workflow.Context, req TaskRequest) error {
	delete(r.tasks.open, req.ID)
	if workflow.GetVersion(ctx, changeWithdrawTask, workflow.DefaultVersion, 1) >= 1 {
		dctx, cancel := workflow.NewDisconnectedContext(ctx)
		defer cancel()
		change := TaskChange{ID: req.ID, Kind: TaskWithdrawn, At: workflow.Now(dctx)}
		if err := r.activity(dctx, activityTaskChanged, nil, change, nil); err != nil {
			workflow.GetLogger(ctx).Warn("could not withdraw a cancelled task", "task", req.ID, "error", err)
		}
	}
	return temporal.NewCanceledError()
}

func (r *run) escalate(ctx workflow.Context, req TaskRequest, esc map[string]any) error {
	change := TaskChange{ID: req.ID, Kind: TaskEscalated, Priority: req.Priority, At: workflow.Now(ctx)}
	if p := toInt(esc["priority"]); p >= 1 && p <= 5 {
		change.Priority = p
		if t := r.tasks.open[req.ID]; t != nil {
			t.req.Priority = p
		}
	}
	if err := r.activity(ctx, activityTaskChanged, nil, change, nil); err != nil {
		return err
	}
	to, err := entries(esc["to"], workflows.IsRecipientEntry, "Invalid recipient", "escalation.to takes user:SUB, team:NAME or role:NAME", "")
	if err != nil || len(to) == 0 {
		return err
	}
	n := Notification{Instance: req.Instance, CaseKey: req.CaseKey, Title: "Overdue: " + req.Title, To: r.sandboxTo(req.Instance, to),
		Body: fmt.Sprintf("Task %q has not been completed in time and was escalated.", req.Title), Link: "/tasks/" + req.ID, At: change.At}
	_ = workflow.SideEffect(ctx, func(workflow.Context) any { return newID() }).Get(&n.ID)
	return r.activity(ctx, activityNotify, nil, n, nil)
}

// A draft run is an author trying a definition: its user tasks and
// notifications go to the author who started it alone, whatever the
// definition names, so no team's task list or inbox sees a trial.

// sandboxTask gives a draft run's task to its author.
func (r *run) sandboxTask(req *TaskRequest) {
	if IsDraft(req.Instance) && r.start.StartedBy != "" {
		req.CandidateGroups, req.Assignee = nil, r.start.StartedBy
	}
}

// sandboxTo is who a notification of instance goes to: a draft run's to
// its author.
func (r *run) sandboxTo(instance string, to []string) []string {
	if IsDraft(instance) && r.start.StartedBy != "" {
		return []string{"user:" + r.start.StartedBy}
	}
	return to
}

// entries reads a list of groups or recipients an expression may have
// computed: each must be what valid accepts, or the task faults with a
// validation error at the entry (at the task when ptr is empty).
func entries(v any, valid func(string) bool, title, rule, ptr string) ([]string, error) {
	var out []string
	for i, x := range asList(v) {
		s, _ := x.(string)
		if !valid(s) {
			e := workflows.NewError(workflows.ErrValidation, title, "%s, not %v", rule, x)
			if ptr != "" {
				e.Instance = fmt.Sprintf("%s/%d", ptr, i)
			}
			return nil, e
		}
		out = append(out, s)
	}
	return out, nil
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// pinnedForms holds compiled pinned forms, the most recently used first:
// a worker running many definitions keeps a bounded number.
var pinnedForms = mustLRU[string, *forms.Form](256)

// CompilePinned compiles a pinned form from the definitions it was pinned
// with; compiled forms are cached by content.
func CompilePinned(p PinnedForm) (*forms.Form, error) {
	key := string(p.Content)
	for k, v := range p.Pins {
		key += "\x00" + k + string(v)
	}
	if f, ok := pinnedForms.Get(key); ok {
		return f, nil
	}
	def, err := forms.ParseForm(p.Content)
	if err != nil {
		return nil, err
	}
	lib := forms.NewLibrary()
	for k, raw := range p.Pins {
		switch {
		case strings.HasPrefix(k, "term:"):
			t, err := forms.ParseTerm(raw)
			if err != nil {
				return nil, fmt.Errorf("pinned %s: %w", k, err)
			}
			lib.AddTerm(t)
		case strings.HasPrefix(k, "refdata:"):
			d, err := forms.ParseRefData(raw)
			if err != nil {
				return nil, fmt.Errorf("pinned %s: %w", k, err)
			}
			lib.AddRefData(d)
		}
	}
	f, err := forms.CompileStoredForm(def, lib)
	if err != nil {
		return nil, err
	}
	pinnedForms.Add(key, f)
	return f, nil
}

// startSubmission is the submission that started the instance, as
// PlanStarts put it in the input ({"submission": {...}}).
type startSubmission struct {
	ID          string `json:"id"`
	Form        string `json:"form"`
	FormVersion string `json:"formVersion"`
	SubmittedBy string `json:"submittedBy"`
}

func (r *run) startSubmission() (startSubmission, error) {
	var sub startSubmission
	in, _ := r.start.Input.(map[string]any)
	if raw, err := json.Marshal(in["submission"]); err == nil {
		_ = json.Unmarshal(raw, &sub)
	}
	if sub.ID == "" || sub.Form == "" || sub.SubmittedBy == "" {
		return sub, workflows.NewError(workflows.ErrConfiguration, "Nothing to amend",
			"amend: submission needs an instance started by its start form's submission; this one was started directly")
	}
	return sub, nil
}

// taskShow is a checked userTask show as TaskRequest.Show.
func taskShow(v any) []string {
	switch show := v.(type) {
	case string:
		if show == "submission" {
			return []string{"submission"}
		}
	case []any:
		out := make([]string, 0, len(show))
		for _, x := range show {
			if p, ok := x.(string); ok {
				out = append(out, p)
			}
		}
		return out
	}
	return nil
}
