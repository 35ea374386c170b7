package web_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"cop/platform/auth"
	"cop/platform/devstack"
	"cop/platform/web/route"
	"cop/platform/web/webtest"
)

// The route × role matrix, derived from the router, the routes' rules
// and the OpenAPI document: every route, called by every demo role with
// its access token, its ID token, and its browser session without a CSRF
// token, and by nobody and by a token for another application, answers
// what the route's rule and the rules for each credential say.
func TestRouteRoleMatrix(t *testing.T) {
	e := webtest.New(t)
	doc := openAPIDoc(t, e)
	type caller struct {
		role            string
		bearer, idToken string
		session         *http.Client
		principal       *auth.Principal
	}
	var callers []caller
	for _, u := range devstack.DemoUsers {
		b := e.Browser()
		e.SignIn(b, u.Username).Body.Close()
		callers = append(callers, caller{role: u.Username, bearer: e.Token(u.Username), idToken: e.IDToken(u.Username), session: b,
			principal: &auth.Principal{Subject: "dev-" + u.Username, Roles: u.Roles, Teams: u.Teams}})
	}
	wrongAudience := e.TokenFor("other-app", "admin")

	checked := 0
	for _, key := range routes(e.Srv) {
		method, pattern, _ := strings.Cut(key, " ")
		path := concretePath(pattern)
		api := strings.HasPrefix(pattern, "/api/")
		mutating := route.IsMutating(method)
		openPath := strings.Replace(param.ReplaceAllString(pattern, "{$1}"), "*", "{path}", 1)
		op, _ := doc["paths"].(map[string]any)[openPath].(map[string]any)[strings.ToLower(method)].(map[string]any)
		if op == nil {
			t.Errorf("%s: not in the OpenAPI document", key)
			continue
		}
		// The document and the table agree on who may call it...
		// Who may call it is read from the document (`security: []` is
		// public, `x-roles` names the roles), and the server held to it.
		sec, ok := op["security"].([]any)
		expect := auth.SignedIn
		if ok && len(sec) == 0 {
			expect = auth.Public
		}
		if roles, ok := op["x-roles"].([]any); ok {
			for _, r := range roles {
				expect.Roles = append(expect.Roles, r.(string))
			}
		}
		// ...and the document offers only media types the route takes.
		if rb, ok := op["requestBody"].(map[string]any); ok && api {
			for ct := range rb["content"].(map[string]any) {
				if !slices.Contains(e.Srv.Takes()[key], ct) {
					t.Errorf("%s: the OpenAPI document offers %s, which the route refuses (it takes %v)", key, ct, e.Srv.Takes()[key])
				}
			}
		}

		send := func(c *http.Client, token string) (*http.Response, string) {
			t.Helper()
			checked++
			var body *strings.Reader
			header := []string{}
			switch {
			case method == "DELETE" || !mutating:
				body = strings.NewReader("")
				header = append(header, "Content-Type", "")
			case api:
				body = strings.NewReader("{}")
				header = append(header, "Content-Type", "application/json")
			default:
				body = strings.NewReader("x=1")
				header = append(header, "Content-Type", "application/x-www-form-urlencoded")
			}
			if c == nil {
				c = webtest.NoRedirects()
			} else {
				jar := c.Jar
				c = webtest.NoRedirects()
				c.Jar = jar
			}
			return e.Do(c, method, path, token, body, header...)
		}
		refusedAsAnonymous := func(what string, resp *http.Response, body string) {
			t.Helper()
			if expect.Public {
				return
			}
			switch {
			case api || mutating:
				if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("%s with %s: %d, want 401: %.200s", key, what, resp.StatusCode, body)
				}
			default:
				if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
					t.Errorf("%s with %s: %d, want a redirect to sign in", key, what, resp.StatusCode)
				}
			}
		}
		asRole := func(what string, c caller, resp *http.Response, body string) {
			t.Helper()
			roleRefusal := strings.Contains(body, "this needs one of the roles")
			if expect.Check(c.principal) == http.StatusForbidden {
				if resp.StatusCode != http.StatusForbidden || !roleRefusal {
					t.Errorf("%s as %s (%s): %d, want the role refusal: %.200s", key, c.role, what, resp.StatusCode, body)
				}
				return
			}
			if resp.StatusCode == http.StatusUnauthorized || roleRefusal {
				t.Errorf("%s as %s (%s): %d, but the table lets them: %.200s", key, c.role, what, resp.StatusCode, body)
			}
		}

		resp, body := send(nil, "")
		refusedAsAnonymous("no credentials", resp, body)
		resp, body = send(nil, wrongAudience)
		refusedAsAnonymous("a token for another application", resp, body)
		for _, c := range callers {
			resp, body = send(nil, c.bearer)
			asRole("access token", c, resp, body)
			resp, body = send(nil, c.idToken)
			refusedAsAnonymous(c.role+"'s ID token", resp, body)
			resp, body = send(c.session, "")
			switch {
			case mutating && api:
				if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "a browser session cannot change things through the API") {
					t.Errorf("%s with %s's session cookie: %d %.200s", key, c.role, resp.StatusCode, body)
				}
			case mutating:
				if resp.StatusCode != http.StatusForbidden {
					t.Errorf("%s with %s's session cookie and no CSRF token: %d %.200s", key, c.role, resp.StatusCode, body)
				}
			default:
				asRole("session", c, resp, body)
			}
		}
	}
	t.Logf("%d routes, %d requests", len(routes(e.Srv)), checked)
}

// concretePath fills a route pattern's parameters with values that name
// nothing: the rules are decided before anything is looked up.
func concretePath(pattern string) string {
	path := param.ReplaceAllStringFunc(pattern, func(p string) string {
		switch p {
		case ":id":
			return "00000000-0000-0000-0000-000000000000"
		case ":version":
			return "1.0.0"
		default:
			return "x"
		}
	})
	return strings.Replace(path, "*", "x", 1)
}
