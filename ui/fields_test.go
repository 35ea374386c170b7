package ui

import (
	"strings"
	"testing"

	"cop/forms"
)

func draw(t *testing.T, fs ...forms.Field) string {
	t.Helper()
	h, err := New().Fields(fs)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(string(h)), " ")
}

// An entry that minItems needs has no Remove button; once there are more
// entries than it needs, each may go.
func TestRemoveOnlyWhatMinItemsAllows(t *testing.T) {
	entry := func(i int) forms.Item {
		return forms.Item{Index: i, Fields: []forms.Field{{Kind: forms.KindText, Pointer: "/people/" + string(rune('0'+i)) + "/name", Label: "Name", Required: true}}}
	}
	group := forms.Field{Kind: forms.KindRepeating, Pointer: "/people", Label: "People", ItemLabel: "Person", MinItems: 1, MaxItems: -1}
	group.Items = []forms.Item{entry(0)}
	if got := draw(t, group); strings.Contains(got, `value="remove /people/0"`) {
		t.Errorf("the only entry minItems needs can be removed:\n%s", got)
	}
	group.Items = []forms.Item{entry(0), entry(1)}
	if got := draw(t, group); !strings.Contains(got, `value="remove /people/0"`) || !strings.Contains(got, `value="remove /people/1"`) {
		t.Errorf("two entries where one is needed cannot be removed:\n%s", got)
	}
	group.MinItems, group.Items = -1, []forms.Item{entry(0)}
	if got := draw(t, group); !strings.Contains(got, `value="remove /people/0"`) {
		t.Errorf("without minItems the entry cannot be removed:\n%s", got)
	}
}

// The one question of a page is its heading: a label or legend in an h1,
// and a repeating group's own heading an h1 rather than a second h2.
func TestTheOneQuestionOfAPageIsItsHeading(t *testing.T) {
	for _, c := range []struct {
		f    forms.Field
		want string
	}{
		{forms.Field{Kind: forms.KindText, Pointer: "/name", Label: "Full name", Required: true, PageHeading: true},
			`<h1 class="govuk-label-wrapper"><label class="govuk-label govuk-label--l" for="f-name">`},
		{forms.Field{Kind: forms.KindRadios, Pointer: "/role", Label: "Role", Required: true, PageHeading: true,
			Options: []forms.RenderedOption{{Value: "driver", Label: "Driver"}}},
			`<legend class="govuk-fieldset__legend govuk-fieldset__legend--l"> <h1 class="govuk-fieldset__heading">Role</h1>`},
		{forms.Field{Kind: forms.KindRepeating, Pointer: "/people", Label: "People", ItemLabel: "Person", MinItems: -1, MaxItems: -1, PageHeading: true},
			`<h1 class="govuk-heading-l">People</h1>`},
	} {
		if got := draw(t, c.f); !strings.Contains(got, c.want) {
			t.Errorf("%s lacks %s:\n%s", c.f.Pointer, c.want, got)
		}
	}
}

// A select of more than AutocompleteOver options is marked for GOV.UK's
// accessible autocomplete (cop.js); a shorter one is a plain select.
func TestLongSelectsGetTheAutocomplete(t *testing.T) {
	options := func(n int) []forms.RenderedOption {
		var out []forms.RenderedOption
		for i := range n {
			out = append(out, forms.RenderedOption{Value: "c" + strings.Repeat("x", i), Label: "Country " + strings.Repeat("x", i)})
		}
		return out
	}
	long := draw(t, forms.Field{Kind: forms.KindSelect, Pointer: "/country", Label: "Country", Options: options(AutocompleteOver + 1)})
	if !strings.Contains(long, `<select class="govuk-select" id="f-country" name="/country" data-cop-autocomplete="on">`) {
		t.Errorf("a long select is not marked for the autocomplete:\n%s", long)
	}
	if short := draw(t, forms.Field{Kind: forms.KindSelect, Pointer: "/country", Label: "Country", Options: options(AutocompleteOver)}); strings.Contains(short, "data-cop-autocomplete") {
		t.Errorf("a select of %d options is marked for the autocomplete", AutocompleteOver)
	}
}
