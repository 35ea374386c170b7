package tasks

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"cop/platform/audit"
	"cop/platform/cases"
	"cop/platform/events"
	"cop/platform/store"
	"cop/workflows/engine"
)

// Inbox is the instances' way to write the inbox (their activities call
// it through engine.Platform). Each write is idempotent, because Temporal
// retries activities.
type Inbox struct{ Pool *pgxpool.Pool }

// WorkflowActor is who the audit trail names for what an instance does by
// itself.
const WorkflowActor = "workflow"

// CreateTask stores an inbox task.
func (in *Inbox) Create(ctx context.Context, t engine.TaskRequest) error {
	input, err := store.JSONOrNull(t.Input)
	if err != nil {
		return err
	}
	return store.Once(ctx, in.Pool, func(tx pgx.Tx) error {
		if err := insertTask(ctx, tx, t, input); err != nil {
			return err
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
	return store.Once(ctx, in.Pool, func(tx pgx.Tx) error {
		if err := changeTask(ctx, tx, c, data); err != nil {
			return err
		}
		if c.Kind == engine.TaskDone {
			if err := recordAmendment(ctx, tx, c); err != nil {
				return err
			}
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
	t, err := readTask(ctx, tx, id)
	if err != nil {
		return err
	}
	err = events.Publish(ctx, tx, events.New{ID: events.IDFor(id, eventType, which), Type: eventType, Subject: t.BusinessKey,
		Instance: t.Instance, Draft: engine.IsDraft(t.Instance), Data: t})
	return err
}

// Notify stores an in-app notification.
func (in *Inbox) Notify(ctx context.Context, n engine.Notification) error {
	return store.Once(ctx, in.Pool, func(tx pgx.Tx) error {
		if err := insertNotification(ctx, tx, n); err != nil {
			return err
		}
		// Outside systems (mail) need who it is for, which readers do not see.
		data := map[string]any{"id": n.ID, "instance": n.Instance, "businessKey": n.CaseKey, "to": store.TextArray(n.To), "title": n.Title,
			"body": n.Body, "link": n.Link, "channels": channelsOf(n), "createdAt": n.At.UTC()}
		err := events.Publish(ctx, tx, events.New{ID: events.IDFor(n.ID, events.NotificationCreated), Type: events.NotificationCreated,
			Subject: n.CaseKey, Instance: n.Instance, Draft: engine.IsDraft(n.Instance), Data: data})
		return err
	})
}

// recordAmendment stores the answers of a completed amend task as the
// submission that corrects the one it amends, in the completion's
// transaction, so it is written exactly when the task completes.
func recordAmendment(ctx context.Context, tx pgx.Tx, c engine.TaskChange) error {
	t, err := readTask(ctx, tx, c.ID)
	if err != nil || t.Amends == "" {
		return err
	}
	data, err := json.Marshal(c.Data)
	if err != nil {
		return fmt.Errorf("encode the amendment of task %s: %w", c.ID, err)
	}
	return cases.RecordAmendment(ctx, tx, cases.Amendment{ID: engine.AmendmentID(c.ID), Corrects: t.Amends, Data: data, By: c.By, At: c.At})
}
