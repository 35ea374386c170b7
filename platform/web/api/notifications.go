package api

import (
	"fmt"

	"github.com/gofiber/fiber/v2"

	"cop/platform/auth"
	"cop/platform/problem"
	"cop/platform/tasks"
	"cop/platform/web/route"
)

// bindNotifications: signed in; each reads their own.
func (a *API) bindNotifications(r *route.Router) {
	r.Add(fiber.MethodGet, "/api/v1/notifications", auth.SignedIn, a.listNotifications)
	r.Add(fiber.MethodPost, "/api/v1/notifications/:id/read", auth.SignedIn, a.readNotification, route.TakesJSON)
}

// listNotifications handles GET /api/v1/notifications (?unread=true).
func (a *API) listNotifications(c *fiber.Ctx) error {
	limit, ferr := route.QueryLimit(c)
	if ferr != nil {
		return route.WriteProblem(c, fiber.StatusBadRequest, ferr.Message, *ferr)
	}
	unread := c.Query("unread")
	if unread != "" && unread != "true" && unread != "false" {
		return route.WriteProblem(c, fiber.StatusBadRequest, "unread must be true or false", problem.Field{Pointer: "/unread", Message: "unread must be true or false"})
	}
	items, next, err := a.Tasks.Notifications(c.UserContext(), route.Principal(c), unread == "true", limit, c.Query("cursor"))
	if err != nil {
		return route.Fail(c, err)
	}
	return c.JSON(route.List[tasks.Notification]{Items: items, Next: next})
}

// readNotification handles POST /api/v1/notifications/{id}/read.
func (a *API) readNotification(c *fiber.Ctx) error {
	if err := a.Tasks.MarkRead(c.UserContext(), route.Principal(c), c.Params("id")); err != nil {
		return route.Fail(c, fmt.Errorf("notification %s: %w", c.Params("id"), err))
	}
	return c.SendStatus(fiber.StatusNoContent) // the safety net records who read it
}
