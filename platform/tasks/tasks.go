// Package tasks is the officer's inbox: the user tasks instances put in
// task lists (by candidate group, assignee and priority), the actions
// officers take on them through the instance's Update, and the in-app
// notifications instances send. It owns the tasks, notifications and
// notification_reads tables; the instances' activities write them through
// Inbox. Each table's statements are in its file: tasks.go (tasks) and
// notifications.go (notifications, notification_reads); inbox.go and
// actions.go call them.
package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"

	"cop/platform/auth"
	"cop/platform/cases"
	"cop/platform/definitions"
	"cop/platform/directory"
	"cop/platform/problem"
	"cop/platform/store"
	"cop/workflows"
	"cop/workflows/engine"
)

// Service answers for tasks and notifications.
type Service struct {
	pool     *pgxpool.Pool
	defs     *definitions.Service
	temporal client.Client
	// Directory, when set, is who a task may be reassigned to.
	Directory *directory.Service
	// Cases, when set, reads and checks the submissions amend tasks
	// correct (Amend).
	Cases *cases.Service
}

// New returns the service.
func New(pool *pgxpool.Pool, defs *definitions.Service, tc client.Client) *Service {
	return &Service{pool: pool, defs: defs, temporal: tc}
}

// ErrNotFound is a task or notification the caller may not see.
var ErrNotFound = problem.ErrNotFound

// TitleIn is the task's title in language l, English when it has none.
func (t Task) TitleIn(l string) string {
	if s := t.Titles[l]; s != "" {
		return s
	}
	return t.Title
}

// titlesOf is what the titles column stores: never NULL.
func titlesOf(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// Task is an inbox task as the API shows it.
type Task struct {
	ID          string `json:"id"`
	Instance    string `json:"instance"`
	BusinessKey string `json:"businessKey,omitempty"`
	Form        string `json:"form"`
	FormVersion string `json:"formVersion"`
	Title       string `json:"title"`
	// Titles are the title in other languages, by language ("cy").
	Titles          map[string]string `json:"titles,omitempty"`
	CandidateGroups []string          `json:"candidateGroups"`
	Assignee        string            `json:"assignee,omitempty"`
	ClaimedBy       string            `json:"claimedBy,omitempty"`
	Priority        int               `json:"priority"`
	Reason          string            `json:"reason,omitempty"`
	Escalated       bool              `json:"escalated"`
	Due             *time.Time        `json:"due,omitempty"`
	Overdue         bool              `json:"overdue"`
	Status          string            `json:"status"`
	Input           any               `json:"input,omitempty"`
	Data            any               `json:"data,omitempty"`
	CompletedBy     string            `json:"completedBy,omitempty"`
	CreatedAt       time.Time         `json:"createdAt"`
	CompletedAt     *time.Time        `json:"completedAt,omitempty"`
	// Show is what the task's page shows beside its form (engine.TaskRequest.Show).
	Show []string `json:"show,omitempty"`
	// Amends is the submission this task returns to its submitter to
	// correct (userTask amend: submission); completing it stores the
	// corrected answers as a new submission on the case.
	Amends string `json:"amends,omitempty"`

	revision   int    // changes made to the row so far
	lastAction string // the Update id of the action that made the latest
}

const taskColumns = `id, instance_id, case_key, form_name, form_version, title, candidate_groups, assignee, claimed_by, priority,
	reason, escalated, due, status, input, data, completed_by, created_at, completed_at, revision, last_action, coalesce(show, '{}'), coalesce(amends::text, ''), titles`

func scanTask(now time.Time) pgx.RowToFunc[Task] {
	return func(row pgx.CollectableRow) (Task, error) {
		var t Task
		var input, data []byte
		err := row.Scan(&t.ID, &t.Instance, &t.BusinessKey, &t.Form, &t.FormVersion, &t.Title, &t.CandidateGroups, &t.Assignee,
			&t.ClaimedBy, &t.Priority, &t.Reason, &t.Escalated, &t.Due, &t.Status, &input, &data, &t.CompletedBy, &t.CreatedAt, &t.CompletedAt,
			&t.revision, &t.lastAction, &t.Show, &t.Amends, &t.Titles)
		if err != nil {
			return t, err
		}
		t.CreatedAt = t.CreatedAt.UTC()
		if t.Due != nil {
			d := t.Due.UTC()
			t.Due, t.Overdue = &d, t.Status == engine.TaskOpen && now.After(d)
		}
		if t.CompletedAt != nil {
			c := t.CompletedAt.UTC()
			t.CompletedAt = &c
		}
		if len(input) > 0 {
			_ = json.Unmarshal(input, &t.Input)
		}
		if len(data) > 0 {
			_ = json.Unmarshal(data, &t.Data)
		}
		return t, nil
	}
}

// taskVisibleSQL is who sees a task: its assignee and claimer, its
// candidate groups (a team's supervisor is in the team), and admins.
// $1 is the caller's subject, $2 their access entries, $3 whether admin.
const taskVisibleSQL = `($3 OR assignee = $1 OR claimed_by = $1 OR candidate_groups && $2::text[])`

func taskVisibleArgs(p *auth.Principal) []any {
	return []any{p.Subject, p.Entries(), p.HasRole(auth.RoleAdmin)}
}

// VisibleSQL is who sees a task (taskVisibleSQL) over the task columns of
// alias, its arguments (VisibleArgs) from $n: the rule reports list tasks by.
func VisibleSQL(alias string, n int) string {
	return fmt.Sprintf(`($%[4]d OR %[1]s.assignee = $%[2]d OR %[1]s.claimed_by = $%[2]d OR %[1]s.candidate_groups && $%[3]d::text[])`,
		alias, n, n+1, n+2)
}

// VisibleArgs are VisibleSQL's arguments for p.
func VisibleArgs(p *auth.Principal) []any { return taskVisibleArgs(p) }

// TaskFilter narrows the task list.
type TaskFilter struct {
	Status string // open (default), completed, cancelled, or all
	Form   string
	Limit  int
	Cursor string
}

// Tasks lists the tasks the caller and their teams may work, by priority
// (1 first), then due date (none last), then age.
func (s *Service) Tasks(ctx context.Context, p *auth.Principal, f TaskFilter) ([]Task, string, error) {
	status := f.Status
	if status == "" {
		status = engine.TaskOpen
	}
	if status != "open" && status != "completed" && status != "cancelled" && status != "all" {
		const msg = "status must be open, completed, cancelled or all"
		return nil, "", problem.Malformedf(problem.At("/status", msg), msg)
	}
	after := []string{"0", "-infinity", "-infinity", ""}
	if f.Cursor != "" {
		parts, err := store.DecodeCursor(f.Cursor, 4)
		if err != nil {
			return nil, "", err
		}
		after = parts
	}
	afterPriority, err := strconv.Atoi(after[0])
	if err != nil {
		return nil, "", store.ErrBadCursor
	}
	args := append(taskVisibleArgs(p), status, f.Form, afterPriority, after[1], after[2], after[3], f.Limit+1)
	rows, err := s.pool.Query(ctx, `SELECT `+taskColumns+` FROM tasks
		WHERE `+taskVisibleSQL+` AND ($4 = 'all' OR status = $4) AND ($5 = '' OR form_name = $5)
		  AND (priority, COALESCE(due, 'infinity'), created_at, id) > ($6, $7::timestamptz, $8::timestamptz, $9)
		ORDER BY priority, COALESCE(due, 'infinity'), created_at, id LIMIT $10`, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list tasks: %w", err)
	}
	tasks, err := pgx.CollectRows(rows, scanTask(time.Now()))
	if err != nil {
		return nil, "", fmt.Errorf("list tasks: %w", err)
	}
	tasks, next := store.Page(tasks, f.Limit, func(t Task) []string {
		due := "infinity"
		if t.Due != nil {
			due = t.Due.Format(time.RFC3339Nano)
		}
		return []string{strconv.Itoa(t.Priority), due, t.CreatedAt.Format(time.RFC3339Nano), t.ID}
	})
	return tasks, next, nil
}

// Task returns one task the caller may see. Operators see every task
// (to release or reassign it), though their list stays their own work.
func (s *Service) Task(ctx context.Context, p *auth.Principal, id string) (Task, error) {
	args := append(taskVisibleArgs(p), id)
	args[2] = p.HasRole(auth.RoleAdmin) || p.HasRole(auth.RoleOperator)
	rows, err := s.pool.Query(ctx, `SELECT `+taskColumns+` FROM tasks WHERE id = $4 AND `+taskVisibleSQL, args...)
	if err != nil {
		return Task{}, fmt.Errorf("read task %s: %w", id, err)
	}
	t, err := pgx.CollectExactlyOneRow(rows, scanTask(time.Now()))
	if errors.Is(err, pgx.ErrNoRows) {
		return Task{}, ErrNotFound
	}
	if err != nil {
		return Task{}, fmt.Errorf("read task %s: %w", id, err)
	}
	return t, nil
}

// InstanceTasks are the user tasks of the given instances, oldest first,
// for a case's timeline (cases.TaskTimeline).
func (s *Service) InstanceTasks(ctx context.Context, instances []string) ([]cases.TaskInfo, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, instance_id, title, form_name, status, priority, claimed_by, completed_by, created_at, completed_at
		FROM tasks WHERE instance_id = ANY($1) ORDER BY created_at, id`, instances)
	if err != nil {
		return nil, fmt.Errorf("read the tasks of instances %v: %w", instances, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (cases.TaskInfo, error) {
		var t cases.TaskInfo
		err := row.Scan(&t.ID, &t.Instance, &t.Title, &t.Form, &t.Status, &t.Priority, &t.ClaimedBy, &t.CompletedBy, &t.CreatedAt, &t.CompletedAt)
		t.CreatedAt = t.CreatedAt.UTC()
		return t, err
	})
	if out == nil {
		out = []cases.TaskInfo{}
	}
	return out, err
}

// WorkedCaseSQL: the subject claims, or completed, a task on the case
// (cases.TaskTimeline).
func (s *Service) WorkedCaseSQL(key, subject string) string {
	return `EXISTS (SELECT 1 FROM tasks t WHERE t.case_key = ` + key + ` AND (t.claimed_by = ` + subject + ` OR t.completed_by = ` + subject + `))`
}

// CloseOpen withdraws the tasks an ended instance left open (a cancelled
// instance, a fork whose other branch won), in the transaction that
// records its end.
func CloseOpen(ctx context.Context, tx pgx.Tx, instance string, at time.Time) error {
	if _, err := tx.Exec(ctx, `UPDATE tasks SET status = 'cancelled', updated_at = $2 WHERE instance_id = $1 AND status = 'open'`, instance, at); err != nil {
		return fmt.Errorf("close the tasks of instance %s: %w", instance, err)
	}
	return nil
}

// insertTask stores a task an instance asked for; store.ErrAlreadyApplied
// when it is there already (the activity was retried).
func insertTask(ctx context.Context, tx pgx.Tx, t engine.TaskRequest, input any) error {
	var show []string // NULL: the default
	if len(t.Show) > 0 {
		show = t.Show
	}
	var amends *string // NULL: an ordinary task
	if t.Amends != "" {
		// A second return for correction amends the latest correction.
		latest, err := cases.LatestCorrection(ctx, tx, t.Amends)
		if err != nil {
			return err
		}
		amends = &latest
	}
	tag, err := tx.Exec(ctx, `INSERT INTO tasks (id, instance_id, position, case_key, form_name, form_version, title,
			candidate_groups, assignee, priority, reason, due, input, created_at, updated_at, show, amends, titles)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, $16, $17) ON CONFLICT (id) DO NOTHING`,
		t.ID, t.Instance, t.Position, t.CaseKey, t.Form, t.FormVersion, t.Title, store.TextArray(t.CandidateGroups), t.Assignee,
		t.Priority, t.Reason, t.Due, input, t.CreatedAt, show, amends, titlesOf(t.Titles))
	if err != nil {
		return fmt.Errorf("store task %s: %w", t.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrAlreadyApplied
	}
	return nil
}

// changeTask writes a change the instance accepted; store.ErrAlreadyApplied
// when the row has it already.
func changeTask(ctx context.Context, tx pgx.Tx, c engine.TaskChange, data any) error {
	// Every change bumps the revision and names the action that made it.
	// The row follows the instance, whose Update already decided; the
	// claim and completion guards only keep a row that somehow lagged from
	// being overwritten by a claim it never saw.
	const bump = `revision = revision + 1, last_action = $3, updated_at = $2`
	var query string
	args := []any{c.ID, c.At, c.Action}
	switch c.Kind {
	case engine.TaskClaimed:
		query, args = `UPDATE tasks SET claimed_by = $4, claimed_at = COALESCE(claimed_at, $2), `+bump+` WHERE id = $1 AND status = 'open' AND claimed_by IN ('', $4)`, append(args, c.Assignee)
	case engine.TaskReleased:
		query = `UPDATE tasks SET claimed_by = '', ` + bump + ` WHERE id = $1 AND status = 'open'`
	case engine.TaskReassigned:
		query, args = `UPDATE tasks SET assignee = $4, claimed_by = $4, claimed_at = COALESCE(claimed_at, $2), `+bump+` WHERE id = $1 AND status = 'open'`, append(args, c.Assignee)
	case engine.TaskWithdrawn:
		query = `UPDATE tasks SET status = 'cancelled', ` + bump + ` WHERE id = $1 AND status = 'open'`
	case engine.TaskEscalated:
		query, args = `UPDATE tasks SET priority = $4, escalated = true, `+bump+` WHERE id = $1 AND status = 'open'`, append(args, c.Priority)
	case engine.TaskDone:
		query, args = `UPDATE tasks SET status = 'completed', data = $4, completed_by = $5, completed_at = $2, `+bump+`
			WHERE id = $1 AND status = 'open' AND claimed_by = $5`, append(args, data, c.By)
	default:
		return engine.ActivityFault(workflows.NewError(workflows.ErrRuntime, "Unknown task change", "unknown task change %q", c.Kind))
	}
	tag, err := tx.Exec(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("record task %s %s: %w", c.ID, c.Kind, err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrAlreadyApplied
	}
	return nil
}

// readTask reads one task as the API shows it, whoever may see it.
func readTask(ctx context.Context, q store.Querier, id string) (Task, error) {
	rows, err := q.Query(ctx, `SELECT `+taskColumns+` FROM tasks WHERE id = $1`, id)
	if err != nil {
		return Task{}, fmt.Errorf("read task %s: %w", id, err)
	}
	t, err := pgx.CollectExactlyOneRow(rows, scanTask(time.Now()))
	if err != nil {
		return Task{}, fmt.Errorf("read task %s: %w", id, err)
	}
	return t, nil
}

// taskOpen says whether the task's row is open.
func taskOpen(ctx context.Context, q store.Querier, id string) bool {
	var open bool
	err := q.QueryRow(ctx, `SELECT status = 'open' FROM tasks WHERE id = $1`, id).Scan(&open)
	return err == nil && open
}
