package engine

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/worker"
)

// keyStub answers calls and remembers the Idempotency-Key of each: /flaky
// fails each key's first request with 503; /hang holds the first request
// it gets until the client gives up; /ok answers at once.
type keyStub struct {
	*httptest.Server
	mu      sync.Mutex
	keys    map[string][]string // path -> keys, in arrival order
	hung    chan struct{}
	release chan struct{} // lets a hanging request go when the test ends
	once    sync.Once
	first   map[string]bool
}

func newKeyStub() *keyStub {
	s := &keyStub{keys: map[string][]string{}, hung: make(chan struct{}), release: make(chan struct{}), first: map[string]bool{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("Idempotency-Key")
		s.mu.Lock()
		s.keys[r.URL.Path] = append(s.keys[r.URL.Path], key)
		seen := s.first[key]
		s.first[key] = true
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/flaky" && !seen:
			w.WriteHeader(503)
		case r.URL.Path == "/hang" && !seen:
			s.once.Do(func() { close(s.hung) })
			select {
			case <-r.Context().Done():
			case <-s.release:
			}
			return
		}
		_, _ = w.Write([]byte(`{"ok": true}`))
	}))
	return s
}

func (s *keyStub) seen(path string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.keys[path]...)
}

// startCalls runs a definition whose calls go to the stub.
func startCalls(t *testing.T, stub *keyStub, definition string, stopTimeout time.Duration) *localInstance {
	t.Helper()
	def := strings.ReplaceAll(definition, "STUB", stub.URL)
	return startLocal(t, "calls", def, map[string]any{},
		workerWith(worker.Options{WorkerStopTimeout: stopTimeout}, &Activities{Client: http.DefaultClient, Allow: ParseAllowlist("*,127.0.0.0/8")}))
}

func (li *localInstance) startWorkerWith(o worker.Options, a *Activities) {
	li.t.Helper()
	li.worker = worker.New(li.c, li.queue, o)
	a.Register(li.worker)
	if err := li.worker.Start(); err != nil {
		li.t.Fatal(err)
	}
	li.t.Cleanup(li.worker.Stop)
}

// TestCallsCarryStableIdempotencyKeys: every call carries an
// Idempotency-Key; a try's retry sends the same key again, each iteration
// of a loop its own, and a key the definition sets itself wins.
func TestCallsCarryStableIdempotencyKeys(t *testing.T) {
	t.Parallel() // waits on Temporal, mostly: overlap it with the other tests that do
	stub := newKeyStub()
	defer stub.Close()
	li := startCalls(t, stub, `document: {dsl: '1.0.0', namespace: test, name: keys, version: '1.0.0'}
do:
  - each:
      for: {in: '${ [1, 2] }'}
      do:
        - guarded:
            try:
              - call: {call: http, with: {method: get, endpoint: STUB/flaky}}
            catch:
              errors: {with: {status: 503}}
              retry: {delay: PT0.1S, limit: {attempt: {count: 2}}}
  - mine: {call: http, with: {method: get, endpoint: STUB/ok, headers: {Idempotency-Key: chosen-by-author}}}
`, 0)
	if o := li.outcome(); o.Status != StatusCompleted {
		t.Fatalf("outcome %+v %+v", o, o.Error)
	}
	keys := stub.seen("/flaky")
	if len(keys) != 4 || !strings.HasPrefix(keys[0], "cop-") || keys[0] != keys[1] || keys[2] != keys[3] || keys[0] == keys[2] {
		t.Fatalf("keys of two iterations, each retried once: %q", keys)
	}
	if got := stub.seen("/ok"); len(got) != 1 || got[0] != "chosen-by-author" {
		t.Fatalf("the author's own key: %q", got)
	}
}

// TestCallCutShortByAWorkerStopIsRetried: a deploy stops the worker while
// a call waits on its server; once the grace period is over the call is
// cut short and Temporal runs it again on the next worker, with the same
// Idempotency-Key, and the instance completes (it used to fault with a
// communication error).
func TestCallCutShortByAWorkerStopIsRetried(t *testing.T) {
	t.Parallel() // waits on Temporal, mostly: overlap it with the other tests that do
	stub := newKeyStub()
	defer stub.Close()
	defer close(stub.release) // the first attempt's request, if it still hangs
	li := startCalls(t, stub, `document: {dsl: '1.0.0', namespace: test, name: deploy, version: '1.0.0'}
do:
  - slow: {call: http, with: {method: post, endpoint: STUB/hang, body: {n: 1}}}
`, 300*time.Millisecond)
	select {
	case <-stub.hung:
	case <-time.After(30 * time.Second):
		t.Fatal("the call never reached the server")
	}
	li.worker.Stop() // the deploy: waits its grace period, then cuts the call short
	li.startWorkerWith(worker.Options{}, &Activities{Client: http.DefaultClient, Allow: ParseAllowlist("*,127.0.0.0/8"), Platform: li.platform})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var res Result
	if err := li.run.Get(ctx, &res); err != nil {
		t.Fatalf("the instance did not survive the deploy: %v", err)
	}
	keys := stub.seen("/hang")
	if len(keys) != 2 || keys[0] != keys[1] || keys[0] == "" {
		t.Fatalf("the call and its retry carried %q", keys)
	}
}
