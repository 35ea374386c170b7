package api_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"cop/platform/web/webtest"
)

// A grey-IT seizure log through the API, as a migration team would take
// it: the proposed form and its report, the form published, the log's
// history imported once (a second import adds nothing), and what is
// refused.
func TestSpreadsheetImportScenarios(t *testing.T) {
	e := webtest.New(t)
	log, err := os.ReadFile("../../../forms/imports/testdata/seizure-log.csv")
	if err != nil {
		t.Fatal(err)
	}
	infer, inferType := webtest.MultipartFile(map[string]string{"name": "seizure-log"}, "seizure-log.csv", "text/csv", log)
	author := e.Token("author")
	resp, body := e.Do(nil, "POST", "/api/v1/imports/spreadsheet?dryRun=true", author, strings.NewReader(infer), "Content-Type", inferType)
	if resp.StatusCode != 200 {
		t.Fatalf("infer: %d %s", resp.StatusCode, body)
	}
	var proposed struct {
		Definition json.RawMessage
		Report     []struct{ Where, Why string }
		Rows       int
	}
	if err := json.Unmarshal([]byte(body), &proposed); err != nil {
		t.Fatal(err)
	}
	if proposed.Rows != 365 || len(proposed.Report) != 5 || proposed.Report[0].Where != "seizure-log.csv row 42, column B" {
		t.Fatalf("rows %d, report %+v", proposed.Rows, proposed.Report)
	}
	// Nothing was stored by the dry run; the author publishes it.
	e.Must(404, "GET", "/api/v1/forms/seizure-log", author, nil, nil)
	e.Must(201, "POST", "/api/v1/forms", author, string(proposed.Definition), nil)

	history := func(fields map[string]string) (string, string) {
		return webtest.MultipartFile(fields, "seizure-log.csv", "text/csv", log)
	}
	good, goodType := history(map[string]string{"form": "seizure-log", "submittedBy": "Seizing officer", "submittedAt": "recorded AT"})
	noColumn, noColumnType := history(map[string]string{"form": "seizure-log", "submittedBy": "Seizing officer", "submittedAt": "When"})
	unknownForm, unknownFormType := history(map[string]string{"form": "no-such-form", "submittedBy": "Seizing officer", "submittedAt": "Recorded at"})
	ragged, raggedType := webtest.MultipartFile(map[string]string{"name": "bad"}, "bad.csv", "text/csv", []byte("a,b\n1\n"))
	raggedHistory, raggedHistoryType := webtest.MultipartFile(map[string]string{"form": "seizure-log", "submittedBy": "a", "submittedAt": "b"}, "bad.csv", "text/csv", []byte("a,b\n1\n"))
	e.Scenarios(t, []webtest.Scenario{
		{Name: "an officer may not import", As: "officer", Method: "POST", Path: "/api/v1/imports/spreadsheet", Body: infer,
			Header: []string{"Content-Type", inferType}, Status: 403},
		{Name: "an import never stores", As: "author", Method: "POST", Path: "/api/v1/imports/spreadsheet?dryRun=false", Body: infer,
			Header: []string{"Content-Type", inferType}, Status: 400},
		{Name: "a file that cannot be read", As: "author", Method: "POST", Path: "/api/v1/imports/spreadsheet", Body: ragged,
			Header: []string{"Content-Type", raggedType}, Status: 422, Pointers: []string{"/file"}, Want: []string{"bad.csv row 2 has 1 cells"}},
		{Name: "sent as JSON", As: "author", Method: "POST", Path: "/api/v1/imports/spreadsheet", Body: "{}", Status: 415},
		{Name: "a history column that does not exist", As: "author", Method: "POST", Path: "/api/v1/imports/spreadsheet/history", Body: noColumn,
			Header: []string{"Content-Type", noColumnType}, Status: 422, Pointers: []string{"/submittedAt"}, Want: []string{`\"When\" is not a column header of seizure-log.csv`}},
		{Name: "a history file that cannot be read", As: "author", Method: "POST", Path: "/api/v1/imports/spreadsheet/history", Body: raggedHistory,
			Header: []string{"Content-Type", raggedHistoryType}, Status: 422, Pointers: []string{"/file"}},
		{Name: "the history of a form that is not there", As: "author", Method: "POST", Path: "/api/v1/imports/spreadsheet/history", Body: unknownForm,
			Header: []string{"Content-Type", unknownFormType}, Status: 404},
		{Name: "an officer may not import history", As: "officer", Method: "POST", Path: "/api/v1/imports/spreadsheet/history", Body: good,
			Header: []string{"Content-Type", goodType}, Status: 403},
		{Name: "the form's author imports its history", As: "author", Method: "POST", Path: "/api/v1/imports/spreadsheet/history", Body: good,
			Header: []string{"Content-Type", goodType}, Status: 200, Want: []string{`"imported":360`, `"alreadyImported":0`, `"rows":365`, `"row":42`, `"where":"seizure-log.csv row 42, column B"`}},
		{Name: "importing it again adds nothing", As: "author", Method: "POST", Path: "/api/v1/imports/spreadsheet/history", Body: good,
			Header: []string{"Content-Type", goodType}, Status: 200, Want: []string{`"imported":0`, `"alreadyImported":360`}},
	})
	var n int
	if err := e.Pool.QueryRow(t.Context(), `SELECT count(*) FROM submissions WHERE form_name = 'seizure-log'`).Scan(&n); err != nil || n != 360 {
		t.Errorf("%d submissions stored (%v), want 360", n, err)
	}
	// Each is marked as imported, with where it came from.
	var row2 string
	if err := e.Pool.QueryRow(t.Context(), `SELECT submission_id::text FROM submission_imports WHERE row_number = 2`).Scan(&row2); err != nil {
		t.Fatal(err)
	}
	if got := e.Must(200, "GET", "/api/v1/submissions/"+row2, e.Token("admin"), nil, nil); !strings.Contains(got, `"imported":{`) ||
		!strings.Contains(got, `"file":"seizure-log.csv"`) || !strings.Contains(got, `"row":2`) || !strings.Contains(got, `"submittedBy":"E. Evans"`) {
		t.Errorf("row 2's submission: %s", got)
	}
	// Text a spreadsheet would take for a formula is kept as text.
	var formulas int
	if err := e.Pool.QueryRow(t.Context(), `SELECT count(*) FROM submissions WHERE form_name = 'seizure-log' AND data->>'notes' = '=HYPERLINK("http://evil.example")'`).Scan(&formulas); err != nil || formulas == 0 {
		t.Errorf("no note kept as the formula-like text it was (%d, %v)", formulas, err)
	}
	// The inferred form is usable by an officer, like any other.
	e.Must(201, "POST", "/api/v1/forms/seizure-log/submissions", e.Token("officer"), `{"ref": "SL-0366", "dateOfSeizure": "2026-12-01",
		"port": "Dover", "category": "Cash", "goodsDescription": "Cash in a suitcase lining", "quantity": 1, "value": 12000,
		"referredToPolice": false, "seizingOfficer": "A. Patel", "recordedAt": "01/12/2026 09:00"}`, nil)
}

// An XLSForm through the API: the form it describes, or why it is not one.
func TestXLSFormImportScenarios(t *testing.T) {
	e := webtest.New(t)
	book := func(t *testing.T, sheets map[string][][]any) []byte {
		x := excelize.NewFile()
		first := true
		for name, rows := range sheets {
			if first {
				_ = x.SetSheetName("Sheet1", name)
				first = false
			} else {
				_, _ = x.NewSheet(name)
			}
			for r, row := range rows {
				cell, _ := excelize.CoordinatesToCellName(1, r+1)
				if err := x.SetSheetRow(name, cell, &row); err != nil {
					t.Fatal(err)
				}
			}
		}
		var buf bytes.Buffer
		_ = x.Write(&buf)
		return buf.Bytes()
	}
	good, goodType := webtest.MultipartFile(nil, "visit.xlsx", "application/octet-stream", book(t, map[string][][]any{
		"survey":   {{"type", "name", "label", "required"}, {"text", "port", "Port", "yes"}, {"geopoint", "where", "Where", ""}},
		"settings": {{"form_title", "form_id"}, {"Port visit", "port_visit"}},
	}))
	noSurvey, noSurveyType := webtest.MultipartFile(nil, "visit.xlsx", "application/octet-stream", book(t, map[string][][]any{"Questions": {{"type"}}}))
	e.Scenarios(t, []webtest.Scenario{
		{Name: "an author imports an XLSForm", As: "author", Method: "POST", Path: "/api/v1/imports/xlsform?dryRun=true", Body: good,
			Header: []string{"Content-Type", goodType}, Status: 200,
			Want: []string{`"name":"port-visit"`, `"title":"Port visit"`, `"where":"survey!A3"`, `question type \"geopoint\" is not translated`}},
		{Name: "a workbook without a survey sheet", As: "author", Method: "POST", Path: "/api/v1/imports/xlsform", Body: noSurvey,
			Header: []string{"Content-Type", noSurveyType}, Status: 422, Pointers: []string{"/file"}, Want: []string{"has no survey sheet"}},
		{Name: "an officer may not import", As: "officer", Method: "POST", Path: "/api/v1/imports/xlsform", Body: good,
			Header: []string{"Content-Type", goodType}, Status: 403},
	})
}

// A Form.io form and a BPMN process from COP's first generation through
// the API: each proposal is published as it is (the forms, then the
// workflow naming them), and what cannot be read is refused at /file.
func TestLegacyImportScenarios(t *testing.T) {
	e := webtest.New(t)
	author := e.Token("author")
	e.Must(201, "POST", "/api/v1/refdata", author, webtest.PortsSet, nil)
	wizard, err := os.ReadFile("../../../forms/imports/testdata/formio/cop-record-actions.json")
	if err != nil {
		t.Fatal(err)
	}
	process, err := os.ReadFile("../../../workflows/imports/testdata/cop/seizure-review.bpmn")
	if err != nil {
		t.Fatal(err)
	}
	formio, formioType := webtest.MultipartFile(nil, "record-actions.json", "application/json", wizard)
	portSelect := `{"title": "Arrival", "components": [{"type": "select", "key": "port", "label": "Port", "input": true, "dataSrc": "url",
		"data": {"url": "{{data.environmentContext.referenceDataUrl}}/v2/entities/uk-ports"}}]}`
	ports, portsType := webtest.MultipartFile(map[string]string{"name": "arrival"}, "arrival.json", "application/json", []byte(portSelect))
	broken, brokenType := webtest.MultipartFile(nil, "broken.json", "application/json", []byte("{\n  \"components\": [,]\n}"))
	badName, badNameType := webtest.MultipartFile(map[string]string{"name": "Not A Name"}, "a.json", "application/json", []byte(portSelect))
	bpmn, bpmnType := webtest.MultipartFile(nil, "seizure-review.bpmn", "application/xml", process)
	bomb := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>` +
		`<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p" isExecutable="true">&lol2;</process></definitions>`
	bombed, bombedType := webtest.MultipartFile(nil, "bomb.bpmn", "application/xml", []byte(bomb))
	e.Scenarios(t, []webtest.Scenario{
		{Name: "an author imports a Form.io wizard", As: "author", Method: "POST", Path: "/api/v1/imports/formio", Body: formio,
			Header: []string{"Content-Type", formioType}, Status: 200,
			Want: []string{`"name":"perform-intel-action-mvp"`, `"id":"details-of-the-action"`, `record-actions.json $.components[1].components[3] (outgoingProductReference)`}},
		{Name: "a URL select becomes the reference data COP has", As: "author", Method: "POST", Path: "/api/v1/imports/formio", Body: ports,
			Header: []string{"Content-Type", portsType}, Status: 200, Want: []string{`"name":"arrival"`, `"refdata":"uk-ports"`, `"report":[]`}},
		{Name: "JSON that does not parse", As: "author", Method: "POST", Path: "/api/v1/imports/formio", Body: broken,
			Header: []string{"Content-Type", brokenType}, Status: 422, Pointers: []string{"/file"}, Want: []string{"broken.json line 2 column"}},
		{Name: "a name that is no form name", As: "author", Method: "POST", Path: "/api/v1/imports/formio", Body: badName,
			Header: []string{"Content-Type", badNameType}, Status: 422, Pointers: []string{"/name"}},
		{Name: "an import is only a dry run", As: "author", Method: "POST", Path: "/api/v1/imports/formio?dryRun=false", Body: ports,
			Header: []string{"Content-Type", portsType}, Status: 400},
		{Name: "an officer may not import a form", As: "officer", Method: "POST", Path: "/api/v1/imports/formio", Body: ports,
			Header: []string{"Content-Type", portsType}, Status: 403},
		{Name: "XML entities are refused", As: "author", Method: "POST", Path: "/api/v1/imports/bpmn", Body: bombed,
			Header: []string{"Content-Type", bombedType}, Status: 422, Pointers: []string{"/file"}, Want: []string{"bomb.bpmn", "entit"}},
		{Name: "an officer may not import a process", As: "officer", Method: "POST", Path: "/api/v1/imports/bpmn", Body: bpmn,
			Header: []string{"Content-Type", bpmnType}, Status: 403},
	})

	// The process's proposal publishes: its forms, then the workflow.
	resp, body := e.Do(nil, "POST", "/api/v1/imports/bpmn", author, strings.NewReader(bpmn), "Content-Type", bpmnType)
	if resp.StatusCode != 200 {
		t.Fatalf("import the process: %d %s", resp.StatusCode, body)
	}
	var got struct {
		Name     string
		Workflow string
		Forms    []struct {
			Name       string
			Definition json.RawMessage
			Stub       bool
		}
		Report []struct{ Where, Why string }
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Forms) != 2 || got.Forms[0].Stub || !got.Forms[1].Stub || got.Forms[1].Name != "arrange-destruction" {
		t.Errorf("forms %+v", got.Forms)
	}
	var where []string
	for _, it := range got.Report {
		where = append(where, it.Where)
	}
	if !strings.Contains(strings.Join(where, "\n"), "seizure-review.bpmn: Task_notify") {
		t.Errorf("the report does not name the Java service task:\n%s", strings.Join(where, "\n"))
	}
	for _, f := range got.Forms {
		if resp, body := e.Send("POST", "/api/v1/forms", author, string(f.Definition)); resp.StatusCode != 201 {
			t.Fatalf("publish form %s: %d %s", f.Name, resp.StatusCode, body)
		}
	}
	if resp, body := e.PublishYAML(author, got.Workflow); resp.StatusCode != 201 {
		t.Fatalf("publish the workflow: %d %s\n%s", resp.StatusCode, body, got.Workflow)
	}
}
