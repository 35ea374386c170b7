// Package tasks is the officer's inbox: the user tasks instances put in
// task lists (by candidate group, assignee and priority), the actions
// officers take on them through the instance's Update, and the in-app
// notifications instances send. It owns the tasks, notifications and
// notification_reads tables; the instances' activities write them through
// Inbox.
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
	"cop/workflows/engine"
)

// Service answers for tasks and notifications.
type Service struct {
	pool     *pgxpool.Pool
	defs     *definitions.Service
	temporal client.Client
	// Directory, when set, is who a task may be reassigned to.
	Directory *directory.Service
}

// New returns the service.
func New(pool *pgxpool.Pool, defs *definitions.Service, tc client.Client) *Service {
	return &Service{pool: pool, defs: defs, temporal: tc}
}

// ErrNotFound is a task or notification the caller may not see.
var ErrNotFound = problem.ErrNotFound

// Task is an inbox task as the API shows it.
type Task struct {
	ID              string     `json:"id"`
	Instance        string     `json:"instance"`
	BusinessKey     string     `json:"businessKey,omitempty"`
	Form            string     `json:"form"`
	FormVersion     string     `json:"formVersion"`
	Title           string     `json:"title"`
	CandidateGroups []string   `json:"candidateGroups"`
	Assignee        string     `json:"assignee,omitempty"`
	ClaimedBy       string     `json:"claimedBy,omitempty"`
	Priority        int        `json:"priority"`
	Reason          string     `json:"reason,omitempty"`
	Escalated       bool       `json:"escalated"`
	Due             *time.Time `json:"due,omitempty"`
	Overdue         bool       `json:"overdue"`
	Status          string     `json:"status"`
	Input           any        `json:"input,omitempty"`
	Data            any        `json:"data,omitempty"`
	CompletedBy     string     `json:"completedBy,omitempty"`
	CreatedAt       time.Time  `json:"createdAt"`
	CompletedAt     *time.Time `json:"completedAt,omitempty"`

	revision   int    // changes made to the row so far
	lastAction string // the Update id of the action that made the latest
}

const taskColumns = `id, instance_id, case_key, form_name, form_version, title, candidate_groups, assignee, claimed_by, priority,
	reason, escalated, due, status, input, data, completed_by, created_at, completed_at, revision, last_action`

func scanTask(now time.Time) pgx.RowToFunc[Task] {
	return func(row pgx.CollectableRow) (Task, error) {
		var t Task
		var input, data []byte
		err := row.Scan(&t.ID, &t.Instance, &t.BusinessKey, &t.Form, &t.FormVersion, &t.Title, &t.CandidateGroups, &t.Assignee,
			&t.ClaimedBy, &t.Priority, &t.Reason, &t.Escalated, &t.Due, &t.Status, &input, &data, &t.CompletedBy, &t.CreatedAt, &t.CompletedAt,
			&t.revision, &t.lastAction)
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

// Task returns one task the caller may see.
func (s *Service) Task(ctx context.Context, p *auth.Principal, id string) (Task, error) {
	args := append(taskVisibleArgs(p), id)
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
