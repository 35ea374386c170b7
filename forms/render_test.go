package forms

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// decodeData decodes answers as the platform does, with json.Unmarshal.
func decodeData(t *testing.T, raw string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// fieldView is what an officer sees of one field.
type fieldView struct {
	Kind, Label, Hint string
	Required          bool
	Value             any
	Error             string
	Options           []string // labels, "*" after the selected ones
	MaxLength         int
	Accept            string
	MaxBytes          int64
	Width             string
}

func viewOf(f Field) fieldView {
	v := fieldView{Kind: f.Kind, Label: f.Label, Hint: f.Hint, Required: f.Required, Value: f.Value,
		Error: f.Error, MaxLength: f.MaxLength, Accept: f.Accept, MaxBytes: f.MaxBytes, Width: f.Width}
	for _, o := range f.Options {
		label := o.Label
		if o.Selected {
			label += "*"
		}
		v.Options = append(v.Options, label)
	}
	return v
}

// outline draws fields as the officer meets them: one line per field
// ("name kind", "required" when it is), and under each option what
// choosing it reveals, and a group's fields indented.
func outline(fields []Field) []string {
	var out []string
	var draw func([]Field, string)
	draw = func(fields []Field, indent string) {
		for _, f := range fields {
			line := indent + f.Name + " " + f.Kind
			if f.Required {
				line += " required"
			}
			out = append(out, line)
			for _, o := range f.Options {
				if len(o.Reveals) > 0 {
					out = append(out, indent+"  "+o.Label+" reveals:")
					draw(o.Reveals, indent+"    ")
				}
			}
			draw(f.Fields, indent+"  ")
		}
	}
	draw(fields, "")
	return out
}

func fieldNamed(t *testing.T, fields []Field, name string) Field {
	t.Helper()
	for _, f := range fields {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no field %q among %v", name, outline(fields))
	return Field{}
}

const everyKindSchema = `{
	"type": "object",
	"required": ["vesselName", "arrivalDate", "purpose", "crew"],
	"properties": {
		"vesselName": {"type": "string", "title": "Vessel name", "description": "As registered", "maxLength": 35},
		"notes": {"type": "string", "maxLength": 1000},
		"crewCount": {"type": ["integer", "null"], "minimum": 1},
		"arrivalDate": {"type": "string", "format": "date", "title": "Date of arrival"},
		"purpose": {"type": "string", "oneOf": [
			{"const": "business", "title": "Business"},
			{"const": "leisure", "title": "Leisure", "description": "Holidays and visits"}
		]},
		"documents": {"type": "array", "title": "Documents held", "items": {"enum": ["passport", "visa", "permit"]}},
		"lastPort": {"type": "string", "enum": ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K"]},
		"deckCount": {"type": "integer", "enum": [1, 2, 3]},
		"hasCargo": {"type": "boolean", "title": "Is the vessel carrying cargo?"},
		"manifest": {"type": "string", "format": "cop-file", "contentMediaType": "application/pdf", "maxFileSize": 2097152},
		"agent": {"type": "object", "title": "Shipping agent", "required": ["name"], "properties": {
			"name": {"type": "string"},
			"phone": {"type": "string"}
		}},
		"crew": {"type": "array", "title": "Crew members", "minItems": 1, "maxItems": 30, "items": {
			"type": "object", "required": ["name"], "properties": {
				"name": {"type": "string", "title": "Full name"},
				"role": {"enum": ["master", "crew"]}
			}
		}}
	}
}`

func TestRenderFieldKinds(t *testing.T) {
	root := mustTree(t, everyKindSchema, nil)
	data := decodeData(t, `{
		"vesselName": "Sea Breeze", "notes": "", "crewCount": 12, "purpose": "leisure",
		"documents": ["visa", "permit"], "lastPort": "K", "deckCount": 2, "hasCargo": false,
		"manifest": "0b7d6e4e-0000-4000-8000-000000000000",
		"agent": {"name": "Ann Agent"},
		"crew": [{"name": "Jo", "role": "master"}, {"name": "Al"}]
	}`)
	errs := []FieldError{
		{"/vesselName", "Vessel name must be 35 characters or fewer"},
		{"/vesselName", "a second message is not shown"},
		{"/arrivalDate", "Enter date of arrival"},
		{"/agent/phone", "Enter phone"},
		{"/crew/1/role", "Select role"},
	}
	pages := Render(root, nil, data, errs)
	if len(pages) != 1 || pages[0].ID != "main" || pages[0].Title != "" {
		t.Fatalf("pages = %+v, want the one page main, titled by the caller", pages)
	}
	fields := pages[0].Fields
	tests := []struct {
		name string
		want fieldView
	}{
		{"vesselName", fieldView{Kind: "text", Label: "Vessel name", Hint: "As registered", Required: true, Value: "Sea Breeze",
			Error: "Vessel name must be 35 characters or fewer", MaxLength: 35}},
		{"notes", fieldView{Kind: "textarea", Label: "Notes", Value: "", MaxLength: 1000}},
		{"crewCount", fieldView{Kind: "number", Label: "Crew count", Value: 12.0, MaxLength: -1}},
		{"arrivalDate", fieldView{Kind: "date", Label: "Date of arrival", Required: true, Error: "Enter date of arrival", MaxLength: -1}},
		{"purpose", fieldView{Kind: "radios", Label: "Purpose", Required: true, Value: "leisure",
			Options: []string{"Business", "Leisure*"}, MaxLength: -1}},
		{"documents", fieldView{Kind: "checkboxes", Label: "Documents held", Value: []any{"visa", "permit"},
			Options: []string{"passport", "visa*", "permit*"}, MaxLength: -1}},
		{"lastPort", fieldView{Kind: "select", Label: "Last port", Value: "K",
			Options: []string{"A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K*"}, MaxLength: -1}},
		{"deckCount", fieldView{Kind: "radios", Label: "Deck count", Value: 2.0, Options: []string{"1", "2*", "3"}, MaxLength: -1}},
		{"hasCargo", fieldView{Kind: "yesno", Label: "Is the vessel carrying cargo?", Value: false,
			Options: []string{"Yes", "No*"}, MaxLength: -1}},
		{"manifest", fieldView{Kind: "file", Label: "Manifest", Value: "0b7d6e4e-0000-4000-8000-000000000000",
			Accept: "application/pdf", MaxBytes: 2 << 20, MaxLength: -1}},
		{"agent", fieldView{Kind: "group", Label: "Shipping agent", Value: map[string]any{"name": "Ann Agent"}, MaxLength: -1}},
		{"crew", fieldView{Kind: "repeating", Label: "Crew members", Required: true, MaxLength: -1,
			Value: []any{map[string]any{"name": "Jo", "role": "master"}, map[string]any{"name": "Al"}}}},
	}
	var order []string
	for _, f := range fields {
		order = append(order, f.Name)
	}
	var want []string
	for _, tt := range tests {
		want = append(want, tt.name)
	}
	if !reflect.DeepEqual(order, want) {
		t.Errorf("field order = %v, want the schema's %v", order, want)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := fieldNamed(t, fields, tt.name)
			if got := viewOf(f); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
			if f.Pointer != "/"+tt.name {
				t.Errorf("pointer = %q", f.Pointer)
			}
		})
	}

	t.Run("option values", func(t *testing.T) {
		purpose := fieldNamed(t, fields, "purpose")
		if o := purpose.Options[1]; o.Value != "leisure" || o.Hint != "Holidays and visits" {
			t.Errorf("leisure option = %+v", o)
		}
		yesno := fieldNamed(t, fields, "hasCargo")
		if yesno.Options[0].Value != true || yesno.Options[1].Value != false {
			t.Errorf("yes/no values = %v, %v", yesno.Options[0].Value, yesno.Options[1].Value)
		}
	})

	t.Run("group fields", func(t *testing.T) {
		agent := fieldNamed(t, fields, "agent")
		if got, want := outline(agent.Fields), []string{"name text required", "phone text"}; !reflect.DeepEqual(got, want) {
			t.Errorf("agent fields = %q, want %q", got, want)
		}
		name, phone := agent.Fields[0], agent.Fields[1]
		if name.Pointer != "/agent/name" || name.Value != "Ann Agent" || phone.Value != nil || phone.Error != "Enter phone" {
			t.Errorf("agent fields = %+v", agent.Fields)
		}
	})

	t.Run("repeating items and template", func(t *testing.T) {
		crew := fieldNamed(t, fields, "crew")
		if crew.ItemLabel != "Crew member" || crew.MinItems != 1 || crew.MaxItems != 30 {
			t.Errorf("crew: item label %q, items %d-%d", crew.ItemLabel, crew.MinItems, crew.MaxItems)
		}
		if len(crew.Items) != 2 || crew.Items[0].Index != 0 || crew.Items[1].Index != 1 {
			t.Fatalf("crew items = %+v, want one per existing entry", crew.Items)
		}
		second := crew.Items[1].Fields
		if got, want := outline(second), []string{"name text required", "role radios"}; !reflect.DeepEqual(got, want) {
			t.Errorf("entry fields = %q, want %q", got, want)
		}
		if second[0].Pointer != "/crew/1/name" || second[0].Value != "Al" || second[0].Label != "Full name" {
			t.Errorf("second name = %+v", second[0])
		}
		if second[1].Pointer != "/crew/1/role" || second[1].Error != "Select role" || second[1].Options[0].Selected {
			t.Errorf("second role = %+v", second[1])
		}
		if role := crew.Items[0].Fields[1]; !role.Options[0].Selected || role.Options[0].Label != "master" {
			t.Errorf("first role = %+v", role)
		}
		if len(crew.Template) != 2 || crew.Template[0].Pointer != "/crew/2/name" || crew.Template[0].Value != nil || crew.Template[1].Pointer != "/crew/2/role" {
			t.Errorf("template = %+v, want blank fields at index 2", crew.Template)
		}
	})

	t.Run("no data", func(t *testing.T) {
		crew := fieldNamed(t, Render(root, nil, nil, nil)[0].Fields, "crew")
		if len(crew.Items) != 0 || crew.Template[0].Pointer != "/crew/0/name" {
			t.Errorf("crew with no data: items %v, template %+v", crew.Items, crew.Template)
		}
	})
}

func TestRenderListOfValues(t *testing.T) {
	root := mustTree(t, `{"properties": {"aliases": {"type": "array", "items": {"type": "string", "maxLength": 50}}}}`, nil)
	ui := &UI{Fields: map[string]UIField{"/aliases": {Label: "Other names", ItemLabel: "Other name"}}}
	f := Render(root, ui, decodeData(t, `{"aliases": ["Jo"]}`), nil)[0].Fields[0]
	if f.Kind != "repeating" || f.ItemLabel != "Other name" || len(f.Items) != 1 {
		t.Fatalf("aliases = %+v", f)
	}
	entry := f.Items[0].Fields
	if len(entry) != 1 || entry[0].Kind != "text" || entry[0].Pointer != "/aliases/0" || entry[0].Value != "Jo" ||
		entry[0].Label != "Other name" || entry[0].MaxLength != 50 {
		t.Errorf("entry = %+v, want one text field labelled as an entry", entry)
	}
	if f.Template[0].Pointer != "/aliases/1" {
		t.Errorf("template = %+v", f.Template)
	}
}

func TestRenderUIHints(t *testing.T) {
	root := mustTree(t, `{"properties": {
		"purpose": {"type": "string", "title": "Purpose of visit", "description": "From the schema", "enum": ["a", "b"]},
		"summary": {"type": "string", "maxLength": 500},
		"portCode": {"type": "string"},
		"crew": {"type": "array", "items": {"type": "object", "title": "Seafarer", "properties": {"givenName": {"type": "string"}}}},
		"visitors": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}}
	}}`, nil)
	ui := &UI{Fields: map[string]UIField{
		"/purpose":        {Widget: "select", Label: "Why are you visiting?", Hint: "From the ui"},
		"/summary":        {Widget: "text", Width: "one-half"},
		"/crew/givenName": {Label: "Given name", Width: "20"},
	}}
	fields := Render(root, ui, nil, nil)[0].Fields
	tests := []struct {
		name                     string
		kind, label, hint, width string
	}{
		{"purpose", "select", "Why are you visiting?", "From the ui", ""}, // ui beats title and description
		{"summary", "text", "Summary", "", "one-half"},                    // widget overrides textarea
		{"portCode", "text", "Port code", "", ""},                         // humanised name
		{"crew", "repeating", "Crew", "", ""},
		{"visitors", "repeating", "Visitors", "", ""},
	}
	for _, tt := range tests {
		f := fieldNamed(t, fields, tt.name)
		if f.Kind != tt.kind || f.Label != tt.label || f.Hint != tt.hint || f.Width != tt.width {
			t.Errorf("%s = %s %q %q %q, want %s %q %q %q", tt.name, f.Kind, f.Label, f.Hint, f.Width, tt.kind, tt.label, tt.hint, tt.width)
		}
	}
	crew := fieldNamed(t, fields, "crew")
	if crew.ItemLabel != "Seafarer" {
		t.Errorf("crew item label = %q, want the items' title", crew.ItemLabel)
	}
	if given := crew.Template[0]; given.Label != "Given name" || given.Width != "20" {
		t.Errorf("crew given name = %+v, want the hints keyed without indices", given)
	}
	if visitors := fieldNamed(t, fields, "visitors"); visitors.ItemLabel != "Visitor" {
		t.Errorf("visitors item label = %q", visitors.ItemLabel)
	}
}

func TestRenderRefsAndRefData(t *testing.T) {
	src := &stubSource{
		terms:   map[string]string{"term:port": `{"type": "string", "title": "Port", "refdata": "uk-ports"}`},
		refdata: map[string][]Option{"uk-ports": {{Value: "GBDOV", Label: "Dover"}, {Value: "GBSOU", Label: "Southampton"}}},
	}
	root := mustTree(t, `{"properties": {
		"arrivalPort": {"$ref": "term:port", "title": "Port of arrival"},
		"departurePort": {"$ref": "term:port"}
	}}`, src)
	fields := Render(root, nil, decodeData(t, `{"arrivalPort": "GBSOU"}`), nil)[0].Fields
	got := []fieldView{viewOf(fields[0]), viewOf(fields[1])}
	want := []fieldView{
		{Kind: "radios", Label: "Port of arrival", Value: "GBSOU", Options: []string{"Dover", "Southampton*"}, MaxLength: -1},
		{Kind: "radios", Label: "Port", Options: []string{"Dover", "Southampton"}, MaxLength: -1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestRenderConditionalQuestions(t *testing.T) {
	tests := []struct {
		name   string
		schema string
		ui     *UI
		want   []string
	}{
		{"radios with const", `{
			"required": ["reason"],
			"properties": {
				"reason": {"title": "Reason for travel", "oneOf": [
					{"const": "work", "title": "Work"}, {"const": "study", "title": "Study"}, {"const": "other", "title": "Other"}]},
				"otherReason": {"type": "string", "title": "Describe the reason"},
				"email": {"type": "string"}
			},
			"if": {"properties": {"reason": {"const": "other"}}, "required": ["reason"]},
			"then": {"required": ["otherReason"]}
		}`, nil, []string{
			"reason radios required",
			"  Other reveals:",
			"    otherReason text required",
			"email text",
		}},
		{"yes/no with const true, in allOf", `{
			"properties": {"hasGoods": {"type": "boolean"}, "name": {"type": "string"}},
			"required": ["hasGoods"],
			"allOf": [{
				"if": {"properties": {"hasGoods": {"const": true}}, "required": ["hasGoods"]},
				"then": {"properties": {"goodsDescription": {"type": "string", "maxLength": 500}}, "required": ["goodsDescription"]}
			}]
		}`, nil, []string{
			"hasGoods yesno required",
			"  Yes reveals:",
			"    goodsDescription textarea required",
			"name text",
		}},
		{"enum of two values", `{
			"properties": {
				"purpose": {"enum": ["work", "study", "tourism"]},
				"sponsor": {"type": "string"}
			},
			"if": {"properties": {"purpose": {"enum": ["work", "study"]}}, "required": ["purpose"]},
			"then": {"required": ["sponsor"]}
		}`, nil, []string{
			"purpose radios",
			"  work reveals:",
			"    sponsor text required",
			"  study reveals:",
			"    sponsor text required",
		}},
		{"else branch", `{
			"properties": {
				"residence": {"oneOf": [{"const": "GB", "title": "United Kingdom"}, {"const": "FR", "title": "France"}, {"const": "DE", "title": "Germany"}]}
			},
			"if": {"properties": {"residence": {"const": "GB"}}, "required": ["residence"]},
			"then": {"properties": {"postcode": {"type": "string"}}, "required": ["postcode"]},
			"else": {"properties": {"region": {"type": "string"}}}
		}`, nil, []string{
			"residence radios",
			"  United Kingdom reveals:",
			"    postcode text required",
			"  France reveals:",
			"    region text",
			"  Germany reveals:",
			"    region text",
		}},
		{"checkboxes with contains", `{
			"properties": {
				"documents": {"type": "array", "items": {"oneOf": [
					{"const": "passport", "title": "Passport"}, {"const": "visa", "title": "Visa"}, {"const": "other", "title": "Other"}]}},
				"otherDocument": {"type": "string", "title": "Which document?"}
			},
			"if": {"properties": {"documents": {"contains": {"const": "other"}}}, "required": ["documents"]},
			"then": {"required": ["otherDocument"]}
		}`, nil, []string{
			"documents checkboxes",
			"  Other reveals:",
			"    otherDocument text required",
		}},
		{"select chosen by the ui", `{
			"properties": {"vesselType": {"enum": ["yacht", "ferry"]}, "berths": {"type": "integer"}},
			"if": {"properties": {"vesselType": {"const": "yacht"}}, "required": ["vesselType"]},
			"then": {"required": ["berths"]}
		}`, &UI{Fields: map[string]UIField{"/vesselType": {Widget: "select"}}}, []string{
			"vesselType select",
			"  yacht reveals:",
			"    berths number required",
		}},
		{"an if of another form only validates", `{
			"properties": {"age": {"type": "integer"}, "name": {"type": "string"}},
			"allOf": [
				{"if": {"properties": {"age": {"minimum": 18}}, "required": ["age"]},
				 "then": {"properties": {"licence": {"type": "string"}}, "required": ["licence"]}},
				{"if": {"properties": {"name": {"const": "x"}}, "required": ["name"]},
				 "then": {"properties": {"nickname": {"type": "string"}}}},
				{"if": {"properties": {"age": {"const": 1}}},
				 "then": {"required": ["name"]}}
			]
		}`, nil, []string{
			"age number",
			"name text",
			"licence text",
			"nickname text",
		}},
		{"questions inside a group", `{
			"properties": {"vessel": {"type": "object", "properties": {
				"registered": {"type": "boolean"},
				"flag": {"type": "string"}
			},
			"if": {"properties": {"registered": {"const": false}}, "required": ["registered"]},
			"then": {"required": ["flag"]}}}
		}`, nil, []string{
			"vessel group",
			"  registered yesno",
			"    No reveals:",
			"      flag text required",
		}},
		{"a revealed question reveals in turn", `{
			"properties": {
				"travelling": {"type": "boolean"},
				"withChildren": {"type": "boolean"},
				"children": {"type": "integer"}
			},
			"allOf": [
				{"if": {"properties": {"travelling": {"const": true}}, "required": ["travelling"]}, "then": {"required": ["withChildren"]}},
				{"if": {"properties": {"withChildren": {"const": true}}, "required": ["withChildren"]}, "then": {"required": ["children"]}}
			]
		}`, nil, []string{
			"travelling yesno",
			"  Yes reveals:",
			"    withChildren yesno required",
			"      Yes reveals:",
			"        children number required",
		}},
		{"questions revealing only each other are shown plainly", `{
			"properties": {"a": {"type": "boolean"}, "b": {"type": "boolean"}},
			"allOf": [
				{"if": {"properties": {"a": {"const": true}}, "required": ["a"]}, "then": {"required": ["b"]}},
				{"if": {"properties": {"b": {"const": true}}, "required": ["b"]}, "then": {"required": ["a"]}}
			]
		}`, nil, []string{
			"a yesno",
			"b yesno",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := mustTree(t, tt.schema, nil)
			pages := Render(root, tt.ui, nil, nil)
			if got := outline(pages[0].Fields); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("officer sees:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestRenderRevealedFieldValues(t *testing.T) {
	root := mustTree(t, `{
		"properties": {"hasGoods": {"type": "boolean"}, "goods": {"type": "string", "title": "Goods carried"}},
		"if": {"properties": {"hasGoods": {"const": true}}, "required": ["hasGoods"]},
		"then": {"required": ["goods"]}
	}`, nil)
	fields := Render(root, nil, decodeData(t, `{"hasGoods": true, "goods": "Wine"}`), []FieldError{{"/goods", "Too vague"}})[0].Fields
	yes := fields[0].Options[0]
	if !yes.Selected || len(yes.Reveals) != 1 {
		t.Fatalf("yes = %+v", yes)
	}
	if g := yes.Reveals[0]; g.Pointer != "/goods" || g.Value != "Wine" || g.Error != "Too vague" || g.Label != "Goods carried" || !g.Required {
		t.Errorf("revealed goods = %+v", g)
	}
}

func TestRenderPages(t *testing.T) {
	root := mustTree(t, `{
		"required": ["name"],
		"properties": {
			"name": {"type": "string"},
			"hasCargo": {"type": "boolean"},
			"cargo": {"type": "string"},
			"port": {"type": "string"},
			"notes": {"type": "string"}
		},
		"if": {"properties": {"hasCargo": {"const": true}}, "required": ["hasCargo"]},
		"then": {"required": ["cargo"]}
	}`, nil)

	t.Run("from ui pages", func(t *testing.T) {
		ui := &UI{Pages: []UIPage{
			{ID: "vessel", Title: "Vessel", Fields: []string{"hasCargo", "name"}},
			{ID: "arrival", Title: "Arrival", Description: "Where you arrive", Fields: []string{"port", "notes"}},
		}}
		pages := Render(root, ui, nil, nil)
		var got []string
		for _, p := range pages {
			got = append(got, fmt.Sprintf("page %s %q %q", p.ID, p.Title, p.Description))
			got = append(got, outline(p.Fields)...)
		}
		want := []string{
			`page vessel "Vessel" ""`,
			"hasCargo yesno",
			"  Yes reveals:",
			"    cargo text required",
			"name text required",
			`page arrival "Arrival" "Where you arrive"`,
			"port text",
			"notes text",
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("pages:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		wantFields := map[string][]string{"vessel": {"hasCargo", "cargo", "name"}, "arrival": {"port", "notes"}}
		if got := PageFields(root, ui); !reflect.DeepEqual(got, wantFields) {
			t.Errorf("PageFields = %v, want %v", got, wantFields)
		}
	})

	t.Run("one page in ui order", func(t *testing.T) {
		ui := &UI{Order: []string{"notes", "hasCargo"}}
		pages := Render(root, ui, nil, nil)
		want := []string{"notes text", "hasCargo yesno", "  Yes reveals:", "    cargo text required", "name text required", "port text"}
		if len(pages) != 1 || pages[0].ID != "main" || !reflect.DeepEqual(outline(pages[0].Fields), want) {
			t.Errorf("pages = %s %q, want main %q", pages[0].ID, outline(pages[0].Fields), want)
		}
		wantFields := map[string][]string{"main": {"notes", "hasCargo", "cargo", "name", "port"}}
		if got := PageFields(root, ui); !reflect.DeepEqual(got, wantFields) {
			t.Errorf("PageFields = %v, want %v", got, wantFields)
		}
	})

	t.Run("one page in schema order", func(t *testing.T) {
		wantFields := map[string][]string{"main": {"name", "hasCargo", "cargo", "port", "notes"}}
		if got := PageFields(root, nil); !reflect.DeepEqual(got, wantFields) {
			t.Errorf("PageFields = %v, want %v", got, wantFields)
		}
	})
}

// A field carries its author's errorMessage, so a page that cannot read an
// answer says what the API would.
func TestFieldsCarryTheAuthorsMessages(t *testing.T) {
	f := compile(t, `{"type": "object", "properties": {
		"count": {"type": "integer", "title": "Count", "errorMessage": {"type": "Enter a whole number"}},
		"note": {"type": "string", "errorMessage": "Enter a short note"}}}`)
	fields := f.Pages(map[string]any{}, nil)[0].Fields
	if got := FindField(fields, "/count").Say("type", "default"); got != "Enter a whole number" {
		t.Errorf("count says %q", got)
	}
	if got := FindField(fields, "/note").Say("maxLength", "default"); got != "Enter a short note" {
		t.Errorf("note says %q", got)
	}
	if got := FindField(fields, "/count").Say("minimum", "default"); got != "default" {
		t.Errorf("a keyword without a message says %q", got)
	}
}
