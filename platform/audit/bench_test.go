package audit_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"cop/platform/audit"
	"cop/platform/testenv"
)

// BenchmarkRecord compares writing an audit row with a bare pgx INSERT of
// the same values into a table of the same shape.
func BenchmarkRecord(b *testing.B) {
	ctx := context.Background()
	pool := testenv.Pool(b)
	e := audit.Entry{Actor: "dev-officer", Action: "registry.publish", Resource: "form:global/arrival@1.0.0", RequestID: "0123456789abcdef01234567", Detail: map[string]any{"status": 201}}
	b.Run("baseline=raw-pgx-insert", func(b *testing.B) {
		if _, err := pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS bench_raw (LIKE audit_log INCLUDING DEFAULTS)`); err != nil {
			b.Fatal(err)
		}
		for i := 0; i < b.N; i++ {
			if _, err := pool.Exec(ctx, `INSERT INTO bench_raw (at, actor, action, resource, outcome, request_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				time.Now().UTC(), e.Actor, e.Action, e.Resource, "ok", e.RequestID, e.Detail); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cop=audit-record", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := audit.Record(ctx, pool, e); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSeal compares sealing rows (hash chain, one sealer under an
// advisory lock) with a bare UPDATE numbering the same rows, per row.
func BenchmarkSeal(b *testing.B) {
	ctx := context.Background()
	const rows = 1000
	b.Run("baseline=raw-update", func(b *testing.B) {
		pool := testenv.Pool(b)
		b.StopTimer()
		for i := 0; i < b.N; i++ {
			insertRows(b, pool, rows)
			b.StartTimer()
			if _, err := pool.Exec(ctx, `UPDATE audit_log SET seq = id, hash = sha256(request_id::bytea) WHERE seq IS NULL`); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
	})
	b.Run("cop=audit-seal", func(b *testing.B) {
		pool := testenv.Pool(b)
		b.StopTimer()
		for i := 0; i < b.N; i++ {
			insertRows(b, pool, rows)
			b.StartTimer()
			if n, err := audit.Seal(ctx, pool); err != nil || n != rows {
				b.Fatal(n, err)
			}
			b.StopTimer()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
	})
}

func insertRows(b *testing.B, pool *pgxpool.Pool, n int) {
	_, err := pool.Exec(context.Background(), `INSERT INTO audit_log (at, actor, action, resource, outcome, request_id, detail)
		SELECT now(), 'dev-officer', 'registry.publish', 'form:global/arrival@1.0.' || g, 'ok', md5(g::text), '{"status": 201}'
		FROM generate_series(1, $1) g`, n)
	if err != nil {
		b.Fatal(err)
	}
}
