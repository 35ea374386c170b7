package forms_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
	"unicode/utf8"

	"cop/forms"
	"cop/forms/examples"
)

// Fuzz tests: `make test` runs each over its seeds (the example pack, and
// findings kept under testdata/fuzz); `make fuzz` searches for new inputs.

// seedsOf adds the example pack's files of a kind, but not the large ones:
// the fuzzer spends its time minimising big inputs instead of searching.
func seedsOf(f *testing.F, kind string) {
	for _, e := range examples.All() {
		if e.Kind == kind && len(e.Content) < 8<<10 {
			f.Add(e.Content)
		}
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"name": "x", "version": "1.0.0", "title": "X", "schema": {"$ref": "#"}}`))
}

// FuzzForm: no upload makes parsing, compiling, validating or rendering a
// form panic, and every refusal says something.
func FuzzForm(f *testing.F) {
	seedsOf(f, "forms")
	lib, _, err := examples.Compile()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		def, err := forms.ParseForm(raw)
		if err != nil {
			mustSay(t, err)
			return
		}
		form, err := forms.CompileForm(def, lib)
		if err != nil {
			mustSay(t, err)
			return
		}
		var data any
		_ = json.Unmarshal(raw, &data) // the document itself, as answers of the wrong shape
		for _, answers := range []any{map[string]any{}, data} {
			for _, fe := range form.Validate(answers, time.Now()) {
				if fe.Message == "" {
					t.Fatalf("a field error with no message at %q", fe.Pointer)
				}
			}
			form.Pages(answers, nil)
		}
	})
}

// FuzzTerm: a term parses, compiles against the example pack or is
// refused with a reason.
func FuzzTerm(f *testing.F) {
	seedsOf(f, "terms")
	lib, _, err := examples.Compile()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		term, err := forms.ParseTerm(raw)
		if err != nil {
			mustSay(t, err)
			return
		}
		if _, err := forms.CompileTerm(term, lib); err != nil {
			mustSay(t, err)
		}
	})
}

// FuzzRefData: a reference data set parses or is refused with a reason.
func FuzzRefData(f *testing.F) {
	seedsOf(f, "refdata")
	f.Fuzz(func(t *testing.T, raw []byte) {
		if _, err := forms.ParseRefData(raw); err != nil {
			mustSay(t, err)
		}
	})
}

// FuzzAnswers: whatever an answer holds, the text check names a pointer
// per control character, never panics, and passes what is plain text.
func FuzzAnswers(f *testing.F) {
	f.Add(`{"a": "x\u0000y", "b": ["ok", "\u0007"], "c\u0001": 1}`)
	f.Add(`{"name": "Ann\tExample\r\n"}`)
	f.Fuzz(func(t *testing.T, raw string) {
		var v any
		if json.Unmarshal([]byte(raw), &v) != nil {
			return
		}
		for _, fe := range forms.TextProblems(v) {
			if fe.Message == "" || !utf8.ValidString(fe.Message) {
				t.Fatalf("a text problem with no message at %q", fe.Pointer)
			}
		}
	})
}

func mustSay(t *testing.T, err error) {
	t.Helper()
	var ps forms.Problems
	if errors.As(err, &ps) && len(ps) == 0 {
		t.Fatal("a refusal with no problems")
	}
	if err.Error() == "" {
		t.Fatal("a refusal that says nothing")
	}
}
