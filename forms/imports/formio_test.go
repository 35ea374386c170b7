package imports_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cop/forms"
	"cop/forms/examples"
	"cop/forms/imports"
)

func reportLines(f imports.Form) []string {
	var out []string
	for _, it := range f.Report {
		out = append(out, it.String())
	}
	return out
}

// hasItems fails unless each want is the start of, or is within, a
// report line.
func hasItems(t *testing.T, report []string, want ...string) {
	t.Helper()
	for _, w := range want {
		found := false
		for _, r := range report {
			found = found || strings.Contains(r, w)
		}
		if !found {
			t.Errorf("the report lacks %q:\n%s", w, strings.Join(report, "\n"))
		}
	}
}

// A Form.io wizard of the kind COP's first generation ran becomes a
// form: panels are pages, layout is flattened, grids repeat, conditions
// reveal questions, validation becomes the schema's, and what COP cannot
// do (JavaScript, a signature, a URL no reference data is named after) is
// reported by JSON path and key.
func TestAFormioWizardBecomesAForm(t *testing.T) {
	content, err := os.ReadFile("testdata/boarding-wizard.formio.json")
	if err != nil {
		t.Fatal(err)
	}
	known := func(name string) bool { return name == "countries" }
	f, err := imports.Formio("boarding.json", content, imports.FormioOptions{RefData: known}, imports.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	report := reportLines(f)
	hasItems(t, report,
		`boarding.json $.components[0].components[3] (lastPort): loads its options from https://refdata.example.gov.uk/v2/entities/port; COP has no reference data set named after it`,
		`boarding.json $.components[0].components[5] (caseRef): is a hidden value`,
		`boarding.json $.components[1].components[1] (lastInspected): hides its day (a partial date)`,
		`boarding.json $.components[1].components[8] (otherNotes): customConditional is JavaScript ("show = data.peopleOnBoard > 10;"), which COP does not run`,
		`boarding.json $.components[1].components[9] (total): calculateValue is JavaScript`,
		`boarding.json $.components[1].components[9] (total): is read-only in Form.io (disabled)`,
		`boarding.json $.components[2].components[2] (signature): component type "signature" is not translated`,
	)
	if len(report) != 7 {
		t.Errorf("the report has %d items, want 7:\n%s", len(report), strings.Join(report, "\n"))
	}
	lib, _, err := examples.Compile()
	if err != nil {
		t.Fatal(err)
	}
	d, err := forms.ParseForm(f.Definition)
	if err != nil {
		t.Fatal(err)
	}
	form, err := forms.CompileForm(d, lib)
	if err != nil {
		t.Fatalf("the definition does not compile with the example pack's reference data: %v\n%s", err, f.Definition)
	}

	var def struct {
		Name, Title string
		Schema      struct {
			Properties map[string]map[string]any
		}
		UI struct {
			Pages []struct {
				ID, Title, Description string
				Fields                 []string
			}
			Fields map[string]map[string]string
		}
	}
	if err := json.Unmarshal(f.Definition, &def); err != nil {
		t.Fatal(err)
	}
	if def.Name != "vessel-boarding" || def.Title != "Record a vessel boarding" {
		t.Errorf("named %q, titled %q", def.Name, def.Title)
	}
	var pages []string
	for _, p := range def.UI.Pages {
		pages = append(pages, p.ID+": "+strings.Join(p.Fields, ","))
	}
	want := []string{
		"vessel: vesselName,imoNumber,flag,lastPort,peopleOnBoard",
		"boarding: boardedAt,boardedAtTime,lastInspected,reason,checks,found,otherNotes,total",
		"crew: crewMembers,contactPhone",
	}
	if strings.Join(pages, "\n") != strings.Join(want, "\n") {
		t.Errorf("pages:\n%s\nwant:\n%s", strings.Join(pages, "\n"), strings.Join(want, "\n"))
	}
	if def.UI.Pages[0].Description != "Answer for the vessel as you found it." {
		t.Errorf("the content block became %q", def.UI.Pages[0].Description)
	}
	if def.Schema.Properties["flag"]["refdata"] != "countries" {
		t.Errorf("the flag select from a countries URL is %v", def.Schema.Properties["flag"])
	}
	if def.UI.Fields["/vesselName"]["hint"] != "As painted on the hull" || def.UI.Fields["/summary"]["widget"] != "textarea" {
		t.Errorf("hints %v", def.UI.Fields)
	}

	good := map[string]any{"vesselName": "Sea Breeze", "flag": "FR", "peopleOnBoard": 4, "boardedAt": "2026-11-21", "boardedAtTime": "14:30",
		"reason": "routine", "checks": []any{"documents"}, "found": false,
		"crewMembers": []any{map[string]any{"fullName": "Ann Jones", "role": "crew"}}}
	if errs := form.Validate(good, time.Now()); len(errs) > 0 {
		t.Fatalf("a good boarding is refused: %v", errs)
	}
	for _, tc := range []struct {
		change map[string]any
		ptr    string
		msg    string
	}{
		{map[string]any{"reason": "intelligence"}, "/intelligenceRef", ""}, // revealed and required
		{map[string]any{"found": true}, "/summary", ""},                    // the fieldset's condition
		{map[string]any{"imoNumber": "12345"}, "/imoNumber", "Enter the 7-digit IMO number"},
		{map[string]any{"peopleOnBoard": 0}, "/peopleOnBoard", ""},
		{map[string]any{"peopleOnBoard": 2.5}, "/peopleOnBoard", ""},
		{map[string]any{"boardedAtTime": "25:00"}, "/boardedAtTime", "Enter a time like 14:30"},
		{map[string]any{"vesselName": strings.Repeat("x", 61)}, "/vesselName", ""},
		{map[string]any{"checks": []any{}}, "/checks", ""},
		{map[string]any{"crewMembers": []any{map[string]any{"role": "crew"}}}, "/crewMembers/0/fullName", ""},
		{map[string]any{"contactPhone": "call me"}, "/contactPhone", ""},
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

// Public Form.io forms (testdata/formio, sources in its README) import,
// compile, and report what each has that COP cannot do.
func TestPublicFormioFormsImport(t *testing.T) {
	expect := map[string][]string{
		"basic.json": {
			`$.components[1] (multiple): takes several values in Form.io (multiple)`,
			`$.components[2] (everything): input mask "AAAAA" is not kept`,
			`$.components[4] (password): is a password`,
		},
		"calculatedValueForm.json":             {`$.components[2] (currency): calculateValue is JavaScript`},
		"displayAsModalEditGrid.json":          {`(tags): component type "tags" is not translated`, `(select): has no options (values): left out`},
		"example-form.json":                    {`(survey): component type "survey" is not translated`, `(signature): component type "signature"`, `its links are not`},
		"wizardWithSimpleConditionalPage.json": {`$.components[1]: page "page2" is shown only when "checkbox" is "true"`},
		"layout.json":                          nil,
		"patternValidation.json":               nil,
		"conditionalLogicForm.json":            nil,
		"formWithDateTimeComponents.json":      nil,
		"cop-record-actions.json": {
			`(outgoingProductReference): is shown only when "productpDeveloped" is "yes", which is not a question of the same data`,
			`(whereProductDisseminated): customConditional is JavaScript ("show = data.outgoingProductType.name`,
			`(whenWasTheActionTaken): validate.custom is JavaScript`,
			`(attachments1): takes files up to 1GB; COP takes at most`,
			`(justificationNfa): loads its options from {{data.environmentContext.referenceDataUrl}}/v2/entities/outcomes`,
			`$.components[1]: page "detailsOfTheAction" is shown only when "chooseNextAction" is "yes"`,
		},
		"cop-detection-equipment.json": {
			`(port): loads its options from {{data.environmentContext.referenceDataUrl}}/v2/entities/port`,
			`(topParagraph): its text is kept as plain text; its lists are not`,
		},
	}
	files, err := filepath.Glob("testdata/formio/*.json")
	if err != nil || len(files) != len(expect) {
		t.Fatalf("testdata/formio has %d forms (%v), the test expects %d", len(files), err, len(expect))
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			content, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			f, err := imports.Formio(name, content, imports.FormioOptions{}, imports.DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			compiles(t, f.Definition)
			report := reportLines(f)
			want, ok := expect[name]
			if !ok {
				t.Fatalf("no expectations for %s", name)
			}
			hasItems(t, report, want...)
			if want == nil && len(report) > 0 {
				t.Errorf("the report is not empty:\n%s", strings.Join(report, "\n"))
			}
			for _, r := range report {
				if !strings.HasPrefix(r, name+" ") {
					t.Errorf("an item does not name the file: %s", r)
				}
			}
		})
	}
}

// COP's first generation wrote `show = (row.x === 'yes') ? true : false`
// as JavaScript: it becomes a reveal inside the grid's entry, and is not
// reported.
func TestFormioSimpleScriptConditionsAreTranslated(t *testing.T) {
	content, err := os.ReadFile("testdata/formio/cop-detection-equipment.json")
	if err != nil {
		t.Fatal(err)
	}
	f, err := imports.Formio("d.json", content, imports.FormioOptions{}, imports.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reportLines(f) {
		if strings.Contains(r, "customConditional") {
			t.Errorf("a simple customConditional is reported: %s", r)
		}
	}
	s := string(f.Definition)
	for _, want := range []string{`"equipmentShared": {`, `"const": "yes"`} {
		if !strings.Contains(s, want) {
			t.Errorf("the definition lacks %s", want)
		}
	}
	var def struct {
		Schema struct {
			Properties map[string]struct {
				Items struct {
					AllOf []struct {
						If   map[string]any
						Then struct{ Properties map[string]any }
					}
				}
			}
		}
	}
	if err := json.Unmarshal(f.Definition, &def); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range def.Schema.Properties {
		for _, a := range p.Items.AllOf {
			_, port := a.Then.Properties["port1"]
			found = found || port
		}
	}
	if !found {
		t.Errorf("port1 is not revealed on row.equipmentShared:\n%s", f.Definition)
	}
}

// Files that are not a Form.io form are one error naming the file and
// the place; nothing is produced.
func TestNotAFormioForm(t *testing.T) {
	deep := `{"type": "panel", "key": "p", "components": [%s]}`
	nested := `{"type": "textfield", "key": "t"}`
	for range 40 {
		nested = fmt.Sprintf(deep, nested)
	}
	many := make([]string, 5001)
	for i := range many {
		many[i] = fmt.Sprintf(`{"type": "textfield", "key": "t%d"}`, i)
	}
	for _, tc := range []struct {
		name, content string
		opt           imports.FormioOptions
		want          string
	}{
		{"broken.json", "{\n  \"components\": [\n    {\"type\": \"textfield\",,}\n  ]\n}", imports.FormioOptions{}, "broken.json line 3 column 26 is not JSON"},
		{"list.json", `[{"type": "textfield"}]`, imports.FormioOptions{}, "list.json is not a Form.io form: a form is a JSON object"},
		{"other.json", `{"title": "x", "fields": []}`, imports.FormioOptions{}, "other.json is not a Form.io form: it has no components list"},
		{"project.json", `{"forms": {"b": {"components": []}, "a": {"components": []}}}`, imports.FormioOptions{}, "project.json is a Form.io project export of 2 forms (a, b): name the one to import (--form NAME)"},
		{"project.json", `{"forms": {"a": {"components": []}}}`, imports.FormioOptions{Form: "c"}, `project.json has no form "c"; its forms are a`},
		{"one.json", `{"components": []}`, imports.FormioOptions{Form: "a"}, "one.json is one form, not a project export"},
		{"named.json", `{"components": []}`, imports.FormioOptions{Name: "Bad Name"}, `form name "Bad Name"`},
		{"deep.json", `{"components": [` + nested + `]}`, imports.FormioOptions{}, "components nest more than 32 deep"},
		{"wide.json", `{"components": [` + strings.Join(many, ",") + `]}`, imports.FormioOptions{}, "wide.json has more than 5000 components"},
	} {
		_, err := imports.Formio(tc.name, []byte(tc.content), tc.opt, imports.DefaultLimits)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	small := imports.DefaultLimits
	small.MaxBytes = 10
	if _, err := imports.Formio("big.json", []byte(`{"components": []}`), imports.FormioOptions{}, small); err == nil || !strings.Contains(err.Error(), "big.json is 18 bytes; an import takes at most 10") {
		t.Errorf("oversized: %v", err)
	}
	// A project export imports the form it names, titled as asked.
	f, err := imports.Formio("project.json", []byte(`{"forms": {"arrival": {"name": "arrival", "components": [{"type": "textfield", "key": "port", "input": true}]}}}`),
		imports.FormioOptions{Form: "arrival", Title: "Report an arrival"}, imports.DefaultLimits)
	if err != nil || !strings.Contains(string(f.Definition), `"port"`) || !strings.Contains(string(f.Definition), `"title": "Report an arrival"`) {
		t.Errorf("the export's form: %v\n%s", err, f.Definition)
	}
}

func TestFormNames(t *testing.T) {
	for in, want := range map[string]string{
		"approveClaim": "approve-claim", "forms/approve_claim.json": "approve-claim", "embedded:app:forms/approve.html": "approve",
		"camunda-forms:deployment:Review Seizure.form": "review-seizure", "IMONumber": "imo-number", "---": "",
	} {
		if got := imports.FormName(in); got != want {
			t.Errorf("FormName(%q) = %q, want %q", in, got, want)
		}
	}
}

// What a review of the importer found, each as the author would meet it.
func TestFormioEdgeCases(t *testing.T) {
	imp := func(t *testing.T, doc string) (imports.Form, *forms.Form) {
		t.Helper()
		f, err := imports.Formio("f.json", []byte(doc), imports.FormioOptions{Name: "f"}, imports.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		return f, compiles(t, f.Definition)
	}
	valid := func(form *forms.Form, answers string) bool {
		var a map[string]any
		_ = json.Unmarshal([]byte(answers), &a)
		return len(form.Validate(a, time.Now())) == 0
	}
	t.Run("a pattern matches the whole answer, as in Form.io", func(t *testing.T) {
		_, form := imp(t, `{"components": [{"type": "textfield", "key": "imo", "input": true, "validate": {"pattern": "[0-9]{7}|none"}}]}`)
		if valid(form, `{"imo": "abc12345678xyz"}`) || !valid(form, `{"imo": "1234567"}`) || !valid(form, `{"imo": "none"}`) {
			t.Error("the pattern is not anchored")
		}
	})
	t.Run("a required checkbox must be ticked; required boxes need one", func(t *testing.T) {
		_, form := imp(t, `{"components": [{"type": "checkbox", "key": "declare", "label": "I declare it true", "input": true, "validate": {"required": true}},
			{"type": "selectboxes", "key": "checks", "input": true, "values": [{"label": "A", "value": "a"}], "validate": {"required": true}}]}`)
		if valid(form, `{"declare": false, "checks": ["a"]}`) || valid(form, `{"declare": true, "checks": []}`) || !valid(form, `{"declare": true, "checks": ["a"]}`) {
			t.Error("a required checkbox or selectboxes is not kept so")
		}
	})
	t.Run("a question shown on an untranslated condition is not required", func(t *testing.T) {
		f, form := imp(t, `{"components": [{"type": "textfield", "key": "b", "input": true, "validate": {"required": true}, "customConditional": "show = window.x > 3"},
			{"type": "textfield", "key": "c", "input": true, "validate": {"required": true}, "conditional": {"show": true, "when": "zz", "eq": "yes"}}]}`)
		if !valid(form, `{}`) {
			t.Error("a question whose condition is not translated is required always")
		}
		hasItems(t, reportLines(f), `(b): is required in Form.io only when shown; COP asks "b" always, so it is not required`,
			`(c): is required in Form.io only when shown; COP asks "c" always, so it is not required`)
	})
	t.Run("hidden groups and pages are left out", func(t *testing.T) {
		f, form := imp(t, `{"display": "wizard", "components": [
			{"type": "panel", "key": "one", "components": [{"type": "textfield", "key": "a", "input": true},
				{"type": "datagrid", "key": "g", "hidden": true, "input": true, "validate": {"required": true}, "components": [{"type": "textfield", "key": "x", "input": true}]}]},
			{"type": "panel", "key": "two", "hidden": true, "components": [{"type": "textfield", "key": "y", "input": true, "validate": {"required": true}}]}]}`)
		if !valid(form, `{}`) || strings.Contains(string(f.Definition), `"y"`) {
			t.Errorf("hidden parts are asked:\n%s", f.Definition)
		}
		hasItems(t, reportLines(f), `(g): is hidden in Form.io`, `page "two" is hidden in Form.io`)
	})
	t.Run("pages keep their own ids and text", func(t *testing.T) {
		f, _ := imp(t, `{"display": "wizard", "components": [{"type": "textfield", "key": "loose", "input": true},
			{"type": "panel", "key": "questions", "components": [{"type": "textfield", "key": "a", "input": true}]},
			{"type": "content", "key": "c", "html": "<p>Between pages</p>"},
			{"type": "panel", "key": "Questions", "components": [{"type": "textfield", "key": "b", "input": true}]}]}`)
		s := string(f.Definition)
		if !strings.Contains(s, `"id": "questions-2"`) || !strings.Contains(s, `"id": "questions-3"`) || !strings.Contains(s, `"description": "Between pages"`) {
			t.Errorf("pages:\n%s", s)
		}
	})
	t.Run("questions revealing each other in a circle stay on their page", func(t *testing.T) {
		imp(t, `{"display": "wizard", "components": [{"type": "panel", "key": "p", "components": [
			{"type": "radio", "key": "a", "input": true, "values": [{"label": "Yes", "value": "yes"}], "conditional": {"show": true, "when": "b", "eq": "yes"}},
			{"type": "radio", "key": "b", "input": true, "values": [{"label": "Yes", "value": "yes"}], "conditional": {"show": true, "when": "a", "eq": "yes"}}]}]}`)
	})
	t.Run("odd numbers and keys", func(t *testing.T) {
		f, _ := imp(t, `{"components": [{"type": "number", "key": "n", "input": true, "validate": {"min": "NaN", "max": 1e300}},
			{"type": "textfield", "key": "a/b~c", "description": "A hint", "input": true, "validate": {"maxLength": "Infinity", "minLength": 1e300}},
			{"type": "file", "key": "f", "input": true, "fileMaxSize": "99999999999999999999999GB"}]}`)
		if s := string(f.Definition); strings.Contains(s, "-9223372036854775808") || !strings.Contains(s, `"/a~1b~0c"`) {
			t.Errorf("the definition:\n%s", s)
		}
	})
	t.Run("the same input gives the same output", func(t *testing.T) {
		doc := `{"components": [{"type": "textfield", "key": "t", "input": true, "validate": {"required": true, "pattern": "[a-z]+", "minLength": 2},
			"errors": {"required": "Say it", "pattern": "Letters", "minLength": "Longer", "maxWords": "x"}}]}`
		first, _ := imp(t, doc)
		for range 5 {
			if again, _ := imp(t, doc); string(again.Definition) != string(first.Definition) || strings.Join(reportLines(again), "\n") != strings.Join(reportLines(first), "\n") {
				t.Fatal("two imports of one file differ")
			}
		}
	})
	t.Run("many components of one key, or many pages, are quick or refused", func(t *testing.T) {
		same := make([]string, 4999)
		for i := range same {
			same[i] = `{"type": "textfield", "key": "a", "input": true}`
		}
		start := time.Now()
		if _, err := imports.Formio("same.json", []byte(`{"components": [`+strings.Join(same, ",")+`]}`), imports.FormioOptions{}, imports.DefaultLimits); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("4,999 components of one key took %v", d)
		}
		panels := make([]string, 6000)
		for i := range panels {
			panels[i] = `{"type": "panel", "key": "p"}`
		}
		if _, err := imports.Formio("pages.json", []byte(`{"display": "wizard", "components": [`+strings.Join(panels, ",")+`]}`), imports.FormioOptions{}, imports.DefaultLimits); err == nil ||
			!strings.Contains(err.Error(), "more than 5000 components") {
			t.Errorf("6,000 pages: %v", err)
		}
	})
}
