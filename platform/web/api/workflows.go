package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"cop/platform/auth"
	"cop/platform/registry"
	"cop/platform/web/route"
)

// bindWorkflows: authors publish and retire; anyone signed in reads
// definitions and starts what the workflow's access.start allows.
func (a *API) bindWorkflows(r *route.Router) {
	r.Add(fiber.MethodPost, "/api/v1/workflows", authors, a.publishWorkflow, route.TakesDefinition)
	r.Add(fiber.MethodGet, "/api/v1/workflows", auth.SignedIn, a.listWorkflows)
	r.Add(fiber.MethodGet, "/api/v1/workflows/:namespace/:name", auth.SignedIn, a.getWorkflow)
	r.Add(fiber.MethodGet, "/api/v1/workflows/:namespace/:name/versions", auth.SignedIn, a.listWorkflowVersions)
	r.Add(fiber.MethodGet, "/api/v1/workflows/:namespace/:name/versions/:version", auth.SignedIn, a.getWorkflow)
	r.Add(fiber.MethodPost, "/api/v1/workflows/:namespace/:name/versions/:version/retire", authors, a.retireWorkflow, route.TakesJSON)
}

// WorkflowVersion is one stored version of a workflow as the API shows it.
type WorkflowVersion struct {
	Namespace  string          `json:"namespace"`
	Name       string          `json:"name"`
	Version    string          `json:"version"`
	Title      string          `json:"title,omitempty"`
	Status     string          `json:"status"`
	Checksum   string          `json:"checksum,omitempty"`
	UploadedBy string          `json:"uploadedBy,omitempty"`
	UploadedAt *time.Time      `json:"uploadedAt,omitempty"`
	RetiredBy  string          `json:"retiredBy,omitempty"`
	RetiredAt  *time.Time      `json:"retiredAt,omitempty"`
	StartForm  string          `json:"startForm,omitempty"`
	Definition json.RawMessage `json:"definition,omitempty"`
}

func workflowVersionOf(d registry.Definition, withContent bool) WorkflowVersion {
	var head struct {
		Document struct {
			Title    string         `json:"title"`
			Metadata map[string]any `json:"metadata"`
		} `json:"document"`
	}
	_ = json.Unmarshal(d.Content, &head)
	v := WorkflowVersion{Namespace: d.Namespace, Name: d.Name, Version: d.Version, Title: head.Document.Title, Status: d.Status,
		Checksum: d.Checksum, UploadedBy: d.UploadedBy, RetiredBy: d.RetiredBy, RetiredAt: d.RetiredAt}
	v.StartForm, _ = head.Document.Metadata["startForm"].(string)
	if !d.UploadedAt.IsZero() {
		at := d.UploadedAt
		v.UploadedAt = &at
	}
	if withContent {
		v.Definition = d.Content
	}
	return v
}

// publishWorkflow handles POST /api/v1/workflows: a definition as YAML or
// JSON; 201 stored, 200 for an identical re-upload or a dry run, 422 with
// the pointer of every problem, 409 for other content under a version.
func (a *API) publishWorkflow(c *fiber.Ctx) error {
	body, err := definitionBody(c)
	if err != nil {
		return err
	}
	dryRun := c.QueryBool("dryRun", false)
	pub, err := a.Definitions.PublishWorkflow(c.UserContext(), route.Principal(c), route.Who(c), body, dryRun)
	if err != nil {
		return route.Fail(c, err)
	}
	status := fiber.StatusOK
	if pub.Created {
		status = fiber.StatusCreated
		d := pub.Definition
		c.Location(fmt.Sprintf("/api/v1/workflows/%s/%s/versions/%s", d.Namespace, d.Name, d.Version))
	}
	v := workflowVersionOf(pub.Definition, true)
	if dryRun {
		v.Status = "draft"
	}
	return c.Status(status).JSON(v)
}

// definitionBody is a workflow definition, sent as YAML or JSON (the
// route has checked the media type).
func definitionBody(c *fiber.Ctx) ([]byte, error) {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, route.Refuse(fiber.StatusBadRequest, "the body is empty; send a workflow definition")
	}
	return body, nil
}

// listWorkflows handles GET /api/v1/workflows: the latest active version of
// each workflow (?namespace= narrows).
func (a *API) listWorkflows(c *fiber.Ctx) error {
	limit, ferr := route.QueryLimit(c)
	if ferr != nil {
		return route.WriteProblem(c, fiber.StatusBadRequest, ferr.Message, *ferr)
	}
	defs, next, err := a.Definitions.Workflows(c.UserContext(), c.Query("namespace"), limit, c.Query("cursor"))
	if err != nil {
		return route.Fail(c, err)
	}
	items := make([]WorkflowVersion, len(defs))
	for i, d := range defs {
		items[i] = workflowVersionOf(d, false)
	}
	return c.JSON(route.List[WorkflowVersion]{Items: items, Next: next})
}

// getWorkflow handles GET …/workflows/{ns}/{name} (latest active) and
// …/versions/{version}.
func (a *API) getWorkflow(c *fiber.Ctx) error {
	ns, name, version := c.Params("namespace"), c.Params("name"), c.Params("version")
	d, err := a.Definitions.Workflow(c.UserContext(), ns, name, version)
	if errors.Is(err, registry.ErrNotFound) {
		what := fmt.Sprintf("workflow %s/%s (or no active version of it)", ns, name)
		if version != "" {
			what = fmt.Sprintf("workflow %s/%s version %s", ns, name, version)
		}
		return route.WriteProblem(c, fiber.StatusNotFound, "no "+what)
	}
	if err != nil {
		return err
	}
	return c.JSON(workflowVersionOf(d, true))
}

// listWorkflowVersions handles GET …/workflows/{ns}/{name}/versions.
func (a *API) listWorkflowVersions(c *fiber.Ctx) error {
	defs, err := a.Definitions.WorkflowVersions(c.UserContext(), c.Params("namespace"), c.Params("name"))
	if err != nil {
		return err
	}
	if len(defs) == 0 {
		return route.WriteProblem(c, fiber.StatusNotFound, fmt.Sprintf("no workflow %s/%s", c.Params("namespace"), c.Params("name")))
	}
	items := make([]WorkflowVersion, len(defs))
	for i, d := range defs {
		items[i] = workflowVersionOf(d, false)
	}
	return c.JSON(route.List[WorkflowVersion]{Items: items})
}

// retireWorkflow handles POST …/versions/{version}/retire.
func (a *API) retireWorkflow(c *fiber.Ctx) error {
	ns, name, version := c.Params("namespace"), c.Params("name"), c.Params("version")
	d, err := a.Definitions.RetireWorkflow(c.UserContext(), route.Who(c), ns, name, version)
	if errors.Is(err, registry.ErrNotFound) {
		return route.WriteProblem(c, fiber.StatusNotFound, fmt.Sprintf("no active workflow %s/%s version %s", ns, name, version))
	}
	if err != nil {
		return route.Fail(c, err)
	}
	return c.JSON(workflowVersionOf(d, false))
}
