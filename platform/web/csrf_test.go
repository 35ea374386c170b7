package web_test

import (
	"net/http"
	"strings"
	"testing"

	"cop/platform/web/webtest"
)

// A page on the same site can make the browser send its session cookie
// with any request. The cookie must not change anything through the API,
// whatever the body, while it still reads (the pages' own posts carry the
// CSRF token and are tested with the pages).
func TestTheSessionCookieCannotWriteThroughTheAPI(t *testing.T) {
	e := webtest.New(t)
	b := e.Browser()
	e.SignIn(b, "author").Body.Close()
	writes := []struct{ method, path, ctype, body string }{
		{"POST", "/api/v1/refdata", "application/json", webtest.PortsSet},
		{"POST", "/api/v1/forms/arrival-report/submissions", "application/json", "{}"},
		{"POST", "/api/v1/tasks/00000000-0000-0000-0000-000000000000/claim", "", ""},
		{"POST", "/api/v1/tasks/00000000-0000-0000-0000-000000000000/claim", "text/plain", "{}"},
		{"POST", "/api/v1/workflows", "text/plain", "document: {}"},
		{"DELETE", "/api/v1/drafts/00000000-0000-0000-0000-000000000000", "", ""},
	}
	for _, w := range writes {
		resp, body := e.Do(b, w.method, w.path, "", strings.NewReader(w.body), "Content-Type", w.ctype)
		if p := webtest.ProblemOf(t, resp, body, http.StatusForbidden); !strings.Contains(p.Detail, "a browser session cannot change things through the API") {
			t.Errorf("%s %s with the cookie: %s", w.method, w.path, body)
		}
	}
	if resp, body := e.Do(b, "GET", "/api/v1/me", "", nil); resp.StatusCode != 200 || !strings.Contains(body, `"dev-author"`) {
		t.Errorf("the cookie still reads the API: %d %s", resp.StatusCode, body)
	}
	var n int
	if err := e.Pool.QueryRow(t.Context(), `SELECT count(*) FROM definitions`).Scan(&n); err != nil || n != 0 {
		t.Errorf("a cookie write left %d definitions (%v)", n, err)
	}
	var denied int
	if err := e.Pool.QueryRow(t.Context(), `SELECT count(*) FROM audit_log WHERE outcome = 'denied' AND actor = 'dev-author'`).Scan(&denied); err != nil || denied != len(writes) {
		t.Errorf("%d refused cookie writes audited as denied, want %d (%v)", denied, len(writes), err)
	}
}

// Each route takes the media types it declares and nothing else: no
// Content-Type at all, the types a cross-site form can send, a charset
// other than UTF-8 and a body where none belongs are all 415.
func TestRoutesTakeOnlyTheirMediaTypes(t *testing.T) {
	e := webtest.New(t)
	officer, author := e.Token("officer"), e.Token("author")
	cases := []struct {
		name, method, path, token, ctype, body, says string
	}{
		{"a claim with no Content-Type", "POST", "/api/v1/tasks/00000000-0000-0000-0000-000000000000/claim", officer, "", "", "send a Content-Type header: this route takes application/json"},
		{"a claim sent as a form", "POST", "/api/v1/tasks/00000000-0000-0000-0000-000000000000/claim", officer, "application/x-www-form-urlencoded", "", "takes application/json, not application/x-www-form-urlencoded"},
		{"a submission as text/plain", "POST", "/api/v1/forms/arrival-report/submissions", officer, "text/plain", "{}", "not text/plain"},
		{"a submission in Latin-1", "POST", "/api/v1/forms/arrival-report/submissions", officer, "application/json; charset=iso-8859-1", "{}", "UTF-8"},
		{"an unreadable Content-Type", "POST", "/api/v1/forms/arrival-report/submissions", officer, "application/json; charset", "{}", "cannot be read"},
		{"a workflow as text/plain", "POST", "/api/v1/workflows", author, "text/plain", "document: {}", "application/json, application/yaml, application/x-yaml, text/yaml or text/x-yaml, not text/plain"},
		{"a file as JSON", "POST", "/api/v1/files", officer, "application/json", "{}", "takes multipart/form-data"},
		{"a delete with a body", "DELETE", "/api/v1/drafts/00000000-0000-0000-0000-000000000000", officer, "application/json", "{}", "takes no body"},
		{"an event as YAML", "POST", "/api/v1/instances/x/events", officer, "application/yaml", "a: 1", "application/json or application/cloudevents+json"},
	}
	for _, c := range cases {
		resp, body := e.Do(nil, c.method, c.path, c.token, strings.NewReader(c.body), "Content-Type", c.ctype)
		if p := webtest.ProblemOf(t, resp, body, http.StatusUnsupportedMediaType); !strings.Contains(p.Detail, c.says) {
			t.Errorf("%s: %q, want it to say %q", c.name, p.Detail, c.says)
		}
	}
	// The page routes take form posts only.
	b := e.Browser()
	e.SignIn(b, "officer").Body.Close()
	resp, body := e.Do(b, "POST", "/notifications/x/read", "", strings.NewReader(`{"csrf": "x"}`), "Content-Type", "application/json")
	webtest.ProblemOf(t, resp, body, http.StatusUnsupportedMediaType)
	// What the checks must let through: a declared type with UTF-8.
	resp, body = e.Do(nil, "POST", "/api/v1/refdata", author, strings.NewReader(webtest.PortsSet), "Content-Type", "application/json; charset=UTF-8")
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("reference data as application/json; charset=UTF-8: %d %s", resp.StatusCode, body)
	}
}
