package pages

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"cop/forms"
	"cop/forms/journey"
	"cop/platform/auth"
	"cop/platform/cases"
	"cop/platform/definitions"
	"cop/platform/instances"
	"cop/platform/problem"
	"cop/platform/tasks"
	"cop/platform/web/route"
	"cop/ui"
	"cop/workflows/engine"
)

// bindTaskPages: the officer's task list and task pages. Signed in; the
// services decide what each may see and do, as for the API, and every
// post carries the session's CSRF token.
func (pg *Pages) bindTaskPages(r *route.Router) {
	r.Add(fiber.MethodGet, "/", auth.SignedIn, pg.taskList)
	r.Add(fiber.MethodGet, "/tasks/:id", auth.SignedIn, pg.taskPage)
	for _, action := range []engine.TaskVerb{engine.Claim, engine.Release, engine.Reassign} {
		r.Add(fiber.MethodPost, "/tasks/:id/"+string(action), auth.SignedIn, pg.taskAction(action), route.TakesPageForm)
	}
	r.Add(fiber.MethodPost, "/tasks/:id/complete", auth.SignedIn, pg.completeTask, route.TakesPageForm)
	r.Add(fiber.MethodPost, "/tasks/:id/amend", auth.SignedIn, pg.beginAmend, route.TakesPageForm)
}

// TasksPerPage is how many tasks the list shows at once.
const TasksPerPage = 20

var taskStatuses = []ui.Choice{{Value: "open", Text: "Open"}, {Value: "completed", Text: "Completed"},
	{Value: "cancelled", Text: "Cancelled"}, {Value: "all", Text: "All"}}

// taskList is "Your team's work" at /: the caller's and their teams'
// tasks, most urgent first, with filters by form and status.
func (pg *Pages) taskList(c *fiber.Ctx) error {
	p := route.Principal(c)
	filter := tasks.TaskFilter{Status: c.Query("status", "open"), Form: c.Query("form"), Limit: TasksPerPage, Cursor: c.Query("cursor")}
	if !slices.ContainsFunc(taskStatuses, func(ch ui.Choice) bool { return ch.Value == filter.Status }) {
		filter.Status = "open"
	}
	tasks, next, err := pg.Tasks.Tasks(c.UserContext(), p, filter)
	if err != nil {
		return pg.pageError(c, err)
	}
	d := ui.TaskListData{Form: filter.Form, Status: filter.Status, Supervisor: p.HasRole(auth.RoleSupervisor), Teams: p.Teams,
		Message: doneMessages[c.Query("done")]}
	for _, t := range tasks {
		d.Tasks = append(d.Tasks, taskRow(p, t, route.Lang(c)))
	}
	d.Forms, err = pg.formChoices(c, filter.Form)
	if err != nil {
		return pg.pageError(c, err)
	}
	for _, st := range taskStatuses {
		st.Selected = st.Value == filter.Status
		d.Statuses = append(d.Statuses, st)
	}
	query := url.Values{"status": {filter.Status}}
	if filter.Form != "" {
		query.Set("form", filter.Form)
	}
	d.First, d.Next = pageLinks("/", query, filter.Cursor, next)
	return pg.Render(c, fiber.StatusOK, "tasks", d)
}

// formChoices are the forms the filter offers, by title.
func (pg *Pages) formChoices(c *fiber.Ctx, selected string) ([]ui.Choice, error) {
	defs, _, err := pg.Definitions.List(c.UserContext(), definitions.KindForm, 100, "")
	if err != nil {
		return nil, err
	}
	out := make([]ui.Choice, 0, len(defs))
	for _, d := range defs {
		var head struct{ Title string }
		_ = json.Unmarshal(d.Content, &head)
		if head.Title == "" {
			head.Title = d.Name
		}
		out = append(out, ui.Choice{Value: d.Name, Text: head.Title, Selected: d.Name == selected})
	}
	return out, nil
}

// taskRow is a task as the officer sees it: who holds it in words, and
// what they may do with it now; its title in the page's language l.
func taskRow(p *auth.Principal, t tasks.Task, l string) ui.TaskRow {
	r := ui.TaskRow{ID: t.ID, Title: t.TitleIn(l), BusinessKey: t.BusinessKey, Form: t.Form, Reason: t.Reason,
		Status: t.Status, Priority: t.Priority, Due: t.Due, Overdue: t.Overdue}
	switch t.ClaimedBy {
	case "":
	case p.Subject:
		r.ClaimedBy = "you"
	default:
		r.ClaimedBy = t.ClaimedBy
	}
	open := t.Status == engine.TaskOpen
	// An operator may open any task, but claims only what they are a
	// candidate for.
	r.CanClaim = open && t.ClaimedBy == "" && (t.Assignee == p.Subject || p.Matches(t.CandidateGroups))
	r.CanRelease = open && t.ClaimedBy != "" && (t.ClaimedBy == p.Subject || mayReassign(p, t))
	return r
}

// mayReassign: operators and admins release and reassign any task, a
// supervisor those offered to their teams or to them (the instance checks
// again).
func mayReassign(p *auth.Principal, t tasks.Task) bool {
	if p.HasRole(auth.RoleOperator) || p.HasRole(auth.RoleAdmin) {
		return true
	}
	return p.HasRole(auth.RoleSupervisor) && (t.Assignee == p.Subject || p.Matches(t.CandidateGroups))
}

// taskPage shows one task: what it is about and, once the caller holds
// it, its form.
func (pg *Pages) taskPage(c *fiber.Ctx) error {
	return pg.drawTask(c, fiber.StatusOK, c.Query("done"), nil, nil)
}

// drawTask draws the task page, with the answers and errors of a failed
// completion when there are some.
func (pg *Pages) drawTask(c *fiber.Ctx, status int, message string, data any, errs []forms.FieldError) error {
	p := route.Principal(c)
	t, err := pg.Tasks.Task(c.UserContext(), p, c.Params("id"))
	if err != nil {
		return pg.pageError(c, err)
	}
	d := ui.TaskData{Task: taskRow(p, t, route.Lang(c)), Errors: errs, Message: doneMessages[message]}
	d.Details = detailRows(t.Input)
	if t.Amends != "" {
		return pg.drawAmendTask(c, p, t, d)
	}
	d.CanWork = t.Status == engine.TaskOpen && t.ClaimedBy == p.Subject
	d.CanAssign = t.Status == engine.TaskOpen && mayReassign(p, t)
	if d.CanAssign {
		if d.Assignees, err = pg.assignees(c, p, t); err != nil {
			return err
		}
	}
	f, _, err := pg.form(c, t.Form, t.FormVersion)
	if err != nil {
		return fmt.Errorf("load form %s@%s of task %s: %w", t.Form, t.FormVersion, t.ID, err)
	}
	if d.CanWork {
		if data == nil {
			data = t.Data
		}
		for _, page := range f.Pages(data, errs) {
			d.Fields = append(d.Fields, withoutFiles(page.Fields)...)
		}
	}
	if t.Status == engine.TaskCompleted && t.Data != nil {
		// The decision as it was made, with its form's labels.
		d.Decision = ui.SubmittedAnswersIn(f.Pages(t.Data, nil), fileHref, route.Lang(c))
	}
	if len(t.Show) > 0 {
		d.Case, err = pg.taskSubmission(c, p, t)
	} else {
		d.Case, err = pg.taskCase(c, p, t.BusinessKey)
	}
	if err != nil {
		return err
	}
	return pg.Render(c, status, "task", d)
}

// drawAmendTask draws a task that returned a submission to its submitter:
// the answers as they stand and, for the submitter while it waits,
// "Correct your answers", which opens them at Check your answers. It has
// no decision form, claim or reassignment: only the submitter corrects.
func (pg *Pages) drawAmendTask(c *fiber.Ctx, p *auth.Principal, t tasks.Task, d ui.TaskData) error {
	d.Amending = true
	d.Task.CanClaim, d.Task.CanRelease = false, false
	if t.Status == engine.TaskOpen && t.Assignee == p.Subject {
		d.AmendAction = "/tasks/" + t.ID + "/amend"
	}
	sub, err := pg.Cases.Submission(c.UserContext(), p, t.Amends)
	if errors.Is(err, cases.ErrNotFound) {
		return pg.Render(c, fiber.StatusOK, "task", d)
	}
	if err != nil {
		return err
	}
	f, _, err := pg.form(c, sub.Form, sub.FormVersion)
	if err != nil {
		return err
	}
	sections, err := pg.submittedAnswers(c, f, sub)
	if err != nil {
		return err
	}
	d.Case = []ui.CaseSubmission{{Title: f.Def.Title, Who: sub.SubmittedBy, At: sub.SubmittedAt, Sections: sections, Corrects: sub.Corrects != ""}}
	if err := pg.name(c, []*string{&d.Case[0].Who}); err != nil {
		return err
	}
	return pg.Render(c, fiber.StatusOK, "task", d)
}

// beginAmend opens the submitter's corrected answers at Check your
// answers, started from the answers as they stand (or resumed, for a
// second press); sending them corrects the submission.
func (pg *Pages) beginAmend(c *fiber.Ctx) error {
	p, t, err := pg.postedTask(c)
	if err != nil {
		return pg.pageError(c, err)
	}
	if t.Amends == "" || t.Status != engine.TaskOpen {
		return c.Redirect("/tasks/"+t.ID, fiber.StatusSeeOther)
	}
	sub, err := pg.Cases.Amendable(c.UserContext(), p, t.Amends)
	if err != nil {
		return pg.pageError(c, err)
	}
	d, err := pg.Cases.AmendDraft(c.UserContext(), p, route.Who(c), sub, journey.CheckPage)
	if err != nil {
		return pg.pageError(c, err)
	}
	return c.Redirect(pageURL(d.ID, journey.CheckPage), fiber.StatusSeeOther)
}

// taskSubmission is the submission that started the task's instance, as
// the userTask's show names it: all of it, or only the answers at its JSON
// pointers; none when there is no such submission or the caller may not
// read it.
func (pg *Pages) taskSubmission(c *fiber.Ctx, p *auth.Principal, t tasks.Task) ([]ui.CaseSubmission, error) {
	in, err := pg.Instances.Get(c.UserContext(), p, t.Instance)
	if errors.Is(err, instances.ErrNotFound) || err == nil && in.Submission == "" {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	// The answers as they stand: a correction replaces what it corrects.
	sub, err := pg.Cases.Latest(c.UserContext(), p, in.Submission)
	if errors.Is(err, cases.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	f, _, err := pg.form(c, sub.Form, sub.FormVersion)
	if err != nil {
		return nil, err
	}
	pages, err := submittedPages(f, sub)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(t.Show, []string{"submission"}) {
		pages = onlyAt(pages, t.Show)
	}
	subs := []ui.CaseSubmission{{Title: f.Def.Title, Who: sub.SubmittedBy, At: sub.SubmittedAt, Sections: ui.SubmittedAnswersIn(pages, fileHref, route.Lang(c)),
		Corrects: sub.Corrects != ""}}
	return subs, pg.name(c, []*string{&subs[0].Who})
}

// onlyAt keeps the questions at (or inside) the pointers, and the pages
// and groups that hold them.
func onlyAt(pages []forms.Page, pointers []string) []forms.Page {
	var keep func([]forms.Field) []forms.Field
	keep = func(fs []forms.Field) []forms.Field {
		var out []forms.Field
		for _, f := range fs {
			switch {
			case slices.ContainsFunc(pointers, func(p string) bool { return f.Pointer == p || strings.HasPrefix(f.Pointer, p+"/") }):
				out = append(out, f)
			case f.Kind == forms.KindGroup:
				if f.Fields = keep(f.Fields); len(f.Fields) > 0 {
					out = append(out, f)
				}
			}
		}
		return out
	}
	var out []forms.Page
	for _, page := range pages {
		if page.Fields = keep(page.Fields); len(page.Fields) > 0 {
			out = append(out, page)
		}
	}
	return out
}

// taskCase is what was submitted on the task's case that the caller may
// read, newest first, for deciding beside it; none when they may read
// nothing there.
func (pg *Pages) taskCase(c *fiber.Ctx, p *auth.Principal, key string) ([]ui.CaseSubmission, error) {
	if key == "" {
		return nil, nil
	}
	k, err := pg.Cases.Case(c.UserContext(), p, key)
	if errors.Is(err, cases.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	subs, err := pg.caseSubmissions(c, k)
	if err != nil {
		return nil, err
	}
	who := make([]*string, len(subs))
	for i := range subs {
		who[i] = &subs[i].Who
	}
	return subs, pg.name(c, who)
}

// doneMessages confirm an action on the task page after its redirect.
var doneMessages = map[string]string{
	string(engine.Claim):    "You have claimed this task. It is yours until you complete or release it.",
	string(engine.Release):  "You have released this task. Anyone in its team can claim it now.",
	string(engine.Reassign): "The task has been reassigned.",
	"task":                  "You have completed the task.", // on the case page it came from
}

// detailRows show what the workflow gave the task: each top-level value,
// nested values as indented text. Everything is escaped by the components.
func detailRows(input any) []any {
	m, ok := input.(map[string]any)
	if !ok {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	rows := make([]any, 0, len(keys))
	for _, k := range keys {
		rows = append(rows, map[string]any{"key": map[string]any{"text": forms.Humanise(k)}, "value": map[string]any{"text": plainValue(m[k])}})
	}
	return rows
}

// plainValue is a value as text: strings as they are, the rest as JSON.
func plainValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// assignees are whom the reassign list offers: the known members of the
// task's candidate groups (of the supervisor's teams when it has none),
// the current holder left out.
func (pg *Pages) assignees(c *fiber.Ctx, p *auth.Principal, t tasks.Task) ([]ui.Choice, error) {
	groups := t.CandidateGroups
	if len(groups) == 0 {
		for _, team := range p.Teams {
			groups = append(groups, "team:"+team)
		}
	}
	users, err := pg.Directory.Members(c.UserContext(), groups, 500)
	if err != nil {
		return nil, fmt.Errorf("list who task %s may go to: %w", t.ID, err)
	}
	var out []ui.Choice
	for _, u := range users {
		if u.Subject == t.ClaimedBy {
			continue
		}
		out = append(out, ui.Choice{Value: u.Subject, Text: u.Display() + " (" + u.Subject + ")"})
	}
	return out, nil
}

// taskAction claims, releases or reassigns a task from a page form, then
// returns to the task (or to the list it was claimed from).
func (pg *Pages) taskAction(action engine.TaskVerb) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := pg.checkCSRF(c); err != nil {
			return pg.pageError(c, err)
		}
		id := c.Params("id")
		req := tasks.TaskActionRequest{Action: action, To: strings.TrimSpace(c.FormValue("to"))}
		if action == engine.Reassign && req.To == "" {
			return pg.pageError(c, refusePage(fiber.StatusUnprocessableEntity, "Say whom to reassign the task to",
				"Enter the user ID of the officer who should work the task. Go back and try again."))
		}
		if _, err := pg.Tasks.ActOnTask(c.UserContext(), route.Principal(c), id, req); err != nil {
			return pg.pageError(c, err)
		}
		if c.FormValue("return") == "list" && action != engine.Claim {
			return c.Redirect("/", fiber.StatusSeeOther)
		}
		if action == engine.Reassign {
			return c.Redirect("/?done=reassign", fiber.StatusSeeOther)
		}
		return c.Redirect("/tasks/"+id+"?done="+string(action), fiber.StatusSeeOther)
	}
}

// completeTask completes a task with its form's answers. The task's form
// is checked by the service and again by the workflow's Update; errors
// come back to the same page.
func (pg *Pages) completeTask(c *fiber.Ctx) error {
	p, t, err := pg.postedTask(c)
	if err != nil {
		return pg.pageError(c, err)
	}
	if t.Status != engine.TaskOpen {
		// A second press of Complete, or another officer got there first.
		return c.Redirect("/tasks/"+t.ID, fiber.StatusSeeOther)
	}
	f, _, err := pg.form(c, t.Form, t.FormVersion)
	if err != nil {
		return fmt.Errorf("load form %s@%s of task %s: %w", t.Form, t.FormVersion, t.ID, err)
	}
	post, err := postedValues(c)
	if err != nil {
		return err
	}
	// The task's answers are not saved between posts: the post itself
	// says how many entries each list has.
	data := map[string]any{}
	fields := taskFields(f, data)
	for range 5 {
		if !journey.GrowEntries(fields, post, data) {
			break
		}
		fields = taskFields(f, data)
	}
	problems, _ := journey.ReadAnswersIn(fields, post, data, f.Lang) // file fields are not drawn on tasks
	if action, target, _ := strings.Cut(post.Get("action"), " "); action == "add" || action == "remove" {
		if action == "add" {
			journey.AddEntry(data, target, journey.EntriesAreObjects(forms.FindField(fields, target)))
		} else {
			journey.RemoveEntry(data, target)
		}
		return pg.drawTask(c, fiber.StatusOK, "", data, nil)
	}
	if len(problems) > 0 {
		return pg.drawTask(c, fiber.StatusUnprocessableEntity, "", data, problems)
	}
	raw, _ := json.Marshal(data)
	_, err = pg.Tasks.ActOnTask(c.UserContext(), p, t.ID, tasks.TaskActionRequest{Action: engine.Complete, Data: raw})
	if refused, ok := problem.As(err); ok && refused.Kind == problem.Invalid {
		errs := make([]forms.FieldError, 0, len(refused.Fields))
		for _, e := range refused.Fields {
			errs = append(errs, forms.FieldError{Pointer: strings.TrimPrefix(e.Pointer, "/data"), Message: e.Message})
		}
		return pg.drawTask(c, fiber.StatusUnprocessableEntity, "", data, errs)
	}
	if err != nil {
		return pg.pageError(c, err)
	}
	if t.BusinessKey != "" {
		return c.Redirect("/cases/"+t.BusinessKey+"?done=task", fiber.StatusSeeOther)
	}
	return c.Redirect("/", fiber.StatusSeeOther)
}

// postedTask is the task a page post acts on, once its CSRF token is
// checked, with who is posting.
func (pg *Pages) postedTask(c *fiber.Ctx) (*auth.Principal, tasks.Task, error) {
	if err := pg.checkCSRF(c); err != nil {
		return nil, tasks.Task{}, err
	}
	p := route.Principal(c)
	t, err := pg.Tasks.Task(c.UserContext(), p, c.Params("id"))
	return p, t, err
}

// postedValues reads a page form post, urlencoded or multipart.
func postedValues(c *fiber.Ctx) (journey.Posted, error) {
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		mf, err := c.MultipartForm()
		if err != nil {
			return nil, fmt.Errorf("read the form post: %w", err)
		}
		return journey.Posted(mf.Value), nil
	}
	post := journey.Posted{}
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		post[string(k)] = append(post[string(k)], string(v))
	})
	return post, nil
}

// taskFields are a task form's questions, every page's, as one page.
func taskFields(f *forms.Form, data any) []forms.Field {
	var fields []forms.Field
	for _, page := range f.Pages(data, nil) {
		fields = append(fields, page.Fields...)
	}
	return fields
}

// withoutFiles leaves out file questions: a task's decision is posted
// without uploads; files belong to the case's forms.
func withoutFiles(fs []forms.Field) []forms.Field {
	return slices.DeleteFunc(slices.Clone(fs), func(f forms.Field) bool { return f.Kind == forms.KindFile })
}
