package audit_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"cop/platform/audit"
	"cop/platform/store"
	"cop/platform/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func record(t *testing.T, pool *pgxpool.Pool, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		e := audit.Entry{Actor: fmt.Sprintf("user-%d", i%3), Action: "test.write", Resource: fmt.Sprintf("thing:%d", i), RequestID: fmt.Sprint("r", i), Detail: map[string]any{"i": i}}
		if err := audit.Record(context.Background(), pool, e); err != nil {
			t.Fatal(err)
		}
	}
}

// Many writers in their own transactions and two sealers (two replicas)
// running at once still produce one unbroken chain holding every committed
// row exactly once, and no row of a rolled-back transaction.
func TestConcurrentWritersAndSealersMakeOneChain(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Pool(t)
	stop := make(chan struct{})
	var sealers sync.WaitGroup
	for i := 0; i < 2; i++ {
		sealers.Add(1)
		go func() {
			defer sealers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := audit.Seal(ctx, pool); err != nil {
					t.Error(err)
					return
				}
				time.Sleep(2 * time.Millisecond)
			}
		}()
	}
	var writers sync.WaitGroup
	for w := 0; w < 8; w++ {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for i := 0; i < 25; i++ {
				err := store.InTx(ctx, pool, func(tx pgx.Tx) error {
					if err := audit.Record(ctx, tx, audit.Entry{Actor: fmt.Sprint("w", w), Action: "test.write", Resource: fmt.Sprint("thing:", i)}); err != nil {
						return err
					}
					if i%5 == 4 {
						return errors.New("roll back")
					}
					time.Sleep(time.Duration(i%3) * time.Millisecond) // commit out of id order
					return nil
				})
				if err != nil && err.Error() != "roll back" {
					t.Error(err)
				}
			}
		}()
	}
	writers.Wait()
	close(stop)
	sealers.Wait()
	if _, err := audit.Seal(ctx, pool); err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Broken != nil || rep.Sealed != 8*20 || rep.Unsealed != 0 {
		t.Fatalf("report %+v (broken %+v), want 160 sealed rows and an intact chain", rep, rep.Broken)
	}
}

func TestVerifyFindsTheFirstBrokenLink(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		tamper string
		seq    int64
		reason string
	}{
		{"edited row", `UPDATE audit_log SET actor = 'someone-else' WHERE seq = 4`, 4, "row content does not match its hash"},
		{"edited detail", `UPDATE audit_log SET detail = '{"i": 99}' WHERE seq = 6`, 6, "row content does not match its hash"},
		{"deleted row", `DELETE FROM audit_log WHERE seq = 3`, 3, "row with seq 3 is missing"},
		{"relinked row", `UPDATE audit_log SET prev_hash = decode('00', 'hex') WHERE seq = 5`, 5, "prev_hash does not match"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pool := testenv.Pool(t)
			record(t, pool, 8)
			if _, err := audit.Seal(ctx, pool); err != nil {
				t.Fatal(err)
			}
			record(t, pool, 2) // still unsealed
			if rep, _ := audit.Verify(ctx, pool); rep.Broken != nil || rep.Sealed != 8 || rep.Unsealed != 2 {
				t.Fatalf("before tampering: %+v", rep)
			}
			if _, err := pool.Exec(ctx, tc.tamper); err != nil {
				t.Fatal(err)
			}
			rep, err := audit.Verify(ctx, pool)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Broken == nil || rep.Broken.Seq != tc.seq || !strings.Contains(rep.Broken.Reason, tc.reason) {
				t.Fatalf("got %+v, want a break at seq %d: %s", rep.Broken, tc.seq, tc.reason)
			}
			if rep.Unsealed != 2 {
				t.Errorf("unsealed %d", rep.Unsealed)
			}
		})
	}
}

func TestListFiltersAndPages(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Pool(t)
	before := time.Now().UTC().Add(-time.Second)
	record(t, pool, 9)
	rows, next, err := audit.List(ctx, pool, audit.Filter{Actor: "user-1", Limit: 2, Reader: audit.Reader{All: true}})
	if err != nil || len(rows) != 2 || next == "" {
		t.Fatalf("%d rows next=%q %v", len(rows), next, err)
	}
	if rows[0].Resource != "thing:7" || rows[1].Resource != "thing:4" {
		t.Errorf("newest first: %s %s", rows[0].Resource, rows[1].Resource)
	}
	rest, next, _ := audit.List(ctx, pool, audit.Filter{Actor: "user-1", Limit: 2, Cursor: next, Reader: audit.Reader{All: true}})
	if len(rest) != 1 || rest[0].Resource != "thing:1" || next != "" {
		t.Errorf("second page %+v next %q", rest, next)
	}
	one, _, _ := audit.List(ctx, pool, audit.Filter{Resource: "thing:5", Reader: audit.Reader{All: true}})
	if len(one) != 1 || one[0].Actor != "user-2" || one[0].Seq != nil {
		t.Errorf("by resource: %+v", one)
	}
	none, _, _ := audit.List(ctx, pool, audit.Filter{To: before, Reader: audit.Reader{All: true}})
	all, _, _ := audit.List(ctx, pool, audit.Filter{From: before, Reader: audit.Reader{All: true}})
	if len(none) != 0 || len(all) != 9 {
		t.Errorf("time window: %d before, %d after", len(none), len(all))
	}
	if all[0].At.Location() != time.UTC {
		t.Errorf("times are not UTC: %v", all[0].At)
	}
}

// A reader who is not an admin reads their own rows and those about their
// teams' cases; a zero Reader reads nothing, so a caller that forgets to
// say who is reading shows nothing rather than everything.
func TestListReadsOnlyWhatTheReaderMay(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Pool(t)
	record(t, pool, 9)
	mine, _, err := audit.List(ctx, pool, audit.Filter{Reader: audit.Reader{Actor: "user-2", Teams: []string{"nobody"}}})
	if err != nil || len(mine) != 3 {
		t.Fatalf("own rows: %d (%v)", len(mine), err)
	}
	for _, r := range mine {
		if r.Actor != "user-2" {
			t.Errorf("read %s's row", r.Actor)
		}
	}
	if none, _, _ := audit.List(ctx, pool, audit.Filter{}); len(none) != 0 {
		t.Errorf("a zero Reader read %d rows", len(none))
	}
}

// Where a request came from is sealed into the chain: changing it after
// sealing breaks the chain there.
func TestTheClientAddressIsSealed(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Pool(t)
	w := audit.Who{Actor: "user-1", RequestID: "r1", ClientIP: "192.0.2.7", UserAgent: "curl/8"}
	if err := audit.Record(ctx, pool, w.Entry("thing.make", "thing:1", audit.OK, nil)); err != nil {
		t.Fatal(err)
	}
	if _, err := audit.Seal(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if rep, err := audit.Verify(ctx, pool); err != nil || rep.Broken != nil {
		t.Fatalf("%+v %v", rep, err)
	}
	if _, err := pool.Exec(ctx, `UPDATE audit_log SET client_ip = '198.51.100.1'`); err != nil {
		t.Fatal(err)
	}
	if rep, _ := audit.Verify(ctx, pool); rep.Broken == nil || rep.Broken.Seq != 1 {
		t.Errorf("a changed client address went unnoticed: %+v", rep)
	}
}

// A request counts as audited once a row recorded under its context has
// committed: a row in a transaction that rolls back does not count, so the
// web tier's safety net still records the refusal.
func TestTrackSeesOnlyCommittedRows(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Pool(t)
	entry := audit.Entry{Actor: "ann", Action: "test.write", Resource: "thing:1", RequestID: "r1"}

	rolledBack, audited := audit.Track(ctx)
	err := store.InTx(rolledBack, pool, func(tx pgx.Tx) error {
		if err := audit.Record(rolledBack, tx, entry); err != nil {
			return err
		}
		if audited() {
			t.Error("audited before the transaction committed")
		}
		return errors.New("the change fails")
	})
	if err == nil || audited() {
		t.Errorf("a rolled-back row counts as audited (%v)", err)
	}

	committed, audited := audit.Track(ctx)
	if err := store.InTx(committed, pool, func(tx pgx.Tx) error { return audit.Record(committed, tx, entry) }); err != nil || !audited() {
		t.Errorf("a committed row does not count: %v", err)
	}
	direct, audited := audit.Track(ctx)
	if err := audit.Record(direct, pool, entry); err != nil || !audited() {
		t.Errorf("a row written outside a transaction does not count: %v", err)
	}
	elsewhere, audited := audit.Track(ctx)
	if audit.Handled(elsewhere); !audited() {
		t.Error("Handled does not count")
	}
	if _, audited := audit.Track(ctx); audited() {
		t.Error("a new request starts audited")
	}
}
