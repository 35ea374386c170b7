package pages_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"cop/platform/malware"
	"cop/platform/testenv"
	"cop/platform/web"
	"cop/platform/web/webtest"
)

// evidenceJourney signs an officer in on a server with a one-page form
// taking a note and a file of any type, and opens it: the page's path and
// its CSRF token.
func evidenceJourney(t *testing.T, opts ...func(*webtest.Option)) (*webtest.Env, func(webtest.FormFile) webtest.PageResult) {
	t.Helper()
	e := webtest.New(t, opts...)
	e.Must(201, "POST", "/api/v1/forms", e.Token("author"), `{"name": "seizure-evidence", "version": "1.0.0", "title": "Seizure evidence",
		"schema": {"type": "object", "required": ["note"], "properties": {"note": {"type": "string", "title": "Note"},
			"evidence": {"type": "string", "format": "cop-file", "title": "Evidence"}}}}`, nil)
	b := e.Browser()
	e.SignIn(b, "officer").Body.Close()
	start := e.Get(b, "/forms/seizure-evidence")
	first := e.Post(b, "/forms/seizure-evidence/start", url.Values{"csrf": {webtest.CSRF(t, start.Body)}})
	if first.Status != 200 || !strings.Contains(first.Body, "Evidence") {
		t.Fatalf("first page: %d %s", first.Status, first.Path)
	}
	token := webtest.CSRF(t, first.Body)
	return e, func(f webtest.FormFile) webtest.PageResult {
		return e.Post(b, first.Path, url.Values{"csrf": {token}, "action": {"continue"}, "/note": {"bagged and sealed"}}, f)
	}
}

// An officer choosing the EICAR test file on the form's page is told it
// carries a virus, at the question, and nothing is kept; a clean file
// takes them on.
func TestThePageRefusesAVirus(t *testing.T) {
	e, post := evidenceJourney(t)
	r := post(webtest.FormFile{Field: "/evidence", Name: "invoice.com", ContentType: "application/octet-stream", Content: malware.EICAR()})
	want := "The selected file contains a virus (Eicar-Test-Signature) and has not been kept"
	if r.Status != 422 || !strings.Contains(r.Body, want) || !strings.Contains(r.Body, "#f-evidence") {
		t.Fatalf("EICAR on the page: %d %v", r.Status, errorSummary(r.Body))
	}
	var n int
	if err := e.Pool.QueryRow(t.Context(), `SELECT count(*) FROM files`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d files stored (%v)", n, err)
	}
	ok := post(webtest.FormFile{Field: "/evidence", Name: "statement.txt", ContentType: "text/plain", Content: []byte("I saw it.")})
	if ok.Status != 200 || !strings.HasSuffix(ok.Path, "/check") {
		t.Fatalf("a clean file: %d %s %v", ok.Status, ok.Path, errorSummary(ok.Body))
	}
}

// With clamd stopped the officer is asked to try again; nothing is kept.
func TestThePageAsksToTryAgainWhenTheScannerIsDown(t *testing.T) {
	e, post := evidenceJourney(t, webtest.WithDeps(func(d *web.Deps) {
		d.Cases.Scanner = &malware.Clamd{Address: testenv.HangUp(t), Timeout: 2 * time.Second}
	}))
	r := post(webtest.FormFile{Field: "/evidence", Name: "statement.txt", ContentType: "text/plain", Content: []byte("I saw it.")})
	if r.Status != 422 || !strings.Contains(r.Body, "could not be checked for viruses just now; try again") || !strings.Contains(r.Body, "#f-evidence") {
		t.Fatalf("scanner down: %d %v", r.Status, errorSummary(r.Body))
	}
	var n int
	if err := e.Pool.QueryRow(t.Context(), `SELECT count(*) FROM files`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d files stored unscanned (%v)", n, err)
	}
}

// A file stored before uploads were scanned reads on the case page tagged
// "not yet scanned" (in the page's language) until the background scan
// reaches it.
func TestAFileNotYetScannedIsTaggedOnTheCasePage(t *testing.T) {
	e, _ := evidenceJourney(t)
	officer := e.Token("officer")
	resp, body := e.Upload(officer, map[string]string{"form": "seizure-evidence", "field": "/evidence"}, "statement.txt", "text/plain", []byte("I saw it."))
	if resp.StatusCode != 201 {
		t.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	var file struct{ ID string }
	if err := json.Unmarshal([]byte(body), &file); err != nil {
		t.Fatal(err)
	}
	var sub webtest.Submission
	e.Must(201, "POST", "/api/v1/forms/seizure-evidence/submissions", officer, map[string]any{"note": "n", "evidence": file.ID}, &sub)
	// As if stored before scanning existed.
	if _, err := e.Pool.Exec(t.Context(), `UPDATE files SET scan = 'pending', scanned_at = NULL WHERE id = $1`, file.ID); err != nil {
		t.Fatal(err)
	}
	b := e.Browser()
	e.SignIn(b, "officer").Body.Close()
	page := e.Get(b, "/cases/"+sub.BusinessKey)
	mustContain(t, "the case page", page.Body, `/api/v1/files/`+file.ID, "not yet scanned")
	mustContain(t, "the case page in Welsh", e.Get(b, "/cases/"+sub.BusinessKey+"?lang=cy").Body, "heb ei sganio eto")
	if _, err := e.Srv.Deps().Cases.ScanPending(t.Context(), 10); err != nil {
		t.Fatal(err)
	}
	if again := e.Get(b, "/cases/"+sub.BusinessKey+"?lang=en"); strings.Contains(again.Body, "not yet scanned") {
		t.Error("still tagged after the scan")
	}
}
