package pages

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"

	"cop/forms"
	"cop/forms/lang"
	"cop/platform/auth"
	"cop/platform/cases"
	"cop/platform/problem"
	"cop/platform/tasks"
	"cop/platform/web/casepdf"
	"cop/platform/web/route"
	"cop/ui"
	"cop/workflows/engine"
)

// bindCasePages: the case list, a case's page, the notifications page and
// marking a notification read. Signed in; the visibility rule decides what
// each shows.
func (pg *Pages) bindCasePages(r *route.Router) {
	r.Add(fiber.MethodGet, "/cases", auth.SignedIn, pg.caseList)
	// Before /cases/:key, which would take "KEY.pdf" for a key.
	r.Add(fiber.MethodGet, "/cases/:key.pdf", auth.SignedIn, pg.casePDF)
	r.Add(fiber.MethodGet, "/cases/:key", auth.SignedIn, pg.casePage)
	r.Add(fiber.MethodGet, "/notifications", auth.SignedIn, pg.notificationsPage)
	r.Add(fiber.MethodPost, "/notifications/:id/read", auth.SignedIn, pg.readNotice, route.TakesPageForm)
}

// casesPer is how many cases a page of the list shows.
const casesPer = 25

// caseList is the Cases page: what the reader may read, newest first,
// searched by key, form and "only mine".
func (pg *Pages) caseList(c *fiber.Ctx) error {
	ctx, p := c.UserContext(), route.Principal(c)
	f := cases.Filter{Key: strings.TrimSpace(c.Query("key")), Form: c.Query("form"), Mine: c.Query("mine") == "true",
		Status: c.Query("status"), Limit: casesPer, Cursor: c.Query("cursor")}
	list, next, err := pg.Cases.Cases(ctx, p, f)
	if err != nil {
		return pg.pageError(c, err)
	}
	choices, err := pg.formChoices(c, f.Form)
	if err != nil {
		return err
	}
	titles := map[string]string{}
	for _, ch := range choices {
		titles[ch.Value] = ch.Text
	}
	d := ui.CaseListData{Key: f.Key, Mine: f.Mine, Status: f.Status, Forms: choices, Supervisor: p.HasRole(auth.RoleSupervisor),
		Searched: f.Key != "" || f.Form != "" || f.Mine || f.Status != ""}
	for _, k := range list {
		item := ui.CaseListItem{BusinessKey: k.BusinessKey, Opened: k.CreatedAt, Open: k.Status == cases.CaseOpen}
		for _, name := range k.Forms {
			item.Forms = append(item.Forms, cmp.Or(titles[name], name))
		}
		d.Cases = append(d.Cases, item)
	}
	query := url.Values{}
	for k, v := range map[string]string{"key": f.Key, "form": f.Form, "status": f.Status} {
		if v != "" {
			query.Set(k, v)
		}
	}
	if f.Mine {
		query.Set("mine", "true")
	}
	d.First, d.Next = pageLinks("/cases", query, f.Cursor, next)
	return pg.Render(c, fiber.StatusOK, "cases", d)
}

// casePage is a case's timeline: its submissions, the workflows they
// started and each workflow's steps, and its tasks, with who and when.
func (pg *Pages) casePage(c *fiber.Ctx) error {
	ctx, p := c.UserContext(), route.Principal(c)
	k, err := pg.Cases.Case(ctx, p, c.Params("key"))
	if err != nil {
		return pg.pageError(c, err)
	}
	d := ui.CaseData{BusinessKey: k.BusinessKey, Opened: k.CreatedAt, Message: doneMessages[c.Query("done")]}
	if d.Submissions, err = pg.caseSubmissions(c, k); err != nil {
		return pg.pageError(c, err)
	}
	if d.Corrections, err = pg.corrections(c, p, k); err != nil {
		return err
	}
	add, _, err := pg.startableForms(c)
	if err != nil {
		return err
	}
	for _, f := range add {
		f.Href += "?case=" + url.QueryEscape(k.BusinessKey)
		d.AddForms = append(d.AddForms, f)
	}
	for _, sub := range k.Submissions {
		d.Events = append(d.Events, ui.CaseEvent{At: sub.SubmittedAt, What: "Submitted " + pg.formTitle(c, sub.Form, sub.FormVersion),
			Who: sub.SubmittedBy})
	}
	for _, in := range k.Instances {
		d.Events = append(d.Events, pg.instanceEvents(c, p, in)...)
	}
	for _, t := range k.Tasks {
		d.Events = append(d.Events, taskEvents(t, pg.mayOpenTask(c, p, t))...)
	}
	sort.SliceStable(d.Events, func(i, j int) bool { return d.Events[i].At.Before(d.Events[j].At) })
	if err := pg.nameThePeople(c, &d); err != nil {
		return err
	}
	return pg.Render(c, fiber.StatusOK, "case", d)
}

// caseSubmissions lays out the answers of each submission the reader may
// see, newest first, as Check your answers lays them out.
func (pg *Pages) caseSubmissions(c *fiber.Ctx, k cases.Case) ([]ui.CaseSubmission, error) {
	subs := k.Answered()
	out := make([]ui.CaseSubmission, 0, len(subs))
	for i := len(subs) - 1; i >= 0; i-- {
		sub := subs[i]
		f, _, err := pg.form(c, sub.Form, sub.FormVersion)
		if err != nil {
			return nil, err
		}
		sections, err := pg.submittedAnswers(c, f, sub)
		if err != nil {
			return nil, err
		}
		cs := ui.CaseSubmission{Title: f.Def.Title, Who: sub.SubmittedBy, At: sub.SubmittedAt, Sections: sections, Corrects: sub.Corrects != ""}
		if later := correctionOf(subs, sub.ID); later != nil {
			cs.CorrectedAt = &later.SubmittedAt
		}
		out = append(out, cs)
	}
	return out, nil
}

// correctionOf is the submission that corrects id, if any.
func correctionOf(subs []cases.Submission, id string) *cases.Submission {
	for i := range subs {
		if subs[i].Corrects == id {
			return &subs[i]
		}
	}
	return nil
}

// corrections are the reader's submissions on the case that a workflow
// returned to them and that wait for their correction.
func (pg *Pages) corrections(c *fiber.Ctx, p *auth.Principal, k cases.Case) ([]ui.Correction, error) {
	var out []ui.Correction
	subs := k.Answered()
	for _, sub := range subs {
		if sub.SubmittedBy != p.Subject || correctionOf(subs, sub.ID) != nil {
			continue
		}
		t, err := pg.Tasks.AmendTask(c.UserContext(), p, sub.ID)
		if refusal, ok := problem.As(err); ok && refusal.Reason == tasks.ReasonNotWaiting || errors.Is(err, tasks.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if t.Status == engine.TaskOpen {
			out = append(out, ui.Correction{Form: pg.formTitle(c, sub.Form, sub.FormVersion), Reason: t.Reason, Href: "/tasks/" + t.ID})
		}
	}
	return out, nil
}

// submittedAnswers lays a submission's answers out page by page, its files
// linked for download.
// A file stored before uploads were scanned, and not yet reached by the
// background scan, is tagged "not yet scanned".
func (pg *Pages) submittedAnswers(c *fiber.Ctx, f *forms.Form, sub cases.Submission) ([]ui.AnswerSection, error) {
	pages, err := submittedPages(f, sub)
	if err != nil {
		return nil, err
	}
	var data any
	_ = json.Unmarshal(sub.Data, &data)
	var ids []string
	for _, fv := range f.Files(data) {
		ids = append(ids, fv.ID)
	}
	pending, err := pg.Cases.PendingFiles(c.UserContext(), ids)
	if err != nil {
		return nil, err
	}
	note := func(id string) string {
		if pending[id] {
			return lang.For(route.Lang(c)).T("field.notYetScanned")
		}
		return ""
	}
	return ui.SubmittedAnswersNoted(pages, fileHref, route.Lang(c), note), nil
}

// submittedPages are a submission's answers in its form's pages.
func submittedPages(f *forms.Form, sub cases.Submission) ([]forms.Page, error) {
	var data map[string]any
	if err := json.Unmarshal(sub.Data, &data); err != nil {
		return nil, fmt.Errorf("read submission %s: %w", sub.ID, err)
	}
	return f.Pages(data, nil), nil
}

// fileHref is where a submitted file is downloaded.
func fileHref(id string) string { return "/api/v1/files/" + id }

// nameThePeople shows each person on the case page by the name the user
// directory has for them; someone it does not know keeps their subject.
func (pg *Pages) nameThePeople(c *fiber.Ctx, d *ui.CaseData) error {
	var who []*string
	for i := range d.Events {
		if d.Events[i].Who != "COP" {
			who = append(who, &d.Events[i].Who)
		}
	}
	for i := range d.Submissions {
		who = append(who, &d.Submissions[i].Who)
	}
	return pg.name(c, who)
}

// name replaces each subject with the person's name from the user
// directory; someone it does not know keeps their subject.
func (pg *Pages) name(c *fiber.Ctx, who []*string) error {
	subjects := make([]string, len(who))
	for i, w := range who {
		subjects[i] = *w
	}
	names, err := pg.Directory.Names(c.UserContext(), subjects)
	if err != nil {
		return err
	}
	for _, w := range who {
		if n, ok := names[*w]; ok {
			*w = n
		}
	}
	return nil
}

// formTitle is a form version's title, or its name when it cannot be read.
func (pg *Pages) formTitle(c *fiber.Ctx, name, version string) string {
	if f, _, err := pg.Definitions.Form(c.UserContext(), name, version); err == nil {
		return f.Def.Title
	}
	return name
}

// workflowTitle is a workflow version's title (document.title), or its
// namespace and name when it has none or cannot be read.
func (pg *Pages) workflowTitle(c *fiber.Ctx, namespace, name, version string) string {
	return casepdf.WorkflowTitle(c.UserContext(), pg.Definitions, namespace, name, version)
}

// instanceEvents are a workflow's start, its finished steps and its end.
// The steps come from the instance's trace; when it cannot be read (the
// worker is away), the start and end still show.
func (pg *Pages) instanceEvents(c *fiber.Ctx, p *auth.Principal, in cases.InstanceInfo) []ui.CaseEvent {
	name := pg.workflowTitle(c, in.Namespace, in.Name, in.Version)
	out := []ui.CaseEvent{{At: in.StartedAt, What: "Workflow " + name + " started", Who: in.StartedBy}}
	if operators.Check(p) == 0 {
		// Those who operate instances go from the case to the instance.
		out[0].Href, out[0].Link = "/operate/instances/"+url.PathEscape(in.ID), "Open instance"
	}
	if full, err := pg.Instances.Get(c.UserContext(), p, in.ID); err == nil {
		for _, step := range full.Trace {
			if step.EndedAt == nil || step.Status == "running" || strings.Count(step.Position, "/") > 2 {
				continue // running, or a step inside a step: the top-level steps tell the story
			}
			out = append(out, ui.CaseEvent{At: *step.EndedAt, What: "Workflow step " + step.Name + " " + step.Status, Who: "COP"})
		}
	}
	if in.EndedAt != nil {
		out = append(out, ui.CaseEvent{At: *in.EndedAt, What: "Workflow " + name + " " + in.Status, Who: "COP"})
	}
	return out
}

// mayOpenTask: the task is still open and the reader may open its page,
// so the timeline links to it (a link to "Page not found" helps nobody).
func (pg *Pages) mayOpenTask(c *fiber.Ctx, p *auth.Principal, t cases.TaskInfo) bool {
	if t.Status != string(engine.TaskOpen) {
		return false
	}
	_, err := pg.Tasks.Task(c.UserContext(), p, t.ID)
	return err == nil
}

// taskEvents are a task's creation and completion; link: the creation
// links to the task's page.
func taskEvents(t cases.TaskInfo, link bool) []ui.CaseEvent {
	out := []ui.CaseEvent{{At: t.CreatedAt, What: "Task " + t.Title + " created", Who: "COP"}}
	if link {
		out[0].Href, out[0].Link = "/tasks/"+t.ID, "Open task"
	}
	if t.CompletedAt != nil {
		who := t.CompletedBy
		if who == "" {
			who = "COP"
		}
		out = append(out, ui.CaseEvent{At: *t.CompletedAt, What: "Task " + t.Title + " " + t.Status, Who: who})
	}
	return out
}

// casePDF is GET /cases/{key}.pdf: the case as a PDF (CasePDF), to keep
// or hand over; ?lang=cy for Welsh, ?asOf=N as of an audit row.
func (pg *Pages) casePDF(c *fiber.Ctx) error {
	asOf, err := casepdf.ParseAsOf(c.Query("asOf"))
	if err != nil {
		return pg.pageError(c, err)
	}
	pdf, snap, err := casepdf.Draw(c.UserContext(), pg.Definitions, pg.Cases, route.Principal(c), c.Params("key"), asOf, route.Lang(c))
	if err != nil {
		return pg.pageError(c, err)
	}
	return casepdf.Send(c, snap, pdf)
}

// notificationsPer is how many notifications a page of them shows.
const notificationsPer = 20

// notificationsPage lists the caller's notifications, newest first, read
// and unread, a page at a time.
func (pg *Pages) notificationsPage(c *fiber.Ctx) error {
	list, next, err := pg.Tasks.Notifications(c.UserContext(), route.Principal(c), false, notificationsPer, c.Query("cursor"))
	if err != nil {
		return pg.pageError(c, err)
	}
	d := ui.NotificationsData{}
	for _, n := range list {
		d.Items = append(d.Items, ui.NotificationItem{Notice: noticeOf(n.In(route.Lang(c))), At: n.CreatedAt, Read: n.Read, Undelivered: n.Undelivered})
	}
	if next != "" {
		d.Next = "/notifications?cursor=" + url.QueryEscape(next)
	}
	return pg.Render(c, fiber.StatusOK, "notifications", d)
}

// readNotice marks a notification read from the banner and returns to the
// page it was on.
func (pg *Pages) readNotice(c *fiber.Ctx) error {
	if err := pg.checkCSRF(c); err != nil {
		return pg.pageError(c, err)
	}
	if err := pg.Tasks.MarkRead(c.UserContext(), route.Principal(c), c.Params("id")); err != nil {
		return pg.pageError(c, err)
	}
	return c.Redirect(ui.SafeReturn(c.FormValue("return", "/")), fiber.StatusSeeOther)
}
