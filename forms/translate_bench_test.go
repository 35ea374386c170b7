package forms

import (
	"encoding/json"
	"testing"
	"time"
)

// BenchmarkLocalizeForm compiles the bilingual form in Welsh (texts,
// terms and reference data translated) beside compiling it in English:
// the cost of a Welsh version, paid once per form version and language.
func BenchmarkLocalizeForm(b *testing.B) {
	r := welshRegistry()
	d, err := ParseForm([]byte(bilingual))
	if err != nil {
		b.Fatal(err)
	}
	en, err := CompileStoredForm(d, r)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("baseline=compile-english", func(b *testing.B) {
		for b.Loop() {
			if _, err := CompileStoredForm(d, r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cop=localize-welsh", func(b *testing.B) {
		for b.Loop() {
			if _, err := LocalizeForm(en, "cy", r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkValidateInWelsh explains refused answers in Welsh beside
// English: the catalogue's cost on every refusal.
func BenchmarkValidateInWelsh(b *testing.B) {
	r := welshRegistry()
	d, _ := ParseForm([]byte(bilingual))
	en, _ := CompileStoredForm(d, r)
	cy, err := LocalizeForm(en, "cy", r)
	if err != nil {
		b.Fatal(err)
	}
	var data any
	_ = json.Unmarshal([]byte(`{"vessel": "Too long a name", "searched": "yes", "port": "XXX"}`), &data)
	at := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	b.Run("baseline=validate-english", func(b *testing.B) {
		for b.Loop() {
			if len(en.Validate(data, at)) == 0 {
				b.Fatal("accepted")
			}
		}
	})
	b.Run("cop=validate-welsh", func(b *testing.B) {
		for b.Loop() {
			if len(cy.Validate(data, at)) == 0 {
				b.Fatal("accepted")
			}
		}
	})
}
