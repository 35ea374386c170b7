package ui

import (
	"fmt"
	"html"
	"html/template"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Helpers for the form field components (label, hint, error message,
// fieldset, input, textarea, character count, date input, radios,
// checkboxes, select, file upload). Most stand in for one line of a macro;
// the date input's fields and the character count's textarea options are
// worked out in Go, where the macros' chains of defaults read more plainly.
func init() {
	addComponentFuncs(map[string]any{
		"withKeys":               withKeys,
		"describedBy":            describedBy,
		"words":                  words,
		"hasContent":             hasContent,
		"defined":                defined,
		"isBool":                 isBool,
		"present":                present,
		"itemID":                 itemID,
		"radioChecked":           radioChecked,
		"checkboxChecked":        checkboxChecked,
		"optionSelected":         optionSelected,
		"i18nAttrs":              i18nAttrs,
		"dateInputItems":         dateInputItems,
		"characterCountTextarea": characterCountTextarea,
	})
}

// asMap reads an options object; anything else reads as no options.
func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// given is Go templates' truth (`{{if}}`, `{{with}}`), which the field
// templates use to test options: an empty object or list counts as absent,
// where JavaScript would call it true. Only degenerate options differ.
func given(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		return len(x) > 0
	case []any:
		return len(x) > 0
	}
	return truthy(v)
}

// withKeys is a copy of a component's options with some set, as the
// macros pass a nested component the caller's options plus its own id or
// `for` (a missing or non-object options value counts as empty).
func withKeys(options any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range asMap(options) {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[fmt.Sprint(kv[i])] = kv[i+1]
	}
	return out
}

// describedBy is the aria-describedby the field macros build up: the
// caller's ids, then the hint's and the error message's when there are
// those, which take their ids from the field's id.
func describedBy(base any, id string, hint, errorMessage any) string {
	ids := []any{base}
	if given(hint) {
		ids = append(ids, id+"-hint")
	}
	if given(errorMessage) {
		ids = append(ids, id+"-error")
	}
	return words(ids...)
}

// words joins the non-empty strings among its arguments with spaces, as
// the macros build lists of ids; anything else (false from a template's
// `and`, null) is left out.
func words(parts ...any) string {
	var out []string
	for _, p := range parts {
		if s, ok := p.(string); ok && strings.TrimSpace(s) != "" {
			out = append(out, strings.TrimSpace(s))
		}
	}
	return strings.Join(out, " ")
}

// hasContent is `x.text or x.html`: whether an affix, an item's hint or a
// slot before or after the inputs has anything to show.
func hasContent(v any) bool {
	m := asMap(v)
	return truthy(m["text"]) || truthy(m["html"])
}

// defined is `options[key] !== undefined`: the option was given, even as
// false or null, as a select's option gets a value attribute.
func defined(options any, key string) bool {
	_, ok := asMap(options)[key]
	return ok
}

// isBool is `[true, false].includes(v)`: spellcheck is set only when the
// caller chose, and then to "true" or "false".
func isBool(v any) bool {
	_, ok := v.(bool)
	return ok
}

// present is govukAttributes' test for an optional attribute: left out
// when null, undefined or false, and kept when it is "" or 0.
func present(v any) bool {
	return v != nil && v != false
}

// itemID is the id of the i-th (from 0) radio or checkbox without its own:
// the first has the prefix alone, so that the error summary can link to it
// without knowing the items, and the rest are numbered from 2. Falsy items
// count, as in the macros' loop.index.
func itemID(prefix string, i int) string {
	if i == 0 {
		return prefix
	}
	return prefix + "-" + strconv.Itoa(i+1)
}

// radioChecked is `item.checked | default((item.value == params.value and
// item.checked != false) if params.value else false, true)`: the item's own
// checked when true, else whether the item holds the field's value.
func radioChecked(item, value any) bool {
	checked := asMap(item)["checked"]
	if truthy(checked) {
		return true
	}
	return truthy(value) && looseEqual(asMap(item)["value"], value) && checked != false
}

// checkboxChecked is radioChecked for a list of values, which Nunjucks'
// `in` searches with strict equality.
func checkboxChecked(item, values any) bool {
	m := asMap(item)
	if truthy(m["checked"]) {
		return true
	}
	if !truthy(values) || m["checked"] == false {
		return false
	}
	list, _ := values.([]any)
	for _, v := range list {
		if strictEqual(m["value"], v) {
			return true
		}
	}
	return false
}

// optionSelected is radioChecked for a select's option, whose text stands
// for its value when it has none.
func optionSelected(item, value any) bool {
	m := asMap(item)
	if truthy(m["selected"]) {
		return true
	}
	effective, ok := m["value"]
	if !ok {
		effective = m["text"]
	}
	return truthy(value) && looseEqual(effective, value) && m["selected"] != false
}

// looseEqual is JavaScript's == for the scalars decoded JSON holds, near
// enough: a number equals its decimal text (a value posted back as "2"
// selects the option of value 2).
func looseEqual(a, b any) bool {
	if strictEqual(a, b) {
		return true
	}
	_, aMap := a.(map[string]any)
	_, bMap := b.(map[string]any)
	if a == nil || b == nil || aMap || bMap {
		return false
	}
	return str(a) == str(b)
}

// strictEqual is JavaScript's === for scalars (objects are never equal).
func strictEqual(a, b any) bool {
	switch a.(type) {
	case string, float64, int, bool:
		return a == b
	}
	return false
}

// i18nAttrs is govukI18nAttributes: the data-i18n attributes GOV.UK
// Frontend's JavaScript reads its messages from, one for a message (a
// string) or one per plural rule (an object of them).
func i18nAttrs(key string, message any) template.HTMLAttr {
	var b strings.Builder
	switch m := message.(type) {
	case map[string]any:
		rules := make([]string, 0, len(m))
		for rule := range m {
			rules = append(rules, rule)
		}
		sort.Strings(rules)
		for _, rule := range rules {
			fmt.Fprintf(&b, ` data-i18n.%s.%s="%s"`, key, html.EscapeString(rule), html.EscapeString(str(m[rule])))
		}
	default:
		if truthy(message) {
			fmt.Fprintf(&b, ` data-i18n.%s="%s"`, key, html.EscapeString(str(message)))
		}
	}
	return template.HTMLAttr(b.String())
}

// dateParts are the date input's three fields, in order, with the width
// GOV.UK gives each.
var dateParts = []struct {
	name  string
	width string
}{{"day", "2"}, {"month", "2"}, {"year", "4"}}

// dateInputItems is the date input's _dateInputItem for every field: the
// govukInput options of each. The fields are `items` if given, else `day`,
// `month` and `year` (each defaulting to its own name and a value from
// `values`; false leaves it out). An item is known for a day, month or
// year by its place among those three, or else by its name.
func dateInputItems(options any) []any {
	p := asMap(options)
	values := asMap(p["values"])
	parts := make([]any, len(dateParts))
	for i, part := range dateParts {
		parts[i] = dflt(p[part.name], map[string]any{
			"name":    part.name,
			"value":   values[part.name],
			"classes": "govuk-input--width-" + part.width,
		})
	}
	fields, custom := parts, false
	if items, _ := p["items"].([]any); len(items) > 0 {
		fields, custom = items, true
	}

	anyItemHasError := false
	for _, f := range fields {
		if truthy(f) && dateItemHasError(asMap(f)) {
			anyItemHasError = true
		}
	}

	namePrefix := ""
	if truthy(p["namePrefix"]) {
		namePrefix = str(p["namePrefix"]) + "-"
	}
	var out []any
	for i, f := range fields {
		if !truthy(f) {
			continue
		}
		item := asMap(f)
		name, value, width := item["name"], item["value"], "2"
		part := i
		if custom {
			part = datePartNamed(item["name"], parts)
		}
		if part >= 0 {
			name = dflt(item["name"], dateParts[part].name)
			value = dflt(item["value"], asMap(parts[part])["value"])
			width = dateParts[part].width
		}
		fullName := namePrefix + str(name)
		id := item["id"]
		if !truthy(id) {
			id = str(p["id"]) + "-" + str(name)
		}
		label := item["label"]
		if !truthy(label) {
			label = capitalize(str(name))
		}
		inputmode := item["inputmode"]
		if !truthy(inputmode) {
			inputmode = "numeric"
		}
		out = append(out, map[string]any{
			"label":        map[string]any{"text": label, "classes": "govuk-date-input__label"},
			"id":           id,
			"classes":      joinClasses("govuk-date-input__input", dateItemClasses(item, width, truthy(p["errorMessage"]) && !anyItemHasError)),
			"name":         fullName,
			"value":        dflt(value, values[fullName]),
			"type":         "text",
			"inputmode":    inputmode,
			"autocomplete": item["autocomplete"],
			"pattern":      item["pattern"],
			"attributes":   item["attributes"],
		})
	}
	return out
}

// datePartNamed is which of day, month and year (0, 1, 2) an item is by
// its name, the part's own or a custom one given in `day`, `month` or
// `year`; -1 when none.
func datePartNamed(name any, parts []any) int {
	if !truthy(name) {
		return -1
	}
	for i, part := range dateParts {
		if name == part.name || (asMap(parts[i])["name"] != nil && name == asMap(parts[i])["name"]) {
			return i
		}
	}
	return -1
}

// dateItemHasError is whether an item is marked in error, by `error` or
// by having GOV.UK's error class already.
func dateItemHasError(item map[string]any) bool {
	return truthy(item["error"]) || classesContain(item, "govuk-input--error")
}

// dateItemClasses are an item's input classes: the error class when it is
// in error, or when the whole field is and no item says which (unless the
// item says it is not); GOV.UK's width unless the item sets one; then the
// item's own classes.
func dateItemClasses(item map[string]any, width string, fieldError bool) string {
	var classes []string
	if !classesContain(item, "govuk-input--error") && (dateItemHasError(item) || (item["error"] != false && fieldError)) {
		classes = append(classes, "govuk-input--error")
	}
	if !classesContain(item, "govuk-input--width-") {
		classes = append(classes, "govuk-input--width-"+width)
	}
	if truthy(item["classes"]) {
		classes = append(classes, str(item["classes"]))
	}
	return strings.Join(classes, " ")
}

// classesContain is the macros' `"x" in item.classes`, a substring test.
func classesContain(item map[string]any, s string) bool {
	classes, _ := item["classes"].(string)
	return strings.Contains(classes, s)
}

// capitalize is Nunjucks' capitalize: the first letter upper case and the
// rest lower.
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return strings.ToUpper(string(r)) + strings.ToLower(s[n:])
}

// characterCountTextarea is the character count's options for the
// govukTextarea it is: the count's data attributes (its limit, and the
// messages its JavaScript shows) on the form group, and the message saying
// the limit, a hint, after the textarea (as `characterCountMessage`, which
// govukTextarea renders before `formGroup.afterInput`).
func characterCountTextarea(options any) map[string]any {
	p := asMap(options)
	formGroup := asMap(p["formGroup"])
	id := str(p["id"])
	if !truthy(p["id"]) {
		id = str(p["name"])
	}

	countType := p["countType"]
	if !truthy(countType) {
		countType = nil
		if truthy(p["maxwords"]) {
			countType = "words"
		}
	}
	hasLimit := truthy(p["maxwords"]) || truthy(p["maxlength"])
	description := str(p["textareaDescriptionText"])
	if description == "" {
		unit := "characters"
		if countType == "words" {
			unit = "words"
		}
		description = "You can enter up to %{count} " + unit
	}
	var message any // with no limit, the JavaScript writes it once configured
	if hasLimit {
		limit := p["maxwords"]
		if !truthy(limit) {
			limit = p["maxlength"]
		}
		message = strings.ReplaceAll(description, "%{count}", str(limit))
	}

	return map[string]any{
		"id":          id,
		"name":        p["name"],
		"describedBy": id + "-info",
		"rows":        p["rows"],
		"spellcheck":  p["spellcheck"],
		"value":       p["value"],
		"formGroup": map[string]any{
			"classes":     joinClasses("govuk-character-count", formGroup["classes"]),
			"attributes":  characterCountAttributes(p, countType, hasLimit),
			"beforeInput": formGroup["beforeInput"],
			"afterInput":  formGroup["afterInput"],
		},
		"classes":      joinClasses("govuk-js-character-count", p["classes"]),
		"label":        p["label"],
		"hint":         p["hint"],
		"errorMessage": p["errorMessage"],
		"attributes":   p["attributes"],
		"characterCountMessage": map[string]any{
			"text":    message,
			"id":      id + "-info",
			"classes": joinClasses("govuk-character-count__message", asMap(p["countMessage"])["classes"]),
		},
	}
}

// characterCountAttributes are the character count's form group
// attributes, as a string (govukAttributes passes one through as it is):
// its module, limit, threshold and count type, its translated messages,
// then the caller's own form group attributes.
func characterCountAttributes(p map[string]any, countType any, hasLimit bool) string {
	var b strings.Builder
	b.WriteString(string(attributes(map[string]any{
		"data-module":     "govuk-character-count",
		"data-maxlength":  map[string]any{"value": p["maxlength"], "optional": true},
		"data-maxwords":   map[string]any{"value": p["maxwords"], "optional": true},
		"data-threshold":  map[string]any{"value": p["threshold"], "optional": true},
		"data-count-type": map[string]any{"value": countType, "optional": true},
	})))
	// Without a limit the description can only be written once the
	// JavaScript is configured with one, so it goes to the JavaScript.
	if !hasLimit && truthy(p["textareaDescriptionText"]) {
		b.WriteString(string(i18nAttrs("textarea-description", map[string]any{"other": p["textareaDescriptionText"]})))
	}
	for _, m := range []struct{ key, option string }{
		{"characters-under-limit", "charactersUnderLimitText"},
		{"characters-at-limit", "charactersAtLimitText"},
		{"characters-over-limit", "charactersOverLimitText"},
		{"words-under-limit", "wordsUnderLimitText"},
		{"words-at-limit", "wordsAtLimitText"},
		{"words-over-limit", "wordsOverLimitText"},
	} {
		b.WriteString(string(i18nAttrs(m.key, p[m.option])))
	}
	// The macro appends these as plain name="value" pairs, without
	// govukAttributes' {value, optional} form.
	own := asMap(asMap(p["formGroup"])["attributes"])
	names := make([]string, 0, len(own))
	for name := range own {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(&b, ` %s="%s"`, html.EscapeString(name), html.EscapeString(str(own[name])))
	}
	return b.String()
}
