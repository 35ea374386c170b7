// Package web is COP's HTTP front: the /api/v1 JSON API, the browser sign-in
// routes and pages, and the operations endpoints. Every route goes through
// one middleware chain: request id, metrics and logging, security headers,
// authentication, the route's permission rule, and the audit safety net.
// Each resource's routes are bound with their rules in its own file:
// web/api for the API, web/pages for the pages, signin.go and health.go
// here; web/route is what they are all built from.
package web

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"

	"cop/platform/auth"
	"cop/platform/cases"
	"cop/platform/definitions"
	"cop/platform/directory"
	"cop/platform/inbound"
	"cop/platform/instances"
	"cop/platform/reports"
	"cop/platform/tasks"
	"cop/platform/web/api"
	"cop/platform/web/pages"
	"cop/platform/web/route"
	"cop/platform/webhooks"
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
	// Namespace is the Temporal namespace instances run in (default "default").
	Namespace string
	// Tasks defaults to the inbox over Pool, Definitions and Temporal.
	Tasks *tasks.Service
	// Directory defaults to a directory over Pool.
	Directory *directory.Service
	// Webhooks defaults to a service over the others, sending as
	// WebhookConfig says (by default to nowhere: an empty allow-list).
	Webhooks      *webhooks.Service
	WebhookConfig webhooks.Config
	// Inbound keeps the events other systems send (default: kept a day).
	Inbound *inbound.Service
	// Reports defaults to a service over Pool and Definitions.
	Reports *reports.Service
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
	app     *fiber.App
	deps    Deps
	log     *slog.Logger
	router  *route.Router
	metrics *metrics
	openapi []byte
	pages   *pages.Pages
	cookies cookiePolicy
	// formAction lets page forms post to COP and redirect to the sign-in provider.
	formAction string
	// draining is set when the replica is stopping: /readyz answers 503
	// so the load balancer stops sending it requests before it closes.
	draining atomic.Bool
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
		d.Instances.Log, d.Instances.Namespace = d.Log, d.Namespace
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
	if d.Tasks.Cases == nil {
		d.Tasks.Cases = d.Cases
	}
	if d.Cases.Amending == nil {
		d.Cases.Amending = d.Tasks
	}
	if d.Inbound == nil {
		d.Inbound = inbound.New(d.Pool, 0)
	}
	if d.Inbound.Instances == nil {
		d.Inbound.Instances = d.Instances // routed events are signalled to instances
	}
	if d.Inbound.Starters == nil {
		d.Inbound.Starters = d.Instances // and start those schedule.on names
	}
	if d.Instances.Senders == nil {
		d.Instances.Senders = d.Inbound // listens follow their workflow's senders
	}
	if d.Reports == nil {
		d.Reports = reports.New(d.Pool, d.Definitions)
	}
	if d.Webhooks == nil {
		if d.WebhookConfig.Source == "" {
			d.WebhookConfig.Source = d.PublicURL.String()
		}
		d.Webhooks = NewWebhooks(d.Pool, d.Directory, d.Cases, d.Instances, d.Definitions, d.WebhookConfig)
	}
	s := &Server{deps: d, log: d.Log, metrics: newMetrics()}
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
	s.app.Use(recover.New(), s.requestID, s.observe, s.securityHeaders, s.language, s.authenticate, s.rateLimits(), s.auditSafetyNet)
	s.router = route.NewRouter(s.app, s.authorize)
	s.pages = &pages.Pages{UI: ui.New(), Log: d.Log, Definitions: d.Definitions, Cases: d.Cases,
		Instances: d.Instances, Tasks: d.Tasks, Directory: d.Directory, Reports: d.Reports}
	s.routes()
	return s, nil
}

// App exposes the Fiber application (tests drive it in-process).
func (s *Server) App() *fiber.App { return s.app }

// Serve serves on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.app.Listener(ln) }

// Deps are what the server was built with, its defaults filled in.
func (s *Server) Deps() Deps { return s.deps }

// Rules are the routes' permission rules, by "METHOD /pattern".
func (s *Server) Rules() map[string]auth.Rule { return s.router.Rules() }

// Takes are the state-changing routes' media types, by "METHOD /pattern".
func (s *Server) Takes() map[string][]string { return s.router.Takes() }

// Shutdown stops accepting connections and waits for in-flight requests.
func (s *Server) Shutdown(ctx context.Context) error { return s.app.ShutdownWithContext(ctx) }

// Drain turns readiness false (503 "draining") while the server still
// answers every request: the first step of a stop, before Shutdown.
func (s *Server) Drain() { s.draining.Store(true) }

// routes registers every route, each in its resource's file together
// with its permission rule: a route cannot be written without one.
func (s *Server) routes() {
	s.bindOperations()
	s.bindSignIn()
	s.pages.Bind(s.router)
	(&api.API{Pool: s.deps.Pool, Definitions: s.deps.Definitions, Cases: s.deps.Cases,
		Instances: s.deps.Instances, Tasks: s.deps.Tasks, Webhooks: s.deps.Webhooks,
		Inbound: s.deps.Inbound, Reports: s.deps.Reports}).Bind(s.router)
}

// NewWebhooks is the webhooks service asking the cases and instances
// services who may read what an event is about.
func NewWebhooks(pool *pgxpool.Pool, dir *directory.Service, cs *cases.Service, insts *instances.Service, defs *definitions.Service,
	cfg webhooks.Config) *webhooks.Service {
	return webhooks.New(pool, dir, webhooks.Access{Submission: cs.MayReadSubmission, Instance: insts.MayRead, Case: cs.MayReadCase},
		defs.EmittedEventTypes, cfg)
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
