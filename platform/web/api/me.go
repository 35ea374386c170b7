package api

import (
	"github.com/gofiber/fiber/v2"

	"cop/platform/auth"
	"cop/platform/web/route"
)

// bindMe: who the caller is.
func (a *API) bindMe(r *route.Router) {
	r.Add(fiber.MethodGet, "/api/v1/me", auth.SignedIn, a.me)
}

// me returns the caller as COP sees them: handy to check a token's roles and teams.
func (a *API) me(c *fiber.Ctx) error {
	return c.JSON(route.Principal(c))
}
