package api_test

import (
	"archive/zip"
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"cop/platform/malware"
	"cop/platform/testenv"
	"cop/platform/web"
	"cop/platform/web/webtest"
)

// evidenceForm takes a file of any type at /evidence.
const evidenceForm = `{"name": "seizure-evidence", "version": "1.0.0", "title": "Seizure evidence",
	"schema": {"type": "object", "required": ["note"], "properties": {"note": {"type": "string", "title": "Note"},
		"evidence": {"type": "string", "format": "cop-file", "title": "Evidence"},
		"report": {"type": "string", "format": "cop-file", "contentMediaType": "application/pdf", "title": "Report"}}}}`

var evidenceField = map[string]string{"form": "seizure-evidence", "field": "/evidence"}

func scanEnv(t *testing.T, opts ...func(*webtest.Option)) *webtest.Env {
	t.Helper()
	e := webtest.New(t, opts...)
	e.Must(201, "POST", "/api/v1/forms", e.Token("author"), evidenceForm, nil)
	return e
}

func storedFiles(e *webtest.Env) int {
	e.T.Helper()
	var n int
	if err := e.Pool.QueryRow(context.Background(), `SELECT count(*) FROM files`).Scan(&n); err != nil {
		e.T.Fatal(err)
	}
	return n
}

// The EICAR test file uploaded through the API is refused at /file with
// the virus's name, audited with its signature, and not kept; a clean
// file is accepted, marked clean and downloadable.
func TestAVirusIsRefusedACleanFileKept(t *testing.T) {
	e := scanEnv(t)
	officer := e.Token("officer")
	resp, body := e.Upload(officer, evidenceField, "invoice.com", "application/octet-stream", malware.EICAR())
	p := webtest.ProblemOf(t, resp, body, 422)
	if len(p.Errors) != 1 || p.Errors[0].Pointer != "/file" ||
		p.Errors[0].Message != "The selected file contains a virus (Eicar-Test-Signature) and has not been kept" {
		t.Fatalf("refusal %+v", p.Errors)
	}
	// Posing as a PDF for a question that takes PDFs alone, it is still
	// refused as a virus, and audited as one, not merely as the wrong type.
	resp, body = e.Upload(officer, map[string]string{"form": "seizure-evidence", "field": "/report"}, "report.pdf", "application/pdf", malware.EICAR())
	if p := webtest.ProblemOf(t, resp, body, 422); len(p.Errors) != 1 || !strings.Contains(p.Errors[0].Message, "contains a virus (Eicar-Test-Signature)") {
		t.Fatalf("EICAR as a PDF: %+v", p.Errors)
	}
	if n := storedFiles(e); n != 0 {
		t.Errorf("%d files stored after a virus", n)
	}
	audited := 0
	for _, r := range e.AuditRows() {
		if r.Action == "file.upload" && r.Outcome == "rejected" && r.Actor != "" && strings.Contains(string(r.Detail), `"signature": "Eicar-Test-Signature"`) {
			audited++
		}
	}
	if audited != 2 {
		t.Errorf("%d rejected file.upload rows with the signature, want 2: %+v", audited, e.AuditRows())
	}

	resp, body = e.Upload(officer, evidenceField, "statement.txt", "text/plain", []byte("I saw the bags loaded at 14:05.\n"))
	if resp.StatusCode != 201 || !strings.Contains(body, `"scan":"clean"`) {
		t.Fatalf("a clean file: %d %s", resp.StatusCode, body)
	}
	id := webtest.JSONString(t, body, "id")
	resp, body = e.Do(nil, "GET", "/api/v1/files/"+id, officer, nil)
	if resp.StatusCode != 200 || body != "I saw the bags loaded at 14:05.\n" || resp.Header.Get("X-Virus-Scan") != "clean" {
		t.Fatalf("download: %d %q scan %q", resp.StatusCode, body, resp.Header.Get("X-Virus-Scan"))
	}
}

// clamd stopped: the upload is refused with "try again" (503) and nothing
// is stored; it is never accepted unscanned.
func TestAStoppedScannerRefusesUploads(t *testing.T) {
	e := scanEnv(t, webtest.WithDeps(func(d *web.Deps) {
		d.Cases.Scanner = &malware.Clamd{Address: testenv.HangUp(t), Timeout: 2 * time.Second}
	}))
	resp, body := e.Upload(e.Token("officer"), evidenceField, "statement.txt", "text/plain", []byte("a clean statement"))
	p := webtest.ProblemOf(t, resp, body, 503)
	if p.Detail != "The file could not be checked for viruses just now; try again" {
		t.Errorf("detail %q", p.Detail)
	}
	if n := storedFiles(e); n != 0 {
		t.Errorf("%d files stored unscanned", n)
	}
}

// Archives the scanner cannot be trusted with are refused with the reason.
func TestArchivesAreRefusedWithTheReason(t *testing.T) {
	e := scanEnv(t)
	officer := e.Token("officer")
	for _, tc := range []struct {
		name string
		fill func(*zip.Writer)
		want string
	}{
		{"password-protected", func(w *zip.Writer) {
			fw, _ := w.CreateRaw(&zip.FileHeader{Name: "ledger.csv", Method: zip.Store, Flags: 0x1, CompressedSize64: 40, UncompressedSize64: 28})
			_, _ = fw.Write(bytes.Repeat([]byte{0xa7}, 40))
		}, "The selected file is password-protected, so it cannot be checked for viruses"},
		{"declaring 8 GiB unpacked", func(w *zip.Writer) {
			fw, _ := w.CreateRaw(&zip.FileHeader{Name: "huge.bin", Method: zip.Deflate, CompressedSize64: 1024, UncompressedSize64: 8 << 30})
			_, _ = fw.Write(make([]byte, 1024))
		}, "The selected file unpacks to more than 100 MB; an archive may unpack to at most 100 MB"},
	} {
		var b bytes.Buffer
		w := zip.NewWriter(&b)
		tc.fill(w)
		_ = w.Close()
		resp, body := e.Upload(officer, evidenceField, "evidence.zip", "application/zip", b.Bytes())
		p := webtest.ProblemOf(t, resp, body, 422)
		if len(p.Errors) != 1 || p.Errors[0].Pointer != "/file" || p.Errors[0].Message != tc.want {
			t.Errorf("%s: %+v, want %q", tc.name, p.Errors, tc.want)
		}
	}
	if n := storedFiles(e); n != 0 {
		t.Errorf("%d files stored", n)
	}
}

// Two uploads released together, EICAR and a clean file: each gets its
// own answer.
func TestUploadsAtOnceEachGetTheirVerdict(t *testing.T) {
	e := scanEnv(t)
	officer := e.Token("officer")
	request := func(name string, content []byte) *http.Request {
		body, ct := webtest.MultipartFile(evidenceField, name, "application/octet-stream", content)
		req, _ := http.NewRequest("POST", e.Base+"/api/v1/files", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+officer)
		req.Header.Set("Content-Type", ct)
		return req
	}
	got := e.Race(request("eicar.com", malware.EICAR()), request("clean.txt", []byte("clean")), request("eicar2.com", malware.EICAR()))
	if got[0].Status != 422 || !strings.Contains(got[0].Body, "Eicar-Test-Signature") || got[2].Status != 422 {
		t.Errorf("EICAR: %d %s / %d", got[0].Status, got[0].Body, got[2].Status)
	}
	if got[1].Status != 201 || !strings.Contains(got[1].Body, `"scan":"clean"`) {
		t.Errorf("clean: %d %s", got[1].Status, got[1].Body)
	}
	if n := storedFiles(e); n != 1 {
		t.Errorf("%d files stored, want the clean one", n)
	}
}

// A file stored before scanning existed stays downloadable, marked not
// yet scanned; the background scan marks it clean, or withholds it (410)
// and audits it when it carries a virus.
func TestFilesStoredBeforeScanning(t *testing.T) {
	ctx := context.Background()
	e := scanEnv(t)
	officer := e.Token("officer")
	upload := func(name string) string {
		resp, body := e.Upload(officer, evidenceField, name, "text/plain", []byte("placeholder"))
		if resp.StatusCode != 201 {
			t.Fatalf("upload: %d %s", resp.StatusCode, body)
		}
		return webtest.JSONString(t, body, "id")
	}
	old, infected := upload("old.txt"), upload("old-infected.txt")
	// As the migration left the rows already there; one of them infected.
	if _, err := e.Pool.Exec(ctx, `UPDATE files SET scan = 'pending', scanned_at = NULL`); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Pool.Exec(ctx, `UPDATE files SET content = $2 WHERE id = $1`, infected, malware.EICAR()); err != nil {
		t.Fatal(err)
	}
	resp, body := e.Do(nil, "GET", "/api/v1/files/"+old, officer, nil)
	if resp.StatusCode != 200 || body != "placeholder" || resp.Header.Get("X-Virus-Scan") != "not yet scanned" {
		t.Fatalf("a pending file: %d %q scan %q", resp.StatusCode, body, resp.Header.Get("X-Virus-Scan"))
	}

	n, err := e.Srv.Deps().Cases.ScanPending(ctx, 50)
	if err != nil || n.Clean != 1 || n.Infected != 1 {
		t.Fatalf("background scan: %+v %v", n, err)
	}
	if resp, _ := e.Do(nil, "GET", "/api/v1/files/"+old, officer, nil); resp.StatusCode != 200 || resp.Header.Get("X-Virus-Scan") != "clean" {
		t.Errorf("after the scan: %d %q", resp.StatusCode, resp.Header.Get("X-Virus-Scan"))
	}
	resp, body = e.Do(nil, "GET", "/api/v1/files/"+infected, officer, nil)
	p := webtest.ProblemOf(t, resp, body, 410)
	if !strings.Contains(p.Detail, "contains a virus (Eicar-Test-Signature) and is withheld") || strings.Contains(body, "EICAR-STANDARD") {
		t.Errorf("the infected file: %s", body)
	}
	if resp, _ := e.Do(nil, "GET", "/api/v1/files/"+infected, e.Token("officer-dover"), nil); resp.StatusCode != 404 {
		t.Errorf("to someone who could never read it: %d, want 404", resp.StatusCode)
	}
	var audited bool
	for _, r := range e.AuditRows() {
		if r.Action == "file.scan" && r.Resource == "file:"+infected && strings.Contains(string(r.Detail), "Eicar-Test-Signature") {
			audited = true
		}
	}
	if !audited {
		t.Error("no file.scan audit row for the infected file")
	}
	// It cannot be put in a submission either.
	resp, body = e.Send("POST", "/api/v1/forms/seizure-evidence/submissions", officer, map[string]any{"note": "found", "evidence": infected})
	if resp.StatusCode != 422 || !strings.Contains(body, "did not pass the virus check") {
		t.Errorf("submitting the infected file: %d %s", resp.StatusCode, body)
	}
}
