// Package web is COP's HTTP front: the /api/v1 JSON API, the browser sign-in
// routes and pages, and the operations endpoints. Every route goes through
// one middleware chain: request id, metrics and logging, security headers,
// authentication, the permission table, and the audit safety net.
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
	"cop/ui"
	"cop/workflows/engine"
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
	app     *fiber.App
	deps    Deps
	log     *slog.Logger
	perms   auth.Table
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
	if d.Instances.Directory == nil {
		d.Instances.Directory = d.Directory
	}
	if d.Cases.Starts == nil {
		d.Cases.Starts = d.Instances
	}
	s := &Server{deps: d, log: d.Log, perms: permissions, metrics: newMetrics(), pages: ui.New(), takes: map[string][]string{}}
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

// routes registers every route. Each goes through route(), which puts the
// permission check from the table in front of the handler.
func (s *Server) routes() {
	s.route(fiber.MethodGet, "/healthz", s.healthz)
	s.route(fiber.MethodGet, "/readyz", s.readyz)
	if !s.deps.OpsListener {
		s.route(fiber.MethodGet, "/metrics", s.metrics.handler())
	}
	s.route(fiber.MethodGet, "/api/v1/openapi.json", s.openAPI)

	s.route(fiber.MethodGet, "/login", s.login)
	s.route(fiber.MethodGet, "/auth/callback", s.callback)
	s.route(fiber.MethodPost, "/logout", s.logout, takesPageForm)
	s.route(fiber.MethodGet, "/signed-out", s.signedOut)
	s.route(fiber.MethodGet, "/assets/*", s.assets())

	// Officer pages (page_*.go).
	s.route(fiber.MethodGet, "/", s.taskList)
	s.route(fiber.MethodGet, "/tasks/:id", s.taskPage)
	for _, action := range []engine.TaskVerb{engine.Claim, engine.Release, engine.Reassign} {
		s.route(fiber.MethodPost, "/tasks/:id/"+string(action), s.taskAction(action), takesPageForm)
	}
	s.route(fiber.MethodPost, "/tasks/:id/complete", s.completeTask, takesPageForm)
	s.route(fiber.MethodGet, "/start", s.startPage)
	s.route(fiber.MethodGet, "/forms/:name", s.formStart)
	s.route(fiber.MethodPost, "/forms/:name/start", s.beginForm, takesPageForm)
	s.route(fiber.MethodGet, "/drafts/:id", s.resumeDraft)
	s.route(fiber.MethodGet, "/drafts/:id/pages/:page", s.formPage(false))
	s.route(fiber.MethodPost, "/drafts/:id/pages/:page", s.savePage(false), takesPageForm)
	s.route(fiber.MethodGet, "/drafts/:id/pages/:page/more", s.formPage(true))
	s.route(fiber.MethodPost, "/drafts/:id/pages/:page/more", s.savePage(true), takesPageForm)
	s.route(fiber.MethodGet, "/drafts/:id/check", s.checkAnswers)
	s.route(fiber.MethodPost, "/drafts/:id/submit", s.submitDraftPage, takesPageForm)
	s.route(fiber.MethodGet, "/drafts/:id/saved", s.savedPage)
	s.route(fiber.MethodGet, "/submissions/:id", s.confirmation)
	s.route(fiber.MethodGet, "/cases/:key", s.casePage)
	s.route(fiber.MethodPost, "/notifications/:id/read", s.readNotice, takesPageForm)

	s.route(fiber.MethodGet, "/api/v1/me", s.me)
	s.route(fiber.MethodGet, "/api/v1/audit", s.listAudit)

	// Forms, data terms and reference data sets share one shape of API.
	for path, k := range s.definitionKinds() {
		base := "/api/v1/" + path
		s.route(fiber.MethodPost, base, s.publishDefinition(k), takesJSON)
		s.route(fiber.MethodGet, base, s.listDefinitions(k))
		s.route(fiber.MethodGet, base+"/:name", s.getDefinition(k))
		s.route(fiber.MethodGet, base+"/:name/versions", s.listVersions(k))
		s.route(fiber.MethodGet, base+"/:name/versions/:version", s.getDefinition(k))
		s.route(fiber.MethodPost, base+"/:name/versions/:version/retire", s.retireDefinition(k), takesJSON)
	}
	s.route(fiber.MethodGet, "/api/v1/refdata/:name/items", s.refDataItems)

	s.route(fiber.MethodPost, "/api/v1/forms/:name/submissions", s.submit, takesJSON)
	s.route(fiber.MethodGet, "/api/v1/submissions/:id", s.getSubmission)
	s.route(fiber.MethodGet, "/api/v1/cases/:businessKey", s.getCase)
	s.route(fiber.MethodPost, "/api/v1/files", s.uploadFile, takesMultipart)
	s.route(fiber.MethodGet, "/api/v1/files/:id", s.downloadFile)
	s.route(fiber.MethodPost, "/api/v1/forms/:name/drafts", s.startDraft, takesJSON)
	s.route(fiber.MethodGet, "/api/v1/drafts", s.listDrafts)
	s.route(fiber.MethodGet, "/api/v1/drafts/:id", s.getDraft)
	s.route(fiber.MethodPut, "/api/v1/drafts/:id", s.saveDraft, takesJSON)
	s.route(fiber.MethodDelete, "/api/v1/drafts/:id", s.deleteDraft, takesNothing)
	s.route(fiber.MethodPost, "/api/v1/drafts/:id/submit", s.submitDraft, takesJSON)

	s.route(fiber.MethodPost, "/api/v1/workflows", s.publishWorkflow, takesDefinition)
	s.route(fiber.MethodGet, "/api/v1/workflows", s.listWorkflows)
	s.route(fiber.MethodGet, "/api/v1/workflows/:namespace/:name", s.getWorkflow)
	s.route(fiber.MethodGet, "/api/v1/workflows/:namespace/:name/versions", s.listWorkflowVersions)
	s.route(fiber.MethodGet, "/api/v1/workflows/:namespace/:name/versions/:version", s.getWorkflow)
	s.route(fiber.MethodPost, "/api/v1/workflows/:namespace/:name/versions/:version/retire", s.retireWorkflow, takesJSON)
	s.route(fiber.MethodPost, "/api/v1/workflows/:namespace/:name/instances", s.startInstance, takesJSON)
	s.route(fiber.MethodPost, "/api/v1/instances", s.startDraftInstance, takesJSON)
	s.route(fiber.MethodGet, "/api/v1/instances", s.listInstances)
	s.route(fiber.MethodGet, "/api/v1/instances/:id", s.getInstance)
	s.route(fiber.MethodPost, "/api/v1/instances/:id/cancel", s.cancelInstance, takesJSON)
	s.route(fiber.MethodPost, "/api/v1/instances/:id/events", s.sendEvent, takesEvent)
	s.route(fiber.MethodGet, "/api/v1/tasks", s.listTasks)
	s.route(fiber.MethodGet, "/api/v1/tasks/:id", s.getTask)
	for _, action := range engine.TaskVerbs {
		s.route(fiber.MethodPost, "/api/v1/tasks/:id/"+string(action), s.actOnTask(action), takesJSON)
	}
	s.route(fiber.MethodGet, "/api/v1/notifications", s.listNotifications)
	s.route(fiber.MethodPost, "/api/v1/notifications/:id/read", s.readNotification, takesJSON)
}

// route registers a handler behind the permission check for its pattern
// and, for a state-changing route, the media types its body may be sent as
// (see media.go); one that declares none is a programming error.
// Fiber also answers HEAD for GET routes, through the same check.
func (s *Server) route(method, path string, h fiber.Handler, takes ...[]string) {
	rule, ok := s.perms.Lookup(method, path)
	chain := []fiber.Handler{s.authorize(rule, ok)}
	if isMutating(method) {
		if len(takes) != 1 {
			panic(fmt.Sprintf("route %s %s must declare the media types it takes", method, path))
		}
		chain = append(chain, accepts(takes[0]))
		s.takes[method+" "+path] = takes[0]
	}
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
