package pages_test

import (
	"bytes"
	"html"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"cop/platform/web/webtest"
)

// An author imports a team's seizure log on /author/import: the page lists
// what could not be mapped, cell by cell, and proposes the form, which
// goes on to the form upload's check (and from there to preview and
// publish); nothing is stored on the way. What cannot be read is said at
// its field; an officer has no such page.
func TestImportASpreadsheetPage(t *testing.T) {
	e := webtest.New(t)
	author := e.Browser()
	e.SignIn(author, "author").Body.Close()
	officer := e.Browser()
	e.SignIn(officer, "officer").Body.Close()
	log, err := os.ReadFile("../../../forms/imports/testdata/seizure-log.csv")
	if err != nil {
		t.Fatal(err)
	}
	page := e.Get(author, "/author/import")
	csrf := webtest.CSRF(t, page.Body)
	if page.Status != 200 || !strings.Contains(e.Get(author, "/author").Body, `href="/author/import"`) {
		t.Fatalf("the import page: %d, or /author does not link it", page.Status)
	}
	sheet := webtest.FormFile{Field: "file", Name: "seizure-log.csv", ContentType: "text/csv", Content: log}

	imported := e.Post(author, "/author/import", url.Values{"csrf": {csrf}, "name": {"seizure-log"}}, sheet)
	body := text(imported.Body)
	for _, want := range []string{"seizure-log.csv: 12 questions from 365 rows. Nothing is stored yet.", "What the import could not map",
		`seizure-log.csv row 42, column B "31/02/2026" is not a date like the rest of "Date of seizure"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the import page lacks %q: %s", want, body)
		}
	}
	if imported.Status != 200 || !strings.Contains(imported.Body, `action="/author/upload/forms"`) {
		t.Fatalf("import: %d", imported.Status)
	}
	if resp, _ := e.Send("GET", "/api/v1/forms/seizure-log", e.Token("author"), nil); resp.StatusCode != 404 {
		t.Errorf("the import stored the form: %d", resp.StatusCode)
	}
	// Check the form: the proposal goes through the upload's dry run to
	// its own page, from which the author previews and publishes it.
	m := regexp.MustCompile(`(?s)<textarea[^>]*name="text"[^>]*>(.*?)</textarea>`).FindStringSubmatch(imported.Body)
	if m == nil {
		t.Fatal("no proposed definition on the page")
	}
	checked := e.Post(author, "/author/upload/forms", url.Values{"csrf": {csrf}, "text": {html.UnescapeString(strings.TrimPrefix(m[1], "\n"))}, "filename": {"seizure-log.json"}})
	if checked.Status != 200 || !strings.Contains(text(checked.Body), "seizure-log") || !strings.Contains(checked.Body, "/publish") {
		t.Errorf("checking the proposed form: %d %s", checked.Status, text(checked.Body))
	}

	for _, tc := range []struct {
		name   string
		fields url.Values
		files  []webtest.FormFile
		want   string
	}{
		{"no file", url.Values{"name": {"x"}}, nil, "Choose the file to import"},
		{"no name", url.Values{}, []webtest.FormFile{sheet}, "Enter a name for the form, like seizure-log"},
		{"a ragged CSV", url.Values{"name": {"x"}}, []webtest.FormFile{{Field: "file", Name: "bad.csv", ContentType: "text/csv", Content: []byte("a,b\n1\n")}},
			"bad.csv row 2 has 1 cells where the header row has 2"},
		{"not a workbook", url.Values{"name": {"x"}}, []webtest.FormFile{{Field: "file", Name: "bad.xlsx", ContentType: "application/octet-stream", Content: []byte("hello")}},
			"bad.xlsx is not an .xlsx workbook"},
		{"a bad name", url.Values{"name": {"Bad Name"}}, []webtest.FormFile{sheet}, `Form name "Bad Name"`},
	} {
		tc.fields.Set("csrf", csrf)
		page := e.Post(author, "/author/import", tc.fields, tc.files...)
		if page.Status != 422 || !strings.Contains(text(page.Body), "There is a problem") || !strings.Contains(text(page.Body), tc.want) {
			t.Errorf("%s: %d %s", tc.name, page.Status, text(page.Body))
		}
	}
	// An XLSForm: its settings name the form.
	x := excelize.NewFile()
	_ = x.SetSheetName("Sheet1", "survey")
	for r, row := range [][]any{{"type", "name", "label"}, {"text", "port", "Port"}, {"geopoint", "where", "Where"}} {
		cell, _ := excelize.CoordinatesToCellName(1, r+1)
		_ = x.SetSheetRow("survey", cell, &row)
	}
	_, _ = x.NewSheet("settings")
	_ = x.SetSheetRow("settings", "A1", &[]any{"form_id", "form_title"})
	_ = x.SetSheetRow("settings", "A2", &[]any{"port_visit", "Port visit"})
	var book bytes.Buffer
	_ = x.Write(&book)
	xls := e.Post(author, "/author/import", url.Values{"csrf": {csrf}, "kind": {"xlsform"}},
		webtest.FormFile{Field: "file", Name: "visit.xlsx", ContentType: "application/octet-stream", Content: book.Bytes()})
	if body := text(xls.Body); xls.Status != 200 || !strings.Contains(body, "visit.xlsx: 1 question. Nothing is stored yet.") ||
		!strings.Contains(body, `survey!A3 question type "geopoint" is not translated`) || !strings.Contains(xls.Body, "port-visit") {
		t.Errorf("an XLSForm: %d %s", xls.Status, body)
	}
	if page := e.Post(author, "/author/import", url.Values{"csrf": {csrf}, "kind": {"pdf"}, "name": {"x"}}, sheet); page.Status != 422 ||
		!strings.Contains(text(page.Body), "Choose what the file is") {
		t.Errorf("another kind: %d", page.Status)
	}
	if page := e.Get(officer, "/author/import"); page.Status != 404 {
		t.Errorf("an officer's /author/import: %d", page.Status)
	}
}

// A Form.io wizard and a BPMN process on /author/import: the form it
// proposes, or the workflow with a check form for each form it needs (a
// stand-in marked so), and the report; a file that is not BPMN is
// refused at its field.
func TestImportFormioAndBPMNPages(t *testing.T) {
	e := webtest.New(t)
	author := e.Browser()
	e.SignIn(author, "author").Body.Close()
	csrf := webtest.CSRF(t, e.Get(author, "/author/import").Body)
	wizard, err := os.ReadFile("../../../forms/imports/testdata/formio/cop-record-actions.json")
	if err != nil {
		t.Fatal(err)
	}
	process, err := os.ReadFile("../../../workflows/imports/testdata/cop/seizure-review.bpmn")
	if err != nil {
		t.Fatal(err)
	}
	fio := e.Post(author, "/author/import", url.Values{"csrf": {csrf}, "kind": {"formio"}},
		webtest.FormFile{Field: "file", Name: "actions.json", ContentType: "application/json", Content: wizard})
	body := text(fio.Body)
	if fio.Status != 200 || !strings.Contains(body, "Nothing is stored yet.") || !strings.Contains(body, `actions.json $.components[1].components[3] (outgoingProductReference)`) ||
		!strings.Contains(fio.Body, `value="perform-intel-action-mvp.json"`) {
		t.Errorf("a Form.io wizard: %d %s", fio.Status, body)
	}

	bp := e.Post(author, "/author/import", url.Values{"csrf": {csrf}, "kind": {"bpmn"}},
		webtest.FormFile{Field: "file", Name: "seizure-review.bpmn", ContentType: "application/xml", Content: process})
	body = text(bp.Body)
	for _, want := range []string{"The forms its tasks need", "arrange-destruction Stand-in", "The workflow it proposes", "seizure-review.bpmn: Task_notify"} {
		if !strings.Contains(body, want) {
			t.Errorf("the BPMN import lacks %q: %s", want, body)
		}
	}
	if bp.Status != 200 || strings.Count(bp.Body, `action="/author/upload/forms"`) != 2 || !strings.Contains(bp.Body, `action="/author/upload/workflows"`) {
		t.Fatalf("a BPMN process: %d %s", bp.Status, body)
	}
	// Each proposed form goes to the form upload's check.
	m := regexp.MustCompile(`(?s)<textarea[^>]*id="form-1"[^>]*>(.*?)</textarea>`).FindStringSubmatch(bp.Body)
	if m == nil {
		t.Fatal("no second form on the page")
	}
	checked := e.Post(author, "/author/upload/forms", url.Values{"csrf": {csrf}, "text": {html.UnescapeString(strings.TrimPrefix(m[1], "\n"))}, "filename": {"arrange-destruction.json"}})
	if checked.Status != 200 || !strings.Contains(checked.Body, "/publish") {
		t.Errorf("checking the stand-in form: %d %s", checked.Status, text(checked.Body))
	}

	bad := e.Post(author, "/author/import", url.Values{"csrf": {csrf}, "kind": {"bpmn"}},
		webtest.FormFile{Field: "file", Name: "notes.bpmn", ContentType: "application/xml", Content: []byte("<notes><note>hi</note></notes>")})
	if bad.Status != 422 || !strings.Contains(text(bad.Body), "notes.bpmn") || !strings.Contains(bad.Body, `href="#file"`) {
		t.Errorf("not BPMN: %d %s", bad.Status, text(bad.Body))
	}
}
