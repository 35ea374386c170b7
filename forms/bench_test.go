package forms

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// benchForm is a ~40-field form of the usual mix: text with limits and
// patterns, dates, numbers, yes/no, labelled options, reference data, a
// nested group, a repeating group and a conditional question.
func benchForm() (schema string, data []byte) {
	var props []string
	answers := map[string]any{}
	for i := 0; i < 12; i++ {
		props = append(props, fmt.Sprintf(`"text%02d": {"type": "string", "title": "Text %d", "maxLength": 100}`, i, i))
		answers[fmt.Sprintf("text%02d", i)] = fmt.Sprintf("An answer of moderate length, saying what the officer saw and did %d", i)
	}
	for i := 0; i < 6; i++ {
		props = append(props, fmt.Sprintf(`"date%02d": {"type": "string", "format": "date", "title": "Date %d"}`, i, i))
		answers[fmt.Sprintf("date%02d", i)] = "2026-11-21"
	}
	for i := 0; i < 6; i++ {
		props = append(props, fmt.Sprintf(`"count%02d": {"type": "integer", "minimum": 0, "maximum": 1000, "title": "Count %d"}`, i, i))
		answers[fmt.Sprintf("count%02d", i)] = i * 7
	}
	for i := 0; i < 4; i++ {
		props = append(props, fmt.Sprintf(`"code%02d": {"type": "string", "pattern": "^[A-Z]{3}[0-9]{4}$", "title": "Code %d"}`, i, i))
		answers[fmt.Sprintf("code%02d", i)] = "ABC1234"
	}
	for i := 0; i < 4; i++ {
		props = append(props, fmt.Sprintf(`"choice%02d": {"title": "Choice %d", "oneOf": [{"const": "a", "title": "A"}, {"const": "b", "title": "B"}, {"const": "c", "title": "C"}]}`, i, i))
		answers[fmt.Sprintf("choice%02d", i)] = "b"
	}
	props = append(props,
		`"port": {"$ref": "term:port"}`,
		`"searched": {"type": "boolean", "title": "Searched"}`,
		`"outcome": {"type": "string", "maxLength": 200, "title": "Outcome"}`,
		`"email": {"type": "string", "format": "email", "title": "Email"}`,
		`"vessel": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "imo": {"type": "string", "pattern": "^IMO[0-9]{7}$"}}}`,
		`"crew": {"type": "array", "maxItems": 20, "items": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "born": {"type": "string", "format": "date"}}}}`,
	)
	answers["port"] = "GBDVR"
	answers["searched"] = true
	answers["outcome"] = "Nothing found"
	answers["email"] = "officer@example.gov.uk"
	answers["vessel"] = map[string]any{"name": "Sea Breeze", "imo": "IMO9074729"}
	answers["crew"] = []any{map[string]any{"name": "Ann", "born": "1990-03-27"}, map[string]any{"name": "Bo", "born": "1985-07-01"}}
	schema = `{"type": "object", "additionalProperties": false, "required": ["text00", "date00", "port", "searched"], "properties": {` +
		strings.Join(props, ",\n") + `}, "if": {"properties": {"searched": {"const": true}}, "required": ["searched"]}, "then": {"required": ["outcome"]}}`
	data, _ = json.Marshal(answers)
	return schema, data
}

// BenchmarkValidation compares the platform's validation of a ~40-field,
// ~2 KB submission (schema with formats asserted, reference data validity
// on the day, human errors when it fails) with a bare jsonschema/v5
// Validate of the same document against the same schema, term inlined.
func BenchmarkValidation(b *testing.B) {
	schema, raw := benchForm()
	decode := func() any {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			b.Fatal(err)
		}
		return v
	}
	doc := decode()
	b.Run("baseline=jsonschema-validate", func(b *testing.B) {
		c := jsonschema.NewCompiler()
		c.Draft = jsonschema.Draft2020
		c.AssertFormat = true
		inlined := strings.Replace(schema, `{"$ref": "term:port"}`, `{"type": "string", "enum": ["GBDVR", "GBSOU", "GBOLD", "GBNEW"]}`, 1)
		if err := c.AddResource("bench.json", strings.NewReader(inlined)); err != nil {
			b.Fatal(err)
		}
		s, err := c.Compile("bench.json")
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(raw)))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if err := s.Validate(doc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cop=form-validate", func(b *testing.B) {
		f, err := CompileForm(Definition{Name: "bench", Version: "1.0.0", Title: "Bench", Schema: json.RawMessage(schema)}, testRegistry)
		if err != nil {
			b.Fatal(err)
		}
		now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
		b.SetBytes(int64(len(raw)))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if errs := f.Validate(doc, now); len(errs) > 0 {
				b.Fatal(errs)
			}
		}
	})
}

func TestTheBenchmarkFormIsTheSizeItClaims(t *testing.T) {
	schema, raw := benchForm()
	f, err := CompileForm(Definition{Name: "bench", Version: "1.0.0", Title: "Bench", Schema: json.RawMessage(schema)}, testRegistry)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.Tree.Properties); n < 38 || n > 42 {
		t.Errorf("%d top-level fields", n)
	}
	if len(raw) < 1500 || len(raw) > 2600 {
		t.Errorf("submission is %d bytes", len(raw))
	}
	var data any
	_ = json.Unmarshal(raw, &data)
	if errs := f.Validate(data, time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)); len(errs) != 0 {
		t.Errorf("benchmark data is not valid: %v", errs)
	}
}
