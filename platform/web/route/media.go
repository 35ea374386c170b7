package route

import (
	"fmt"
	"mime"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// The media types a route's body may be sent as. Every state-changing
// route declares its own when it is registered (Router.Add panics otherwise),
// and anything else, an absent Content-Type included, is answered 415.
// The API's types, but for multipart uploads, are ones a cross-site HTML
// form cannot send without the browser asking (CORS) first; and no API
// write takes the session cookie. The pages take form posts and check the
// session's CSRF token instead.
var (
	TakesJSON = []string{fiber.MIMEApplicationJSON}
	// TakesDefinition is a workflow definition, written in YAML or JSON.
	TakesDefinition = []string{fiber.MIMEApplicationJSON, "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"}
	// TakesEvent is a CloudEvent in structured mode, or plain JSON.
	TakesEvent     = []string{fiber.MIMEApplicationJSON, "application/cloudevents+json"}
	TakesMultipart = []string{fiber.MIMEMultipartForm}
	TakesPageForm  = []string{fiber.MIMEApplicationForm, fiber.MIMEMultipartForm}
	// TakesNothing is a route whose requests carry no body (DELETE); a
	// Content-Type with no body is let be.
	TakesNothing = []string{}
)

// accepts refuses a request whose body is not one of types (415), naming
// what the route takes. A charset other than UTF-8 is refused too: every
// parser behind these types reads UTF-8.
func accepts(types []string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		raw := strings.TrimSpace(c.Get(fiber.HeaderContentType))
		if len(types) == 0 {
			if len(c.Body()) > 0 {
				return WriteProblem(c, fiber.StatusUnsupportedMediaType, "this request takes no body")
			}
			return c.Next()
		}
		if raw == "" {
			return WriteProblem(c, fiber.StatusUnsupportedMediaType, "send a Content-Type header: this route takes "+describeTypes(types))
		}
		mt, params, err := mime.ParseMediaType(raw)
		if err != nil {
			return WriteProblem(c, fiber.StatusUnsupportedMediaType, fmt.Sprintf("the Content-Type %q cannot be read; this route takes %s", raw, describeTypes(types)))
		}
		if !slices.Contains(types, mt) {
			return WriteProblem(c, fiber.StatusUnsupportedMediaType, fmt.Sprintf("this route takes %s, not %s", describeTypes(types), mt))
		}
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
			return WriteProblem(c, fiber.StatusUnsupportedMediaType, fmt.Sprintf("send the body as UTF-8, not %s", cs))
		}
		return c.Next()
	}
}

func describeTypes(types []string) string {
	if len(types) == 1 {
		return types[0]
	}
	return strings.Join(types[:len(types)-1], ", ") + " or " + types[len(types)-1]
}
