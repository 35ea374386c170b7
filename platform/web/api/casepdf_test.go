package api_test

import (
	"crypto/sha256"
	"encoding/hex"
	"html"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"cop/platform/web/webtest"
)

// evidenceQuestion adds a file question to the arrival report.
const evidenceQuestion = `,
			"evidence": {"type": "string", "format": "cop-file", "contentMediaType": "application/pdf", "title": "Evidence found"}`

// setUpEvidenceCase is an arrival report with a file, reference data, a
// group and a conditional answer, whose review workflow a supervisor has
// claimed and completed.
func setUpEvidenceCase(t *testing.T) (*webtest.Env, webtest.Submission, string) {
	e := webtest.New(t, webtest.WithWorker)
	author, officer, supervisor := e.Token("author"), e.Token("officer"), e.Token("supervisor")
	e.Must(201, "POST", "/api/v1/refdata", author, webtest.PortsSet, nil)
	e.Must(201, "POST", "/api/v1/terms", author, webtest.PortTerm, nil)
	e.Must(201, "POST", "/api/v1/terms", author, webtest.PersonTerm, nil)
	e.Must(201, "POST", "/api/v1/forms", author, webtest.ArrivalForm("1.0.0", evidenceQuestion), nil)
	e.Must(201, "POST", "/api/v1/forms", author, webtest.ReviewForm, nil)
	if resp, body := e.PublishYAML(author, webtest.ReturnWorkflow); resp.StatusCode != 201 {
		t.Fatalf("publish: %d %s", resp.StatusCode, body)
	}
	resp, body := e.Upload(officer, map[string]string{"form": "arrival-report", "field": "/evidence"}, "evidence.pdf", "application/pdf", webtest.PDF)
	if resp.StatusCode != 201 {
		t.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	answers := map[string]any{"arrivalDate": "2026-11-20", "port": "GBDVR", "traveller": map[string]any{"fullName": "Siân Rhŷs"},
		"searched": true, "outcome": "Two undeclared cartons of cigarettes", "evidence": webtest.JSONString(t, body, "id")}
	var sub struct {
		webtest.Submission
		Instances []string
	}
	e.Must(201, "POST", "/api/v1/forms/arrival-report/submissions", officer, answers, &sub)
	review := e.WaitTask(supervisor, sub.Instances[0])
	e.Must(200, "POST", "/api/v1/tasks/"+review.ID+"/claim", supervisor, nil, nil)
	e.Must(200, "POST", "/api/v1/tasks/"+review.ID+"/complete", supervisor, map[string]any{"data": map[string]any{"outcome": "accept"}}, nil)
	e.WaitInstance(officer, sub.Instances[0], func(in webtest.InstanceBody) bool { return in.Status == "completed" })
	return e, sub.Submission, sub.Instances[0]
}

// A case's PDF, from the API and from the case page, says what the case
// page shows and what happened, and its footer's hash is the SHA-256 of the
// snapshot it names, then and after the case moves on.
func TestCasePDFMatchesTheCaseAndItsSnapshot(t *testing.T) {
	e, sub, _ := setUpEvidenceCase(t)
	officer, supervisor := e.Token("officer"), e.Token("supervisor")
	key := sub.BusinessKey

	resp, pdf := e.Do(nil, "GET", "/api/v1/cases/"+key+"/pdf", officer, nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" ||
		resp.Header.Get("Content-Disposition") != `attachment; filename="`+key+`.pdf"` || !strings.HasPrefix(pdf, "%PDF-") {
		t.Fatalf("the API's PDF: %d %v %.100q", resp.StatusCode, resp.Header, pdf)
	}
	pages := pdfText(t, []byte(pdf))
	text := strings.Join(pages, "\n")

	// The questions and answers as the case page lays them out.
	b := e.Browser()
	e.SignIn(b, "officer").Body.Close()
	page := e.Get(b, "/cases/"+key)
	if page.Status != 200 || !strings.Contains(page.Body, `href="/cases/`+key+`.pdf"`) || !strings.Contains(page.Body, "Download as PDF") {
		t.Fatalf("the case page offers no PDF: %d\n%s", page.Status, page.Body)
	}
	labels := summaryKeys(page.Body)
	if len(labels) < 6 {
		t.Fatalf("the case page shows only %v", labels)
	}
	for _, label := range labels {
		if !strings.Contains(text, label) {
			t.Errorf("the PDF lacks the question %q the case page shows", label)
		}
	}
	fileSum := sha256.Sum256(webtest.PDF)
	for _, want := range []string{"Date of arrival", "20 November 2026", "Dover", "Traveller: Full name", "Siân Rhŷs",
		"Outcome of the search", "Two undeclared cartons of cigarettes", "Evidence found", "evidence.pdf", hex.EncodeToString(fileSum[:]),
		"Arrival review", "completed", "Review the arrival report", "claimed", "dev-supervisor",
		"submission.create", "instance.start", "task.completed", "instance.end", "Page 1 of " + strconv.Itoa(len(pages))} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "GBDVR") || strings.Contains(text, "arrivalDate") {
		t.Error("the PDF shows a code or a property name where the page shows words")
	}
	for i, p := range pages {
		if !strings.Contains(p, key) || !strings.Contains(p, "Page "+strconv.Itoa(i+1)+" of ") || !strings.Contains(p, "Produced ") {
			t.Errorf("page %d lacks the footer:\n%s", i+1, p)
		}
	}

	// The footer's hash is that of the snapshot as of the row it names.
	sum, asOf := footerSnapshot(t, text)
	snapshotAt := "/api/v1/cases/" + key + "?snapshot=true&asOf=" + asOf
	resp, snap := e.Do(nil, "GET", snapshotAt, officer, nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || sha256Hex(snap) != sum ||
		resp.Header.Get("X-Snapshot-SHA256") != sum || resp.Header.Get("X-Snapshot-As-Of") != asOf {
		t.Fatalf("the snapshot as of %s: %d %v, SHA-256 %s, the footer says %s", asOf, resp.StatusCode, resp.Header, sha256Hex(snap), sum)
	}

	// The same PDF from the case page's link, with the officer's session.
	resp, fromPage := e.Do(b, "GET", "/cases/"+key+".pdf", "", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" ||
		resp.Header.Get("Content-Disposition") != `attachment; filename="`+key+`.pdf"` {
		t.Fatalf("the page's PDF: %d %v", resp.StatusCode, resp.Header)
	}
	pageText := strings.Join(pdfText(t, []byte(fromPage)), "\n")
	if pageSum, pageAsOf := footerSnapshot(t, pageText); pageSum != sum || pageAsOf != asOf || !strings.Contains(pageText, "Siân Rhŷs") {
		t.Errorf("the page's PDF is drawn from snapshot %s as of %s, the API's from %s as of %s", pageSum, pageAsOf, sum, asOf)
	}

	// The case moves on: a second report joins it, and its review is
	// claimed and completed. As of the printed row, the snapshot is the same.
	var second struct{ Instances []string }
	e.Must(201, "POST", "/api/v1/forms/arrival-report/submissions?case="+key, officer,
		map[string]any{"arrivalDate": "2026-11-21", "port": "GBSOU", "traveller": map[string]any{"fullName": "Ann Example"}, "searched": false}, &second)
	review := e.WaitTask(supervisor, second.Instances[0])
	e.Must(200, "POST", "/api/v1/tasks/"+review.ID+"/claim", supervisor, nil, nil)
	e.Must(200, "POST", "/api/v1/tasks/"+review.ID+"/complete", supervisor, map[string]any{"data": map[string]any{"outcome": "accept"}}, nil)
	e.WaitInstance(officer, second.Instances[0], func(in webtest.InstanceBody) bool { return in.Status == "completed" })
	if _, later := e.Do(nil, "GET", snapshotAt, officer, nil); sha256Hex(later) != sum {
		t.Errorf("as of %s the snapshot changed when the case moved on: %s, the PDF says %s", asOf, sha256Hex(later), sum)
	}
	_, latest := e.Do(nil, "GET", "/api/v1/cases/"+key+"?snapshot=true", officer, nil)
	if sha256Hex(latest) == sum || !strings.Contains(latest, "Southampton") && !strings.Contains(latest, "GBSOU") {
		t.Errorf("the latest snapshot does not show the second report: %.300s", latest)
	}
	// A PDF as of the printed row is drawn from the same snapshot.
	_, old := e.Do(nil, "GET", "/api/v1/cases/"+key+"/pdf?asOf="+asOf, officer, nil)
	oldText := strings.Join(pdfText(t, []byte(old)), "\n")
	if oldSum, _ := footerSnapshot(t, oldText); oldSum != sum || strings.Contains(oldText, "Southampton") {
		t.Errorf("the PDF as of %s: snapshot %s, want %s", asOf, oldSum, sum)
	}
	// ?lang=cy: COP's words in Welsh, the same answers, files and snapshot.
	_, welsh := e.Do(nil, "GET", "/api/v1/cases/"+key+"/pdf?asOf="+asOf+"&lang=cy", officer, nil)
	oldText = strings.Join(pdfText(t, []byte(welsh)), "\n")
	for _, want := range []string{"Achos " + key, "Cyflwyniadau", "Ffeiliau atodedig", "Trywydd archwilio", "Tudalen 1 o", "Ciplun SHA-256 " + sum,
		"Dover", "evidence.pdf"} {
		if !strings.Contains(oldText, want) {
			t.Errorf("the Welsh PDF lacks %q", want)
		}
	}
}

// Who may not see a case gets neither its PDF nor its snapshot, and what
// is not an audit row is refused at asOf.
func TestCasePDFScenarios(t *testing.T) {
	e := webtest.New(t)
	webtest.RegisterArrival(e, e.Token("author"))
	var sub webtest.Submission
	e.Must(201, "POST", "/api/v1/forms/arrival-report/submissions", e.Token("officer"), webtest.ValidArrival, &sub)
	key := sub.BusinessKey
	pdf, snapshot := "/api/v1/cases/"+key+"/pdf", "/api/v1/cases/"+key+"?snapshot=true"
	e.Scenarios(t, []webtest.Scenario{
		{Name: "the submitter's PDF", As: "officer", Method: "GET", Path: pdf, Status: 200, Want: []string{"%PDF-"}},
		{Name: "a reader's PDF in a language not offered is English", As: "supervisor", Method: "GET", Path: pdf + "?lang=fr", Status: 200, Want: []string{"%PDF-"}},
		{Name: "in Welsh", As: "officer", Method: "GET", Path: pdf + "?lang=cy", Status: 200, Want: []string{"/Lang (cy)"}},
		{Name: "the submitter's snapshot", As: "officer", Method: "GET", Path: snapshot, Status: 200,
			Want: []string{`{"asOf":`, `"businessKey":"` + key + `"`, `"action":"submission.create"`, `"port":"GBDVR"`}},
		{Name: "another officer's PDF", As: "officer-dover", Method: "GET", Path: pdf, Status: 404},
		{Name: "another officer's snapshot", As: "officer-dover", Method: "GET", Path: snapshot, Status: 404},
		{Name: "an unknown case's PDF", As: "admin", Method: "GET", Path: "/api/v1/cases/ARR-20000101-9/pdf", Status: 404},
		{Name: "nobody signed in", Method: "GET", Path: pdf, Status: 401},
		{Name: "asOf that is not a number", As: "officer", Method: "GET", Path: pdf + "?asOf=latest", Status: 400, Pointers: []string{"/asOf"}},
		{Name: "asOf zero", As: "officer", Method: "GET", Path: snapshot + "&asOf=0", Status: 400, Pointers: []string{"/asOf"}},
		{Name: "asOf beyond the audit trail", As: "officer", Method: "GET", Path: snapshot + "&asOf=999999999", Status: 422, Pointers: []string{"/asOf"}},
		{Name: "a snapshot that is not true or false", As: "officer", Method: "GET", Path: "/api/v1/cases/" + key + "?snapshot=yes", Status: 400,
			Pointers: []string{"/snapshot"}},
		{Name: "asOf without a snapshot", As: "officer", Method: "GET", Path: "/api/v1/cases/" + key + "?asOf=3", Status: 400, Pointers: []string{"/asOf"}},
	})
	// The page's PDF: another officer is told the case is not there.
	b := e.Browser()
	e.SignIn(b, "officer-dover").Body.Close()
	if got := e.Get(b, "/cases/"+key+".pdf"); got.Status != http.StatusNotFound || strings.HasPrefix(got.Body, "%PDF") {
		t.Errorf("another officer's page PDF: %d", got.Status)
	}
}

// pdfText is a PDF's text as poppler's pdftotext lays it out, a page each.
func pdfText(t *testing.T, pdf []byte) []string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatal("pdftotext is not installed: install poppler-utils (make poppler)")
	}
	file := filepath.Join(t.TempDir(), "case.pdf")
	if err := os.WriteFile(file, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	pages := strings.Split(string(out), "\f")
	if strings.TrimSpace(pages[len(pages)-1]) == "" {
		pages = pages[:len(pages)-1]
	}
	return pages
}

var (
	footer     = regexp.MustCompile(`Snapshot SHA-256 ([0-9a-f]{64}) as of audit sequence (\d+)`)
	summaryKey = regexp.MustCompile(`(?s)<dt class="govuk-summary-list__key">(.*?)</dt>`)
)

// footerSnapshot is the hash and sequence number the footer prints.
func footerSnapshot(t *testing.T, text string) (string, string) {
	t.Helper()
	m := footer.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no snapshot in the footer:\n%s", text)
	}
	return m[1], m[2]
}

// summaryKeys are the questions a page's summary lists show.
func summaryKeys(body string) []string {
	var out []string
	for _, m := range summaryKey.FindAllStringSubmatch(body, -1) {
		out = append(out, html.UnescapeString(strings.TrimSpace(m[1])))
	}
	return out
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
