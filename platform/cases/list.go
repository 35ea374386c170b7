package cases

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"cop/platform/auth"
	"cop/platform/problem"
	"cop/platform/store"
)

// Filter narrows the lists of cases and submissions.
type Filter struct {
	Key  string // a part of the business key, any case
	Form string // a form's name: cases with a submission of it, or its submissions
	// From and To bound when the case was opened (or the submission made):
	// From inclusive, To exclusive; zero is unbounded.
	From, To time.Time
	// Mine: only cases the caller submitted to or worked a task on, or
	// their own submissions.
	Mine bool
	// Status, for cases: open (a workflow in it is still going), closed,
	// or "" for both.
	Status string
	Limit  int
	Cursor string
}

// ParseFilterDate reads a from/to bound: a date (the start of that day,
// UTC) or an RFC 3339 time; "" is none. The error names the parameter.
func ParseFilterDate(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.Time{}, problem.Malformedf([]problem.Field{{Pointer: "/" + name, Message: "not a date or time"}},
		"%s must be a date (2026-11-21) or a time (2026-11-21T09:00:00Z), not %q", name, v)
}

// CaseSummary is a case in a list: what tells it from the others.
type CaseSummary struct {
	BusinessKey string    `json:"businessKey"`
	CreatedBy   string    `json:"createdBy"`
	CreatedAt   time.Time `json:"createdAt"`
	// Forms are the forms submitted on it that the caller may read.
	Forms []string `json:"forms"`
	// Status is open while a workflow in the case is still going, closed
	// otherwise.
	Status string `json:"status"`
}

// Case statuses, as the case list shows and filters them.
const (
	CaseOpen   = "open"
	CaseClosed = "closed"
)

// Cases lists the cases the caller may read (a submission in them they
// may read: theirs, their definition's readers', their team's for a
// supervisor), newest first.
func (s *Service) Cases(ctx context.Context, p *auth.Principal, f Filter) ([]CaseSummary, string, error) {
	afterAt, afterKey, err := store.NewestFirstAfter(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	if f.Status != "" && f.Status != CaseOpen && f.Status != CaseClosed {
		const msg = "status must be open or closed"
		return nil, "", problem.Malformedf(problem.At("/status", msg), "%s, not %q", msg, f.Status)
	}
	from, to := bounds(f)
	open, worked := "false", "false"
	if s.Instances != nil {
		open = s.Instances.OpenCaseSQL("c.business_key")
	}
	if s.Tasks != nil {
		worked = s.Tasks.WorkedCaseSQL("c.business_key", "$1")
	}
	readable := `s.case_id = c.id AND ` + auth.ReadableSQL("s.submitted_by", 1) + ` AND ($6 = '' OR s.form_name = $6)`
	rows, err := s.pool.Query(ctx, `SELECT c.business_key, c.created_by, c.created_at,
			ARRAY(SELECT DISTINCT s.form_name FROM submissions s WHERE `+readable+` ORDER BY 1), `+open+`
		FROM cases c
		WHERE EXISTS (SELECT 1 FROM submissions s WHERE `+readable+`)
		  AND (NOT $7 OR EXISTS (SELECT 1 FROM submissions s WHERE s.case_id = c.id AND s.submitted_by = $1) OR `+worked+`)
		  AND ($8 = '' OR strpos(lower(c.business_key), lower($8)) > 0)
		  AND c.created_at >= $9 AND c.created_at < $10
		  AND (c.created_at, c.business_key) < ($11::timestamptz, $12)
		  AND ($14 = '' OR ($14 = 'open') = `+open+`)
		ORDER BY c.created_at DESC, c.business_key DESC LIMIT $13`,
		append(auth.ReadableArgs(p), f.Form, f.Mine, strings.TrimSpace(f.Key), from, to, afterAt, afterKey, f.Limit+1, f.Status)...)
	if err != nil {
		return nil, "", fmt.Errorf("list cases: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (CaseSummary, error) {
		var c CaseSummary
		var open bool
		err := row.Scan(&c.BusinessKey, &c.CreatedBy, &c.CreatedAt, &c.Forms, &open)
		c.CreatedAt, c.Status = c.CreatedAt.UTC(), CaseClosed
		if open {
			c.Status = CaseOpen
		}
		return c, err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list cases: %w", err)
	}
	list, next := store.Page(list, f.Limit, func(c CaseSummary) []string { return store.NewestFirstKey(c.CreatedAt, c.BusinessKey) })
	return list, next, nil
}

// Submissions lists the submissions the caller may read, newest first.
func (s *Service) Submissions(ctx context.Context, p *auth.Principal, f Filter) ([]Submission, string, error) {
	afterAt, afterID, err := store.NewestFirstAfter(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	from, to := bounds(f)
	rows, err := s.pool.Query(ctx, `SELECT `+submissionColumns+` FROM submissions s
		WHERE `+auth.ReadableSQL("s.submitted_by", 1)+` AND ($6 = '' OR s.form_name = $6) AND (NOT $7 OR s.submitted_by = $1)
		  AND s.submitted_at >= $8 AND s.submitted_at < $9
		  AND (s.submitted_at, s.id::text) < ($10::timestamptz, $11)
		ORDER BY s.submitted_at DESC, s.id::text DESC LIMIT $12`,
		append(auth.ReadableArgs(p), f.Form, f.Mine, from, to, afterAt, afterID, f.Limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list submissions: %w", err)
	}
	list, err := pgx.CollectRows(rows, scanSubmission)
	if err != nil {
		return nil, "", fmt.Errorf("list submissions: %w", err)
	}
	list, next := store.Page(list, f.Limit, func(s Submission) []string { return store.NewestFirstKey(s.SubmittedAt, s.ID) })
	return list, next, nil
}

// bounds are the filter's dates, unbounded where zero.
func bounds(f Filter) (time.Time, time.Time) {
	from, to := f.From, f.To
	if from.IsZero() {
		from = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if to.IsZero() {
		to = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return from, to
}
