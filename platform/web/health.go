package web

import (
	"context"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.temporal.io/sdk/client"

	"cop/platform/auth"
)

// bindOperations: health, readiness and the OpenAPI document, for anyone;
// /metrics too unless the operations listener serves it.
func (s *Server) bindOperations() {
	s.router.Add(fiber.MethodGet, "/healthz", auth.Public, s.healthz)
	s.router.Add(fiber.MethodGet, "/readyz", auth.Public, s.readyz)
	if !s.deps.OpsListener {
		s.router.Add(fiber.MethodGet, "/metrics", auth.Public, s.metrics.handler()) // scrape from the private network; see docs/operations.md
	}
	s.router.Add(fiber.MethodGet, "/api/v1/openapi.json", auth.Public, s.openAPI)
}

// healthz answers while the process is up.
func (s *Server) healthz(c *fiber.Ctx) error {
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
	ctx, cancel := context.WithTimeout(c.UserContext(), 3*time.Second)
	defer cancel()
	checks := map[string]func(context.Context) error{
		"postgresql": func(ctx context.Context) error { return s.deps.Pool.Ping(ctx) },
		"temporal": func(ctx context.Context) error {
			_, err := s.deps.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{})
			return err
		},
		"oidc": s.deps.Auth.Ready,
	}
	results := map[string]Check{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for name, check := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := Check{Status: "ok"}
			if err := check(ctx); err != nil {
				s.log.Warn("readiness check failing", "check", name, "err", err)
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

// OpsApp is the operations listener's application (cop serve's
// COP_OPS_LISTEN_ADDR, on the private network): /healthz, /readyz with the
// failing checks' errors, and /metrics. No credentials: who can reach the
// listener may read them.
func (s *Server) OpsApp() *fiber.App {
	app := fiber.New(fiber.Config{AppName: "cop-ops", DisableStartupMessage: true, ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second})
	app.Get("/healthz", s.healthz)
	app.Get("/readyz", s.readyzDetailed)
	app.Get("/metrics", s.metrics.handler())
	return app
}
