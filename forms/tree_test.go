package forms

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// stubSource is a treeSource over fixed terms and reference data. Terms are
// given ids with a version, as the registry pins them.
type stubSource struct {
	terms   map[string]string   // ref as written → schema
	refdata map[string][]Option // name → options
	asked   []string            // "in|ref" of every Ref call
}

func (s *stubSource) Ref(in, ref string) (string, json.RawMessage, error) {
	s.asked = append(s.asked, in+"|"+ref)
	doc, ok := s.terms[ref]
	if !ok {
		return "", nil, fmt.Errorf("%s is not registered", ref)
	}
	id := ref
	if !strings.Contains(ref, "@") {
		id += "@1.0.0"
	}
	return id, json.RawMessage(doc), nil
}

func (s *stubSource) RefData(in, name string) ([]Option, error) {
	opts, ok := s.refdata[name]
	if !ok {
		return nil, fmt.Errorf("%s is not registered", name)
	}
	return opts, nil
}

// mustTree builds a tree or fails the test.
func mustTree(t *testing.T, schema string, src treeSource) *Node {
	t.Helper()
	n, err := buildTree(json.RawMessage(schema), src)
	if err != nil {
		t.Fatalf("buildTree: %v", err)
	}
	return n
}

func propertyNames(n *Node) []string {
	var out []string
	for _, p := range n.Properties {
		out = append(out, p.Name)
	}
	return out
}

func optionLabels(opts []Option) []string {
	var out []string
	for _, o := range opts {
		s := fmt.Sprintf("%v=%s", o.Value, o.Label)
		if o.Hint != "" {
			s += " (" + o.Hint + ")"
		}
		out = append(out, s)
	}
	return out
}

func TestBuildTreeKeepsDocumentOrderAndKeywords(t *testing.T) {
	root := mustTree(t, `{
		"type": "object",
		"required": ["zeta"],
		"properties": {
			"zeta": {"type": "string", "title": "Zeta", "description": "Last letter", "minLength": 2, "maxLength": 300},
			"alpha": {"type": ["integer", "null"], "minimum": 1, "maximum": 9},
			"mid": {"type": "string", "format": "cop-file", "contentMediaType": "application/pdf", "maxFileSize": 1048576, "x-note": "kept"},
			"fixed": {"const": 3}
		}
	}`, nil)
	if got, want := propertyNames(root), []string{"zeta", "alpha", "mid", "fixed"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("properties = %v, want document order %v", got, want)
	}
	zeta, alpha, mid, fixed := root.Properties[0].Schema, root.Properties[1].Schema, root.Properties[2].Schema, root.Properties[3].Schema
	if zeta.Title != "Zeta" || zeta.Description != "Last letter" || zeta.MinLength != 2 || zeta.MaxLength != 300 || zeta.MinItems != -1 {
		t.Errorf("zeta = %+v", zeta)
	}
	if !reflect.DeepEqual(alpha.Types, []string{"integer", "null"}) || *alpha.Minimum != 1 || *alpha.Maximum != 9 || alpha.MaxLength != -1 {
		t.Errorf("alpha = %+v", alpha)
	}
	if mid.Format != "cop-file" || mid.ContentMediaType != "application/pdf" || mid.MaxFileSize != 1<<20 || mid.Raw["x-note"] != "kept" {
		t.Errorf("mid = %+v", mid)
	}
	if zeta.Pointer != "/properties/zeta" || zeta.Source != "" || zeta.SchemaPointer != "/properties/zeta" {
		t.Errorf("zeta place = %q %q %q", zeta.Pointer, zeta.Source, zeta.SchemaPointer)
	}
	// Consts compare equal to what json.Unmarshal makes of submitted data.
	var data any
	if err := json.Unmarshal([]byte(`3`), &data); err != nil {
		t.Fatal(err)
	}
	if !fixed.HasConst || fixed.Const != data {
		t.Errorf("const = %#v, want %#v", fixed.Const, data)
	}
	if !reflect.DeepEqual(root.Required, []string{"zeta"}) {
		t.Errorf("required = %v", root.Required)
	}
}

func TestBuildTreeOptions(t *testing.T) {
	src := &stubSource{refdata: map[string][]Option{
		"uk-ports@2": {{Value: "GBDOV", Label: "Dover"}, {Value: "GBSOU", Label: "Southampton"}},
	}}
	root := mustTree(t, `{"properties": {
		"labelled": {"oneOf": [
			{"const": "air", "title": "By air", "description": "Plane or helicopter"},
			{"const": "sea", "title": "By sea"},
			{"const": "rail"}
		]},
		"anyLabelled": {"anyOf": [{"const": 1, "title": "One"}, {"const": 2, "title": "Two"}]},
		"enumerated": {"enum": ["red", 2, true, null]},
		"refdata": {"type": "string", "refdata": "uk-ports@2"},
		"list": {"type": "array", "items": {"enum": ["a", "b"]}},
		"notOptions": {"oneOf": [{"type": "string"}, {"const": 1}]}
	}}`, src)
	tests := []struct {
		name string
		want []string
	}{
		{"labelled", []string{"air=By air (Plane or helicopter)", "sea=By sea", "rail=rail"}},
		{"anyLabelled", []string{"1=One", "2=Two"}},
		{"enumerated", []string{"red=red", "2=2", "true=Yes"}}, // null is leaving it unanswered
		{"refdata", []string{"GBDOV=Dover", "GBSOU=Southampton"}},
		{"list", []string{"a=a", "b=b"}},
		{"notOptions", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := optionLabels(root.Lookup("/" + tt.name).Options); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("options = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestBuildTreeRefs(t *testing.T) {
	src := &stubSource{
		terms: map[string]string{
			"term:port": `{"type": "string", "title": "Port", "description": "A UK port", "refdata": "uk-ports"}`,
			"term:person": `{"type": "object", "required": ["name"], "properties": {
				"name": {"$ref": "#/$defs/name"},
				"nationality": {"$ref": "term:country"}
			}, "$defs": {"name": {"type": "string", "title": "Full name"}}}`,
			"term:country": `{"type": "string", "enum": ["GB", "FR"], "title": "Country"}`,
		},
		refdata: map[string][]Option{"uk-ports": {{Value: "GBDOV", Label: "Dover"}}},
	}
	root := mustTree(t, `{
		"$defs": {"date": {"type": "string", "format": "date", "title": "A date"}},
		"properties": {
			"arrival": {"$ref": "#/$defs/date", "title": "Date of arrival"},
			"departure": {"$ref": "#/$defs/date"},
			"port": {"$ref": "term:port", "title": "Port of arrival"},
			"master": {"$ref": "term:person", "properties": {"rank": {"type": "string"}}, "required": ["rank"]},
			"anchored": {"$ref": "#home"},
			"home": {"$anchor": "home", "type": "boolean"}
		}
	}`, src)

	arrival := root.Lookup("/arrival")
	if arrival.Title != "Date of arrival" || arrival.Format != "date" || arrival.Ref != "#/$defs/date" {
		t.Errorf("arrival = %q %q %q: the sibling title should win over the definition's", arrival.Title, arrival.Format, arrival.Ref)
	}
	if departure := root.Lookup("/departure"); departure.Title != "A date" {
		t.Errorf("departure title = %q", departure.Title)
	}
	port := root.Lookup("/port")
	if port.Title != "Port of arrival" || port.Description != "A UK port" || len(port.Options) != 1 {
		t.Errorf("port = %q %q %v", port.Title, port.Description, port.Options)
	}
	// The refdata is resolved in the term that names it, where the
	// validator looks it up too.
	if port.Source != "term:port@1.0.0" || port.SchemaPointer != "/properties/port" {
		t.Errorf("port place = %q %q", port.Source, port.SchemaPointer)
	}
	master := root.Lookup("/master")
	if got, want := propertyNames(master), []string{"name", "nationality", "rank"}; !reflect.DeepEqual(got, want) {
		t.Errorf("master properties = %v, want %v", got, want)
	}
	if !reflect.DeepEqual(master.Required, []string{"name", "rank"}) {
		t.Errorf("master required = %v", master.Required)
	}
	// "#/$defs/name" inside the term resolves in the term.
	if name := root.Lookup("/master/name"); name.Title != "Full name" || name.Source != "term:person@1.0.0" {
		t.Errorf("master name = %q from %q", name.Title, name.Source)
	}
	if nat := root.Lookup("/master/nationality"); nat.Title != "Country" || len(nat.Options) != 2 {
		t.Errorf("nationality = %+v", nat)
	}
	if !reflect.DeepEqual(src.asked, []string{"|term:port", "|term:person", "term:person@1.0.0|term:country"}) {
		t.Errorf("Ref calls = %q: each ref is resolved in the document that writes it", src.asked)
	}
	if a := root.Lookup("/anchored"); !reflect.DeepEqual(a.Types, []string{"boolean"}) {
		t.Errorf("anchored = %+v", a)
	}
}

func TestBuildTreeRefusals(t *testing.T) {
	src := &stubSource{terms: map[string]string{
		"term:a":    `{"type": "object", "properties": {"b": {"$ref": "term:b"}}}`,
		"term:b":    `{"type": "object", "properties": {"a": {"$ref": "term:a"}}}`,
		"term:self": `{"type": "object", "properties": {"next": {"$ref": "#"}}}`,
	}}
	tests := []struct {
		name, schema string
		want         Problems
	}{
		{"direct cycle", `{"$defs": {"node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/node"}}}},
			"properties": {"tree": {"$ref": "#/$defs/node"}}}`,
			Problems{{"/schema/$defs/node/properties/child", `$ref "#/$defs/node" refers back to itself, and recursive schemas cannot be shown as a form`}}},
		{"root cycle", `{"properties": {"next": {"$ref": "#"}}}`,
			Problems{{"/schema/properties/next", `$ref "#" refers back to itself, and recursive schemas cannot be shown as a form`}}},
		{"cycle through terms", `{"properties": {"first": {"$ref": "term:a"}}}`,
			Problems{{"/schema/properties/first", `$ref "term:a" refers back to itself, and recursive schemas cannot be shown as a form`}}},
		{"cycle inside a term", `{"properties": {"list": {"$ref": "term:self"}}}`,
			Problems{{"/schema/properties/list", `$ref "#" refers back to itself, and recursive schemas cannot be shown as a form`}}},
		{"missing definition", `{"properties": {"x": {"$ref": "#/$defs/nope"}}}`,
			Problems{{"/schema/properties/x", `$ref "#/$defs/nope" names nothing in the schema`}}},
		{"unknown term", `{"properties": {"x": {"$ref": "term:nope"}}}`,
			Problems{{"/schema/properties/x", `$ref "term:nope" cannot be resolved: term:nope is not registered`}}},
		{"unknown refdata", `{"properties": {"x": {"type": "string", "refdata": "nope"}}}`,
			Problems{{"/schema/properties/x", `reference data "nope" cannot be used: nope is not registered`}}},
		{"not JSON", `{"properties": `,
			Problems{{"/schema", "the schema is not valid JSON: it ends too soon"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := buildTree(json.RawMessage(tt.schema), src)
			if n != nil || !reflect.DeepEqual(err, tt.want) {
				t.Errorf("buildTree = %v, %#v\nwant problems %#v", n, err, tt.want)
			}
		})
	}
}

func TestBuildTreeSharedDefinitionIsNotACycle(t *testing.T) {
	root := mustTree(t, `{"$defs": {"address": {"type": "object", "properties": {"line1": {"type": "string"}}}},
		"properties": {"home": {"$ref": "#/$defs/address"}, "work": {"$ref": "#/$defs/address", "title": "Work address"}}}`, nil)
	if root.Lookup("/home/line1") == nil || root.Lookup("/work/line1") == nil || root.Lookup("/work").Title != "Work address" {
		t.Error("the same definition used twice should be inlined at both places")
	}
}

func TestBuildTreeRefusesExplodingDefinitions(t *testing.T) {
	// Each definition uses the next twice: 2^20 fields once inlined.
	defs := []string{`"d20": {"type": "string"}`}
	for i := 0; i < 20; i++ {
		defs = append(defs, fmt.Sprintf(`"d%d": {"type": "object", "properties": {"a": {"$ref": "#/$defs/d%d"}, "b": {"$ref": "#/$defs/d%d"}}}`, i, i+1, i+1))
	}
	schema := `{"$defs": {` + strings.Join(defs, ",") + `}, "properties": {"top": {"$ref": "#/$defs/d0"}}}`
	_, err := buildTree(json.RawMessage(schema), nil)
	want := Problems{{"/schema", "the schema has more than 50000 schema objects once its $refs are inlined, too many to show as a form; use fewer levels of shared definitions"}}
	if !reflect.DeepEqual(err, want) {
		t.Errorf("buildTree = %v, want %v", err, want)
	}
}

func TestBuildTreeBooleanSchemas(t *testing.T) {
	root := mustTree(t, `{"properties": {"anything": true, "nothing": false}}`, nil)
	if n := root.Lookup("/anything"); n == nil || n.False || len(n.Raw) != 0 {
		t.Errorf("true = %+v", n)
	}
	if n := root.Lookup("/nothing"); n == nil || !n.False {
		t.Errorf("false = %+v", n)
	}
}

func TestLookup(t *testing.T) {
	root := mustTree(t, `{
		"type": "object",
		"properties": {
			"crew": {"type": "array", "items": {"type": "object", "properties": {"name": {"title": "Crew name"}}}},
			"a/b": {"title": "Slash"},
			"m~n": {"title": "Tilde"},
			"kind": {"enum": ["x", "y"]},
			"matrix": {"type": "array", "items": {"type": "array", "items": {"title": "Cell"}}}
		},
		"if": {"properties": {"kind": {"const": "x"}}, "required": ["kind"]},
		"then": {"properties": {"onlyX": {"title": "Only X"}}},
		"else": {"properties": {"onlyY": {"title": "Only Y"}}},
		"allOf": [{"properties": {"fromAllOf": {"title": "From allOf"}}, "then": {"properties": {"deep": {"title": "Deep"}}}}],
		"dependentSchemas": {"kind": {"properties": {"dependent": {"title": "Dependent"}}}}
	}`, nil)
	tests := []struct{ pointer, title string }{
		{"/crew/0/name", "Crew name"},
		{"/crew/12/name", "Crew name"},
		{"/crew/-/name", "Crew name"},
		{"/crew/*/name", "Crew name"},
		{"/a~1b", "Slash"},
		{"/m~0n", "Tilde"},
		{"/onlyX", "Only X"},
		{"/onlyY", "Only Y"},
		{"/fromAllOf", "From allOf"},
		{"/deep", "Deep"},
		{"/dependent", "Dependent"},
		{"/matrix/1/2", "Cell"},
	}
	for _, tt := range tests {
		if n := root.Lookup(tt.pointer); n == nil || n.Title != tt.title {
			t.Errorf("Lookup(%q) = %+v, want the node titled %q", tt.pointer, n, tt.title)
		}
	}
	if root.Lookup("") != root {
		t.Error(`Lookup("") should be the root`)
	}
	for _, p := range []string{"/nope", "/crew/name", "/crew/0/nope", "/kind/0", "no-slash", "/crew/01/name"} {
		if n := root.Lookup(p); n != nil {
			t.Errorf("Lookup(%q) = %+v, want nil", p, n)
		}
	}
}

func TestFieldLabel(t *testing.T) {
	root := mustTree(t, `{"properties": {
		"arrivalDate": {"type": "string"},
		"vessel_name": {"type": "string"},
		"imoNumber": {"type": "string"},
		"IMONumber": {"type": "string"},
		"address2": {"type": "string"},
		"titled": {"type": "string", "title": "From the schema"},
		"crew": {"type": "array", "items": {"type": "object", "properties": {
			"name": {"type": "string", "title": "Name"},
			"dateOfBirth": {"type": "string"}
		}}}
	}}`, nil)
	ui := &UI{Fields: map[string]UIField{
		"/titled":    {Label: "From the ui"},
		"/crew/name": {Label: "Crew member's name"},
	}}
	tests := []struct{ pointer, want string }{
		{"/arrivalDate", "Arrival date"},
		{"/vessel_name", "Vessel name"},
		{"/imoNumber", "Imo number"},
		{"/IMONumber", "IMO number"},
		{"/address2", "Address 2"},
		{"/titled", "From the ui"},
		{"/crew/0/name", "Crew member's name"},
		{"/crew/3/dateOfBirth", "Date of birth"},
		{"/crew", "Crew"},
		{"/unknown/0/thing", "Thing"},
	}
	for _, tt := range tests {
		if got := FieldLabel(root, ui, tt.pointer); got != tt.want {
			t.Errorf("FieldLabel(%q) = %q, want %q", tt.pointer, got, tt.want)
		}
	}
	if got := FieldLabel(root, nil, "/titled"); got != "From the schema" {
		t.Errorf("without ui: %q, want the schema's title", got)
	}
}
