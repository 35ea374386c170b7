package forms

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// registry is an in-memory Resolver: name → versions, the last one latest.
type registry struct {
	terms   map[string][]TermDefinition
	refdata map[string][]RefData
}

func (r registry) Term(ref Reference) (TermDefinition, error) {
	return pick(r.terms[ref.Name], ref.Version, func(t TermDefinition) string { return t.Version })
}

func (r registry) RefData(ref Reference) (RefData, error) {
	return pick(r.refdata[ref.Name], ref.Version, func(d RefData) string { return d.Version })
}

func pick[T any](versions []T, want string, version func(T) string) (T, error) {
	var zero T
	if len(versions) == 0 {
		return zero, ErrNotRegistered
	}
	if want == "" {
		return versions[len(versions)-1], nil
	}
	for _, v := range versions {
		if version(v) == want {
			return v, nil
		}
	}
	return zero, ErrNotRegistered
}

var testRegistry = registry{
	terms: map[string][]TermDefinition{
		"port": {
			{Name: "port", Version: "1.0.0", Title: "Port", Schema: json.RawMessage(`{"type": "string", "title": "Port", "refdata": "uk-ports"}`)},
		},
		"person": {
			{Name: "person", Version: "1.0.0", Title: "Person", Schema: json.RawMessage(`{"type": "object", "required": ["name"],
				"properties": {"name": {"type": "string", "title": "Full name"}}}`)},
			{Name: "person", Version: "2.0.0", Title: "Person", Schema: json.RawMessage(`{"type": "object", "required": ["name", "dateOfBirth"],
				"properties": {"name": {"type": "string", "title": "Full name", "minLength": 2},
				"dateOfBirth": {"type": "string", "format": "date", "title": "Date of birth"},
				"nationality": {"$ref": "term:country"}}}`)},
		},
		"country": {
			{Name: "country", Version: "1.0.0", Title: "Country", Schema: json.RawMessage(`{"type": "string", "title": "Nationality", "refdata": "countries"}`)},
		},
		"loop-a": {{Name: "loop-a", Version: "1.0.0", Title: "A", Schema: json.RawMessage(`{"type": "object", "properties": {"b": {"$ref": "term:loop-b"}}}`)}},
		"loop-b": {{Name: "loop-b", Version: "1.0.0", Title: "B", Schema: json.RawMessage(`{"type": "object", "properties": {"a": {"$ref": "term:loop-a"}}}`)}},
	},
	refdata: map[string][]RefData{
		"uk-ports": {{Name: "uk-ports", Version: "1.0.0", Title: "UK ports", Items: []RefItem{
			{Code: "GBDVR", Label: "Dover"}, {Code: "GBSOU", Label: "Southampton"},
			{Code: "GBOLD", Label: "Oldport", ValidTo: "2025-12-31"}, {Code: "GBNEW", Label: "Newport", ValidFrom: "2027-01-01"},
		}}},
		"countries": {{Name: "countries", Version: "1.0.0", Title: "Countries", Items: []RefItem{{Code: "GB", Label: "United Kingdom"}, {Code: "FR", Label: "France"}}}},
	},
}

func form(schema string) Definition {
	return Definition{Name: "arrival", Version: "1.0.0", Title: "Arrival", Schema: json.RawMessage(schema)}
}

func compile(t *testing.T, schema string) *Form {
	t.Helper()
	f, err := CompileForm(form(schema), testRegistry)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return f
}

// problemsOf compiles a schema that must be refused and returns its problems.
func problemsOf(t *testing.T, schema string) Problems {
	t.Helper()
	_, err := CompileForm(form(schema), testRegistry)
	var p Problems
	if !errors.As(err, &p) {
		t.Fatalf("want problems, got %v", err)
	}
	return p
}

func TestBadSchemasAreRefusedWithTheirPointer(t *testing.T) {
	deep := `{"type": "string"}`
	for i := 0; i < MaxSchemaDepth+2; i++ {
		deep = `{"type": "object", "properties": {"x": ` + deep + `}}`
	}
	cases := []struct {
		name, schema, pointer, says string
	}{
		{"other draft", `{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"}`, "/schema/$schema", "JSON Schema 2020-12 only"},
		{"$schema below the root", `{"type": "object", "properties": {"a": {"$schema": "https://json-schema.org/draft/2020-12/schema"}}}`, "/schema/properties/a/$schema", "only appear at the top"},
		{"not a schema", `{"type": "object", "properties": {"a": {"type": "strin"}}}`, "/schema/properties/a/type", "not valid JSON Schema 2020-12"},
		{"schema is a string", `"text"`, "/schema", "must be a JSON object"},
		{"required not a list", `{"type": "object", "required": "a"}`, "/schema/required", "not valid JSON Schema"},
		{"http ref", `{"type": "object", "properties": {"a": {"$ref": "http://example.com/s.json"}}}`, "/schema/properties/a/$ref", "never fetches"},
		{"https ref", `{"$ref": "https://example.com/s.json"}`, "/schema/$ref", "never fetches"},
		{"file ref", `{"type": "object", "properties": {"a": {"$ref": "file:///etc/passwd"}}}`, "/schema/properties/a/$ref", "never fetches"},
		{"relative ref", `{"$ref": "other.json"}`, "/schema/$ref", "registered data terms"},
		{"unregistered term", `{"type": "object", "properties": {"v": {"$ref": "term:vessel"}}}`, "/schema/properties/v/$ref", `term "vessel" is not registered`},
		{"unregistered term version", `{"type": "object", "properties": {"p": {"$ref": "term:person@9.0.0"}}}`, "/schema/properties/p/$ref", "version 9.0.0 is not registered"},
		{"lookahead pattern", `{"type": "object", "properties": {"ref": {"type": "string", "pattern": "^(?=.*[0-9])[A-Z0-9]+$"}}}`, "/schema/properties/ref/pattern", "Go (RE2)"},
		{"backreference in patternProperties", `{"type": "object", "patternProperties": {"^(a)\\1$": true}}`, "/schema/patternProperties/^(a)\\1$", "Go (RE2)"},
		{"unknown format", `{"type": "object", "properties": {"d": {"type": "string", "format": "dat"}}}`, "/schema/properties/d/format", "not one COP checks"},
		{"nested $id", `{"type": "object", "properties": {"a": {"$id": "https://evil.example/a"}}}`, "/schema/properties/a/$id", "not allowed"},
		{"too deep", deep, "/schema/properties/x", "deeper than"},
		{"recursive", `{"$defs": {"node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/node"}}}}, "$ref": "#/$defs/node"}`, "/schema", "recursive"},
		{"recursive through terms", `{"type": "object", "properties": {"a": {"$ref": "term:loop-a"}}}`, "/schema/properties/a", "itself"},
		{"unknown refdata", `{"type": "object", "properties": {"p": {"type": "string", "refdata": "ports-of-mars"}}}`, "/schema/properties/p/refdata", "not registered"},
		{"refdata and enum", `{"type": "object", "properties": {"p": {"type": "string", "refdata": "uk-ports", "enum": ["x"]}}}`, "/schema/properties/p/refdata", "either refdata or enum"},
		{"file field too large", `{"type": "object", "properties": {"f": {"type": "string", "format": "cop-file", "maxFileSize": 999999999}}}`, "/schema/properties/f/maxFileSize", "from 1 to"},
		{"bad media type", `{"type": "object", "properties": {"f": {"type": "string", "format": "cop-file", "contentMediaType": "pdf"}}}`, "/schema/properties/f/contentMediaType", "media type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := problemsOf(t, tc.schema)
			for _, pr := range p {
				if strings.HasPrefix(pr.Pointer, tc.pointer) && strings.Contains(pr.Message, tc.says) {
					return
				}
			}
			t.Errorf("want a problem at %s saying %q, got %+v", tc.pointer, tc.says, p)
		})
	}
}

func TestParseFormRefusesMalformedDefinitions(t *testing.T) {
	cases := []struct{ body, pointer, says string }{
		{`{"name": "a", "version": "1.0.0", "title": "A", "schema": {}`, "", "ends too soon"},
		{`{"name": "a", "version": "1.0.0", "title": "A", "schema": {}, "titel": "x"}`, "/titel", "not a field"},
		{`{"name": "a", "version": "1.0.0", "schema": {}}`, "/title", "required"},
		{`{"name": "a", "version": "1.0.0", "title": "A"}`, "/schema", "needs a schema"},
		{`{"name": "a", "version": "1.0.0", "title": "A", "schema": {}, "access": {"start": ["officer"]}}`, "/access/start/0", "role:NAME or team:NAME"},
		{`{"name": "a", "version": "1.0.0", "title": "A", "schema": {}, "casePrefix": "arr"}`, "/casePrefix", "capital letters"},
		{`{"name": 7, "version": "1.0.0", "title": "A", "schema": {}}`, "/name", "must be a string"},
		{`[]`, "", "must be a JSON object"},
		{`{"name": "a", "version": "1.0.0", "title": "A", "schema": {}, "ui": {"fields": {"/a": {"lable": "x"}}}}`, "/ui/fields/~1a/lable", "not a field"},
		{`{"name": "a", "version": "1.0.0", "title": "A", "schema": {}, "ui": {"pages": [{"id": "p", "title": "P", "fields": [], "hint": "x"}]}}`, "/ui/pages/0/hint", "not a field"},
		{`{"name": "a", "version": "1.0.0", "title": "A", "schema": {}, "access": {"write": []}}`, "/access/write", "not a field"},
		{``, "", "empty"},
	}
	for _, tc := range cases {
		_, err := ParseForm([]byte(tc.body))
		var p Problems
		if !errors.As(err, &p) || len(p) == 0 {
			t.Errorf("%s: want problems, got %v", tc.body, err)
			continue
		}
		if p[0].Pointer != tc.pointer || !strings.Contains(p[0].Message, tc.says) {
			t.Errorf("%s: got %+v, want %s saying %q", tc.body, p, tc.pointer, tc.says)
		}
	}
}

func TestCompilePinsTermsAndReferenceData(t *testing.T) {
	f := compile(t, `{"type": "object", "properties": {
		"traveller": {"$ref": "term:person"},
		"previous": {"$ref": "term:person@1.0.0"},
		"port": {"$ref": "term:port", "title": "Port of arrival"}}}`)
	var got []string
	for _, p := range f.Pins {
		got = append(got, fmt.Sprintf("%s %s %s@%s→%s", p.In, p.Kind, p.Name, p.Version, p.Resolved))
	}
	want := []string{
		" term person@→2.0.0",
		" term person@1.0.0→1.0.0",
		" term port@→1.0.0",
		"term:person@2.0.0 term country@→1.0.0",
		"term:country@1.0.0 refdata countries@→1.0.0",
		"term:port@1.0.0 refdata uk-ports@→1.0.0",
	}
	if !sameSet(got, want) {
		t.Errorf("pins\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if l := FieldLabel(f.Tree, nil, "/port"); l != "Port of arrival" {
		t.Errorf("the title beside a term $ref should win: %q", l)
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, x := range a {
		seen[x]++
	}
	for _, x := range b {
		seen[x]--
	}
	for _, n := range seen {
		if n != 0 {
			return false
		}
	}
	return true
}

// The arrival form used by the validation tests: a required date, a port
// from reference data, a yes/no question revealing the vessel name, a
// repeating crew list, and fields the author worded themselves.
const arrivalSchema = `{
	"type": "object",
	"additionalProperties": false,
	"required": ["arrivalDate", "port", "hasVessel"],
	"properties": {
		"arrivalDate": {"type": "string", "format": "date", "title": "Date of arrival"},
		"port": {"$ref": "term:port"},
		"hasVessel": {"type": "boolean", "title": "Did they arrive by boat"},
		"vesselName": {"type": "string", "title": "Vessel name", "maxLength": 40},
		"email": {"type": "string", "format": "email", "title": "Email address"},
		"passengers": {"type": "integer", "minimum": 0, "maximum": 500, "title": "Passengers"},
		"reference": {"type": "string", "pattern": "^[A-Z]{3}[0-9]{4}$", "title": "Reference",
			"errorMessage": {"pattern": "Enter a reference like ABC1234"}},
		"crew": {"type": "array", "title": "Crew", "maxItems": 3, "items": {"$ref": "term:person@1.0.0"}},
		"purpose": {"title": "Purpose of visit", "oneOf": [{"const": "work", "title": "Work"}, {"const": "holiday", "title": "Holiday"}]}
	},
	"if": {"properties": {"hasVessel": {"const": true}}, "required": ["hasVessel"]},
	"then": {"required": ["vesselName"]}
}`

func TestValidationSpeaksToPeopleAtEachField(t *testing.T) {
	f := compile(t, arrivalSchema)
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		data string
		want []FieldError
	}{
		{"valid", `{"arrivalDate": "2026-11-20", "port": "GBDVR", "hasVessel": false}`, nil},
		{"everything missing", `{}`, []FieldError{
			{"/arrivalDate", "Enter date of arrival"},
			{"/port", "Select port"},
			{"/hasVessel", "Select did they arrive by boat"},
		}},
		{"required by if/then, at its own pointer", `{"arrivalDate": "2026-11-20", "port": "GBDVR", "hasVessel": true}`, []FieldError{
			{"/vesselName", "Enter vessel name"},
		}},
		{"not a real date", `{"arrivalDate": "2026-02-30", "port": "GBDVR", "hasVessel": false}`, []FieldError{
			{"/arrivalDate", "Date of arrival must be a real date, like 2026-11-21"},
		}},
		{"not in the reference data", `{"arrivalDate": "2026-11-20", "port": "GBXXX", "hasVessel": false}`, []FieldError{
			{"/port", "Port must be one of the listed options"},
		}},
		{"reference data no longer valid", `{"arrivalDate": "2026-11-20", "port": "GBOLD", "hasVessel": false}`, []FieldError{
			{"/port", "Port cannot be Oldport: it is valid only until 2025-12-31"},
		}},
		{"reference data not yet valid", `{"arrivalDate": "2026-11-20", "port": "GBNEW", "hasVessel": false}`, []FieldError{
			{"/port", "Port cannot be Newport: it is valid only from 2027-01-01"},
		}},
		{"wrong types", `{"arrivalDate": 20261120, "port": "GBDVR", "hasVessel": "yes", "passengers": 2.5}`, []FieldError{
			{"/arrivalDate", "Date of arrival must be text"},
			{"/hasVessel", "Did they arrive by boat must be yes or no (true or false)"},
			{"/passengers", "Passengers must be a whole number"},
		}},
		{"limits and the author's own words", `{"arrivalDate": "2026-11-20", "port": "GBDVR", "hasVessel": true,
			"vesselName": "` + strings.Repeat("x", 41) + `", "passengers": 501, "reference": "abc", "email": "nobody"}`, []FieldError{
			{"/vesselName", "Vessel name must be 40 characters or fewer"},
			{"/email", "Enter email address in the correct format, like name@example.com"},
			{"/passengers", "Passengers must be 500 or less"},
			{"/reference", "Enter a reference like ABC1234"},
		}},
		{"unknown properties", `{"arrivalDate": "2026-11-20", "port": "GBDVR", "hasVessel": false, "colour": "red", "admin": true}`, []FieldError{
			{"/admin", `"admin" is not a question on this form`},
			{"/colour", `"colour" is not a question on this form`},
		}},
		{"labelled options", `{"arrivalDate": "2026-11-20", "port": "GBDVR", "hasVessel": false, "purpose": "smuggling"}`, []FieldError{
			{"/purpose", "Purpose of visit must be one of the listed options"},
		}},
		{"inside a repeating group", `{"arrivalDate": "2026-11-20", "port": "GBDVR", "hasVessel": false,
			"crew": [{"name": "Ann"}, {}, {"name": 3}, {"name": "Bo"}]}`, []FieldError{
			{"/crew", "Crew must have no more than 3 entries"},
			{"/crew/1/name", "Crew 2: enter full name"},
			{"/crew/2/name", "Crew 3: full name must be text"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var data any
			dec := json.NewDecoder(strings.NewReader(tc.data))
			dec.UseNumber()
			if err := dec.Decode(&data); err != nil {
				t.Fatal(err)
			}
			got := f.Validate(data, now)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got\n%s\nwant\n%s", show(got), show(tc.want))
			}
		})
	}
}

func show(errs []FieldError) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "  %s: %s\n", e.Pointer, e.Message)
	}
	return b.String()
}

func TestAnswersThatAreNotAnObject(t *testing.T) {
	f := compile(t, arrivalSchema)
	got := f.Validate([]any{"a"}, time.Now())
	if len(got) != 1 || got[0].Pointer != "" || !strings.Contains(got[0].Message, "JSON object") {
		t.Errorf("got %+v", got)
	}
}

func TestValidatePageChecksOnlyThatPage(t *testing.T) {
	def := form(arrivalSchema)
	def.UI = &UI{Pages: []UIPage{
		{ID: "arrival", Title: "Arrival", Fields: []string{"arrivalDate", "port", "hasVessel"}},
		{ID: "details", Title: "Details", Fields: []string{"email", "passengers", "reference", "crew", "purpose"}},
	}}
	f, err := CompileForm(def, testRegistry)
	if err != nil {
		t.Fatal(err)
	}
	data := map[string]any{"hasVessel": true}
	got, err := f.ValidatePage("arrival", data, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// The vessel name is revealed by the yes/no question on this page, so it is this page's.
	want := []FieldError{{"/arrivalDate", "Enter date of arrival"}, {"/port", "Select port"}, {"/vesselName", "Enter vessel name"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("arrival page\n%s", show(got))
	}
	if got, _ := f.ValidatePage("details", data, time.Now()); len(got) != 0 {
		t.Errorf("details page has nothing wrong yet: %s", show(got))
	}
	if _, err := f.ValidatePage("nope", data, time.Now()); err == nil {
		t.Error("an unknown page should be an error")
	}
}

func TestFileFieldsAndTheirRules(t *testing.T) {
	f := compile(t, `{"type": "object", "properties": {
		"scan": {"type": "string", "format": "cop-file", "contentMediaType": "application/pdf", "maxFileSize": 1048576, "title": "Passport scan"},
		"photos": {"type": "array", "items": {"type": "object", "properties": {"photo": {"type": "string", "format": "cop-file"}}}}}}`)
	rule, ok := f.FileRule("/scan")
	if !ok || rule != (FileRule{MediaType: "application/pdf", MaxBytes: 1 << 20}) {
		t.Errorf("scan rule %+v %v", rule, ok)
	}
	rule, ok = f.FileRule("/photos/3/photo")
	if !ok || rule != (FileRule{MaxBytes: DefaultMaxFileSize}) {
		t.Errorf("photo rule %+v %v", rule, ok)
	}
	if _, ok := f.FileRule("/nothing"); ok {
		t.Error("no file field at /nothing")
	}
	id1, id2 := "0b7c8a1e-8a52-4c1d-9d55-5b8d1c0f0a01", "0b7c8a1e-8a52-4c1d-9d55-5b8d1c0f0a02"
	data := map[string]any{"scan": id1, "photos": []any{map[string]any{"photo": id2}}}
	if errs := f.Validate(data, time.Now()); len(errs) != 0 {
		t.Fatalf("valid file ids refused: %s", show(errs))
	}
	files := f.Files(data)
	if !reflect.DeepEqual(files, []FileValue{{"/photos/0/photo", id2}, {"/scan", id1}}) {
		t.Errorf("files %+v", files)
	}
	errs := f.Validate(map[string]any{"scan": "../../etc/passwd"}, time.Now())
	if len(errs) != 1 || errs[0].Pointer != "/scan" || !strings.Contains(errs[0].Message, "uploaded to /api/v1/files") {
		t.Errorf("bad file id: %s", show(errs))
	}
}

func TestTermsAndReferenceDataSets(t *testing.T) {
	if _, err := CompileTerm(TermDefinition{Name: "vessel", Version: "1.0.0", Title: "Vessel",
		Schema: json.RawMessage(`{"type": "object", "properties": {"flag": {"$ref": "term:country"}, "port": {"$ref": "term:port"}}}`)}, testRegistry); err != nil {
		t.Errorf("a term using terms: %v", err)
	}
	_, err := CompileTerm(TermDefinition{Name: "vessel", Version: "1.0.0", Title: "Vessel",
		Schema: json.RawMessage(`{"$ref": "https://example.com/vessel.json"}`)}, testRegistry)
	if !errors.As(err, new(Problems)) {
		t.Errorf("a term with a URL $ref: %v", err)
	}
	_, err = ParseRefData([]byte(`{"name": "ports", "version": "1.0.0", "title": "Ports", "items": [
		{"code": "A", "label": "A"}, {"code": "A", "label": "Again"}, {"code": "", "label": "x"},
		{"code": "B", "label": "B", "validFrom": "2026-13-01"}, {"code": "C", "label": "C", "validFrom": "2026-02-01", "validTo": "2026-01-01"}]}`))
	var p Problems
	if !errors.As(err, &p) {
		t.Fatalf("bad set accepted: %v", err)
	}
	var got []string
	for _, x := range p {
		got = append(got, x.Pointer)
	}
	if strings.Join(got, " ") != "/items/1/code /items/2/code /items/3/validFrom /items/4/validTo" {
		t.Errorf("problems %+v", p)
	}
	set := testRegistry.refdata["uk-ports"][0]
	on := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	var codes []string
	for _, it := range set.Find(RefQuery{Text: "port", On: on}) {
		codes = append(codes, it.Code)
	}
	if strings.Join(codes, ",") != "" {
		t.Errorf("Oldport and Newport are not valid on %s: %v", on.Format(time.DateOnly), codes)
	}
	if got := set.Find(RefQuery{Text: "dov"}); len(got) != 1 || got[0].Code != "GBDVR" {
		t.Errorf("search by label: %+v", got)
	}
	if got := set.Find(RefQuery{Code: "GBSOU"}); len(got) != 1 || got[0].Label != "Southampton" {
		t.Errorf("by code: %+v", got)
	}
}

func TestAnEntryOfAListIsNamedByTheList(t *testing.T) {
	f := compile(t, `{"type": "object", "properties": {"checks": {"type": "array", "title": "Checks made", "uniqueItems": true,
		"items": {"enum": ["bags", "vehicle"]}}}}`)
	got := f.Validate(map[string]any{"checks": []any{"bags", "pockets"}}, time.Now())
	if len(got) != 1 || got[0] != (FieldError{"/checks/1", "Checks made must be one of the listed options"}) {
		t.Errorf("got %+v", got)
	}
}

// A list of forms reads a stored definition's heading without compiling it.
func TestReadHeading(t *testing.T) {
	h, err := ReadHeading([]byte(`{"name": "seizure", "version": "1.2.0", "title": "Record a seizure", "description": "Goods held",
		"schema": {"type": "object"}, "access": {"start": ["role:officer"], "read": ["role:supervisor"]}}`))
	if err != nil || h.Name != "seizure" || h.Version != "1.2.0" || h.Title != "Record a seizure" || h.Description != "Goods held" ||
		len(h.Start) != 1 || h.Start[0] != "role:officer" {
		t.Errorf("heading %+v, %v", h, err)
	}
	if _, err := ReadHeading([]byte(`{"title": 1}`)); err == nil {
		t.Error("a title that is not a string was read")
	}
}

// An error inside an entry names the entry, by the group's item label, in
// the author's words after it; an error about the list itself does not.
func TestAnErrorInsideAnEntryNamesTheEntry(t *testing.T) {
	def := form(`{"type": "object", "properties": {"people": {"type": "array", "title": "People in the vehicle", "maxItems": 2,
		"items": {"type": "object", "required": ["role"], "properties": {"name": {"type": "string"},
			"role": {"enum": ["driver", "passenger"], "errorMessage": {"required": "Select their role"}},
			"bags": {"type": "array", "items": {"type": "object", "properties": {"weight": {"type": "number", "title": "Weight"}}}}}}}}}`)
	def.UI = &UI{Fields: map[string]UIField{"/people": {ItemLabel: "Person"}}}
	f, err := CompileForm(def, testRegistry)
	if err != nil {
		t.Fatal(err)
	}
	got := f.Validate(map[string]any{"people": []any{
		map[string]any{"role": "driver"},
		map[string]any{"name": "Bo", "bags": []any{map[string]any{"weight": "heavy"}}},
		map[string]any{"role": "driver"},
	}}, time.Now())
	want := []FieldError{
		{"/people", "People in the vehicle must have no more than 2 entries"},
		{"/people/1/role", "Person 2: select their role"},
		{"/people/1/bags/0/weight", "Bag 1: weight must be a number"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}
