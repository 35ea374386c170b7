package journey

import (
	"reflect"
	"testing"
	"time"

	"cop/forms"
)

const checkForm = `{"name": "vehicle-check", "version": "1.0.0", "title": "Vehicle check",
  "schema": {"type": "object", "additionalProperties": false, "required": ["registration", "searched", "occupants"],
    "properties": {
      "registration": {"type": "string", "title": "Registration number", "minLength": 2},
      "searched": {"type": "boolean", "title": "Was the vehicle searched?"},
      "findings": {"type": "string", "title": "What did the search find?", "minLength": 2},
      "occupants": {"type": "array", "title": "People in the vehicle", "minItems": 1,
        "items": {"type": "object", "title": "Person", "required": ["fullName"],
          "properties": {"fullName": {"type": "string", "title": "Full name", "minLength": 1}}}}},
    "if": {"properties": {"searched": {"const": true}}, "required": ["searched"]},
    "then": {"required": ["findings"]}},
  "ui": {"pages": [
    {"id": "vehicle", "title": "The vehicle", "fields": ["registration"]},
    {"id": "search", "title": "The search", "fields": ["searched"]},
    {"id": "people", "title": "People", "fields": ["occupants"]}]}}`

func compile(t *testing.T) *forms.Form {
	t.Helper()
	def, err := forms.ParseForm([]byte(checkForm))
	if err != nil {
		t.Fatal(err)
	}
	f, err := forms.CompileForm(def, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// Where one press of a page's button leads, and where the draft is saved
// (once): each row a page, what the draft held, what was posted.
func TestDecide(t *testing.T) {
	f := compile(t)
	for _, tc := range []struct {
		name   string
		page   string
		data   map[string]any
		post   Post
		want   Step
		errors []string // pointers of the errors, when Invalid
		after  map[string]any
	}{
		{name: "an answered page goes on to the next", page: "vehicle", data: map[string]any{},
			post: Post{Values: Posted{"/registration": {"AB12 CDE"}, "action": {"continue"}}},
			want: Step{Kind: Advance, SaveAt: "search", Page: "search"}, after: map[string]any{"registration": "AB12 CDE"}},
		{name: "the last page goes on to Check your answers", page: "people", data: map[string]any{"registration": "AB12", "searched": false},
			post: Post{Values: Posted{"/occupants/0/fullName": {"Ann"}}},
			want: Step{Kind: Advance, SaveAt: CheckPage, Page: CheckPage}},
		{name: "a change returns to Check your answers", page: "vehicle", data: map[string]any{},
			post: Post{Values: Posted{"/registration": {"AB12"}}, Change: true},
			want: Step{Kind: Advance, SaveAt: CheckPage, Page: CheckPage}},
		{name: "a mistake stays on the page, kept in the draft", page: "vehicle", data: map[string]any{},
			post: Post{Values: Posted{"/registration": {"A"}}},
			want: Step{Kind: Invalid, SaveAt: "vehicle"}, errors: []string{"/registration"}, after: map[string]any{"registration": "A"}},
		{name: "an unseen follow-up question is asked on its own page", page: "search", data: map[string]any{},
			post: Post{Values: Posted{"/searched": {"true"}}},
			want: Step{Kind: AskMore, SaveAt: "search"}},
		{name: "with JavaScript it was seen in place, so it is reported unanswered", page: "search", data: map[string]any{},
			post: Post{Values: Posted{"/searched": {"true"}}, JSPage: true},
			want: Step{Kind: Invalid, SaveAt: "search"}, errors: []string{"/findings"}},
		{name: "on the follow-up page it must be answered", page: "search", data: map[string]any{"searched": true},
			post: Post{Values: Posted{}, FollowUp: true},
			want: Step{Kind: Invalid, SaveAt: "search", FollowUp: true}, errors: []string{"/findings"}},
		{name: "answered on the follow-up page, on to the next", page: "search", data: map[string]any{"searched": true},
			post: Post{Values: Posted{"/findings": {"Two boxes"}}, FollowUp: true},
			want: Step{Kind: Advance, SaveAt: "people", Page: "people"}},
		{name: "add another to the entry first drawn from the template", page: "people", data: map[string]any{},
			post:  Post{Values: Posted{"/occupants/0/fullName": {"Ann"}, "action": {"add /occupants"}}},
			want:  Step{Kind: Redraw, SaveAt: "people", Anchor: "/occupants/1/fullName"},
			after: map[string]any{"occupants": []any{map[string]any{"fullName": "Ann"}, map[string]any{}}}},
		{name: "add another entry", page: "people", data: map[string]any{"occupants": []any{map[string]any{"fullName": "Ann"}}},
			post:  Post{Values: Posted{"/occupants/0/fullName": {"Ann"}, "action": {"add /occupants"}}},
			want:  Step{Kind: Redraw, SaveAt: "people", Anchor: "/occupants/1/fullName"}, // the new entry's first question,
			after: map[string]any{"occupants": []any{map[string]any{"fullName": "Ann"}, map[string]any{}}}},
		{name: "remove an entry", page: "people", data: map[string]any{"occupants": []any{map[string]any{"fullName": "Ann"}, map[string]any{"fullName": "Bo"}}},
			post:  Post{Values: Posted{"/occupants/0/fullName": {"Ann"}, "/occupants/1/fullName": {"Bo"}, "action": {"remove /occupants/0"}}},
			want:  Step{Kind: Redraw, SaveAt: "people", Anchor: "/occupants"},
			after: map[string]any{"occupants": []any{map[string]any{"fullName": "Bo"}}}},
		{name: "save and come back later keeps even a mistake", page: "vehicle", data: map[string]any{},
			post: Post{Values: Posted{"/registration": {"A"}, "action": {"save"}}},
			want: Step{Kind: Leave, SaveAt: "vehicle"}, after: map[string]any{"registration": "A"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := New(f, tc.data)
			i := j.PageIndex(tc.page)
			problems, _ := j.Read(i, tc.post)
			got, err := j.Decide(i, tc.post, problems, time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatal(err)
			}
			var pointers []string
			for _, e := range got.Errors {
				pointers = append(pointers, e.Pointer)
			}
			got.Errors = nil
			if !reflect.DeepEqual(got, tc.want) || !reflect.DeepEqual(pointers, tc.errors) {
				t.Errorf("step %+v with errors at %v, want %+v with %v", got, pointers, tc.want, tc.errors)
			}
			if tc.after != nil && !reflect.DeepEqual(j.Data, tc.after) {
				t.Errorf("answers %v, want %v", j.Data, tc.after)
			}
		})
	}
}

// The follow-up page asks every question the chosen options reveal; where
// JavaScript revealed them in place, none is asked again.
func TestMoreFields(t *testing.T) {
	f := compile(t)
	page := New(f, map[string]any{"searched": true}).Pages[1]
	if got := MoreFields(page.Fields, false); len(got) != 1 || got[0].Pointer != "/findings" {
		t.Errorf("without JavaScript: %v", got)
	}
	if got := MoreFields(page.Fields, true); len(got) != 0 {
		t.Errorf("with JavaScript: %v", got)
	}
}

// nestedForm has choices that reveal inside a group and inside a repeating
// entry.
const nestedForm = `{"name": "nested", "version": "1.0.0", "title": "Nested",
  "schema": {"type": "object", "properties": {
    "vehicle": {"type": "object", "title": "The vehicle", "properties": {
      "colour": {"type": "string", "title": "Colour", "oneOf": [{"const": "black", "title": "Black"}, {"const": "other", "title": "Another colour"}]},
      "otherColour": {"type": "string", "title": "What colour?"}},
      "if": {"properties": {"colour": {"const": "other"}}, "required": ["colour"]}, "then": {"required": ["otherColour"]}},
    "people": {"type": "array", "title": "People", "items": {"type": "object", "title": "Person", "required": ["fullName"], "properties": {
      "fullName": {"type": "string", "title": "Full name"},
      "detained": {"type": "boolean", "title": "Detained?"},
      "detainedWhere": {"type": "string", "title": "Where are they held?"}},
      "if": {"properties": {"detained": {"const": true}}, "required": ["detained"]}, "then": {"required": ["detainedWhere"]}}}}},
  "ui": {"fields": {"/people": {"itemLabel": "Person"}}}}`

// Without JavaScript, a question revealed inside a group or a repeating
// entry is asked on the follow-up page (the entry's reveal named with its
// entry), not reported as unanswered on a page that never showed it.
func TestNestedRevealsAreFollowedUp(t *testing.T) {
	def, err := forms.ParseForm([]byte(nestedForm))
	if err != nil {
		t.Fatal(err)
	}
	f, err := forms.CompileForm(def, nil)
	if err != nil {
		t.Fatal(err)
	}
	j := New(f, map[string]any{"people": []any{map[string]any{}}})
	post := Post{Values: Posted{"/vehicle/colour": {"other"}, "/people/0/fullName": {"Bo"}, "/people/0/detained": {"true"}}}
	problems, _ := j.Read(0, post)
	step, err := j.Decide(0, post, problems, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if step.Kind != AskMore || len(step.Errors) > 0 {
		t.Fatalf("step %+v, want the follow-up page", step)
	}
	var asked []string
	for _, q := range MoreFields(j.Form.Pages(j.Data, nil)[0].Fields, false) {
		asked = append(asked, q.Pointer+" "+q.Label)
	}
	want := []string{"/vehicle/otherColour What colour?", "/people/0/detainedWhere Person 1: Where are they held?"}
	if !reflect.DeepEqual(asked, want) {
		t.Errorf("the follow-up page asks %q, want %q", asked, want)
	}
	more := Post{Values: Posted{"/vehicle/otherColour": {"Teal"}, "/people/0/detainedWhere": {"Dover"}}, FollowUp: true}
	j = New(f, j.Data) // as the next request loads the saved draft
	problems, _ = j.Read(0, more)
	if step, err = j.Decide(0, more, problems, time.Now()); err != nil || step.Kind != Advance {
		t.Fatalf("after the follow-up page: %+v %v", step, err)
	}
	if got := forms.ValueAt(j.Data, "/people/0/detainedWhere"); got != "Dover" {
		t.Errorf("the entry's follow-up answer is %v", got)
	}
}
