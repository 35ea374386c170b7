package instances

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"cop/forms"
	"cop/platform/audit"
	"cop/platform/definitions"
	"cop/platform/events"
	"cop/platform/registry"
	"cop/platform/store"
	"cop/workflows"
	"cop/workflows/engine"
)

// Store is the worker's engine.Platform over PostgreSQL: the interpreter's
// activities write the inbox, notifications, emitted events and instance
// ends here. Each write is idempotent, because Temporal retries activities.
type Store struct {
	Pool *pgxpool.Pool
	Defs *definitions.Service
}

var _ engine.Platform = (*Store)(nil)

// workflowActor is who the audit trail names for what an instance does by itself.
const workflowActor = "workflow"

// CreateTask stores an inbox task.
func (s *Store) CreateTask(ctx context.Context, t engine.TaskRequest) error {
	input, err := jsonOrNil(t.Input)
	if err != nil {
		return err
	}
	return permanent("the task", once(ctx, s.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO tasks (id, instance_id, position, case_key, form_name, form_version, title,
				candidate_groups, assignee, priority, reason, due, input, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) ON CONFLICT (id) DO NOTHING`,
			t.ID, t.Instance, t.Position, t.CaseKey, t.Form, t.FormVersion, t.Title, nonNil(t.CandidateGroups), t.Assignee,
			t.Priority, t.Reason, t.Due, input, t.CreatedAt)
		if err != nil {
			return fmt.Errorf("store task %s: %w", t.ID, err)
		}
		if tag.RowsAffected() == 0 {
			return errAlreadyApplied
		}
		if err := audit.Record(ctx, tx, audit.Who{Actor: workflowActor, RequestID: t.Instance}.Entry("task.create", "task:"+t.ID, audit.OK,
			map[string]any{"instance": t.Instance, "form": t.Form + "@" + t.FormVersion, "candidateGroups": nonNil(t.CandidateGroups), "priority": t.Priority})); err != nil {
			return err
		}
		return publishTask(ctx, tx, t.ID, events.TaskCreated, "")
	}))
}

// TaskChanged applies a change the instance accepted through its Update.
func (s *Store) TaskChanged(ctx context.Context, c engine.TaskChange) error {
	data, err := jsonOrNil(c.Data)
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
	return permanent("the task's "+string(c.Kind)+" change", once(ctx, s.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("record task %s %s: %w", c.ID, c.Kind, err)
		}
		if tag.RowsAffected() == 0 {
			return errAlreadyApplied
		}
		actor := c.By
		if actor == "" {
			actor = workflowActor
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
	}))
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
		Draft: isDraft(t.Instance), Data: t})
	return err
}

// isDraft says whether an instance id (or a sub-workflow's, which begins
// with its parent's) is a draft run's.
func isDraft(instance string) bool { return strings.HasPrefix(instance, draftPrefix) }

// errAlreadyApplied rolls back a transaction whose write an earlier try
// of the same activity already made (Temporal retries activities); once
// turns it into success.
var errAlreadyApplied = errors.New("already applied")

// Notify stores an in-app notification.
func (s *Store) Notify(ctx context.Context, n engine.Notification) error {
	return permanent("the notification", once(ctx, s.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO notifications (id, instance_id, case_key, recipients, title, body, link, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
			n.ID, n.Instance, n.CaseKey, nonNil(n.To), n.Title, n.Body, n.Link, n.At)
		if err != nil {
			return fmt.Errorf("store notification %s: %w", n.ID, err)
		}
		if tag.RowsAffected() == 0 {
			return errAlreadyApplied
		}
		// Outside systems (mail) need who it is for, which readers do not see.
		data := map[string]any{"id": n.ID, "instance": n.Instance, "businessKey": n.CaseKey, "to": nonNil(n.To), "title": n.Title,
			"body": n.Body, "link": n.Link, "createdAt": n.At.UTC()}
		_, err = events.Publish(ctx, tx, events.New{ID: events.IDFor(n.ID, events.NotificationCreated), Type: events.NotificationCreated,
			Subject: n.CaseKey, Draft: isDraft(n.Instance), Data: data})
		return err
	}))
}

// Emit records an emitted CloudEvent. Temporal may retry the activity, so
// the same event id is stored once per instance.
func (s *Store) Emit(ctx context.Context, e engine.EmitRequest) error {
	if eventType, _ := e.Event["type"].(string); eventType == "" || workflows.ReservedEventType(eventType) {
		return engine.ActivityFault(workflows.NewError(workflows.ErrValidation, "Event type refused",
			"an emitted event needs a type that does not begin with %q (only COP's own events do); got %q", workflows.ReservedEventPrefix, eventType))
	}
	event, err := json.Marshal(e.Event)
	if err != nil {
		return fmt.Errorf("encode emitted event: %w", err)
	}
	id := fmt.Sprint(e.Event["id"])
	return permanent("the emitted event", once(ctx, s.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO emitted_events (instance_id, event)
			SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM emitted_events WHERE instance_id = $1 AND event->>'id' = $3)`,
			e.Instance, string(event), id)
		if err != nil {
			return fmt.Errorf("store emitted event: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return errAlreadyApplied
		}
		return publishEmitted(ctx, tx, e, id)
	}))
}

// publishEmitted announces what an emit task sent as an event of its own
// type; the workflow's subject, else the case's business key, is its subject.
func publishEmitted(ctx context.Context, tx pgx.Tx, e engine.EmitRequest, id string) error {
	eventType, _ := e.Event["type"].(string)
	subject, _ := e.Event["subject"].(string)
	if subject == "" {
		subject = e.CaseKey
	}
	_, err := events.Publish(ctx, tx, events.New{ID: events.IDFor(e.Instance, "emit", id), Type: eventType, Subject: subject,
		Draft: isDraft(e.Instance), Data: e.Event["data"]})
	return err
}

// Lookup reads the latest active version of a reference data set: every
// item, or the one whose code is the key.
func (s *Store) Lookup(ctx context.Context, l engine.LookupRequest) (any, error) {
	set, _, err := s.Defs.RefData(ctx, l.RefData, "")
	if errors.Is(err, registry.ErrNotFound) {
		return nil, engine.ActivityFault(workflows.NewError(workflows.ErrConfiguration, "Unknown reference data", "there is no active reference data set %q", l.RefData))
	}
	if err != nil {
		return nil, err
	}
	items := set.Items
	if l.Key != "" {
		found := set.Find(forms.RefQuery{Code: l.Key})
		if len(found) == 0 {
			e := workflows.NewError(workflows.ErrRuntime, "Not found", "%s has no item %q", l.RefData, l.Key)
			e.Status = 404
			return nil, engine.ActivityFault(e)
		}
		return asJSON(found[0])
	}
	return asJSON(items)
}

func asJSON(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	return out, json.Unmarshal(b, &out)
}

// InstanceEnded records how an instance ended, and the trace it had not
// handed over yet.
func (s *Store) InstanceEnded(ctx context.Context, e engine.InstanceEnd) error {
	if err := s.RecordTrace(ctx, engine.TraceRecord{Instance: e.Instance, Entries: e.Trace}); err != nil {
		return err
	}
	return permanent("the end of the instance", recordEnd(ctx, s.Pool, e))
}

// permanent turns a write PostgreSQL can never accept (SQLSTATE class 22,
// a data exception such as a NUL character in text or jsonb, or 23, a
// broken constraint) into a fault the instance sees at once, instead of
// an activity retried for ever.
func permanent(what string, err error) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) && (strings.HasPrefix(pg.Code, "22") || strings.HasPrefix(pg.Code, "23")) {
		return engine.ActivityFault(workflows.NewError(workflows.ErrValidation, "Cannot store",
			"PostgreSQL refuses %s: %s (SQLSTATE %s)", what, pg.Message, pg.Code))
	}
	return err
}

// RecordTrace stores trace entries an instance hands over; a retried
// batch writes the same rows again.
func (s *Store) RecordTrace(ctx context.Context, t engine.TraceRecord) error {
	batch := &pgx.Batch{}
	for _, e := range t.Entries {
		if e.Seq == 0 {
			continue // entries from before sequence numbers stay in Temporal
		}
		batch.Queue(`INSERT INTO instance_trace (instance_id, seq, name, position, status, started_at, ended_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (instance_id, seq) DO UPDATE SET status = EXCLUDED.status, ended_at = EXCLUDED.ended_at`,
			t.Instance, e.Seq, e.Name, e.Position, e.Status, e.StartedAt, e.EndedAt)
	}
	if batch.Len() == 0 {
		return nil
	}
	if err := s.Pool.SendBatch(ctx, batch).Close(); err != nil {
		return permanent("the trace", fmt.Errorf("record the trace of instance %s: %w", t.Instance, err))
	}
	return nil
}

// recordedTrace reads the trace entries an instance handed over.
func recordedTrace(ctx context.Context, q store.Querier, instance string) ([]engine.TraceEntry, error) {
	rows, err := q.Query(ctx, `SELECT seq, name, position, status, started_at, ended_at FROM instance_trace
		WHERE instance_id = $1 ORDER BY seq`, instance)
	if err != nil {
		return nil, fmt.Errorf("read the trace of instance %s: %w", instance, err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (engine.TraceEntry, error) {
		var e engine.TraceEntry
		err := row.Scan(&e.Seq, &e.Name, &e.Position, &e.Status, &e.StartedAt, &e.EndedAt)
		e.StartedAt = e.StartedAt.UTC()
		if e.EndedAt != nil {
			t := e.EndedAt.UTC()
			e.EndedAt = &t
		}
		return e, err
	})
}

// recordEnd marks a running instance ended, closes the tasks it left open
// (a cancelled instance, a fork whose other branch won) and audits it.
func recordEnd(ctx context.Context, pool *pgxpool.Pool, e engine.InstanceEnd) error {
	err := writeEnd(ctx, pool, e)
	var pg *pgconn.PgError
	if errors.As(err, &pg) && strings.HasPrefix(pg.Code, "22") && e.Output != nil {
		// An output PostgreSQL cannot hold (a NUL character): the row
		// keeps the status, and the API reads the output from Temporal.
		e.Output = nil
		err = writeEnd(ctx, pool, e)
	}
	return err
}

func writeEnd(ctx context.Context, pool *pgxpool.Pool, e engine.InstanceEnd) error {
	output, err := jsonOrNil(e.Output)
	if err != nil {
		return err
	}
	var rerr any
	if e.Error != nil {
		if rerr, err = jsonOrNil(e.Error); err != nil {
			return err
		}
	}
	return once(ctx, pool, func(tx pgx.Tx) error {
		// 'starting' too: an instance may end before its starter marks it running.
		tag, err := tx.Exec(ctx, `UPDATE instances SET status = $2, output = $3, error = $4, ended_at = $5, pending_start = NULL
			WHERE id = $1 AND status IN ('starting', 'running')`,
			e.Instance, e.Status, output, rerr, e.At)
		if err != nil {
			return fmt.Errorf("record the end of instance %s: %w", e.Instance, err)
		}
		if tag.RowsAffected() == 0 {
			return errAlreadyApplied
		}
		if _, err := tx.Exec(ctx, `UPDATE tasks SET status = 'cancelled', updated_at = $2 WHERE instance_id = $1 AND status = 'open'`, e.Instance, e.At); err != nil {
			return fmt.Errorf("close the tasks of instance %s: %w", e.Instance, err)
		}
		detail := map[string]any{"status": e.Status}
		if e.Error != nil {
			detail["error"] = e.Error.Type
		}
		if err := audit.Record(ctx, tx, audit.Who{Actor: workflowActor, RequestID: e.Instance}.Entry("instance.end", "instance:"+e.Instance, audit.OK, detail)); err != nil {
			return err
		}
		return publishInstance(ctx, tx, e.Instance, endEvents[e.Status])
	})
}

// endEvents announce how an instance ended.
var endEvents = map[string]string{engine.StatusCompleted: events.InstanceCompleted, engine.StatusFaulted: events.InstanceFaulted,
	engine.StatusCancelled: events.InstanceCancelled}

// once runs an idempotent write: a retry of one already applied (fn
// returned errAlreadyApplied) rolls back and succeeds.
func once(ctx context.Context, pool *pgxpool.Pool, fn func(pgx.Tx) error) error {
	err := store.InTx(ctx, pool, fn)
	if errors.Is(err, errAlreadyApplied) {
		return nil
	}
	return err
}

// jsonOrNil encodes v for a jsonb column; nil stays SQL NULL.
func jsonOrNil(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return string(b), nil
}
