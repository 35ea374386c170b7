package webhooks

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"cop/platform/auth"
	"cop/platform/directory"
	"cop/platform/events"
	"cop/platform/store"
	"cop/workflows/engine"
)

// Config is how an installation sends webhooks.
type Config struct {
	// Source names this installation in the CloudEvents sent.
	Source string
	// Allow is the outbound allow-list (COP_CALL_ALLOWLIST) receivers'
	// URLs must pass, checked when a subscription is made and again when
	// each attempt dials.
	Allow engine.Allowlist
	// RequireHTTPS refuses plain http receivers unless an http:// entry
	// of Allow names them (cop serve; cop dev allows http).
	RequireHTTPS bool
	// Schedule is the wait before each retry of a failed delivery (the
	// Standard Webhooks schedule by default); after the last the delivery
	// is dead. Each wait is jittered by a fifth either way.
	Schedule []time.Duration
	// Poll is how often a sender looks for deliveries another replica
	// made or that are due again (default 1s).
	Poll time.Duration
	// Senders is how many deliveries one replica sends at once (default
	// 8), so a hanging receiver does not hold up the others.
	Senders int
	// Client sends the requests; by default one that dials only what
	// Allow admits, follows no redirect and gives up after Timeout.
	Client *http.Client
	Log    *slog.Logger
}

// DefaultSchedule is the retry schedule the Standard Webhooks
// specification suggests: 5 seconds, 5 minutes, 30 minutes, 2, 5, 10 and
// 10 hours (about 27.5 hours in all).
var DefaultSchedule = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour,
	10 * time.Hour, 10 * time.Hour}

// Access asks the services that own what an event is about whether a
// subscription's owner may read it (each answers false for what does not
// exist).
type Access struct {
	Submission func(ctx context.Context, p *auth.Principal, id string) (bool, error)
	Instance   func(ctx context.Context, p *auth.Principal, id string) (bool, error)
	Case       func(ctx context.Context, p *auth.Principal, key string) (bool, error)
}

// Service holds the subscriptions and sends their deliveries; it owns the
// webhook_* tables.
type Service struct {
	pool    *pgxpool.Pool
	dir     *directory.Service
	access  Access
	emitted func(context.Context) ([]string, error)
	cfg     Config
	wake    chan struct{}
}

// New returns the service. emitted lists the event types stored workflows
// emit (a subscription may name those exactly).
func New(pool *pgxpool.Pool, dir *directory.Service, access Access, emitted func(context.Context) ([]string, error), cfg Config) *Service {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Schedule == nil {
		cfg.Schedule = DefaultSchedule
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Senders <= 0 {
		cfg.Senders = 8
	}
	if cfg.Client == nil {
		cfg.Client = guardedClient(cfg.Allow)
	}
	return &Service{pool: pool, dir: dir, access: access, emitted: emitted, cfg: cfg, wake: make(chan struct{}, 1)}
}

// guardedClient is NewClient dialling only what the allow-list admits,
// after DNS, with no proxy from the environment.
func guardedClient(allow engine.Allowlist) *http.Client {
	c := NewClient()
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.DialContext = allow.Dial
	c.Transport = t
	return c
}

// Wake has this replica's sender look for due deliveries now.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default: // already due to look
	}
}

// subscriberName names the outbox subscriber.
const subscriberName = "webhooks"

// Subscriber is the outbox subscriber that turns each event into one
// delivery per enabled subscription taking its type; draft runs' events
// never reach it. It takes only the types some enabled subscription
// takes (syncTypes), so with none the outbox writes nothing for it.
func (s *Service) Subscriber() events.Subscriber {
	return events.Subscriber{Name: subscriberName, Dynamic: true, Handle: s.fanOut}
}

// syncTypes sets the outbox subscriber's types to those of the enabled
// subscriptions, in the transaction that changes one. A lock orders the
// changes, so each computes the union from what the one before committed.
func syncTypes(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('webhook-types', 0))`); err != nil {
		return fmt.Errorf("lock the webhooks' event types: %w", err)
	}
	var types []string
	if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(DISTINCT t ORDER BY t), '{}') FROM webhook_subscriptions, unnest(types) t
		WHERE enabled`).Scan(&types); err != nil {
		return fmt.Errorf("read the webhooks' event types: %w", err)
	}
	return events.SetTypes(ctx, tx, subscriberName, types)
}

// SyncTypes sets the outbox subscriber's types from the subscriptions,
// as each replica starts (its dispatcher registers it with none).
func (s *Service) SyncTypes(ctx context.Context) error {
	return store.Once(ctx, s.pool, func(tx pgx.Tx) error { return syncTypes(ctx, tx) })
}

// fanOut makes the event's deliveries (once each, however often the
// outbox hands the event over).
func (s *Service) fanOut(ctx context.Context, e events.Event) error {
	tag, err := s.pool.Exec(ctx, `INSERT INTO webhook_deliveries (id, subscription_id, event_id)
		SELECT gen_random_uuid(), s.id, $1 FROM webhook_subscriptions s
		WHERE s.enabled AND EXISTS (SELECT 1 FROM unnest(s.types) t
			WHERE t = $2 OR (right(t, 1) = '*' AND starts_with($2, left(t, -1))))
		ON CONFLICT (subscription_id, event_id) DO NOTHING`, e.ID, e.Type)
	if err != nil {
		return fmt.Errorf("make webhook deliveries of event %s: %w", e.ID, err)
	}
	if tag.RowsAffected() > 0 {
		s.Wake()
	}
	return nil
}

// retryWait is the jittered wait before retry n (1, 2, ...), and whether
// the schedule has one.
func (s *Service) retryWait(n int) (time.Duration, bool) {
	if n < 1 || n > len(s.cfg.Schedule) {
		return 0, false
	}
	return time.Duration(float64(s.cfg.Schedule[n-1]) * (0.8 + 0.4*rand.Float64())), true
}
