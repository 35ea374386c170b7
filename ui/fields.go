package ui

import (
	"bytes"
	"fmt"
	"html/template"
	"regexp"
	"strconv"
	"strings"

	"cop/forms"
	"cop/forms/journey"
	"cop/forms/lang"
)

// Fields draws the forms package's rendering model with GOV.UK's
// components: each Field becomes the options of the component the Design
// System prescribes for its kind, so the markup is the component's own.

// FieldID is the HTML id of the control for the value at a pointer: the
// error summary links to it, so it must match what the control renders.
func FieldID(pointer string) string {
	return "f" + idUnsafe.ReplaceAllString(strings.ReplaceAll(pointer, "/", "-"), "_")
}

var idUnsafe = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// ErrorTarget is the id an error at a pointer links to: the first control
// of the field (a date's day, a choice's first option).
func ErrorTarget(f *forms.Field) string {
	id := FieldID(f.Pointer)
	switch f.Kind {
	case forms.KindDate:
		return id + "-day"
	case forms.KindRadios, forms.KindCheckboxes, forms.KindYesNo:
		return id // GOV.UK gives the first option the idPrefix itself
	case forms.KindGroup:
		// A fieldset is not focusable: its first question is.
		if len(f.Fields) > 0 {
			return ErrorTarget(&f.Fields[0])
		}
	}
	return id
}

// drawer renders fields through the component templates.
type drawer struct {
	t     *template.Template
	words lang.Words // COP's own words on the page ("Day", "Remove")
}

// fields renders a list of fields.
func (d drawer) fields(fs []forms.Field) (template.HTML, error) {
	var b strings.Builder
	for i := range fs {
		h, err := d.field(&fs[i])
		if err != nil {
			return "", err
		}
		b.WriteString(string(h))
	}
	return template.HTML(b.String()), nil
}

// field renders one field with its component.
func (d drawer) field(f *forms.Field) (template.HTML, error) {
	switch f.Kind {
	case forms.KindTextarea:
		return d.textarea(f)
	case forms.KindDate:
		return d.run("govukDateInput", d.dateOptions(f))
	case forms.KindRadios, forms.KindYesNo:
		opts, err := d.choiceOptions(f)
		if err != nil {
			return "", err
		}
		return d.run("govukRadios", opts)
	case forms.KindCheckboxes:
		opts, err := d.choiceOptions(f)
		if err != nil {
			return "", err
		}
		return d.run("govukCheckboxes", opts)
	case forms.KindSelect:
		h, err := d.run("govukSelect", d.selectOptions(f))
		if err != nil {
			return "", err
		}
		// A select cannot reveal in place: the chosen option's questions
		// follow it (and, when newly chosen, are asked on the next page).
		more, err := d.fields(journey.PlacedReveals(f)[selectedIndex(f)])
		return h + more, err
	case forms.KindFile:
		return d.file(f)
	case forms.KindGroup:
		return d.group(f)
	case forms.KindRepeating:
		return d.repeating(f)
	}
	return d.run("govukInput", d.inputOptions(f))
}

func (d drawer) run(name string, opts map[string]any) (template.HTML, error) {
	var b bytes.Buffer
	if err := d.t.ExecuteTemplate(&b, name, opts); err != nil {
		return "", fmt.Errorf("draw %s: %w", name, err)
	}
	return template.HTML(b.String()), nil
}

// common are the options every single-control component shares.
func (d drawer) common(f *forms.Field) map[string]any {
	o := map[string]any{
		"id":    FieldID(f.Pointer),
		"name":  f.Pointer,
		"label": map[string]any{"text": d.labelText(f), "classes": "govuk-label--s"},
	}
	if f.PageHeading {
		o["label"] = map[string]any{"text": d.labelText(f), "classes": "govuk-label--l", "isPageHeading": true}
	}
	if f.Hint != "" {
		o["hint"] = map[string]any{"text": f.Hint}
	}
	if f.Error != "" {
		o["errorMessage"] = map[string]any{"text": f.Error}
	}
	return o
}

// labelText marks optional questions, as the Design System advises, rather
// than marking the required ones.
func (d drawer) labelText(f *forms.Field) string {
	if !f.Required && f.Kind != forms.KindGroup && f.Kind != forms.KindRepeating {
		return d.words.T("field.optional", "Label", f.Label)
	}
	return f.Label
}

// legend is a fieldset legend for a question with several controls.
func (d drawer) legend(f *forms.Field) map[string]any {
	if f.PageHeading {
		return map[string]any{"legend": map[string]any{"text": d.labelText(f), "classes": "govuk-fieldset__legend--l", "isPageHeading": true}}
	}
	return map[string]any{"legend": map[string]any{"text": d.labelText(f), "classes": "govuk-fieldset__legend--s"}}
}

func (d drawer) inputOptions(f *forms.Field) map[string]any {
	o := d.common(f)
	o["value"] = valueText(f.Value)
	if f.Kind == forms.KindNumber {
		// GOV.UK asks for text inputs with a numeric keyboard, not type=number.
		o["inputmode"] = "decimal"
		o["spellcheck"] = false
	}
	if c := widthClass(f.Width); c != "" {
		o["classes"] = c
	}
	return o
}

func (d drawer) textarea(f *forms.Field) (template.HTML, error) {
	o := d.common(f)
	o["value"] = valueText(f.Value)
	if f.MaxLength > 0 {
		o["maxlength"] = float64(f.MaxLength)
		if d.words.Lang != "" && d.words.Lang != lang.English {
			// GOV.UK Frontend counts in English unless told each plural form.
			o["textareaDescriptionText"] = d.words.T("field.chars")
			o["charactersUnderLimitText"] = d.words.Plurals("field.charsUnder")
			o["charactersOverLimitText"] = d.words.Plurals("field.charsOver")
			o["charactersAtLimitText"] = d.words.T("field.charsAt")
		}
		return d.run("govukCharacterCount", o)
	}
	return d.run("govukTextarea", o)
}

// widthClass turns the ui width hint into GOV.UK's class: a character count
// ("10") or a fraction of the column ("one-half").
func widthClass(w string) string {
	if w == "" {
		return ""
	}
	if _, err := strconv.Atoi(w); err == nil {
		return "govuk-input--width-" + w
	}
	return "govuk-!-width-" + w
}

// DateParts splits an ISO date into day, month and year for the three
// boxes; anything else is shown as typed in the day box's place (so an
// officer sees and fixes what they sent).
func DateParts(v any) (day, month, year string) {
	s, _ := v.(string)
	if y, rest, ok := strings.Cut(s, "-"); ok {
		if m, dd, ok := strings.Cut(rest, "-"); ok {
			return strings.TrimLeft(dd, "0"), strings.TrimLeft(m, "0"), y
		}
	}
	return s, "", ""
}

func (d drawer) dateOptions(f *forms.Field) map[string]any {
	day, month, year := DateParts(f.Value)
	inputClass := func(width string) string {
		c := "govuk-input--width-" + width
		if f.Error != "" {
			c += " govuk-input--error"
		}
		return c
	}
	o := map[string]any{
		"id":         FieldID(f.Pointer),
		"namePrefix": f.Pointer,
		"fieldset":   d.legend(f),
		"items": []any{
			map[string]any{"name": "day", "label": d.words.T("field.day"), "value": day, "classes": inputClass("2")},
			map[string]any{"name": "month", "label": d.words.T("field.month"), "value": month, "classes": inputClass("2")},
			map[string]any{"name": "year", "label": d.words.T("field.year"), "value": year, "classes": inputClass("4")},
		},
	}
	hint := f.Hint
	if hint == "" {
		hint = d.words.T("field.dateHint")
	}
	o["hint"] = map[string]any{"text": hint}
	if f.Error != "" {
		o["errorMessage"] = map[string]any{"text": f.Error}
	}
	return o
}

// choiceOptions are radios' and checkboxes' options; each option's reveals
// are drawn into its conditional area, shown in place by GOV.UK Frontend's
// JavaScript (and, without it, on the page after; see the journey handler).
func (d drawer) choiceOptions(f *forms.Field) (map[string]any, error) {
	items := make([]any, 0, len(f.Options))
	inline := f.Kind == forms.KindYesNo
	placed := journey.PlacedReveals(f)
	for i := range f.Options {
		opt := &f.Options[i]
		item := map[string]any{"value": journey.OptionValue(opt.Value), "text": opt.Label, "checked": opt.Selected}
		if opt.Hint != "" {
			item["hint"] = map[string]any{"text": opt.Hint}
		}
		if len(opt.Reveals) > 0 {
			inline = false
		}
		if len(placed[i]) > 0 {
			h, err := d.fields(placed[i])
			if err != nil {
				return nil, err
			}
			item["conditional"] = map[string]any{"html": string(h)}
		}
		items = append(items, item)
	}
	o := map[string]any{"name": f.Pointer, "idPrefix": FieldID(f.Pointer), "fieldset": d.legend(f), "items": items}
	if f.Hint != "" {
		o["hint"] = map[string]any{"text": f.Hint}
	}
	if f.Error != "" {
		o["errorMessage"] = map[string]any{"text": f.Error}
	}
	if inline {
		o["classes"] = "govuk-radios--inline"
	}
	return o, nil
}

func (d drawer) selectOptions(f *forms.Field) map[string]any {
	o := d.common(f)
	items := []any{map[string]any{"value": "", "text": d.words.T("field.choose")}}
	for _, opt := range f.Options {
		items = append(items, map[string]any{"value": journey.OptionValue(opt.Value), "text": opt.Label, "selected": opt.Selected})
	}
	o["items"] = items
	if len(f.Options) > AutocompleteOver {
		// cop.js makes it GOV.UK's accessible autocomplete; without
		// JavaScript it stays a select.
		attrs, _ := o["attributes"].(map[string]any)
		if attrs == nil {
			attrs = map[string]any{}
		}
		attrs["data-cop-autocomplete"] = "on"
		o["attributes"] = attrs
	}
	return o
}

// AutocompleteOver is how many options a select holds before typing to
// find one beats scrolling (GOV.UK's accessible autocomplete).
const AutocompleteOver = 30

// file is the upload control; a file already uploaded is named above it
// and kept unless another is chosen (no hidden field carries its id).
func (d drawer) file(f *forms.Field) (template.HTML, error) {
	o := d.common(f)
	attrs := map[string]any{}
	if f.Accept != "" {
		attrs["accept"] = f.Accept
	}
	o["attributes"] = attrs
	hint := f.Hint
	if f.MaxBytes > 0 {
		hint = strings.TrimSpace(hint + " The file must be smaller than " + forms.ByteSize(f.MaxBytes) + ".")
	}
	if s, ok := f.Value.(string); ok && s != "" {
		hint = strings.TrimSpace(hint + " A file is already uploaded; choose another only to replace it.")
	}
	if hint != "" {
		o["hint"] = map[string]any{"text": hint}
	}
	return d.run("govukFileUpload", o)
}

// group is a fieldset around a group's questions.
func (d drawer) group(f *forms.Field) (template.HTML, error) {
	inner, err := d.fields(f.Fields)
	if err != nil {
		return "", err
	}
	if f.Error != "" {
		// An error about the group as a whole ("Enter vessel") stands at
		// its top, as a question's error does.
		msg, err := d.run("govukErrorMessage", map[string]any{"text": f.Error})
		if err != nil {
			return "", err
		}
		inner = msg + inner
	}
	lg := map[string]any{"text": f.Label, "classes": "govuk-fieldset__legend--m"}
	if f.PageHeading {
		lg = map[string]any{"text": f.Label, "classes": "govuk-fieldset__legend--l", "isPageHeading": true}
	}
	h, err := d.run("govukFieldset", map[string]any{"legend": lg, "html": string(inner)})
	if err != nil || f.Error == "" {
		return h, err
	}
	return template.HTML(`<div class="govuk-form-group govuk-form-group--error">` + string(h) + `</div>`), nil
}

// repeating draws each entry in its own fieldset with a Remove button, and
// an "Add another" button; both post the page (saving it) and come back.
func (d drawer) repeating(f *forms.Field) (template.HTML, error) {
	var b strings.Builder
	b.WriteString(`<div class="govuk-form-group` + errorClass(f.Error) + `" id="` + FieldID(f.Pointer) + `">`)
	if f.PageHeading {
		b.WriteString(`<h1 class="govuk-heading-l">` + template.HTMLEscapeString(f.Label) + `</h1>`)
	} else {
		b.WriteString(`<h2 class="govuk-heading-m">` + template.HTMLEscapeString(f.Label) + `</h2>`)
	}
	if f.Hint != "" {
		b.WriteString(`<div class="govuk-hint">` + template.HTMLEscapeString(f.Hint) + `</div>`)
	}
	if f.Error != "" {
		b.WriteString(`<p class="govuk-error-message"><span class="govuk-visually-hidden">` + template.HTMLEscapeString(d.words.T("common.error")) + `</span> ` + template.HTMLEscapeString(f.Error) + `</p>`)
	}
	entries := f.Items
	if len(entries) == 0 && f.MinItems > 0 {
		// The first entry is asked for at once rather than behind a button.
		entries = []forms.Item{{Index: 0, Fields: f.Template}}
	}
	for _, item := range entries {
		inner, err := d.fields(item.Fields)
		if err != nil {
			return "", err
		}
		name := f.ItemLabel + " " + strconv.Itoa(item.Index+1)
		remove := ""
		if len(entries) > f.MinItems { // minItems -1 (none): any may go
			remove = `<button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button" name="action" value="remove ` +
				template.HTMLEscapeString(f.Pointer+"/"+strconv.Itoa(item.Index)) + `">` + template.HTMLEscapeString(d.words.T("field.remove")) + `<span class="govuk-visually-hidden"> ` + template.HTMLEscapeString(name) + `</span></button>`
		}
		h, err := d.run("govukFieldset", map[string]any{
			"legend": map[string]any{"text": name, "classes": "govuk-fieldset__legend--s"},
			"html":   string(inner) + remove,
		})
		if err != nil {
			return "", err
		}
		b.WriteString(string(h))
	}
	if f.MaxItems < 0 || len(f.Items) < f.MaxItems {
		b.WriteString(`<button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button" name="action" value="add ` +
			template.HTMLEscapeString(f.Pointer) + `">` + template.HTMLEscapeString(d.words.T("field.addAnother", "Item", strings.ToLower(f.ItemLabel))) + `</button>`)
	}
	b.WriteString(`</div>`)
	return template.HTML(b.String()), nil
}

func errorClass(msg string) string {
	if msg != "" {
		return " govuk-form-group--error"
	}
	return ""
}

// valueText shows a stored value in a text box.
func valueText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	return str(v)
}

// selectedIndex is the chosen option's index, or one past the end.
func selectedIndex(f *forms.Field) int {
	for i, opt := range f.Options {
		if opt.Selected {
			return i
		}
	}
	return len(f.Options)
}
