package forms

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"cop/forms/lang"
)

// bilingual is a form in English and Welsh: every text it has, keyed by
// its pointer, including a term's and a reference data set's.
const bilingual = `{
  "name": "boarding", "version": "1.0.0", "title": "Record a boarding",
  "description": "What was found on board.", "languages": ["en", "cy"],
  "schema": {"type": "object", "required": ["vessel", "searched", "port"],
    "properties": {
      "vessel": {"type": "string", "title": "Vessel name", "maxLength": 5,
        "errorMessage": {"required": "Enter the vessel's name"}},
      "searched": {"type": "boolean", "title": "Was the vessel searched?"},
      "outcome": {"type": "string", "title": "Outcome",
        "oneOf": [{"const": "none", "title": "Nothing found"}, {"const": "seized", "title": "Goods seized"}]},
      "port": {"$ref": "term:port", "title": "Port of arrival"},
      "title": {"type": "string", "title": "Rank of the master"}
    }},
  "ui": {
    "pages": [{"id": "vessel", "title": "The vessel", "fields": ["vessel", "searched", "outcome"]},
              {"id": "where", "title": "Where", "fields": ["port", "title"]}],
    "fields": {"/vessel": {"hint": "As painted on the hull"}},
    "confirmation": "The team will review it.",
    "translations": {"cy": {
      "/title": "Cofnodi byrddio",
      "/description": "Beth a ganfuwyd ar fwrdd y llong.",
      "/schema/properties/vessel/title": "Enw'r llong",
      "/schema/properties/vessel/errorMessage/required": "Rhowch enw'r llong",
      "/schema/properties/searched/title": "A chwiliwyd y llong?",
      "/schema/properties/outcome/title": "Canlyniad",
      "/schema/properties/outcome/oneOf/0/title": "Dim wedi'i ganfod",
      "/schema/properties/outcome/oneOf/1/title": "Nwyddau wedi'u hatafaelu",
      "/schema/properties/port/title": "Porthladd cyrraedd",
      "/schema/properties/title/title": "Rheng y meistr",
      "/ui/pages/0/title": "Y llong",
      "/ui/pages/1/title": "Ble",
      "/ui/fields/~1vessel/hint": "Fel y'i paentiwyd ar y corff",
      "/ui/confirmation": "Bydd y tîm yn ei adolygu."
    }}
  },
  "access": {}
}`

// welshRegistry is testRegistry with the port term and its reference data
// translated.
func welshRegistry() registry {
	r := registry{terms: map[string][]TermDefinition{}, refdata: map[string][]RefData{}}
	for k, v := range testRegistry.terms {
		r.terms[k] = v
	}
	for k, v := range testRegistry.refdata {
		r.refdata[k] = v
	}
	port := r.terms["port"][0]
	port.Translations = map[string]map[string]string{"cy": {"/schema/title": "Porthladd"}}
	r.terms["port"] = []TermDefinition{port}
	ports := r.refdata["uk-ports"][0]
	ports.Translations = map[string]map[string]string{"cy": {"/items/0/label": "Dofr", "/items/1/label": "Southampton",
		"/items/2/label": "Hen borthladd", "/items/3/label": "Casnewydd"}}
	r.refdata["uk-ports"] = []RefData{ports}
	return r
}

func compileDef(t *testing.T, raw string, r Resolver) (*Form, error) {
	t.Helper()
	d, err := ParseForm([]byte(raw))
	if err != nil {
		return nil, err
	}
	return CompileForm(d, r)
}

func TestABilingualFormReadsInWelshAndTakesTheSameAnswers(t *testing.T) {
	r := welshRegistry()
	en, err := compileDef(t, bilingual, r)
	if err != nil {
		t.Fatalf("a complete bilingual form was refused: %v", err)
	}
	cy, err := LocalizeForm(en, "cy", r)
	if err != nil {
		t.Fatal(err)
	}
	if cy.Lang != "cy" || cy.Def.Title != "Cofnodi byrddio" || cy.Def.UI.Confirmation != "Bydd y tîm yn ei adolygu." {
		t.Errorf("Welsh form: lang %q, title %q, confirmation %q", cy.Lang, cy.Def.Title, cy.Def.UI.Confirmation)
	}
	pages := cy.Pages(map[string]any{}, nil)
	if pages[0].Title != "Y llong" || pages[1].Title != "Ble" {
		t.Errorf("page titles: %q, %q", pages[0].Title, pages[1].Title)
	}
	var vessel, searched, outcome, port Field
	for _, f := range pages[0].Fields {
		switch f.Name {
		case "vessel":
			vessel = f
		case "searched":
			searched = f
		case "outcome":
			outcome = f
		}
	}
	port = pages[1].Fields[0]
	if vessel.Label != "Enw'r llong" || vessel.Hint != "Fel y'i paentiwyd ar y corff" {
		t.Errorf("vessel: label %q, hint %q", vessel.Label, vessel.Hint)
	}
	if len(searched.Options) != 2 || searched.Options[0].Label != "Ie" || searched.Options[1].Label != "Na" {
		t.Errorf("yes/no in Welsh: %+v", searched.Options)
	}
	if len(outcome.Options) != 2 || outcome.Options[1].Label != "Nwyddau wedi'u hatafaelu" {
		t.Errorf("options in Welsh: %+v", outcome.Options)
	}
	if port.Label != "Porthladd cyrraedd" || len(port.Options) < 2 || port.Options[0].Label != "Dofr" {
		t.Errorf("reference data in Welsh: label %q, options %+v", port.Label, port.Options)
	}
	if pages[1].Fields[1].Label != "Rheng y meistr" {
		t.Errorf("a question named title: %q", pages[1].Fields[1].Label)
	}
	// The English form is untouched, field order included.
	if got := en.Pages(map[string]any{}, nil)[0].Fields[0].Label; got != "Vessel name" {
		t.Errorf("English label became %q", got)
	}

	at := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	for _, answers := range []string{
		`{"vessel": "Ada", "searched": true, "port": "GBDVR"}`,
		`{"searched": true, "port": "GBDVR"}`,
		`{"vessel": "Too long a name", "searched": "yes", "port": "XXX"}`,
	} {
		var data any
		_ = json.Unmarshal([]byte(answers), &data)
		enErrs, cyErrs := en.Validate(data, at), cy.Validate(data, at)
		if len(enErrs) != len(cyErrs) {
			t.Fatalf("%s: English refuses %v, Welsh %v", answers, enErrs, cyErrs)
		}
		for i := range enErrs {
			if enErrs[i].Pointer != cyErrs[i].Pointer {
				t.Errorf("%s: English refuses at %s, Welsh at %s", answers, enErrs[i].Pointer, cyErrs[i].Pointer)
			}
		}
	}
	var missing any
	_ = json.Unmarshal([]byte(`{"vessel": "Too long a name", "port": "GBDVR"}`), &missing)
	msgs := map[string]string{}
	for _, e := range cy.Validate(missing, at) {
		msgs[e.Pointer] = e.Message
	}
	if msgs["/searched"] != "Dewiswch a chwiliwyd y llong?" {
		t.Errorf("COP's own required message in Welsh: %q", msgs["/searched"])
	}
	if msgs["/vessel"] != "Rhaid i Enw'r llong fod yn 5 nod neu lai" {
		t.Errorf("maxLength message in Welsh: %q", msgs["/vessel"])
	}
	var none any
	_ = json.Unmarshal([]byte(`{"searched": false, "port": "GBDVR"}`), &none)
	if errs := cy.Validate(none, at); len(errs) != 1 || errs[0].Message != "Rhowch enw'r llong" {
		t.Errorf("the author's message in Welsh: %v", errs)
	}
}

func TestALanguageNotOfferedIsEnglish(t *testing.T) {
	f := compile(t, `{"type": "object", "properties": {"a": {"type": "string", "title": "A"}}}`)
	got, err := LocalizeForm(f, "cy", testRegistry)
	if err != nil || got != f {
		t.Errorf("a form without Welsh in Welsh: %v, same form %v", err, got == f)
	}
	if got, _ := LocalizeForm(f, "fr", testRegistry); got != f {
		t.Error("a language COP does not speak did not fall back to English")
	}
}

func TestMissingWelshIsRefusedAtEachText(t *testing.T) {
	raw := strings.Replace(bilingual, `"/ui/pages/1/title": "Ble",`, ``, 1)
	raw = strings.Replace(raw, `"/schema/properties/outcome/oneOf/0/title": "Dim wedi'i ganfod",`, ``, 1)
	_, err := compileDef(t, raw, welshRegistry())
	var p Problems
	if !errors.As(err, &p) {
		t.Fatalf("want problems, got %v", err)
	}
	want := map[string]bool{"/ui/pages/1/title": true, "/schema/properties/outcome/oneOf/0/title": true}
	for _, x := range p {
		if !want[x.Pointer] || x.Message != "Welsh text is missing" {
			t.Errorf("unexpected problem %s: %s", x.Pointer, x.Message)
		}
		delete(want, x.Pointer)
	}
	if len(want) > 0 {
		t.Errorf("no problem at %v", want)
	}
	// Without languages, partial Welsh is kept and the rest reads in English.
	partial := strings.Replace(raw, `"languages": ["en", "cy"],`, ``, 1)
	f, err := compileDef(t, partial, welshRegistry())
	if err != nil {
		t.Fatalf("partial Welsh without languages was refused: %v", err)
	}
	cy, err := LocalizeForm(f, "cy", welshRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if got := cy.Pages(map[string]any{}, nil)[1].Title; got != "Where" {
		t.Errorf("an untranslated page title in Welsh reads %q, want the English", got)
	}
}

func TestTranslationsNamingNoTextAreRefusedAtTheirKey(t *testing.T) {
	for key, why := range map[string]string{
		"/schema/properties/outcome/oneOf/0/const": "a const",
		"/schema/properties/outcome/oneOf/1":       "a schema",
		"/schema/properties/title":                 "a question named title",
		"/schema/properties/nowhere/title":         "nothing at all",
		"/schema/required/0":                       "a required name",
		"/access":                                  "not a text",
	} {
		raw := strings.Replace(bilingual, `"/title": "Cofnodi byrddio",`, `"/title": "Cofnodi byrddio", "`+key+`": "X",`, 1)
		_, err := compileDef(t, raw, welshRegistry())
		var p Problems
		if !errors.As(err, &p) || len(p) != 1 || p[0].Pointer != "/ui/translations/cy/"+escapePointer(key) || !strings.Contains(p[0].Message, "names no text") {
			t.Errorf("a translation of %s (%s): %v", key, why, err)
		}
	}
	enumForm := `{"name": "e", "version": "1.0.0", "title": "E", "schema": {"type": "object", "properties": {"a": {"enum": ["x", "y"], "title": "A"}}},
		"ui": {"translations": {"cy": {"/schema/properties/a/enum/0": "X"}}}, "access": {}}`
	if _, err := compileDef(t, enumForm, testRegistry); err == nil || !strings.Contains(err.Error(), "/ui/translations/cy/~1schema~1properties~1a~1enum~10") {
		t.Errorf("an enum value's translation: %v", err)
	}
}

func TestLanguagesAreCheckedAtTheirPlace(t *testing.T) {
	for list, at := range map[string]string{`["cy"]`: "/languages", `["en", "fr"]`: "/languages/1", `["en", "en"]`: "/languages/1"} {
		raw := strings.Replace(bilingual, `"languages": ["en", "cy"]`, `"languages": `+list, 1)
		_, err := compileDef(t, raw, welshRegistry())
		var p Problems
		if !errors.As(err, &p) || p[0].Pointer != at {
			t.Errorf("languages %s: %v, want a problem at %s", list, err, at)
		}
	}
	fr := strings.Replace(bilingual, `"translations": {"cy": {`, `"translations": {"fr": {"/title": "Arraisonnement"}, "cy": {`, 1)
	if _, err := compileDef(t, fr, welshRegistry()); err == nil || !strings.Contains(err.Error(), "/ui/translations/fr") {
		t.Errorf("French translations: %v", err)
	}
}

func TestAFormInWelshNeedsItsTermsAndReferenceDataInWelsh(t *testing.T) {
	_, err := compileDef(t, bilingual, testRegistry) // port and uk-ports without Welsh
	var p Problems
	if !errors.As(err, &p) {
		t.Fatalf("want problems, got %v", err)
	}
	text := allProblems(p)
	for _, want := range []string{"term:port@1.0.0 at /schema/title", "refdata uk-ports@1.0.0 at /items/0/label"} {
		if !strings.Contains(text, want) {
			t.Errorf("problems do not name %q: %s", want, text)
		}
	}
	for _, x := range p {
		if x.Pointer != "/languages/1" {
			t.Errorf("problem at %s, want /languages/1", x.Pointer)
		}
	}
}

func TestTermAndReferenceDataTranslationsNameTheirTexts(t *testing.T) {
	_, err := ParseTerm([]byte(`{"name": "n", "version": "1.0.0", "title": "N", "schema": {"type": "string", "title": "Name", "enum": ["a"]},
		"translations": {"cy": {"/schema/title": "Enw", "/schema/enum/0": "A"}}}`))
	if err == nil || !strings.Contains(err.Error(), "/translations/cy/~1schema~1enum~10") {
		t.Errorf("a term's enum value translated: %v", err)
	}
	_, err = ParseRefData([]byte(`{"name": "r", "version": "1.0.0", "title": "R", "items": [{"code": "a", "label": "A"}],
		"translations": {"cy": {"/items/0/label": "A", "/items/0/code": "B", "/items/5/label": "C"}}}`))
	var p Problems
	if !errors.As(err, &p) || !strings.Contains(allProblems(p), "/translations/cy/~1items~10~1code") || !strings.Contains(allProblems(p), "/translations/cy/~1items~15~1label") {
		t.Errorf("a code and a missing item translated: %v", err)
	}
}

// The older shape, a field's label and hint by field pointer, still reads.
func TestFieldKeyedTranslationsStillRead(t *testing.T) {
	raw := `{"name": "old", "version": "1.0.0", "title": "Old", "schema": {"type": "object", "properties": {
		"port": {"type": "string", "title": "Port"}}},
		"ui": {"translations": {"cy": {"/port": {"label": "Porthladd", "hint": "Ble daeth y llong i mewn"}}}}, "access": {}}`
	f, err := compileDef(t, raw, testRegistry)
	if err != nil {
		t.Fatal(err)
	}
	cy, err := LocalizeForm(f, lang.Welsh, testRegistry)
	if err != nil {
		t.Fatal(err)
	}
	field := cy.Pages(map[string]any{}, nil)[0].Fields[0]
	if field.Label != "Porthladd" || field.Hint != "Ble daeth y llong i mewn" {
		t.Errorf("older translations: label %q, hint %q", field.Label, field.Hint)
	}
}

func allProblems(p Problems) string {
	var b strings.Builder
	for _, x := range p {
		b.WriteString(x.Pointer + ": " + x.Message + "\n")
	}
	return b.String()
}
