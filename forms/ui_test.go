package forms

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const uiSchema = `{
	"type": "object",
	"properties": {
		"name": {"type": "string"},
		"count": {"type": "integer"},
		"purpose": {"enum": ["work", "other"]},
		"otherPurpose": {"type": "string"},
		"onBoard": {"type": "boolean"},
		"tags": {"type": "array", "items": {"type": "string"}},
		"documents": {"type": "array", "items": {"enum": ["passport", "visa"]}},
		"crew": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}, "born": {"type": "string"}}}},
		"agent": {"type": "object", "properties": {"phone": {"type": "string"}}}
	},
	"if": {"properties": {"purpose": {"const": "other"}}, "required": ["purpose"]},
	"then": {"required": ["otherPurpose"]}
}`

func TestValidateUI(t *testing.T) {
	root := mustTree(t, uiSchema, nil)
	allPages := func() []UIPage {
		return []UIPage{
			{ID: "about", Title: "About", Fields: []string{"name", "count", "purpose", "onBoard"}},
			{ID: "people-2", Title: "People", Fields: []string{"tags", "documents", "crew", "agent"}},
		}
	}
	tests := []struct {
		name string
		ui   *UI
		want Problems
	}{
		{"no ui", nil, nil},
		{"pages covering every question, the revealed one with its question", &UI{Pages: allPages()}, nil},
		{"good order and hints", &UI{Order: []string{"count", "name"}, Fields: map[string]UIField{
			"/name": {Widget: "textarea"}, "/crew/born": {Widget: "date"}, "/agent/phone": {Label: "Phone"},
			"/purpose": {Widget: "select"}, "/onBoard": {Widget: "radios"}, "/documents": {Widget: "checkboxes"},
			"/count": {Widget: "number"}, "/tags": {Label: "Tags", ItemLabel: "Tag"},
		}}, nil},
		{"a confirmation of the most characters", &UI{Confirmation: strings.Repeat("é", MaxConfirmation)}, nil},
		{"a confirmation too long to show", &UI{Confirmation: strings.Repeat("x", MaxConfirmation+1)},
			Problems{{"/ui/confirmation", "the confirmation text is 2001 characters; at most 2000 are shown"}}},
		{"empty page id", &UI{Pages: []UIPage{{ID: "", Fields: []string{"name", "count", "purpose", "onBoard", "tags", "documents", "crew", "agent"}}}},
			Problems{{"/ui/pages/0/id", "page 1 has no id; give it one of lower-case letters, digits and '-'"}}},
		{"page id with capitals", func() *UI { p := allPages(); p[1].ID = "People"; return &UI{Pages: p} }(),
			Problems{{"/ui/pages/1/id", `page id "People" may use only lower-case letters, digits and '-'`}}},
		{"duplicate page id", func() *UI { p := allPages(); p[1].ID = "about"; return &UI{Pages: p} }(),
			Problems{{"/ui/pages/1/id", `page id "about" is used by an earlier page; each page needs its own id`}}},
		{"page field that is no property", func() *UI {
			p := allPages()
			p[0].Fields = append(p[0].Fields, "nmae")
			return &UI{Pages: p}
		}(), Problems{{"/ui/pages/0/fields/4", `"nmae" is not a top-level property of the schema`}}},
		{"property on two pages", func() *UI {
			p := allPages()
			p[1].Fields = append([]string{"name"}, p[1].Fields...)
			return &UI{Pages: p}
		}(), Problems{{"/ui/pages/1/fields/0", `property "name" is already on "about"; a question belongs on one page`}}},
		{"property twice on a page", func() *UI {
			p := allPages()
			p[0].Fields = append(p[0].Fields, "name")
			return &UI{Pages: p}
		}(), Problems{{"/ui/pages/0/fields/4", `property "name" is listed twice on "about"`}}},
		{"property on no page", func() *UI {
			p := allPages()
			p[1].Fields = p[1].Fields[:3]
			return &UI{Pages: p}
		}(), Problems{{"/ui/pages", `property "agent" is on no page; add it to a page`}}},
		{"question with its reveal on no page", func() *UI {
			p := allPages()
			p[0].Fields = []string{"name", "count", "onBoard"}
			return &UI{Pages: p}
		}(), Problems{{"/ui/pages", `property "purpose" is on no page; add it to a page`}}},
		{"revealed property listed on a page", func() *UI {
			p := allPages()
			p[1].Fields = append(p[1].Fields, "otherPurpose")
			return &UI{Pages: p}
		}(), Problems{{"/ui/pages/1/fields/4", `property "otherPurpose" is shown by the answer to "purpose", on that question's page, so it cannot be listed on a page itself`}}},
		{"order entry that is no property", &UI{Order: []string{"name", "nope", "name"}}, Problems{
			{"/ui/order/1", `"nope" is not a top-level property of the schema`},
			{"/ui/order/2", `property "name" is listed twice in order`},
		}},
		{"hint keys that name no field", &UI{Fields: map[string]UIField{
			"/nope": {Label: "x"}, "/crew/0/name": {Label: "x"}, "crew/name": {Label: "x"}, "": {Label: "x"}, "/agent/phone/x": {Label: "x"},
		}}, Problems{
			{"/ui/fields/", `"" names no field of the schema; keys are field pointers without array indices, like "/crew/name"`},
			{"/ui/fields/~1agent~1phone~1x", `"/agent/phone/x" names no field of the schema; keys are field pointers without array indices, like "/crew/name"`},
			{"/ui/fields/~1crew~10~1name", `"/crew/0/name" names no field of the schema; keys are field pointers without array indices, like "/crew/name"`},
			{"/ui/fields/~1nope", `"/nope" names no field of the schema; keys are field pointers without array indices, like "/crew/name"`},
			{"/ui/fields/crew~1name", `"crew/name" names no field of the schema; keys are field pointers without array indices, like "/crew/name"`},
		}},
		{"unknown widget", &UI{Fields: map[string]UIField{"/name": {Widget: "slider"}}}, Problems{
			{"/ui/fields/~1name/widget", `widget "slider" is not one of text, textarea, number, date, radios, checkboxes, select, yesno, file`},
		}},
		{"widgets that do not fit", &UI{Fields: map[string]UIField{
			"/count":        {Widget: "date"},
			"/name":         {Widget: "checkboxes"},
			"/onBoard":      {Widget: "file"},
			"/crew/name":    {Widget: "number"},
			"/agent":        {Widget: "radios"},
			"/agent/phone":  {Widget: "yesno"},
			"/tags":         {Widget: "checkboxes"},
			"/otherPurpose": {Widget: "select"},
		}}, Problems{
			{"/ui/fields/~1agent/widget", `widget "radios" chooses one answer, but "/agent" holds a group of fields (an object)`},
			{"/ui/fields/~1agent~1phone/widget", `widget "yesno" needs a boolean field, but "/agent/phone" holds text (a string)`},
			{"/ui/fields/~1count/widget", `widget "date" needs a text (string) field, but "/count" holds an integer`},
			{"/ui/fields/~1crew~1name/widget", `widget "number" needs a number or integer field, but "/crew/name" holds text (a string)`},
			{"/ui/fields/~1name/widget", `widget "checkboxes" needs an array field whose items have options, but "/name" holds text (a string)`},
			{"/ui/fields/~1onBoard/widget", `widget "file" needs a text (string) field, but "/onBoard" holds yes or no (a boolean)`},
			{"/ui/fields/~1otherPurpose/widget", `widget "select" needs options, but "/otherPurpose" has none: give it an enum, a oneOf of consts or refdata`},
			{"/ui/fields/~1tags/widget", `widget "checkboxes" needs items with options, but the items of "/tags" have none: give them an enum, a oneOf of consts or refdata`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := validateUI(root, tt.ui)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("validateUI =\n%v\nwant\n%v", problemLines(got), problemLines(tt.want))
			}
		})
	}
}

func problemLines(p Problems) string {
	s := ""
	for _, x := range p {
		s += "  " + x.Pointer + ": " + x.Message + "\n"
	}
	return s
}

// ui.confirmation is plain text whose blank lines split paragraphs.
func TestConfirmationParagraphs(t *testing.T) {
	got := (&UI{Confirmation: "A supervisor checks it today.\r\n\r\n\n  If it is held, you will be told.  \n\n"}).ConfirmationParagraphs()
	if len(got) != 2 || got[0] != "A supervisor checks it today." || got[1] != "If it is held, you will be told." {
		t.Errorf("paragraphs %q", got)
	}
	if got := (&UI{}).ConfirmationParagraphs(); got != nil {
		t.Errorf("no text gave %q", got)
	}
	var none *UI
	if got := none.ConfirmationParagraphs(); got != nil || !none.IsStartable() {
		t.Errorf("a form without ui: %q, startable %v", got, none.IsStartable())
	}
}

// ui.translations keeps a form's Welsh text by field pointer: a language
// COP does not know, or a pointer to no field, is refused at its place.
func TestTranslationsNameKnownLanguagesAndFields(t *testing.T) {
	compile := func(translations string) error {
		raw := `{"name": "visit", "version": "1.0.0", "title": "Visit", "schema": {"type": "object", "properties": {
			"port": {"type": "string", "title": "Port"},
			"crew": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}}}},
			"ui": {"translations": ` + translations + `}}`
		d, err := ParseForm([]byte(raw))
		if err != nil {
			return err
		}
		_, err = CompileForm(d, NewLibrary())
		return err
	}
	if err := compile(`{"cy": {"/port": {"label": "Porthladd", "hint": "Ble"}, "/crew/name": {"label": "Enw"}}}`); err != nil {
		t.Errorf("Welsh text for two fields: %v", err)
	}
	for tr, ptr := range map[string]string{
		`{"fr": {"/port": {"label": "Port"}}}`:      "/ui/translations/fr",
		`{"cy": {"/harbour": {"label": "Harbwr"}}}`: "/ui/translations/cy/~1harbour",
	} {
		var p Problems
		if err := compile(tr); !errors.As(err, &p) || len(p) != 1 || p[0].Pointer != ptr {
			t.Errorf("%s: %v, want one problem at %s", tr, err, ptr)
		}
	}
	if err := compile(`{"cy": {"/port": {"lable": "Porthladd"}}}`); err == nil {
		t.Error("a misspelt key inside a translation was accepted")
	}
}
