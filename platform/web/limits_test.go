package web_test

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"cop/platform/web"
	"cop/platform/web/webtest"
)

// Each signed-in caller and each address without a sign-in has its own
// budget; past it the answer is 429 with Retry-After, and a refused burst
// leaves no audit rows. Probes are not metered.
func TestRateLimitsPerCaller(t *testing.T) {
	e := webtest.New(t, webtest.WithDeps(func(d *web.Deps) { d.Limits = web.Limits{PerCaller: 5, Anonymous: 3} }))
	officer, supervisor := e.Token("officer"), e.Token("supervisor")
	statuses := func(n int, token, method, path string) []int {
		var out []int
		for range n {
			resp, _ := e.Do(nil, method, path, token, nil, "Content-Type", "application/x-www-form-urlencoded")
			out = append(out, resp.StatusCode)
		}
		return out
	}
	if got := statuses(6, officer, "GET", "/api/v1/me"); got[4] != 200 || got[5] != http.StatusTooManyRequests {
		t.Errorf("an officer's six requests: %v, want the sixth refused", got)
	}
	resp, body := e.Do(nil, "GET", "/api/v1/me", officer, nil)
	if p := webtest.ProblemOf(t, resp, body, http.StatusTooManyRequests); resp.Header.Get("Retry-After") == "" ||
		!strings.Contains(p.Detail, "each signed-in caller may send 5 every 1m0s") {
		t.Errorf("429: %q %s", resp.Header.Get("Retry-After"), body)
	}
	if resp, _ := e.Do(nil, "GET", "/api/v1/me", supervisor, nil); resp.StatusCode != 200 {
		t.Errorf("another caller was limited too: %d", resp.StatusCode)
	}
	if got := statuses(5, "", "POST", "/logout"); got[2] != http.StatusUnauthorized || got[3] != http.StatusTooManyRequests || got[4] != http.StatusTooManyRequests {
		t.Errorf("anonymous posts: %v, want three 401s and then 429s", got)
	}
	if got := statuses(10, "", "GET", "/healthz"); got[9] != 200 {
		t.Errorf("health checks were limited: %v", got)
	}
	var anonymous int
	for _, r := range e.AuditRows() {
		if r.Actor == "anonymous" {
			anonymous++
		}
	}
	if anonymous != 3 {
		t.Errorf("%d anonymous audit rows, want 3 (refused bursts leave none)", anonymous)
	}
	_, metrics := e.Do(nil, "GET", "/metrics", "", nil)
	if !strings.Contains(metrics, "cop_http_rate_limited_total 4") {
		t.Errorf("metrics do not count the refusals:\n%s", metrics)
	}
}

// X-Forwarded-For is believed only from a trusted proxy, and then its
// right-most address that is not a proxy names the client: the left-most
// entries are whatever the client wrote.
func TestClientAddressBehindProxies(t *testing.T) {
	for _, c := range []struct {
		trusted []netip.Prefix
		xff     string
		want    string
	}{
		{nil, "203.0.113.9", "127.0.0.1"},
		{[]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, "6.6.6.6, 203.0.113.9", "203.0.113.9"},
		{[]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8")}, "6.6.6.6, 203.0.113.9, 10.1.1.1", "203.0.113.9"},
		{[]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, "not-an-address", "127.0.0.1"},
	} {
		e := webtest.New(t, webtest.WithDeps(func(d *web.Deps) { d.TrustedProxies = c.trusted }))
		e.Do(nil, "POST", "/logout", "", nil, "X-Forwarded-For", c.xff, "Content-Type", "application/x-www-form-urlencoded")
		rows := e.AuditRows()
		if len(rows) != 1 || rows[0].ClientIP != c.want {
			t.Errorf("trusting %v, X-Forwarded-For %q: %+v, want client %s", c.trusted, c.xff, rows, c.want)
		}
	}
}
