package ui

import (
	"encoding/json"
	"strings"
	"testing"

	"cop/forms"
)

// A stored submission is laid out as Check your answers lays it out, but
// without change links: the rows before a repeating group, a card per
// entry, the rows after it, and a file as a link to download it.
func TestSubmittedAnswersPutEachEntryInACardAndLinkFiles(t *testing.T) {
	page := forms.Page{Title: "People in the vehicle", Fields: []forms.Field{
		{Kind: forms.KindText, Label: "Registration number", Pointer: "/registration", Value: "XY99 ZZZ"},
		{Kind: forms.KindRepeating, Label: "People", ItemLabel: "Person", Pointer: "/people", Items: []forms.Item{
			{Index: 0, Fields: []forms.Field{{Kind: forms.KindText, Label: "Full name", Pointer: "/people/0/name", Value: "Ann Driver"}}},
			{Index: 1, Fields: []forms.Field{{Kind: forms.KindText, Label: "Full name", Pointer: "/people/1/name", Value: "Bo <b>"}}},
		}},
		{Kind: forms.KindFile, Label: "Photo", Pointer: "/photo", Value: "f-1"},
		{Kind: forms.KindRepeating, Label: "Goods", ItemLabel: "Item", Pointer: "/goods"},
	}}
	got := SubmittedAnswers([]forms.Page{page}, func(id string) string { return "/files/" + id })
	if len(got) != 1 || got[0].Title != "People in the vehicle" {
		t.Fatalf("sections %+v", got)
	}
	var shape []string
	for _, b := range got[0].Blocks {
		raw, _ := json.Marshal(b.Rows)
		shape = append(shape, b.Card+"|"+string(raw))
	}
	want := []string{
		`|[{"key":{"text":"Registration number"},"value":{"html":"XY99 ZZZ"}}]`,
		`Person 1|[{"key":{"text":"Full name"},"value":{"html":"Ann Driver"}}]`,
		`Person 2|[{"key":{"text":"Full name"},"value":{"html":"Bo \u0026lt;b\u0026gt;"}}]`,
		`|[{"key":{"text":"Photo"},"value":{"html":"\u003ca class=\"govuk-link\" href=\"/files/f-1\"\u003eDownload the file\u003cspan class=\"govuk-visually-hidden\"\u003e for photo\u003c/span\u003e\u003c/a\u003e"}},{"key":{"text":"Goods"},"value":{"text":"None"}}]`,
	}
	if strings.Join(shape, "\n") != strings.Join(want, "\n") {
		t.Errorf("blocks:\n%s\nwant:\n%s", strings.Join(shape, "\n"), strings.Join(want, "\n"))
	}
}
