package web

import (
	_ "embed"
	"fmt"

	"cop/platform/web/route"

	"github.com/gofiber/fiber/v2"
	"sigs.k8s.io/yaml"
)

// openAPIYAML is the API description, kept as YAML for people to edit and
// served as JSON. TestOpenAPIDocumentsEveryRoute keeps it and the router in step.
//
//go:embed openapi.yaml
var openAPIYAML []byte

func openAPIJSON() ([]byte, error) {
	b, err := yaml.YAMLToJSON(openAPIYAML)
	if err != nil {
		return nil, fmt.Errorf("convert openapi.yaml: %w", err)
	}
	return b, nil
}

// openAPI serves the generic document to anonymous callers and, to a
// signed-in caller, the document with their own operations
// (openapi_caller.go); it differs by caller, so no shared cache keeps it.
func (s *Server) openAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	c.Set("Cache-Control", "private, no-cache")
	c.Set(fiber.HeaderVary, "Authorization, Cookie")
	p := route.Principal(c)
	if p == nil {
		return c.Send(s.openapi)
	}
	doc, err := s.callerOpenAPI(c.UserContext(), p)
	if err != nil {
		return err
	}
	return c.Send(doc)
}
