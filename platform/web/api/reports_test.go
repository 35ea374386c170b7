package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"cop/platform/web/webtest"
)

// seizureLog is a form whose 1.0.0 is read by supervisors and whose 1.1.0
// also by managers.
func seizureLog(version, readers string) string {
	return `{"name": "seizure-log", "version": "` + version + `", "title": "Seizure log",
	"access": {"start": ["role:officer"], "read": [` + readers + `]},
	"schema": {"type": "object", "required": ["category", "value", "seizedOn", "port"], "properties": {
		"category": {"type": "string", "title": "Category", "oneOf": [{"const": "drugs", "title": "Controlled drugs"},
			{"const": "cash", "title": "Cash"}, {"const": "tobacco", "title": "Tobacco"}]},
		"value": {"type": "number", "title": "Value in GBP", "minimum": 0},
		"quantity": {"type": "integer", "title": "Quantity", "minimum": 1},
		"seizedOn": {"type": "string", "format": "date", "title": "Date of seizure"},
		"port": {"$ref": "term:port"},
		"note": {"type": "string", "title": "Note"}}}}`
}

type seizure struct {
	by, category, seizedOn, port string
	value                        float64
	quantity                     int
}

// seizures are the answers the reports below aggregate; the first two go
// to 1.0.0, which managers may not read row by row.
var seizures = []seizure{
	{"officer", "drugs", "2026-01-05", "GBDVR", 100, 1},
	{"officer", "cash", "2026-01-20", "GBSOU", 2500.5, 2},
	{"officer", "drugs", "2026-02-01", "GBDVR", 300, 3},
	{"officer-dover", "drugs", "2026-02-14", "GBSOU", 50, 1},
	{"officer-dover", "tobacco", "2026-02-28", "GBDVR", 10, 4},
	{"officer", "cash", "2026-03-01", "GBDVR", 1000, 5},
	{"officer-dover", "drugs", "2026-03-31", "GBDVR", 0.25, 1},
}

const byCategory = `{"name": "seizures-by-category", "version": "1.0.0", "title": "Seizures by category",
	"source": {"kind": "submissions", "form": "seizure-log"},
	"params": [{"name": "from", "type": "date", "title": "From"}, {"name": "to", "type": "date", "title": "To"},
		{"name": "ports", "type": "string", "refdata": "uk-ports", "multiple": true}],
	"filters": [{"field": "/seizedOn", "op": "between", "value": ["$from", "$to"]}, {"field": "/port", "op": "in", "value": "$ports"}],
	"groupBy": ["/category"],
	"measures": [{"op": "count", "label": "Seizures"}, {"op": "sum", "field": "/value"}, {"op": "avg", "field": "/quantity"},
		{"op": "max", "field": "/seizedOn"}],
	"chart": "bar", "access": {"read": ["role:manager", "role:supervisor"]}}`

const byPortMonth = `name: seizures-by-port-month
version: 1.0.0
title: Seizures by port and month
source: {kind: submissions, form: seizure-log}
groupBy:
  - /port
  - {field: /seizedOn, bucket: month}
measures:
  - {op: count}
chart: stacked bar
suppressBelow: 2
access: {read: [role:manager]}
`

const listed = `{"name": "seizure-list", "version": "1.0.0", "title": "Seizures",
	"source": {"kind": "submissions", "form": "seizure-log"},
	"columns": ["case", "/seizedOn", "/category", {"field": "/value", "label": "Value"}, "submittedBy"],
	"sort": ["-seizedOn"], "access": {"read": ["role:manager"]}}`

func TestReportsAnswerKnownAggregates(t *testing.T) {
	e := webtest.New(t)
	author := e.Token("author")
	e.Must(201, "POST", "/api/v1/refdata", author, webtest.PortsSet, nil)
	e.Must(201, "POST", "/api/v1/terms", author, webtest.PortTerm, nil)
	e.Must(201, "POST", "/api/v1/forms", author, seizureLog("1.0.0", `"role:supervisor"`), nil)
	tokens := map[string]string{"officer": e.Token("officer"), "officer-dover": e.Token("officer-dover")}
	for i, s := range seizures {
		if i == 2 {
			e.Must(201, "POST", "/api/v1/forms", author, seizureLog("1.1.0", `"role:supervisor", "role:manager"`), nil)
		}
		e.Must(201, "POST", "/api/v1/forms/seizure-log/submissions", tokens[s.by],
			map[string]any{"category": s.category, "value": s.value, "quantity": s.quantity, "seizedOn": s.seizedOn, "port": s.port}, nil)
	}
	lastSubmitted := time.Now()
	for _, def := range []string{byCategory, listed} {
		e.Must(201, "POST", "/api/v1/reports", author, def, nil)
	}
	resp, body := e.Send("POST", "/api/v1/reports", author, byPortMonth, "Content-Type", "application/yaml")
	if resp.StatusCode != 201 {
		t.Fatalf("publish YAML report: %d %s", resp.StatusCode, body)
	}
	manager := e.Token("manager")

	t.Run("grouped by an answer, each measure as computed by hand", func(t *testing.T) {
		res := result(t, e, manager, "/api/v1/reports/seizures-by-category/result")
		want := map[string][]any{ // count, sum of value, average quantity, latest date
			"drugs":   {4.0, 450.25, 1.5, "2026-03-31"},
			"cash":    {2.0, 3500.5, 3.5, "2026-03-01"},
			"tobacco": {1.0, 10.0, 4.0, "2026-02-28"},
		}
		if len(res.Rows) != 3 {
			t.Fatalf("rows %v", res.Rows)
		}
		for _, row := range res.Rows {
			w := want[row["category"].(string)]
			got := []any{row["count"], row["sumValue"], row["avgQuantity"], row["maxSeizedOn"]}
			if fmt.Sprint(got) != fmt.Sprint(w) {
				t.Errorf("%s: got %v, want %v", row["category"], got, w)
			}
		}
		cols := res.Columns
		if cols[0].Label != "Category" || cols[0].Labels["drugs"] != "Controlled drugs" || cols[1].Label != "Seizures" ||
			cols[2].Type != "number" || cols[4].Type != "date" {
			t.Errorf("columns %+v", cols)
		}
		// Everything committed before asOf is counted: the last seizure was
		// committed before the request, and asOf is no later than its answer.
		asOf, err := time.Parse(time.RFC3339Nano, res.AsOf)
		if err != nil || asOf.Before(lastSubmitted) || asOf.After(time.Now()) {
			t.Errorf("asOf %q (%v), the last submission committed at %s", res.AsOf, err, lastSubmitted)
		}
	})
	t.Run("parameters narrow it: a date range and a multiple choice", func(t *testing.T) {
		res := result(t, e, manager, "/api/v1/reports/seizures-by-category/result?from=2026-02-01&to=2026-02-28&ports=GBDVR")
		got := map[string]any{}
		for _, row := range res.Rows {
			got[row["category"].(string)] = row["count"]
		}
		if fmt.Sprint(got) != "map[drugs:1 tobacco:1]" {
			t.Errorf("February at Dover: %v", got)
		}
		if res.Params["from"] != "2026-02-01" {
			t.Errorf("params %v", res.Params)
		}
	})
	t.Run("by port and month, with small groups suppressed", func(t *testing.T) {
		res := result(t, e, manager, "/api/v1/reports/seizures-by-port-month/result")
		var lines []string
		for _, row := range res.Rows {
			lines = append(lines, fmt.Sprintf("%v %v %v %v", row["port"], row["seizedOnMonth"], row["count"], row["_fewerThan"]))
		}
		want := "GBDVR 2026-01 <nil> 2|GBDVR 2026-02 2 <nil>|GBDVR 2026-03 2 <nil>|GBSOU 2026-01 <nil> 2|GBSOU 2026-02 <nil> 2"
		if strings.Join(lines, "|") != want {
			t.Errorf("rows\n got %s\nwant %s", strings.Join(lines, "|"), want)
		}
		if res.Columns[0].Labels["GBDVR"] != "Dover" || res.Columns[1].Type != "month" {
			t.Errorf("columns %+v", res.Columns)
		}
	})
	t.Run("CSV: labels, numbers as numbers, suppressed as fewer than", func(t *testing.T) {
		resp, body := e.Send("GET", "/api/v1/reports/seizures-by-port-month/result?format=csv", manager, nil)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("%d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		want := "Port,Date of seizure (month),Count\nDover,2026-01,fewer than 2\nDover,2026-02,2\nDover,2026-03,2\n" +
			"Southampton,2026-01,fewer than 2\nSouthampton,2026-02,fewer than 2\n"
		if body != want {
			t.Errorf("CSV\n%s\nwant\n%s", body, want)
		}
		if !strings.Contains(resp.Header.Get("Content-Disposition"), `filename="seizures-by-port-month-`) {
			t.Errorf("disposition %q", resp.Header.Get("Content-Disposition"))
		}
		resp, body = e.Send("GET", "/api/v1/reports/seizures-by-category/result", manager, nil, "Accept", "text/csv")
		if resp.StatusCode != 200 || !strings.HasPrefix(body, "Category,Seizures,Total value in GBP,Average quantity,Highest date of seizure\n") ||
			!strings.Contains(body, "Controlled drugs,4,450.25,1.5,2026-03-31\n") {
			t.Errorf("Accept: text/csv: %d\n%s", resp.StatusCode, body)
		}
	})
	t.Run("a list of rows, newest first", func(t *testing.T) {
		res := result(t, e, manager, "/api/v1/reports/seizure-list/result")
		if len(res.Rows) != len(seizures) {
			t.Fatalf("the manager reads %d rows, want %d: %v", len(res.Rows), len(seizures), res.Rows)
		}
		first := res.Rows[0]
		if first["seizedOn"] != "2026-03-31" || first["value"] != 0.25 || first["submittedBy"] != "dev-officer-dover" ||
			!strings.HasPrefix(fmt.Sprint(first["case"]), "SL-") {
			t.Errorf("first row %v", first)
		}
		if res.Columns[3].Label != "Value" || res.Columns[1].Type != "date" {
			t.Errorf("columns %+v", res.Columns)
		}
	})
	e.Scenarios(t, []webtest.Scenario{
		{Name: "an officer may not read a manager's report", As: "officer", Method: "GET", Path: "/api/v1/reports/seizures-by-category/result", Status: 404},
		{Name: "nor see its definition", As: "officer", Method: "GET", Path: "/api/v1/reports/seizures-by-category", Status: 404},
		{Name: "nor find it listed", As: "officer", Method: "GET", Path: "/api/v1/reports", Status: 200, Want: []string{`"items":[]`}},
		{Name: "a manager lists what they read", As: "manager", Method: "GET", Path: "/api/v1/reports", Status: 200,
			Want: []string{`"seizures-by-category"`, `"seizure-list"`, `"kind":"report"`}},
		{Name: "a supervisor reads the report that names them", As: "supervisor", Method: "GET", Path: "/api/v1/reports/seizures-by-category/result", Status: 200},
		{Name: "a version by number", As: "manager", Method: "GET", Path: "/api/v1/reports/seizure-list/versions/1.0.0", Status: 200, Want: []string{`"definition"`}},
		{Name: "versions", As: "manager", Method: "GET", Path: "/api/v1/reports/seizure-list/versions", Status: 200},
		{Name: "an unknown report", As: "manager", Method: "GET", Path: "/api/v1/reports/nope/result", Status: 404},
		{Name: "a parameter of the wrong type", As: "manager", Method: "GET", Path: "/api/v1/reports/seizures-by-category/result?from=31/01/2026", Status: 422,
			Pointers: []string{"/from"}},
		{Name: "a choice not on the list", As: "manager", Method: "GET", Path: "/api/v1/reports/seizures-by-category/result?ports=XXXXX", Status: 422,
			Pointers: []string{"/ports/0"}},
		{Name: "a parameter the report does not have", As: "manager", Method: "GET", Path: "/api/v1/reports/seizures-by-category/result?port=GBDVR", Status: 422,
			Pointers: []string{"/port"}, Want: []string{"its parameters: from, to, ports"}},
		{Name: "a format that is neither", As: "manager", Method: "GET", Path: "/api/v1/reports/seizures-by-category/result?format=xlsx", Status: 400},
		{Name: "an officer may not publish", As: "officer", Method: "POST", Path: "/api/v1/reports", Body: byCategory, Status: 403},
		{Name: "the same upload again changes nothing", As: "author", Method: "POST", Path: "/api/v1/reports", Body: byCategory, Status: 200},
		{Name: "other content under the version", As: "author", Method: "POST", Path: "/api/v1/reports",
			Body: strings.Replace(byCategory, "Seizures by category", "Changed", 1), Status: 409},
		{Name: "a dry run", As: "author", Method: "POST", Path: "/api/v1/reports?dryRun=true",
			Body: strings.Replace(byCategory, "seizures-by-category", "tried", 1), Status: 200, Want: []string{`"status":"draft"`}},
		{Name: "not stored", As: "author", Method: "GET", Path: "/api/v1/reports/tried", Status: 404},
		{Name: "every mistake at its pointer", As: "author", Method: "POST", Path: "/api/v1/reports", Body: `{"name": "careless", "version": "1.0.0", "title": "Careless",
			"source": {"kind": "submissions", "form": "seizure-log"},
			"params": [{"name": "format", "type": "string"}],
			"filters": [{"field": "/category", "op": "=", "value": "$nope"}, {"field": "/note", "op": "<", "value": 3}, {"field": "/value", "op": "=", "value": "x"}],
			"groupBy": ["/nowhere", "colour", {"field": "submitted"}],
			"measures": [{"op": "sum", "field": "/note"}, {"op": "median", "field": "/category"}],
			"chart": "pie", "access": {"read": ["role:officer", "role:manager", "team:analytics"]}, "suppress": 3}`,
			Status: 422, Pointers: []string{"/chart", "/params/0/name", "/suppress"}},
		{Name: "what the registry must answer, each at its pointer", As: "author", Method: "POST", Path: "/api/v1/reports", Body: `{"name": "careless", "version": "1.0.0", "title": "Careless",
			"source": {"kind": "submissions", "form": "seizure-log"},
			"params": [{"name": "unused", "type": "string"}],
			"filters": [{"field": "/category", "op": "=", "value": "$nope"}, {"field": "/note", "op": "<", "value": 3}, {"field": "/value", "op": "=", "value": "x"}],
			"groupBy": ["/nowhere", "colour", {"field": "submitted"}],
			"measures": [{"op": "sum", "field": "/note"}, {"op": "median", "field": "/category"}],
			"access": {"read": ["role:officer", "role:manager", "team:analytics"]}}`,
			Status: 422, Pointers: []string{"/access/read/0", "/access/read/2", "/filters/0/value", "/filters/1/op", "/filters/2/value",
				"/groupBy/0", "/groupBy/1", "/groupBy/2", "/measures/0/field", "/measures/1/field", "/params/0"}},
		{Name: "a source that is not there", As: "author", Method: "POST", Path: "/api/v1/reports",
			Body:   strings.Replace(strings.Replace(byCategory, `"form": "seizure-log"`, `"form": "nope"`, 1), "seizures-by-category", "elsewhere", 1),
			Status: 422, Pointers: []string{"/source/form"}},
		{Name: "nothing of it was stored", As: "author", Method: "GET", Path: "/api/v1/reports/careless", Status: 404},
	})

	// Two authors publish the same new report at once: one stores it, the
	// other finds it stored.
	var late map[string]any
	_ = json.Unmarshal([]byte(strings.Replace(listed, "seizure-list", "raced-list", 1)), &late)
	raced := e.Race(e.Request("POST", "/api/v1/reports", author, late), e.Request("POST", "/api/v1/reports", author, late))
	if got := webtest.Statuses(raced); got != "Created,OK" {
		t.Errorf("the same report published twice at once: %s", got)
	}
	// A retired version no longer answers; with none left active, the
	// report is not found.
	e.Must(200, "POST", "/api/v1/reports/raced-list/versions/1.0.0/retire", author, map[string]any{}, nil)
	e.Scenarios(t, []webtest.Scenario{
		{Name: "a retired report", As: "manager", Method: "GET", Path: "/api/v1/reports/raced-list/result", Status: 404,
			Want: []string{"no active version"}},
		{Name: "its retired version still reads", As: "manager", Method: "GET", Path: "/api/v1/reports/raced-list/versions/1.0.0", Status: 200,
			Want: []string{`"status":"retired"`}},
		{Name: "nor does its retired version run for a reader", As: "manager", Method: "GET", Path: "/api/v1/reports/raced-list/result?version=1.0.0", Status: 404},
		{Name: "it runs for an admin", As: "admin", Method: "GET", Path: "/api/v1/reports/raced-list/result?version=1.0.0", Status: 200},
		{Name: "an officer may not retire", As: "officer", Method: "POST", Path: "/api/v1/reports/seizure-list/versions/1.0.0/retire", Body: map[string]any{}, Status: 403},
	})

	// The form's author withdraws the managers: the reports that granted
	// them no longer answer them, and still answer the supervisors.
	e.Must(201, "POST", "/api/v1/forms", author, seizureLog("1.2.0", `"role:supervisor"`), nil)
	e.Scenarios(t, []webtest.Scenario{
		{Name: "a grant the source has withdrawn", As: "manager", Method: "GET", Path: "/api/v1/reports/seizures-by-category/result", Status: 404},
		{Name: "for a list too", As: "manager", Method: "GET", Path: "/api/v1/reports/seizure-list/result", Status: 404},
		{Name: "nor its definition", As: "manager", Method: "GET", Path: "/api/v1/reports/seizure-list", Status: 404},
		{Name: "nor in the list", As: "manager", Method: "GET", Path: "/api/v1/reports", Status: 200, Want: []string{`"items":[]`}},
		{Name: "the supervisors still read theirs", As: "supervisor", Method: "GET", Path: "/api/v1/reports/seizures-by-category/result", Status: 200,
			Want: []string{`"category":"drugs"`}},
	})
}

type reportResult struct {
	AsOf    string `json:"asOf"`
	Params  map[string]any
	Columns []struct {
		Name, Label, Type string
		Labels            map[string]string
	}
	Rows []map[string]any
}

func result(t *testing.T, e *webtest.Env, token, path string) reportResult {
	t.Helper()
	resp, body := e.Send("GET", path, token, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	var r reportResult
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return r
}
