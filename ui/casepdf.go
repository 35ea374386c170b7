package ui

import (
	"bytes"
	"fmt"
	"html"
	"regexp"
	"strconv"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
)

// CasePDFData is a case as its PDF prints it: the pages assemble it from
// the case's snapshot, and the footer names the snapshot it was drawn from.
type CasePDFData struct {
	BusinessKey string
	OpenedAt    time.Time
	OpenedBy    string
	Lang        string // "en" or "cy": the PDF's language tag
	ProducedAt  time.Time
	ProducedBy  string
	SHA256      string // of the canonical snapshot
	AsOf        int64  // the audit sequence number the snapshot is as of
	Submissions []PDFSubmission
	Instances   []PDFInstance
	Audit       []PDFAuditRow
	// Words says each fixed word the PDF prints, by message id (the ids
	// of CasePDFWords); nil: English.
	Words func(id string, args ...any) string
}

// PDFSubmission is a submission's answers as Check your answers lays them
// out (SubmittedAnswers with PDFFileRef), and its files.
type PDFSubmission struct {
	Title       string
	SubmittedBy string
	SubmittedAt time.Time
	Corrects    bool
	Sections    []AnswerSection
	Files       []PDFFile
}

// PDFFile is a file a submission holds.
type PDFFile struct {
	ID       string
	Filename string
	Size     int64
	SHA256   string
}

// PDFInstance is a workflow instance, how it stood, and its tasks.
type PDFInstance struct {
	Title     string
	Status    string
	Error     string
	StartedBy string
	StartedAt time.Time
	EndedAt   *time.Time
	Tasks     []PDFTask
}

// PDFTask is a user task and what was done to it, from the audit trail.
type PDFTask struct {
	Title  string
	Events []PDFAuditRow
}

// PDFAuditRow is one sealed audit row.
type PDFAuditRow struct {
	Seq      int64
	At       time.Time
	Actor    string
	Action   string
	Resource string
	Outcome  string
}

// CasePDFWords are the fixed words of a case's PDF in English, by message
// id, with their fmt verbs: the one table a translation follows.
var CasePDFWords = map[string]string{
	"casepdf.title":           "Case %s",
	"casepdf.opened":          "Opened %s by %s",
	"casepdf.submissions":     "Submissions",
	"casepdf.submitted":       "Submitted by %s at %s",
	"casepdf.corrects":        "This submission corrects an earlier one.",
	"casepdf.question":        "Question",
	"casepdf.answer":          "Answer",
	"casepdf.files":           "Attached files",
	"casepdf.file":            "File",
	"casepdf.size":            "Size",
	"casepdf.bytes":           "%d bytes",
	"casepdf.sha256":          "SHA-256",
	"casepdf.workflows":       "Workflows",
	"casepdf.workflow":        "Workflow",
	"casepdf.status":          "Status",
	"casepdf.started":         "Started",
	"casepdf.ended":           "Ended",
	"casepdf.startedBy":       "Started by",
	"casepdf.error":           "%s (error: %s)",
	"casepdf.tasks":           "Task history",
	"casepdf.task":            "Task",
	"casepdf.what":            "What",
	"casepdf.who":             "Who",
	"casepdf.when":            "When",
	"casepdf.audit":           "Audit trail",
	"casepdf.seq":             "Seq",
	"casepdf.action":          "Action",
	"casepdf.resource":        "Resource",
	"casepdf.outcome":         "Outcome",
	"casepdf.none":            "None",
	"casepdf.page":            "Page %d of %s",
	"casepdf.produced":        "Produced %s by %s",
	"casepdf.snapshot":        "Snapshot SHA-256 %s as of audit sequence %d",
	"casepdf.running":         "running",
	"casepdf.starting":        "starting",
	"casepdf.completed":       "completed",
	"casepdf.faulted":         "faulted",
	"casepdf.cancelled":       "cancelled",
	"casepdf.open":            "open",
	"casepdf.task.create":     "created",
	"casepdf.task.claimed":    "claimed",
	"casepdf.task.released":   "released",
	"casepdf.task.reassigned": "reassigned",
	"casepdf.task.escalated":  "escalated",
	"casepdf.task.completed":  "completed",
	"casepdf.task.cancelled":  "withdrawn",
}

// EnglishPDFWords says a message of CasePDFWords; an id it lacks is said
// as it is, so a missing word shows rather than fails.
func EnglishPDFWords(id string, args ...any) string {
	format, ok := CasePDFWords[id]
	if !ok {
		return id
	}
	if len(args) == 0 {
		return format
	}
	return fmt.Sprintf(format, args...)
}

// PDFFileRef is the file link CasePDF expects in the answers
// (SubmittedAnswers' fileHref): it prints the file's name there.
func PDFFileRef(id string) string { return pdfFileScheme + id }

const pdfFileScheme = "cop-file:"

// PDFTime is how the PDF prints a moment: UTC, the same in any language.
func PDFTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// The page: A4 in millimetres.
const (
	pdfMargin  = 15.0
	pdfFooter  = 22.0 // room kept at the foot of each page for the footer
	pdfLine    = 5.0  // a line of body text
	pdfBody    = 10.0 // points
	pdfSmall   = 8.0
	pdfPageNos = "{nb}"
)

// CasePDF draws a case as a PDF: its submissions' answers and files, its
// workflows and their tasks' history, and its audit trail, with a footer
// on every page naming the case, the page, who produced it and when, and
// the snapshot it was drawn from. The Go fonts are embedded, so any letter
// prints (Welsh ŵ and ŷ included) and no font need be installed.
func CasePDF(d CasePDFData) ([]byte, error) {
	w := d.Words
	if w == nil {
		w = EnglishPDFWords
	}
	p := &pdfWriter{pdf: newPDF(), w: w}
	pdf := p.pdf
	pdf.SetTitle(clean(w("casepdf.title", d.BusinessKey)), true)
	pdf.SetAuthor(clean(d.ProducedBy), true)
	pdf.SetLang(langOrEnglish(d.Lang))
	pdf.SetCreationDate(d.ProducedAt)
	pdf.SetFooterFunc(func() { p.footer(d) })
	pdf.AddPage()

	p.heading(w("casepdf.title", d.BusinessKey), 18)
	p.para(w("casepdf.opened", PDFTime(d.OpenedAt), d.OpenedBy))
	p.submissions(d.Submissions)
	p.workflows(d.Instances)
	p.taskHistory(d.Instances)
	p.auditTrail(d.Audit)

	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		return nil, fmt.Errorf("draw the PDF of case %s: %w", d.BusinessKey, err)
	}
	return out.Bytes(), nil
}

func newPDF() *fpdf.Fpdf {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes("go", "", goregular.TTF)
	pdf.AddUTF8FontFromBytes("go", "B", gobold.TTF)
	pdf.AddUTF8FontFromBytes("gomono", "", gomono.TTF)
	pdf.SetMargins(pdfMargin, pdfMargin, pdfMargin)
	pdf.SetAutoPageBreak(true, pdfFooter)
	pdf.AliasNbPages(pdfPageNos)
	pdf.SetFont("go", "", pdfBody)
	return pdf
}

func langOrEnglish(lang string) string {
	if lang == "cy" {
		return "cy"
	}
	return "en"
}

// pdfWriter draws the sections on one document.
type pdfWriter struct {
	pdf *fpdf.Fpdf
	w   func(id string, args ...any) string
	// small draws tables in the small size (the audit trail's many columns).
	small bool
}

// footer is drawn by fpdf at the foot of each page.
func (p *pdfWriter) footer(d CasePDFData) {
	pdf := p.pdf
	width := p.width()
	pdf.SetY(-pdfFooter + 6)
	pdf.SetDrawColor(177, 180, 182)
	pdf.Line(pdfMargin, pdf.GetY(), pdfMargin+width, pdf.GetY())
	pdf.SetFont("go", "", pdfSmall)
	pdf.CellFormat(width/2, 4, clean(d.BusinessKey), "", 0, "L", false, 0, "")
	pdf.CellFormat(width/2, 4, clean(p.w("casepdf.page", pdf.PageNo(), pdfPageNos)), "", 1, "R", false, 0, "")
	pdf.CellFormat(width, 4, clean(p.w("casepdf.produced", PDFTime(d.ProducedAt), d.ProducedBy)), "", 1, "L", false, 0, "")
	pdf.CellFormat(width, 4, clean(p.w("casepdf.snapshot", d.SHA256, d.AsOf)), "", 1, "L", false, 0, "")
	pdf.SetFont("go", "", pdfBody)
}

func (p *pdfWriter) width() float64 {
	pw, _ := p.pdf.GetPageSize()
	return pw - 2*pdfMargin
}

// heading is a bold line of size points, kept with what follows it.
func (p *pdfWriter) heading(text string, size float64) {
	pdf := p.pdf
	h := size * 0.5
	p.room(h + 2*pdfLine)
	pdf.SetFont("go", "B", size)
	pdf.Ln(1)
	for _, line := range pdf.SplitText(clean(text), p.width()) {
		pdf.CellFormat(p.width(), h, line, "", 1, "L", false, 0, "")
	}
	pdf.Ln(1)
	pdf.SetFont("go", "", pdfBody)
}

// para is wrapped body text.
func (p *pdfWriter) para(text string) {
	pdf := p.pdf
	pdf.SetFont("go", "", pdfBody)
	for _, line := range pdf.SplitText(clean(text), p.width()) {
		p.room(pdfLine)
		pdf.CellFormat(p.width(), pdfLine, line, "", 1, "L", false, 0, "")
	}
	pdf.Ln(2)
}

// room starts a new page unless h millimetres are left on this one.
func (p *pdfWriter) room(h float64) {
	_, ph := p.pdf.GetPageSize()
	if p.pdf.GetY()+h > ph-pdfFooter {
		p.pdf.AddPage()
	}
}

// table draws rows under a bold header (nil: none), the columns sharing
// the width in proportions widths. Each cell wraps, a word too long for its
// column broken inside it; a row taller than what is left of the page goes
// on over the next, and every page a table reaches repeats its header.
// mono names the columns printed in the fixed-width font (checksums).
func (p *pdfWriter) table(header []string, widths []float64, rows [][]string, mono map[int]bool) {
	cols := p.columns(widths)
	if header != nil {
		p.room(3 * pdfLine)
		p.row(header, cols, nil, true, nil)
	}
	for _, r := range rows {
		p.row(r, cols, mono, false, header)
	}
}

func (p *pdfWriter) columns(widths []float64) []float64 {
	var total float64
	for _, w := range widths {
		total += w
	}
	cols := make([]float64, len(widths))
	for i, w := range widths {
		cols[i] = p.width() * w / total
	}
	return cols
}

// row draws one table row line by line, so it can break across pages.
func (p *pdfWriter) row(cells []string, cols []float64, mono map[int]bool, bold bool, header []string) {
	pdf := p.pdf
	lines := make([][]string, len(cells))
	most := 1
	for i, c := range cells {
		p.font(i, mono, bold)
		lines[i] = pdf.SplitText(clean(c), cols[i])
		if len(lines[i]) == 0 {
			lines[i] = []string{""}
		}
		most = max(most, len(lines[i]))
	}
	line := p.line()
	_, ph := pdf.GetPageSize()
	for n := range most {
		if pdf.GetY()+line > ph-pdfFooter {
			pdf.AddPage()
			if header != nil {
				p.row(header, cols, nil, true, nil)
			}
		}
		x := pdfMargin
		for i := range cells {
			pdf.SetX(x)
			if n < len(lines[i]) {
				p.font(i, mono, bold)
				pdf.CellFormat(cols[i], line, lines[i][n], "", 0, "L", false, 0, "")
			}
			x += cols[i]
		}
		pdf.Ln(line)
	}
	pdf.SetDrawColor(177, 180, 182)
	pdf.Line(pdfMargin, pdf.GetY()+0.5, pdfMargin+p.width(), pdf.GetY()+0.5)
	pdf.Ln(1.5)
	pdf.SetFont("go", "", pdfBody)
}

func (p *pdfWriter) font(col int, mono map[int]bool, bold bool) {
	size := pdfBody
	if p.small {
		size = pdfSmall
	}
	switch {
	case bold:
		p.pdf.SetFont("go", "B", size)
	case mono[col]:
		p.pdf.SetFont("gomono", "", pdfSmall)
	default:
		p.pdf.SetFont("go", "", size)
	}
}

// line is the height of a table's line of text.
func (p *pdfWriter) line() float64 {
	if p.small {
		return pdfLine * pdfSmall / pdfBody
	}
	return pdfLine
}

func (p *pdfWriter) submissions(subs []PDFSubmission) {
	p.heading(p.w("casepdf.submissions"), 14)
	if len(subs) == 0 {
		p.para(p.w("casepdf.none"))
	}
	for _, sub := range subs {
		p.heading(sub.Title, 12)
		p.para(p.w("casepdf.submitted", sub.SubmittedBy, PDFTime(sub.SubmittedAt)))
		if sub.Corrects {
			p.para(p.w("casepdf.corrects"))
		}
		files := map[string]PDFFile{}
		for _, f := range sub.Files {
			files[f.ID] = f
		}
		for _, s := range sub.Sections {
			if s.Title != "" && s.Title != sub.Title {
				p.heading(s.Title, 11)
			}
			for _, b := range s.Blocks {
				if b.Card != "" {
					p.heading(b.Card, 10)
				}
				rows := make([][]string, 0, len(b.Rows))
				for _, r := range b.Rows {
					label, answer := answerText(r, files)
					rows = append(rows, []string{label, answer})
				}
				p.table([]string{p.w("casepdf.question"), p.w("casepdf.answer")}, []float64{2, 3}, rows, nil)
			}
		}
		if len(sub.Files) > 0 {
			p.heading(p.w("casepdf.files"), 11)
			rows := make([][]string, 0, len(sub.Files))
			for _, f := range sub.Files {
				rows = append(rows, []string{f.Filename, p.w("casepdf.bytes", f.Size), f.SHA256})
			}
			p.table([]string{p.w("casepdf.file"), p.w("casepdf.size"), p.w("casepdf.sha256")}, []float64{3.5, 1.7, 8.8}, rows, map[int]bool{2: true})
		}
	}
}

func (p *pdfWriter) workflows(instances []PDFInstance) {
	p.heading(p.w("casepdf.workflows"), 14)
	if len(instances) == 0 {
		p.para(p.w("casepdf.none"))
		return
	}
	rows := make([][]string, 0, len(instances))
	for _, in := range instances {
		status := p.word("casepdf."+in.Status, in.Status)
		if in.Error != "" {
			status = p.w("casepdf.error", status, in.Error)
		}
		ended := ""
		if in.EndedAt != nil {
			ended = PDFTime(*in.EndedAt)
		}
		rows = append(rows, []string{in.Title, status, in.StartedBy, PDFTime(in.StartedAt), ended})
	}
	p.table([]string{p.w("casepdf.workflow"), p.w("casepdf.status"), p.w("casepdf.startedBy"), p.w("casepdf.started"), p.w("casepdf.ended")},
		[]float64{4, 2, 2, 2.5, 2.5}, rows, nil)
}

func (p *pdfWriter) taskHistory(instances []PDFInstance) {
	p.heading(p.w("casepdf.tasks"), 14)
	var rows [][]string
	for _, in := range instances {
		for _, t := range in.Tasks {
			for _, e := range t.Events {
				rows = append(rows, []string{t.Title, p.word("casepdf."+e.Action, e.Action), e.Actor, PDFTime(e.At)})
			}
		}
	}
	if len(rows) == 0 {
		p.para(p.w("casepdf.none"))
		return
	}
	p.table([]string{p.w("casepdf.task"), p.w("casepdf.what"), p.w("casepdf.who"), p.w("casepdf.when")}, []float64{4, 2, 3, 3}, rows, nil)
}

func (p *pdfWriter) auditTrail(rows []PDFAuditRow) {
	p.heading(p.w("casepdf.audit"), 14)
	if len(rows) == 0 {
		p.para(p.w("casepdf.none"))
		return
	}
	cells := make([][]string, 0, len(rows))
	for _, r := range rows {
		cells = append(cells, []string{strconv.FormatInt(r.Seq, 10), PDFTime(r.At), r.Actor, r.Action, r.Resource, r.Outcome})
	}
	p.small = true
	p.table([]string{p.w("casepdf.seq"), p.w("casepdf.when"), p.w("casepdf.who"), p.w("casepdf.action"), p.w("casepdf.resource"), p.w("casepdf.outcome")},
		[]float64{1, 3.9, 2.8, 3, 5.4, 1.3}, cells, map[int]bool{4: true})
	p.small = false
}

// word says a message that may not exist (a status COP adds later): the
// fallback when the words lack it.
func (p *pdfWriter) word(id, fallback string) string {
	if s := p.w(id); s != id {
		return s
	}
	return fallback
}

var (
	tags      = regexp.MustCompile(`<[^>]*>`)
	lineBreak = regexp.MustCompile(`(?i)<br\s*/?>`)
	fileLink  = regexp.MustCompile(`href="` + pdfFileScheme + `([^"]+)"`)
)

// answerText is a summary row (SummaryRows' shape) in plain words: its
// label, and its answer with line breaks kept and a file named.
func answerText(row any, files map[string]PDFFile) (string, string) {
	r, _ := row.(map[string]any)
	key, _ := r["key"].(map[string]any)
	value, _ := r["value"].(map[string]any)
	label, _ := key["text"].(string)
	if text, ok := value["text"].(string); ok {
		return label, text
	}
	h, _ := value["html"].(string)
	if m := fileLink.FindStringSubmatch(h); m != nil {
		if f, ok := files[html.UnescapeString(m[1])]; ok {
			return label, f.Filename
		}
	}
	return label, html.UnescapeString(tags.ReplaceAllString(lineBreak.ReplaceAllString(h, "\n"), ""))
}

// clean keeps what a PDF line can hold: tabs as spaces, no carriage
// returns, and a letter beyond the Basic Multilingual Plane (an emoji),
// which fpdf cannot embed, written as its code point, "[U+1F600]".
func clean(s string) string {
	s = strings.NewReplacer("\t", "    ", "\r", "").Replace(s)
	if !strings.ContainsFunc(s, func(r rune) bool { return r > 0xFFFF }) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r > 0xFFFF {
			fmt.Fprintf(&b, "[U+%X]", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
