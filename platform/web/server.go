// Package web is COP's HTTP front: the /api/v1 JSON API, the browser sign-in
// routes and pages, and the operations endpoints. Every route goes through
// one middleware chain: request id, metrics and logging, security headers,
// authentication, the route's permission rule, and the audit safety net.
// Each resource's routes are bound with their rules in its own file:
// api_*.go for the API, page_*.go for the pages, signin.go, health.go.
package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"

	"cop/platform/auth"
	"cop/platform/cases"
	"cop/platform/definitions"
	"cop/platform/directory"
	"cop/platform/instances"
	"cop/platform/tasks"
	"cop/ui"
)

// BodyLimit is the largest request body accepted.
const BodyLimit = 8 << 20

// Deps are the services the web tier uses.
type Deps struct {
	Pool      *pgxpool.Pool
	Auth      *auth.Authenticator
	Temporal  client.Client
	PublicURL *url.URL
	Log       *slog.Logger
	// Definitions and Cases default to services over Pool.
	Definitions *definitions.Service
	Cases       *cases.Service
	// Instances defaults to a service over Pool and Temporal on TaskQueue
	// (default "cop"); it also starts startForm workflows on submission.
	Instances *instances.Service
	TaskQueue string
	// Tasks defaults to the inbox over Pool, Definitions and Temporal.
	Tasks *tasks.Service
	// Directory defaults to a directory over Pool.
	Directory *directory.Service
	// Limits are the per-caller request budgets (zero: unlimited).
	Limits Limits
	// TrustedProxies are the load balancers whose X-Forwarded-For names
	// the client (COP_TRUSTED_PROXIES).
	TrustedProxies []netip.Prefix
	// OpsListener moves /metrics to OpsApp, served on its own listener
	// (cop serve); otherwise the main listener serves it (cop dev, tests).
	OpsListener bool
}

// Server is the configured Fiber application.
type Server struct {
	app  *fiber.App
	deps Deps
	log  *slog.Logger
	// rules is each route's permission rule, by "METHOD /pattern" (the
	// route-walking test holds every route to one).
	rules   map[string]auth.Rule
	metrics *metrics
	openapi []byte
	pages   *ui.Pages
	cookies cookiePolicy
	// takes is each state-changing route's declared media types, by
	// "METHOD /pattern" (tests hold the OpenAPI document to them).
	takes map[string][]string
	// formAction lets page forms post to COP and redirect to the sign-in provider.
	formAction string
}

// New builds the application with every route registered.
func New(d Deps) (*Server, error) {
	if d.Definitions == nil {
		d.Definitions = definitions.New(d.Pool)
	}
	if d.Cases == nil {
		d.Cases = cases.New(d.Pool, d.Definitions)
	}
	if d.TaskQueue == "" {
		d.TaskQueue = "cop"
	}
	if d.Instances == nil {
		d.Instances = instances.New(d.Pool, d.Definitions, d.Cases, d.Temporal, d.TaskQueue)
	}
	if d.Directory == nil {
		d.Directory = directory.New(d.Pool)
	}
	if d.Tasks == nil {
		d.Tasks = tasks.New(d.Pool, d.Definitions, d.Temporal)
	}
	if d.Tasks.Directory == nil {
		d.Tasks.Directory = d.Directory
	}
	if d.Cases.Instances == nil {
		d.Cases.Instances, d.Cases.Tasks = d.Instances, d.Tasks
	}
	if d.Cases.Starts == nil {
		d.Cases.Starts = d.Instances
	}
	s := &Server{deps: d, log: d.Log, rules: map[string]auth.Rule{}, metrics: newMetrics(), pages: ui.New(), takes: map[string][]string{}}
	s.cookies = newCookiePolicy(d.PublicURL)
	s.formAction = origin(d.Auth.Issuer())
	doc, err := openAPIJSON()
	if err != nil {
		return nil, err
	}
	s.openapi = doc
	s.app = fiber.New(fiber.Config{
		AppName:               "cop",
		BodyLimit:             BodyLimit,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          60 * time.Second,
		IdleTimeout:           120 * time.Second,
		DisableStartupMessage: true,
		ErrorHandler:          s.errorHandler,
		JSONEncoder:           marshalJSON,
	})
	s.app.Use(recover.New(), s.requestID, s.observe, s.securityHeaders, s.authenticate, s.rateLimits(), s.auditSafetyNet)
	s.routes()
	return s, nil
}

// App exposes the Fiber application (tests drive it in-process).
func (s *Server) App() *fiber.App { return s.app }

// Serve serves on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.app.Listener(ln) }

// Shutdown stops accepting connections and waits for in-flight requests.
func (s *Server) Shutdown(ctx context.Context) error { return s.app.ShutdownWithContext(ctx) }

// routes registers every route, each in its resource's file together
// with its permission rule: a route cannot be written without one.
func (s *Server) routes() {
	s.bindOperations()
	s.bindSignIn()
	s.bindTaskPages()
	s.bindFormPages()
	s.bindCasePages()
	s.bindMe()
	s.bindAudit()
	s.bindDefinitions()
	s.bindSubmissions()
	s.bindCases()
	s.bindFiles()
	s.bindDrafts()
	s.bindWorkflows()
	s.bindInstances()
	s.bindTasks()
	s.bindNotifications()
}

// route registers a handler behind its permission rule and, for a
// state-changing route, the media types its body may be sent as (see
// media.go); one that declares none is a programming error. Fiber also
// answers HEAD for GET routes, through the same check.
func (s *Server) route(method, path string, rule auth.Rule, h fiber.Handler, takes ...[]string) {
	chain := []fiber.Handler{s.authorize(rule)}
	if isMutating(method) {
		if len(takes) != 1 {
			panic(fmt.Sprintf("route %s %s must declare the media types it takes", method, path))
		}
		chain = append(chain, accepts(takes[0]))
		s.takes[method+" "+path] = takes[0]
	}
	s.rules[method+" "+path] = rule
	s.app.Add(method, path, append(chain, h)...)
}

// marshalJSON is encoding/json without HTML escaping, so problem details
// read "<token>" rather than "\u003ctoken\u003e". Pages never embed API JSON.
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
