package ui

import (
	"html/template"
	"strconv"
	"strings"
	"time"

	udiff "github.com/aymanbagabas/go-udiff"

	"cop/forms"
	"cop/ui/diagram"
)

// The authoring pages' data: the list of definitions, an upload and its
// problems, an upload waiting to be published, a definition's versions,
// one version, and a diff of two.

// AuthorListData is /author: each kind's definitions, found by name.
type AuthorListData struct {
	Search string
	Kinds  []AuthorKindList
}

// AuthorKindList is one kind's definitions on /author.
type AuthorKindList struct {
	Title  string // "Forms"
	Noun   string // "form"
	Upload string // the kind's upload page
	Items  []AuthorItem
	More   bool // there are more than are listed
}

// AuthorItem is one definition: its latest version.
type AuthorItem struct {
	Href, Name, Title, Version, Status, By string
	At                                     time.Time
}

// AuthorUploadData is a kind's upload page: the text area (and file
// input) and, after a refused dry run, the problems and the text as read.
type AuthorUploadData struct {
	Noun     string // "form"
	Title    string // "Upload a form"
	Action   string
	Text     string
	Filename string
	Problems []AuthorProblem
	// Listing is the uploaded text, line by line, each problem under its
	// line; only the lines near a problem when the text is long.
	Listing []ListingLine
	Back    string
}

// AuthorProblem is one thing wrong with an upload, where it is written.
type AuthorProblem struct {
	Pointer string
	Line    int // 0: nowhere in particular
	Column  int
	Message string
}

// Text is how the error summary says it: where, then what.
func (p AuthorProblem) Text() string {
	var at []string
	if p.Pointer != "" {
		at = append(at, p.Pointer)
	}
	if p.Line > 0 {
		at = append(at, "line "+strconv.Itoa(p.Line)+", column "+strconv.Itoa(p.Column))
	}
	if len(at) == 0 {
		return p.Message
	}
	return strings.Join(at, " (") + strings.Repeat(")", len(at)-1) + ": " + p.Message
}

// Href is where the error summary's link goes: the line in the listing,
// else the text area.
func (p AuthorProblem) Href() string {
	if p.Line > 0 {
		return "#line-" + strconv.Itoa(p.Line)
	}
	return "#text"
}

// ListingLine is one line of a listed text; Gap marks lines left out
// before it.
type ListingLine struct {
	N        int
	Text     string
	Gap      bool
	Problems []string
}

// listingContext is how many lines around a problem a long listing keeps.
const (
	listingWhole   = 400
	listingContext = 3
)

// Listing lays a text out line by line with each problem under its line.
// A text with problems longer than listingWhole lines keeps only the lines
// near them.
func Listing(text string, problems []AuthorProblem) []ListingLine {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	at := map[int][]string{}
	for _, p := range problems {
		if p.Line > 0 {
			at[p.Line] = append(at[p.Line], p.Message)
		}
	}
	keep := func(int) bool { return true }
	if len(lines) > listingWhole && len(at) > 0 {
		near := map[int]bool{}
		for l := range at {
			for n := l - listingContext; n <= l+listingContext; n++ {
				near[n] = true
			}
		}
		keep = func(n int) bool { return near[n] }
	}
	var out []ListingLine
	skipped := false
	for i, l := range lines {
		n := i + 1
		if !keep(n) {
			skipped = true
			continue
		}
		out = append(out, ListingLine{N: n, Text: strings.TrimRight(l, "\r"), Gap: skipped, Problems: at[n]})
		skipped = false
	}
	return out
}

// AuthorStagedData is an upload that passed its dry run, waiting to be
// published.
type AuthorStagedData struct {
	Noun, Name, Version, Title, Filename string
	Uploaded                             time.Time
	Published                            string // the published version's page, once published
	Pins                                 []forms.Pin
	Diff                                 []DiffHunk // against the latest version published, if any
	Against                              string     // that version
	Preview                              string     // a form's preview action
	Publish                              string
	Change                               string
	Problem                              string // why publishing was refused
	Message                              string
	Workflow                             *AuthorWorkflow
}

// AuthorVersionsData is a definition's versions and the form to compare two.
type AuthorVersionsData struct {
	Noun, Name, Title, Diff, Upload string
	Message                         string
	Versions                        []AuthorVersionRow
}

// AuthorVersionRow is one version in the list.
type AuthorVersionRow struct {
	Href, Version, Status, UploadedBy, RetiredBy string
	UploadedAt                                   time.Time
	RetiredAt                                    *time.Time
}

// AuthorVersionData is one version: what it is, what it pins, who uses
// it, its content, and what an author can do with it.
type AuthorVersionData struct {
	Noun, Name, Version, Title, Status, Checksum string
	UploadedBy, RetiredBy                        string
	UploadedAt                                   time.Time
	RetiredAt                                    *time.Time
	Versions                                     string
	Pins                                         []AuthorPin
	UsedBy                                       []string
	Retire                                       string // the retire action, for an active version
	Preview                                      string // a form's preview action
	Problem                                      string // why retiring was refused
	Message                                      string
	Listing                                      []ListingLine
	Workflow                                     *AuthorWorkflow
}

// AuthorPin is a term or reference data version a form was compiled with.
type AuthorPin struct {
	Kind, Ref, Resolved, Href string
}

// AuthorDiffData compares two versions.
type AuthorDiffData struct {
	Noun, Name, From, To, Back string
	Versions                   []string
	Hunks                      []DiffHunk
}

// DiffHunk is a run of changed lines with their context.
type DiffHunk struct {
	Heading string
	Lines   []DiffLine
}

// DiffLine is one line of a diff: Kind "added", "removed" or "same"; Old
// and New its line numbers in each text (0 where it is not in one).
type DiffLine struct {
	Kind     string
	Old, New int
	Text     string
}

// LineDiff compares two texts line by line, three lines of context around
// each change; none when they are the same.
func LineDiff(old, new string) []DiffHunk {
	if !strings.HasSuffix(old, "\n") {
		old += "\n"
	}
	if !strings.HasSuffix(new, "\n") {
		new += "\n"
	}
	u, err := udiff.ToUnifiedDiff("old", "new", old, udiff.Lines(old, new), udiff.DefaultContextLines)
	if err != nil {
		return nil // cannot happen: the edits are the library's own
	}
	out := make([]DiffHunk, 0, len(u.Hunks))
	for _, h := range u.Hunks {
		o, n := h.FromLine, h.ToLine
		hunk := DiffHunk{}
		for _, l := range h.Lines {
			dl := DiffLine{Text: strings.TrimSuffix(l.Content, "\n")}
			switch l.Kind {
			case udiff.Delete:
				dl.Kind, dl.Old = "removed", o
				o++
			case udiff.Insert:
				dl.Kind, dl.New = "added", n
				n++
			default:
				dl.Kind, dl.Old, dl.New = "same", o, n
				o++
				n++
			}
			hunk.Lines = append(hunk.Lines, dl)
		}
		hunk.Heading = "Lines " + strconv.Itoa(h.FromLine) + " to " + strconv.Itoa(max(h.FromLine, o-1)) + " before, " + strconv.Itoa(h.ToLine) + " to " + strconv.Itoa(max(h.ToLine, n-1)) + " after"
		out = append(out, hunk)
	}
	return out
}

// authorErrors are the error summary's items for an upload's problems.
func authorErrors(ps []AuthorProblem) []any {
	out := make([]any, 0, len(ps))
	for _, p := range ps {
		out = append(out, map[string]any{"text": p.Text(), "href": p.Href()})
	}
	return out
}

// authorTextError is the text area's error message when an upload has
// problems: how many, and that they are listed with the text below.
func authorTextError(ps []AuthorProblem) any {
	switch len(ps) {
	case 0:
		return nil
	case 1:
		return map[string]any{"text": ps[0].Message}
	}
	return map[string]any{"text": "There are " + strconv.Itoa(len(ps)) + " problems: each is shown under its line below"}
}

// versionItems are the options of a compare select, the one at index
// selected chosen.
func versionItems(rows []AuthorVersionRow, selected int) []any {
	out := make([]any, 0, len(rows))
	for i, r := range rows {
		out = append(out, map[string]any{"value": r.Version, "text": r.Version, "selected": i == selected})
	}
	return out
}

// PreviewDoneData ends a form's preview: the answers as Check your
// answers laid them out, and the JSON a submission would send.
type PreviewDoneData struct {
	FormTitle   string
	Sections    []AnswerSection
	Sent        []ListingLine
	Again, Back string
}

// Rows are the version's summary list: title, status, who published and
// retired it, when, and its checksum.
func (d AuthorVersionData) Rows() []any {
	row := func(k, v string) any {
		return map[string]any{"key": map[string]any{"text": k}, "value": map[string]any{"text": v}}
	}
	title, status := d.Title, "Active"
	if title == "" {
		title = "None"
	}
	if d.Status != "active" {
		status = "Retired"
	}
	rows := []any{row("Title", title), row("Status", status), row("Published", "by "+d.UploadedBy+", "+when(d.UploadedAt))}
	if d.RetiredAt != nil {
		rows = append(rows, row("Retired", "by "+d.RetiredBy+", "+when(d.RetiredAt)))
	}
	return append(rows, map[string]any{"key": map[string]any{"text": "Checksum"}, "value": map[string]any{"text": d.Checksum, "classes": "cop-wrap"}})
}

// AuthorWorkflow is a workflow's part of its pages: the diagram and the
// same content as a list, the forms its user tasks use, and Try it with
// its fields, their problems, and the run it started.
type AuthorWorkflow struct {
	Diagram                 template.HTML
	Steps                   []diagram.Step
	Forms                   []AuthorPin
	Try                     string
	Input, TaskData, Events string
	Problems                []AuthorProblem // Pointer names the field: input, taskData, events
	Run                     *AuthorRun
}

// FieldError is the message of a Try it field's problem, for its error
// message.
func (w *AuthorWorkflow) FieldError(field string) any {
	for _, p := range w.Problems {
		if p.Pointer == field {
			return map[string]any{"text": p.Message}
		}
	}
	return nil
}

// ErrorList is Try it's error summary.
func (w *AuthorWorkflow) ErrorList() []any {
	out := make([]any, 0, len(w.Problems))
	for _, p := range w.Problems {
		href := "#try-" + p.Pointer
		if p.Pointer == "definition" {
			href = "#diagram" // the workflow itself
		}
		out = append(out, map[string]any{"text": p.Message, "href": href})
	}
	return out
}

// AuthorRun is a draft run as Try it shows it.
type AuthorRun struct {
	ID, Status    string
	Output        []ListingLine
	Fault         *AuthorFault
	Trace         []AuthorTraceRow
	Tasks         []AuthorRunTask
	Notifications []AuthorRunNotice
	// Refused is the task data the tasks' forms refused, a line a task.
	Refused []string
	// Return is the page the run was tried from, where cancelling it
	// comes back to.
	Return string
}

// AuthorFault is where and why a draft run faulted.
type AuthorFault struct {
	Title, Detail, Type, At string
	Marked                  bool // the diagram marks the task
}

// AuthorTraceRow is one task a draft run ran.
type AuthorTraceRow struct{ Name, Position, Status, Took string }

// AuthorRunTask is a user task a draft run gave the author.
type AuthorRunTask struct {
	Title, Status, Href string
	Priority            int
}

// AuthorRunNotice is a notification a draft run sent the author.
type AuthorRunNotice struct{ Title, Body string }

// PreviewStartData starts a form version's preview.
type PreviewStartData struct {
	Name, Version, Title, Description, Start, Back string
}

// AuthorImportData is the import page: the form to choose a file, then
// what the import proposes and could not map.
type AuthorImportData struct {
	Kind               string // "spreadsheet", "xlsform", "formio" or "bpmn"
	Name, Title, Sheet string
	// Errors are the error summary's items ({text, href}); NameError and
	// FileError the fields' own messages.
	Errors               []any
	NameError, FileError any
	// After an import: the report (each {where, why}), the proposed
	// definition, and where to check it.
	Imported   bool
	File       string
	Rows       int
	Questions  int
	Report     [][]any // govukTable rows: where, why
	Definition string
	Check      string // the upload page the definition is posted to
	// A BPMN import proposes a workflow (Definition, checked on the
	// workflow upload page) and the forms it needs.
	Forms []AuthorImportedForm
}

// AuthorImportedForm is one form a BPMN import proposes.
type AuthorImportedForm struct {
	Name, Definition string
	Stub             bool // a stand-in for a form the process names
}
