// Package events is COP's one seam for "something happened": a
// transactional outbox. A service announces a domain event by calling
// Publish inside the transaction that makes the change, so the event
// exists exactly when the change does. A Dispatcher (dispatcher.go)
// delivers each event at least once to each subscriber registered in the
// process, sharing the work between replicas through the database.
//
// Events are CloudEvents 1.0: id is the outbox row's UUID, source names
// this installation, type is cop.<noun>.<verb> (or a workflow's own type
// for what its emit tasks send), subject is the case's business key where
// there is one, time is when the change was written and data is the
// resource as the API shows it. docs/events.md lists the types.
package events

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"cop/platform/store"
)

// The types COP announces.
const (
	SubmissionCreated = "cop.submission.created"
	// SubmissionImported is a past submission imported from a team's
	// spreadsheet: not .created, so nothing that acts on new answers
	// (starting workflows, webhooks for new submissions) acts on history.
	SubmissionImported  = "cop.submission.imported"
	CaseOpened          = "cop.case.opened"
	InstanceStarting    = "cop.instance.starting"
	InstanceStarted     = "cop.instance.started"
	InstanceCompleted   = "cop.instance.completed"
	InstanceFaulted     = "cop.instance.faulted"
	InstanceCancelled   = "cop.instance.cancelled"
	InstanceRetried     = "cop.instance.retried"
	TaskCreated         = "cop.task.created"
	TaskClaimed         = "cop.task.claimed"
	TaskCompleted       = "cop.task.completed"
	TaskEscalated       = "cop.task.escalated"
	NotificationCreated = "cop.notification.created"
	DefinitionPublished = "cop.definition.published"
	DefinitionRetired   = "cop.definition.retired"
	specVersion         = "1.0"
	contentTypeJSON     = "application/json"
	maxTypeLength       = 200
)

// Types are COP's own event types, as docs/events.md lists them.
var Types = []string{SubmissionCreated, SubmissionImported, CaseOpened, InstanceStarting, InstanceStarted, InstanceCompleted, InstanceFaulted,
	InstanceCancelled, InstanceRetried, TaskCreated, TaskClaimed, TaskCompleted, TaskEscalated, NotificationCreated, DefinitionPublished,
	DefinitionRetired}

// New is an event a service announces.
type New struct {
	// ID, when set, makes a retried write announce the event once (an
	// activity Temporal retries derives it from what it writes); it must
	// be a UUID. Empty: a new random one.
	ID      string
	Type    string
	Subject string
	// Instance is the workflow instance the event is from, if any: who
	// may read it decides who outside COP may receive the event.
	Instance string
	// Draft marks an event of a draft run: it reaches only subscribers
	// that take drafts, never an outside system.
	Draft bool
	Data  any
	// After holds the deliveries back for this long after the commit: the
	// outbox is then the fallback for work the request first does itself
	// (a start the request makes at once, which a killed process leaves
	// to the outbox).
	After time.Duration
}

// Event is a delivered event, as CloudEvents 1.0 in JSON structured mode.
type Event struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Subject         string          `json:"subject,omitempty"`
	Time            time.Time       `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	Data            json.RawMessage `json:"data"`
	Draft           bool            `json:"copdraft,omitempty"`
	// Instance is New.Instance, kept for subscribers deciding who may see
	// the event; it is not part of the CloudEvent.
	Instance string `json:"-"`
}

// Publish writes e to the outbox through q, which should be the
// transaction making the change e announces, with one delivery for each
// registered subscriber that takes it; an event with an e.ID already
// written is not written again. In a transaction store.InTx runs, it is
// sent with the transaction's next statement (store.Later).
func Publish(ctx context.Context, q store.Querier, e New) error {
	if e.Type == "" || len(e.Type) > maxTypeLength {
		return fmt.Errorf("publish event: type %q must be 1 to %d characters", e.Type, maxTypeLength)
	}
	id := e.ID
	if id == "" {
		id = uuid.NewString()
	}
	data, err := json.Marshal(e.Data)
	if err != nil {
		return fmt.Errorf("publish %s: encode data: %w", e.Type, err)
	}
	var waiting []string // the subscribers this event made deliveries for
	err = store.LaterRow(ctx, q, "publish "+e.Type, `WITH e AS (
			INSERT INTO events (id, type, subject, draft, data, instance) VALUES ($1, $2, $3, $4, $5, $7)
			ON CONFLICT (id) DO NOTHING RETURNING id
		), d AS (
			INSERT INTO event_deliveries (event_id, subscriber, due_at)
			SELECT e.id, s.name, now() + make_interval(secs => $6) FROM e, event_subscribers s
			WHERE (s.drafts OR NOT $4) AND EXISTS (SELECT 1 FROM unnest(s.types) t
				WHERE t = $2 OR (right(t, 1) = '*' AND starts_with($2, left(t, -1))))
			RETURNING subscriber
		)
		SELECT coalesce(array_agg(subscriber), '{}') FROM d`,
		func(row pgx.Row) error { return row.Scan(&waiting) },
		id, e.Type, e.Subject, e.Draft, string(data), e.After.Seconds(), e.Instance)
	if err != nil {
		return err
	}
	if e.After > 0 {
		return nil // nothing is due yet: the dispatchers' poll finds it
	}
	wake := func() { wakeDispatchers(waiting) }
	if tx, inTx := q.(pgx.Tx); inTx {
		store.OnCommit(tx, wake) // delivered once it exists
	} else {
		wake()
	}
	return nil
}

// dispatchers are this process's running dispatchers, each with its
// subscribers' wake channels by name.
var dispatchers sync.Map // *Dispatcher → map[string]chan struct{}

// wakeDispatchers tells this process's subscribers that an event with
// deliveries for them was committed; other replicas' find it at their next
// poll. A subscriber with nothing new is not woken: an event no one takes
// costs no claim.
func wakeDispatchers(subscribers []string) {
	dispatchers.Range(func(_, v any) bool {
		wakes := v.(map[string]chan struct{})
		for _, name := range subscribers {
			select {
			case wakes[name] <- struct{}{}:
			default: // already due to look (or not served here: a nil channel)
			}
		}
		return true
	})
}

// IDFor derives an event id from what a retried write is about, so the
// retry announces the same event (which Publish then writes once).
func IDFor(parts ...string) string {
	return uuid.NewSHA1(idSpace, []byte(strings.Join(parts, "\n"))).String()
}

// idSpace namespaces derived event ids.
var idSpace = uuid.MustParse("6f1f0c1e-9a55-4a8e-9d84-6b0b9d2f7c3a")

// Stored reads one event from the outbox as it is delivered, source
// included.
func Stored(ctx context.Context, q store.Querier, source, id string) (Event, error) {
	e := Event{SpecVersion: specVersion, Source: source, DataContentType: contentTypeJSON}
	err := q.QueryRow(ctx, `SELECT id::text, type, subject, draft, data, time, instance FROM events WHERE id = $1`, id).
		Scan(&e.ID, &e.Type, &e.Subject, &e.Draft, &e.Data, &e.Time, &e.Instance)
	if err != nil {
		return Event{}, fmt.Errorf("read event %s: %w", id, err)
	}
	e.Time = e.Time.UTC()
	return e, nil
}

// SetTypes sets the types a Dynamic subscriber takes, through q (the
// transaction that changes what it wants): events published after it
// commits make deliveries for those types, and no others.
func SetTypes(ctx context.Context, q store.Querier, subscriber string, types []string) error {
	if types == nil {
		types = []string{}
	}
	_, err := q.Exec(ctx, `INSERT INTO event_subscribers (name, types) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET types = EXCLUDED.types`, subscriber, types)
	if err != nil {
		return fmt.Errorf("set the event types %s takes: %w", subscriber, err)
	}
	return nil
}
