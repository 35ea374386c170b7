package web_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"cop/platform/devstack"
	"cop/platform/web/webtest"
)

func TestBearerTokens(t *testing.T) {
	e := webtest.New(t)
	author := e.Token("author")

	resp, body := e.Do(nil, "GET", "/api/v1/me", author, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `"sub":"dev-author"`) || !strings.Contains(body, `"via":"bearer"`) {
		t.Fatalf("valid token: %d %s", resp.StatusCode, body)
	}

	// No token at all.
	resp, body = e.Do(nil, "GET", "/api/v1/me", "", nil)
	p := webtest.ProblemOf(t, resp, body, http.StatusUnauthorized)
	if resp.Header.Get("WWW-Authenticate") == "" || !strings.Contains(p.Detail, "Bearer <token>") {
		t.Errorf("no token: %+v %q", p, resp.Header.Get("WWW-Authenticate"))
	}

	cases := []struct {
		name, header, detail string
	}{
		{"wrong scheme", "Basic " + author, "must be `Bearer <access token>`"},
		{"malformed", "Bearer not.a.jwt", "not valid"},
		{"tampered payload", "Bearer " + tamperPayload(author), "not valid"},
		{"wrongly signed", "Bearer " + webtest.Forge(t, e.OP.Issuer, devstack.DevClientID), "not signed by this provider"},
		{"another audience", "Bearer " + e.TokenFor("other-app", "author"), "not for this API"},
		{"another issuer", "Bearer " + tokenFromAnotherProvider(e, t), "not signed by this provider"},
		{"an ID token", "Bearer " + e.IDToken("author"), "is an ID token (it carries at_hash)"},
	}
	for _, tc := range cases {
		resp, body := e.Do(nil, "GET", "/api/v1/me", "", nil, "Authorization", tc.header)
		p := webtest.ProblemOf(t, resp, body, http.StatusUnauthorized)
		if !strings.Contains(p.Detail, tc.detail) {
			t.Errorf("%s: detail %q, want it to say %q", tc.name, p.Detail, tc.detail)
		}
	}

	// A valid token without the role a route needs.
	resp, body = e.Do(nil, "GET", "/api/v1/audit", author, nil)
	p = webtest.ProblemOf(t, resp, body, http.StatusForbidden)
	if p.Detail != "this needs one of the roles admin, supervisor; you have author" {
		t.Errorf("403 detail %q", p.Detail)
	}
	resp, _ = e.Do(nil, "GET", "/api/v1/audit", e.Token("supervisor"), nil)
	if resp.StatusCode != 200 {
		t.Errorf("supervisor reading the audit trail: %d", resp.StatusCode)
	}
}

// A token used while valid is refused once it expires: the verified
// tokens COP remembers are remembered until their expiry, no longer.
func TestExpiredTokenIsRefused(t *testing.T) {
	e := webtest.New(t, func(o *webtest.Option) { o.TokenTTL = 2 * time.Second })
	tok := e.Token("officer")
	for range 2 { // verified, then remembered
		if resp, _ := e.Do(nil, "GET", "/api/v1/me", tok, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("a fresh token: %d", resp.StatusCode)
		}
	}
	time.Sleep(3100 * time.Millisecond)
	resp, body := e.Do(nil, "GET", "/api/v1/me", tok, nil)
	p := webtest.ProblemOf(t, resp, body, http.StatusUnauthorized)
	if p.Detail != "the bearer token has expired" {
		t.Errorf("detail %q", p.Detail)
	}
}

// tokenFromAnotherProvider is a genuine token from a second provider.
func tokenFromAnotherProvider(e *webtest.Env, t *testing.T) string {
	other := webtest.New(t)
	return other.Token("admin")
}

// tamperPayload raises the token's roles to admin without re-signing it.
func tamperPayload(token string) string {
	parts := strings.Split(token, ".")
	var claims map[string]any
	b, _ := base64.RawURLEncoding.DecodeString(parts[1])
	_ = json.Unmarshal(b, &claims)
	claims["roles"] = []string{"admin"}
	b, _ = json.Marshal(claims)
	parts[1] = base64.RawURLEncoding.EncodeToString(b)
	return strings.Join(parts, ".")
}
