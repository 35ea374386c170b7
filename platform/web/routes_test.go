package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/santhosh-tekuri/jsonschema/v5"
	"go.temporal.io/sdk/client"

	"cop/platform/testenv"
	"cop/platform/web"
	"cop/platform/web/webtest"
)

// routes lists the registered routes as "METHOD /pattern", HEAD folded into GET.
func routes(s *web.Server) []string {
	seen := map[string]bool{}
	for _, r := range s.App().GetRoutes(true) {
		m := r.Method
		if m == fiber.MethodHead {
			m = fiber.MethodGet
		}
		seen[m+" "+r.Path] = true
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var param = regexp.MustCompile(`:(\w+)`)

// Every route on the router has its permission rule (route() cannot be
// called without one; this catches a route added around it), and every
// route that is not public refuses a caller with no credentials: 401 for
// the API, a redirect to sign-in for pages.
func TestEveryRouteHasAPermission(t *testing.T) {
	e := webtest.New(t)
	registered := routes(e.Srv)
	if len(registered) < 10 {
		t.Fatalf("only %d routes found: %v", len(registered), registered)
	}
	// Every route on the router went through route(), with its rule: one
	// added to Fiber any other way would have none.
	rules := e.Srv.Rules()
	for _, key := range registered {
		if _, ok := rules[key]; !ok {
			t.Errorf("%s was registered without a permission rule", key)
		}
	}
	for _, key := range registered {
		if rules[key].Public {
			continue
		}
		method, path, _ := strings.Cut(key, " ")
		resp, body := e.Do(nil, method, param.ReplaceAllString(path, "x"), "", nil)
		switch {
		case strings.HasPrefix(path, "/api/") || method != "GET":
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s without credentials: %d %s", key, resp.StatusCode, body)
			}
		default:
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
				t.Errorf("page %s without credentials: %d %s", key, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
	}
}

// openAPIDoc is the served OpenAPI document, decoded.
func openAPIDoc(t *testing.T, e *webtest.Env) map[string]any {
	resp, body := e.Do(nil, "GET", "/api/v1/openapi.json", "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("openapi.json: %d", resp.StatusCode)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// The served document passes Redocly's linter (an OpenAPI 3.1 validator
// that is not COP's) with no error: every operation has an operationId,
// every required property is defined, no description is cut short.
func TestOpenAPIPassesAnIndependentLinter(t *testing.T) {
	e := webtest.New(t)
	resp, body := e.Do(nil, "GET", "/api/v1/openapi.json", "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("openapi.json: %d", resp.StatusCode)
	}
	if out, ok := webtest.Redocly(t, []byte(body)); !ok || !strings.Contains(out, "valid") {
		t.Fatalf("redocly lint:\n%s", out)
	}
}

// The OpenAPI document describes exactly the routes that exist.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	e := webtest.New(t)
	doc := openAPIDoc(t, e)
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi version %v", doc["openapi"])
	}
	paths := doc["paths"].(map[string]any)
	documented := map[string]bool{}
	for p, ops := range paths {
		for m := range ops.(map[string]any) {
			if m != "parameters" {
				documented[strings.ToUpper(m)+" "+p] = true
			}
		}
	}
	for _, key := range routes(e.Srv) {
		method, path, _ := strings.Cut(key, " ")
		openPath := strings.Replace(param.ReplaceAllString(path, "{$1}"), "*", "{path}", 1)
		if !documented[method+" "+openPath] {
			t.Errorf("%s is not in openapi.yaml", key)
		}
		delete(documented, method+" "+openPath)
	}
	for k := range documented {
		t.Errorf("openapi.yaml documents %s, which is not a route", k)
	}
}

// responseSchema compiles the schema the document gives for a response.
func responseSchema(t *testing.T, doc map[string]any, path, method string, status int, contentType string) *jsonschema.Schema {
	t.Helper()
	raw, _ := json.Marshal(doc)
	resp := doc["paths"].(map[string]any)[path].(map[string]any)[method].(map[string]any)["responses"].(map[string]any)[fmt.Sprint(status)].(map[string]any)
	pointer := "#/paths/" + escape(path) + "/" + method + "/responses/" + fmt.Sprint(status)
	if ref, ok := resp["$ref"].(string); ok {
		pointer = ref
	}
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	if err := c.AddResource("openapi.json", bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("openapi.json" + pointer + "/content/" + escape(contentType) + "/schema")
	if err != nil {
		t.Fatalf("compile response schema of %s %s %d: %v", method, path, status, err)
	}
	return s
}

func escape(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1") }

// responseChecker returns a check that a response has the status and fits
// the schema the document gives for the path, method and status.
func responseChecker(t *testing.T, doc map[string]any) func(path, method string, status int, contentType string, resp *http.Response, body string) {
	return func(path, method string, status int, contentType string, resp *http.Response, body string) {
		t.Helper()
		if resp.StatusCode != status {
			t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, status, body)
		}
		validate(t, responseSchema(t, doc, path, method, status, contentType), body)
	}
}

func validate(t *testing.T, s *jsonschema.Schema, body string) {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("not JSON: %s", body)
	}
	if err := s.Validate(v); err != nil {
		t.Errorf("response does not match the OpenAPI document: %v\n%s", err, body)
	}
}

// Responses match the schemas the OpenAPI document promises.
func TestResponsesMatchTheOpenAPIDocument(t *testing.T) {
	e := webtest.New(t)
	doc := openAPIDoc(t, e)
	admin := e.Token("admin")
	b := e.Browser()
	e.SignIn(b, "officer").Body.Close()

	_, body := e.Do(nil, "GET", "/healthz", "", nil)
	validate(t, responseSchema(t, doc, "/healthz", "get", 200, "application/json"), body)
	_, body = e.Do(nil, "GET", "/readyz", "", nil)
	validate(t, responseSchema(t, doc, "/readyz", "get", 200, "application/json"), body)
	_, body = e.Do(nil, "GET", "/api/v1/me", admin, nil)
	validate(t, responseSchema(t, doc, "/api/v1/me", "get", 200, "application/json"), body)
	_, body = e.Do(nil, "GET", "/api/v1/me", "", nil)
	validate(t, responseSchema(t, doc, "/api/v1/me", "get", 401, "application/problem+json"), body)
	_, body = e.Do(nil, "GET", "/api/v1/audit", admin, nil)
	validate(t, responseSchema(t, doc, "/api/v1/audit", "get", 200, "application/json"), body)
	_, body = e.Do(nil, "GET", "/api/v1/audit?limit=0", admin, nil)
	validate(t, responseSchema(t, doc, "/api/v1/audit", "get", 400, "application/problem+json"), body)
	_, body = e.Do(nil, "GET", "/api/v1/audit", e.Token("officer"), nil)
	validate(t, responseSchema(t, doc, "/api/v1/audit", "get", 403, "application/problem+json"), body)

	// Forms, terms, reference data, submissions, cases, drafts and files.
	author, officer := e.Token("author"), e.Token("officer")
	check := responseChecker(t, doc)
	const pj, js = "application/problem+json", "application/json"
	resp, body := e.Send("POST", "/api/v1/refdata", author, webtest.PortsSet)
	check("/api/v1/refdata", "post", 201, js, resp, body)
	resp, body = e.Send("POST", "/api/v1/terms", author, webtest.PortTerm)
	check("/api/v1/terms", "post", 201, js, resp, body)
	resp, body = e.Send("POST", "/api/v1/terms", author, webtest.PersonTerm)
	check("/api/v1/terms", "post", 201, js, resp, body)
	resp, body = e.Send("POST", "/api/v1/forms", author, webtest.ArrivalForm("1.0.0", ""))
	check("/api/v1/forms", "post", 201, js, resp, body)
	resp, body = e.Send("POST", "/api/v1/forms", author, webtest.ArrivalForm("1.0.0", ""))
	check("/api/v1/forms", "post", 200, js, resp, body)
	resp, body = e.Send("POST", "/api/v1/forms", author, `{"name": "x", "version": "1.0.0", "title": "X", "schema": {"$ref": "http://x"}}`)
	check("/api/v1/forms", "post", 422, pj, resp, body)
	resp, body = e.Send("GET", "/api/v1/forms", officer, nil)
	check("/api/v1/forms", "get", 200, js, resp, body)
	resp, body = e.Send("GET", "/api/v1/forms/arrival-report", officer, nil)
	check("/api/v1/forms/{name}", "get", 200, js, resp, body)
	resp, body = e.Send("GET", "/api/v1/forms/arrival-report/versions", officer, nil)
	check("/api/v1/forms/{name}/versions", "get", 200, js, resp, body)
	resp, body = e.Send("GET", "/api/v1/refdata/uk-ports/items?q=dov", officer, nil)
	check("/api/v1/refdata/{name}/items", "get", 200, js, resp, body)
	resp, body = e.Send("POST", "/api/v1/forms/arrival-report/submissions", officer, webtest.ValidArrival)
	check("/api/v1/forms/{name}/submissions", "post", 201, js, resp, body)
	var sub webtest.Submission
	_ = json.Unmarshal([]byte(body), &sub)
	resp, body = e.Send("POST", "/api/v1/forms/arrival-report/submissions", officer, map[string]any{})
	check("/api/v1/forms/{name}/submissions", "post", 422, pj, resp, body)
	resp, body = e.Send("GET", "/api/v1/submissions/"+sub.ID, officer, nil)
	check("/api/v1/submissions/{id}", "get", 200, js, resp, body)
	resp, body = e.Send("GET", "/api/v1/cases/"+sub.BusinessKey, officer, nil)
	check("/api/v1/cases/{businessKey}", "get", 200, js, resp, body)
	resp, body = e.Send("POST", "/api/v1/forms/arrival-report/drafts", officer, map[string]any{"data": map[string]any{}})
	check("/api/v1/forms/{name}/drafts", "post", 201, js, resp, body)
	resp, body = e.Send("GET", "/api/v1/drafts", officer, nil)
	check("/api/v1/drafts", "get", 200, js, resp, body)
	resp, body = e.Send("POST", "/api/v1/terms/person/versions/1.0.0/retire", author, nil)
	check("/api/v1/terms/{name}/versions/{version}/retire", "post", 409, pj, resp, body)
	resp, body = e.Send("POST", "/api/v1/forms/arrival-report/versions/1.0.0/retire", author, nil)
	check("/api/v1/forms/{name}/versions/{version}/retire", "post", 200, js, resp, body)
	resp, body = e.Send("POST", "/api/v1/forms/arrival-report/submissions", officer, webtest.ValidArrival)
	check("/api/v1/forms/{name}/submissions", "post", 410, pj, resp, body)
}

func TestReadinessNamesEachDependency(t *testing.T) {
	e := webtest.New(t)
	resp, body := e.Do(nil, "GET", "/readyz", "", nil)
	if resp.StatusCode != 200 || body != `{"checks":{"oidc":{"status":"ok"},"postgresql":{"status":"ok"},"temporal":{"status":"ok"}},"status":"ok"}` {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if err := e.OP.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	resp, body = e.Do(nil, "GET", "/readyz", "", nil)
	var r struct {
		Status string
		Checks map[string]web.Check
	}
	_ = json.Unmarshal([]byte(body), &r)
	if resp.StatusCode != http.StatusServiceUnavailable || r.Status != "failing" || r.Checks["oidc"].Status != "failing" ||
		r.Checks["postgresql"].Status != "ok" || r.Checks["temporal"].Status != "ok" {
		t.Fatalf("with the provider down: %d %s", resp.StatusCode, body)
	}
	// The public answer does not quote the error (it names hosts and
	// ports); the operations listener's does.
	if strings.Contains(body, "error") || strings.Contains(body, e.OP.Issuer[len("http://"):]) {
		t.Errorf("the public /readyz quotes an internal error: %s", body)
	}
	opsResp, err := e.Srv.OpsApp().Test(httptest.NewRequest("GET", "/readyz", nil), 10000)
	if err != nil {
		t.Fatal(err)
	}
	opsBody, _ := io.ReadAll(opsResp.Body)
	_ = json.Unmarshal(opsBody, &r)
	if opsResp.StatusCode != http.StatusServiceUnavailable || r.Checks["oidc"].Error == "" {
		t.Errorf("the operations /readyz: %d %s", opsResp.StatusCode, opsBody)
	}

	// Temporal unreachable and the database pool closed.
	port, _ := testenv.FreePort()
	dead, err := client.NewLazyClient(client.Options{HostPort: fmt.Sprintf("127.0.0.1:%d", port)})
	if err != nil {
		t.Fatal(err)
	}
	e2 := webtest.New(t, func(o *webtest.Option) { o.Temporal = dead })
	e2.Pool.Close()
	resp, body = e2.Do(nil, "GET", "/readyz", "", nil)
	_ = json.Unmarshal([]byte(body), &r)
	if resp.StatusCode != http.StatusServiceUnavailable || r.Checks["temporal"].Status != "failing" ||
		r.Checks["postgresql"].Status != "failing" || r.Checks["oidc"].Status != "ok" {
		t.Fatalf("with Temporal and PostgreSQL down: %d %s", resp.StatusCode, body)
	}
	if resp, _ := e2.Do(nil, "GET", "/healthz", "", nil); resp.StatusCode != 200 {
		t.Errorf("healthz answered %d while dependencies are down", resp.StatusCode)
	}
}

func TestMetricsCountRequestsByRoute(t *testing.T) {
	e := webtest.New(t)
	for i := 0; i < 3; i++ {
		e.Do(nil, "GET", "/api/v1/me", "", nil)
	}
	e.Do(nil, "GET", "/no/such/thing", "", nil)
	_, body := e.Do(nil, "GET", "/metrics", "", nil)
	for _, want := range []string{
		`cop_http_requests_total{method="GET",route="GET /api/v1/me",status="401"} 3`,
		`cop_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`cop_http_request_duration_seconds_count{method="GET",route="GET /api/v1/me"} 3`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestRequestIDsAndErrors(t *testing.T) {
	e := webtest.New(t)
	resp, body := e.Do(nil, "GET", "/api/v1/me", "", nil, "X-Request-Id", "trace-abc.123")
	if resp.Header.Get("X-Request-Id") != "trace-abc.123" || webtest.ProblemOf(t, resp, body, 401).RequestID != "trace-abc.123" {
		t.Errorf("request id not carried: %s", body)
	}
	resp, _ = e.Do(nil, "GET", "/healthz", "", nil, "X-Request-Id", "<script>")
	if id := resp.Header.Get("X-Request-Id"); id == "<script>" || len(id) != 24 {
		t.Errorf("unsafe request id kept or not replaced: %q", id)
	}
	resp, body = e.Do(nil, "GET", "/api/v1/nothing-here", "", nil)
	if p := webtest.ProblemOf(t, resp, body, 404); !strings.Contains(p.Detail, "/api/v1/nothing-here") {
		t.Errorf("404 detail %q", p.Detail)
	}
	resp, body = e.Do(nil, "GET", "/nothing-here", "", nil, "Accept", "text/html")
	if resp.StatusCode != 404 || !strings.Contains(body, `<h1 class="govuk-heading-l">Not Found</h1>`) {
		t.Errorf("page 404: %d %s", resp.StatusCode, body)
	}
	resp, body = e.Do(nil, "DELETE", "/api/v1/me", e.Token("officer"), nil)
	webtest.ProblemOf(t, resp, body, http.StatusMethodNotAllowed)
	resp, _ = e.Do(nil, "GET", "/healthz", "", nil)
	for _, h := range []string{"X-Content-Type-Options", "X-Frame-Options", "Content-Security-Policy", "Referrer-Policy"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("missing %s", h)
		}
	}
}

// A body over the limit is refused from its declared length, before it is read.
func TestOversizedBodyIsRefused(t *testing.T) {
	e := webtest.New(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.Base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /logout HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", web.BodyLimit+1)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	p := webtest.ProblemOf(t, resp, string(body), http.StatusRequestEntityTooLarge)
	if !strings.Contains(p.Detail, "larger than the server accepts") {
		t.Errorf("detail %q", p.Detail)
	}
	rows := e.AuditRows()
	if len(rows) != 1 || rows[0].Outcome != "rejected" || rows[0].Resource != "/logout" || rows[0].RequestID != p.RequestID {
		t.Errorf("oversized POST audited as %+v", rows)
	}
}

// State-changing requests leave an audit row even when refused.
func TestRefusedChangesAreAudited(t *testing.T) {
	e := webtest.New(t)
	e.Do(nil, "POST", "/logout", "", nil, "X-Request-Id", "refused-1")
	e.Do(nil, "POST", "/api/v1/no-such-route", e.Token("author"), strings.NewReader("{}"), "X-Request-Id", "refused-2")
	e.Do(nil, "POST", "/logout", e.Token("author"), nil, "X-Request-Id", "refused-3", "Content-Type", "application/x-www-form-urlencoded")
	var got []string
	for _, r := range e.AuditRows() {
		got = append(got, fmt.Sprintf("%s %s %s %s %v", r.RequestID, r.Actor, r.Action, r.Outcome, string(r.Detail)))
	}
	want := []string{
		`refused-1 anonymous http.POST /logout denied {"status": 401}`,
		`refused-3 dev-author http.POST /logout rejected {"status": 400}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit rows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestAuditAPIFiltersAndValidatesItsQuery(t *testing.T) {
	e := webtest.New(t)
	e.SignIn(e.Browser(), "officer").Body.Close()
	e.SignIn(e.Browser(), "author").Body.Close()
	admin := e.Token("admin")
	resp, body := e.Do(nil, "GET", "/api/v1/audit?actor=dev-officer", admin, nil)
	var page struct {
		Items []struct{ Actor, Action, Outcome string }
		Next  string
	}
	_ = json.Unmarshal([]byte(body), &page)
	if resp.StatusCode != 200 || len(page.Items) != 1 || page.Items[0].Action != "auth.login" || page.Items[0].Actor != "dev-officer" {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	resp, body = e.Do(nil, "GET", "/api/v1/audit?resource=session&limit=1", admin, nil)
	_ = json.Unmarshal([]byte(body), &page)
	if len(page.Items) != 1 || page.Next == "" {
		t.Fatalf("paging: %s", body)
	}
	_, body = e.Do(nil, "GET", "/api/v1/audit?resource=session&limit=1&cursor="+page.Next, admin, nil)
	page.Next = ""
	_ = json.Unmarshal([]byte(body), &page)
	if len(page.Items) != 1 || page.Next != "" || page.Items[0].Actor != "dev-officer" {
		t.Fatalf("second page: %s", body)
	}
	resp, body = e.Do(nil, "GET", "/api/v1/audit?from=yesterday&limit=9000&cursor=zz", admin, nil)
	p := webtest.ProblemOf(t, resp, body, 400)
	var pointers []string
	for _, fe := range p.Errors {
		pointers = append(pointers, fe.Pointer)
	}
	if strings.Join(pointers, ",") != "/from,/limit" {
		t.Errorf("errors %+v", p.Errors)
	}
	resp, body = e.Do(nil, "GET", "/api/v1/audit?cursor=zz", admin, nil)
	if p := webtest.ProblemOf(t, resp, body, 400); len(p.Errors) != 1 || p.Errors[0].Pointer != "/cursor" {
		t.Errorf("bad cursor: %s", body)
	}
}

// Shutdown waits for a request already in flight to finish, and then the
// server accepts no more.
func TestShutdownDrainsInFlightRequests(t *testing.T) {
	e := webtest.New(t)
	srv, err := web.New(e.Srv.Deps())
	if err != nil {
		t.Fatal(err)
	}
	srv.App().Get("/slow", func(c *fiber.Ctx) error {
		time.Sleep(700 * time.Millisecond)
		return c.SendString("finished")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	addr := "http://" + ln.Addr().String()
	type result struct {
		code int
		body string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.Get(addr + "/slow")
		if err != nil {
			done <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- result{code: resp.StatusCode, body: string(b)}
	}()
	time.Sleep(200 * time.Millisecond) // the request is in the handler
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.code != 200 || r.body != "finished" {
		t.Fatalf("in-flight request: %+v", r)
	}
	if _, err := http.Get(addr + "/slow"); err == nil {
		t.Error("server still accepts requests after shutdown")
	}
}
