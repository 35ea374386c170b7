package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"cop/platform/devstack"
	"cop/platform/web"
	"cop/platform/web/webtest"
)

// A person signs in through the real provider: /login redirects to the
// provider, its login page takes the password, the callback creates a
// server-side session, and the person lands on the page they asked for.
func TestBrowserSignInSessionAndSignOut(t *testing.T) {
	e := webtest.New(t)
	b := e.Browser()

	// Stop at the callback's answer to inspect the session cookie it sets.
	stopAtHome := *b
	stopAtHome.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Path == "/" && strings.HasPrefix(via[len(via)-1].URL.Path, "/auth/callback") {
			return http.ErrUseLastResponse
		}
		return nil
	}
	resp := e.SignIn(&stopAtHome, "officer")
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("callback answered %s → %q", resp.Status, resp.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "cop_session" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/" || session.Secure {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/, not Secure on plain-HTTP localhost", session)
	}

	home, body := e.Do(b, "GET", "/", "", nil)
	if home.StatusCode != 200 || !strings.Contains(body, "Signed in as Olu Officer") || !strings.Contains(body, "heathrow-t5") {
		t.Fatalf("home page %d: %s", home.StatusCode, body)
	}
	_, me := e.Do(b, "GET", "/api/v1/me", "", nil)
	var p struct {
		Sub   string   `json:"sub"`
		Roles []string `json:"roles"`
		Via   string   `json:"via"`
	}
	_ = json.Unmarshal([]byte(me), &p)
	if p.Sub != "dev-officer" || p.Via != "session" || len(p.Roles) != 1 || p.Roles[0] != "officer" {
		t.Fatalf("me: %s", me)
	}
	var sessions int
	_ = e.Pool.QueryRow(context.Background(), `SELECT count(*) FROM sessions WHERE subject = 'dev-officer'`).Scan(&sessions)
	if sessions != 1 {
		t.Fatalf("%d sessions stored", sessions)
	}

	// Sign-out needs the session's CSRF token.
	resp, body = e.Do(b, "POST", "/logout", "", strings.NewReader("csrf=forged"), "Content-Type", "application/x-www-form-urlencoded")
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "Sign-out was refused") {
		t.Fatalf("forged CSRF: %d %s", resp.StatusCode, body)
	}
	csrf := webtest.CSRFField.FindStringSubmatch(mustGet(e, b, "/"))[1]
	var hops []string
	b.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		hops = append(hops, req.URL.String())
		return nil
	}
	resp, body = e.Do(b, "POST", "/logout", "", strings.NewReader("csrf="+url.QueryEscape(csrf)), "Content-Type", "application/x-www-form-urlencoded")
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/signed-out" || !strings.Contains(body, "You have signed out") {
		t.Fatalf("sign-out ended at %s %d: %s", resp.Request.URL, resp.StatusCode, body)
	}
	// The provider's session ends too, and no URL on the way (browser
	// history, access logs) holds the ID token.
	if len(hops) != 2 || !strings.HasPrefix(hops[0], e.OP.Issuer) || !strings.Contains(hops[0], "client_id=cop") {
		t.Errorf("sign-out redirects: %q", hops)
	}
	for _, h := range hops {
		if strings.Contains(h, "id_token") || strings.Contains(h, "eyJ") {
			t.Errorf("an ID token in a sign-out URL: %s", h)
		}
	}
	resp, _ = e.Do(b, "GET", "/api/v1/me", "", nil)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("after sign-out /api/v1/me answered %d", resp.StatusCode)
	}

	var actions []string
	for _, r := range e.AuditRows() {
		actions = append(actions, r.Actor+" "+r.Action+" "+r.Outcome)
	}
	want := "dev-officer auth.login ok|dev-officer http.POST /logout denied|dev-officer auth.logout ok"
	if strings.Join(actions, "|") != want {
		t.Errorf("audit trail:\n%s\nwant\n%s", strings.Join(actions, "\n"), strings.ReplaceAll(want, "|", "\n"))
	}
}

func mustGet(e *webtest.Env, c *http.Client, path string) string {
	e.T.Helper()
	resp, body := e.Do(c, "GET", path, "", nil)
	if resp.StatusCode != 200 {
		e.T.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	return body
}

func TestPagesSendSignedOutVisitorsToLogin(t *testing.T) {
	e := webtest.New(t)
	resp, _ := e.Do(nil, "GET", "/?tab=mine", "", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?return_to=%2F%3Ftab%3Dmine" {
		t.Fatalf("%d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// …and back to that page after signing in.
	b := e.Browser()
	resp, err := devstack.SignIn(context.Background(), b, e.Base+"/login?return_to=%2F%3Ftab%3Dmine", "officer", devstack.DevPassword)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.RequestURI() != "/?tab=mine" {
		t.Errorf("landed on %s", resp.Request.URL)
	}
	// An off-site return_to is ignored.
	resp, _ = e.Do(e.Browser(), "GET", "/login?return_to=https://evil.example/", "", nil)
	if resp.Request.URL.Host == "evil.example" {
		t.Error("followed an off-site return_to")
	}
	// Signed in, /login returns at once: browsers drop the tab and read
	// the backslash as a slash, so neither may reach the Location header.
	stay := webtest.NoRedirects()
	stay.Jar = b.Jar
	for _, to := range []string{"/%09/evil.example", "/%5Cevil.example", "%2F%2Fevil.example"} {
		resp, _ = e.Do(stay, "GET", "/login?return_to="+to, "", nil)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
			t.Errorf("return_to=%s: %d → %q, want 303 → /", to, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
}

func TestTamperedSessionCookieIsRefused(t *testing.T) {
	e := webtest.New(t)
	b := e.Browser()
	e.SignIn(b, "supervisor").Body.Close()
	u, _ := url.Parse(e.Base)
	cookies := b.Jar.Cookies(u)
	for _, c := range cookies {
		if c.Name == "cop_session" {
			c.Value = c.Value[:len(c.Value)-2] + "xx"
		}
	}
	b.Jar.SetCookies(u, cookies)
	resp, body := e.Do(b, "GET", "/api/v1/me", "", nil)
	p := webtest.ProblemOf(t, resp, body, http.StatusUnauthorized)
	if !strings.Contains(p.Detail, "session has ended or is not valid") {
		t.Errorf("detail %q", p.Detail)
	}
	resp, _ = e.Do(noRedirectsWithJar(b), "GET", "/", "", nil)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("tampered cookie on a page: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func noRedirectsWithJar(b *http.Client) *http.Client {
	c := webtest.NoRedirects()
	c.Jar = b.Jar
	return c
}

// The callback refuses a state that does not match the browser's cookie, a
// missing cookie, and a replayed callback.
func TestCallbackRefusesWrongStateAndReplay(t *testing.T) {
	e := webtest.New(t)
	b := noRedirectsWithJar(e.Browser())
	resp, _ := e.Do(b, "GET", "/login", "", nil)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), e.OP.Issuer) {
		t.Fatalf("/login: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := e.Do(b, "GET", "/auth/callback?state=forged&code=abc", "", nil, "Accept", "text/html")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "state mismatch") {
		t.Fatalf("wrong state: %d %s", resp.StatusCode, body)
	}
	resp, body = e.Do(nil, "GET", "/auth/callback?state=forged&code=abc", "", nil)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "state mismatch") {
		t.Fatalf("no cookie: %d %s", resp.StatusCode, body)
	}
	resp, body = e.Do(nil, "GET", "/auth/callback?error=access_denied&error_description=user+cancelled", "", nil)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "the sign-in was cancelled or refused at the sign-in service") {
		t.Fatalf("provider error: %d %s", resp.StatusCode, body)
	}
	// The query string is anyone's to write: its words never reach the page.
	resp, body = e.Do(nil, "GET", "/auth/callback?error=Your+account+is+locked.+Call+0800+000+000&error_description=Call+0800+000+000+to+unlock+it", "", nil, "Accept", "text/html")
	if resp.StatusCode != http.StatusBadRequest || strings.Contains(body, "0800") || !strings.Contains(body, "the sign-in service could not sign you in") {
		t.Fatalf("attacker-chosen text: %d %s", resp.StatusCode, body)
	}

	// Capture a genuine callback URL, let COP use it, then replay it.
	var callback string
	c := e.Browser()
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Path == "/auth/callback" {
			callback = req.URL.String()
		}
		return nil
	}
	e.SignIn(c, "officer").Body.Close()
	if callback == "" {
		t.Fatal("no callback seen")
	}
	req, _ := http.NewRequest("GET", callback, nil)
	replay, err := noRedirectsWithJar(c).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	replay.Body.Close()
	if replay.StatusCode != http.StatusBadRequest {
		t.Fatalf("replayed callback answered %d", replay.StatusCode)
	}
	rejected := 0
	for _, r := range e.AuditRows() {
		if r.Action == "auth.login" && r.Outcome == "rejected" {
			rejected++
		}
	}
	if rejected != 5 {
		t.Errorf("%d refused sign-ins audited, want 5", rejected)
	}
}

// Over https the cookies are Secure and use the prefixes browsers enforce:
// __Host- needs Path=/, so the callback-scoped sign-in cookie is __Secure-.
func TestCookiesOverHTTPS(t *testing.T) {
	e := webtest.New(t)
	public, _ := url.Parse("https://cop.example.gov.uk")
	srv, err := web.New(web.Deps{Pool: e.Pool, Auth: e.Srv.Deps().Auth, Temporal: e.Srv.Deps().Temporal, PublicURL: public, Log: e.Srv.Deps().Log})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.App().Test(httptest.NewRequest("GET", "/login", nil), 10000)
	if err != nil {
		t.Fatal(err)
	}
	cookie := resp.Header.Get("Set-Cookie")
	for _, want := range []string{"__Secure-cop_login=", "path=/auth/callback", "HttpOnly", "secure", "SameSite=Lax"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("sign-in cookie %q lacks %s", cookie, want)
		}
	}
	if resp.Header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS over https")
	}
}

// TestPagesUseTheGOVUKTemplate: pages come in GOV.UK's page template with
// GOV.UK Frontend's assets, and the only inline scripts carry this
// response's Content-Security-Policy nonce.
func TestPagesUseTheGOVUKTemplate(t *testing.T) {
	e := webtest.New(t)
	b := e.Browser()
	e.SignIn(b, "officer").Body.Close()
	resp, body := e.Do(b, "GET", "/", "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("home: %d", resp.StatusCode)
	}
	for _, want := range []string{
		`<html lang="en-GB" class="govuk-template">`,
		`<a href="#main-content" class="govuk-skip-link" data-module="govuk-skip-link">Skip to main content</a>`,
		`class="govuk-service-navigation"`,
		`aria-current="page"`,
		`Signed in as Olu Officer`,
		`<form method="post" action="/logout"`,
		`<main class="govuk-main-wrapper" id="main-content">`,
		`<link rel="stylesheet" href="/assets/govuk-frontend.min.css">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("home page lacks %s", want)
		}
	}
	csp := resp.Header.Get("Content-Security-Policy")
	m := regexp.MustCompile(`'nonce-([A-Za-z0-9_-]+)'`).FindStringSubmatch(csp)
	if m == nil || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("CSP %q", csp)
	}
	// Inline scripts run only by the response's nonce; others come from
	// COP's own origin ('self').
	scripts := regexp.MustCompile(`<script[^>]*>`).FindAllString(body, -1)
	inline := 0
	for _, s := range scripts {
		if strings.Contains(s, ` src="`) {
			if !strings.Contains(s, ` src="/assets/`) {
				t.Errorf("script %s is not one of COP's assets", s)
			}
			continue
		}
		inline++
		if !strings.Contains(s, `nonce="`+m[1]+`"`) {
			t.Errorf("inline script %s does not carry the response's nonce %s", s, m[1])
		}
	}
	if inline != 2 {
		t.Fatalf("inline scripts %v: want GOV.UK's snippet and the module starting GOV.UK Frontend", scripts)
	}
	_, again := e.Do(b, "GET", "/", "", nil)
	if strings.Contains(again, m[1]) {
		t.Error("the nonce is reused across responses")
	}

	resp, css := e.Do(nil, "GET", "/assets/govuk-frontend.min.css", "", nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") || !strings.Contains(css, ".govuk-template") {
		t.Fatalf("stylesheet: %d %s (built by make assets)", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if resp.Header.Get("Cache-Control") != "public, max-age=3600" {
		t.Errorf("assets cache %q", resp.Header.Get("Cache-Control"))
	}
	if resp, _ := e.Do(nil, "GET", "/assets/fonts/bold-b542beb274-v2.woff2", "", nil); resp.StatusCode != 200 {
		t.Errorf("font: %d", resp.StatusCode)
	}
	for _, bad := range []string{"/assets/../ui.go", "/assets/nothing.css", "/assets/fonts"} {
		if resp, _ := e.Do(nil, "GET", bad, "", nil); resp.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", bad, resp.StatusCode)
		}
	}
}
