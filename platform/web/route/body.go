package route

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"cop/forms"
	"cop/platform/problem"
)

// List is the shape of every list response.
type List[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next,omitempty"`
}

// QueryLimit reads ?limit= (1-500, default 100).
func QueryLimit(c *fiber.Ctx) (int, *problem.Field) {
	v := c.Query("limit")
	if v == "" {
		return 100, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 500 {
		return 0, &problem.Field{Pointer: "/limit", Message: "limit must be a whole number from 1 to 500"}
	}
	return n, nil
}

// JSONBody decodes a JSON object body strictly.
func JSONBody(c *fiber.Ctx, v any) error {
	if err := RequireJSONBody(c); err != nil {
		return err
	}
	return DecodeBody(c.Body(), v)
}

// RequireJSONBody refuses an empty body or one that does not parse:
// malformed JSON is the client's syntax error (400), before anything looks
// at its meaning. The route has already checked the media type.
func RequireJSONBody(c *fiber.Ctx) error {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return Refuse(fiber.StatusBadRequest, "the body is empty; send a JSON object")
	}
	if err := json.Unmarshal(body, new(json.RawMessage)); err != nil {
		return Refuse(fiber.StatusBadRequest, "the body is not valid JSON: "+err.Error())
	}
	if bytes.Contains(body, []byte(`\u0000`)) {
		var v any
		_ = json.Unmarshal(body, &v)
		if nul := forms.NULProblems(v); len(nul) > 0 {
			return Refuse(fiber.StatusUnprocessableEntity, "a string in the body contains U+0000 (NUL), which is not text and cannot be stored",
				problem.Field{Pointer: nul[0].Pointer, Message: "contains U+0000 (NUL)"})
		}
	}
	return nil
}
