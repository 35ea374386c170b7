package cases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/problem"
	"cop/platform/store"
)

// Draft is a partly completed submission, saved without validation so its
// owner can come back to it.
type Draft struct {
	ID          string          `json:"id"`
	Form        string          `json:"form"`
	FormVersion string          `json:"formVersion"`
	Case        string          `json:"case,omitempty"`
	Data        json.RawMessage `json:"data"`
	Page        string          `json:"page,omitempty"` // the last page saved, to resume from
	// Amends is the submission these answers will correct, for a draft
	// begun from an amend task; submitting it amends that submission.
	Amends    string    `json:"amends,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// DraftRequest starts or saves a draft.
type DraftRequest struct {
	Form, Version, Case string // when starting
	Data                []byte
	Page                string
}

// StartDraft saves the first answers of a form the caller may submit,
// pinning the form version so the journey does not change under them.
func (s *Service) StartDraft(ctx context.Context, p *auth.Principal, who audit.Who, req DraftRequest) (Draft, error) {
	_, def, err := s.startable(ctx, p, req.Form, req.Version)
	if err != nil {
		return Draft{}, err
	}
	if _, errs := decodeAnswers(req.Data); errs != nil {
		return Draft{}, invalidAnswers(def.Name, def.Version, "", errs)
	}
	var caseID *int64
	if req.Case != "" {
		id, err := s.caseID(ctx, p, req.Case)
		if err != nil {
			return Draft{}, fmt.Errorf("case %s: %w", req.Case, err)
		}
		caseID = &id
	}
	id := uuid.NewString()
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if err := checkDraftQuota(ctx, tx, p.Subject); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO drafts (id, owner, form_name, form_version, case_id, data, page)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, p.Subject, def.Name, def.Version, caseID, string(compactJSON(req.Data)), req.Page); err != nil {
			return fmt.Errorf("store draft: %w", err)
		}
		return audit.Record(ctx, tx, who.Entry("draft.save", "draft:"+id, audit.OK, map[string]any{"form": def.Name, "version": def.Version, "new": true}))
	})
	if err != nil {
		return Draft{}, err
	}
	return s.Draft(ctx, p, id)
}

// SaveDraft replaces a draft's answers (and page). Only its owner may.
func (s *Service) SaveDraft(ctx context.Context, p *auth.Principal, who audit.Who, id string, req DraftRequest) (Draft, error) {
	d, err := s.Draft(ctx, p, id)
	if err != nil {
		return Draft{}, err
	}
	if _, errs := decodeAnswers(req.Data); errs != nil {
		return Draft{}, invalidAnswers(d.Form, d.FormVersion, "", errs)
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE drafts SET data = $3, page = $4, updated_at = now() WHERE id = $1 AND owner = $2`,
			id, p.Subject, string(compactJSON(req.Data)), req.Page)
		if err != nil {
			return fmt.Errorf("save draft: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound // submitted or deleted meanwhile
		}
		return audit.Record(ctx, tx, who.Entry("draft.save", "draft:"+id, audit.OK, map[string]any{"form": d.Form, "version": d.FormVersion}))
	})
	if err != nil {
		return Draft{}, err
	}
	return s.Draft(ctx, p, id)
}

const draftColumns = `d.id::text, d.form_name, d.form_version, COALESCE((SELECT business_key FROM cases c WHERE c.id = d.case_id), ''),
	d.data, d.page, d.created_at, d.updated_at, coalesce(d.amends::text, '')`

func scanDraft(row pgx.CollectableRow) (Draft, error) {
	var d Draft
	err := row.Scan(&d.ID, &d.Form, &d.FormVersion, &d.Case, &d.Data, &d.Page, &d.CreatedAt, &d.UpdatedAt, &d.Amends)
	d.CreatedAt, d.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	return d, err
}

// Draft returns one of the caller's drafts; anyone else's is not found.
func (s *Service) Draft(ctx context.Context, p *auth.Principal, id string) (Draft, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Draft{}, ErrNotFound
	}
	rows, err := s.pool.Query(ctx, `SELECT `+draftColumns+` FROM drafts d WHERE id = $1 AND owner = $2`, id, p.Subject)
	if err != nil {
		return Draft{}, fmt.Errorf("read draft: %w", err)
	}
	d, err := pgx.CollectExactlyOneRow(rows, scanDraft)
	if errors.Is(err, pgx.ErrNoRows) {
		return Draft{}, ErrNotFound
	}
	return d, err
}

// Drafts lists the caller's drafts, most recently saved first.
func (s *Service) Drafts(ctx context.Context, p *auth.Principal, limit int, cursor string) ([]Draft, string, error) {
	after, err := store.DecodeCursor(cursor, 2)
	if err != nil {
		return nil, "", err
	}
	var afterAt *time.Time
	if after[0] != "" {
		t, err := time.Parse(time.RFC3339Nano, after[0])
		if err != nil {
			return nil, "", store.ErrBadCursor
		}
		afterAt = &t
	}
	rows, err := s.pool.Query(ctx, `SELECT `+draftColumns+` FROM drafts d WHERE owner = $1
		AND ($2::timestamptz IS NULL OR (updated_at, id::text) < ($2, $3))
		ORDER BY updated_at DESC, id::text DESC LIMIT $4`, p.Subject, afterAt, after[1], limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("list drafts: %w", err)
	}
	drafts, err := pgx.CollectRows(rows, scanDraft)
	if err != nil {
		return nil, "", fmt.Errorf("list drafts: %w", err)
	}
	drafts, next := store.Page(drafts, limit, func(d Draft) []string { return []string{d.UpdatedAt.Format(time.RFC3339Nano), d.ID} })
	return drafts, next, nil
}

// DeleteDraft discards one of the caller's drafts.
func (s *Service) DeleteDraft(ctx context.Context, p *auth.Principal, who audit.Who, id string) error {
	if _, err := uuid.Parse(id); err != nil {
		return ErrNotFound
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM drafts WHERE id = $1 AND owner = $2`, id, p.Subject)
		if err != nil {
			return fmt.Errorf("delete draft: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		return audit.Record(ctx, tx, who.Entry("draft.delete", "draft:"+id, audit.OK, nil))
	})
}

// SubmitDraft validates a draft against the version it was started on and
// submits it; the draft goes in the same transaction.
func (s *Service) SubmitDraft(ctx context.Context, p *auth.Principal, who audit.Who, id, idempotencyKey string) (SubmitResult, error) {
	idem, err := s.idempotency(p, "", idempotencyKey, SubmitRequest{draftID: id})
	if err != nil {
		return SubmitResult{}, err
	}
	if idem != nil {
		if r, ok, err := idem.replay(ctx, s.pool); ok || err != nil {
			return r, err
		}
	}
	d, err := s.Draft(ctx, p, id)
	if err != nil {
		return SubmitResult{}, err
	}
	if d.Amends != "" {
		if s.Amending == nil {
			return SubmitResult{}, problem.Conflictf("draft %s corrects submission %s, and corrections cannot be taken here", id, d.Amends)
		}
		sub, err := s.Amending.Amend(ctx, p, who, d.Amends, d.Data, idempotencyKey)
		if err == nil && idem != nil {
			// The draft is gone with the amendment: a retry finds this.
			err = s.inTx(ctx, func(tx pgx.Tx) error {
				if _, taken, err := idem.claim(ctx, tx); taken || err != nil {
					return err
				}
				return idem.record(ctx, tx, 201, sub)
			})
			if errors.Is(err, errReplayed) {
				err = nil
			}
		}
		return SubmitResult{Submission: sub}, err
	}
	return s.Submit(ctx, p, who, SubmitRequest{Form: d.Form, Version: d.FormVersion, Case: d.Case, Data: d.Data,
		IdempotencyKey: idempotencyKey, draftID: d.ID})
}

// checkDraftQuota runs in the transaction that adds a draft.
func checkDraftQuota(ctx context.Context, q store.Querier, owner string) error {
	if err := lockOwner(ctx, q, owner); err != nil {
		return err
	}
	var n int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM drafts WHERE owner = $1`, owner).Scan(&n); err != nil {
		return fmt.Errorf("count drafts: %w", err)
	}
	if n >= MaxDraftsPerOwner {
		return problem.Conflictf("you have %d drafts, the most one person may keep; submit or delete some first", n).Because(ReasonQuota)
	}
	return nil
}

// removeSubmittedDraft deletes a draft as its submission is stored.
func removeSubmittedDraft(ctx context.Context, tx pgx.Tx, id string) error {
	tag, err := tx.Exec(ctx, `DELETE FROM drafts WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("remove submitted draft: %w", err)
	}
	if tag.RowsAffected() == 0 {
		// Two submits of one draft at once (a double click with no
		// Idempotency-Key): the first to delete it makes the case.
		return problem.Conflictf("draft %s was submitted by another request; it makes one submission (send an Idempotency-Key to get its answer on a retry)",
			id).Because(ReasonSubmitted)
	}
	return nil
}

// sweepDrafts removes drafts nobody has saved for longer than age.
func sweepDrafts(ctx context.Context, tx pgx.Tx, age time.Duration) (int64, error) {
	tag, err := tx.Exec(ctx, `DELETE FROM drafts WHERE updated_at < now() - make_interval(secs => $1)`, age.Seconds())
	if err != nil {
		return 0, fmt.Errorf("sweep drafts: %w", err)
	}
	return tag.RowsAffected(), nil
}
