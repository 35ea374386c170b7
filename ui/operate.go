package ui

import (
	"html/template"
	"strconv"
	"strings"
	"time"

	"cop/ui/diagram"
)

// The operating pages' data: the instance list and one instance.

// OperateListData is /operate: the filters, the counts by status, and a
// page of instances.
type OperateListData struct {
	Workflow, Version, Status, Case, From, To string
	Errors                                    []FieldProblem
	Counts                                    []StatusCount
	Instances                                 []OperateRow
	First, Next                               string
}

// FieldProblem is a GET form's field that cannot be read.
type FieldProblem struct{ Field, Message string }

// ErrorList is the error summary of the filters.
func (d OperateListData) ErrorList() []any {
	out := make([]any, 0, len(d.Errors))
	for _, e := range d.Errors {
		out = append(out, map[string]any{"text": e.Message, "href": "#" + e.Field})
	}
	return out
}

// FieldError is a filter's error message, nil when it has none.
func (d OperateListData) FieldError(field string) any {
	for _, e := range d.Errors {
		if e.Field == field {
			return map[string]any{"text": e.Message}
		}
	}
	return nil
}

// StatusItems are the status select's options.
func (d OperateListData) StatusItems() []any {
	items := []any{map[string]any{"value": "", "text": "Any status"}}
	for _, c := range d.Counts {
		items = append(items, map[string]any{"value": c.Status, "text": c.Status, "selected": c.Status == d.Status})
	}
	if len(d.Counts) == 0 {
		for _, s := range []string{"starting", "running", "completed", "faulted", "cancelled"} {
			items = append(items, map[string]any{"value": s, "text": s, "selected": s == d.Status})
		}
	}
	return items
}

// StatusCount is how many instances have a status, linked to them.
type StatusCount struct {
	Status  string
	Count   int
	Href    string
	Current bool
}

// Text is the count as a link says it.
func (c StatusCount) Text() string { return strconv.Itoa(c.Count) + " " + c.Status }

// OperateRow is one instance in the list.
type OperateRow struct {
	Href, ID, Workflow, Version, Status, Case, StartedBy string
	Draft                                                bool
	StartedAt                                            time.Time
	EndedAt                                              *time.Time
}

// OperateInstanceData is one instance.
type OperateInstanceData struct {
	ID, Workflow, Version, Status, Case, StartedBy string
	Draft                                          bool
	StartedAt                                      time.Time
	EndedAt                                        *time.Time
	Input, Output                                  []ListingLine
	Fault                                          *OperateFault
	Trace                                          []OperateTraceRow
	Tasks                                          []OperateTask
	Events                                         []OperateEvent
	Diagram                                        template.HTML
	Steps                                          []diagram.Step
	Retries                                        int
	// Retry is the retry form's action, for a faulted instance; Reason
	// what was typed in it, Problem why it was refused.
	Retry, Reason, Problem, ReasonError string
	Message                             string
	// Cancel is the cancel form's action, for a running instance.
	Cancel, CancelReason string
	// ProblemForm is the form Problem is about: retry, cancel, or the
	// reassign form of a task (reassign-ID).
	ProblemForm string
}

// ProblemHref is where the error summary's link goes: the field at fault.
func (d OperateInstanceData) ProblemHref() string {
	if strings.HasPrefix(d.ProblemForm, "reassign-") {
		return "#" + d.ProblemForm
	}
	return "#" + d.ProblemForm + "-reason"
}

// FormError is the reason's error message on the form named, nil when it
// has none.
func (d OperateInstanceData) FormError(form string) any {
	if d.ReasonError == "" || d.ProblemForm != form {
		return nil
	}
	return map[string]any{"text": d.ReasonError}
}

// OperateTask is one of an instance's open tasks: whose it is and, for
// those who may, a form that gives it to someone else.
type OperateTask struct {
	ID, Title, Href, Groups, HeldBy string
	Priority                        int
	// Reassign is the reassign form's action; Assignees whom it offers
	// (the known members of the task's candidate groups); Error why the
	// last reassignment was refused.
	Reassign  string
	Assignees []Choice
	Error     string
}

// AssigneeItems are the reassign list's options, "choose" first.
func (t OperateTask) AssigneeItems() []any { return choiceItems("Choose an officer", t.Assignees) }

// ErrorMessage is the reassign field's error, nil when it has none.
func (t OperateTask) ErrorMessage() any {
	if t.Error == "" {
		return nil
	}
	return map[string]any{"text": t.Error}
}

// OperateEvent is a CloudEvent the instance received.
type OperateEvent struct {
	Type, Source, ID, Subject, From string
	At                              time.Time
	Data                            []ListingLine
}

// OperateFault is a faulted instance's error: the DSL's error object and
// the task it faulted in.
type OperateFault struct {
	Type, Title, Detail, Pointer, Task string
	Status                             int
}

// OperateTraceRow is one task of an instance's trace, with when it began.
type OperateTraceRow struct {
	AuthorTraceRow
	StartedAt time.Time
}

// statusTag is the tag of an instance's status.
func statusTag(status string) map[string]any {
	classes := map[string]string{"starting": "govuk-tag--grey", "running": "govuk-tag--blue", "completed": "govuk-tag--green",
		"faulted": "govuk-tag--red", "cancelled": "govuk-tag--grey"}[status]
	return map[string]any{"text": status, "classes": classes}
}
