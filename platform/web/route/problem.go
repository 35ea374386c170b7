package route

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"cop/platform/problem"
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

// ProblemJSON is the media type of problem documents.
const ProblemJSON = "application/problem+json"

// WriteProblem writes a problem response; handlers return its result.
func WriteProblem(c *fiber.Ctx, status int, detail string, errs ...problem.Field) error {
	p := Problem{
		Type:      "about:blank",
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    detail,
		Instance:  c.Path(),
		RequestID: RequestID(c),
		Errors:    errs,
	}
	c.Status(status)
	c.Set(fiber.HeaderContentType, ProblemJSON)
	if status == http.StatusUnauthorized {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="cop"`)
	}
	return c.JSON(p, ProblemJSON)
}

// Fail answers a service's error: a refusal (a *problem.Error) as its
// problem document, anything else as the platform's own failure, which the
// error handler answers 500 and logs.
func Fail(c *fiber.Ctx, err error) error {
	if p, ok := problem.As(err); ok {
		return WriteProblem(c, p.Kind.Status(), problem.Detail(err, p), p.Fields...)
	}
	return err
}

// Refusal is an HTTP-level refusal a helper returns on behalf of its
// handler (a body that cannot be read, a media type, a limit); it becomes
// the problem response as it is.
type Refusal struct {
	Status int
	Detail string
	Errors []problem.Field
}

func (r *Refusal) Error() string { return r.Detail }

// Refuse returns the error that answers the request with a problem.
func Refuse(status int, detail string, errs ...problem.Field) error {
	return &Refusal{Status: status, Detail: detail, Errors: errs}
}

// DecodeBody decodes a JSON object strictly: an unknown field, a wrong type
// or malformed JSON is refused with where it is.
func DecodeBody(body []byte, v any) error {
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
		return Refuse(fiber.StatusBadRequest, "the body has a value of the wrong type at "+ptr,
			problem.Field{Pointer: ptr, Message: "must not be " + typ.Value})
	case errors.As(err, &syntax):
		return Refuse(fiber.StatusBadRequest, fmt.Sprintf("the body is not valid JSON: %v (at byte %d)", syntax, syntax.Offset))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return Refuse(fiber.StatusBadRequest, fmt.Sprintf("the body has an unknown field %q", field),
			problem.Field{Pointer: "/" + field, Message: "unknown field"})
	}
	return Refuse(fiber.StatusBadRequest, "the body is not valid JSON: "+err.Error())
}
