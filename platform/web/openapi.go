package web

import (
	_ "embed"
	"fmt"

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

func (s *Server) openAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	c.Set("Cache-Control", "public, max-age=300")
	return c.Send(s.openapi)
}
