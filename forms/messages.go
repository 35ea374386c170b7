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
			out = append(out, FieldError{p, fmt.Sprintf("%q is not a question on this form", name)})
		}
		return out
	case "unevaluatedProperties":
		return []FieldError{{loc, fmt.Sprintf("%q is not a question on this form", lastSegment(loc))}}
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

func (f *Form) requiredMessage(pointer string) string {
	label := lowerFirst(FieldLabel(f.Tree, f.Def.UI, pointer))
	n := f.Tree.Lookup(pointer)
	switch {
	case n == nil:
		return "Enter " + label
	case n.Format == FileFormat:
		return "Upload " + label
	case len(n.Options) > 0 || hasType(n, "boolean"):
		return "Select " + label
	case hasType(n, "array"):
		if n.Items != nil && len(n.Items.Options) > 0 {
			return "Select " + label
		}
		return "Add " + label
	}
	return "Enter " + label
}

// defaultMessage words a failure of one keyword at a field.
func (f *Form) defaultMessage(e *jsonschema.ValidationError, kw, loc string) string {
	if loc == "" && kw == "type" {
		return "The answers must be a JSON object of field names and values"
	}
	label := f.label(loc)
	value := f.keywordValue(e.AbsoluteKeywordLocation)
	switch kw {
	case "type":
		return label + " must be " + describeTypes(value)
	case "enum", "const", "oneOf":
		if kw == "oneOf" && strings.HasPrefix(e.Message, "valid against schemas at indexes") {
			return label + " matches more than one of the allowed answers"
		}
		if n := f.Tree.Lookup(loc); kw == "oneOf" && (n == nil || len(n.Options) == 0) {
			return label + " does not match any of the allowed answers"
		}
		return label + " must be one of the listed options"
	case "anyOf":
		return label + " does not match any of the allowed answers"
	case "not":
		return label + " is not an allowed answer"
	case "format":
		return formatMessage(label, fmt.Sprint(value))
	case "minLength":
		return fmt.Sprintf("%s must be %s or more", label, characters(value))
	case "maxLength":
		return fmt.Sprintf("%s must be %s or fewer", label, characters(value))
	case "pattern":
		return fmt.Sprintf("Enter %s in the correct format", lowerFirst(label))
	case "minimum":
		return fmt.Sprintf("%s must be %v or more", label, value)
	case "maximum":
		return fmt.Sprintf("%s must be %v or less", label, value)
	case "exclusiveMinimum":
		return fmt.Sprintf("%s must be more than %v", label, value)
	case "exclusiveMaximum":
		return fmt.Sprintf("%s must be less than %v", label, value)
	case "multipleOf":
		return fmt.Sprintf("%s must be a multiple of %v", label, value)
	case "minItems":
		return fmt.Sprintf("%s must have at least %v %s", label, value, plural(value, "entry", "entries"))
	case "maxItems":
		return fmt.Sprintf("%s must have no more than %v %s", label, value, plural(value, "entry", "entries"))
	case "uniqueItems":
		return label + " must not list the same answer twice"
	case "minProperties", "maxProperties", "contains", "minContains", "maxContains":
		return label + " is not complete"
	case "":
		return fmt.Sprintf("%q is not allowed here", lastSegment(loc))
	}
	return label + " is not valid"
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

func formatMessage(label, format string) string {
	switch format {
	case "date":
		return label + " must be a real date, like 2026-11-21"
	case "date-time":
		return label + " must be a real date and time, like 2026-11-21T09:30:00Z"
	case "time":
		return label + " must be a real time, like 09:30:00Z"
	case "email":
		return "Enter " + lowerFirst(label) + " in the correct format, like name@example.com"
	case "duration":
		return label + " must be a duration, like P3D or PT4H"
	case "uri", "iri", "uri-reference":
		return label + " must be a web address, like https://www.gov.uk"
	case FileFormat:
		return label + " must be the id of a file uploaded to /api/v1/files"
	}
	return "Enter " + lowerFirst(label) + " in the correct format"
}

func describeTypes(v any) string {
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
	words := map[string]string{"string": "text", "number": "a number", "integer": "a whole number",
		"boolean": "yes or no (true or false)", "array": "a list", "object": "a group of answers", "null": "empty"}
	var out []string
	for _, t := range types {
		out = append(out, words[t])
	}
	if len(out) == 0 {
		return "of another type"
	}
	return strings.Join(out, " or ")
}

func characters(v any) string {
	return fmt.Sprintf("%v %s", v, plural(v, "character", "characters"))
}

func plural(v any, one, many string) string {
	if fmt.Sprint(v) == "1" {
		return one
	}
	return many
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
