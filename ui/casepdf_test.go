package ui_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/goregular"

	"cop/ui"
)

// pdfText is a PDF's text as poppler's pdftotext lays it out, a page each.
func pdfText(t testing.TB, pdf []byte) []string {
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
	if pages[len(pages)-1] == "" || strings.TrimSpace(pages[len(pages)-1]) == "" {
		pages = pages[:len(pages)-1]
	}
	return pages
}

const hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

// longCase is a case with a long answer, a word too long for any column,
// a repeating group, Welsh letters and hundreds of audit rows.
func longCase() ui.CasePDFData {
	at := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	long := strings.Repeat("The vessel was boarded at the quay and its hold searched twice. ", 60)
	unbroken := strings.Repeat("ABCDEFGHIJ", 40)
	d := ui.CasePDFData{BusinessKey: "SEIZ-20261120-7", OpenedAt: at, OpenedBy: "dev-officer", Lang: "en",
		ProducedAt: at.Add(time.Hour), ProducedBy: "Sue Visor (dev-supervisor)", SHA256: hash, AsOf: 4321,
		Submissions: []ui.PDFSubmission{{Title: "Seizure report", SubmittedBy: "dev-officer", SubmittedAt: at,
			Sections: []ui.AnswerSection{{Title: "What happened", Blocks: []ui.AnswerBlock{
				{Rows: []any{row("Account of the search", long), row("Container reference", unbroken), row("Place", "Afon Dŵr, Caergybi"),
					row("Markings", "☃ 漢字 😀 — letters the fonts lack print as blanks, not errors")}},
				{Card: "Crew member 1", Rows: []any{row("Full name", "Siân Rhŷs")}},
			}}},
			Files: []ui.PDFFile{{ID: "f1", Filename: "evidence.pdf", Size: 2048, SHA256: hash}}}},
		Instances: []ui.PDFInstance{{Title: "Seizure approval", Status: "completed", StartedBy: "dev-officer", StartedAt: at, EndedAt: &at,
			Tasks: []ui.PDFTask{{Title: "Approve seizure", Events: []ui.PDFAuditRow{
				{Seq: 12, At: at, Actor: "workflow", Action: "task.create", Resource: "task:t1", Outcome: "ok"},
				{Seq: 13, At: at, Actor: "dev-supervisor", Action: "task.completed", Resource: "task:t1", Outcome: "ok"}}}}}},
	}
	for i := range 300 {
		d.Audit = append(d.Audit, ui.PDFAuditRow{Seq: int64(i + 1), At: at, Actor: "dev-officer", Action: "submission.create",
			Resource: "submission:0b5f9c3e-3f7d-4d8e-9a8b-5bb5c6a0d1e2", Outcome: "ok"})
	}
	return d
}

func row(label, answer string) map[string]any {
	return map[string]any{"key": map[string]any{"text": label}, "value": map[string]any{"html": answer}}
}

// A long case runs over many pages: each has the footer, the long answer
// wraps and the unbroken word breaks without losing a letter.
func TestCasePDFBreaksAcrossPagesWithAFooterOnEach(t *testing.T) {
	pdf, err := ui.CasePDF(longCase())
	if err != nil {
		t.Fatal(err)
	}
	pages := pdfText(t, pdf)
	if len(pages) < 5 {
		t.Fatalf("300 audit rows and a long answer on %d pages", len(pages))
	}
	for i, page := range pages {
		for _, want := range []string{"SEIZ-20261120-7", fmt.Sprintf("Page %d of %d", i+1, len(pages)),
			"Produced 2026-11-20 10:30:00 UTC by Sue Visor (dev-supervisor)", "Snapshot SHA-256 " + hash + " as of audit sequence 4321"} {
			if !strings.Contains(page, want) {
				t.Errorf("page %d lacks %q:\n%s", i+1, want, page)
			}
		}
	}
	text := strings.Join(pages, "\n")
	for _, want := range []string{"Case SEIZ-20261120-7", "Seizure report", "Submitted by dev-officer at 2026-11-20 09:30:00 UTC",
		"Account of the search", "Afon Dŵr, Caergybi", "[U+1F600]", "letters the fonts lack", "Crew member 1", "Siân Rhŷs", "evidence.pdf", "2048 bytes", hash,
		"Seizure approval", "Approve seizure", "dev-supervisor", "Audit trail", "submission.create"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF lacks %q", want)
		}
	}
	squeezed := strings.Join(strings.Fields(text), "")
	if !strings.Contains(squeezed, strings.Repeat("ABCDEFGHIJ", 40)) {
		t.Error("the unbroken answer lost letters when it was broken over lines")
	}
	if n := strings.Count(squeezed, "Thevesselwasboardedatthequayanditsholdsearchedtwice."); n != 60 {
		t.Errorf("the long answer's sentence is there %d times, want 60", n)
	}
	if !strings.Contains(pages[len(pages)-1], "300") {
		t.Error("the last audit row is not on the last page")
	}
	// No line runs past the page: every line of every page fits its width.
	for i, page := range pages {
		for _, line := range strings.Split(page, "\n") {
			if len([]rune(line)) > 200 {
				t.Errorf("page %d has a line of %d characters: %.80s…", i+1, len([]rune(line)), line)
			}
		}
	}
}

// Every fixed word goes through Words: Welsh words print, with their
// letters, and the PDF says its language.
func TestCasePDFSaysItsWordsThroughWords(t *testing.T) {
	d := longCase()
	d.Lang = "cy"
	welsh := map[string]string{"casepdf.page": "Tudalen %d o %s", "casepdf.audit": "Trywydd archwilio", "casepdf.workflows": "Llifoedd gwaith"}
	d.Words = func(id string, args ...any) string {
		if f, ok := welsh[id]; ok {
			return fmt.Sprintf(f, args...)
		}
		return ui.EnglishPDFWords(id, args...)
	}
	pdf, err := ui.CasePDF(d)
	if err != nil {
		t.Fatal(err)
	}
	pages := pdfText(t, pdf)
	if !strings.Contains(pages[0], "Tudalen 1 o ") || !strings.Contains(strings.Join(pages, ""), "Trywydd archwilio") {
		t.Errorf("the Welsh words are not printed: %s", pages[0])
	}
	if !strings.Contains(string(pdf), "/Lang (cy)") {
		t.Error("the PDF does not say it is in Welsh")
	}
}

// An empty case still draws, saying there is nothing rather than failing.
func TestCasePDFOfAnEmptyCase(t *testing.T) {
	pdf, err := ui.CasePDF(ui.CasePDFData{BusinessKey: "ARR-20261120-1", SHA256: hash, AsOf: 1})
	if err != nil {
		t.Fatal(err)
	}
	pages := pdfText(t, pdf)
	if len(pages) != 1 || !strings.Contains(pages[0], "None") || !strings.Contains(pages[0], "Page 1 of 1") {
		t.Fatalf("an empty case: %q", pages)
	}
}

// BenchmarkCasePDF draws the long case beside the baseline of fpdf writing
// as many plain lines of text (pdftotext reads about 800 back from the
// long case) in one embedded font, without wrapping, tables or footers.
func BenchmarkCasePDF(b *testing.B) {
	d := longCase()
	const lines = 800
	b.Run("baseline=fpdf-plain-lines", func(b *testing.B) {
		for b.Loop() {
			pdf := fpdf.New("P", "mm", "A4", "")
			pdf.AddUTF8FontFromBytes("go", "", goregular.TTF)
			pdf.SetFont("go", "", 10)
			pdf.AddPage()
			for i := range lines {
				pdf.CellFormat(0, 5, fmt.Sprintf("line %d of the case", i), "", 1, "L", false, 0, "")
			}
			var out strings.Builder
			if err := pdf.Output(&out); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cop=case-pdf", func(b *testing.B) {
		for b.Loop() {
			mustPDF(b, d)
		}
	})
}

func mustPDF(b testing.TB, d ui.CasePDFData) []byte {
	pdf, err := ui.CasePDF(d)
	if err != nil {
		b.Fatal(err)
	}
	return pdf
}
