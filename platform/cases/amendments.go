package cases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"cop/forms"
	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/events"
	"cop/platform/problem"
	"cop/platform/store"
)

// Amending is the service that applies an amendment: the tasks service,
// whose amend task a workflow waits on (userTask amend: submission).
type Amending interface {
	Amend(ctx context.Context, p *auth.Principal, who audit.Who, corrects string, data json.RawMessage, idempotencyKey string) (Submission, error)
}

// Amendment is the corrected answers an amend task's completion stores:
// a new submission on the corrected one's case, form version and reading
// rights, that names the submission it corrects.
type Amendment struct {
	ID       string // engine.AmendmentID of the task
	Corrects string
	Data     []byte // the answers, as JSON
	By       string
	At       time.Time
}

// RecordAmendment stores an amendment in the transaction that completes
// its task; store.ErrAlreadyApplied when it is there already (a retried
// activity). The submitter's draft of the corrected answers goes, and the
// files the answers name that the submitter uploaded for this form and
// that no submission holds yet become the amendment's (files kept from
// the corrected submission stay with it).
func RecordAmendment(ctx context.Context, tx pgx.Tx, a Amendment) error {
	var sub Submission
	// The correction keeps the date the answers were first given (reports
	// date it there), and the corrected row is superseded.
	row, err := tx.Query(ctx, `INSERT INTO submissions AS s (id, case_id, form_name, form_version, data, submitted_by, read_access, teams, submitted_at, corrects, first_submitted_at)
		SELECT $1, case_id, form_name, form_version, $3, $4, read_access, teams, $5, id, COALESCE(first_submitted_at, submitted_at) FROM submissions WHERE id = $2
		ON CONFLICT (id) DO NOTHING
		RETURNING `+submissionColumns, a.ID, a.Corrects, string(a.Data), a.By, a.At)
	if err != nil {
		return fmt.Errorf("store the amendment of submission %s: %w", a.Corrects, err)
	}
	sub, err = pgx.CollectExactlyOneRow(row, scanSubmission)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrAlreadyApplied
	}
	if err != nil {
		return fmt.Errorf("store the amendment of submission %s: %w", a.Corrects, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE submissions SET superseded = true WHERE id = $1`, a.Corrects); err != nil {
		return fmt.Errorf("supersede submission %s: %w", a.Corrects, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE files SET submission_id = $1
		WHERE id = ANY($2::uuid[]) AND submission_id IS NULL AND owner = $3 AND form_name = $4`,
		sub.ID, uuidLeaves(sub.Data), a.By, sub.Form); err != nil {
		return fmt.Errorf("attach the amendment's files: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM drafts WHERE owner = $1 AND amends = $2`, a.By, a.Corrects); err != nil {
		return fmt.Errorf("remove the draft of the amendment: %w", err)
	}
	if err := audit.Record(ctx, tx, audit.Who{Actor: a.By, RequestID: a.ID}.Entry("submission.amend", "submission:"+sub.ID, audit.OK,
		map[string]any{"form": sub.Form, "version": sub.FormVersion, "case": sub.BusinessKey, "corrects": a.Corrects})); err != nil {
		return err
	}
	err = events.Publish(ctx, tx, events.New{ID: events.IDFor(sub.ID, events.SubmissionCreated), Type: events.SubmissionCreated,
		Subject: sub.BusinessKey, Data: sub})
	return err
}

// LatestCorrection is the newest submission that corrects id, directly
// or through earlier corrections; id itself when none does.
func LatestCorrection(ctx context.Context, q store.Querier, id string) (string, error) {
	var latest string
	err := q.QueryRow(ctx, `WITH RECURSIVE chain(id) AS (
			SELECT $1::uuid UNION SELECT s.id FROM submissions s JOIN chain ON s.corrects = chain.id)
		SELECT s.id::text FROM chain JOIN submissions s USING (id) ORDER BY s.submitted_at DESC, s.id DESC LIMIT 1`, id).Scan(&latest)
	if errors.Is(err, pgx.ErrNoRows) {
		return id, nil
	}
	if err != nil {
		return "", fmt.Errorf("find the latest correction of submission %s: %w", id, err)
	}
	return latest, nil
}

// Latest is the newest correction of a submission the caller may read
// (the submission itself when nothing corrects it).
func (s *Service) Latest(ctx context.Context, p *auth.Principal, id string) (Submission, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Submission{}, ErrNotFound
	}
	latest, err := LatestCorrection(ctx, s.pool, id)
	if err != nil {
		return Submission{}, err
	}
	return s.Submission(ctx, p, latest)
}

// uuidLeaves are the strings in the answers that are uuids: the file
// answers among them (the form, checked before the task completed, says
// which fields are files; the update in RecordAmendment only takes the
// submitter's own unattached uploads for this form).
func uuidLeaves(data []byte) []string {
	var v any
	_ = json.Unmarshal(data, &v)
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			if _, err := uuid.Parse(x); err == nil {
				out = append(out, x)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// Amendable is a submission the caller made, which they may be asked to
// correct; anyone else's is not found.
func (s *Service) Amendable(ctx context.Context, p *auth.Principal, id string) (Submission, error) {
	sub, err := s.Submission(ctx, p, id)
	if err == nil && sub.SubmittedBy != p.Subject {
		err = problem.NotFoundf("submission %s is not one you made: only its submitter corrects it", id)
	}
	return sub, err
}

// AmendmentProblems checks corrected answers as a submission's are
// checked: against the corrected submission's form version, and each file
// either one the caller uploaded for it that no submission holds, or one
// a submission on the same case already holds (kept from before).
func (s *Service) AmendmentProblems(ctx context.Context, p *auth.Principal, sub Submission, raw []byte) (any, []forms.FieldError, error) {
	f, _, err := s.defs.Form(ctx, sub.Form, sub.FormVersion)
	if err != nil {
		return nil, nil, fmt.Errorf("load form %s@%s of submission %s: %w", sub.Form, sub.FormVersion, sub.ID, err)
	}
	data, errs := decodeAnswers(raw)
	if errs != nil {
		return nil, errs, nil
	}
	if errs := s.defs.Validate(ctx, f, data, s.now()); len(errs) > 0 {
		return data, errs, nil
	}
	var fresh []forms.FileValue
	for _, fv := range f.Files(data) {
		var kept bool
		err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM files f JOIN submissions held ON held.id = f.submission_id
			WHERE f.id = $1 AND held.case_id = (SELECT case_id FROM submissions WHERE id = $2))`, fv.ID, sub.ID).Scan(&kept)
		if err != nil {
			return nil, nil, fmt.Errorf("check file %s: %w", fv.ID, err)
		}
		if !kept {
			fresh = append(fresh, fv)
		}
	}
	return data, s.checkFiles(ctx, p, f, fresh), nil
}

// AmendDraft is the caller's draft of corrected answers to a submission
// they made, on its form version, started from its answers at Check your
// answers; a second call (a double click) returns the same draft.
func (s *Service) AmendDraft(ctx context.Context, p *auth.Principal, who audit.Who, sub Submission, page string) (Draft, error) {
	id := uuid.NewString()
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := checkDraftQuota(ctx, tx, p.Subject); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO drafts (id, owner, form_name, form_version, case_id, data, page, amends)
			SELECT $1, $2, form_name, form_version, case_id, data, $3, id FROM submissions WHERE id = $4
			ON CONFLICT (owner, amends) WHERE amends IS NOT NULL DO NOTHING`, id, p.Subject, page, sub.ID)
		if err != nil {
			return fmt.Errorf("store the draft amending submission %s: %w", sub.ID, err)
		}
		if tag.RowsAffected() == 0 {
			return tx.QueryRow(ctx, `SELECT id::text FROM drafts WHERE owner = $1 AND amends = $2`, p.Subject, sub.ID).Scan(&id)
		}
		return audit.Record(ctx, tx, who.Entry("draft.save", "draft:"+id, audit.OK,
			map[string]any{"form": sub.Form, "version": sub.FormVersion, "new": true, "amends": sub.ID}))
	})
	if err != nil {
		return Draft{}, err
	}
	return s.Draft(ctx, p, id)
}
