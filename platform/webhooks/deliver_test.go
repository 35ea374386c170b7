package webhooks

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A chaos receiver: each path answers one way a real receiver might.
func chaosReceiver(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			if r.Header.Get("webhook-id") != "ev-1" || r.Header.Get("webhook-timestamp") != "1700000000" ||
				!strings.HasPrefix(r.Header.Get("webhook-signature"), "v1,") {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		case "/fail":
			http.Error(w, "database down", http.StatusInternalServerError)
		case "/busy":
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/gone":
			w.WriteHeader(http.StatusGone)
		case "/moved":
			http.Redirect(w, r, "/ok", http.StatusFound)
		case "/hang":
			select { // longer than the client waits
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestSendClassifiesWhatTheReceiverDoes(t *testing.T) {
	srv := chaosReceiver(t)
	secret, _ := NewSecret()
	now := time.Unix(1700000000, 0)
	send := func(c *http.Client, path string) Attempt {
		return Send(context.Background(), c, Message{URL: srv.URL + path, ID: "ev-1", Body: []byte(`{"id":"ev-1"}`), Secrets: []string{secret}}, now)
	}
	c := NewClient()
	for path, want := range map[string]struct {
		outcome Outcome
		status  int
	}{"/ok": {Delivered, 204}, "/fail": {Retry, 500}, "/busy": {Retry, 429}, "/gone": {Disable, 410}, "/moved": {Retry, 302}} {
		a := send(c, path)
		if a.Outcome != want.outcome || a.Status != want.status {
			t.Errorf("%s: %s %d (%s), want %s %d", path, a.Outcome, a.Status, a.Error, want.outcome, want.status)
		}
	}
	if a := send(c, "/fail"); a.Excerpt != "database down\n" {
		t.Errorf("the response excerpt is %q", a.Excerpt)
	}
	if a := send(c, "/busy"); a.RetryAfter != 2*time.Minute {
		t.Errorf("Retry-After read as %s", a.RetryAfter)
	}
	short := NewClient()
	short.Timeout = 200 * time.Millisecond
	if a := send(short, "/hang"); a.Outcome != Retry || a.Status != 0 || !strings.Contains(a.Error, "no answer within") {
		t.Errorf("a receiver that hangs: %+v", a)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{"": 0, "30": 30 * time.Second, "-5": 0, "soon": 0,
		now.Add(time.Minute).Format(http.TimeFormat): time.Minute, now.Add(-time.Minute).Format(http.TimeFormat): 0} {
		if got := retryAfter(v, now); got != want {
			t.Errorf("Retry-After %q: %s, want %s", v, got, want)
		}
	}
}
