package reports_test

import (
	"context"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"cop/forms/examples"
	"cop/platform/definitions"
	"cop/platform/reports"
	"cop/platform/testenv"
)

// benchSubmissions is how many seizure records the report benchmarks
// generate: COP_BENCH_SUBMISSIONS, default a million.
func benchSubmissions(b *testing.B) int {
	if s := os.Getenv("COP_BENCH_SUBMISSIONS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("COP_BENCH_SUBMISSIONS=%q is not a count", s)
		}
		return n
	}
	return 1_000_000
}

// seizureRecords fills a database with the example pack and n seizure
// records across 2026 (ten ports, six categories, values up to £100,000),
// and publishes the two benchmark reports.
func seizureRecords(b *testing.B) (*pgxpool.Pool, *reports.Service) {
	ctx := context.Background()
	pool := testenv.Pool(b)
	defs := definitions.New(pool)
	for _, f := range examples.All() {
		var err error
		switch f.Kind {
		case "refdata":
			_, err = defs.PublishRefData(ctx, who, f.Content, false)
		case "terms":
			_, err = defs.PublishTerm(ctx, who, f.Content, false)
		case "forms":
			_, err = defs.PublishForm(ctx, who, f.Content, false)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	n := benchSubmissions(b)
	started := time.Now()
	if _, err := pool.Exec(ctx, `INSERT INTO cases (business_key, created_by) SELECT 'SEIZ-BENCH-' || n, 'bench' FROM generate_series(1, 1000) n`); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO submissions (id, case_id, form_name, form_version, data, submitted_by, read_access, teams, submitted_at)
		SELECT gen_random_uuid(), (SELECT min(id) FROM cases) + n % 1000, 'seizure-record', '1.2.0',
			jsonb_build_object(
				'seizedOn', to_char(date '2026-01-01' + (n % 365), 'YYYY-MM-DD'),
				'port', (ARRAY['GBABD','GBBEL','GBBRS','GBDVR','GBFXT','GBHUL','GBIMM','GBLIV','GBSOU','GBTIL'])[1 + n % 10],
				'category', (ARRAY['drugs','tobacco','alcohol','cash','weapons','other'])[1 + (n / 10) % 6],
				'goodsDescription', 'Packages found in the vehicle', 'quantity', 1 + n % 50,
				'estimatedValue', round((n::bigint * 7919 % 10000000) / 100.0, 2)),
			'bench', '{role:supervisor,role:manager}', '{heathrow-t5}',
			timestamptz '2026-01-01 08:00:00+00' + (n % 365) * interval '1 day' + (n % 600) * interval '1 minute'
		FROM generate_series(1, $1::int) n`, n); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE submissions`); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d seizure records generated in %s", n, time.Since(started).Round(time.Millisecond))
	svc := reports.New(pool, defs)
	svc.Timeout = time.Minute
	for _, def := range []string{countByPortByMonth, valueByCategory, juneByPort} {
		if _, err := svc.Publish(ctx, who, []byte(def), false); err != nil {
			b.Fatal(err)
		}
	}
	return pool, svc
}

const countByPortByMonth = `name: bench-count-by-port-month
version: 1.0.0
title: Seizures by port and month
source: {kind: submissions, form: seizure-record}
groupBy: [/port, {field: /seizedOn, bucket: month}]
measures: [{op: count}]
access: {read: [role:manager]}
`

const valueByCategory = `name: bench-value-by-category
version: 1.0.0
title: Value by category
source: {kind: submissions, form: seizure-record}
groupBy: [/category]
measures: [{op: sum, field: /estimatedValue}]
access: {read: [role:manager]}
`

const juneByPort = `name: bench-june-by-port
version: 1.0.0
title: Seizures by port, submitted in a date range
source: {kind: submissions, form: seizure-record}
params: [{name: from, type: date}, {name: to, type: date}]
filters: [{field: submitted, op: between, value: [$from, $to]}]
groupBy: [/port]
measures: [{op: count}]
access: {read: [role:manager]}
`

// The hand-written queries a developer would write for the same answers
// over the submissions table: the same rows (the form's, less those a
// correction superseded) and the same groups.
const (
	handCountByPortByMonth = `SELECT data->>'port', to_char((data->>'seizedOn')::date, 'YYYY-MM'), count(*)
		FROM submissions WHERE form_name = 'seizure-record' AND NOT superseded GROUP BY 1, 2 ORDER BY 1, 2`
	handValueByCategory = `SELECT data->>'category', sum((data->>'estimatedValue')::numeric)
		FROM submissions WHERE form_name = 'seizure-record' AND NOT superseded GROUP BY 1 ORDER BY 1`
	handJuneByPort = `SELECT data->>'port', count(*) FROM submissions
		WHERE form_name = 'seizure-record' AND NOT superseded
		  AND submitted_at >= '2026-06-01 00:00 Europe/London' AND submitted_at < '2026-07-01 00:00 Europe/London'
		GROUP BY 1 ORDER BY 1`
)

// BenchmarkReports runs three reports over a million seizure records, from
// definition to rows (parameters, plan, SQL, read-only transaction with its
// timeout, cells), each beside the hand-written query of the same
// aggregation in the same run: the count by port and month, the sum of
// value by category, and the count by port of a month's submissions.
func BenchmarkReports(b *testing.B) {
	pool, svc := seizureRecords(b)
	b.Run("count-by-port-month", func(b *testing.B) {
		benchReport(b, pool, svc, "bench-count-by-port-month", handCountByPortByMonth, 120, nil)
	})
	b.Run("value-by-category", func(b *testing.B) {
		benchReport(b, pool, svc, "bench-value-by-category", handValueByCategory, 6, nil)
	})
	// A month of submissions: the range is read by index, not the year.
	b.Run("june-by-port", func(b *testing.B) {
		benchReport(b, pool, svc, "bench-june-by-port", handJuneByPort, 10, url.Values{"from": {"2026-06-01"}, "to": {"2026-06-30"}})
	})
}

func benchReport(b *testing.B, pool *pgxpool.Pool, svc *reports.Service, name, hand string, groups int, params url.Values) {
	ctx := context.Background()
	b.Run("baseline=hand-written-sql", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			rows, err := pool.Query(ctx, hand)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rows.Next() {
				if _, err := rows.Values(); err != nil {
					b.Fatal(err)
				}
				n++
			}
			if rows.Err() != nil || n != groups {
				b.Fatalf("%d groups, want %d: %v", n, groups, rows.Err())
			}
		}
	})
	b.Run("cop=report", func(b *testing.B) {
		pr, err := svc.Prepare(ctx, manager, name, "")
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < b.N; i++ {
			res, err := svc.Run(ctx, manager, pr, params)
			if err != nil {
				b.Fatal(err)
			}
			if len(res.Rows) != groups {
				b.Fatalf("%d groups, want %d", len(res.Rows), groups)
			}
		}
	})
}
