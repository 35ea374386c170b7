package ui

import (
	"html/template"
	"strings"
	"time"

	"cop/forms"
)

// The data each page is drawn from. Handlers fill these from the services;
// the page templates only lay them out.

// TaskListData is "Your team's work".
type TaskListData struct {
	Tasks      []TaskRow
	Form       string // the form filter ("" = every form)
	Status     string // the status filter
	Forms      []Choice
	Statuses   []Choice
	Next       string // the next page's URL, "" on the last
	First      string // the first page's URL when not on it
	Supervisor bool
	Teams      []string // the caller's teams, named in the introduction
	Message    string   // what just happened ("The task has been reassigned")
}

// Choice is an option of a filter.
type Choice struct {
	Value, Text string
	Selected    bool
}

// TaskRow is one task of the list or the task page.
type TaskRow struct {
	ID, Title, BusinessKey, Form, Reason, Status string
	Priority                                     int
	Due                                          *time.Time
	Overdue                                      bool
	ClaimedBy                                    string // who holds it, in words ("you", a name)
	CanClaim, CanRelease                         bool
}

// taskCard is a task as a GOV.UK summary card: its title links to the task.
// The card adds its title to the link's hidden text ("Open task for case
// VEH-20260101-1 (Decide on vehicle AB12 CDE)"), so the link adds only what
// tells apart tasks of the same title.
func taskCard(t TaskRow) map[string]any {
	open := "task"
	if t.BusinessKey != "" {
		open += " for case " + t.BusinessKey
	}
	rows := []any{
		summaryRow("Case", t.BusinessKey),
		map[string]any{"key": map[string]any{"text": "Priority"}, "value": map[string]any{"html": string(priorityHTML(t))}},
		map[string]any{"key": map[string]any{"text": "Due"}, "value": map[string]any{"html": string(dueHTML(t))}},
		summaryRow("Status", taskStatus(t)),
	}
	return map[string]any{
		"card": map[string]any{
			"title":   map[string]any{"text": t.Title},
			"actions": map[string]any{"items": []any{map[string]any{"href": "/tasks/" + t.ID, "text": "Open", "visuallyHiddenText": open}}},
		},
		"rows": rows,
	}
}

func summaryRow(key, value string) map[string]any {
	if value == "" {
		value = "None"
	}
	return map[string]any{"key": map[string]any{"text": key}, "value": map[string]any{"text": value}}
}

func priorityHTML(t TaskRow) template.HTML {
	tag := priorityTag(t.Priority)
	h := `<strong class="govuk-tag ` + tag["classes"].(string) + `">` + tag["text"].(string) + `</strong>`
	if t.Reason != "" {
		h += ` <span class="govuk-body-s">` + template.HTMLEscapeString(t.Reason) + `</span>`
	}
	return template.HTML(h)
}

func dueHTML(t TaskRow) template.HTML {
	if t.Due == nil {
		return "No due date"
	}
	h := template.HTMLEscapeString(when(t.Due))
	if t.Overdue {
		h = `<strong class="govuk-tag govuk-tag--red">Overdue</strong> ` + h
	}
	return template.HTML(h)
}

func taskStatus(t TaskRow) string {
	switch {
	case t.Status != "open":
		return capitalise(t.Status)
	case t.ClaimedBy != "":
		return "Claimed by " + t.ClaimedBy
	}
	return "Not claimed"
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// TaskData is one task's page.
type TaskData struct {
	Task      TaskRow
	Details   []any    // summary-list rows of what the task was given
	CanWork   bool     // claimed by the caller: the form is shown
	CanAssign bool     // a supervisor of the task's team
	Assignees []Choice // the people in the task's groups, from the user directory
	Fields    []forms.Field
	Errors    []forms.FieldError
	Message   string // what just happened ("You claimed this task")
	// Decision is a completed task's answers, with its form's labels.
	Decision []AnswerSection
	// Case is what was submitted on the task's case that the caller may
	// read, newest first; for an amend task, the answers to correct.
	Case []CaseSubmission
	// Amending: the task returns a submission to its submitter to correct
	// (no decision form, claim or reassignment); AmendAction, for the
	// submitter while it is open, is where "Correct your answers" posts.
	Amending    bool
	AmendAction string
}

// AssigneeItems are the reassign list's options, "choose" first.
func (d TaskData) AssigneeItems() []any { return choiceItems("Choose an officer", d.Assignees) }

// StartData lists what the caller may start, and their saved drafts.
type StartData struct {
	Forms     []StartItem
	Workflows []StartItem
	Drafts    []DraftItem
	Message   string // what just happened ("The saved form was deleted")
}

// StartItem is a form or workflow the caller may start.
type StartItem struct {
	Name, Href, Title, Description string
}

// DraftItem is a saved, unsubmitted form.
type DraftItem struct {
	ID, Href, Title string
	Saved           time.Time
	// Summary is its first answers, to tell it from other drafts of the
	// same form ("Registration number: AB12 CDE").
	Summary string
}

// FormStartData is a form's start page.
type FormStartData struct {
	Name, Title, Description string
	Case                     string // the case the answers will join, if any
	Pages                    int
}

// FormPageData is one page of a form journey.
type FormPageData struct {
	FormTitle string
	// Title is the page's heading, unless its one question is (Fields[0]
	// is then drawn as the heading).
	Title   string
	Caption string // "Page 2 of 4" or "More about your answers"
	Action  string // where the page posts
	Back    string // the previous page
	Fields  []forms.Field
	Errors  []forms.FieldError
	// Preview: an author is walking the form; nothing is stored or sent.
	Preview bool
}

// QuestionIsHeading: the page asks one question, which is its heading.
func (d FormPageData) QuestionIsHeading() bool { return len(d.Fields) == 1 && d.Fields[0].PageHeading }

// CheckData is "Check your answers".
type CheckData struct {
	FormTitle, Action, Back string
	// Amending: the answers correct a submission a workflow returned.
	Amending   bool
	Preview    bool // an author's preview: nothing is submitted
	Sections   []CheckSection
	Errors     []forms.FieldError
	ErrorLinks []any
}

// CheckSection is one page's answers.
type CheckSection struct {
	Title string
	Rows  []any
}

// SavedData confirms "Save and come back later".
type SavedData struct {
	FormTitle, Resume string
}

// ConfirmationData is the page after a submission.
type ConfirmationData struct {
	FormTitle, BusinessKey string
	Started                int      // workflows the submission started
	Next                   []string // the form's own "What happens next", by paragraph
	Sections               []AnswerSection
	// Corrected: the answers correct an earlier submission.
	Corrected bool
}

// CaseData is a case's timeline.
type CaseData struct {
	BusinessKey string
	Opened      time.Time
	// Submissions are the answers the reader may see, newest first.
	Submissions []CaseSubmission
	// AddForms are the forms the reader may start on this case.
	AddForms []StartItem
	Events   []CaseEvent
	Message  string // what just happened ("You have completed the task")
	// Corrections are the reader's submissions a workflow has returned to
	// them to correct, waiting for them.
	Corrections []Correction
}

// Correction is a return for correction waiting for the reader.
type Correction struct {
	Form, Reason, Href string
}

// HTML is the correction's banner body: what was returned, why, and the
// way to correct it.
func (c Correction) HTML() template.HTML {
	h := `<p class="govuk-notification-banner__heading">Your ` + template.HTMLEscapeString(c.Form) + ` was returned to you to correct</p>`
	if c.Reason != "" {
		h += `<p class="govuk-body">` + template.HTMLEscapeString(c.Reason) + `</p>`
	}
	return template.HTML(h + `<p class="govuk-body"><a class="govuk-notification-banner__link" href="` +
		template.HTMLEscapeString(c.Href) + `">Correct your answers</a></p>`)
}

// CaseSubmission is one submission's answers on its case's page.
type CaseSubmission struct {
	Title    string // the form's
	Who      string
	At       time.Time
	Sections []AnswerSection
	// Corrects and CorrectedAt: the submission is a correction of
	// another; a later one corrects it (when).
	Corrects    bool
	CorrectedAt *time.Time
}

// CaseEvent is one line of a case's timeline.
type CaseEvent struct {
	At         time.Time
	What, Who  string
	Href, Link string
}

// FormItems are the form filter's options.
func (d TaskListData) FormItems() []any { return choiceItems("All forms", d.Forms) }

// StatusItems are the status filter's options.
func (d TaskListData) StatusItems() []any { return choiceItems("", d.Statuses) }

func choiceItems(all string, cs []Choice) []any {
	var items []any
	if all != "" {
		items = append(items, map[string]any{"value": "", "text": all})
	}
	for _, c := range cs {
		items = append(items, map[string]any{"value": c.Value, "text": c.Text, "selected": c.Selected})
	}
	return items
}

// Pagination is the list's pagination: the task list pages forward from a
// cursor, so "previous" goes back to the first page.
func (d TaskListData) Pagination() map[string]any {
	o := map[string]any{}
	if d.First != "" {
		o["previous"] = map[string]any{"href": d.First, "text": "First page"}
	}
	if d.Next != "" {
		o["next"] = map[string]any{"href": d.Next, "text": "Next page"}
	}
	return o
}

// TaskRows are the task's own details.
func (d TaskData) TaskRows() []any {
	card := taskCard(d.Task)
	return card["rows"].([]any)
}

// PanelHTML is the confirmation panel's body: the case reference, under
// what it is (in the page's language).
func (d ConfirmationData) PanelHTML(what string) template.HTML {
	return template.HTML(template.HTMLEscapeString(what) + "<br><strong>" + template.HTMLEscapeString(d.BusinessKey) + "</strong>")
}

// Head is the timeline table's header.
func (d CaseData) Head() []any {
	return []any{map[string]any{"text": "When"}, map[string]any{"text": "What happened"}, map[string]any{"text": "Who"}}
}

// Rows are the timeline's events as table rows.
func (d CaseData) Rows() []any {
	rows := make([]any, 0, len(d.Events))
	for _, e := range d.Events {
		what := map[string]any{"text": e.What}
		if e.Href != "" {
			what = map[string]any{"html": template.HTMLEscapeString(e.What) + ` <a class="govuk-link" href="` +
				template.HTMLEscapeString(e.Href) + `">` + template.HTMLEscapeString(e.Link) + `</a>`}
		}
		rows = append(rows, []any{map[string]any{"text": when(e.At)}, what, map[string]any{"text": e.Who}})
	}
	return rows
}

// NotificationsData is the notifications page: newest first, a page at a
// time.
type NotificationsData struct {
	Items []NotificationItem
	Next  string // the next (older) page's link, "" at the end
}

// NotificationItem is one notification on its page.
type NotificationItem struct {
	Notice
	At   time.Time
	Read bool
	// Undelivered says why it could not be emailed to the reader.
	Undelivered string
}

// CaseListData is the Cases page: the cases the reader may read, newest
// first, with its search.
type CaseListData struct {
	Key        string   // the business key searched for
	Mine       bool     // only cases the reader submitted to or worked on
	Status     string   // open, closed, or "" for both
	Forms      []Choice // the form filter
	Cases      []CaseListItem
	Next       string // the next (older) page's URL, "" on the last
	First      string // the first page's URL when not on it
	Supervisor bool   // the list holds their teams' cases
	Searched   bool   // a filter is applied
}

// CaseListItem is one case in the list.
type CaseListItem struct {
	BusinessKey string
	Opened      time.Time
	Forms       []string // titles
	Open        bool     // a workflow in it is still going
}

// StatusItems are the case status filter's options.
func (d CaseListData) StatusItems() []any {
	return choiceItems("", []Choice{{Value: "", Text: "Open and closed", Selected: d.Status == ""},
		{Value: "open", Text: "Open", Selected: d.Status == "open"}, {Value: "closed", Text: "Closed", Selected: d.Status == "closed"}})
}

// FormItems are the form filter's options.
func (d CaseListData) FormItems() []any { return choiceItems("All forms", d.Forms) }

// Pagination links the list's first and next pages.
func (d CaseListData) Pagination() map[string]any {
	return TaskListData{Next: d.Next, First: d.First}.Pagination()
}

// Rows are the cases as table rows.
func (d CaseListData) Rows() []any {
	rows := make([]any, 0, len(d.Cases))
	for _, c := range d.Cases {
		key := template.HTMLEscapeString(c.BusinessKey)
		rows = append(rows, []any{
			map[string]any{"html": `<a class="govuk-link" href="/cases/` + key + `">` + key + `</a>`},
			map[string]any{"text": strings.Join(c.Forms, ", ")},
			map[string]any{"html": caseStatusTag(c.Open)},
			map[string]any{"text": when(c.Opened)},
		})
	}
	return rows
}

func caseStatusTag(open bool) string {
	if open {
		return `<strong class="govuk-tag govuk-tag--blue">Open</strong>`
	}
	return `<strong class="govuk-tag govuk-tag--grey">Closed</strong>`
}
