package events

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Subscriber receives events in process. Handle may be called more than
// once for one event (delivery is at least once) and must be idempotent;
// an error or a panic has the event retried later, with backoff, without
// holding up other subscribers.
type Subscriber struct {
	// Name identifies the subscriber's deliveries across restarts and
	// replicas; renaming one starts it afresh.
	Name string
	// Types are the event types it takes: exact, or a prefix ending in *.
	Types []string
	// Drafts: it also takes the events of draft runs (no outside system
	// should).
	Drafts bool
	// Dynamic: the types it takes change while COP runs, and it keeps them
	// in the outbox itself (SetTypes, in the transaction that changes
	// them), so an event no one wants makes no delivery; Types is unused.
	Dynamic bool
	Handle  func(ctx context.Context, e Event) error
}

// Dispatcher delivers the outbox's events to the subscribers registered
// with it. Every replica runs one; each delivery row is claimed by one
// replica at a time.
type Dispatcher struct {
	Pool *pgxpool.Pool
	// Source is the CloudEvents source naming this installation.
	Source string
	Log    *slog.Logger
	// Poll is how often each subscriber looks for due deliveries that
	// another replica committed, or that are due again (default 1s); an
	// event this process commits wakes it at once.
	Poll time.Duration
	// Lease is how long a claimed delivery is held (and a handler may
	// run) before another replica may claim it again (default 30s): how
	// long a killed replica's claims wait. A batch still being worked
	// half way through its lease gives back what it has not begun.
	Lease time.Duration
	// Backoff is the wait before retry n (1, 2, ...) of a failed
	// delivery (default: 1s doubling to 1m, with jitter).
	Backoff func(attempt int) time.Duration
	// Batch is how many deliveries a subscriber claims at once (default 20).
	Batch int

	subs []Subscriber
	wg   sync.WaitGroup
}

// Register adds a subscriber; call it before Start.
func (d *Dispatcher) Register(s Subscriber) {
	if s.Name == "" || (len(s.Types) == 0 && !s.Dynamic) || s.Handle == nil {
		panic(fmt.Sprintf("events: subscriber %q needs a name, types and a handler", s.Name))
	}
	d.subs = append(d.subs, s)
}

// Start records the subscribers, so events published from now on get
// deliveries for them (by any replica), and delivers in the background
// until ctx ends; Wait waits for that.
func (d *Dispatcher) Start(ctx context.Context) error {
	d.defaults()
	for _, s := range d.subs {
		register := `INSERT INTO event_subscribers (name, types, drafts) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO UPDATE SET types = EXCLUDED.types, drafts = EXCLUDED.drafts, registered_at = now()`
		types := s.Types
		if s.Dynamic { // its types are its own to keep
			register = `INSERT INTO event_subscribers (name, types, drafts) VALUES ($1, $2, $3)
				ON CONFLICT (name) DO UPDATE SET drafts = EXCLUDED.drafts, registered_at = now()`
			types = []string{}
		}
		if _, err := d.Pool.Exec(ctx, register, s.Name, types, s.Drafts); err != nil {
			return fmt.Errorf("register event subscriber %s: %w", s.Name, err)
		}
	}
	wakes := make(map[string]chan struct{}, len(d.subs))
	for _, s := range d.subs {
		wake := make(chan struct{}, 1)
		wakes[s.Name] = wake
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			d.serve(ctx, s, wake)
		}()
	}
	dispatchers.Store(d, wakes)
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		<-ctx.Done()
		dispatchers.Delete(d)
	}()
	return nil
}

// Wait returns once the dispatcher has stopped (its context ended).
func (d *Dispatcher) Wait() { d.wg.Wait() }

func (d *Dispatcher) defaults() {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Poll <= 0 {
		d.Poll = time.Second
	}
	if d.Lease <= 0 {
		d.Lease = 30 * time.Second
	}
	if d.Backoff == nil {
		d.Backoff = Backoff
	}
	if d.Batch <= 0 {
		d.Batch = 20
	}
}

// Backoff waits 1s before the first retry, doubling to at most a minute
// (a dependency back from an outage is used within a minute), give or take
// a fifth so replicas retrying together spread out.
func Backoff(attempt int) time.Duration {
	wait := time.Minute
	if attempt < 7 {
		wait = min(time.Second<<max(attempt-1, 0), wait)
	}
	return time.Duration(float64(wait) * (0.8 + 0.4*rand.Float64()))
}

// serve delivers one subscriber's due events until ctx ends.
func (d *Dispatcher) serve(ctx context.Context, s Subscriber, wake <-chan struct{}) {
	for ctx.Err() == nil {
		n, err := d.deliverDue(ctx, s)
		if err != nil && ctx.Err() == nil {
			d.Log.Error("event dispatcher cannot read its deliveries; retrying", "subscriber", s.Name, "err", err)
		}
		if err == nil && n == d.Batch {
			continue // more may be due
		}
		select {
		case <-ctx.Done():
		case <-wake:
		case <-time.After(d.Poll):
		}
	}
}

// claimed is a delivery this replica holds.
type claimed struct {
	Event
	seq      int64
	attempts int
}

// deliverDue claims a batch of due deliveries and delivers them, oldest
// event first; it returns how many it claimed.
func (d *Dispatcher) deliverDue(ctx context.Context, s Subscriber) (int, error) {
	claimedAt := time.Now()
	batch, err := d.claim(ctx, s.Name)
	if err != nil {
		return 0, err
	}
	for i, c := range batch {
		if time.Since(claimedAt) > d.Lease/2 {
			// Slow handlers: what is left would be handled after its
			// lease lapsed, perhaps by another replica at once.
			return len(batch), d.release(ctx, s.Name, batch[i:])
		}
		err := d.handle(ctx, s, c.Event)
		if ctx.Err() != nil {
			return len(batch), nil // shutting down: the lease lapses and the event is delivered later
		}
		if err := d.settle(ctx, s, c, err); err != nil {
			return len(batch), err
		}
	}
	return len(batch), nil
}

// claim takes up to Batch due deliveries, pushing each one's due time past
// the lease so no other replica takes it meanwhile; rows another replica
// holds are skipped, not waited for.
func (d *Dispatcher) claim(ctx context.Context, subscriber string) ([]claimed, error) {
	rows, err := d.Pool.Query(ctx, `UPDATE event_deliveries d SET due_at = now() + make_interval(secs => $3), attempts = d.attempts + 1
		FROM (SELECT event_id FROM event_deliveries
			WHERE subscriber = $1 AND delivered_at IS NULL AND due_at <= now()
			ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED) c, events e
		WHERE d.subscriber = $1 AND d.event_id = c.event_id AND e.id = d.event_id
		RETURNING e.id::text, e.type, e.subject, e.draft, e.data, e.time, e.instance, e.seq, d.attempts`,
		subscriber, d.Batch, d.Lease.Seconds())
	if err != nil {
		return nil, fmt.Errorf("claim deliveries for %s: %w", subscriber, err)
	}
	batch, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (claimed, error) {
		c := claimed{Event: Event{SpecVersion: specVersion, Source: d.Source, DataContentType: contentTypeJSON}}
		err := row.Scan(&c.ID, &c.Type, &c.Subject, &c.Draft, &c.Data, &c.Time, &c.Instance, &c.seq, &c.attempts)
		c.Time = c.Time.UTC()
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("claim deliveries for %s: %w", subscriber, err)
	}
	slices.SortFunc(batch, func(a, b claimed) int { return int(a.seq - b.seq) })
	return batch, nil
}

// release makes claimed deliveries due again now, uncounted.
func (d *Dispatcher) release(ctx context.Context, subscriber string, rest []claimed) error {
	ids := make([]string, len(rest))
	for i, c := range rest {
		ids[i] = c.ID
	}
	if _, err := d.Pool.Exec(ctx, `UPDATE event_deliveries SET due_at = now(), attempts = attempts - 1
		WHERE subscriber = $1 AND event_id = ANY($2::uuid[]) AND delivered_at IS NULL`, subscriber, ids); err != nil {
		return fmt.Errorf("give back %d deliveries for %s: %w", len(ids), subscriber, err)
	}
	return nil
}

// handle runs the subscriber, turning a panic into an error.
func (d *Dispatcher) handle(ctx context.Context, s Subscriber, e Event) (err error) {
	hctx, cancel := context.WithTimeout(ctx, d.Lease/2)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
			d.Log.Error("event subscriber panicked", "subscriber", s.Name, "event", e.ID, "type", e.Type, "panic", r, "stack", string(debug.Stack()))
		}
	}()
	return s.Handle(hctx, e)
}

// settle marks a delivery done, or due again after the backoff.
func (d *Dispatcher) settle(ctx context.Context, s Subscriber, c claimed, handleErr error) error {
	if handleErr == nil {
		_, err := d.Pool.Exec(ctx, `UPDATE event_deliveries SET delivered_at = now(), last_error = '' WHERE event_id = $1 AND subscriber = $2`, c.ID, s.Name)
		if err != nil {
			return fmt.Errorf("mark event %s delivered to %s: %w", c.ID, s.Name, err)
		}
		return nil
	}
	wait := d.Backoff(c.attempts)
	d.Log.Warn("event subscriber failed; retrying", "subscriber", s.Name, "event", c.ID, "type", c.Type,
		"attempt", c.attempts, "retry_in", wait.Round(time.Millisecond).String(), "err", handleErr)
	msg := handleErr.Error()
	if len(msg) > 2000 {
		msg = msg[:2000]
	}
	_, err := d.Pool.Exec(ctx, `UPDATE event_deliveries SET due_at = now() + make_interval(secs => $3), last_error = $4
		WHERE event_id = $1 AND subscriber = $2`, c.ID, s.Name, wait.Seconds(), strings.ToValidUTF8(msg, "?"))
	if err != nil {
		return fmt.Errorf("reschedule event %s for %s: %w", c.ID, s.Name, err)
	}
	return nil
}
