// Package testenv is the shared test harness: one throwaway PostgreSQL
// cluster per test binary, started on first use, each test in a database of
// its own with COP's migrations applied; and a development OpenID provider
// per test. Temporal lives in testenv/temporalenv, so packages that do not
// need it do not link the server.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"cop/platform/devstack"
	"cop/platform/store"
)

var (
	once    sync.Once
	cluster *devstack.Postgres
	tmpDir  string
	initErr error
)

// Main runs the package's tests, then the given cleanups (e.g.
// temporalenv.Stop), then stops the cluster if one was started. Call it from
// TestMain; it exits the process, so a deferred call there would never run.
func Main(m *testing.M, cleanups ...func()) {
	code := m.Run()
	for _, f := range cleanups {
		f()
	}
	if cluster != nil {
		_ = cluster.Stop()
	}
	stopClamd()
	if tmpDir != "" {
		_ = os.RemoveAll(tmpDir)
	}
	os.Exit(code)
}

// Log is a logger for components under test: quiet unless COP_TEST_LOG=1.
func Log() *slog.Logger {
	if os.Getenv("COP_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func startCluster() {
	// Under /tmp with a short name: the unprivileged server account must
	// reach it when tests run as root, and the socket path must stay short.
	tmpDir, initErr = os.MkdirTemp("/tmp", "coptest-")
	if initErr != nil {
		return
	}
	if initErr = os.Chmod(tmpDir, 0o755); initErr != nil {
		return
	}
	port, err := FreePort()
	if err != nil {
		initErr = err
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cluster, initErr = devstack.StartPostgres(ctx, devstack.PostgresOptions{
		// Tests trade durability for speed; benchmarks (COP_TEST_DURABLE=1,
		// set by `make bench`) measure what production commits cost.
		Dir: filepath.Join(tmpDir, "pg"), Port: port, Fast: os.Getenv("COP_TEST_DURABLE") == "", Log: Log(),
	})
}

// DatabaseURL creates an empty database for this test, dropped when it ends.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	once.Do(startCluster)
	if initErr != nil {
		t.Fatalf("start test PostgreSQL cluster: %v", initErr)
	}
	name := "t_" + randomHex(6)
	ctx := context.Background()
	if err := cluster.CreateDatabase(ctx, name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, cluster.URL("postgres"))
		if err != nil {
			return
		}
		defer conn.Close(ctx)
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return cluster.URL(name)
}

// Pool returns a pool on a fresh, migrated database for this test.
func Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	ctx := context.Background()
	pool, err := store.Open(ctx, DatabaseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := store.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	return pool
}

// OIDC starts a development OpenID provider for this test. redirect is the
// COP base URL whose /auth/callback and /signed-out it accepts.
func OIDC(t testing.TB, base string, opts ...func(*devstack.OIDCOptions)) *devstack.OIDCProvider {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := devstack.OIDCOptions{
		Listener:       ln,
		RedirectURIs:   []string{base + "/auth/callback"},
		PostLogoutURIs: []string{base + "/signed-out"},
		Log:            Log(),
	}
	for _, f := range opts {
		f(&o)
	}
	p, err := devstack.StartOIDC(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop(context.Background()) })
	return p
}

// FreePort returns a loopback port nobody listens on.
func FreePort() (int, error) { return devstack.FreePort() }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
