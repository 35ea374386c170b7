// Package journey is a form's journey through a draft, as pure domain code:
// its pages as the answers so far draw them, the questions the answers
// reveal (asked in place, or on a follow-up page), reading a posted page
// into the answers, adding and removing entries of a list, and where one
// press of a page's button leads. The page handlers parse the request,
// ask the journey, save the draft once and redirect; this package has no
// HTTP, SQL or Temporal.
package journey

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"cop/forms"
)

// CheckPage is the draft's saved page once every page is answered: Check
// your answers. Page ids cannot hold "_", so no page can be mistaken for it.
const CheckPage = "_check"

// Journey is a draft's answers and the form's pages as they draw them.
type Journey struct {
	Form  *forms.Form
	Data  map[string]any
	Pages []forms.Page
}

// New is the journey of a form through a draft's answers.
func New(f *forms.Form, data map[string]any) *Journey {
	return &Journey{Form: f, Data: data, Pages: f.Pages(data, nil)}
}

// PageIndex is the index of the page with the id, or -1.
func (j *Journey) PageIndex(id string) int {
	return slices.IndexFunc(j.Pages, func(p forms.Page) bool { return p.ID == id })
}

// Next is the page after page i, or Check your answers.
func (j *Journey) Next(i int) string {
	if i+1 < len(j.Pages) {
		return j.Pages[i+1].ID
	}
	return CheckPage
}

// Post is one press of a page's button.
type Post struct {
	Values Posted
	// FollowUp: posted from the page's follow-up questions.
	FollowUp bool
	// Drawn with JavaScript: the posting page revealed follow-up questions
	// in place as options were chosen (its js field).
	JSPage bool
	// JSFollowUp: the follow-up page was reached from such a page, so it
	// leaves out what that page asked in place (its js query).
	JSFollowUp bool
	// Change: reached from Check your answers, which it returns to.
	Change bool
}

// Fields are the questions the post answers: the page's, or on the
// follow-up page the ones it asks.
func (j *Journey) Fields(i int, p Post) []forms.Field {
	if p.FollowUp {
		return MoreFields(j.Pages[i].Fields, p.JSFollowUp)
	}
	return j.Pages[i].Fields
}

// Read reads the answers a post carries into the draft's answers: the
// problems with what was typed, and the file fields whose uploads the
// caller stores (setting their answers with SetAt).
func (j *Journey) Read(i int, p Post) ([]forms.FieldError, []*forms.Field) {
	return ReadAnswersIn(j.Fields(i, p), p.Values, j.Data, j.Form.Lang)
}

// StepKind is where a post leads.
type StepKind int

// The steps.
const (
	// Leave: "save and come back later".
	Leave StepKind = iota + 1
	// Redraw: an entry was added or removed; the same page, at Anchor.
	Redraw
	// Invalid: the page again with Errors (on the follow-up page when
	// FollowUp).
	Invalid
	// AskMore: the page's follow-up questions, which the answers reveal
	// and the officer has not seen.
	AskMore
	// Advance: on to Page (the next, or Check your answers).
	Advance
)

// Step is what a post leads to. The draft is saved once, at SaveAt,
// whatever the step.
type Step struct {
	Kind     StepKind
	SaveAt   string
	Errors   []forms.FieldError
	FollowUp bool
	// Anchor is the pointer of the list an add or remove acted on.
	Anchor string
	// Page is where Advance goes.
	Page string
}

// Decide applies a post's action (add or remove an entry, save for later,
// or continue) to the answers Read put in the draft, and decides the step.
// problems are those found reading the answers and storing their files.
func (j *Journey) Decide(i int, p Post, problems []forms.FieldError, now time.Time) (Step, error) {
	page := j.Pages[i]
	shown := j.Fields(i, p)
	action, target, _ := strings.Cut(p.Values.Get("action"), " ")
	switch action {
	case "add":
		group := forms.FindField(shown, target)
		AddEntry(j.Data, target, EntriesAreObjects(group))
		return Step{Kind: Redraw, SaveAt: page.ID, Anchor: newEntryAnchor(group, target, j.Data)}, nil
	case "remove":
		RemoveEntry(j.Data, target)
		return Step{Kind: Redraw, SaveAt: page.ID, Anchor: listOf(target)}, nil
	case "save":
		return Step{Kind: Leave, SaveAt: page.ID}, nil
	}
	errs, err := j.Form.ValidatePage(page.ID, j.Data, now)
	if err != nil {
		return Step{}, err
	}
	errs = MergeErrors(problems, errs)
	// Questions the answers newly reveal that the officer has not seen
	// (hidden without JavaScript, or never drawn in place) are asked on
	// the follow-up page rather than reported as unanswered.
	seen := SeenReveals(page.Fields, p.JSPage)
	revealed := FollowUps(j.Form.Pages(j.Data, nil)[i].Fields)
	unseen := map[string]bool{}
	for _, f := range revealed {
		if !seen[f.Pointer] && forms.ValueAt(j.Data, f.Pointer) == nil {
			unseen[f.Pointer] = true // not shown, and not answered on a follow-up page before
		}
	}
	if !p.FollowUp {
		errs = slices.DeleteFunc(errs, func(e forms.FieldError) bool { return under(e.Pointer, unseen) })
	}
	switch {
	case len(errs) > 0:
		return Step{Kind: Invalid, SaveAt: page.ID, Errors: errs, FollowUp: p.FollowUp && len(revealed) > 0}, nil
	case !p.FollowUp && len(unseen) > 0:
		return Step{Kind: AskMore, SaveAt: page.ID}, nil
	}
	next := j.Next(i)
	if p.Change {
		next = CheckPage
	}
	return Step{Kind: Advance, SaveAt: next, Page: next}, nil
}

// listOf is the list an entry's pointer is in ("/crew/1" → "/crew").
func listOf(entry string) string {
	if i := strings.LastIndex(entry, "/"); i > 0 {
		return entry[:i]
	}
	return entry
}

// MoreFields are the questions the follow-up page asks: every one the
// chosen options reveal, or, where JavaScript revealed those it could in
// place, only the rest (see PlacedReveals).
func MoreFields(fs []forms.Field, js bool) []forms.Field {
	all := FollowUps(fs)
	if !js {
		return all
	}
	inPlace := map[string]bool{}
	for _, f := range choicesIn(fs) {
		if f.Kind == forms.KindSelect {
			continue // a select reveals nothing in place, even its chosen option's
		}
		for k, rs := range PlacedReveals(f) {
			if k < len(f.Options) {
				for _, r := range rs {
					inPlace[r.Pointer] = true
				}
			}
		}
	}
	return slices.DeleteFunc(all, func(f forms.Field) bool { return inPlace[f.Pointer] })
}

// choicesIn are the page's questions that have options, in groups and in
// repeating entries too (a choice in "Person 2" reveals like one on the
// page), but not those revealed themselves: the follow-up page draws
// those with their own reveals in place.
func choicesIn(fs []forms.Field) []*forms.Field {
	var out []*forms.Field
	for _, c := range choicesWhere(fs, "") {
		out = append(out, c.field)
	}
	return out
}

// choice is a question with options and, inside a repeating entry, the
// entry's name ("Person 2"), which its follow-up questions are asked with.
type choice struct {
	field *forms.Field
	entry string
}

func choicesWhere(fs []forms.Field, entry string) []choice {
	var out []choice
	for i := range fs {
		f := &fs[i]
		if len(f.Options) > 0 {
			out = append(out, choice{f, entry})
		}
		out = append(out, choicesWhere(f.Fields, entry)...)
		label := f.ItemLabel
		if label == "" {
			label = "Entry"
		}
		for _, item := range f.Items {
			out = append(out, choicesWhere(item.Fields, label+" "+strconv.Itoa(item.Index+1))...)
		}
		if len(f.Items) == 0 && f.MinItems > 0 {
			out = append(out, choicesWhere(f.Template, label+" 1")...) // the first entry, drawn at once
		}
	}
	return out
}

// FollowUps are the questions the chosen options reveal, each once.
func FollowUps(fs []forms.Field) []forms.Field {
	var out []forms.Field
	seen := map[string]bool{}
	for _, c := range choicesWhere(fs, "") {
		for _, opt := range c.field.Options {
			if !opt.Selected {
				continue
			}
			for _, r := range opt.Reveals {
				if !seen[r.Pointer] {
					seen[r.Pointer] = true
					if c.entry != "" {
						r.Label = c.entry + ": " + r.Label // which person it is about
					}
					out = append(out, r)
				}
			}
		}
	}
	return out
}

// SeenReveals are the follow-up questions the page the officer posted
// from showed them: with JavaScript, every one drawn in place (GOV.UK
// Frontend reveals them as options are chosen); without, only those of
// options already chosen when the page was drawn.
func SeenReveals(fs []forms.Field, js bool) map[string]bool {
	out := map[string]bool{}
	for _, f := range choicesIn(fs) {
		for k, rs := range PlacedReveals(f) {
			if k < len(f.Options) && (js || f.Options[k].Selected) {
				for _, r := range rs {
					out[r.Pointer] = true
				}
			}
		}
	}
	return out
}

// under reports whether pointer is one of the questions or inside one.
func under(pointer string, questions map[string]bool) bool {
	for q := range questions {
		if pointer == q || strings.HasPrefix(pointer, q+"/") {
			return true
		}
	}
	return false
}

// MergeErrors puts the problems reading the answers first and drops the
// validator's errors for the same fields (they would say the same thing
// less clearly: "must be number" after "Quantity must be a number").
func MergeErrors(problems, errs []forms.FieldError) []forms.FieldError {
	out := slices.Clone(problems)
	for _, e := range errs {
		if !slices.ContainsFunc(problems, func(p forms.FieldError) bool { return p.Pointer == e.Pointer }) {
			out = append(out, e)
		}
	}
	return out
}

// newEntryAnchor is where the page opens after "Add another": the new
// entry's first question, else the group. The group's template names its
// questions at the index the page was drawn with; the entry added is the
// last of data's list, which a post may have grown since.
func newEntryAnchor(group *forms.Field, target string, data map[string]any) string {
	list, _ := forms.ValueAt(data, target).([]any)
	if group == nil || len(group.Template) == 0 || len(list) == 0 {
		return target
	}
	first := group.Template[0]
	for first.Kind == forms.KindGroup && len(first.Fields) > 0 {
		first = first.Fields[0]
	}
	_, rest, _ := strings.Cut(strings.TrimPrefix(first.Pointer, target+"/"), "/")
	anchor := target + "/" + strconv.Itoa(len(list)-1)
	if rest != "" {
		anchor += "/" + rest
	}
	return anchor
}
