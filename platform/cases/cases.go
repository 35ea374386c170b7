// Package cases stores what officers and integrators submit: submissions
// validated against a pinned form version, the cases that group them under
// a business key, drafts saved for later, and uploaded files. Visibility is
// one rule (auth.CanRead, and its SQL twin auth.ReadableSQL): anyone else is
// told "not found".
//
// The package owns its tables, and each table's statements are in its
// file: cases.go (cases, case_counters), submissions.go, drafts.go and
// files.go; a read that joins another of them (a business key, the drafts
// that keep a file) is in the file of the table it returns. sweep.go only
// calls them. Instances and tasks are asked of their services.
package cases

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"cop/forms"
	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/definitions"
	"cop/platform/events"
	"cop/platform/problem"
	"cop/platform/store"
)

// Service is the cases service.
type Service struct {
	pool *pgxpool.Pool
	defs *definitions.Service
	now  func() time.Time
	// Starts, when set, decides which workflows a new submission starts
	// (not a replay), written in the submission's transaction.
	Starts Starter
	// Amending, when set, applies a draft of corrected answers (one begun
	// from an amend task) when it is submitted.
	Amending Amending
	// Instances and Tasks, when set, are the owners of the rest of a
	// case's timeline: its workflow instances and their user tasks.
	Instances InstanceTimeline
	Tasks     TaskTimeline
	// Scanner checks each upload for malware before it is stored; with
	// none, uploads are refused (503), never stored unscanned.
	Scanner Scanner
	// Log, when set, hears why the scanner failed (the officer is told
	// only to try again).
	Log *slog.Logger
}

// InstanceTimeline is the instances service's part of a case: the
// workflow instances in it the caller may read, oldest first.
type InstanceTimeline interface {
	CaseInstances(ctx context.Context, p *auth.Principal, caseID int64) ([]InstanceInfo, error)
	// OpenCaseSQL is an SQL condition, true when the case whose business
	// key is the column key has a workflow instance still going: the
	// case list's status. The instances service writes it, over its table.
	OpenCaseSQL(key string) string
}

// TaskTimeline is the tasks service's part of a case: the user tasks of
// its instances, oldest first.
type TaskTimeline interface {
	InstanceTasks(ctx context.Context, instances []string) ([]TaskInfo, error)
	// WorkedCaseSQL is an SQL condition, true when the subject (an SQL
	// parameter) claimed or completed a task on the case whose business
	// key is the column key: "your cases" are those you worked on too.
	WorkedCaseSQL(key, subject string) string
}

// Starter plans the workflow instances a submission starts (the
// instances service does), just before its transaction.
type Starter interface {
	PlanStarts(ctx context.Context, p *auth.Principal, sub Submission) (Starts, error)
}

// Starts are planned instances, written in the submission's transaction:
// ids are the instances; refused says why one could not start at all.
type Starts interface {
	Reserve(ctx context.Context, tx pgx.Tx, who audit.Who, caseID int64) (ids, refused []string, err error)
}

// New returns the service.
func New(pool *pgxpool.Pool, defs *definitions.Service) *Service {
	return &Service{pool: pool, defs: defs, now: time.Now}
}

// ErrNotFound is what the caller may not see, or what is not there.
var ErrNotFound = problem.ErrNotFound

// MayNotStart refuses a caller outside a form's access.start.
func MayNotStart(form string, start []string) error {
	return problem.Forbiddenf("form %s can be submitted only by %s", form, strings.Join(start, ", "))
}

// invalidAnswers refuses answers (or, named by what, a file or an upload)
// that do not fit a form version, with every field's error.
func invalidAnswers(form, version, what string, errs []forms.FieldError) error {
	switch {
	case what != "":
		return problem.Invalidf(errs, "%s is not accepted by form %s version %s; see errors", what, form, version)
	case form != "":
		return problem.Invalidf(errs, "the answers do not fit form %s version %s; see errors", form, version)
	}
	return problem.Invalidf(errs, "the answers are not valid; see errors")
}

// Case is a business key and what the caller may see in it.
type Case struct {
	BusinessKey string           `json:"businessKey"`
	CreatedBy   string           `json:"createdBy"`
	CreatedAt   time.Time        `json:"createdAt"`
	Submissions []SubmissionInfo `json:"submissions"`
	Instances   []InstanceInfo   `json:"instances"`
	Tasks       []TaskInfo       `json:"tasks"`

	answered []Submission // Submissions with their answers, as read
}

// Answered are the case's submissions the caller may read, with their
// answers, oldest first: what the pages lay out, read with the case.
func (c Case) Answered() []Submission { return c.answered }

// InstanceInfo is a workflow instance in a case's timeline.
type InstanceInfo struct {
	ID        string     `json:"id"`
	Namespace string     `json:"namespace"`
	Name      string     `json:"name"`
	Version   string     `json:"version"`
	Status    string     `json:"status"`
	StartedBy string     `json:"startedBy"`
	StartedAt time.Time  `json:"startedAt"`
	EndedAt   *time.Time `json:"endedAt,omitempty"`
}

// TaskInfo is a user task in a case's timeline.
type TaskInfo struct {
	ID          string     `json:"id"`
	Instance    string     `json:"instance"`
	Title       string     `json:"title"`
	Form        string     `json:"form"`
	Status      string     `json:"status"`
	Priority    int        `json:"priority"`
	ClaimedBy   string     `json:"claimedBy,omitempty"`
	CompletedBy string     `json:"completedBy,omitempty"`
	CreatedAt   time.Time  `json:"createdAt"`
	CompletedAt *time.Time `json:"completedAt,omitempty"`
}

// SubmissionInfo is a submission without its data, for timelines.
type SubmissionInfo struct {
	ID          string    `json:"id"`
	Form        string    `json:"form"`
	FormVersion string    `json:"formVersion"`
	SubmittedBy string    `json:"submittedBy"`
	SubmittedAt time.Time `json:"submittedAt"`
	Corrects    string    `json:"corrects,omitempty"`
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
	subs, err := caseSubmissions(ctx, s.pool, id)
	if err != nil {
		return Case{}, fmt.Errorf("read submissions of case %s: %w", key, err)
	}
	c.Submissions = []SubmissionInfo{}
	for _, sub := range subs {
		if canRead(p, sub) {
			c.Submissions = append(c.Submissions, sub.Info())
			c.answered = append(c.answered, sub)
		}
	}
	if c.Instances, c.Tasks, err = s.timeline(ctx, p, id); err != nil {
		return Case{}, fmt.Errorf("read the timeline of case %s: %w", key, err)
	}
	if len(c.Submissions) == 0 && len(c.Instances) == 0 {
		return Case{}, ErrNotFound
	}
	c.CreatedAt = c.CreatedAt.UTC()
	return c, nil
}

// timeline asks the owners for the case's instances the caller may read,
// and their tasks.
func (s *Service) timeline(ctx context.Context, p *auth.Principal, caseID int64) ([]InstanceInfo, []TaskInfo, error) {
	instances, tasks := []InstanceInfo{}, []TaskInfo{}
	if s.Instances == nil {
		return instances, tasks, nil
	}
	found, err := s.Instances.CaseInstances(ctx, p, caseID)
	if err != nil || len(found) == 0 {
		return instances, tasks, err
	}
	ids := make([]string, len(found))
	for i, in := range found {
		ids[i] = in.ID
	}
	if s.Tasks != nil {
		if tasks, err = s.Tasks.InstanceTasks(ctx, ids); err != nil {
			return nil, nil, err
		}
	}
	return found, tasks, nil
}

// OpenCase numbers and stores a new case (for a workflow instance started
// without one).
func (s *Service) OpenCase(ctx context.Context, prefix, by string) (int64, string, error) {
	now := s.now()
	c, err := s.nextBusinessKey(ctx, prefix, now)
	if err != nil {
		return 0, "", err
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error { return createCase(ctx, tx, c, by, now) })
	return c.id, c.key, err
}

// OpenCaseIn opens a case in tx: the transaction that keeps an event
// opens the case of the instance the event starts.
// The case is numbered in tx too, so tx holds only its own connection.
func (s *Service) OpenCaseIn(ctx context.Context, tx pgx.Tx, prefix, by string) (int64, string, error) {
	now := s.now()
	day := now.UTC()
	var c newCase
	var n int64
	if err := tx.QueryRow(ctx, `INSERT INTO case_counters (prefix, day, last) VALUES ($1, $2, 1)
		ON CONFLICT (prefix, day) DO UPDATE SET last = case_counters.last + 1
		RETURNING last, nextval(pg_get_serial_sequence('cases', 'id'))`,
		prefix, day.Format(time.DateOnly)).Scan(&n, &c.id); err != nil {
		return 0, "", fmt.Errorf("number a case for %s: %w", prefix, err)
	}
	c.key = fmt.Sprintf("%s-%s-%d", prefix, day.Format("20060102"), n)
	return c.id, c.key, createCase(ctx, tx, c, by, now)
}

// JoinCase finds a case the caller may see, for an instance joining it.
func (s *Service) JoinCase(ctx context.Context, p *auth.Principal, key string) (int64, error) {
	return s.caseID(ctx, p, key)
}

// caseID finds a case the caller may see, for a submission joining it:
// one in which they may read a submission or an instance, as Case shows
// it, without reading the whole timeline.
func (s *Service) caseID(ctx context.Context, p *auth.Principal, key string) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `SELECT id FROM cases WHERE business_key = $1`, key).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("read case %s: %w", key, err)
	}
	readable, err := readsASubmissionIn(ctx, s.pool, p, id)
	if err != nil {
		return 0, fmt.Errorf("read case %s: %w", key, err)
	}
	if !readable && s.Instances != nil {
		// None of its submissions: perhaps one of its instances.
		instances, err := s.Instances.CaseInstances(ctx, p, id)
		if err != nil {
			return 0, fmt.Errorf("read case %s: %w", key, err)
		}
		readable = len(instances) > 0
	}
	if !readable {
		return 0, ErrNotFound
	}
	return id, nil
}

// nextBusinessKey numbers a new case: PREFIX-YYYYMMDD-N, N counting per
// prefix and UTC day in one counter row incremented atomically. It runs in
// its own short transaction with an asynchronous commit, so the row lock
// that orders concurrent submissions is held for microseconds rather than
// for a disk flush. This is safe: the submission's own (synchronous) commit
// comes later in the write-ahead log, so a stored case never has a number
// the counter could hand out again after a crash. A submission that fails
// after numbering leaves a gap in N, never a duplicate.
func (s *Service) nextBusinessKey(ctx context.Context, prefix string, now time.Time) (newCase, error) {
	cs, err := s.nextBusinessKeys(ctx, prefix, now, 1)
	if err != nil {
		return newCase{}, err
	}
	return cs[0], nil
}

// nextBusinessKeys numbers n cases of one prefix and day (a history
// import's, a day at a time) in one round trip, with their ids from the
// cases' sequence, so the transaction that writes them need not wait.
func (s *Service) nextBusinessKeys(ctx context.Context, prefix string, day time.Time, n int) ([]newCase, error) {
	day = day.UTC()
	batch := &pgx.Batch{}
	batch.Queue(`BEGIN`)
	batch.Queue(`SET LOCAL synchronous_commit = off`)
	var last int64
	var ids []int64
	batch.Queue(`INSERT INTO case_counters (prefix, day, last) VALUES ($1, $2, $3)
		ON CONFLICT (prefix, day) DO UPDATE SET last = case_counters.last + $3
		RETURNING last, ARRAY(SELECT nextval(pg_get_serial_sequence('cases', 'id')) FROM generate_series(1, $3))`,
		prefix, day.Format(time.DateOnly), n).QueryRow(func(row pgx.Row) error { return row.Scan(&last, &ids) })
	batch.Queue(`COMMIT`)
	if err := s.pool.SendBatch(ctx, batch).Close(); err != nil {
		return nil, fmt.Errorf("number %d cases for %s on %s: %w", n, prefix, day.Format(time.DateOnly), err)
	}
	out := make([]newCase, n)
	for i := range out {
		out[i] = newCase{id: ids[i], key: fmt.Sprintf("%s-%s-%d", prefix, day.Format("20060102"), last-int64(n)+1+int64(i))}
	}
	return out, nil
}

// newCase is a case numbered and not yet written.
type newCase struct {
	id  int64
	key string
}

// createCase writes a new case row.
func createCase(ctx context.Context, tx pgx.Tx, c newCase, by string, now time.Time) error {
	if err := store.Later(ctx, tx, "create case "+c.key, `INSERT INTO cases (id, business_key, created_by, created_at) VALUES ($1, $2, $3, $4)`,
		c.id, c.key, by, now); err != nil {
		return err
	}
	opened := map[string]any{"businessKey": c.key, "createdBy": by, "createdAt": now.UTC()}
	return events.Publish(ctx, tx, events.New{Type: events.CaseOpened, Subject: c.key, Data: opened})
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
	return auth.CanRead(p, s.SubmittedBy, s.readAccess, s.teams)
}

// inTx is store.InTx on the service's pool.
func (s *Service) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return store.InTx(ctx, s.pool, fn)
}
