package instances

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"cop/forms"
	"cop/platform/audit"
	"cop/platform/definitions"
	"cop/platform/events"
	"cop/platform/inbound"
	"cop/platform/registry"
	"cop/platform/store"
	"cop/platform/tasks"
	"cop/workflows"
	"cop/workflows/engine"
)

// Store is the worker's engine.Platform over PostgreSQL: the interpreter's
// activities write the inbox, notifications, emitted events and instance
// ends here. Each write is idempotent, because Temporal retries activities.
type Store struct {
	Pool *pgxpool.Pool
	Defs *definitions.Service
	// Listens routes the events sent to COP to waiting instances (nil:
	// events reach instances only through their own endpoint).
	Listens Listens
}

// Listens is the inbound service's record of waiting listens.
type Listens interface {
	Register(ctx context.Context, l inbound.Listen) error
	EndListen(ctx context.Context, instance, activation string) error
	EndInstance(ctx context.Context, instance string) error
}

// inbox is the tasks service's writer of the inbox.
func (s *Store) inbox() *tasks.Inbox { return &tasks.Inbox{Pool: s.Pool} }

// CreateTask stores an inbox task.
func (s *Store) CreateTask(ctx context.Context, t engine.TaskRequest) error {
	return permanent("the task", s.inbox().Create(ctx, t))
}

// TaskChanged applies a change the instance accepted through its Update.
func (s *Store) TaskChanged(ctx context.Context, c engine.TaskChange) error {
	return permanent("the task's "+string(c.Kind)+" change", s.inbox().Change(ctx, c))
}

// Notify stores an in-app notification.
func (s *Store) Notify(ctx context.Context, n engine.Notification) error {
	return permanent("the notification", s.inbox().Notify(ctx, n))
}

var _ engine.Platform = (*Store)(nil)

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
	return permanent("the emitted event", store.Once(ctx, s.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO emitted_events (instance_id, event)
			SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM emitted_events WHERE instance_id = $1 AND event->>'id' = $3)`,
			e.Instance, string(event), id)
		if err != nil {
			return fmt.Errorf("store emitted event: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return store.ErrAlreadyApplied
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
	err := events.Publish(ctx, tx, events.New{ID: events.IDFor(e.Instance, "emit", id), Type: eventType, Subject: subject,
		Instance: e.Instance, Draft: engine.IsDraft(e.Instance), Data: e.Event["data"]})
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
	if s.Listens != nil {
		if err := s.Listens.EndInstance(ctx, e.Instance); err != nil {
			return err
		}
	}
	return permanent("the end of the instance", recordEnd(ctx, s.Pool, e))
}

// ListenStarted records an instance's wait in a listen with the senders
// its workflow lets drive it (access.events of its latest active version,
// as readers follow it); the kept events it takes are sent it. A draft
// run takes no events from outside: it is fed through its own endpoint.
func (s *Store) ListenStarted(ctx context.Context, l engine.ListenRequest) error {
	if s.Listens == nil {
		return nil
	}
	in, err := readRow(ctx, s.Pool, l.Instance)
	if errors.Is(err, ErrNotFound) || in.Draft {
		return nil
	}
	if err != nil {
		return err
	}
	drivers, err := s.eventSenders(ctx, in.Workflow)
	if err != nil {
		return err
	}
	return s.Listens.Register(ctx, inbound.Listen{Instance: l.Instance, Activation: l.Activation, Position: l.Position,
		Waiting: l.Waiting, Drivers: drivers})
}

// eventSenders is a workflow's access.events: its latest active
// version's, or, with every version retired, the version ref's.
func (s *Store) eventSenders(ctx context.Context, ref WorkflowRef) ([]string, error) {
	def, err := s.Defs.Workflow(ctx, ref.Namespace, ref.Name, "latest")
	if errors.Is(err, registry.ErrNotFound) {
		def, err = s.Defs.Workflow(ctx, ref.Namespace, ref.Name, ref.Version)
	}
	if err != nil {
		return nil, fmt.Errorf("read workflow %s: %w", describe(ref.Namespace, ref.Name, ref.Version), err)
	}
	w, err := s.Defs.DecodedWorkflow(def)
	if err != nil {
		return nil, err
	}
	return workflows.AccessOf(w).Events, nil
}

// ListenEnded forgets a listen's wait.
func (s *Store) ListenEnded(ctx context.Context, l engine.ListenEnd) error {
	if s.Listens == nil {
		return nil
	}
	return s.Listens.EndListen(ctx, l.Instance, l.Activation)
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
	output, err := store.JSONOrNull(e.Output)
	if err != nil {
		return err
	}
	var rerr any
	if e.Error != nil {
		if rerr, err = store.JSONOrNull(e.Error); err != nil {
			return err
		}
	}
	return store.Once(ctx, pool, func(tx pgx.Tx) error {
		// An instance may end before its starter marks it running (a quick
		// one on a busy replica): it is marked, and its start announced,
		// first, so subscribers hear started before how it ended.
		marked, err := markRunning(ctx, tx, e.Instance)
		if err != nil {
			return fmt.Errorf("mark instance %s started: %w", e.Instance, err)
		}
		if marked {
			if err := publishInstance(ctx, tx, e.Instance, events.InstanceStarted); err != nil {
				return err
			}
		}
		if err := writeEndRow(ctx, tx, e, output, rerr); err != nil {
			return err
		}
		if err := tasks.CloseOpen(ctx, tx, e.Instance, e.At); err != nil {
			return err
		}
		detail := map[string]any{"status": e.Status}
		if e.Error != nil {
			detail["error"] = e.Error.Type
		}
		if err := audit.Record(ctx, tx, audit.Who{Actor: tasks.WorkflowActor, RequestID: e.Instance}.Entry("instance.end", "instance:"+e.Instance, audit.OK, detail)); err != nil {
			return err
		}
		return publishInstance(ctx, tx, e.Instance, endEvents[e.Status])
	})
}

// endEvents announce how an instance ended.
var endEvents = map[string]string{engine.StatusCompleted: events.InstanceCompleted, engine.StatusFaulted: events.InstanceFaulted,
	engine.StatusCancelled: events.InstanceCancelled}
