// Package casepdf is a case as a PDF, for evidence and handover: the
// case's snapshot as of an audit row (cases.Snapshot), each submission laid
// out by its pinned form as the case page lays it out, drawn by
// ui.CasePDF. The case page and the API hand out the same PDF through it.
package casepdf

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"cop/forms"
	"cop/forms/lang"
	"cop/platform/auth"
	"cop/platform/cases"
	"cop/platform/definitions"
	"cop/platform/problem"
	"cop/ui"
)

// ParseAsOf reads ?asOf=: an audit sequence number, or "" for the latest.
func ParseAsOf(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, problem.Malformedf(problem.At("/asOf", "must be a positive whole number"),
			"asOf must be an audit sequence number (a positive whole number), not %q", s)
	}
	return n, nil
}

// Send answers with a case's PDF as an attachment named for the
// case, and the snapshot it was drawn from in its headers.
func Send(c *fiber.Ctx, snap cases.Snapshot, pdf []byte) error {
	sum, err := snap.SHA256()
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+snap.BusinessKey+`.pdf"`)
	c.Set("X-Snapshot-SHA256", sum)
	c.Set("X-Snapshot-As-Of", strconv.FormatInt(snap.AsOf, 10))
	return c.Send(pdf)
}

// Draw draws a case as p may see it, as of audit sequence number asOf
// (0: its latest row), in lang ("cy" Welsh; anything else English): the
// one PDF the case page and the API hand out, and the snapshot it was
// drawn from. Each submission's answers are laid out by its pinned form
// version as the case page lays them out.
func Draw(ctx context.Context, defs *definitions.Service, cs *cases.Service, p *auth.Principal, key string, asOf int64,
	language string) ([]byte, cases.Snapshot, error) {
	snap, err := cs.Snapshot(ctx, p, key, asOf)
	if err != nil {
		return nil, cases.Snapshot{}, fmt.Errorf("case %s: %w", key, err)
	}
	sum, err := snap.SHA256()
	if err != nil {
		return nil, cases.Snapshot{}, err
	}
	language = lang.Parse(language)
	d := ui.CasePDFData{BusinessKey: snap.BusinessKey, OpenedAt: snap.CreatedAt, OpenedBy: snap.CreatedBy, Lang: language,
		ProducedAt: time.Now().UTC(), ProducedBy: producer(p), SHA256: sum, AsOf: snap.AsOf, Words: pdfWords(language)}
	for _, sub := range snap.Submissions {
		s, err := pdfSubmission(ctx, defs, sub, language)
		if err != nil {
			return nil, cases.Snapshot{}, err
		}
		d.Submissions = append(d.Submissions, s)
	}
	d.Instances = pdfInstances(ctx, defs, snap)
	for _, r := range snap.Audit {
		d.Audit = append(d.Audit, pdfAuditRow(r))
	}
	pdf, err := ui.CasePDF(d)
	return pdf, snap, err
}

// pdfWords are the PDF's fixed words (ui.CasePDFWords' ids) in a language,
// from COP's message catalogue: each a format its arguments fill.
func pdfWords(l string) func(id string, args ...any) string {
	w := lang.For(l)
	return func(id string, args ...any) string {
		format := w.T(id)
		if len(args) == 0 {
			return format
		}
		return fmt.Sprintf(format, args...)
	}
}

// producer is who the footer says produced the PDF.
func producer(p *auth.Principal) string {
	if p.Name != "" && p.Name != p.Subject {
		return p.Name + " (" + p.Subject + ")"
	}
	return p.Subject
}

// pdfSubmission lays a submission's answers out by its pinned form.
func pdfSubmission(ctx context.Context, defs *definitions.Service, sub cases.SnapshotSubmission, l string) (ui.PDFSubmission, error) {
	f, _, err := defs.FormIn(ctx, sub.Form, sub.FormVersion, l)
	if err != nil {
		return ui.PDFSubmission{}, fmt.Errorf("form %s version %s of submission %s: %w", sub.Form, sub.FormVersion, sub.ID, err)
	}
	pages, err := submittedPages(f, sub.ID, sub.Data)
	if err != nil {
		return ui.PDFSubmission{}, err
	}
	out := ui.PDFSubmission{Title: f.Def.Title, SubmittedBy: sub.SubmittedBy, SubmittedAt: sub.SubmittedAt, Corrects: sub.Corrects != "",
		Sections: ui.SubmittedAnswersIn(pages, ui.PDFFileRef, l)}
	for _, file := range sub.Files {
		out.Files = append(out.Files, ui.PDFFile{ID: file.ID, Filename: file.Filename, Size: file.Size, SHA256: file.SHA256})
	}
	return out, nil
}

// pdfInstances are the snapshot's workflows, each with its tasks and what
// the audit trail says was done to them.
func pdfInstances(ctx context.Context, defs *definitions.Service, snap cases.Snapshot) []ui.PDFInstance {
	events := map[string][]ui.PDFAuditRow{}
	for _, r := range snap.Audit {
		if strings.HasPrefix(r.Resource, "task:") {
			events[r.Resource] = append(events[r.Resource], pdfAuditRow(r))
		}
	}
	out := make([]ui.PDFInstance, 0, len(snap.Instances))
	for _, in := range snap.Instances {
		pi := ui.PDFInstance{Title: WorkflowTitle(ctx, defs, in.Namespace, in.Name, in.Version), Status: in.Status, Error: in.Error,
			StartedBy: in.StartedBy, StartedAt: in.StartedAt, EndedAt: in.EndedAt}
		for _, t := range snap.Tasks {
			if t.Instance == in.ID {
				pi.Tasks = append(pi.Tasks, ui.PDFTask{Title: t.Title, Events: events["task:"+t.ID]})
			}
		}
		out = append(out, pi)
	}
	return out
}

func pdfAuditRow(r cases.SnapshotEvent) ui.PDFAuditRow {
	return ui.PDFAuditRow{Seq: r.Seq, At: r.At, Actor: r.Actor, Action: r.Action, Resource: r.Resource, Outcome: r.Outcome}
}

// WorkflowTitle is a workflow version's title (document.title), or its
// namespace and name when it has none or cannot be read.
func WorkflowTitle(ctx context.Context, defs *definitions.Service, namespace, name, version string) string {
	if d, err := defs.Workflow(ctx, namespace, name, version); err == nil {
		if w, err := defs.DecodedWorkflow(d); err == nil && w.Document.Title != "" {
			return w.Document.Title
		}
	}
	return namespace + "/" + name
}

// submittedPages are a submission's answers in its form's pages.
func submittedPages(f *forms.Form, id string, data json.RawMessage) ([]forms.Page, error) {
	var answers map[string]any
	if err := json.Unmarshal(data, &answers); err != nil {
		return nil, fmt.Errorf("read submission %s: %w", id, err)
	}
	return f.Pages(answers, nil), nil
}
