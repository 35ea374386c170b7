package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"cop/platform/problem"
	"cop/ui"
)

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type      string          `json:"type"`
	Title     string          `json:"title"`
	Status    int             `json:"status"`
	Detail    string          `json:"detail,omitempty"`
	Instance  string          `json:"instance,omitempty"`
	RequestID string          `json:"requestId,omitempty"`
	Errors    []problem.Field `json:"errors,omitempty"`
}

const problemJSON = "application/problem+json"

// writeProblem writes a problem response; handlers return its result.
func writeProblem(c *fiber.Ctx, status int, detail string, errs ...problem.Field) error {
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

// fail answers a service's error: a refusal (a *problem.Error) as its
// problem document, anything else as the platform's own failure, which the
// error handler answers 500 and logs.
func fail(c *fiber.Ctx, err error) error {
	if p, ok := problem.As(err); ok {
		return writeProblem(c, p.Kind.Status(), problem.Detail(err, p), p.Fields...)
	}
	return err
}

// refusal is an HTTP-level refusal a helper returns on behalf of its
// handler (a body that cannot be read, a media type, a limit); it becomes
// the problem response as it is.
type refusal struct {
	status int
	detail string
	errs   []problem.Field
}

func (r *refusal) Error() string { return r.detail }

// refuse returns the error that answers the request with a problem.
func refuse(status int, detail string, errs ...problem.Field) error {
	return &refusal{status: status, detail: detail, errs: errs}
}

// decodeBody decodes a JSON object strictly: an unknown field, a wrong type
// or malformed JSON is refused with where it is.
func decodeBody(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("unexpected data after the JSON object")
	}
	if err == nil {
		return nil
	}
	var typ *json.UnmarshalTypeError
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &typ):
		ptr := "/" + strings.ReplaceAll(typ.Field, ".", "/")
		return refuse(fiber.StatusBadRequest, "the body has a value of the wrong type at "+ptr,
			problem.Field{Pointer: ptr, Message: "must not be " + typ.Value})
	case errors.As(err, &syntax):
		return refuse(fiber.StatusBadRequest, fmt.Sprintf("the body is not valid JSON: %v (at byte %d)", syntax, syntax.Offset))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return refuse(fiber.StatusBadRequest, fmt.Sprintf("the body has an unknown field %q", field),
			problem.Field{Pointer: "/" + field, Message: "unknown field"})
	}
	return refuse(fiber.StatusBadRequest, "the body is not valid JSON: "+err.Error())
}

// errorHandler turns errors Fiber raises itself (unknown route, body too
// large, malformed request) and unexpected handler errors into problems.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	// Checked first: requestID() below assigns the local when it is missing.
	_, ranMiddleware := c.Locals(localRequestID).(string)
	var r *refusal
	if errors.As(err, &r) {
		return writeProblem(c, r.status, r.detail, r.errs...)
	}
	var pr *pageRefusal
	if errors.As(err, &pr) {
		return s.page(c, pr.status, "error", pr.data)
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
		s.log.Error("request failed", "request_id", requestID(c), "route", routeKey(c), "err", err)
	}
	if !ranMiddleware {
		// Refused by the server before any middleware ran (an oversized body).
		s.auditUnhandled(c, status)
	}
	if wantsHTML(c) {
		return s.page(c, status, "error", ui.ErrorData{Title: http.StatusText(status), Detail: detail})
	}
	return writeProblem(c, status, detail)
}

// wantsHTML is true for browser page requests, which get an HTML error page.
func wantsHTML(c *fiber.Ctx) bool {
	return isPage(c) && strings.Contains(c.Get(fiber.HeaderAccept), "text/html")
}
