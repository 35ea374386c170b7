package web

import (
	"context"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"go.temporal.io/sdk/client"
)

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
// answers 503 naming what fails.
func (s *Server) readyz(c *fiber.Ctx) error {
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
				res = Check{Status: "failing", Error: err.Error()}
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
