package forms

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// Forms that could never be submitted, or whose author's words COP would
// silently drop, are refused at upload with every problem at its pointer.
func TestMistakesThatWouldGoUnnoticedAreRefused(t *testing.T) {
	cases := []struct {
		name, schema string
		want         []Problem // pointer and a part of the message
	}{
		{"a misspelt keyword", `{"type": "object", "properties": {"name": {"type": "string", "maxLenght": 5}}}`,
			[]Problem{{"/schema/properties/name/maxLenght", `did you mean maxLength?`}}},
		{"an option labelled, not titled", `{"type": "object", "properties": {"port": {"oneOf": [
			{"const": "GBDVR", "title": "Dover"}, {"const": "GBSOU", "label": "Southampton"}]}}}`,
			[]Problem{{"/schema/properties/port/oneOf/1/label", `did you mean title?`}}},
		{"a keyword nothing is near", `{"type": "object", "properties": {"a": {"type": "string", "widgetKind": "x"}}}`,
			[]Problem{{"/schema/properties/a/widgetKind", "take it out"}}},
		{"a required name that is no property", `{"type": "object", "required": ["name", "nmae"], "properties": {"name": {"type": "string"}}}`,
			[]Problem{{"/schema/required/1", `"nmae" is required but is not a property here`}}},
		{"a branch requiring what the object does not have", `{"type": "object", "properties": {"searched": {"type": "boolean"}},
			"if": {"properties": {"searched": {"const": true}}, "required": ["searched"]}, "then": {"required": ["findings"]}}`,
			[]Problem{{"/schema/then/required/0", `"findings" is required`}}},
		{"an entry requiring what it does not have", `{"type": "object", "properties": {"crew": {"type": "array",
			"items": {"type": "object", "required": ["role"], "properties": {"name": {"type": "string"}}}}}}`,
			[]Problem{{"/schema/properties/crew/items/required/0", `"role" is required`}}},
		{"a message for a rule the field does not have", `{"type": "object", "properties": {"name": {"type": "string",
			"errorMessage": {"required": "Enter a name", "pattern": "Letters only"}}}}`,
			[]Problem{{"/schema/properties/name/errorMessage/pattern", `no "pattern"`}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := problemsOf(t, tc.schema)
			if len(got) != len(tc.want) {
				t.Fatalf("problems %+v, want %+v", got, tc.want)
			}
			for i, w := range tc.want {
				if got[i].Pointer != w.Pointer || !strings.Contains(got[i].Message, w.Message) {
					t.Errorf("problem %d is %+v, want %s saying %q", i, got[i], w.Pointer, w.Message)
				}
			}
		})
	}
}

// What the checks above must let through: a required name another
// property supplies through patternProperties or a term, a message for
// "required" (which the field's parent holds), and one for a keyword the
// term the field refers to has.
func TestWhatTheseChecksLetThrough(t *testing.T) {
	for _, schema := range []string{
		`{"type": "object", "required": ["x-1"], "patternProperties": {"^x-": {"type": "string"}}}`,
		`{"type": "object", "allOf": [{"$ref": "term:person"}], "required": ["fullName"]}`,
		`{"type": "object", "properties": {"who": {"$ref": "term:person", "errorMessage": {"required": "Say who", "minLength": "Too short"}}}}`,
		`{"type": "object", "properties": {"port": {"type": "string", "refdata": "uk-ports", "errorMessage": {"enum": "Choose a listed port"}}}}`,
	} {
		if _, err := CompileForm(form(schema), testRegistry); err != nil {
			t.Errorf("%s: refused: %v", schema, err)
		}
	}
}

// A definition that is not valid JSON is refused with the line and column
// of the mistake in the author's file.
func TestJSONMistakesAreGivenByLineAndColumn(t *testing.T) {
	raw := "{\n  \"name\": \"a\",\n  \"títle\": \"Á\",,\n}"
	_, err := ParseForm([]byte(raw))
	var p Problems
	if !errors.As(err, &p) || len(p) != 1 || !strings.Contains(p[0].Message, "(line 3, column 16)") {
		t.Fatalf("problems %v", err)
	}
	if line, col := LineAndColumn([]byte("ab\ncd"), 3); line != 2 || col != 1 {
		t.Errorf("the byte after a newline is at %d:%d", line, col)
	}
}

// A mistake is one problem, not one per alternative the meta-schema
// tried: a misspelt type is "must be one of …", without "expected array".
func TestAMistakeIsOneProblem(t *testing.T) {
	_, err := CompileForm(form(`{"type": "object", "properties": {"a": {"type": "strin", "title": "A"}}}`), testRegistry)
	var p Problems
	if !errors.As(err, &p) || len(p) != 1 || p[0].Pointer != "/schema/properties/a/type" || !strings.Contains(p[0].Message, `must be one of "array"`) {
		t.Fatalf("problems %v", err)
	}
}

func TestMisspeltGuessesTheNearestKeyword(t *testing.T) {
	for typo, want := range map[string]string{"minLenght": "minLength", "requried": "required", "Title": "title", "label": "title", "zzzzzzzz": ""} {
		if got := misspelt(typo); got != want && !(want == "" && got == "") {
			t.Errorf("%s: %q, want %q", typo, got, want)
		}
	}
	if !slices.Contains([]string{"enum"}, misspelt("enm")) {
		t.Errorf("enm: %q", misspelt("enm"))
	}
}

// The upload checks are the upload's: a version stored by an older COP
// (with a keyword it let through) still compiles, and a stored term is not
// held to them when a new form refers to it.
func TestUploadChecksDoNotBreakWhatIsStored(t *testing.T) {
	old := form(`{"type": "object", "properties": {"port": {"type": "string", "label": "Port", "maxLenght": 5}}}`)
	if _, err := CompileForm(old, testRegistry); err == nil {
		t.Fatal("the upload was not refused")
	}
	if _, err := CompileStoredForm(old, testRegistry); err != nil {
		t.Fatalf("the stored version no longer compiles: %v", err)
	}
	lib := NewLibrary()
	lib.AddTerm(TermDefinition{Name: "legacy", Version: "1.0.0", Title: "Legacy",
		Schema: []byte(`{"type": "string", "label": "Legacy", "maxLenght": 5}`)})
	if _, err := CompileForm(form(`{"type": "object", "properties": {"x": {"$ref": "term:legacy"}}}`), lib); err != nil {
		t.Errorf("a new form is refused for its stored term's keywords: %v", err)
	}
}

// A question only an if/then declares, where the if is not in the shape
// that reveals a question, is said to be so, not merely "on no page".
func TestAnIfThatRevealsNothingIsSaidAsSuch(t *testing.T) {
	d := form(`{"type": "object", "properties": {"count": {"type": "integer", "title": "Count"}},
		"if": {"properties": {"count": {"minimum": 3}}}, "then": {"properties": {"why": {"type": "string"}}, "required": ["why"]}}`)
	d.UI = &UI{Pages: []UIPage{{ID: "a", Title: "A", Fields: []string{"count"}}}}
	_, err := CompileForm(d, testRegistry)
	var p Problems
	if !errors.As(err, &p) || len(p) != 1 || p[0].Pointer != "/ui/pages" ||
		!strings.Contains(p[0].Message, `"why" is declared only by an if/then/else whose if is not in the shape that reveals a question`) {
		t.Errorf("problems %v", err)
	}
	d.UI.Pages[0].Fields = append(d.UI.Pages[0].Fields, "why")
	if _, err := CompileForm(d, testRegistry); err != nil {
		t.Errorf("listed on a page it is asked as an ordinary question, but: %v", err)
	}
}
