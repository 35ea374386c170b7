package workflows

import (
	"encoding/json"
	"testing"
)

func TestLocateFindsWhereAPointerIsWritten(t *testing.T) {
	yamlSrc := []byte("name: vehicle-check\nversion: 1.0.0\nschema:\n  properties:\n    reg:\n      type: strng\n  required: [reg, colour]\n")
	jsonSrc := []byte("{\n  \"name\": \"x\",\n  \"schema\": {\n    \"properties\": {\n      \"reg\": {\"type\": \"strng\"}\n    },\n    \"required\": [\"reg\", \"colour\"]\n  }\n}\n")
	cases := []struct {
		src     []byte
		pointer string
		want    Position
	}{
		{yamlSrc, "/schema/properties/reg/type", Position{6, 7}},
		{yamlSrc, "/schema/required/1", Position{7, 19}},
		{yamlSrc, "/schema/properties/colour", Position{4, 3}}, // absent: its object's key
		{yamlSrc, "", Position{1, 1}},
		{jsonSrc, "/schema/properties/reg/type", Position{5, 15}},
		{jsonSrc, "/schema/required/1", Position{7, 25}},
		{[]byte("a: [1, 2"), "/a", Position{1, 1}}, // not parseable: the top
	}
	for _, c := range cases {
		if got := Locate(c.src, c.pointer); got != c.want {
			t.Errorf("Locate(%q) = %+v, want %+v", c.pointer, got, c.want)
		}
	}
}

func TestSourceJSONKeepsTheAuthorsOrder(t *testing.T) {
	js, _, err := SourceJSON([]byte("name: f\nschema:\n  properties:\n    zebra: {type: string}\n    apple: {type: integer}\n    when: 2026-01-01\n    yes: yes\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"f","schema":{"properties":{"zebra":{"type":"string"},"apple":{"type":"integer"},"when":"2026-01-01","yes":"yes"}}}`
	if string(js) != want {
		t.Fatalf("got  %s\nwant %s", js, want)
	}
	if !json.Valid(js) {
		t.Fatal("not JSON")
	}
}

func TestSourceJSONSaysWhereTheTextGoesWrong(t *testing.T) {
	cases := []struct {
		src  string
		line int
	}{
		{"{\n  \"name\": \"x\",\n  \"version\" \"1.0.0\"\n}", 3},
		{"{\n  \"name\": \"x\",\n", 2}, // its last line, not the empty one after it
		{"name: x\nschema:\n\tb: c\n", 3},
	}
	for _, c := range cases {
		_, at, err := SourceJSON([]byte(c.src))
		if err == nil {
			t.Fatalf("%q: accepted", c.src)
		}
		if at == nil || at.Line != c.line {
			t.Errorf("%q: %v at %+v, want line %d", c.src, err, at, c.line)
		}
	}
	if _, _, err := SourceJSON([]byte("  \n")); err == nil || err.Error() != "the text is empty" {
		t.Errorf("empty: %v", err)
	}
	big := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	for i, prev := 0, "a"; i < 8; i++ {
		big += string(rune('b'+i)) + ": &" + string(rune('b'+i)) + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
		prev = string(rune('b' + i))
	}
	if _, _, err := SourceJSON([]byte(big)); err == nil {
		t.Error("an alias bomb was expanded")
	}
}

// JSON is placed as JSON: escapes YAML does not take (\/ from PHP, a
// surrogate pair from Python) and a byte-order mark do not lose the places.
func TestLocateReadsJSONAsJSON(t *testing.T) {
	src := []byte("\ufeff{\"link\": \"http:\\/\\/x\", \"emoji\": \"\\ud83d\\ude00\",\n \"items\": [\n  {\"code\": \"a\"},\n  {\"code\": \"\", \"label\": [1, {\"x\": 2}]}\n ]}\n")
	l := NewLocator(src)
	for pointer, want := range map[string]Position{
		"/emoji":                {1, 24},
		"/items/1":              {4, 3},
		"/items/1/code":         {4, 4},
		"/items/1/label/1/x":    {4, 30},
		"/items/1/label/1/none": {4, 29}, // absent: its object
		"/nothing":              {1, 1},
	} {
		if got := l.Locate(pointer); got != want {
			t.Errorf("Locate(%q) = %+v, want %+v", pointer, got, want)
		}
	}
	if _, _, err := SourceJSON(src); err != nil {
		t.Errorf("a byte-order mark is refused: %v", err)
	}
}
