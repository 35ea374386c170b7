package imports_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"cop/forms"
	"cop/forms/imports"
)

// workbook writes sheets of rows as an .xlsx.
func workbook(t *testing.T, sheets map[string][][]string) []byte {
	t.Helper()
	x := excelize.NewFile()
	first := true
	for name, rows := range sheets {
		if first {
			if err := x.SetSheetName("Sheet1", name); err != nil {
				t.Fatal(err)
			}
			first = false
		} else if _, err := x.NewSheet(name); err != nil {
			t.Fatal(err)
		}
		for r, row := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			vals := make([]any, len(row))
			for i, v := range row {
				vals[i] = v
			}
			if err := x.SetSheetRow(name, cell, &vals); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A vessel inspection XLSForm (written for this test) with each construct
// the import translates: its questions, a page, a repeat, constraints, a
// reveal and Welsh text; and what it does not translate, reported by cell.
func TestAnXLSFormBecomesAForm(t *testing.T) {
	survey := [][]string{
		{"type", "name", "label", "hint", "required", "constraint", "constraint_message", "relevant", "label::Welsh (cy)", "appearance"},
		{"begin group", "vessel", "The vessel", "", "", "", "", "", "", ""},
		{"text", "vessel_name", "Vessel name", "As painted on the hull", "yes", "string-length(.) <= 60", "", "", "Enw'r llong", ""},
		{"integer", "crew_count", "People on board", "", "yes", ". >= 1 and . <= 500", "Enter between 1 and 500", "", "", ""},
		{"note", "intro", "Answer for the vessel as you found it", "", "", "", "", "", "", ""},
		{"end group", "", "", "", "", "", "", "", "", ""},
		{"select_one reason", "reason", "Why did you board?", "", "yes", "", "", "", "", "minimal"},
		{"text", "intel_ref", "Intelligence reference", "", "yes", "regex(., '^INT-[0-9]{6}$')", "", "${reason} = 'intel'", "", ""},
		{"select_multiple checks", "checks", "Checks made", "", "", "", "", "", "", ""},
		{"text", "dog_name", "Name of the dog", "", "", "", "", "selected(${checks}, 'dog')", "", ""},
		{"date", "boarded_on", "Date of boarding", "", "yes", ". <= today()", "", "", "", ""},
		{"begin repeat", "crew", "Crew member", "", "", "", "", "", "", ""},
		{"text", "crew_name", "Name", "", "yes", "", "", "", "", ""},
		{"decimal", "crew_age", "Age", "", "", "", "", "", "", ""},
		{"end repeat", "", "", "", "", "", "", "", "", ""},
		{"geopoint", "where", "Where", "", "", "", "", "", "", ""},
		{"text", "notes", "Notes", "", "", "", "", "${crew_count} > 2", "", ""},
	}
	choices := [][]string{
		{"list_name", "name", "label", "label::Welsh (cy)"},
		{"reason", "routine", "Routine check", ""},
		{"reason", "intel", "Acting on intelligence", ""},
		{"checks", "documents", "Documents", "Dogfennau"},
		{"checks", "dog", "Detector dog", ""},
	}
	settings := [][]string{{"form_title", "form_id", "version"}, {"Vessel inspection", "vessel_inspection", "2.1.0"}}
	f, err := imports.XLSForm("inspection.xlsx", workbook(t, map[string][][]string{"survey": survey, "choices": choices, "settings": settings}), imports.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	var report []string
	for _, it := range f.Report {
		report = append(report, it.String())
	}
	for _, want := range []string{
		`survey!F11: constraint ". <= today()" is not translated`,
		`survey!A16: question type "geopoint" is not translated`,
		`survey!H17: relevant "${crew_count} > 2" is not translated`,
		`survey!J7: column "appearance" is not translated`,
		`survey!A5: note "intro" is not a question: its text is the page's description`,
		`survey!A9: the Welsh labels of list "checks"'s choices are not kept`,
	} {
		found := false
		for _, r := range report {
			found = found || strings.HasPrefix(r, want)
		}
		if !found {
			t.Errorf("the report lacks %q:\n%s", want, strings.Join(report, "\n"))
		}
	}
	if len(report) != 6 {
		t.Errorf("the report has %d items, want 6:\n%s", len(report), strings.Join(report, "\n"))
	}
	form := compiles(t, f.Definition)
	var def struct {
		Name, Version, Title string
		UI                   struct {
			Pages []struct {
				ID, Title, Description string
				Fields                 []string
			}
			Translations map[string]map[string]struct{ Label string }
		}
	}
	if err := json.Unmarshal(f.Definition, &def); err != nil {
		t.Fatal(err)
	}
	if def.Name != "vessel-inspection" || def.Version != "2.1.0" || def.Title != "Vessel inspection" {
		t.Errorf("settings read as %s %s %q", def.Name, def.Version, def.Title)
	}
	if len(def.UI.Pages) != 2 || def.UI.Pages[1].ID != "vessel" || def.UI.Pages[1].Description != "Answer for the vessel as you found it" ||
		strings.Join(def.UI.Pages[1].Fields, ",") != "vessel_name,crew_count" {
		t.Errorf("pages %+v", def.UI.Pages)
	}
	if def.UI.Translations["cy"]["/vessel_name"].Label != "Enw'r llong" {
		t.Errorf("Welsh %+v", def.UI.Translations)
	}
	good := map[string]any{"vessel_name": "Sea Breeze", "crew_count": 3, "reason": "routine", "boarded_on": "2026-11-21",
		"checks": []any{"documents"}, "crew": []any{map[string]any{"crew_name": "Ann", "crew_age": 41.5}}}
	if errs := form.Validate(good, time.Now()); len(errs) > 0 {
		t.Errorf("a good inspection is refused: %v", errs)
	}
	for _, tc := range []struct {
		change map[string]any
		ptr    string
		msg    string
	}{
		{map[string]any{"crew_count": 0}, "/crew_count", "Enter between 1 and 500"},
		{map[string]any{"vessel_name": strings.Repeat("x", 61)}, "/vessel_name", ""},
		{map[string]any{"reason": "intel"}, "/intel_ref", ""},                                   // revealed and required
		{map[string]any{"reason": "intel", "intel_ref": "INT-12"}, "/intel_ref", ""},            // its pattern
		{map[string]any{"crew": []any{map[string]any{"crew_age": 3}}}, "/crew/0/crew_name", ""}, // required in each entry
	} {
		answers := map[string]any{}
		for k, v := range good {
			answers[k] = v
		}
		for k, v := range tc.change {
			answers[k] = v
		}
		errs := form.Validate(answers, time.Now())
		if len(errs) != 1 || errs[0].Pointer != tc.ptr || (tc.msg != "" && errs[0].Message != tc.msg) {
			t.Errorf("%v: %v, want one error at %s", tc.change, errs, tc.ptr)
		}
	}
}

// A workbook that is not an XLSForm is one error naming the file and
// what is missing.
func TestNotAnXLSForm(t *testing.T) {
	book := workbook(t, map[string][][]string{"Questions": {{"type", "name"}}})
	if _, err := imports.XLSForm("book.xlsx", book, imports.DefaultLimits); err == nil ||
		!strings.Contains(err.Error(), `book.xlsx has no survey sheet: an XLSForm lists its questions on a sheet called "survey" (its sheets are Questions)`) {
		t.Errorf("no survey sheet: %v", err)
	}
	if _, err := imports.XLSForm("form.xlsx", []byte("not a zip"), imports.DefaultLimits); err == nil || !strings.Contains(err.Error(), "form.xlsx is not an .xlsx workbook") {
		t.Errorf("not a workbook: %v", err)
	}
	open := workbook(t, map[string][][]string{"survey": {{"type", "name", "label"}, {"begin repeat", "crew", "Crew"}, {"text", "n", "Name"}}})
	if _, err := imports.XLSForm("open.xlsx", open, imports.DefaultLimits); err == nil || !strings.Contains(err.Error(), `survey!A2: repeat "crew" has no end repeat`) {
		t.Errorf("an unclosed repeat: %v", err)
	}
}

// The underscore spellings of repeats, a reveal inside a repeat, a note
// with a hint, and a length constraint on a text (in place of its default
// limit) all translate into a form that compiles and means what they say.
func TestXLSFormRepeatsNotesAndLengths(t *testing.T) {
	survey := [][]string{
		{"type", "name", "label", "hint", "required", "constraint", "relevant", "required_message"},
		{"note", "intro", "Fill this in on board", "Take your time", "", "", ""},
		{"begin_repeat", "crew", "Crew member", "Everyone on board", "", "", ""},
		{"select_one yn", "has_id", "Has an ID?", "", "yes", "", "", "Say whether they have an ID"},
		{"text", "id_number", "ID number", "", "yes", "string-length(.) <= 12", "${has_id} = 'yes'"},
		{"text", "other", "Other", "", "", "", "${has_id} = 'maybe'"},
		{"end_repeat", "", "", "", "", "", ""},
	}
	choices := [][]string{{"list_name", "name", "label"}, {"yn", "yes", "Yes"}, {"yn", "no", "No"}}
	f, err := imports.XLSForm("crew.xlsx", workbook(t, map[string][][]string{"survey": survey, "choices": choices}), imports.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	var report []string
	for _, it := range f.Report {
		report = append(report, it.String())
	}
	if strings.Count(string(f.Definition), `"maxLength"`) != 2 || !strings.Contains(string(f.Definition), `"maxLength": 12`) {
		t.Errorf("id_number has its length twice, or not at all:\n%s", f.Definition)
	}
	joined := strings.Join(report, "\n")
	if !strings.Contains(joined, `survey!G6: relevant "${has_id} = 'maybe'" names "maybe", which is not a choice of "has_id"`) ||
		!strings.Contains(joined, `note "intro" is not a question`) {
		t.Errorf("report:\n%s", joined)
	}
	if !strings.Contains(string(f.Definition), `"hint": "Everyone on board"`) {
		t.Errorf("the repeat's hint is not kept:\n%s", f.Definition)
	}
	form := compiles(t, f.Definition)
	if errs := form.Validate(map[string]any{"crew": []any{map[string]any{}}}, time.Now()); len(errs) != 1 || !strings.Contains(errs[0].Message, "say whether they have an ID") {
		t.Errorf("an entry without has_id: %v", errs)
	}
	entry := func(e map[string]any) []forms.FieldError {
		return form.Validate(map[string]any{"crew": []any{e}}, time.Now())
	}
	if errs := entry(map[string]any{"has_id": "no"}); len(errs) != 0 {
		t.Errorf("a crew member without an ID: %v", errs)
	}
	if errs := entry(map[string]any{"has_id": "yes"}); len(errs) != 1 || errs[0].Pointer != "/crew/0/id_number" {
		t.Errorf("a crew member with an ID but no number: %v", errs)
	}
	if errs := entry(map[string]any{"has_id": "yes", "id_number": strings.Repeat("9", 13)}); len(errs) != 1 {
		t.Errorf("a 13-character ID number: %v", errs)
	}
}

// A sheet whose cells reach far to the right is refused before it is read
// whole.
func TestXLSFormColumnLimit(t *testing.T) {
	x := excelize.NewFile()
	_ = x.SetSheetName("Sheet1", "survey")
	_ = x.SetSheetRow("survey", "A1", &[]any{"type", "name", "label"})
	_ = x.SetCellValue("survey", "XFD2", "far")
	var buf bytes.Buffer
	_ = x.Write(&buf)
	if _, err := imports.XLSForm("wide.xlsx", buf.Bytes(), imports.DefaultLimits); err == nil || !strings.Contains(err.Error(), "wide.xlsx sheet survey row 2 has 16384 columns") {
		t.Errorf("a cell at XFD2: %v", err)
	}
}
