package reports_test

import (
	"errors"
	"strings"
	"testing"

	"cop/forms"
	"cop/platform/reports"
)

const minimal = `{"name": "r", "version": "1.0.0", "title": "R", "source": {"kind": "tasks", "workflow": "ns/wf"},
	"groupBy": ["status"], "measures": [{"op": "count"}], "access": {"read": ["role:manager"]}}`

// TestParseRefusesEachMistakeAtItsPointer: every key is known and every
// value of its type, or the upload is refused there.
func TestParseRefusesEachMistakeAtItsPointer(t *testing.T) {
	for _, tc := range []struct {
		name, from, to, pointer, says string
	}{
		{"a misspelt key", `"groupBy"`, `"groupby"`, "/groupby", "not a field"},
		{"a bad name", `"name": "r"`, `"name": "Seizures By Port"`, "/name", "lower-case"},
		{"no source", `"source": {"kind": "tasks", "workflow": "ns/wf"},`, ``, "", "source is required"},
		{"an unknown source", `"kind": "tasks"`, `"kind": "people"`, "/source/kind", "not one of"},
		{"a tasks report without its workflow", `"workflow": "ns/wf"`, `"form": "f"`, "/source", "names its workflow"},
		{"a workflow without its namespace", `"workflow": "ns/wf"`, `"workflow": "wf"`, "/source/workflow", "NAMESPACE/NAME"},
		{"an unknown bucket", `["status"]`, `[{"field": "created", "bucket": "quarter"}]`, "/groupBy/0/bucket", "day, isoWeek, month"},
		{"an unknown measure", `{"op": "count"}`, `{"op": "mode", "field": "priority"}`, "/measures/0/op", "not one of"},
		{"a measure without its field", `{"op": "count"}`, `{"op": "sum"}`, "/measures/0", "needs the field"},
		{"a count of a field", `{"op": "count"}`, `{"op": "count", "field": "priority"}`, "/measures/0/field", "countDistinct"},
		{"an unknown chart", `"access"`, `"chart": "pie", "access"`, "/chart", "stacked bar"},
		{"no readers", `"access": {"read": ["role:manager"]}`, `"access": {"read": []}`, "/access", "access.read is required"},
		{"a reader that is not a role or team", `"role:manager"`, `"manager"`, "/access/read/0", "role:NAME or team:NAME"},
		{"suppressBelow that is not a count", `"access"`, `"suppressBelow": 2.5, "access"`, "/suppressBelow", "whole number"},
		{"a parameter named like the API's own", `"groupBy"`, `"params": [{"name": "format", "type": "string"}], "groupBy"`, "/params/0/name", "query parameter"},
		{"a parameter of no known type", `"groupBy"`, `"params": [{"name": "when", "type": "datetime"}], "groupBy"`, "/params/0/type", "not one of"},
		{"an unknown operator", `"groupBy"`, `"filters": [{"field": "status", "op": "like", "value": "o%"}], "groupBy"`, "/filters/0/op", "not one of"},
		{"between one value", `"groupBy"`, `"filters": [{"field": "priority", "op": "between", "value": 3}], "groupBy"`, "/filters/0/value", "two values"},
		{"a filter without a value", `"groupBy"`, `"filters": [{"field": "priority", "op": "="}], "groupBy"`, "/filters/0", "value is required"},
		{"not YAML or JSON", minimal, "{name: [", "", "not valid YAML"},
		{"too many groupings", `["status"]`, `["status", "team", "form", "version", "title"]`, "/groupBy", "at most 4 groupBy; this one has 5"},
		{"several values typed in", `"groupBy"`, `"params": [{"name": "who", "type": "string", "multiple": true}], "groupBy"`, "/params/0/multiple", "needs its choices"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := strings.Replace(minimal, tc.from, tc.to, 1)
			if raw == minimal {
				t.Fatalf("%q is not in the definition", tc.from)
			}
			_, err := reports.Parse([]byte(raw))
			var ps forms.Problems
			if !errors.As(err, &ps) {
				t.Fatalf("want problems, got %v", err)
			}
			for _, p := range ps {
				if p.Pointer == tc.pointer && strings.Contains(p.Message, tc.says) {
					return
				}
			}
			t.Errorf("want %q at %q, got %v", tc.says, tc.pointer, ps)
		})
	}
	if _, err := reports.Parse([]byte(minimal)); err != nil {
		t.Errorf("the minimal report: %v", err)
	}
}

// TestCheckRefusesWhatTheSourceCannotAnswer: fields a tasks report does
// not have, and what a field's type cannot take.
func TestCheckRefusesWhatTheSourceCannotAnswer(t *testing.T) {
	cat := reports.NewCatalogue(reports.SourceTasks, nil)
	for _, tc := range []struct {
		name, from, to, pointer, says string
	}{
		{"an unknown dimension", `["status"]`, `["colour"]`, "/groupBy/0", "not a field of tasks"},
		{"an answer on a tasks report", `["status"]`, `["/port"]`, "/groupBy/0", "only a submissions report has answers"},
		{"a point in time without a bucket", `["status"]`, `["created"]`, "/groupBy/0", "bucket"},
		{"a bucketed text", `["status"]`, `[{"field": "status", "bucket": "month"}]`, "/groupBy/0/bucket", "only dates"},
		{"grouped by a duration", `["status"]`, `["timeToClaim"]`, "/groupBy/0", "measure it"},
		{"a sum of text", `{"op": "count"}`, `{"op": "sum", "field": "title"}`, "/measures/0/field", "adds numbers"},
		{"a median of dates", `{"op": "count"}`, `{"op": "median", "field": "due"}`, "/measures/0/field", "numbers or durations"},
		{"an undeclared parameter", `"groupBy"`, `"filters": [{"field": "status", "op": "=", "value": "$status"}], "groupBy"`, "/filters/0/value", "not declared"},
		{"a declared parameter no filter uses", `"groupBy"`, `"params": [{"name": "status", "type": "string"}], "groupBy"`, "/params/0", "no filter uses it"},
		{"a parameter of the wrong type", `"groupBy"`, `"params": [{"name": "p", "type": "date"}], "filters": [{"field": "priority", "op": ">", "value": "$p"}], "groupBy"`,
			"/filters/0/value", "is a date"},
		{"in with a single-valued parameter", `"groupBy"`, `"params": [{"name": "s", "type": "string"}], "filters": [{"field": "status", "op": "in", "value": "$s"}], "groupBy"`,
			"/filters/0/value", "multiple: true"},
		{"a literal of the wrong type", `"groupBy"`, `"filters": [{"field": "priority", "op": "=", "value": "high"}], "groupBy"`, "/filters/0/value", "whole number"},
		{"less than on text", `"groupBy"`, `"filters": [{"field": "title", "op": "<", "value": "m"}], "groupBy"`, "/filters/0/op", "compares numbers and dates"},
		{"equality on a point in time", `"groupBy"`, `"filters": [{"field": "created", "op": "=", "value": "2026-01-01"}], "groupBy"`, "/filters/0/op", "between"},
		{"a sort by no column", `"groupBy"`, `"sort": ["-total"], "groupBy"`, "/sort/0", "not a column"},
		{"two columns of one name", `{"op": "count"}`, `{"op": "count"}, {"op": "count"}`, "/measures/1", "named \"count\""},
		{"a stacked bar of one dimension", `"access"`, `"chart": "stacked bar", "access"`, "/chart", "two groupBy"},
		{"groups without a measure", `"measures": [{"op": "count"}], `, ``, "/measures", "at least one measure"},
		{"a coded value that is not one", `"groupBy"`, `"filters": [{"field": "status", "op": "=", "value": "closed"}], "groupBy"`, "/filters/0/value",
			"closed is not one of the values of status (open, completed, cancelled)"},
		{"sorted by a measure it suppresses", `"access"`, `"suppressBelow": 5, "sort": ["-count"], "access"`, "/sort/0", "would tell what it hides"},
		{"suppression of a list", `"groupBy": ["status"], "measures": [{"op": "count"}]`, `"columns": ["title"], "suppressBelow": 3`, "/suppressBelow", "list report"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := strings.Replace(minimal, tc.from, tc.to, 1)
			if raw == minimal {
				t.Fatalf("%q is not in the definition", tc.from)
			}
			r, err := reports.Parse([]byte(raw))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			_, ps := reports.Check(r, cat)
			for _, p := range ps {
				if p.Pointer == tc.pointer && strings.Contains(p.Message, tc.says) {
					return
				}
			}
			t.Errorf("want %q at %q, got %v", tc.says, tc.pointer, ps)
		})
	}
}

// TestCSVGuardsFormulasAndKeepsNumbers: a text cell a spreadsheet would
// run is defused; numbers, dates and labels are written plainly.
func TestCSVGuardsFormulasAndKeepsNumbers(t *testing.T) {
	r, err := reports.Parse([]byte(`{"name": "r", "version": "1.0.0", "title": "R", "source": {"kind": "tasks", "workflow": "ns/wf"},
		"columns": ["title", "priority", "status", "timeToComplete"], "access": {"read": ["role:manager"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	plan, ps := reports.Check(r, reports.NewCatalogue(reports.SourceTasks, nil))
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	res := reports.NewResult(plan, [][]any{
		{"=HYPERLINK(\"http://evil\")", int64(-3), "open", 90.5},
		{"+1", int64(2), "completed", nil},
		{"@SUM(A1)", int64(1), "cancelled", 3600.0},
		{"-2", int64(5), "open", 0.0},
		{"Plain, with a comma", int64(3), "open", 1.0},
	})
	body, err := res.CSV()
	if err != nil {
		t.Fatal(err)
	}
	want := `Task,Priority,Status,Time to complete (seconds)
"'=HYPERLINK(""http://evil"")",-3,Open,90.5
'+1,2,Completed,
'@SUM(A1),1,Cancelled,3600
'-2,5,Open,0
"Plain, with a comma",3,Open,1
`
	if string(body) != want {
		t.Errorf("CSV\n%s\nwant\n%s", body, want)
	}
}

func TestDurationReadsAsAPersonWouldSayIt(t *testing.T) {
	for secs, want := range map[float64]string{0: "0 s", 40: "40 s", 125: "2 min 5 s", 3600: "1 h", 7500: "2 h 5 min", 90061: "1 d 1 h"} {
		if got := reports.Duration(secs); got != want {
			t.Errorf("%v s: %q, want %q", secs, got, want)
		}
	}
}

// TestAnAnswerReadsAsOneTypeInEveryVersion: a report reads the answers to
// every version of its form, so an answer a version gives another type is
// refused at its pointer; whole numbers and decimals mix.
func TestAnAnswerReadsAsOneTypeInEveryVersion(t *testing.T) {
	compile := func(version, props string) *forms.Form {
		d, err := forms.ParseForm([]byte(`{"name": "f", "version": "` + version + `", "title": "F",
			"schema": {"type": "object", "properties": {` + props + `}}}`))
		if err != nil {
			t.Fatal(err)
		}
		f, err := forms.CompileForm(d, forms.NewLibrary())
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	latest := compile("2.0.0", `"when": {"type": "string", "format": "date"}, "count": {"type": "number"}`)
	older := compile("1.0.0", `"when": {"type": "string"}, "count": {"type": "integer"}`)
	cat := reports.NewCatalogue(reports.SourceSubmissions, latest, older)
	r, err := reports.Parse([]byte(`{"name": "r", "version": "1.0.0", "title": "R", "source": {"kind": "submissions", "form": "f"},
		"groupBy": [{"field": "/when", "bucket": "month"}], "measures": [{"op": "sum", "field": "/count"}], "access": {"read": ["role:manager"]}}`))
	if err != nil {
		t.Fatal(err)
	}
	_, ps := reports.Check(r, cat)
	if len(ps) != 1 || ps[0].Pointer != "/groupBy/0/field" || !strings.Contains(ps[0].Message, "is text in version 1.0.0 of form f and a date in version 2.0.0") {
		t.Errorf("problems %v", ps)
	}
}
