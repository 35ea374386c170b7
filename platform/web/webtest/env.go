// Package webtest runs COP's web server for the tests of platform/web and
// its api and pages packages: a real PostgreSQL database, a real (in-memory)
// Temporal server and a development OpenID provider of its own, with the
// helpers those tests share (requests, scenario rows, fixtures).
package webtest

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
	"cop/platform/cases"
	"cop/platform/cli"
	"cop/platform/config"
	"cop/platform/definitions"
	"cop/platform/devstack"
	"cop/platform/events"
	"cop/platform/instances"
	"cop/platform/mail"
	"cop/platform/testenv"
	"cop/platform/testenv/temporalenv"
	"cop/platform/web"
	"cop/platform/web/route"
	"cop/platform/webhooks"
	"cop/workflows/engine"
)

// Env is one running COP web server on a real PostgreSQL database, a real
// (in-memory) Temporal server and its own development OpenID provider.
type Env struct {
	T    testing.TB
	Base string // the server's URL
	Srv  *web.Server
	Pool *pgxpool.Pool
	OP   *devstack.OIDCProvider
}

// Option is how the server of New differs from the default.
type Option struct {
	TokenTTL time.Duration // the provider's access tokens' lifetime
	Temporal client.Client // instead of the shared in-memory Temporal server
	Worker   bool
	Log      io.Writer
	Deps     func(*web.Deps)
	Subs     []events.Subscriber
	// Mail sends notify's emails (none: each fails, visibly).
	Mail mail.Sender
}

// WithMail sends the env's email through s.
func WithMail(s mail.Sender) func(*Option) { return func(o *Option) { o.Mail = s } }

// WithSubscriber registers s with the env's event dispatcher.
func WithSubscriber(s events.Subscriber) func(*Option) {
	return func(o *Option) { o.Subs = append(o.Subs, s) }
}

// WithDeps changes the server's Deps before it is built.
func WithDeps(f func(*web.Deps)) func(*Option) { return func(o *Option) { o.Deps = f } }

// WithLog writes the server's log to w.
func WithLog(w io.Writer) func(*Option) { return func(o *Option) { o.Log = w } }

// WithWorker runs the interpreter's worker for the env's server on a task
// queue of its own, with the PostgreSQL platform, as cop dev does.
func WithWorker(o *Option) { o.Worker = true }

// New starts a server on a port of its own; it stops with the test.
func New(t testing.TB, opts ...func(*Option)) *Env {
	t.Helper()
	o := Option{}
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
		oo.AccessTokenTTL = o.TokenTTL
	})
	public, _ := url.Parse(base)
	cfg := config.Defaults()
	cfg.OIDC.Issuer, cfg.OIDC.ClientID, cfg.OIDC.ClientSecret, cfg.OIDC.Audience = op.Issuer, devstack.DevClientID, devstack.DevClientSecret, devstack.DevAPIAudience
	authn := auth.NewAuthenticator(cfg.OIDC, cfg.Session, public, pool)
	tc, namespace := o.Temporal, "default"
	if tc == nil {
		tc, namespace = temporalenv.Client(t), temporalenv.Namespace(t)
	}
	queue := "web-test-" + uuid.NewString()
	logger := testenv.Log()
	if o.Log != nil {
		logger = slog.New(slog.NewTextHandler(o.Log, nil))
	}
	deps := web.Deps{Pool: pool, Auth: authn, Temporal: tc, PublicURL: public, Log: logger, TaskQueue: queue, Namespace: namespace,
		// As cop dev: receivers on this machine over http; retries in
		// fractions of a second.
		WebhookConfig: webhooks.Config{Allow: engine.ParseAllowlist(config.DevCallAllowlist), Log: logger, Poll: 100 * time.Millisecond,
			Schedule: []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond}}}
	// As cop dev: uploads pass through a real clamd (one per test binary).
	deps.Definitions = definitions.New(pool)
	deps.Cases = cases.New(pool, deps.Definitions)
	deps.Cases.Scanner = testenv.Clamd(t)
	if o.Deps != nil {
		o.Deps(&deps)
	}
	srv, err := web.New(deps)
	if err != nil {
		t.Fatal(err)
	}
	// As cop does: the outbox's dispatcher runs cop's subscribers (a start
	// form's workflows, readers following definitions) and the test's.
	dispatcher := &events.Dispatcher{Pool: pool, Source: base, Log: logger, Poll: 200 * time.Millisecond}
	hooks := srv.Deps().Webhooks
	// Two attempts, a second apart with the outbox's backoff.
	mailer := mail.New(pool, srv.Deps().Directory, mail.Config{Sender: o.Mail, PublicURL: base, Attempts: 2,
		Undelivered: srv.Deps().Tasks.RecordUndelivered, Log: logger})
	for _, s := range append(cli.Subscribers(srv.Deps().Cases, srv.Deps().Instances, hooks, mailer), o.Subs...) {
		dispatcher.Register(s)
	}
	dctx, stopDispatcher := context.WithCancel(context.Background())
	if err := dispatcher.Start(dctx); err != nil {
		t.Fatal(err)
	}
	hooksDone, routerDone := make(chan struct{}), make(chan struct{})
	go func() { defer close(hooksDone); hooks.Run(dctx) }()
	eventsIn := srv.Deps().Inbound
	if eventsIn.Poll == 0 {
		eventsIn.Poll, eventsIn.Log = 100*time.Millisecond, logger
	}
	go func() { defer close(routerDone); eventsIn.Run(dctx) }()
	t.Cleanup(func() { stopDispatcher(); dispatcher.Wait(); <-hooksDone; <-routerDone })
	if o.Worker {
		w := worker.New(tc, queue, worker.Options{})
		(&engine.Activities{Client: http.DefaultClient, Allow: engine.ParseAllowlist(config.DevCallAllowlist),
			Platform: &instances.Store{Pool: pool, Defs: srv.Deps().Definitions, Listens: srv.Deps().Inbound}}).Register(w)
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Stop)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	return &Env{T: t, Base: base, Srv: srv, Pool: pool, OP: op}
}

// Browser is an HTTP client with a cookie jar, as a browser would keep.
func (e *Env) Browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 20 * time.Second}
}

// SignIn signs a demo user in through COP's /login and the provider's login page.
func (e *Env) SignIn(c *http.Client, username string) *http.Response {
	e.T.Helper()
	resp, err := devstack.SignIn(context.Background(), c, e.Base+"/login?return_to=/", username, devstack.DevPassword)
	if err != nil {
		e.T.Fatal(err)
	}
	return resp
}

// Token gets a bearer token for a demo user through the real code grant.
func (e *Env) Token(username string) string {
	e.T.Helper()
	tok, err := devstack.Token(context.Background(), e.OP.Issuer, e.Base+"/auth/callback", username, devstack.DevPassword)
	if err != nil {
		e.T.Fatal(err)
	}
	return tok.AccessToken
}

// Do sends a request; token may be "" (none).
func (e *Env) Do(c *http.Client, method, path, token string, body io.Reader, header ...string) (*http.Response, string) {
	e.T.Helper()
	req, _ := http.NewRequest(method, e.Base+path, body)
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
		c = NoRedirects()
	}
	resp, err := c.Do(req)
	if err != nil {
		e.T.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// NoRedirects is a client that shows redirects rather than following them.
func NoRedirects() *http.Client {
	return &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// ProblemOf decodes a problem response, failing unless it is one with status.
func ProblemOf(t *testing.T, resp *http.Response, body string, status int) route.Problem {
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

// AuditRows returns every audit row, oldest first.
func (e *Env) AuditRows() []audit.Row {
	e.T.Helper()
	rows, _, err := audit.List(context.Background(), e.Pool, audit.Filter{Limit: 500, Reader: audit.Reader{All: true}})
	if err != nil {
		e.T.Fatal(err)
	}
	var out []audit.Row
	for i := len(rows) - 1; i >= 0; i-- {
		out = append(out, rows[i])
	}
	return out
}

// CSRFField finds the CSRF token in a page's form.
var CSRFField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
