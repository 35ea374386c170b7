package web

import (
	"fmt"

	"github.com/gofiber/fiber/v2"

	"cop/platform/auth"
	"cop/platform/problem"
	"cop/platform/tasks"
)

// bindNotifications: signed in; each reads their own.
func (s *Server) bindNotifications() {
	s.route(fiber.MethodGet, "/api/v1/notifications", auth.SignedIn, s.listNotifications)
	s.route(fiber.MethodPost, "/api/v1/notifications/:id/read", auth.SignedIn, s.readNotification, takesJSON)
}

// listNotifications handles GET /api/v1/notifications (?unread=true).
func (s *Server) listNotifications(c *fiber.Ctx) error {
	limit, ferr := queryLimit(c)
	if ferr != nil {
		return writeProblem(c, fiber.StatusBadRequest, ferr.Message, *ferr)
	}
	unread := c.Query("unread")
	if unread != "" && unread != "true" && unread != "false" {
		return writeProblem(c, fiber.StatusBadRequest, "unread must be true or false", problem.Field{Pointer: "/unread", Message: "unread must be true or false"})
	}
	items, next, err := s.deps.Tasks.Notifications(c.UserContext(), principal(c), unread == "true", limit, c.Query("cursor"))
	if err != nil {
		return fail(c, err)
	}
	return c.JSON(List[tasks.Notification]{Items: items, Next: next})
}

// readNotification handles POST /api/v1/notifications/{id}/read.
func (s *Server) readNotification(c *fiber.Ctx) error {
	if err := s.deps.Tasks.MarkRead(c.UserContext(), principal(c), c.Params("id")); err != nil {
		return fail(c, fmt.Errorf("notification %s: %w", c.Params("id"), err))
	}
	return c.SendStatus(fiber.StatusNoContent) // the safety net records who read it
}
