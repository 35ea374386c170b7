// Package cases stores what officers and integrators submit: submissions
// validated against a pinned form version, the cases that group them under
// a business key, drafts saved for later, and uploaded files. Visibility is
// one rule (auth.Principal.CanSee): anyone else is told "not found".
package cases

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"cop/forms"
	"cop/platform/auth"
	"cop/platform/definitions"
	"cop/platform/store"
)

// Service is the cases service.
type Service struct {
	pool *pgxpool.Pool
	defs *definitions.Service
	now  func() time.Time
}

// New returns the service.
func New(pool *pgxpool.Pool, defs *definitions.Service) *Service {
	return &Service{pool: pool, defs: defs, now: time.Now}
}

// Errors the API turns into statuses.
var (
	ErrNotFound = errors.New("not found")
	ErrRetired  = errors.New("retired")
)

// ForbiddenError refuses a caller who may not start a form.
type ForbiddenError struct {
	Form  string
	Start []string
}

func (e *ForbiddenError) Error() string {
	return fmt.Sprintf("form %s can be submitted only by %s", e.Form, strings.Join(e.Start, ", "))
}

// ValidationError carries one message per failing field.
type ValidationError struct {
	Form, Version string
	Errors        []forms.FieldError
	// What names what was refused, when it is not the answers ("the file").
	What string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("the answers do not fit form %s version %s (%d problems)", e.Form, e.Version, len(e.Errors))
}

// Case is a business key and what the caller may see in it.
type Case struct {
	BusinessKey string           `json:"businessKey"`
	CreatedBy   string           `json:"createdBy"`
	CreatedAt   time.Time        `json:"createdAt"`
	Submissions []SubmissionInfo `json:"submissions"`
}

// SubmissionInfo is a submission without its data, for timelines.
type SubmissionInfo struct {
	ID          string    `json:"id"`
	Form        string    `json:"form"`
	FormVersion string    `json:"formVersion"`
	SubmittedBy string    `json:"submittedBy"`
	SubmittedAt time.Time `json:"submittedAt"`
}

// Case returns a case with the submissions the caller may read; a case
// with none of those is not found, so its existence does not leak.
func (s *Service) Case(ctx context.Context, p *auth.Principal, key string) (Case, error) {
	var c Case
	var id int64
	err := s.pool.QueryRow(ctx, `SELECT id, business_key, created_by, created_at FROM cases WHERE business_key = $1`, key).
		Scan(&id, &c.BusinessKey, &c.CreatedBy, &c.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Case{}, ErrNotFound
	}
	if err != nil {
		return Case{}, fmt.Errorf("read case %s: %w", key, err)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+submissionColumns+` FROM submissions s WHERE case_id = $1 ORDER BY submitted_at, id`, id)
	if err != nil {
		return Case{}, fmt.Errorf("read submissions of case %s: %w", key, err)
	}
	subs, err := pgx.CollectRows(rows, scanSubmission)
	if err != nil {
		return Case{}, fmt.Errorf("read submissions of case %s: %w", key, err)
	}
	c.Submissions = []SubmissionInfo{}
	for _, sub := range subs {
		if canRead(p, sub) {
			c.Submissions = append(c.Submissions, sub.Info())
		}
	}
	if len(c.Submissions) == 0 {
		return Case{}, ErrNotFound
	}
	c.CreatedAt = c.CreatedAt.UTC()
	return c, nil
}

// caseID finds a case the caller may see, for a submission joining it.
func (s *Service) caseID(ctx context.Context, p *auth.Principal, key string) (int64, error) {
	if _, err := s.Case(ctx, p, key); err != nil {
		return 0, err
	}
	var id int64
	err := s.pool.QueryRow(ctx, `SELECT id FROM cases WHERE business_key = $1`, key).Scan(&id)
	return id, err
}

// nextBusinessKey numbers a new case: PREFIX-YYYYMMDD-N, N counting per
// prefix and UTC day in one counter row incremented atomically. It runs in
// its own short transaction with an asynchronous commit, so the row lock
// that orders concurrent submissions is held for microseconds rather than
// for a disk flush. This is safe: the submission's own (synchronous) commit
// comes later in the write-ahead log, so a stored case never has a number
// the counter could hand out again after a crash. A submission that fails
// after numbering leaves a gap in N, never a duplicate.
func (s *Service) nextBusinessKey(ctx context.Context, prefix string, now time.Time) (string, error) {
	day := now.UTC()
	// One round trip: the four statements go as one pipelined batch.
	batch := &pgx.Batch{}
	batch.Queue(`BEGIN`)
	batch.Queue(`SET LOCAL synchronous_commit = off`)
	var n int64
	batch.Queue(`INSERT INTO case_counters (prefix, day, last) VALUES ($1, $2, 1)
		ON CONFLICT (prefix, day) DO UPDATE SET last = case_counters.last + 1 RETURNING last`,
		prefix, day.Format(time.DateOnly)).QueryRow(func(row pgx.Row) error { return row.Scan(&n) })
	batch.Queue(`COMMIT`)
	if err := s.pool.SendBatch(ctx, batch).Close(); err != nil {
		return "", fmt.Errorf("number a case for %s: %w", prefix, err)
	}
	return fmt.Sprintf("%s-%s-%d", prefix, day.Format("20060102"), n), nil
}

// createCase writes a new case row.
func createCase(ctx context.Context, tx pgx.Tx, key, by string, now time.Time) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO cases (business_key, created_by, created_at) VALUES ($1, $2, $3) RETURNING id`,
		key, by, now).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("create case %s: %w", key, err)
	}
	return id, nil
}

// CasePrefix is the prefix of a form's business keys: its casePrefix, else
// the initials of a name of several words ("arrival-report" → "AR"), else
// the name's first letters ("seizure" → "SEIZURE").
func CasePrefix(d forms.Definition) string {
	if d.CasePrefix != "" {
		return d.CasePrefix
	}
	words := strings.FieldsFunc(d.Name, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	var b strings.Builder
	if len(words) > 1 {
		for _, w := range words {
			b.WriteByte(w[0])
		}
	} else {
		b.WriteString(d.Name)
	}
	prefix := strings.ToUpper(nonAlnum.ReplaceAllString(b.String(), ""))
	if len(prefix) > 12 {
		prefix = prefix[:12]
	}
	if len(prefix) < 2 || prefix[0] < 'A' || prefix[0] > 'Z' {
		prefix = "CASE" + prefix
	}
	return prefix
}

var nonAlnum = regexp.MustCompile(`[^A-Za-z0-9]`)

// canRead is the visibility rule for one submission: the submitter, the
// form's readers (access.read), supervisors sharing a team with the
// submitter, and admins.
func canRead(p *auth.Principal, s Submission) bool {
	if p.CanSee(auth.Visibility{Owner: s.SubmittedBy, Groups: s.readAccess}) {
		return true
	}
	if p.HasRole(auth.RoleSupervisor) {
		for _, t := range s.teams {
			if p.InTeam(t) {
				return true
			}
		}
	}
	return false
}

// inTx is store.InTx on the service's pool.
func (s *Service) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return store.InTx(ctx, s.pool, fn)
}
