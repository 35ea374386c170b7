package ui

import (
	"html/template"
	"strconv"
	"strings"
	"time"

	"cop/forms"
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
	var rows []any
	addRows(&rows, fs, "", change, map[string]bool{})
	return rows
}

func addRows(rows *[]any, fs []forms.Field, prefix string, change func(string) string, seen map[string]bool) {
	for i := range fs {
		f := &fs[i]
		if seen[f.Pointer] {
			continue // a question two chosen options both reveal
		}
		seen[f.Pointer] = true
		label := prefix + f.Label
		switch f.Kind {
		case forms.KindGroup:
			addRows(rows, f.Fields, label+": ", change, seen)
			continue
		case forms.KindRepeating:
			if len(f.Items) == 0 {
				*rows = append(*rows, row(label, "None", f, change))
			}
			for _, item := range f.Items {
				addRows(rows, item.Fields, f.ItemLabel+" "+strconv.Itoa(item.Index+1)+": ", change, seen)
			}
			continue
		}
		*rows = append(*rows, row(label, Answer(*f), f, change))
		for _, opt := range f.Options {
			if opt.Selected {
				addRows(rows, opt.Reveals, prefix, change, seen)
			}
		}
	}
}

func row(label, value string, f *forms.Field, change func(string) string) map[string]any {
	r := map[string]any{
		"key":   map[string]any{"text": label},
		"value": map[string]any{"html": string(multiline(value))},
	}
	if change != nil {
		r["actions"] = map[string]any{"items": []any{map[string]any{
			"href": change(f.Pointer), "text": "Change", "visuallyHiddenText": strings.ToLower(label)}}}
	}
	return r
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
func Answer(f forms.Field) string {
	if f.Value == nil || f.Value == "" {
		return "Not answered"
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
				return d.Format("2 January 2006")
			}
		}
	case forms.KindFile:
		return "File uploaded"
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
