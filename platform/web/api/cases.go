package api

import (
	"fmt"

	"github.com/gofiber/fiber/v2"

	"cop/platform/auth"
	"cop/platform/cases"
	"cop/platform/web/route"
)

// bindCases: signed in; a case shows what the caller may read in it (404
// when nothing).
func (a *API) bindCases(r *route.Router) {
	r.Add(fiber.MethodGet, "/api/v1/cases", auth.SignedIn, a.listCases)
	r.Add(fiber.MethodGet, "/api/v1/cases/:businessKey", auth.SignedIn, a.getCase)
}

// listCases handles GET /api/v1/cases: the cases the caller may read,
// newest first (?key=, ?form=, ?from=, ?to=, ?mine=true).
func (a *API) listCases(c *fiber.Ctx) error {
	f, err := listFilter(c, "key", "form", "status", "from", "to", "mine", "limit", "cursor")
	if err != nil {
		return route.Fail(c, err)
	}
	items, next, err := a.Cases.Cases(c.UserContext(), route.Principal(c), f)
	if err != nil {
		return route.Fail(c, err)
	}
	return c.JSON(route.List[cases.CaseSummary]{Items: items, Next: next})
}

// getCase handles GET /api/v1/cases/{businessKey}.
func (a *API) getCase(c *fiber.Ctx) error {
	cs, err := a.Cases.Case(c.UserContext(), route.Principal(c), c.Params("businessKey"))
	if err != nil {
		return route.Fail(c, fmt.Errorf("case %s: %w", c.Params("businessKey"), err))
	}
	return c.JSON(cs)
}
