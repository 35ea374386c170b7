package events_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"cop/platform/events"
	"cop/platform/store"
	"cop/platform/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// received collects what a subscriber was handed, by event id.
type received struct {
	mu     sync.Mutex
	counts map[string]int
	events map[string]events.Event
}

func newReceived() *received {
	return &received{counts: map[string]int{}, events: map[string]events.Event{}}
}

func (r *received) add(e events.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counts[e.ID]++
	r.events[e.ID] = e
}

func (r *received) count(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts[id]
}

func (r *received) distinct() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.counts)
}

func dispatcher(pool *pgxpool.Pool, subs ...events.Subscriber) *events.Dispatcher {
	d := &events.Dispatcher{Pool: pool, Source: "https://cop.test", Log: testenv.Log(), Poll: 50 * time.Millisecond,
		Backoff: func(int) time.Duration { return 50 * time.Millisecond }}
	for _, s := range subs {
		d.Register(s)
	}
	return d
}

func start(t *testing.T, d *events.Dispatcher) context.CancelFunc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); d.Wait() })
	return cancel
}

func publish(t *testing.T, pool *pgxpool.Pool, e events.New) string {
	t.Helper()
	if e.ID == "" {
		e.ID = events.IDFor(t.Name(), fmt.Sprint(rand.Int64()))
	}
	if err := events.Publish(context.Background(), pool, e); err != nil {
		t.Fatal(err)
	}
	return e.ID
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// An event exists exactly when the change announcing it commits: one
// published in a transaction that rolls back is never delivered. A
// delivered event is a CloudEvent with this installation's source, and
// each subscriber gets only the types (and draft runs) it asked for.
func TestEventsAreDeliveredOnlyOnCommitAndByType(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Pool(t)
	subs, all, drafts := newReceived(), newReceived(), newReceived()
	start(t, dispatcher(pool,
		events.Subscriber{Name: "submissions", Types: []string{events.SubmissionCreated}, Handle: func(_ context.Context, e events.Event) error { subs.add(e); return nil }},
		events.Subscriber{Name: "everything", Types: []string{"cop.*", "gov.uk.*"}, Handle: func(_ context.Context, e events.Event) error { all.add(e); return nil }},
		events.Subscriber{Name: "with-drafts", Types: []string{"cop.*"}, Drafts: true, Handle: func(_ context.Context, e events.Event) error { drafts.add(e); return nil }},
	))

	rolledBack := events.IDFor("rolled back")
	err := store.InTx(ctx, pool, func(tx pgx.Tx) error {
		if err := events.Publish(ctx, tx, events.New{ID: rolledBack, Type: events.SubmissionCreated, Data: map[string]any{"id": "never"}}); err != nil {
			return err
		}
		return errors.New("the change fails")
	})
	if err == nil {
		t.Fatal("the transaction should have failed")
	}
	committed := publish(t, pool, events.New{Type: events.SubmissionCreated, Subject: "ARR-2026-000001", Data: map[string]any{"id": "s1"}})
	other := publish(t, pool, events.New{Type: events.TaskCreated, Data: map[string]any{"id": "t1"}})
	draft := publish(t, pool, events.New{Type: events.TaskCreated, Draft: true, Data: map[string]any{"id": "t2"}})
	own := publish(t, pool, events.New{Type: "gov.uk.border.seizure", Data: nil})
	unwanted := publish(t, pool, events.New{Type: "org.example.other", Data: 1})

	waitFor(t, "every delivery", func() bool { return subs.distinct() == 1 && all.distinct() == 3 && drafts.distinct() == 3 })
	time.Sleep(200 * time.Millisecond) // a wrong delivery would arrive by now
	e := subs.events[committed]
	if e.SpecVersion != "1.0" || e.Source != "https://cop.test" || e.Type != events.SubmissionCreated || e.Subject != "ARR-2026-000001" ||
		e.DataContentType != "application/json" || string(e.Data) != `{"id": "s1"}` || e.Time.IsZero() || e.Draft {
		t.Errorf("delivered %+v", e)
	}
	for _, id := range []string{rolledBack, unwanted, draft} {
		if subs.count(id)+all.count(id) != 0 {
			t.Errorf("event %s was delivered to a subscriber that does not take it", id)
		}
	}
	if all.count(other) != 1 || all.count(own) != 1 || drafts.count(draft) != 1 || !drafts.events[draft].Draft || drafts.count(own) != 0 {
		t.Errorf("everything got %v; with-drafts got %v", all.counts, drafts.counts)
	}
	if string(all.events[own].Data) != "null" {
		t.Errorf("an event without data carries %s", all.events[own].Data)
	}
}

// Publishing the same id twice (an activity Temporal retried) writes one event.
func TestPublishWithAnIDIsOnce(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Pool(t)
	id := events.IDFor("instance-1", "task-1", "created")
	for i := range 2 {
		if err := events.Publish(ctx, pool, events.New{ID: id, Type: events.TaskCreated, Data: map[string]any{"try": i}}); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	var n int
	var data string
	if err := pool.QueryRow(ctx, `SELECT count(*), min(data::text) FROM events WHERE id = $1`, id).Scan(&n, &data); err != nil || n != 1 || data != `{"try": 0}` {
		t.Fatalf("events with the id: %d, first data %s, %v; want one, the first", n, data, err)
	}
	if err := events.Publish(ctx, pool, events.New{Type: ""}); err == nil {
		t.Error("an event without a type was published")
	}
}

// An event published with After is held back that long: the fallback for
// work the request first tries itself is not delivered under its feet.
func TestAnEventPublishedWithAfterWaitsThatLong(t *testing.T) {
	pool := testenv.Pool(t)
	got := newReceived()
	start(t, dispatcher(pool, events.Subscriber{Name: "later", Types: []string{events.InstanceStarting},
		Handle: func(_ context.Context, e events.Event) error { got.add(e); return nil }}))
	published := time.Now()
	id := publish(t, pool, events.New{Type: events.InstanceStarting, Data: map[string]any{"id": "i1"}, After: time.Second})
	now := publish(t, pool, events.New{Type: events.InstanceStarting, Data: map[string]any{"id": "i2"}})
	waitFor(t, "the event due now", func() bool { return got.count(now) == 1 })
	if got.count(id) != 0 {
		t.Fatal("the held-back event was delivered at once")
	}
	waitFor(t, "the held-back event", func() bool { return got.count(id) == 1 })
	if waited := time.Since(published); waited < time.Second {
		t.Errorf("delivered after %v, before its second was up", waited)
	}
}

// Two replicas' dispatchers share one subscriber's work: events published
// by many writers whose transactions commit out of order (a later event id
// committing first) are each delivered exactly once, none skipped.
func TestReplicasShareTheWorkAndSkipNothing(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Pool(t)
	got := newReceived()
	var byReplica [2]atomic.Int64
	for i := range 2 {
		start(t, dispatcher(pool, events.Subscriber{Name: "counter", Types: []string{events.CaseOpened}, Handle: func(_ context.Context, e events.Event) error {
			byReplica[i].Add(1)
			got.add(e)
			time.Sleep(time.Millisecond) // work long enough for the other replica to claim the next batch
			return nil
		}}))
	}
	const writers, each = 8, 40
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				err := store.InTx(ctx, pool, func(tx pgx.Tx) error {
					if err := events.Publish(ctx, tx, events.New{Type: events.CaseOpened, Data: map[string]any{"writer": w, "i": i}}); err != nil {
						return err
					}
					time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond) // hold the row uncommitted a while
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	waitFor(t, "every event", func() bool { return got.distinct() == writers*each })
	time.Sleep(200 * time.Millisecond)
	got.mu.Lock()
	defer got.mu.Unlock()
	for id, n := range got.counts {
		if n != 1 {
			t.Errorf("event %s delivered %d times", id, n)
		}
	}
	if byReplica[0].Load() == 0 || byReplica[1].Load() == 0 {
		t.Errorf("one replica did all the work: %d and %d", byReplica[0].Load(), byReplica[1].Load())
	}
}

// A subscriber that fails or panics is retried with backoff until it
// succeeds, and never holds up another subscriber.
func TestAFailingSubscriberIsRetriedWithoutHoldingUpOthers(t *testing.T) {
	pool := testenv.Pool(t)
	healthy, flaky := newReceived(), newReceived()
	var tries sync.Map // event id → *atomic.Int64
	start(t, dispatcher(pool,
		events.Subscriber{Name: "healthy", Types: []string{"cop.*"}, Handle: func(_ context.Context, e events.Event) error { healthy.add(e); return nil }},
		events.Subscriber{Name: "flaky", Types: []string{"cop.*"}, Handle: func(_ context.Context, e events.Event) error {
			n, _ := tries.LoadOrStore(e.ID, new(atomic.Int64))
			switch n.(*atomic.Int64).Add(1) {
			case 1:
				return errors.New("the casework system is down")
			case 2:
				panic("a bug in the subscriber")
			}
			flaky.add(e)
			return nil
		}},
	))
	var ids []string
	for i := range 5 {
		ids = append(ids, publish(t, pool, events.New{Type: events.TaskCompleted, Data: i}))
	}
	waitFor(t, "the healthy subscriber", func() bool { return healthy.distinct() == 5 })
	waitFor(t, "the flaky subscriber's retries", func() bool { return flaky.distinct() == 5 })
	// The dispatcher records a delivery after its handler returns.
	waitFor(t, "the deliveries recorded", func() bool {
		var n int
		_ = pool.QueryRow(context.Background(), `SELECT count(*) FROM event_deliveries WHERE subscriber = 'flaky' AND delivered_at IS NOT NULL
			AND event_id = ANY($1)`, ids).Scan(&n)
		return n == len(ids)
	})
	for _, id := range ids {
		var attempts int
		var lastError string
		var delivered bool
		if err := pool.QueryRow(context.Background(), `SELECT attempts, last_error, delivered_at IS NOT NULL FROM event_deliveries
			WHERE event_id = $1 AND subscriber = 'flaky'`, id).Scan(&attempts, &lastError, &delivered); err != nil {
			t.Fatal(err)
		}
		if attempts != 3 || !delivered || lastError != "" || flaky.count(id) != 1 {
			t.Errorf("event %s: %d attempts, delivered %v, last error %q", id, attempts, delivered, lastError)
		}
	}
}

// A replica that dies while delivering (its context ends mid-handler)
// leaves the delivery claimed; once the lease lapses another replica, or
// the same one restarted, delivers it.
func TestADeliveryCutShortIsResumedAfterTheLease(t *testing.T) {
	pool := testenv.Pool(t)
	entered := make(chan struct{}, 1)
	first := dispatcher(pool, events.Subscriber{Name: "starter", Types: []string{events.SubmissionCreated}, Handle: func(ctx context.Context, e events.Event) error {
		entered <- struct{}{}
		<-ctx.Done() // the process goes away mid-delivery
		return ctx.Err()
	}})
	first.Lease = time.Second
	stop := start(t, first)
	id := publish(t, pool, events.New{Type: events.SubmissionCreated, Data: "x"})
	<-entered
	stop()
	first.Wait()

	got := newReceived()
	restarted := dispatcher(pool, events.Subscriber{Name: "starter", Types: []string{events.SubmissionCreated}, Handle: func(_ context.Context, e events.Event) error {
		got.add(e)
		return nil
	}})
	start(t, restarted)
	began := time.Now()
	waitFor(t, "the resumed delivery", func() bool { return got.count(id) == 1 })
	if waited := time.Since(began); waited > 5*time.Second {
		t.Errorf("resumed after %s", waited)
	}
}

// A batch whose handlers run slow gives back, half way through its lease,
// the deliveries it has not begun, so none is still being worked when its
// lease lapses and another replica claims it too: each is delivered once.
func TestASlowBatchGivesBackWhatItHasNotBegun(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Pool(t)
	got := newReceived()
	slow := dispatcher(pool, events.Subscriber{Name: "starter", Types: []string{events.SubmissionCreated}, Handle: func(ctx context.Context, e events.Event) error {
		time.Sleep(1200 * time.Millisecond) // past half its two-second lease
		got.add(e)
		return nil
	}})
	slow.Lease = 2 * time.Second
	start(t, slow)
	// Three events in one transaction: the slow replica claims them as
	// one batch, which would take it 3.6s, past the lease.
	var ids []string
	err := store.InTx(ctx, pool, func(tx pgx.Tx) error {
		for i := range 3 {
			id := events.IDFor(t.Name(), fmt.Sprint(i))
			ids = append(ids, id)
			if err := events.Publish(ctx, tx, events.New{ID: id, Type: events.SubmissionCreated, Data: i}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	other := dispatcher(pool, events.Subscriber{Name: "starter", Types: []string{events.SubmissionCreated}, Handle: func(_ context.Context, e events.Event) error {
		got.add(e)
		return nil
	}})
	other.Lease = 2 * time.Second
	start(t, other)
	waitFor(t, "every delivery", func() bool { return got.distinct() == 3 })
	time.Sleep(4 * time.Second) // past every lease and slow handler
	for _, id := range ids {
		if n := got.count(id); n != 1 {
			t.Errorf("event %s delivered %d times", id, n)
		}
	}
}
