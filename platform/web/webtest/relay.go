package webtest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Relay is an outside system a workflow calls, for the tests of mending a
// faulted instance: /first always answers, /second answers 503 while the
// system is down (as it starts). POST /_control/up brings it back, so a
// browser journey can too. It records each call's Idempotency-Key by path.
type Relay struct {
	URL string

	mu    sync.Mutex
	calls map[string][]string
	up    bool
}

// StartRelay runs a relay, down, until the test ends.
func StartRelay(t testing.TB) *Relay {
	t.Helper()
	r := &Relay{calls: map[string][]string{}}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

func (r *Relay) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if req.URL.Path == "/_control/up" {
		r.up = true
		w.WriteHeader(http.StatusNoContent)
		return
	}
	r.calls[req.URL.Path] = append(r.calls[req.URL.Path], req.Header.Get("Idempotency-Key"))
	if req.URL.Path == "/second" && !r.up {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"ok": %q}`, req.URL.Path)
}

// Up brings /second back.
func (r *Relay) Up() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.up = true
}

// Calls are the Idempotency-Keys of the calls made to path, in order.
func (r *Relay) Calls(path string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls[path]...)
}

// Workflow is kit/relay 1.0.0, which officers start: it calls the relay's
// /first, then its /second (at /do/1/second).
func (r *Relay) Workflow() string {
	return strings.ReplaceAll(`document: {dsl: '1.0.3', namespace: kit, name: relay, version: '1.0.0', title: Relay a report, metadata: {access: {start: [role:officer]}}}
do:
  - first:
      call: http
      with: {method: post, endpoint: 'URL/first', body: {n: 1}}
  - second:
      call: http
      with: {method: post, endpoint: 'URL/second', body: {n: 2}}
`, "URL", r.URL)
}

// FaultedRelay publishes kit/relay against a relay that is down and starts
// it as the officer: the instance it returns has faulted at /do/1/second,
// after one call to /first.
func (e *Env) FaultedRelay(t testing.TB) (*Relay, InstanceBody) {
	t.Helper()
	r := StartRelay(t)
	if resp, body := e.PublishYAML(e.Token("author"), r.Workflow()); resp.StatusCode != 201 {
		t.Fatalf("publish kit/relay: %d %s", resp.StatusCode, body)
	}
	officer := e.Token("officer")
	var in InstanceBody
	e.Must(201, "POST", "/api/v1/workflows/kit/relay/instances", officer, map[string]any{"input": map[string]any{}}, &in)
	got := e.WaitInstance(officer, in.ID, func(i InstanceBody) bool { return i.Status != "starting" && i.Status != "running" })
	if got.Status != "faulted" {
		t.Fatalf("with the relay's /second down the instance is %s", got.Status)
	}
	return r, got
}
