package journey

import (
	"encoding/json"
	"testing"

	"cop/forms"
)

func TestReadAnswersMakesTheSchemasJSON(t *testing.T) {
	fields := []forms.Field{
		{Kind: forms.KindNumber, Pointer: "/count", Label: "Count"},
		{Kind: forms.KindDate, Pointer: "/on", Label: "Date"},
		{Kind: forms.KindYesNo, Pointer: "/ok", Label: "OK", Options: []forms.RenderedOption{{Value: true, Label: "Yes"}, {Value: false, Label: "No"}}},
		{Kind: forms.KindRadios, Pointer: "/level", Label: "Level", Options: []forms.RenderedOption{{Value: 1.0, Label: "One"}, {Value: 2.0, Label: "Two"}}},
		{Kind: forms.KindText, Pointer: "/gone", Label: "Gone"},
		{Kind: forms.KindGroup, Pointer: "/vessel", Fields: []forms.Field{{Kind: forms.KindText, Pointer: "/vessel/name", Label: "Name"}}},
	}
	cases := []struct {
		name     string
		post     Posted
		want     string
		problems []string
	}{
		{"typed values", Posted{"/count": {" 1,200 "}, "/on-day": {"29"}, "/on-month": {"2"}, "/on-year": {"2028"}, "/ok": {"false"}, "/level": {"2"}, "/vessel/name": {"Sea Breeze"}},
			`{"count":1200,"level":2,"ok":false,"on":"2028-02-29","vessel":{"name":"Sea Breeze"}}`, nil},
		{"not a leap year", Posted{"/on-day": {"29"}, "/on-month": {"2"}, "/on-year": {"2026"}},
			`{"on":"2026-2-29"}`, []string{"/on: Date must be a real date"}},
		{"a part missing", Posted{"/on-day": {"3"}, "/on-year": {"2026"}},
			`{"on":"2026--3"}`, []string{"/on: Date must include a month"}},
		{"letters in a number, an option not offered", Posted{"/count": {"many"}, "/level": {"3"}},
			`{"count":"many"}`, []string{"/count: Count must be a number", "/level: Choose level from the options given"}},
	}
	for _, c := range cases {
		data := map[string]any{"gone": "removed when left empty"}
		problems, _ := ReadAnswers(fields, c.post, data)
		got, _ := json.Marshal(data)
		if string(got) != c.want {
			t.Errorf("%s: data %s, want %s", c.name, got, c.want)
		}
		var said []string
		for _, p := range problems {
			said = append(said, p.Pointer+": "+p.Message)
		}
		if len(said) != len(c.problems) || (len(said) > 0 && said[0] != c.problems[0]) || (len(said) > 1 && said[1] != c.problems[1]) {
			t.Errorf("%s: problems %q, want %q", c.name, said, c.problems)
		}
	}
}

func TestEntriesAreAddedAndRemovedInPlace(t *testing.T) {
	data := map[string]any{}
	AddEntry(data, "/crew", true)
	AddEntry(data, "/crew", true)
	SetAt(data, "/crew/1/name", "Bo")
	SetAt(data, "/crew/5/name", "out of range is ignored")
	RemoveEntry(data, "/crew/0")
	got, _ := json.Marshal(data)
	if string(got) != `{"crew":[{"name":"Bo"}]}` {
		t.Errorf("got %s", got)
	}
	RemoveEntry(data, "/crew/0")
	if _, ok := data["crew"]; ok {
		t.Error("removing the last entry should remove the list")
	}
}

func TestAnEmptyGroupIsNoAnswer(t *testing.T) {
	fields := []forms.Field{{Kind: forms.KindGroup, Pointer: "/vessel", Fields: []forms.Field{{Kind: forms.KindText, Pointer: "/vessel/name", Label: "Name"}}}}
	data := map[string]any{"vessel": map[string]any{"name": "Sea Breeze"}}
	ReadAnswers(fields, Posted{"/vessel/name": {""}}, data)
	if len(data) != 0 {
		t.Errorf("clearing a group's answers left %v", data)
	}
}

func TestGrowEntriesReadsEveryPostedEntry(t *testing.T) {
	list := forms.Field{Kind: forms.KindRepeating, Pointer: "/seals", MinItems: -1, MaxItems: -1,
		Template: []forms.Field{{Kind: forms.KindText, Pointer: "/seals/0/number", Label: "Number"}}}
	data := map[string]any{}
	post := Posted{"/seals/0/number": {"S-1"}, "/seals/1/number": {"S-2"}}
	if !GrowEntries([]forms.Field{list}, post, data) {
		t.Fatal("two posted entries made no room")
	}
	list.Items = []forms.Item{{Index: 0, Fields: []forms.Field{{Kind: forms.KindText, Pointer: "/seals/0/number"}}},
		{Index: 1, Fields: []forms.Field{{Kind: forms.KindText, Pointer: "/seals/1/number"}}}}
	ReadAnswers([]forms.Field{list}, post, data)
	got, _ := json.Marshal(data)
	if string(got) != `{"seals":[{"number":"S-1"},{"number":"S-2"}]}` {
		t.Errorf("got %s", got)
	}
}

// An answer the page cannot read is refused in the author's words, as the
// API refuses it (errorMessage for type, and format for dates), and in
// GOV.UK's own where the author wrote none for that keyword.
func TestUnreadableAnswersAreSaidInTheAuthorsWords(t *testing.T) {
	fields := []forms.Field{
		{Kind: forms.KindNumber, Pointer: "/count", Label: "Count", Messages: map[string]string{"type": "Enter the number of people, like 3"}},
		{Kind: forms.KindDate, Pointer: "/on", Label: "Date", Messages: map[string]string{"format": "Enter the date of the check, like 27 3 2026"}},
		{Kind: forms.KindDate, Pointer: "/by", Label: "Deadline", Messages: map[string]string{"": "Enter a deadline"}},
		{Kind: forms.KindNumber, Pointer: "/weight", Label: "Weight", Messages: map[string]string{"minimum": "Too light"}},
	}
	problems, _ := ReadAnswers(fields, Posted{"/count": {"three"}, "/on-day": {"31"}, "/on-month": {"2"}, "/on-year": {"2026"},
		"/by-day": {"1"}, "/by-year": {"2026"}, "/weight": {"heavy"}}, map[string]any{})
	want := []string{"/count: Enter the number of people, like 3", "/on: Enter the date of the check, like 27 3 2026",
		"/by: Deadline must include a month", "/weight: Weight must be a number"}
	var said []string
	for _, p := range problems {
		said = append(said, p.Pointer+": "+p.Message)
	}
	if len(said) != len(want) {
		t.Fatalf("problems %q, want %q", said, want)
	}
	for i := range want {
		if said[i] != want[i] {
			t.Errorf("problem %d: %q, want %q", i, said[i], want[i])
		}
	}
}
