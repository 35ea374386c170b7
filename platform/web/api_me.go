package web

import (
	"github.com/gofiber/fiber/v2"

	"cop/platform/auth"
	"cop/platform/web/route"
)

// bindMe: who the caller is.
func (s *Server) bindMe() {
	s.router.Add(fiber.MethodGet, "/api/v1/me", auth.SignedIn, s.me)
}

// me returns the caller as COP sees them: handy to check a token's roles and teams.
func (s *Server) me(c *fiber.Ctx) error {
	return c.JSON(route.Principal(c))
}
