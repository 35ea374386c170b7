package web

import (
	"errors"
	"net/http"

	"github.com/gofiber/fiber/v2"

	"cop/platform/web/pages"
	"cop/platform/web/route"
	"cop/ui"
)

// errorHandler turns errors Fiber raises itself (unknown route, body too
// large, malformed request) and unexpected handler errors into problems.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	// Checked first: route.RequestID below assigns the local when it is missing.
	_, ranMiddleware := c.Locals(route.KeyRequestID).(string)
	var r *route.Refusal
	if errors.As(err, &r) {
		return route.WriteProblem(c, r.Status, r.Detail, r.Errors...)
	}
	var pr *pages.Refusal
	if errors.As(err, &pr) {
		return s.pages.Render(c, pr.Status, "error", pr.Data)
	}
	status := fiber.StatusInternalServerError
	detail := "the server could not complete the request; quote the request id when reporting it"
	var fe *fiber.Error
	if errors.As(err, &fe) {
		status = fe.Code
		detail = fe.Message
		switch status {
		case fiber.StatusNotFound:
			detail = "no such resource: " + c.Path()
		case fiber.StatusMethodNotAllowed:
			detail = c.Method() + " is not allowed on " + c.Path()
		case fiber.StatusRequestEntityTooLarge:
			detail = "the request body is larger than the server accepts"
		}
	} else {
		s.log.Error("request failed", "request_id", route.RequestID(c), "route", route.RouteKey(c), "err", err)
	}
	if !ranMiddleware {
		// Refused by the server before any middleware ran (an oversized body).
		s.auditUnhandled(c, status)
	}
	if route.WantsHTML(c) {
		return s.pages.Render(c, status, "error", ui.ErrorData{Title: http.StatusText(status), Detail: detail})
	}
	return route.WriteProblem(c, status, detail)
}
