// Package cluster_test runs COP the way production runs it, on one
// machine: PostgreSQL; a Temporal server as its own process keeping
// history in PostgreSQL over several shards; the development OpenID
// provider as its own process; two `cop serve --only web` and two `cop
// serve --only worker` replicas, addressed in turn. A load of start-form
// submissions runs through it while a web and a worker replica are killed
// with SIGKILL and the Temporal server is restarted; every acknowledged
// submission must be stored, every workflow complete, and each side
// effect reach the outside system once.
//
// make test runs a short load; make cluster a longer one
// (COP_CLUSTER_SUBMISSIONS, COP_CLUSTER_CLIENTS).
package cluster_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"cop/platform/devstack"
	"cop/platform/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const reportForm = `{"name": "cluster-report", "version": "1.0.0", "title": "Report a sighting",
	"schema": {"type": "object", "additionalProperties": false, "required": ["ref"],
		"properties": {"ref": {"type": "string", "title": "Reference", "maxLength": 40}}}}`

const reviewForm = `{"name": "cluster-review", "version": "1.0.0", "title": "Review a sighting",
	"schema": {"type": "object", "additionalProperties": false, "required": ["approved"],
		"properties": {"approved": {"type": "boolean", "title": "Approve it"}}}}`

// reviewWorkflow tells the outside system of each report, then waits for a
// supervisor's review.
const reviewWorkflow = `document: {dsl: '1.0.0', namespace: cluster, name: sighting, version: '1.0.0', title: Sighting,
  metadata: {startForm: cluster-report}}
do:
  - tell:
      call: http
      with:
        method: post
        endpoint: RECEIVER/sightings
        body: {ref: '${ $workflow.input.submission.data.ref }'}
  - review:
      call: userTask
      with: {form: cluster-review, title: Review the sighting, candidateGroups: [role:supervisor]}
`

// receiver is the outside system: it records each call's delivery id
// (Idempotency-Key) under the report it is about.
type receiver struct {
	mu    sync.Mutex
	byRef map[string]map[string]int // ref → delivery id → calls
	calls int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var body struct{ Ref string }
	if err := json.NewDecoder(req.Body).Decode(&body); err != nil || body.Ref == "" {
		http.Error(w, "a sighting needs its ref", http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byRef[body.Ref] == nil {
		r.byRef[body.Ref] = map[string]int{}
	}
	r.byRef[body.Ref][req.Header.Get("Idempotency-Key")]++
	r.calls++
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"ok": true}`)
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

func port(t *testing.T) int {
	p, err := devstack.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// cluster is the running processes and what the scenario needs of them.
type cluster struct {
	temporal, oidc *proc
	web, workers   []*proc
	webURLs        []string
	dbURL          string
	issuer         string
}

// startCluster starts the processes; firstWebEnv is extra environment for
// the first web replica only (one replica loads the examples, as one
// migration job would).
func startCluster(t *testing.T, receiverURL string, firstWebEnv ...string) *cluster {
	bin := buildCOP(t)
	dbURL, temporalDB := testenv.DatabaseURL(t), testenv.DatabaseURL(t)
	c := &cluster{dbURL: dbURL}
	tport, oport := port(t), port(t)
	c.temporal = &proc{t: t, name: "temporal", bin: bin, ready: "Temporal ready",
		args: []string{"dev", "temporal", "--postgres", temporalDB, "--port", strconv.Itoa(tport), "--data", filepath.Join(logDir(t), "temporal")}}
	c.temporal.start()

	var apps []string
	webPorts := []int{port(t), port(t)}
	for _, p := range webPorts {
		u := "http://localhost:" + strconv.Itoa(p)
		c.webURLs = append(c.webURLs, u)
		apps = append(apps, "--app", u)
	}
	c.oidc = &proc{t: t, name: "oidc", bin: bin, ready: "OpenID provider ready", args: append([]string{"dev", "oidc", "--port", strconv.Itoa(oport)}, apps...)}
	c.oidc.start()
	c.issuer = "http://localhost:" + strconv.Itoa(oport)

	common := []string{"DATABASE_URL=" + dbURL, "TEMPORAL_ADDRESS=127.0.0.1:" + strconv.Itoa(tport),
		"OIDC_ISSUER=" + c.issuer, "OIDC_CLIENT_ID=" + devstack.DevClientID, "OIDC_CLIENT_SECRET=" + devstack.DevClientSecret,
		"OIDC_AUDIENCE=" + devstack.DevAPIAudience, "COP_CALL_ALLOWLIST=" + strings.TrimPrefix(receiverURL, "http://"),
		"COP_EVENT_SOURCE=urn:cop:cluster", "COP_RATE_LIMIT=0", "COP_RATE_LIMIT_ANONYMOUS=0", "COP_LOG_LEVEL=warn", "COP_SHUTDOWN_TIMEOUT=20s"}
	for i, p := range webPorts {
		env := append([]string{"PORT=" + strconv.Itoa(p), "PUBLIC_URL=" + c.webURLs[i], "COP_OPS_LISTEN_ADDR=off"}, common...)
		if i == 0 {
			env = append(env, firstWebEnv...)
		}
		w := &proc{t: t, name: fmt.Sprintf("web-%d", i+1), bin: bin, args: []string{"serve", "--only", "web"}, env: env,
			readyURL: c.webURLs[i] + "/readyz"}
		w.start()
		c.web = append(c.web, w)
	}
	for i := range 2 {
		env := append([]string{"PUBLIC_URL=" + c.webURLs[0], "COP_OPS_LISTEN_ADDR=off", "COP_LOG_LEVEL=info"}, common[:len(common)-2]...)
		env = append(env, "COP_SHUTDOWN_TIMEOUT=20s")
		w := &proc{t: t, name: fmt.Sprintf("worker-%d", i+1), bin: bin, args: []string{"serve", "--only", "worker"}, env: env,
			ready: "worker polling"}
		w.start()
		c.workers = append(c.workers, w)
	}
	return c
}

// client calls the web replicas in turn, moving to the next when one
// does not answer (killed) or answers 5xx, as a load balancer would.
type client struct {
	urls []string
	next atomic.Uint64
	http *http.Client
}

func (c *client) do(method, path, token string, body []byte, header ...string) (int, []byte, error) {
	var lastErr error
	for attempt := range 8 {
		base := c.urls[int(c.next.Add(1))%len(c.urls)]
		req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
		if err != nil {
			return 0, nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := c.http.Do(req)
		if err == nil {
			b, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if rerr == nil && resp.StatusCode < 500 {
				return resp.StatusCode, b, nil
			}
			lastErr = fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
		} else {
			lastErr = err
		}
		time.Sleep(time.Duration(attempt+1) * 100 * time.Millisecond)
	}
	return 0, nil, lastErr
}

func (c *client) must(t *testing.T, want int, method, path, token string, body string) []byte {
	t.Helper()
	status, b, err := c.do(method, path, token, []byte(body))
	if err != nil || status != want {
		t.Fatalf("%s %s: %d %s (%v), want %d", method, path, status, b, err, want)
	}
	return b
}

func TestClusterLosesNothingWhenReplicasAndTemporalFail(t *testing.T) {
	total := envInt("COP_CLUSTER_SUBMISSIONS", 60)
	clients := envInt("COP_CLUSTER_CLIENTS", 6)
	rec := &receiver{byRef: map[string]map[string]int{}}
	recSrv := httptest.NewServer(rec)
	defer recSrv.Close()

	began := time.Now()
	clearLogsUnlessFailed(t) // registered first, so it runs after every process has stopped
	c := startCluster(t, recSrv.URL)
	t.Logf("cluster up in %s: Temporal on PostgreSQL (%d shards), OpenID provider, web %v, two workers", time.Since(began).Round(time.Millisecond),
		devstack.PostgresShards, c.webURLs)
	ctx := context.Background()
	token := func(user string) string {
		tok, err := devstack.Token(ctx, c.issuer, c.webURLs[0]+"/auth/callback", user, devstack.DevPassword)
		if err != nil {
			t.Fatalf("token for %s: %v", user, err)
		}
		return tok.AccessToken
	}
	author, officer, supervisor := token("author"), token("officer"), token("supervisor")
	api := &client{urls: c.webURLs, http: &http.Client{Timeout: 30 * time.Second}}
	api.must(t, 201, "POST", "/api/v1/forms", author, reportForm)
	api.must(t, 201, "POST", "/api/v1/forms", author, reviewForm)
	wf := strings.ReplaceAll(reviewWorkflow, "RECEIVER", recSrv.URL)
	status, b, err := api.do("POST", "/api/v1/workflows", author, []byte(wf), "Content-Type", "application/yaml")
	if err != nil || status != 201 {
		t.Fatalf("publish the workflow: %d %s %v", status, b, err)
	}

	// The load: each submission keyed, retried on another replica when
	// one fails, acknowledged by a 201.
	var acknowledged, refused sync.Map // ref → submission id, or why not
	var acks atomic.Int64
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range jobs {
				ref := fmt.Sprintf("s-%05d", n)
				status, b, err := api.do("POST", "/api/v1/forms/cluster-report/submissions", officer, []byte(`{"ref": "`+ref+`"}`),
					"Idempotency-Key", "cluster-"+ref)
				if err != nil || (status != 201 && status != 200) {
					// Not acknowledged: the client was told it failed.
					refused.Store(ref, fmt.Sprintf("%d %s %v", status, b, err))
					continue
				}
				var sub struct{ ID string }
				if json.Unmarshal(b, &sub) == nil && sub.ID != "" {
					acknowledged.Store(ref, sub.ID)
					acks.Add(1)
				}
			}
		}()
	}
	// The failures, part way through the load.
	faults := make(chan struct{})
	go func() {
		defer close(faults)
		if os.Getenv("COP_CLUSTER_NO_FAULTS") != "" {
			return
		}
		waitFor(ctx, 20*time.Millisecond, func() bool { return acks.Load() >= int64(total/3) })
		t.Logf("after %d acknowledged: kill -9 web-1 and worker-1", acks.Load())
		c.web[0].kill()
		c.workers[0].kill()
		waitFor(ctx, 20*time.Millisecond, func() bool { return acks.Load() >= int64(2*total/3) })
		t.Logf("after %d acknowledged: restart Temporal", acks.Load())
		c.temporal.stop()
		c.temporal.start()
		// The killed replicas come back, as their supervisor would bring them.
		c.web[0].start()
		c.workers[0].start()
	}()
	for n := range total {
		jobs <- n
	}
	close(jobs)
	wg.Wait()
	<-faults
	t.Logf("load done: %d of %d acknowledged", acks.Load(), total)
	refused.Range(func(k, v any) bool {
		t.Logf("%s was not acknowledged: %s", k, v)
		return true
	})

	// Complete every review task, as supervisors would, until every
	// stored submission's workflow has completed.
	pool, err := pgxpool.New(ctx, c.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	count := func(q string) int {
		var n int
		if err := pool.QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	stored := count(`SELECT count(*) FROM submissions WHERE form_name = 'cluster-report'`)
	loaded, lastReport := time.Now(), time.Now()
	deadline, cancel := context.WithTimeout(ctx, time.Duration(envInt("COP_CLUSTER_WAIT_SECONDS", 300))*time.Second)
	defer cancel()
	waitFor(deadline, 200*time.Millisecond, func() bool {
		status, b, err := api.do("GET", "/api/v1/tasks?status=open&form=cluster-review&limit=100", supervisor, nil)
		if err == nil && status == 200 {
			var list struct{ Items []struct{ ID string } }
			_ = json.Unmarshal(b, &list)
			work := make(chan string)
			var done sync.WaitGroup
			for range clients {
				done.Add(1)
				go func() {
					defer done.Done()
					for id := range work {
						// A claim or complete refused is tried again on
						// the next pass while the task is still open.
						_, _, _ = api.do("POST", "/api/v1/tasks/"+id+"/claim", supervisor, []byte(`{}`))
						_, _, _ = api.do("POST", "/api/v1/tasks/"+id+"/complete", supervisor, []byte(`{"data": {"approved": true}}`))
					}
				}()
			}
			for _, task := range list.Items {
				work <- task.ID
			}
			close(work)
			done.Wait()
		}
		if time.Since(lastReport) > 10*time.Second {
			lastReport = time.Now()
			var states []string
			rows, _ := pool.Query(ctx, `SELECT status || ' ' || count(*) FROM instances WHERE namespace = 'cluster' GROUP BY status ORDER BY 1`)
			for rows.Next() {
				var st string
				_ = rows.Scan(&st)
				states = append(states, st)
			}
			rows.Close()
			t.Logf("%s after the load: instances %s", time.Since(loaded).Round(time.Second), strings.Join(states, ", "))
		}
		return count(`SELECT count(*) FROM instances WHERE namespace = 'cluster' AND status = 'completed'`) >= stored
	})
	t.Logf("every workflow completed %s after the load", time.Since(loaded).Round(time.Second))

	// The tally.
	var lost, duplicated, redelivered []string
	acknowledged.Range(func(k, v any) bool {
		var n int
		_ = pool.QueryRow(ctx, `SELECT count(*) FROM submissions WHERE id = $1`, v).Scan(&n)
		if n != 1 {
			lost = append(lost, fmt.Sprintf("%s acknowledged as %s but not stored", k, v))
		}
		return true
	})
	rows, err := pool.Query(ctx, `SELECT s.data->>'ref', count(i.id), count(i.id) FILTER (WHERE i.status = 'completed'), string_agg(DISTINCT i.status, ',')
		FROM submissions s LEFT JOIN instances i ON i.submission_id = s.id WHERE s.form_name = 'cluster-report' GROUP BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	completed := 0
	rec.mu.Lock()
	for rows.Next() {
		var ref, statuses string
		var instances, done int
		var st *string
		if err := rows.Scan(&ref, &instances, &done, &st); err != nil {
			t.Fatal(err)
		}
		if st != nil {
			statuses = *st
		}
		completed += min(done, 1)
		switch {
		case instances == 0 || done == 0:
			lost = append(lost, fmt.Sprintf("%s stored, its workflow not completed (%d instances: %s)", ref, instances, statuses))
		case instances > 1:
			duplicated = append(duplicated, fmt.Sprintf("%s started %d workflows", ref, instances))
		}
		ids := rec.byRef[ref]
		switch {
		case len(ids) == 0:
			lost = append(lost, fmt.Sprintf("%s: the outside system never heard of it", ref))
		case len(ids) > 1:
			duplicated = append(duplicated, fmt.Sprintf("%s reached the outside system under %d delivery ids", ref, len(ids)))
		}
		for id, n := range ids {
			if n > 1 {
				redelivered = append(redelivered, fmt.Sprintf("%s delivery %s came %d times", ref, id, n))
			}
		}
	}
	rec.mu.Unlock()
	rows.Close()

	summary := fmt.Sprintf("cluster: %d acknowledged, %d stored, %d completed, %d lost, %d duplicated", acks.Load(), stored, completed, len(lost), len(duplicated))
	fmt.Println(summary)
	t.Log(summary)
	t.Logf("%d deliveries came again with the id they came with first (the outside system drops those); took %s", len(redelivered),
		time.Since(began).Round(time.Second))
	for _, l := range append(lost, duplicated...) {
		t.Error(l)
	}
	if len(lost) > 0 {
		// Where the first unfinished instance stands, for the reader.
		var id string
		if pool.QueryRow(ctx, `SELECT id FROM instances WHERE namespace = 'cluster' AND status <> 'completed' ORDER BY started_at LIMIT 1`).Scan(&id) == nil {
			_, b, err := api.do("GET", "/api/v1/instances/"+id, token("admin"), nil)
			t.Logf("instance %s: %s %v", id, b, err)
		}
	}
	for _, p := range append(append([]*proc{}, c.web...), c.workers...) {
		b, _ := os.ReadFile(filepath.Join(logDir(t), p.name+".log"))
		if strings.Contains(string(b), "differs from another's") || strings.Contains(string(b), "on another database") {
			t.Errorf("%s says the replicas disagree:\n%s", p.name, b)
		}
	}
	if acks.Load() < int64(total)*9/10 {
		t.Errorf("only %d of %d submissions were acknowledged: the replicas left should take the load", acks.Load(), total)
	}
}
