package ui

import (
	"html/template"
	"strconv"
	"strings"
	"time"

	"cop/forms"
	"cop/forms/lang"
)

// ErrorTargetOf is the id an error at pointer links to among fields.
func ErrorTargetOf(fields []forms.Field, pointer string) string {
	if f := forms.FindField(fields, pointer); f != nil {
		return ErrorTarget(f)
	}
	return FieldID(pointer)
}

// ErrorList is the error summary's list: each error links to the control
// it is about, in the order the fields appear.
func ErrorList(fields []forms.Field, errs []forms.FieldError) []any {
	out := make([]any, 0, len(errs))
	for _, e := range errs {
		out = append(out, map[string]any{"text": e.Message, "href": "#" + ErrorTargetOf(fields, e.Pointer)})
	}
	return out
}

// SummaryRows are the Check your answers rows of one page's fields: each
// answer (chosen options' follow-up questions included) with a change link
// made by change(pointer).
func SummaryRows(fs []forms.Field, change func(pointer string) string) []any {
	return SummaryRowsIn(fs, change, lang.English)
}

// SummaryRowsIn is SummaryRows with COP's words ("Change", "Not
// answered", dates) in language l.
func SummaryRowsIn(fs []forms.Field, change func(pointer string) string, l string) []any {
	w := rowWriter{change: change, seen: map[string]bool{}, words: lang.For(l)}
	w.add(fs, "")
	return w.rows
}

// AnswerBlock is a run of a submission's answers, or one entry of a
// repeating group in a card of its own (Card is its title).
type AnswerBlock struct {
	Card string
	Rows []any
}

// AnswerSection is one page of a submission's answers.
type AnswerSection struct {
	Title  string
	Blocks []AnswerBlock
}

// SubmittedAnswers lays a stored submission's pages out as Check your
// answers does, without change links: each entry of a repeating group as
// a card, and each file as a link to fileHref(id).
func SubmittedAnswers(pages []forms.Page, fileHref func(id string) string) []AnswerSection {
	return SubmittedAnswersIn(pages, fileHref, lang.English)
}

// SubmittedAnswersIn is SubmittedAnswers with COP's words in language l.
func SubmittedAnswersIn(pages []forms.Page, fileHref func(id string) string, l string) []AnswerSection {
	return SubmittedAnswersNoted(pages, fileHref, l, nil)
}

// SubmittedAnswersNoted is SubmittedAnswersIn with a tag beside each file
// that note names ("not yet scanned"); note may be nil.
func SubmittedAnswersNoted(pages []forms.Page, fileHref func(id string) string, l string, note func(id string) string) []AnswerSection {
	out := make([]AnswerSection, 0, len(pages))
	for _, page := range pages {
		w := rowWriter{file: fileHref, note: note, seen: map[string]bool{}, cards: true, words: lang.For(l)}
		w.add(page.Fields, "")
		out = append(out, AnswerSection{Title: page.Title, Blocks: w.done()})
	}
	return out
}

// rowWriter writes summary rows. With cards, each repeating entry's rows
// go in a block of their own.
type rowWriter struct {
	change func(pointer string) string
	file   func(id string) string
	note   func(id string) string
	seen   map[string]bool
	cards  bool
	rows   []any
	blocks []AnswerBlock
	words  lang.Words
}

func (w *rowWriter) add(fs []forms.Field, prefix string) {
	for i := range fs {
		f := &fs[i]
		if w.seen[f.Pointer] {
			continue // a question two chosen options both reveal
		}
		w.seen[f.Pointer] = true
		label := prefix + f.Label
		switch f.Kind {
		case forms.KindGroup:
			w.add(f.Fields, label+": ")
			continue
		case forms.KindRepeating:
			if len(f.Items) == 0 {
				w.rows = append(w.rows, w.row(label, f))
			}
			for _, item := range f.Items {
				entry := f.ItemLabel + " " + strconv.Itoa(item.Index+1)
				if w.cards && prefix == "" {
					w.flush()
					w.add(item.Fields, "")
					w.blocks = append(w.blocks, AnswerBlock{Card: entry, Rows: w.rows})
					w.rows = nil
					continue
				}
				w.add(item.Fields, entry+": ")
			}
			continue
		}
		w.rows = append(w.rows, w.row(label, f))
		for _, opt := range f.Options {
			if opt.Selected {
				w.add(opt.Reveals, prefix)
			}
		}
	}
}

// flush ends the run of rows before a card.
func (w *rowWriter) flush() {
	if len(w.rows) > 0 {
		w.blocks = append(w.blocks, AnswerBlock{Rows: w.rows})
		w.rows = nil
	}
}

func (w *rowWriter) done() []AnswerBlock {
	w.flush()
	return w.blocks
}

func (w *rowWriter) row(label string, f *forms.Field) map[string]any {
	value := map[string]any{"html": string(multiline(AnswerIn(*f, w.words)))}
	if f.Kind == forms.KindRepeating {
		value = map[string]any{"text": w.words.T("common.none")}
	}
	if id, ok := f.Value.(string); ok && id != "" && f.Kind == forms.KindFile && w.file != nil {
		value = map[string]any{"html": `<a class="govuk-link" href="` + template.HTMLEscapeString(w.file(id)) + `">` +
			template.HTMLEscapeString(w.words.T("field.download")) + `<span class="govuk-visually-hidden"> ` +
			template.HTMLEscapeString(w.words.T("field.downloadFor", "Label", strings.ToLower(label))) + `</span></a>` + w.fileNote(id)}
	}
	r := map[string]any{"key": map[string]any{"text": label}, "value": value}
	if w.change != nil {
		r["actions"] = map[string]any{"items": []any{map[string]any{
			"href": w.change(f.Pointer), "text": w.words.T("common.change"), "visuallyHiddenText": strings.ToLower(label)}}}
	}
	return r
}

// fileNote is the tag beside a file's link, if note names one.
func (w *rowWriter) fileNote(id string) string {
	if w.note == nil {
		return ""
	}
	if n := w.note(id); n != "" {
		return ` <strong class="govuk-tag govuk-tag--yellow">` + template.HTMLEscapeString(n) + `</strong>`
	}
	return ""
}

// multiline escapes an answer and keeps its line breaks.
func multiline(s string) template.HTML {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = template.HTMLEscapeString(l)
	}
	return template.HTML(strings.Join(lines, "<br>"))
}

// Answer is a field's answer in words: an option's label rather than its
// value, a date as "27 March 2026", "Not answered" when empty.
func Answer(f forms.Field) string { return AnswerIn(f, lang.For(lang.English)) }

// AnswerIn is Answer with COP's words in w's language.
func AnswerIn(f forms.Field, w lang.Words) string {
	if f.Value == nil || f.Value == "" {
		return w.T("common.notAnswered")
	}
	switch f.Kind {
	case forms.KindRadios, forms.KindSelect, forms.KindYesNo, forms.KindCheckboxes:
		var labels []string
		for _, opt := range f.Options {
			if opt.Selected {
				labels = append(labels, opt.Label)
			}
		}
		if len(labels) > 0 {
			return strings.Join(labels, "\n")
		}
	case forms.KindDate:
		if s, ok := f.Value.(string); ok {
			if d, err := time.Parse(time.DateOnly, s); err == nil {
				return w.Date(d)
			}
		}
	case forms.KindFile:
		return w.T("field.fileUploaded")
	}
	if list, ok := f.Value.([]any); ok {
		parts := make([]string, 0, len(list))
		for _, v := range list {
			parts = append(parts, valueText(v))
		}
		return strings.Join(parts, "\n")
	}
	return valueText(f.Value)
}
