package pages

import (
	"cmp"
	"encoding/json"
	"errors"
	"maps"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"cop/platform/auth"
	"cop/platform/instances"
	"cop/platform/problem"
	"cop/platform/tasks"
	"cop/platform/web/route"
	"cop/ui"
	"cop/ui/diagram"
	"cop/workflows"
	"cop/workflows/engine"
)

// The operating pages: every workflow instance an operator (or admin)
// may see, and supervisors those of their teams, filtered and counted by
// status; and one instance with its trace, its place on its workflow's
// diagram, its open tasks (which operators may reassign), the events it
// received and, when it faulted, its error.

// operators may use the operating pages.
var operators = auth.AnyRole(auth.RoleOperator, auth.RoleAdmin, auth.RoleSupervisor)

// bindOperatePages: the instance list and one instance.
func (pg *Pages) bindOperatePages(r *route.Router) {
	r.Add(fiber.MethodGet, "/operate", operators, pg.operateList)
	r.Add(fiber.MethodGet, "/operate/instances/:id", operators, pg.operateInstance)
	r.Add(fiber.MethodPost, "/operate/instances/:id/retry", operators, pg.retryInstance, route.TakesPageForm)
	r.Add(fiber.MethodPost, "/operate/instances/:id/cancel", operators, pg.cancelInstance, route.TakesPageForm)
	r.Add(fiber.MethodPost, "/operate/tasks/:id/reassign", operators, pg.reassignTask, route.TakesPageForm)
}

// cancelInstance cancels a running instance with the operator's reason.
func (pg *Pages) cancelInstance(c *fiber.Ctx) error {
	return pg.operatorAction(c, "cancel", func(id, reason string) error {
		if strings.TrimSpace(reason) == "" {
			return problem.Invalidf([]problem.Field{{Pointer: "/reason", Message: "Enter why you are cancelling it"}}, "say why the instance is cancelled")
		}
		_, err := pg.Instances.Cancel(c.UserContext(), route.Principal(c), route.Who(c), id, reason)
		return err
	}, "cancelled")
}

// retryInstance retries a faulted instance from the task it faulted in,
// with the operator's reason; a missing reason is an error summary (422),
// an instance no longer faulted a page saying so (409).
func (pg *Pages) retryInstance(c *fiber.Ctx) error {
	return pg.operatorAction(c, "retry", func(id, reason string) error {
		_, err := pg.Instances.Retry(c.UserContext(), route.Principal(c), route.Who(c), id, reason)
		return err
	}, "retried")
}

// operatorAction runs an action on the instance the path names with the
// reason posted: a refusal for the reason or the instance's state is the
// instance's page with an error summary (422, 409); done, the page again
// with a word that it is.
func (pg *Pages) operatorAction(c *fiber.Ctx, form string, act func(id, reason string) error, done string) error {
	if err := pg.checkCSRF(c); err != nil {
		return pg.pageError(c, err)
	}
	id, reason := c.Params("id"), c.FormValue("reason")
	err := act(id, reason)
	if pr, ok := pageRefusal(err); ok {
		d, field, derr := pg.refusedOnInstance(c, id, form, pr)
		if derr != nil {
			return pg.pageError(c, derr)
		}
		d.ReasonError = field
		if form == "retry" {
			d.Reason = reason
		} else {
			d.CancelReason = reason
		}
		return pg.Render(c, pr.Kind.Status(), "operate-instance", d)
	}
	if err != nil {
		return pg.pageError(c, err)
	}
	return c.Redirect("/operate/instances/"+url.PathEscape(id)+"?done="+done, fiber.StatusSeeOther)
}

// pageRefusal is err when it is a refusal the instance's page shows in
// its error summary: what was sent (422) or the state it found (409).
func pageRefusal(err error) (*problem.Error, bool) {
	pr, ok := problem.As(err)
	return pr, ok && (pr.Kind == problem.Invalid || pr.Kind == problem.Conflict)
}

// refusedOnInstance is the instance's page with a refusal in its error
// summary, linked to the form named; field is what the form's field says
// (the refusal's first field problem; empty when it has none).
func (pg *Pages) refusedOnInstance(c *fiber.Ctx, instance, form string, pr *problem.Error) (d ui.OperateInstanceData, field string, err error) {
	if d, err = pg.instanceData(c, instance); err != nil {
		return d, "", err
	}
	d.Problem, d.ProblemForm = sentence(pr.Detail), form
	if len(pr.Fields) > 0 {
		field = pr.Fields[0].Message
		d.Problem = field
	}
	return d, field, nil
}

// instanceStatuses are the statuses an instance passes through, in order.
var instanceStatuses = []string{instances.StatusStarting, engine.StatusRunning, engine.StatusCompleted, engine.StatusFaulted, engine.StatusCancelled}

// operateList lists the instances the caller may see, newest first, 25 a
// page, filtered by workflow, version, status, case and start date, with
// how many there are of each status. A filter that cannot be read is an
// error summary (422), and nothing is listed.
func (pg *Pages) operateList(c *fiber.Ctx) error {
	q := url.Values{}
	for _, k := range []string{"workflow", "version", "status", "case", "from", "to"} {
		if v := strings.TrimSpace(c.Query(k)); v != "" {
			q.Set(k, v)
		}
	}
	d := ui.OperateListData{Workflow: q.Get("workflow"), Version: q.Get("version"), Status: q.Get("status"), Case: q.Get("case"),
		From: q.Get("from"), To: q.Get("to")}
	f, errs := operateFilter(q)
	if len(errs) > 0 {
		d.Errors = errs
		return pg.Render(c, fiber.StatusUnprocessableEntity, "operate", d)
	}
	ctx, p := c.UserContext(), route.Principal(c)
	counts, err := pg.Instances.Counts(ctx, p, f)
	if err != nil {
		return err
	}
	for _, s := range instanceStatuses {
		sq := maps.Clone(q)
		sq.Set("status", s)
		d.Counts = append(d.Counts, ui.StatusCount{Status: s, Count: counts[s], Href: "/operate?" + sq.Encode(), Current: s == f.Status})
	}
	f.Limit, f.Cursor = 25, c.Query("cursor")
	list, next, err := pg.Instances.List(ctx, p, f)
	if err != nil {
		return pg.pageError(c, err)
	}
	for _, in := range list {
		d.Instances = append(d.Instances, ui.OperateRow{Href: "/operate/instances/" + url.PathEscape(in.ID), ID: in.ID,
			Workflow: in.Workflow.Namespace + "/" + in.Workflow.Name, Version: in.Workflow.Version, Status: in.Status, Case: in.BusinessKey,
			Draft: in.Draft, StartedBy: in.StartedBy, StartedAt: in.StartedAt, EndedAt: in.EndedAt})
	}
	d.First, d.Next = pageLinks("/operate", q, c.Query("cursor"), next)
	return pg.Render(c, fiber.StatusOK, "operate", d)
}

// operateFilter reads the list's filters, each problem at its field.
func operateFilter(q url.Values) (instances.ListFilter, []ui.FieldProblem) {
	var f instances.ListFilter
	var errs []ui.FieldProblem
	if w := q.Get("workflow"); w != "" {
		ns, name, ok := strings.Cut(w, "/")
		if !ok || ns == "" || name == "" {
			errs = append(errs, ui.FieldProblem{Field: "workflow", Message: "Enter the workflow as namespace/name, like border-force/seizure-approval"})
		}
		f.Namespace, f.Name = ns, name
	}
	f.Version, f.BusinessKey = q.Get("version"), q.Get("case")
	if s := q.Get("status"); s != "" {
		known := false
		for _, k := range instanceStatuses {
			known = known || k == s
		}
		if !known {
			errs = append(errs, ui.FieldProblem{Field: "status", Message: "Choose a status from the list"})
		}
		f.Status = s
	}
	for _, b := range []struct {
		field, label string
		into         *time.Time
		days         int
	}{{"from", "Started from", &f.From, 0}, {"to", "Started up to", &f.To, 1}} {
		v := q.Get(b.field)
		if v == "" {
			continue
		}
		t, err := time.ParseInLocation(time.DateOnly, v, ui.London)
		if err != nil {
			errs = append(errs, ui.FieldProblem{Field: b.field, Message: b.label + " must be a date, like 2026-12-03"})
			continue
		}
		*b.into = t.AddDate(0, 0, b.days) // "up to" includes its day
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		errs = append(errs, ui.FieldProblem{Field: "to", Message: "Started up to must be the same as or after Started from"})
	}
	return f, errs
}

// operateInstance is one instance: its status, input and output, trace,
// place on its workflow's diagram, open tasks and error.
func (pg *Pages) operateInstance(c *fiber.Ctx) error {
	d, err := pg.instanceData(c, c.Params("id"))
	if err != nil {
		return pg.pageError(c, err)
	}
	switch c.Query("done") {
	case "retried":
		d.Message = "The instance was retried from the task it faulted in."
	case "cancelled":
		d.Message = "The instance is being cancelled: it ends once its tasks have stopped."
	case "reassigned":
		d.Message = "The task has been reassigned."
	}
	return pg.Render(c, fiber.StatusOK, "operate-instance", d)
}

func (pg *Pages) instanceData(c *fiber.Ctx, id string) (ui.OperateInstanceData, error) {
	ctx, p := c.UserContext(), route.Principal(c)
	in, err := pg.Instances.Get(ctx, p, id)
	if err != nil {
		return ui.OperateInstanceData{}, err
	}
	d := ui.OperateInstanceData{ID: in.ID, Workflow: in.Workflow.Namespace + "/" + in.Workflow.Name, Version: in.Workflow.Version,
		Status: in.Status, Case: in.BusinessKey, Draft: in.Draft, StartedBy: in.StartedBy, StartedAt: in.StartedAt, EndedAt: in.EndedAt,
		Retries: in.Retries}
	switch in.Status {
	case engine.StatusFaulted:
		d.Retry = "/operate/instances/" + url.PathEscape(in.ID) + "/retry"
	case engine.StatusRunning:
		d.Cancel = "/operate/instances/" + url.PathEscape(in.ID) + "/cancel"
	}
	if in.Status == engine.StatusCompleted {
		d.Output = listingOf(in.Output)
	}
	if e := in.Error; e != nil {
		d.Fault = &ui.OperateFault{Type: e.Type, Status: e.Status, Title: e.Title, Detail: e.Detail, Pointer: e.Instance, Task: faultedAt(in)}
	}
	for _, t := range in.Trace {
		row := ui.AuthorTraceRow{Name: t.Name, Position: t.Position, Status: t.Status}
		if t.EndedAt != nil {
			row.Took = t.EndedAt.Sub(t.StartedAt).Round(time.Millisecond).String()
		}
		d.Trace = append(d.Trace, ui.OperateTraceRow{AuthorTraceRow: row, StartedAt: t.StartedAt})
	}
	if d.Tasks, err = pg.openTasks(c, p, in.ID); err != nil {
		return d, err
	}
	// The definition and input the run started with, for its diagram, and
	// the events it received; an instance Temporal no longer has shows
	// without them.
	if h, err := pg.Instances.History(ctx, p, in.ID); err == nil {
		start := h.Start
		d.Input = listingOf(start.Input)
		d.Events = receivedEvents(h.Events)
		if w, _, err := workflows.Parse(start.Definition); err == nil {
			mark, current := currentAt(in), in.Status == engine.StatusRunning
			if in.Error != nil {
				mark = faultedAt(in)
			}
			if drawn, err := diagram.Draw(w, diagram.Options{Highlight: mark, Current: current}); err == nil {
				d.Diagram, d.Steps = drawn.SVG, drawn.Steps
			}
		}
	} else {
		pg.Log.Info("instance history not readable", "instance", in.ID, "err", err)
	}
	return d, nil
}

// openTasks are the instance's open tasks, each with whose it is and, for
// a caller who may reassign it, the known members of its candidate groups
// to give it to.
func (pg *Pages) openTasks(c *fiber.Ctx, p *auth.Principal, instance string) ([]ui.OperateTask, error) {
	ctx := c.UserContext()
	all, err := pg.Tasks.InstanceTasks(ctx, []string{instance})
	if err != nil {
		return nil, err
	}
	var out []ui.OperateTask
	for _, info := range all {
		if info.Status != string(engine.TaskOpen) {
			continue
		}
		t, err := pg.Tasks.Task(ctx, p, info.ID)
		if errors.Is(err, tasks.ErrNotFound) {
			continue // ended since, or not the caller's to see
		}
		if err != nil {
			return nil, err
		}
		row := ui.OperateTask{ID: t.ID, Title: t.Title, Href: "/tasks/" + url.PathEscape(t.ID), Priority: t.Priority,
			Groups: strings.Join(t.CandidateGroups, ", "), HeldBy: cmp.Or(t.ClaimedBy, t.Assignee)}
		if mayReassign(p, t) {
			row.Reassign = "/operate/tasks/" + url.PathEscape(t.ID) + "/reassign"
			if row.Assignees, err = pg.assignees(c, p, t); err != nil {
				return nil, err
			}
		}
		out = append(out, row)
	}
	holders := make([]*string, len(out))
	for i := range out {
		holders[i] = &out[i].HeldBy
	}
	return out, pg.name(c, holders)
}

// reassignTask gives an open task to the officer chosen on the instance's
// page: a choice missing or refused (not in the task's groups, unknown)
// is an error summary on that page (422), a task no longer open a page
// saying so (409).
func (pg *Pages) reassignTask(c *fiber.Ctx) error {
	if err := pg.checkCSRF(c); err != nil {
		return pg.pageError(c, err)
	}
	ctx, p := c.UserContext(), route.Principal(c)
	t, err := pg.Tasks.Task(ctx, p, c.Params("id"))
	if err != nil {
		return pg.pageError(c, err)
	}
	to := strings.TrimSpace(c.FormValue("to"))
	if to == "" {
		err = problem.Invalidf([]problem.Field{{Pointer: "/to", Message: "Choose who should work " + t.Title}}, "say whom to reassign the task to")
	} else {
		_, err = pg.Tasks.ActOnTask(ctx, p, t.ID, tasks.TaskActionRequest{Action: engine.Reassign, To: to})
	}
	if pr, ok := pageRefusal(err); ok {
		d, field, derr := pg.refusedOnInstance(c, t.Instance, "reassign-"+t.ID, pr)
		if derr != nil {
			return pg.pageError(c, derr)
		}
		for i := range d.Tasks {
			if d.Tasks[i].ID == t.ID {
				d.Tasks[i].Error = cmp.Or(field, d.Problem)
			}
		}
		return pg.Render(c, pr.Kind.Status(), "operate-instance", d)
	}
	if err != nil {
		return pg.pageError(c, err)
	}
	return c.Redirect("/operate/instances/"+url.PathEscape(t.Instance)+"?done=reassigned", fiber.StatusSeeOther)
}

// receivedEvents are the events an instance received, each with its
// data as a listing.
func receivedEvents(evs []engine.ReceivedEvent) []ui.OperateEvent {
	out := make([]ui.OperateEvent, 0, len(evs))
	for _, e := range evs {
		str := func(k string) string { s, _ := e.Event[k].(string); return s }
		from := "Sent to the instance (POST /api/v1/instances/{id}/events)"
		if e.Identity == engine.RouterIdentity {
			from = "Routed by COP from POST /api/v1/events"
		}
		ev := ui.OperateEvent{Type: str("type"), Source: str("source"), ID: str("id"), Subject: str("subject"), From: from, At: e.At}
		if data, ok := e.Event["data"]; ok {
			ev.Data = listingOf(data)
		}
		out = append(out, ev)
	}
	return out
}

// currentAt is where a running instance is: the innermost task of its
// trace still running.
func currentAt(in instances.Instance) string {
	for i := len(in.Trace) - 1; i >= 0; i-- {
		if in.Trace[i].Status == "running" {
			return in.Trace[i].Position
		}
	}
	return ""
}

// listingOf is a value as JSON, a line a key.
func listingOf(v any) []ui.ListingLine {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil
	}
	return ui.Listing(string(b), nil)
}
