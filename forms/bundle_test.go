package forms

import (
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// The bundle, on its own (no resolver, no COP), accepts the answers the
// form accepts and refuses what it refuses: terms inlined, reference data
// as enums, references pointing inside it, COP's own keywords left out.
func TestBundleIsTheFormsSchemaOnItsOwn(t *testing.T) {
	f := compile(t, arrivalSchema)
	b := f.Bundle("#/$defs/")
	if b.Root != "form.arrival.1.0.0" {
		t.Errorf("root %q", b.Root)
	}
	raw, _ := json.Marshal(map[string]any{"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": "#/$defs/" + b.Root, "$defs": b.Schemas})
	if strings.Contains(string(raw), "cop.invalid") || strings.Contains(string(raw), "errorMessage") || strings.Contains(string(raw), `"refdata"`) {
		t.Errorf("the bundle still names COP's resources or keywords: %s", raw)
	}
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	c.LoadURL = func(url string) (_ io.ReadCloser, err error) { t.Fatalf("the bundle loads %s", url); return nil, nil }
	if err := c.AddResource("bundle.json", strings.NewReader(string(raw))); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("bundle.json")
	if err != nil {
		t.Fatalf("compile the bundle: %v", err)
	}
	for _, answers := range []string{
		`{"arrivalDate": "2026-11-21", "port": "GBDVR", "hasVessel": false}`,
		`{"arrivalDate": "2026-11-21", "port": "GBDVR", "hasVessel": true, "vesselName": "Sea Swift", "crew": [{"name": "Ann"}]}`,
		`{"arrivalDate": "2026-11-21", "port": "XXXXX", "hasVessel": false}`,
		`{"arrivalDate": "21/11/2026", "port": "GBDVR", "hasVessel": false}`,
		`{"arrivalDate": "2026-11-21", "port": "GBDVR", "hasVessel": true}`,
		`{"arrivalDate": "2026-11-21", "port": "GBDVR", "hasVessel": false, "crew": [{}]}`,
		`{"arrivalDate": "2026-11-21", "port": "GBDVR", "hasVessel": false, "stowaway": true}`,
	} {
		var v any
		_ = json.Unmarshal([]byte(answers), &v)
		formOK := len(f.Validate(v, time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC))) == 0
		bundleOK := s.Validate(v) == nil
		if formOK != bundleOK {
			t.Errorf("%s: the form says valid=%v, the bundle %v", answers, formOK, bundleOK)
		}
	}
}
