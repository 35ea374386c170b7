package engine

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"

	"go.temporal.io/sdk/temporal"

	"cop/workflows"
)

func TestAllowlistMatchesHostsOnTheirPorts(t *testing.T) {
	hosts := ParseAllowlist("api.example.org, casework.internal:8443")
	for raw, want := range map[string]bool{
		"https://api.example.org/x":        true,
		"http://api.example.org/x":         true,
		"https://api.example.org:8443/x":   false, // a bare host is the default port only
		"https://casework.internal:8443/x": true,
		"https://casework.internal/x":      false,
	} {
		u, _ := url.Parse(raw)
		if got := hosts.Allows(u); got != want {
			t.Errorf("%s: %v, want %v", raw, got, want)
		}
	}
	prefixes := ParseAllowlist("10.20.0.0/16, ::1")
	for raw, want := range map[string]bool{
		"http://10.20.3.4:9000/x": true,
		"http://10.21.0.1/x":      false,
		"http://[::1]:5000/x":     true,
		"https://other.example/x": true, // a name may resolve into 10.20.0.0/16: the dial decides
	} {
		u, _ := url.Parse(raw)
		if got := prefixes.Allows(u); got != want {
			t.Errorf("%s: %v, want %v", raw, got, want)
		}
	}
	if ParseAllowlist("api.example.org").Allows(&url.URL{Scheme: "https", Host: "other.example"}) {
		t.Error("a host list without prefixes admitted another host")
	}
}

// An http:// entry names its host (on its port) and lets it be reached
// over plain http where https is otherwise required; other entries do not.
func TestPlainHTTPOnlyWhereAnEntrySaysSo(t *testing.T) {
	l := ParseAllowlist("https://api.example.org, http://receiver.internal:8080, http://legacy.internal, 10.0.0.0/8")
	for raw, want := range map[string][2]bool{ // allowed, plain http
		"https://api.example.org/x":          {true, false},
		"http://api.example.org/x":           {true, false},
		"http://receiver.internal:8080/hook": {true, true},
		"https://receiver.internal:8080/h":   {true, false},
		"http://receiver.internal/hook":      {true, false}, // port 80: the prefix entry lets the dial decide
		"http://legacy.internal/hook":        {true, true},
		"http://10.1.2.3/hook":               {true, false},
	} {
		u, _ := url.Parse(raw)
		if got := [2]bool{l.Allows(u), l.PlainHTTP(u)}; got != want {
			t.Errorf("%s: allowed, plain = %v, want %v", raw, got, want)
		}
	}
	if ParseAllowlist("http://receiver.internal:8080").Allows(&url.URL{Scheme: "http", Host: "receiver.internal:9090"}) {
		t.Error("an http:// entry admitted another port")
	}
}

func TestPublicAddresses(t *testing.T) {
	for addr, want := range map[string]bool{
		"93.184.215.14": true, "2606:4700::1111": true,
		"127.0.0.1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false,
		"169.254.169.254": false, "100.64.0.1": false, "0.0.0.0": false, "::1": false,
		"fd00::1": false, "fe80::1": false, "::ffff:10.0.0.1": false, "64:ff9b::a00:1": false,
		"2002:a00:1::": false, "224.0.0.1": false, "198.18.0.1": false,
	} {
		if got := public(netip.MustParseAddr(addr).Unmap()); got != want {
			t.Errorf("%s public: %v, want %v", addr, got, want)
		}
	}
}

// callFault runs the http activity and returns the DSL error it faulted
// with, or nil.
func callFault(t *testing.T, a *Activities, req HTTPRequest) (*workflows.RuntimeError, any) {
	t.Helper()
	out, err := a.HTTP(context.Background(), req)
	if err == nil {
		return nil, out
	}
	var app *temporal.ApplicationError
	var re *workflows.RuntimeError
	if !errors.As(err, &app) || app.Details(&re) != nil {
		t.Fatalf("not a DSL fault: %v", err)
	}
	return re, nil
}

// The address is checked after DNS: "*" reaches public addresses only, so
// a name that resolves to this machine (or to the cloud metadata address)
// is refused unless an entry names the host or the address.
func TestCallsReachOnlyAdmittedAddresses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"ok": true}`)) }))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	for _, c := range []struct {
		allow, uri string
		says       string // "" when the call goes through
	}{
		{"*", "http://localhost:" + port + "/", "resolves to 127.0.0.1, which is not a public address"},
		{"*", "http://127.0.0.1:" + port + "/", "not a public address"},
		{"*", "http://169.254.169.254/latest/meta-data/", "169.254.169.254, which is not a public address"},
		{"localhost", "http://localhost:" + port + "/", "not on COP_CALL_ALLOWLIST"},
		{"localhost:" + port, "http://localhost:" + port + "/", ""},
		{"*,127.0.0.0/8", "http://localhost:" + port + "/", ""},
		{"127.0.0.1", "http://127.0.0.1:" + port + "/", ""},
	} {
		a := &Activities{Allow: ParseAllowlist(c.allow)}
		re, _ := callFault(t, a, HTTPRequest{Method: "GET", URI: c.uri})
		switch {
		case c.says == "" && re != nil:
			t.Errorf("%s with %q: refused: %s", c.uri, c.allow, re.Detail)
		case c.says != "" && (re == nil || !strings.Contains(re.Detail, c.says)):
			t.Errorf("%s with %q: %+v, want a refusal saying %q", c.uri, c.allow, re, c.says)
		case c.says != "" && !strings.HasSuffix(re.Type, "/"+workflows.ErrAuthorization):
			t.Errorf("%s with %q: fault type %s, want authorization", c.uri, c.allow, re.Type)
		}
	}
}

// A secret goes only to the hosts COP_SECRET_<NAME>_HOSTS names, and not
// on through a redirect to another host.
func TestSecretsGoOnlyToTheirHosts(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]string{}
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen["other"] = r.Header.Get("Authorization")
		mu.Unlock()
	}))
	defer other.Close()
	home := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen["home"] = r.Header.Get("Authorization")
		mu.Unlock()
		if r.URL.Path == "/away" {
			http.Redirect(w, r, strings.Replace(other.URL, "127.0.0.1", "localhost", 1)+"/", http.StatusFound)
		}
	}))
	defer home.Close()
	homeHost := strings.TrimPrefix(home.URL, "http://")
	a := &Activities{
		Allow:       ParseAllowlist("*,127.0.0.0/8"),
		Secret:      func(string) (string, bool) { return "s3cret", true },
		SecretHosts: func(name string) (string, bool) { v, ok := map[string]string{"bound": homeHost}[name]; return v, ok },
	}
	auth := func(name string) *Auth { return &Auth{Scheme: "bearer", Secret: name} }
	if re, _ := callFault(t, a, HTTPRequest{Method: "GET", URI: home.URL + "/", Auth: auth("unbound")}); re == nil ||
		!strings.Contains(re.Detail, `secret "unbound" may not be sent anywhere until COP_SECRET_UNBOUND_HOSTS names the hosts it is for`) {
		t.Errorf("an unbound secret: %+v", re)
	}
	if re, _ := callFault(t, a, HTTPRequest{Method: "GET", URI: other.URL + "/", Auth: auth("bound")}); re == nil ||
		!strings.Contains(re.Detail, `secret "bound" is for `+homeHost) {
		t.Errorf("a secret sent to another host: %+v", re)
	}
	if seen["other"] != "" {
		t.Errorf("the other host received %q", seen["other"])
	}
	if re, _ := callFault(t, a, HTTPRequest{Method: "GET", URI: home.URL + "/", Auth: auth("bound")}); re != nil || seen["home"] != "Bearer s3cret" {
		t.Errorf("the bound host: %+v, received %q", re, seen["home"])
	}
	seen = map[string]string{}
	if re, _ := callFault(t, a, HTTPRequest{Method: "GET", URI: home.URL + "/away", Auth: auth("bound"), Redirect: true}); re != nil {
		t.Fatalf("redirect: %+v", re)
	}
	if seen["home"] != "Bearer s3cret" || seen["other"] != "" {
		t.Errorf("after a redirect to another host: %q", seen)
	}
}
