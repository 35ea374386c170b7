package web_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/google/uuid"

	"cop/platform/web/webtest"
)

// BenchmarkSubmissions8Clients and …32Clients measure submissions per second
// over HTTP (token check, form lookup from cache, validation, case number,
// insert, audit row, one durable commit each) against a raw pgx INSERT of
// the same JSON from as many goroutines, in the same process and cluster.
// Run under `make bench` (COP_TEST_DURABLE=1: fsync and synchronous commit on).
func BenchmarkSubmissions8Clients(b *testing.B)  { benchmarkSubmissions(b, 8) }
func BenchmarkSubmissions32Clients(b *testing.B) { benchmarkSubmissions(b, 32) }

func benchmarkSubmissions(b *testing.B, clients int) {
	e := webtest.New(b)
	webtest.RegisterArrival(e, e.Token("author"))
	officer := e.Token("officer")
	body := []byte(`{"arrivalDate": "2026-11-20", "port": "GBDVR", "traveller": {"fullName": "Ann Example", "dateOfBirth": "1990-03-27"}, "searched": true, "outcome": "Nothing found"}`)
	ctx := context.Background()
	parallelism := (clients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0)

	b.Run(fmt.Sprintf("baseline=pgx-insert-%d", clients), func(b *testing.B) {
		if _, err := e.Pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS bench_raw (id uuid PRIMARY KEY, data jsonb NOT NULL)`); err != nil {
			b.Fatal(err)
		}
		b.SetParallelism(parallelism)
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := e.Pool.Exec(ctx, `INSERT INTO bench_raw (id, data) VALUES ($1, $2)`, uuid.NewString(), string(body)); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "inserts/s")
	})
	b.Run(fmt.Sprintf("cop=http-submit-%d", clients), func(b *testing.B) {
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
		b.SetParallelism(parallelism)
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req, _ := http.NewRequest("POST", e.Base+"/api/v1/forms/arrival-report/submissions", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+officer)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "subs/s")
	})
}
