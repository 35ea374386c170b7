package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/config"
	"cop/platform/devstack"
	"cop/platform/events"
	"cop/platform/instances"
	"cop/platform/testenv"
	"cop/platform/testenv/temporalenv"
	"cop/platform/web/route"
	"cop/workflows/engine"
)

func TestMain(m *testing.M) {
	testenv.Main(m, temporalenv.Stop)
}

// env is one running COP web server on a real PostgreSQL database, a real
// (in-memory) Temporal server and its own development OpenID provider.
type env struct {
	t    testing.TB
	base string
	srv  *Server
	pool *pgxpool.Pool
	op   *devstack.OIDCProvider
}

type envOption struct {
	tokenTTL time.Duration
	temporal client.Client
	worker   bool
	log      io.Writer
	deps     func(*Deps)
	subs     []events.Subscriber
}

// withSubscriber registers s with the env's event dispatcher.
func withSubscriber(s events.Subscriber) func(*envOption) {
	return func(o *envOption) { o.subs = append(o.subs, s) }
}

// withDeps changes the server's Deps before it is built.
func withDeps(f func(*Deps)) func(*envOption) { return func(o *envOption) { o.deps = f } }

// withLog writes the server's log to w.
func withLog(w io.Writer) func(*envOption) { return func(o *envOption) { o.log = w } }

// withWorker runs the interpreter's worker for the env's server on a task
// queue of its own, with the PostgreSQL platform, as cop dev does.
func withWorker(o *envOption) { o.worker = true }

func newEnv(t testing.TB, opts ...func(*envOption)) *env {
	t.Helper()
	o := envOption{}
	for _, f := range opts {
		f(&o)
	}
	pool := testenv.Pool(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://localhost:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	op := testenv.OIDC(t, base, func(oo *devstack.OIDCOptions) {
		oo.ExtraClients = []string{"other-app"}
		oo.AccessTokenTTL = o.tokenTTL
	})
	public, _ := url.Parse(base)
	cfg := config.Defaults()
	cfg.OIDC.Issuer, cfg.OIDC.ClientID, cfg.OIDC.ClientSecret, cfg.OIDC.Audience = op.Issuer, devstack.DevClientID, devstack.DevClientSecret, devstack.DevAPIAudience
	authn := auth.NewAuthenticator(cfg.OIDC, cfg.Session, public, pool)
	tc := o.temporal
	if tc == nil {
		tc = temporalenv.Client(t)
	}
	queue := "web-test-" + uuid.NewString()
	logger := testenv.Log()
	if o.log != nil {
		logger = slog.New(slog.NewTextHandler(o.log, nil))
	}
	deps := Deps{Pool: pool, Auth: authn, Temporal: tc, PublicURL: public, Log: logger, TaskQueue: queue}
	if o.deps != nil {
		o.deps(&deps)
	}
	srv, err := New(deps)
	if err != nil {
		t.Fatal(err)
	}
	// As cop does: the outbox's dispatcher starts a start form's workflows.
	dispatcher := &events.Dispatcher{Pool: pool, Source: base, Log: logger, Poll: 200 * time.Millisecond}
	dispatcher.Register(srv.deps.Instances.StartSubscriber())
	for _, s := range o.subs {
		dispatcher.Register(s)
	}
	dctx, stopDispatcher := context.WithCancel(context.Background())
	if err := dispatcher.Start(dctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopDispatcher(); dispatcher.Wait() })
	if o.worker {
		w := worker.New(tc, queue, worker.Options{})
		(&engine.Activities{Client: http.DefaultClient, Allow: engine.ParseAllowlist(config.DevCallAllowlist),
			Platform: &instances.Store{Pool: pool, Defs: srv.deps.Definitions}}).Register(w)
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Stop)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	return &env{t: t, base: base, srv: srv, pool: pool, op: op}
}

// browser is an HTTP client with a cookie jar, as a browser would keep.
func (e *env) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 20 * time.Second}
}

// signIn signs a demo user in through COP's /login and the provider's login page.
func (e *env) signIn(c *http.Client, username string) *http.Response {
	e.t.Helper()
	resp, err := devstack.SignIn(context.Background(), c, e.base+"/login?return_to=/", username, devstack.DevPassword)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

// token gets a bearer token for a demo user through the real code grant.
func (e *env) token(username string) string {
	e.t.Helper()
	tok, err := devstack.Token(context.Background(), e.op.Issuer, e.base+"/auth/callback", username, devstack.DevPassword)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok.AccessToken
}

// do sends a request; token may be "" (none).
func (e *env) do(c *http.Client, method, path, token string, body io.Reader, header ...string) (*http.Response, string) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.base+path, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if strings.HasPrefix(path, "/api/") && (method == "POST" || method == "PUT" || method == "PATCH") {
		// As a client library would; tests of the media-type check name
		// their own Content-Type (an empty one included).
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if c == nil {
		c = noRedirects()
	}
	resp, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func noRedirects() *http.Client {
	return &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// problemOf decodes a problem response, failing unless it is one with status.
func problemOf(t *testing.T, resp *http.Response, body string, status int) route.Problem {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, route.ProblemJSON) {
		t.Fatalf("content type %q, want %s", ct, route.ProblemJSON)
	}
	var p route.Problem
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatal(err)
	}
	if p.Status != status || p.Title == "" || p.RequestID == "" {
		t.Fatalf("incomplete problem %+v", p)
	}
	return p
}

// auditRows returns every audit row, oldest first.
func (e *env) auditRows() []audit.Row {
	e.t.Helper()
	rows, _, err := audit.List(context.Background(), e.pool, audit.Filter{Limit: 500, Reader: audit.Reader{All: true}})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []audit.Row
	for i := len(rows) - 1; i >= 0; i-- {
		out = append(out, rows[i])
	}
	return out
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
