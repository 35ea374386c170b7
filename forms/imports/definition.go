package imports

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// object is a JSON object that keeps its keys in the order written, so the
// definition reads in the sheet's column order.
type object []member

type member struct {
	key   string
	value any
}

func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.key)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(m.value)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", m.key, err)
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// definition writes the form definition for the inferred fields.
func definition(t Table, name, title string, fields []Field) ([]byte, error) {
	props := object{}
	required := []string{}
	uiFields := object{}
	order := []string{}
	for _, f := range fields {
		props = append(props, member{f.Property, fieldSchema(f)})
		if f.Required {
			required = append(required, f.Property)
		}
		if hints := fieldHints(f); len(hints) > 0 {
			uiFields = append(uiFields, member{"/" + f.Property, hints})
		}
		order = append(order, f.Property)
	}
	source := t.File
	if t.Sheet != "" {
		source += ", sheet " + t.Sheet
	}
	ui := object{}
	if len(order) > pageSize {
		ui = append(ui, member{"pages", pages(order)})
	} else {
		ui = append(ui, member{"order", order})
	}
	if len(uiFields) > 0 {
		ui = append(ui, member{"fields", uiFields})
	}
	def := object{
		{"name", name},
		{"version", "1.0.0"},
		{"title", title},
		{"description", fmt.Sprintf("Imported from %s. Check each question before publishing.", source)},
		{"schema", object{
			{"$schema", "https://json-schema.org/draft/2020-12/schema"},
			{"type", "object"},
			{"additionalProperties", false},
			{"required", required},
			{"properties", props},
		}},
		{"ui", ui},
	}
	b, err := json.MarshalIndent(def, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("write the definition: %w", err)
	}
	return append(b, '\n'), nil
}

func fieldSchema(f Field) object {
	s := object{}
	switch f.Kind {
	case KindDate:
		s = append(s, member{"type", "string"}, member{"format", "date"})
	case KindInteger:
		s = append(s, member{"type", "integer"})
	case KindNumber:
		s = append(s, member{"type", "number"})
	case KindYesNo:
		s = append(s, member{"type", "boolean"})
	case KindEmail:
		s = append(s, member{"type", "string"}, member{"format", "email"}, member{"maxLength", 254})
	case KindPostcode:
		// The pattern bounds the length too: one message, the pattern's.
		s = append(s, member{"type", "string"}, member{"pattern", postcodePattern},
			member{"errorMessage", object{{"pattern", "Enter a real postcode, like SW1A 2AA"}}})
	case KindChoice:
		options := make([]object, len(f.Options))
		for i, o := range f.Options {
			options[i] = object{{"const", o}, {"title", o}}
		}
		s = append(s, member{"type", "string"}, member{"oneOf", options})
	default:
		s = append(s, member{"type", "string"}, member{"maxLength", f.MaxLength})
	}
	return append(s, member{"title", f.Header})
}

func fieldHints(f Field) object {
	switch {
	case f.Kind == KindDate:
		return object{{"hint", "For example, 21 11 2026"}}
	case f.Kind == KindYesNo:
		return object{{"widget", "yesno"}}
	case f.Kind == KindPostcode:
		return object{{"width", "10"}}
	case f.Kind == KindText && f.MaxLength > 100:
		return object{{"widget", "textarea"}}
	}
	return nil
}

// pages splits the questions into pages of about pageSize each.
func pages(order []string) []object {
	n := (len(order) + pageSize - 1) / pageSize
	size := (len(order) + n - 1) / n
	var out []object
	for i := 0; i < len(order); i += size {
		end := min(i+size, len(order))
		out = append(out, object{
			{"id", fmt.Sprintf("part-%d", len(out)+1)},
			{"title", fmt.Sprintf("Part %d of %d", len(out)+1, n)},
			{"fields", order[i:end]},
		})
	}
	return out
}
