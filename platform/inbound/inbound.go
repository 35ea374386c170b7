package inbound

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/problem"
	"cop/platform/store"
)

// DefaultRetention is how long an event is kept for a listen that starts
// later (COP_EVENT_RETENTION).
const DefaultRetention = 24 * time.Hour

// DefaultMaxWaiting is how many events one sender may have kept that no
// listen has taken yet: a sender that keeps sending what nothing waits for
// is refused before it fills the database.
const DefaultMaxWaiting = 10000

// Service keeps the events other systems send and routes them to the
// instances waiting for them.
type Service struct {
	pool      *pgxpool.Pool
	retention time.Duration
	wakeCh    chan struct{}
	// Instances signals routed events to instances; nil leaves routes
	// unsignalled (set it before Run).
	Instances Instances
	Log       *slog.Logger
	// Starters start the instances of workflows that events start
	// (schedule.on); nil starts none.
	Starters Starters
	// Poll is how often the router looks for routes to signal that it was
	// not woken for (another replica's, or due again); default 1s.
	Poll time.Duration
	// MaxWaiting bounds each sender's kept events that nothing has taken
	// (default DefaultMaxWaiting).
	MaxWaiting int
	// afterKeep runs between keeping a request's events and routing them
	// (tests have a listen begin there).
	afterKeep func()
}

// Instances is what the router needs of the instances service.
type Instances interface {
	// SignalEvent hands an event to a running instance, once per
	// request id.
	SignalEvent(ctx context.Context, instance, requestID string, event map[string]any) error
	// Starting reports whether an instance is recorded but not yet
	// running in Temporal (a signal to it is then retried, not dropped).
	Starting(ctx context.Context, instance string) (bool, error)
}

// Starters start instances on events.
type Starters interface {
	// PlanEventStarts reads what starting instances on the event needs (the
	// workflows it starts, pinned); nil when it starts none.
	PlanEventStarts(ctx context.Context, e StartEvent) (StartPlan, error)
}

// A StartPlan starts, in the event's routing transaction, the instances
// the event starts, or names the running instances it reaches instead (an
// earlier event with the same correlation values started them). Reached
// are the instances the event has reached already: a listen that began
// after the event was kept takes it itself, and the instance may have
// ended on it before the event is routed; such an instance is not started
// again.
type StartPlan interface {
	Apply(ctx context.Context, tx pgx.Tx, reached []string) (Started, error)
}

// StartEvent is a kept event offered to the workflows events start.
type StartEvent struct {
	Sender, Source, ID string
	// Access are the sender's access entries (role:, team:, user:).
	Access    []string
	Event     map[string]any
	RequestID string
}

// Started is what an event started: new instances, running ones it
// reaches, and the workflows that could not start on it, each with why.
type Started struct {
	Started, Reached, Refused []string
}

// New returns the service; retention 0 is DefaultRetention.
func New(pool *pgxpool.Pool, retention time.Duration) *Service {
	if retention <= 0 {
		retention = DefaultRetention
	}
	return &Service{pool: pool, retention: retention, wakeCh: make(chan struct{}, 1)}
}

// Received is what one request did: events kept, events the sender had
// sent before (the same source and id), and deliveries (each instance an
// event reached, or started with it, counts once).
type Received struct {
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
	Delivered  int `json:"delivered"`
	// Started are the instances the events started (schedule.on).
	Started []string `json:"started"`
	// Refused names each workflow an event would have started but could
	// not, and why.
	Refused []string `json:"refused,omitempty"`
}

// Receive keeps the events, each once per (sender, source, id), all of
// them or none, and audits the request; then routes each new one to the
// listens waiting for it. One sender cannot pre-empt another's event: the
// sender is part of the key.
func (s *Service) Receive(ctx context.Context, p *auth.Principal, who audit.Who, events []event.Event) (Received, error) {
	var r Received
	var fresh []key
	err := store.Once(ctx, s.pool, func(tx pgx.Tx) error {
		r, fresh = Received{}, nil
		if err := s.withinQuota(ctx, tx, p.Subject, len(events)); err != nil {
			return err
		}
		ids := make([]string, 0, len(events))
		for _, e := range events {
			ext, _ := json.Marshal(e.Extensions())
			data := e.Data()
			if len(data) == 0 {
				data = []byte("null")
			}
			var t *time.Time
			if !e.Time().IsZero() {
				tt := e.Time().UTC()
				t = &tt
			}
			tag, err := tx.Exec(ctx, `INSERT INTO inbound_events (sender, source, id, type, subject, time, datacontenttype, data, extensions, expires_at, sender_access)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() + make_interval(secs => $10), $11)
				ON CONFLICT (sender, source, id) DO NOTHING`,
				p.Subject, e.Source(), e.ID(), e.Type(), e.Subject(), t, e.DataContentType(), string(data), string(ext), s.retention.Seconds(), p.Entries())
			if err != nil {
				return fmt.Errorf("keep event %s from %s: %w", e.ID(), e.Source(), err)
			}
			if tag.RowsAffected() == 1 {
				r.Accepted++
				ids = append(ids, e.Source()+" "+e.ID())
				fresh = append(fresh, key{p.Subject, e.Source(), e.ID()})
			} else {
				r.Duplicates++
			}
		}
		return audit.Record(ctx, tx, who.Entry("event.receive", "events", audit.OK,
			map[string]any{"accepted": r.Accepted, "duplicates": r.Duplicates, "events": first(ids, 20)}))
	})
	if err != nil {
		return Received{}, err
	}
	if s.afterKeep != nil {
		s.afterKeep()
	}
	// Kept and acknowledged: should routing fail here, the router routes
	// what is left unrouted.
	routed, err := s.route(ctx, fresh, who.RequestID)
	r.Delivered, r.Started, r.Refused = routed.delivered, nonNil(routed.started), routed.refused
	if err != nil {
		s.log().Warn("events kept, routing left to the router", "err", err)
	}
	return r, nil
}

// withinQuota refuses a request that could take its sender past
// MaxWaiting events kept and not taken, holding the sender's quota until
// the request's transaction ends.
func (s *Service) withinQuota(ctx context.Context, tx pgx.Tx, sender string, adding int) error {
	limit := cmp.Or(s.MaxWaiting, DefaultMaxWaiting)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('cop-events-quota:' || $1, 0))`, sender); err != nil {
		return fmt.Errorf("lock the events quota of %s: %w", sender, err)
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM inbound_events
		WHERE sender = $1 AND NOT consumed AND expires_at > now() LIMIT $2) w`, sender, limit).Scan(&n); err != nil {
		return fmt.Errorf("count the events %s keeps waiting: %w", sender, err)
	}
	if n+adding > limit {
		return problem.Conflictf("you have %d events kept that no instance has taken, and may have at most %d: they are kept for COP_EVENT_RETENTION, or until a listen takes them; send again once some are taken or expired", n, limit).Because(QuotaReason)
	}
	return nil
}

// QuotaReason names a refusal over a sender's quota of waiting events.
const QuotaReason = "quota"

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

func first(list []string, n int) []string {
	if len(list) > n {
		return list[:n]
	}
	return list
}

// Sweep deletes the events kept past their retention.
func (s *Service) Sweep(ctx context.Context) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM inbound_events WHERE expires_at < now()`)
	if err != nil {
		return 0, fmt.Errorf("sweep inbound events: %w", err)
	}
	return tag.RowsAffected(), nil
}
