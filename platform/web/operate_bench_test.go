package web_test

import (
	"context"
	"testing"

	"cop/platform/web/webtest"
)

// operateBenchInstances is how many instances BenchmarkOperateList seeds:
// about five months of Border Force's 240,000 transactions a month, each
// starting a workflow, is ten times this; the list reads an index, so its
// cost grows with the page, and the counts with the rows they count.
const operateBenchInstances = 100_000

// BenchmarkOperateList measures /operate as an operator sees it (counts by
// status, the newest 25, the page drawn) over operateBenchInstances rows,
// unfiltered and narrowed to one workflow's faulted instances, beside the
// two raw queries of the same shape over the same rows.
func BenchmarkOperateList(b *testing.B) {
	e := webtest.New(b)
	ctx := context.Background()
	if _, err := e.Pool.Exec(ctx, `INSERT INTO instances (id, namespace, name, version, started_by, read_access, teams, status, started_at)
		SELECT 'wf-bench-' || n, 'kit', 'w' || (n % 20), '1.0.0', 'dev-officer', '{}', '{heathrow-t5}',
			(ARRAY['running', 'completed', 'completed', 'completed', 'faulted', 'cancelled'])[1 + n % 6],
			now() - make_interval(secs => n)
		FROM generate_series(1, $1) AS n`, operateBenchInstances); err != nil {
		b.Fatal(err)
	}
	if _, err := e.Pool.Exec(ctx, `ANALYZE instances`); err != nil {
		b.Fatal(err)
	}
	operator := e.Browser()
	e.SignIn(operator, "operator").Body.Close()
	for _, c := range []struct{ name, ns, wf, status, query string }{
		{"all", "", "", "", ""},
		{"one-workflow-faulted", "kit", "w4", "faulted", "?workflow=kit/w4&status=faulted"},
	} {
		b.Run(c.name+"/baseline=pgx-counts-and-page", func(b *testing.B) {
			for b.Loop() {
				rows, err := e.Pool.Query(ctx, `SELECT status, count(*) FROM instances
					WHERE ($1 = '' OR namespace = $1) AND ($2 = '' OR name = $2) GROUP BY status`, c.ns, c.wf)
				if err != nil {
					b.Fatal(err)
				}
				rows.Close()
				rows, err = e.Pool.Query(ctx, `SELECT id, namespace, name, version, status, started_by, started_at, ended_at FROM instances
					WHERE ($1 = '' OR namespace = $1) AND ($2 = '' OR name = $2) AND ($3 = '' OR status = $3)
					ORDER BY started_at DESC, id DESC LIMIT 26`, c.ns, c.wf, c.status)
				if err != nil {
					b.Fatal(err)
				}
				rows.Close()
			}
		})
		b.Run(c.name+"/cop=http-operate-page", func(b *testing.B) {
			for b.Loop() {
				if page := e.Get(operator, "/operate"+c.query); page.Status != 200 {
					b.Fatalf("/operate%s: %d", c.query, page.Status)
				}
			}
		})
	}
}
