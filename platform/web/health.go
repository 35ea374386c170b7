package web

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"

	"cop/platform/auth"
)

// bindOperations: health, readiness and the OpenAPI document, for anyone;
// /metrics too unless the operations listener serves it.
func (s *Server) bindOperations() {
	s.router.Add(fiber.MethodGet, "/healthz", auth.Public, healthz)
	s.router.Add(fiber.MethodGet, "/readyz", auth.Public, s.readyz)
	if !s.deps.OpsListener {
		s.router.Add(fiber.MethodGet, "/metrics", auth.Public, s.metrics.handler()) // scrape from the private network; see docs/operations.md
	}
	s.router.Add(fiber.MethodGet, "/api/v1/openapi.json", auth.Public, s.openAPI)
}

// healthz answers while the process is up.
func healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// Check is one dependency's state in /readyz.
type Check struct {
	Status string `json:"status"` // ok or failing
	Error  string `json:"error,omitempty"`
}

// readyz checks PostgreSQL, Temporal and the OpenID provider at once and
// answers 503 naming what fails. Why a check failed is logged, and shown
// only on the operations listener: an error's text names hosts, ports and
// versions that are nobody else's business.
func (s *Server) readyz(c *fiber.Ctx) error { return s.ready(c, false) }

// readyzDetailed is /readyz on the operations listener, with each failing
// check's error.
func (s *Server) readyzDetailed(c *fiber.Ctx) error { return s.ready(c, true) }

func (s *Server) ready(c *fiber.Ctx, detailed bool) error {
	if s.draining.Load() {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "draining"})
	}
	return readiness(c, s.log, detailed, map[string]func(context.Context) error{
		"postgresql": func(ctx context.Context) error { return s.deps.Pool.Ping(ctx) },
		"temporal":   temporalCheck(s.deps.Temporal),
		"oidc":       s.deps.Auth.Ready,
	})
}

func temporalCheck(tc client.Client) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := tc.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err
	}
}

// readiness runs the checks at once, within 3s, and answers 503 naming
// each that fails (with its error when detailed).
func readiness(c *fiber.Ctx, log *slog.Logger, detailed bool, checks map[string]func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 3*time.Second)
	defer cancel()
	results := map[string]Check{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, check := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := Check{Status: "ok"}
			if err := check(ctx); err != nil {
				log.Warn("readiness check failing", "check", name, "err", err)
				res = Check{Status: "failing"}
				if detailed {
					res.Error = err.Error()
				}
			}
			mu.Lock()
			results[name] = res
			mu.Unlock()
		}()
	}
	wg.Wait()
	status := "ok"
	for _, r := range results {
		if r.Status != "ok" {
			status = "failing"
			c.Status(fiber.StatusServiceUnavailable)
		}
	}
	return c.JSON(fiber.Map{"status": status, "checks": results})
}

// WorkerOpsApp is the operations listener of a replica that runs only the
// worker (cop serve --only worker): /healthz; /readyz, ready when
// PostgreSQL and Temporal answer and the worker polls (polling reports
// why not: it keeps trying to start, and says so here rather than
// exiting); and /metrics (the Go runtime and the process).
func WorkerOpsApp(pool *pgxpool.Pool, tc client.Client, polling func() error, log *slog.Logger) *fiber.App {
	app := fiber.New(fiber.Config{AppName: "cop-ops", DisableStartupMessage: true, ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second})
	app.Get("/healthz", healthz)
	app.Get("/readyz", func(c *fiber.Ctx) error {
		return readiness(c, log, true, map[string]func(context.Context) error{
			"postgresql": func(ctx context.Context) error { return pool.Ping(ctx) },
			"temporal":   temporalCheck(tc),
			"worker":     func(context.Context) error { return polling() },
		})
	})
	app.Get("/metrics", newMetrics().handler())
	return app
}

// OpsApp is the operations listener's application (cop serve's
// COP_OPS_LISTEN_ADDR, on the private network): /healthz, /readyz with the
// failing checks' errors, and /metrics. No credentials: who can reach the
// listener may read them.
func (s *Server) OpsApp() *fiber.App {
	app := fiber.New(fiber.Config{AppName: "cop-ops", DisableStartupMessage: true, ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second})
	app.Get("/healthz", healthz)
	app.Get("/readyz", s.readyzDetailed)
	app.Get("/metrics", s.metrics.handler())
	return app
}
