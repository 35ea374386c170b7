package ui

import (
	"regexp"
	"testing"

	"cop/forms/lang"
)

var fmtVerb = regexp.MustCompile(`%[sdv]`)

// Every fixed word of the case PDF is in the message catalogue, in English
// as the PDF's own table says it, and in Welsh with the same blanks.
func TestCasePDFWordsAreInTheCatalogue(t *testing.T) {
	en, cy := lang.For(lang.English), lang.For(lang.Welsh)
	for id, want := range CasePDFWords {
		if got := en.T(id); got != want {
			t.Errorf("%s: the catalogue says %q, the PDF %q", id, got, want)
		}
		welsh := cy.T(id)
		if welsh == id || welsh == "" {
			t.Errorf("%s has no Welsh", id)
		}
		if a, b := fmtVerb.FindAllString(want, -1), fmtVerb.FindAllString(welsh, -1); len(a) != len(b) {
			t.Errorf("%s: English %q and Welsh %q fill different blanks", id, want, welsh)
		}
	}
}
