package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"cop/ui"
)

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	Instance  string       `json:"instance,omitempty"`
	RequestID string       `json:"requestId,omitempty"`
	Errors    []FieldError `json:"errors,omitempty"`
}

// FieldError locates one validation failure by JSON pointer.
type FieldError struct {
	Pointer string `json:"pointer"`
	Message string `json:"message"`
}

const problemJSON = "application/problem+json"

// problem writes a problem response; handlers return its result.
func problem(c *fiber.Ctx, status int, detail string, errs ...FieldError) error {
	p := Problem{
		Type:      "about:blank",
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    detail,
		Instance:  c.Path(),
		RequestID: requestID(c),
		Errors:    errs,
	}
	c.Status(status)
	c.Set(fiber.HeaderContentType, problemJSON)
	if status == http.StatusUnauthorized {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="cop"`)
	}
	return c.JSON(p, problemJSON)
}

// errorHandler turns errors Fiber raises itself (unknown route, body too
// large, malformed request) and unexpected handler errors into problems.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	// Checked first: requestID() below assigns the local when it is missing.
	_, ranMiddleware := c.Locals(localRequestID).(string)
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
		s.log.Error("request failed", "request_id", requestID(c), "route", routeKey(c), "err", err)
	}
	if !ranMiddleware {
		// Refused by the server before any middleware ran (an oversized body).
		s.auditUnhandled(c, status)
	}
	if wantsHTML(c) {
		return s.page(c, status, "error", ui.ErrorData{Title: http.StatusText(status), Detail: detail})
	}
	return problem(c, status, detail)
}

// wantsHTML is true for browser page requests, which get an HTML error page.
func wantsHTML(c *fiber.Ctx) bool {
	return isPage(c) && strings.Contains(c.Get(fiber.HeaderAccept), "text/html")
}
