package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"cop/platform/testenv/temporalenv"
	"cop/workflows"
)

// BenchmarkThreeSteps1Starter and …16Starters measure instances per second
// and start-to-result latency of a three-task definition (set, call: http
// GET to a local server, set) run by the interpreter, against a hand-written
// Go workflow doing the same three steps (compute, one activity with the
// interpreter's call options making the same GET, compute), on the same
// in-memory Temporal server, each with its own worker (default options) and
// task queue, with 1 or 16 goroutines each starting an instance (with
// eager workflow start, as StartInstance asks) and waiting for its result.
func BenchmarkThreeSteps1Starter(b *testing.B)   { benchmarkThreeSteps(b, 1) }
func BenchmarkThreeSteps16Starters(b *testing.B) { benchmarkThreeSteps(b, 16) }

const threeStepsPrice = 7

// threeStepsTotal is what both workflows compute from input x: n = 2x, the
// server answers {n, price}, total = n*price + 1.
func threeStepsTotal(x int) int { return 2*x*threeStepsPrice + 1 }

const threeStepsYAML = `document:
  dsl: '1.0.3'
  namespace: bench
  name: three-steps
  version: '1.0.0'
do:
  - double:
      set:
        n: ${ .x * 2 }
  - fetch:
      call: http
      with:
        method: get
        endpoint: %s/item
        query:
          n: ${ .n | tostring }
  - total:
      set:
        total: ${ .n * .price + 1 }
`

// threeStepsServer answers GET /item?n=N with {"n": N, "price": 7}.
func threeStepsServer(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.URL.Query().Get("n"))
		if r.Method != http.MethodGet || r.URL.Path != "/item" || err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"n": %d, "price": %d}`, n, threeStepsPrice)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// The hand-written baseline.

const (
	handWrittenWorkflow = "bench-three-steps-hand-written"
	handWrittenFetch    = "bench.fetch"
)

type handWrittenInput struct {
	X   int    `json:"x"`
	URL string `json:"url"`
}

type handWrittenItem struct {
	N     int `json:"n"`
	Price int `json:"price"`
}

type handWrittenFetchRequest struct {
	URL string `json:"url"`
	N   int    `json:"n"`
}

func handWrittenThreeSteps(ctx workflow.Context, in handWrittenInput) (int, error) {
	n := in.X * 2
	var item handWrittenItem
	ctx = workflow.WithActivityOptions(ctx, *callOptions())
	if err := workflow.ExecuteActivity(ctx, handWrittenFetch, handWrittenFetchRequest{URL: in.URL, N: n}).Get(ctx, &item); err != nil {
		return 0, err
	}
	return item.N*item.Price + 1, nil
}

type handWrittenActivities struct{ client *http.Client }

func (a *handWrittenActivities) fetch(ctx context.Context, req handWrittenFetchRequest) (handWrittenItem, error) {
	var item handWrittenItem
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, req.URL+"/item?"+url.Values{"n": {strconv.Itoa(req.N)}}.Encode(), nil)
	if err != nil {
		return item, err
	}
	hreq.Header.Set("Accept", "application/json, */*;q=0.5")
	resp, err := a.client.Do(hreq)
	if err != nil {
		return item, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseSize+1))
	if err != nil {
		return item, err
	}
	if resp.StatusCode != http.StatusOK {
		return item, fmt.Errorf("GET %s: %d", hreq.URL, resp.StatusCode)
	}
	return item, json.Unmarshal(raw, &item)
}

func benchmarkThreeSteps(b *testing.B, starters int) {
	c := temporalenv.Client(b)
	srv := threeStepsServer(b)
	// One client for both legs, pooling enough connections for every starter.
	httpClient := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: starters}}
	wf, definition, err := workflows.Parse(fmt.Appendf(nil, threeStepsYAML, srv.URL))
	if err != nil {
		b.Fatal(err)
	}
	ns, name := wf.Document.Namespace, wf.Document.Name

	b.Run(fmt.Sprintf("baseline=hand-written-%d", starters), func(b *testing.B) {
		queue := fmt.Sprintf("bench-hand-written-%d", starters)
		acts := &handWrittenActivities{client: httpClient}
		measureInstances(b, c, queue, starters, func(w worker.Registry) {
			w.RegisterWorkflowWithOptions(handWrittenThreeSteps, workflow.RegisterOptions{Name: handWrittenWorkflow})
			w.RegisterActivityWithOptions(acts.fetch, activity.RegisterOptions{Name: handWrittenFetch})
		}, func(ctx context.Context, id string, x int) error {
			run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue, EnableEagerStart: true}, handWrittenWorkflow, handWrittenInput{X: x, URL: srv.URL})
			if err != nil {
				return err
			}
			var total int
			if err := run.Get(ctx, &total); err != nil {
				return err
			}
			if want := threeStepsTotal(x); total != want {
				return fmt.Errorf("%s: total %d, want %d", id, total, want)
			}
			return nil
		})
	})
	b.Run(fmt.Sprintf("cop=interpreter-%d", starters), func(b *testing.B) {
		queue := fmt.Sprintf("bench-interpreter-%d", starters)
		acts := &Activities{Client: httpClient, Allow: ParseAllowlist("*,127.0.0.0/8")}
		measureInstances(b, c, queue, starters, acts.Register, func(ctx context.Context, id string, x int) error {
			run, err := StartInstance(ctx, c, StartOptions{ID: id, TaskQueue: queue, Namespace: ns, Name: name,
				Start: Start{Definition: definition, Input: map[string]any{"x": x}}})
			if err != nil {
				return err
			}
			var res Result
			if err := run.Get(ctx, &res); err != nil {
				return err
			}
			out, _ := res.Output.(map[string]any)
			if total, ok := out["total"].(float64); !ok || total != float64(threeStepsTotal(x)) {
				return fmt.Errorf("%s: output %v, want {total: %d}", id, res.Output, threeStepsTotal(x))
			}
			return nil
		})
	})
}

var benchInstance atomic.Int64

// measureInstances starts a worker on queue with register's workflows and
// activities, then has starters goroutines run b.N instances between them
// (op does one: start, wait, check), and reports instances/s and the p50
// and p95 latency of an op.
func measureInstances(b *testing.B, c client.Client, queue string, starters int, register func(worker.Registry), op func(ctx context.Context, id string, x int) error) {
	w := worker.New(c, queue, worker.Options{})
	register(w)
	if err := w.Start(); err != nil {
		b.Fatal(err)
	}
	defer w.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	id := func() string { return fmt.Sprintf("%s-%d-%d", queue, time.Now().UnixNano(), benchInstance.Add(1)) }
	// One instance first, so neither leg pays for its worker's first poll.
	if err := op(ctx, id(), 0); err != nil {
		b.Fatal(err)
	}

	latencies := make([]time.Duration, b.N)
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range starters {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N || b.Failed() {
					return
				}
				t := time.Now()
				if err := op(ctx, id(), i+1); err != nil {
					b.Error(err)
					return
				}
				latencies[i] = time.Since(t)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if b.Failed() {
		return
	}
	slices.Sort(latencies)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "instances/s")
	b.ReportMetric(percentile(latencies, 50), "p50-ms")
	b.ReportMetric(percentile(latencies, 95), "p95-ms")
}

// percentile is the p-th percentile of sorted durations, in milliseconds
// (nearest rank).
func percentile(sorted []time.Duration, p int) float64 {
	i := (len(sorted)*p + 99) / 100
	if i > 0 {
		i--
	}
	return float64(sorted[i]) / float64(time.Millisecond)
}
