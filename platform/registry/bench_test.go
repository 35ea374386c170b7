package registry_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"cop/platform/audit"
	"cop/platform/registry"
	"cop/platform/testenv"
)

// formLike is a ~2 KB definition, the size of a small form.
var formLike = func() []byte {
	var fields []string
	for i := 0; i < 30; i++ {
		fields = append(fields, fmt.Sprintf(`"field%02d":{"type":"string","title":"Field %d","maxLength":100}`, i, i))
	}
	return []byte(`{"title":"Arrival","schema":{"type":"object","properties":{` + strings.Join(fields, ",") + `}}}`)
}()

// BenchmarkPublish compares publishing a definition (semver check, RFC 8785
// checksum, insert-or-compare, audit row, one transaction) with a bare pgx
// INSERT of the same JSON, in the same process and cluster.
func BenchmarkPublish(b *testing.B) {
	ctx := context.Background()
	pool := testenv.Pool(b)
	b.Run("baseline=raw-pgx-insert", func(b *testing.B) {
		if _, err := pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS bench_raw (id bigserial PRIMARY KEY, content jsonb NOT NULL)`); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(formLike)))
		for i := 0; i < b.N; i++ {
			if _, err := pool.Exec(ctx, `INSERT INTO bench_raw (content) VALUES ($1)`, formLike); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cop=registry-publish", func(b *testing.B) {
		svc := registry.Service{Pool: pool}
		who := audit.Who{Actor: "bench", RequestID: "bench"}
		b.SetBytes(int64(len(formLike)))
		for i := 0; i < b.N; i++ {
			ref := registry.Ref{Kind: "form", Namespace: registry.GlobalNamespace, Name: "arrival", Version: fmt.Sprintf("1.0.%d", i)}
			if _, _, err := svc.Publish(ctx, who, ref, formLike); err != nil {
				b.Fatal(err)
			}
		}
	})
}
