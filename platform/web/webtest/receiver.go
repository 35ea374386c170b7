package webtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Receiver is an integrator's webhook receiver run by Node.js
// (ui/e2e/webhook-receiver.mjs): it verifies every request with the
// standardwebhooks npm package, an implementation independent of COP's.
type Receiver struct {
	t   testing.TB
	URL string // where COP should send
}

// Received is one request as the receiver saw it.
type Received struct {
	ID          string `json:"id"`
	Timestamp   string `json:"timestamp"`
	Signatures  int    `json:"signatures"`
	ContentType string `json:"contentType"`
	VerifiedBy  []int  `json:"verifiedBy"`
	Error       string `json:"error"`
	Answered    int    `json:"answered"`
	Type        string `json:"type"`
	Subject     string `json:"subject"`
	At          int64  `json:"at"` // ms since the epoch
}

// StartReceiver runs a receiver until the test ends.
func StartReceiver(t testing.TB) *Receiver {
	t.Helper()
	root := Root()
	if _, err := os.Stat(filepath.Join(root, "ui", "node_modules", "standardwebhooks")); err != nil {
		t.Fatal("webhook tests need ui/node_modules/standardwebhooks: run `make test` (it installs ui's packages)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("webhook tests need Node.js: run `make test` (it installs it)")
	}
	cmd := exec.Command(node, filepath.Join("ui", "e2e", "webhook-receiver.mjs"))
	cmd.Dir = root
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	port, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if err != nil || !ok {
		t.Fatalf("the webhook receiver did not start: %q, %v", line, err)
	}
	return &Receiver{t: t, URL: "http://127.0.0.1:" + port + "/cop-events"}
}

func (r *Receiver) control() string { return strings.TrimSuffix(r.URL, "/cop-events") + "/control" }

// Expect sets the secrets the receiver verifies with (each on its own),
// and has it answer failStatus to the next fail requests, with
// Retry-After when retryAfter is not "".
func (r *Receiver) Expect(secrets []string, fail, failStatus int, retryAfter string) {
	r.t.Helper()
	b, _ := json.Marshal(map[string]any{"secrets": secrets, "fail": fail, "failStatus": failStatus, "retryAfter": retryAfter})
	resp, err := http.Post(r.control(), "application/json", bytes.NewReader(b))
	if err != nil || resp.StatusCode != http.StatusNoContent {
		r.t.Fatalf("configure the receiver: %v %v", resp, err)
	}
	resp.Body.Close()
}

// Received is every request so far, oldest first.
func (r *Receiver) Received() []Received {
	r.t.Helper()
	resp, err := http.Get(r.control())
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Received []Received }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		r.t.Fatal(err)
	}
	return out.Received
}

// WaitFor waits up to 30 s until cond holds of what was received.
func (r *Receiver) WaitFor(what string, cond func([]Received) bool) []Received {
	r.t.Helper()
	return r.WaitForWithin(what, 30*time.Second, cond)
}

// WaitForWithin is WaitFor with its own deadline.
func (r *Receiver) WaitForWithin(what string, d time.Duration, cond func([]Received) bool) []Received {
	r.t.Helper()
	deadline := time.Now().Add(d)
	for {
		got := r.Received()
		if cond(got) {
			return got
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("the receiver never saw %s; it saw %+v", what, got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
