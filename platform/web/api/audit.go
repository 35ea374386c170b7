package api

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/problem"
	"cop/platform/store"
	"cop/platform/web/route"
)

// bindAudit: the audit trail, for admins and (their teams' rows) supervisors.
func (a *API) bindAudit(r *route.Router) {
	r.Add(fiber.MethodGet, "/api/v1/audit", auth.AnyRole(auth.RoleAdmin, auth.RoleSupervisor), a.listAudit)
}

// listAudit returns audit rows, newest first, filtered by resource, actor and time.
func (a *API) listAudit(c *fiber.Ctx) error {
	f := audit.Filter{Resource: c.Query("resource"), Actor: c.Query("actor"), Cursor: c.Query("cursor")}
	var errs []problem.Field
	for _, q := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := c.Query(q.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				errs = append(errs, problem.Field{Pointer: "/" + q.name, Message: q.name + " must be an RFC 3339 time such as 2026-11-21T09:00:00Z"})
			}
			*q.dst = t
		}
	}
	limit, err := route.QueryLimit(c)
	if err != nil {
		errs = append(errs, *err)
	}
	if len(errs) > 0 {
		return route.WriteProblem(c, fiber.StatusBadRequest, "the query parameters are not valid", errs...)
	}
	f.Limit = limit
	p := route.Principal(c)
	// Admins read every row; a supervisor the rows about their teams'
	// cases and their own, so the log does not reveal other teams' work.
	f.Reader = audit.Reader{All: p.HasRole(auth.RoleAdmin), Actor: p.Subject, Teams: p.Teams}
	rows, next, lerr := audit.List(c.UserContext(), a.Pool, f)
	if errors.Is(lerr, store.ErrBadCursor) {
		return route.WriteProblem(c, fiber.StatusBadRequest, lerr.Error(), problem.Field{Pointer: "/cursor", Message: lerr.Error()})
	}
	if lerr != nil {
		return lerr
	}
	return c.JSON(route.List[audit.Row]{Items: rows, Next: next})
}
