package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"cop/platform/store"
	"cop/platform/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// Two replicas starting at once against a new database must both succeed
// and apply each migration once.
func TestConcurrentMigrationsDoNotRace(t *testing.T) {
	ctx := context.Background()
	url := testenv.DatabaseURL(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pool, err := store.Open(ctx, url)
			if err != nil {
				errs[i] = err
				return
			}
			defer pool.Close()
			errs[i] = store.Migrate(ctx, pool)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
	}
	pool, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	v, err := store.SchemaVersion(ctx, pool)
	if err != nil || v < 1 {
		t.Fatalf("schema version %d, %v", v, err)
	}
	var tables int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_name IN ('definitions','audit_log','sessions','oidc_logins')`).Scan(&tables); err != nil || tables != 4 {
		t.Fatalf("found %d of 4 tables (%v)", tables, err)
	}
	// A restart re-applies nothing.
	if err := store.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
}

func TestOpenReportsAnUnreachableDatabase(t *testing.T) {
	port, _ := testenv.FreePort()
	_, err := store.Open(context.Background(), fmt.Sprintf("postgres://cop@127.0.0.1:%d/cop?connect_timeout=2", port))
	if err == nil {
		t.Fatal("connected to nothing")
	}
	if _, err := store.Open(context.Background(), "not a url ::"); err == nil {
		t.Fatal("accepted a malformed DATABASE_URL")
	}
}

func TestCursorRoundTripAndRejectsForgery(t *testing.T) {
	c := store.EncodeCursor("a", "b")
	parts, err := store.DecodeCursor(c, 2)
	if err != nil || parts[0] != "a" || parts[1] != "b" {
		t.Fatalf("%v %v", parts, err)
	}
	for _, bad := range []string{"!!", store.EncodeCursor("only-one"), "e30"} {
		if _, err := store.DecodeCursor(bad, 2); err != store.ErrBadCursor {
			t.Errorf("cursor %q: %v", bad, err)
		}
	}
}

// A replica of the release before a migration starts on the migrated
// schema (a rolling deploy): Migrate leaves a schema ahead of its
// migrations alone instead of refusing it, as tern on its own does.
func TestMigrateLeavesANewerSchemaAlone(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Pool(t) // migrated
	before, err := store.SchemaVersion(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	// The next release's migration, applied by its migrate job.
	if _, err := pool.Exec(ctx, `CREATE TABLE next_release (id int); UPDATE schema_version SET version = version + 1`); err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx, pool); err != nil {
		t.Fatalf("migrate on a newer schema: %v", err)
	}
	if v, err := store.SchemaVersion(ctx, pool); err != nil || v != before+1 {
		t.Errorf("schema version %d (%v), want the newer %d left alone", v, err, before+1)
	}
}
