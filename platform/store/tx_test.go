package store_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"cop/platform/store"
	"cop/platform/testenv"
)

// roundTrips counts what a pool sends to PostgreSQL: each statement sent
// alone and each batch is one round trip.
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	r.n.Add(1)
	return ctx
}
func (r *roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (r *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	r.n.Add(1)
	return ctx
}
func (r *roundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (r *roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

func tracedPool(t *testing.T) (*pgxpool.Pool, *roundTrips) {
	t.Helper()
	ctx := context.Background()
	url := testenv.DatabaseURL(t)
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	rt := &roundTrips{}
	cfg.ConnConfig.Tracer = rt
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if _, err := pool.Exec(ctx, `CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	rt.n.Store(0)
	return pool, rt
}

func count(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM notes`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A transaction of queued writes is one round trip: BEGIN, the writes and
// COMMIT together; what it registered with OnCommit runs after.
func TestATransactionOfLaterWritesIsOneRoundTrip(t *testing.T) {
	ctx := context.Background()
	pool, rt := tracedPool(t)
	committed := false
	err := store.InTx(ctx, pool, func(tx pgx.Tx) error {
		for i := range 3 {
			if err := store.Later(ctx, tx, "write a note", `INSERT INTO notes VALUES ($1, 'x')`, i); err != nil {
				return err
			}
		}
		store.OnCommit(tx, func() { committed = true })
		if committed {
			t.Error("OnCommit ran before the commit")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := rt.n.Load(); n != 1 {
		t.Errorf("%d round trips, want 1", n)
	}
	if !committed || count(t, pool) != 3 {
		t.Errorf("committed %v, %d notes; want the hook run and 3 notes", committed, count(t, pool))
	}
}

// A statement sees the queued writes before it (they go first, in its
// round trip); a transaction that reads nothing and writes nothing sends
// nothing.
func TestQueuedWritesGoBeforeTheNextStatement(t *testing.T) {
	ctx := context.Background()
	pool, rt := tracedPool(t)
	var seen int
	err := store.InTx(ctx, pool, func(tx pgx.Tx) error {
		if err := store.Later(ctx, tx, "write a note", `INSERT INTO notes VALUES (1, 'x')`); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT count(*) FROM notes`).Scan(&seen)
	})
	if err != nil || seen != 1 {
		t.Fatalf("the query saw %d notes (%v), want the queued one", seen, err)
	}
	if n := rt.n.Load(); n != 2 {
		t.Errorf("%d round trips, want 2 (BEGIN, the write and the query; COMMIT)", n)
	}
	rt.n.Store(0)
	if err := store.InTx(ctx, pool, func(pgx.Tx) error { return nil }); err != nil || rt.n.Load() != 0 {
		t.Errorf("an empty transaction: %d round trips, %v", rt.n.Load(), err)
	}
}

// A queued write that fails is reported from the statement or the commit
// that sent it, naming it, and nothing of the transaction is kept.
func TestAFailedLaterWriteIsNamedAndNothingIsKept(t *testing.T) {
	ctx := context.Background()
	pool, _ := tracedPool(t)
	err := store.InTx(ctx, pool, func(tx pgx.Tx) error {
		if err := store.Later(ctx, tx, "write note 1", `INSERT INTO notes VALUES (1, 'x')`); err != nil {
			return err
		}
		return store.Later(ctx, tx, "write note 1 again", `INSERT INTO notes VALUES (1, 'y')`)
	})
	if err == nil || !strings.Contains(err.Error(), "write note 1 again") || !store.IsUniqueViolation(err) {
		t.Fatalf("commit: %v; want the second write named, as a unique violation", err)
	}
	if n := count(t, pool); n != 0 {
		t.Errorf("%d notes kept from a failed transaction", n)
	}
	// The same when a later statement sends it: that statement fails.
	err = store.InTx(ctx, pool, func(tx pgx.Tx) error {
		if err := store.Later(ctx, tx, "write a bad note", `INSERT INTO notes VALUES (2, NULL)`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO notes VALUES (3, 'z')`)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "write a bad note") {
		t.Fatalf("exec after a bad queued write: %v", err)
	}
	if n := count(t, pool); n != 0 {
		t.Errorf("%d notes kept from a failed transaction", n)
	}
	// fn's own error rolls back what was sent and what was queued.
	boom := errors.New("boom")
	err = store.InTx(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO notes VALUES (4, 'sent')`); err != nil {
			return err
		}
		if err := store.Later(ctx, tx, "write a note", `INSERT INTO notes VALUES (5, 'queued')`); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) || count(t, pool) != 0 {
		t.Errorf("rolled back: %v, %d notes kept", err, count(t, pool))
	}
	// Savepoints are refused, not silently run as a second BEGIN.
	err = store.InTx(ctx, pool, func(tx pgx.Tx) error {
		_, err := tx.Begin(ctx)
		return err
	})
	if !errors.Is(err, store.ErrNestedTx) {
		t.Errorf("a nested transaction: %v", err)
	}
}

// Outside InTx, Later and LaterRow run at once.
func TestLaterOutsideATransactionRunsNow(t *testing.T) {
	ctx := context.Background()
	pool, _ := tracedPool(t)
	if err := store.Later(ctx, pool, "write a note", `INSERT INTO notes VALUES (1, 'x')`); err != nil || count(t, pool) != 1 {
		t.Fatalf("Later on the pool: %v, %d notes", err, count(t, pool))
	}
	var id int
	err := store.LaterRow(ctx, pool, "write a note", `INSERT INTO notes VALUES (2, 'y') RETURNING id`,
		func(row pgx.Row) error { return row.Scan(&id) })
	if err != nil || id != 2 {
		t.Fatalf("LaterRow on the pool: %d, %v", id, err)
	}
}
