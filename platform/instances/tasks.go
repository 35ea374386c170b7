package instances

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"cop/forms"
	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/directory"
	"cop/platform/problem"
	"cop/platform/store"
	"cop/workflows/engine"
)

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

// TaskActionRequest is what an officer does to a task.
type TaskActionRequest struct {
	Action engine.TaskVerb
	Data   json.RawMessage
	To     string
	// IdempotencyKey, when the client sends one, names the request: a
	// retry with the same key and body gets the first one's outcome.
	IdempotencyKey string
}

// refused is an action the task's rules refuse; code says why
// (forbidden, conflict, invalid, gone), and is the problem's reason.
func refused(code, message string, errs ...forms.FieldError) error {
	kind := map[string]problem.Kind{"forbidden": problem.Forbidden, "invalid": problem.Invalid}[code]
	if kind == 0 {
		kind = problem.Conflict // gone, conflict: the task has moved on
	}
	return (&problem.Error{Kind: kind, Detail: message, Fields: errs}).Because(code)
}

// ActOnTask sends an action through the instance's Update. The Update's
// validator is the authority (it checks the claim and validates the data
// against the task's pinned form before anything enters history, and
// refuses an action while another on the same task is being applied); the
// checks here only answer sooner, with every field's error.
//
// Each request is named by an Update id (taskActionID), which Temporal
// applies once: the same request sent twice at once (a double click)
// completes or claims once and both get that outcome; a retry of a keyed
// request that already applied is answered from the row.
func (s *Service) ActOnTask(ctx context.Context, p *auth.Principal, id string, req TaskActionRequest) (Task, error) {
	if req.IdempotencyKey != "" {
		if err := store.CheckIdempotencyKey(req.IdempotencyKey); err != nil {
			return Task{}, err
		}
	}
	t, err := s.Task(ctx, p, id)
	if err != nil {
		return Task{}, err
	}
	action := engine.TaskAction{TaskID: id, Action: req.Action, To: req.To,
		Caller: engine.Caller{Sub: p.Subject, Name: p.Name, Roles: p.Roles, Teams: p.Teams}}
	if req.Action == engine.Complete {
		data, errs, err := s.checkTaskData(ctx, t, req.Data)
		if err != nil {
			return Task{}, err
		}
		if len(errs) > 0 {
			return Task{}, refused("invalid", fmt.Sprintf("the data does not fit form %s version %s; see errors", t.Form, t.FormVersion), errs...)
		}
		action.Data = data
	}
	updateID := taskActionID(t, action, req.IdempotencyKey, t.revision)
	if t.lastAction != "" && t.lastAction == taskActionID(t, action, req.IdempotencyKey, t.revision-1) {
		// The task's latest change was made by this very request: a retry
		// (or the slower of a double click) gets the task as it left it.
		audit.Handled(ctx)
		return t, nil
	}
	if t.Status != engine.TaskOpen {
		return Task{}, taskClosed(t)
	}
	if req.Action == engine.Reassign {
		if err := s.checkReassignee(ctx, t, req.To); err != nil {
			return Task{}, err
		}
	}
	if _, err := engine.ActOnTask(ctx, s.temporal, t.Instance, updateID, action); err != nil {
		var no *engine.TaskActionError
		if errors.As(err, &no) {
			errs := no.Errors
			if no.Code == "invalid" && len(errs) == 0 {
				// Refused by the instance as a whole (answers the inbox
				// cannot hold): the problem is the data sent.
				errs = []forms.FieldError{{Pointer: "/data", Message: no.Message}}
			}
			return Task{}, refused(no.Code, no.Message, errs...)
		}
		return Task{}, fmt.Errorf("%s task %s: %w", req.Action, id, err)
	}
	audit.Handled(ctx) // the instance's activity audits the change it applies
	return s.Task(ctx, p, id)
}

// checkReassignee refuses to give a task to someone COP has never seen
// (a typing mistake would put the task in nobody's list) or to someone
// outside its candidate groups (who could not work it).
func (s *Service) checkReassignee(ctx context.Context, t Task, to string) error {
	if s.Directory == nil || to == "" {
		return nil // the instance refuses an empty "to" with its own words
	}
	refuse := func(msg string) error {
		return refused("invalid", msg, forms.FieldError{Pointer: "/to", Message: msg})
	}
	u, err := s.Directory.User(ctx, to)
	if errors.Is(err, directory.ErrUnknown) {
		return refuse(fmt.Sprintf("%s is not a user COP knows: people are known once they have signed in", to))
	}
	if err != nil {
		return err
	}
	if len(t.CandidateGroups) > 0 && !u.Principal().Matches(t.CandidateGroups) {
		return refuse(fmt.Sprintf("%s (%s) is not in the task's candidate groups (%s), so could not work it",
			u.Display(), u.Subject, strings.Join(t.CandidateGroups, ", ")))
	}
	return nil
}

func taskClosed(t Task) error {
	return refused("gone", fmt.Sprintf("task %s is %s; only open tasks can be acted on", t.ID, t.Status))
}

// taskActionID names an action request: the task, the action, the caller,
// what they sent, and either their Idempotency-Key or the revision of the
// task they acted on. Without a key, the same request at the same
// revision is one request (a double click); claim, release and claim
// again are three, because each sees a new revision. A keyed request is
// one request whatever the revision.
func taskActionID(t Task, a engine.TaskAction, key string, revision int) string {
	h := sha256.New()
	data, _ := json.Marshal(a.Data) // maps marshal with sorted keys
	fmt.Fprintf(h, "%s\n%s\n%s\n%s\n%s\n", t.ID, a.Action, a.Caller.Sub, a.To, data)
	if key != "" {
		fmt.Fprintf(h, "key\n%s", key)
	} else {
		fmt.Fprintf(h, "revision\n%d", revision)
	}
	return "task-action-" + hex.EncodeToString(h.Sum(nil)[:16])
}

// checkTaskData decodes the answers and validates them against the task's
// form version.
func (s *Service) checkTaskData(ctx context.Context, t Task, raw json.RawMessage) (any, []forms.FieldError, error) {
	var data any
	if len(raw) == 0 || json.Unmarshal(raw, &data) != nil {
		return nil, []forms.FieldError{{Pointer: "/data", Message: "data must be the answers, a JSON object"}}, nil
	}
	if _, ok := data.(map[string]any); !ok {
		return nil, []forms.FieldError{{Pointer: "/data", Message: "data must be the answers, a JSON object"}}, nil
	}
	f, _, err := s.defs.Form(ctx, t.Form, t.FormVersion)
	if err != nil {
		return nil, nil, fmt.Errorf("load form %s@%s of task %s: %w", t.Form, t.FormVersion, t.ID, err)
	}
	errs := f.Validate(data, time.Now())
	for i := range errs {
		errs[i].Pointer = "/data" + errs[i].Pointer
	}
	return data, errs, nil
}

// Notification is an in-app notification as its reader sees it.
type Notification struct {
	ID          string    `json:"id"`
	Instance    string    `json:"instance"`
	BusinessKey string    `json:"businessKey,omitempty"`
	Title       string    `json:"title"`
	Body        string    `json:"body,omitempty"`
	Link        string    `json:"link,omitempty"`
	Read        bool      `json:"read"`
	CreatedAt   time.Time `json:"createdAt"`
}

// Notifications lists the caller's notifications (to them, their roles or
// their teams), newest first; unread only when asked.
func (s *Service) Notifications(ctx context.Context, p *auth.Principal, unreadOnly bool, limit int, cursor string) ([]Notification, string, error) {
	afterAt, afterID, err := newestFirstAfter(cursor)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx, `SELECT n.id, n.instance_id, n.case_key, n.title, n.body, n.link, r.reader IS NOT NULL, n.created_at
		FROM notifications n LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.reader = $1
		WHERE n.recipients && $2::text[] AND (NOT $3 OR r.reader IS NULL) AND (n.created_at, n.id) < ($4::timestamptz, $5)
		ORDER BY n.created_at DESC, n.id DESC LIMIT $6`, p.Subject, p.Entries(), unreadOnly, afterAt, afterID, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("list notifications: %w", err)
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Notification, error) {
		var n Notification
		err := row.Scan(&n.ID, &n.Instance, &n.BusinessKey, &n.Title, &n.Body, &n.Link, &n.Read, &n.CreatedAt)
		n.CreatedAt = n.CreatedAt.UTC()
		return n, err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list notifications: %w", err)
	}
	items, next := store.Page(items, limit, func(n Notification) []string { return newestFirstKey(n.CreatedAt, n.ID) })
	return items, next, nil
}

// MarkRead marks a notification to the caller read; one addressed to
// someone else is not found.
func (s *Service) MarkRead(ctx context.Context, p *auth.Principal, id string) error {
	tag, err := s.pool.Exec(ctx, `INSERT INTO notification_reads (notification_id, reader)
		SELECT id, $2 FROM notifications WHERE id = $1 AND recipients && $3::text[]
		ON CONFLICT DO NOTHING`, id, p.Subject, p.Entries())
	if err != nil {
		return fmt.Errorf("mark notification %s read: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		var mine bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM notifications WHERE id = $1 AND recipients && $2::text[])`, id, p.Entries()).Scan(&mine); err != nil {
			return fmt.Errorf("read notification %s: %w", id, err)
		}
		if !mine {
			return ErrNotFound
		}
	}
	return nil
}
