package forms

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"cop/forms/lang"
)

// describe turns the validator's error tree into one sentence per failing
// field. The validator's own text is for programmers ("missing properties:
// 'arrivalDate'" at the parent); officers need "Enter date of arrival" at
// the field itself.
func (f *Form) describe(ve *jsonschema.ValidationError, data any) []FieldError {
	var out []FieldError
	var visit func(e *jsonschema.ValidationError)
	visit = func(e *jsonschema.ValidationError) {
		kw := keywordOf(e.KeywordLocation)
		// An answer that fits none of several shapes is one problem with the
		// answer, not one per shape.
		if len(e.Causes) == 0 || kw == "oneOf" || kw == "anyOf" || kw == "not" {
			out = append(out, f.explain(e, kw, data)...)
			return
		}
		for _, c := range e.Causes {
			visit(c)
		}
	}
	visit(ve)
	return out
}

// validationKeywords are the keywords an error location can end with.
var validationKeywords = map[string]bool{
	"type": true, "const": true, "enum": true, "format": true, "required": true, "dependentRequired": true,
	"additionalProperties": true, "unevaluatedProperties": true, "unevaluatedItems": true, "propertyNames": true,
	"minProperties": true, "maxProperties": true, "minItems": true, "maxItems": true, "uniqueItems": true,
	"contains": true, "minContains": true, "maxContains": true, "minLength": true, "maxLength": true,
	"pattern": true, "minimum": true, "maximum": true, "exclusiveMinimum": true, "exclusiveMaximum": true,
	"multipleOf": true, "oneOf": true, "anyOf": true, "not": true, "prefixItems": true, "items": true,
	"contentMediaType": true, "contentEncoding": true,
}

// keywordOf finds the keyword an error location ends with, skipping the
// trailing index of "dependentRequired/NAME/0".
func keywordOf(loc string) string {
	segs := strings.Split(loc, "/")
	for i := len(segs) - 1; i >= 0 && i >= len(segs)-3; i-- {
		if validationKeywords[segs[i]] {
			return segs[i]
		}
	}
	return segs[len(segs)-1]
}

// explain words one failure.
func (f *Form) explain(e *jsonschema.ValidationError, kw string, data any) []FieldError {
	loc := e.InstanceLocation
	switch kw {
	case "required":
		var out []FieldError
		for _, name := range f.missing(e, data) {
			p := loc + "/" + escapePointer(name)
			out = append(out, FieldError{p, f.say(p, "required", f.requiredMessage(p))})
		}
		return out
	case "dependentRequired":
		name, _ := f.keywordValue(e.AbsoluteKeywordLocation).(string)
		p := loc + "/" + escapePointer(name)
		return []FieldError{{p, f.say(p, "required", f.requiredMessage(p))}}
	case "additionalProperties":
		var out []FieldError
		for _, name := range quotedNames(e.Message) {
			p := loc + "/" + escapePointer(name)
			out = append(out, FieldError{p, f.words().T("validation.notAQuestion", "Name", name)})
		}
		return out
	case "unevaluatedProperties":
		return []FieldError{{loc, f.words().T("validation.notAQuestion", "Name", lastSegment(loc))}}
	}
	return []FieldError{{loc, f.say(loc, kw, f.defaultMessage(e, kw, loc))}}
}

// say prefers the author's own wording: "errorMessage" on the field's
// schema, either one sentence or one per keyword.
func (f *Form) say(pointer, kw, fallback string) string {
	n := f.Tree.Lookup(pointer)
	if n == nil || n.Raw == nil {
		return fallback
	}
	switch m := n.Raw["errorMessage"].(type) {
	case string:
		return m
	case map[string]any:
		if s, ok := m[kw].(string); ok {
			return s
		}
	}
	return fallback
}

// missing lists the required properties absent from the object at the
// error's location, read from the schema itself rather than the message.
func (f *Form) missing(e *jsonschema.ValidationError, data any) []string {
	names, _ := f.keywordValue(e.AbsoluteKeywordLocation).([]any)
	obj, _ := valueAt(data, e.InstanceLocation).(map[string]any)
	var out []string
	for _, n := range names {
		name, _ := n.(string)
		if _, present := obj[name]; !present && name != "" {
			out = append(out, name)
		}
	}
	return out
}

// words are COP's own words in the form's language.
func (f *Form) words() lang.Words { return lang.For(f.Lang) }

func (f *Form) requiredMessage(pointer string) string {
	label := lowerFirst(FieldLabel(f.Tree, f.Def.UI, pointer))
	n := f.Tree.Lookup(pointer)
	id := "validation.enter"
	switch {
	case n == nil:
	case n.Format == FileFormat:
		id = "validation.upload"
	case len(n.Options) > 0 || hasType(n, "boolean"):
		id = "validation.select"
	case hasType(n, "array"):
		id = "validation.add"
		if n.Items != nil && len(n.Items.Options) > 0 {
			id = "validation.select"
		}
	}
	return f.words().T(id, "Label", label)
}

// defaultMessage words a failure of one keyword at a field.
func (f *Form) defaultMessage(e *jsonschema.ValidationError, kw, loc string) string {
	w := f.words()
	if loc == "" && kw == "type" {
		return w.T("validation.notAnObject")
	}
	label := f.label(loc)
	value := f.keywordValue(e.AbsoluteKeywordLocation)
	say := func(id string) string { return w.T(id, "Label", label, "Lower", lowerFirst(label), "Value", value) }
	count := func(id string) string {
		n, _ := strconv.Atoi(fmt.Sprint(value))
		return w.N(id, n, "Label", label, "Value", value)
	}
	switch kw {
	case "type":
		return w.T("validation.type", "Label", label, "Types", describeTypes(w, value))
	case "enum", "const", "oneOf":
		if kw == "oneOf" && strings.HasPrefix(e.Message, "valid against schemas at indexes") {
			return say("validation.oneOfMany")
		}
		if n := f.Tree.Lookup(loc); kw == "oneOf" && (n == nil || len(n.Options) == 0) {
			return say("validation.anyOf")
		}
		return say("validation.enum")
	case "anyOf":
		return say("validation.anyOf")
	case "not":
		return say("validation.not")
	case "format":
		return formatMessage(w, label, fmt.Sprint(value))
	case "minLength", "maxLength", "minItems", "maxItems":
		return count("validation." + kw)
	case "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "uniqueItems":
		return say("validation." + kw)
	case "minProperties", "maxProperties", "contains", "minContains", "maxContains":
		return say("validation.incomplete")
	case "":
		return w.T("validation.notAllowedHere", "Name", lastSegment(loc))
	}
	return say("validation.invalid")
}

// label names the field at a pointer; an entry of a list of plain values
// ("/checks/1") is named by its list.
func (f *Form) label(pointer string) string {
	if i := strings.LastIndex(pointer, "/"); i > 0 {
		if _, err := strconv.Atoi(pointer[i+1:]); err == nil {
			if n := f.Tree.Lookup(pointer); n == nil || n.Title == "" {
				return FieldLabel(f.Tree, f.Def.UI, pointer[:i])
			}
		}
	}
	return FieldLabel(f.Tree, f.Def.UI, pointer)
}

func formatMessage(w lang.Words, label, format string) string {
	id := map[string]string{"date": "validation.format.date", "date-time": "validation.format.dateTime", "time": "validation.format.time",
		"email": "validation.format.email", "duration": "validation.format.duration", "uri": "validation.format.uri", "iri": "validation.format.uri",
		"uri-reference": "validation.format.uri", FileFormat: "validation.format.file"}[format]
	if id == "" {
		id = "validation.format.other"
	}
	return w.T(id, "Label", label, "Lower", lowerFirst(label))
}

func describeTypes(w lang.Words, v any) string {
	var types []string
	switch t := v.(type) {
	case string:
		types = []string{t}
	case []any:
		for _, x := range t {
			if s, ok := x.(string); ok && s != "null" {
				types = append(types, s)
			}
		}
	}
	var out []string
	for _, t := range types {
		out = append(out, w.T("type."+t))
	}
	if len(out) == 0 {
		return w.T("type.other")
	}
	return strings.Join(out, w.T("type.or"))
}

// keywordValue reads the schema value an absolute keyword location points
// at ("https://cop.invalid/forms/x/1.0.0.json#/properties/a/maxLength"), in
// the documents the validator compiled.
func (f *Form) keywordValue(abs string) any {
	url, frag, _ := strings.Cut(abs, "#")
	doc, ok := f.docs[url]
	if !ok {
		return nil
	}
	return valueAt(doc, frag)
}

// valueAt is dataAt with exact numbers made plain, so a keyword's value
// reads "40" in a message.
func valueAt(doc any, pointer string) any {
	cur := ValueAt(doc, pointer)
	if n, ok := cur.(json.Number); ok {
		if i, err := n.Int64(); err == nil {
			return i
		}
		if x, err := n.Float64(); err == nil {
			return x
		}
	}
	return cur
}

var quotedName = regexp.MustCompile(`'((?:[^'\\]|\\.)*)'`)

// quotedNames reads the property names the validator quotes in an
// additionalProperties message, sorted for a stable answer.
func quotedNames(msg string) []string {
	var out []string
	for _, m := range quotedName.FindAllStringSubmatch(msg, -1) {
		s := strings.ReplaceAll(m[1], `\'`, `'`)
		if u, err := strconv.Unquote(`"` + strings.ReplaceAll(s, `"`, `\"`) + `"`); err == nil {
			s = u
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func hasType(n *Node, t string) bool {
	for _, x := range n.Types {
		if x == t {
			return true
		}
	}
	return false
}

// lowerFirst makes "Date of arrival" read "date of arrival" inside a
// sentence, leaving acronyms ("UK port", "IMO number") alone.
func lowerFirst(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 {
		return s
	}
	next, _ := utf8.DecodeRuneInString(s[size:])
	if unicode.IsUpper(next) {
		return s
	}
	return string(unicode.ToLower(r)) + s[size:]
}

// leaves are the errors at the bottom of the validator's error tree.
func leaves(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}
