// Package store opens COP's PostgreSQL pool and applies its schema. The SQL
// migrations are embedded in the binary and applied at start by tern, which
// holds a PostgreSQL advisory lock while it works, so replicas starting
// together apply each migration exactly once.
package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/tern/v2/migrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// versionTable records which migrations have run.
const versionTable = "schema_version"

// DefaultMaxConns is each process's most connections to PostgreSQL when
// neither COP_DB_MAX_CONNS nor the URL's pool_max_conns says: pgx's own
// default (four, on a two-core machine) queued concurrent submissions
// behind each other's commits.
func DefaultMaxConns() int32 { return int32(max(16, 4*runtime.GOMAXPROCS(0))) }

// Open connects a pool of the URL's pool_max_conns, else
// DefaultMaxConns, connections and checks the server answers.
func Open(ctx context.Context, databaseURL string) (*pgxpool.Pool, error) {
	return OpenPool(ctx, databaseURL, 0)
}

// OpenPool is Open with at most maxConns connections (0: as Open).
func OpenPool(ctx context.Context, databaseURL string, maxConns int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	switch {
	case maxConns > 0:
		cfg.MaxConns = maxConns
	case !strings.Contains(databaseURL, "pool_max_conns"):
		cfg.MaxConns = DefaultMaxConns()
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to PostgreSQL at %s: %w", cfg.ConnConfig.Host, err)
	}
	return pool, nil
}

// Migrate applies every embedded migration not yet applied. A schema
// already past this binary's migrations is left as it is: during a rolling
// deploy the new release's migrations run first, and a replica of the
// release before that restarts meanwhile must still start (migrations only
// expand, so its queries still work; TestMigrationsOnlyExpand).
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: acquire connection: %w", err)
	}
	defer conn.Release()
	m, err := migrate.NewMigrator(ctx, conn.Conn(), versionTable)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := m.LoadMigrations(sub); err != nil {
		return fmt.Errorf("migrate: load embedded migrations: %w", err)
	}
	if err := m.Migrate(ctx); err != nil {
		var bad migrate.BadVersionError
		if errors.As(err, &bad) {
			if v, verr := m.GetCurrentVersion(ctx); verr == nil && v > int32(len(m.Migrations)) {
				return nil // a newer release's schema
			}
		}
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// SchemaVersion reports the number of the last applied migration.
func SchemaVersion(ctx context.Context, q Querier) (int32, error) {
	var v int32
	err := q.QueryRow(ctx, "SELECT version FROM "+versionTable).Scan(&v)
	return v, err
}

// Querier is what both a pool and a transaction offer, so domain code can run
// inside or outside a transaction.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// ErrAlreadyApplied is what an idempotent write returns from its
// transaction when an earlier try already made it (Temporal retries
// activities): Once rolls back and reports success.
var ErrAlreadyApplied = errors.New("already applied")

// Once runs an idempotent write in a transaction: one that returns
// ErrAlreadyApplied rolls back and succeeds.
func Once(ctx context.Context, pool *pgxpool.Pool, fn func(pgx.Tx) error) error {
	err := InTx(ctx, pool, fn)
	if errors.Is(err, ErrAlreadyApplied) {
		return nil
	}
	return err
}

// IsUniqueViolation reports whether err is PostgreSQL's unique_violation.
func IsUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}
