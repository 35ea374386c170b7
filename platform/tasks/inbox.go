package tasks

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"cop/platform/audit"
	"cop/platform/events"
	"cop/platform/store"
	"cop/workflows"
	"cop/workflows/engine"
)

// Inbox is the instances' way to write the inbox (their activities call
// it through engine.Platform). Each write is idempotent, because Temporal
// retries activities.
type Inbox struct{ Pool *pgxpool.Pool }

// WorkflowActor is who the audit trail names for what an instance does by
// itself.
const WorkflowActor = "workflow"

// CloseOpen withdraws the tasks an ended instance left open (a cancelled
// instance, a fork whose other branch won), in the transaction that
// records its end.
func CloseOpen(ctx context.Context, tx pgx.Tx, instance string, at time.Time) error {
	if _, err := tx.Exec(ctx, `UPDATE tasks SET status = 'cancelled', updated_at = $2 WHERE instance_id = $1 AND status = 'open'`, instance, at); err != nil {
		return fmt.Errorf("close the tasks of instance %s: %w", instance, err)
	}
	return nil
}

// CreateTask stores an inbox task.
func (in *Inbox) Create(ctx context.Context, t engine.TaskRequest) error {
	input, err := store.JSONOrNull(t.Input)
	if err != nil {
		return err
	}
	return store.Once(ctx, in.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO tasks (id, instance_id, position, case_key, form_name, form_version, title,
				candidate_groups, assignee, priority, reason, due, input, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) ON CONFLICT (id) DO NOTHING`,
			t.ID, t.Instance, t.Position, t.CaseKey, t.Form, t.FormVersion, t.Title, store.TextArray(t.CandidateGroups), t.Assignee,
			t.Priority, t.Reason, t.Due, input, t.CreatedAt)
		if err != nil {
			return fmt.Errorf("store task %s: %w", t.ID, err)
		}
		if tag.RowsAffected() == 0 {
			return store.ErrAlreadyApplied
		}
		if err := audit.Record(ctx, tx, audit.Who{Actor: WorkflowActor, RequestID: t.Instance}.Entry("task.create", "task:"+t.ID, audit.OK,
			map[string]any{"instance": t.Instance, "form": t.Form + "@" + t.FormVersion, "candidateGroups": store.TextArray(t.CandidateGroups), "priority": t.Priority})); err != nil {
			return err
		}
		return publishTask(ctx, tx, t.ID, events.TaskCreated, "")
	})
}

// TaskChanged applies a change the instance accepted through its Update.
func (in *Inbox) Change(ctx context.Context, c engine.TaskChange) error {
	data, err := store.JSONOrNull(c.Data)
	if err != nil {
		return err
	}
	// Every change bumps the revision and names the action that made it.
	// The row follows the instance, whose Update already decided; the
	// claim and completion guards only keep a row that somehow lagged from
	// being overwritten by a claim it never saw.
	const bump = `revision = revision + 1, last_action = $3, updated_at = $2`
	var query string
	args := []any{c.ID, c.At, c.Action}
	switch c.Kind {
	case engine.TaskClaimed:
		query, args = `UPDATE tasks SET claimed_by = $4, `+bump+` WHERE id = $1 AND status = 'open' AND claimed_by IN ('', $4)`, append(args, c.Assignee)
	case engine.TaskReleased:
		query = `UPDATE tasks SET claimed_by = '', ` + bump + ` WHERE id = $1 AND status = 'open'`
	case engine.TaskReassigned:
		query, args = `UPDATE tasks SET assignee = $4, claimed_by = $4, `+bump+` WHERE id = $1 AND status = 'open'`, append(args, c.Assignee)
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
	return store.Once(ctx, in.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("record task %s %s: %w", c.ID, c.Kind, err)
		}
		if tag.RowsAffected() == 0 {
			return store.ErrAlreadyApplied
		}
		actor := c.By
		if actor == "" {
			actor = WorkflowActor
		}
		detail := map[string]any{}
		if c.Assignee != "" {
			detail["assignee"] = c.Assignee
		}
		if c.Kind == engine.TaskEscalated {
			detail["priority"] = c.Priority
		}
		if err := audit.Record(ctx, tx, audit.Who{Actor: actor, RequestID: c.ID}.Entry("task."+string(c.Kind), "task:"+c.ID, audit.OK, detail)); err != nil {
			return err
		}
		if eventType, ok := taskEvents[c.Kind]; ok {
			return publishTask(ctx, tx, c.ID, eventType, c.Action+c.At.String())
		}
		return nil
	})
}

// taskEvents are the task changes announced as events.
var taskEvents = map[engine.TaskChangeKind]string{engine.TaskClaimed: events.TaskClaimed, engine.TaskDone: events.TaskCompleted,
	engine.TaskEscalated: events.TaskEscalated}

// publishTask announces a task change with the task as the API shows it.
// which tells one change of a kind from another (a task claimed twice).
func publishTask(ctx context.Context, tx pgx.Tx, id, eventType, which string) error {
	rows, err := tx.Query(ctx, `SELECT `+taskColumns+` FROM tasks WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("read task %s: %w", id, err)
	}
	t, err := pgx.CollectExactlyOneRow(rows, scanTask(time.Now()))
	if err != nil {
		return fmt.Errorf("read task %s: %w", id, err)
	}
	_, err = events.Publish(ctx, tx, events.New{ID: events.IDFor(id, eventType, which), Type: eventType, Subject: t.BusinessKey,
		Draft: engine.IsDraft(t.Instance), Data: t})
	return err
}

// Notify stores an in-app notification.
func (in *Inbox) Notify(ctx context.Context, n engine.Notification) error {
	return store.Once(ctx, in.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO notifications (id, instance_id, case_key, recipients, title, body, link, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
			n.ID, n.Instance, n.CaseKey, store.TextArray(n.To), n.Title, n.Body, n.Link, n.At)
		if err != nil {
			return fmt.Errorf("store notification %s: %w", n.ID, err)
		}
		if tag.RowsAffected() == 0 {
			return store.ErrAlreadyApplied
		}
		// Outside systems (mail) need who it is for, which readers do not see.
		data := map[string]any{"id": n.ID, "instance": n.Instance, "businessKey": n.CaseKey, "to": store.TextArray(n.To), "title": n.Title,
			"body": n.Body, "link": n.Link, "createdAt": n.At.UTC()}
		_, err = events.Publish(ctx, tx, events.New{ID: events.IDFor(n.ID, events.NotificationCreated), Type: events.NotificationCreated,
			Subject: n.CaseKey, Draft: engine.IsDraft(n.Instance), Data: data})
		return err
	})
}
