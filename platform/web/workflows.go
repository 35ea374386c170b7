package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"cop/platform/instances"
	"cop/platform/problem"
	"cop/platform/registry"
	"cop/workflows/engine"
)

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
func (s *Server) publishWorkflow(c *fiber.Ctx) error {
	body, err := definitionBody(c)
	if err != nil {
		return err
	}
	dryRun := c.QueryBool("dryRun", false)
	pub, err := s.deps.Definitions.PublishWorkflow(c.UserContext(), principal(c), who(c), body, dryRun)
	if err != nil {
		return fail(c, err)
	}
	status := fiber.StatusOK
	if pub.Created {
		status = fiber.StatusCreated
		d := pub.Definition
		c.Location(fmt.Sprintf("/api/v1/workflows/%s/%s/versions/%s", d.Namespace, d.Name, d.Version))
	}
	if !dryRun {
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
		return nil, refuse(fiber.StatusBadRequest, "the body is empty; send a workflow definition")
	}
	return body, nil
}

// listWorkflows handles GET /api/v1/workflows: the latest active version of
// each workflow (?namespace= narrows).
func (s *Server) listWorkflows(c *fiber.Ctx) error {
	limit, ferr := queryLimit(c)
	if ferr != nil {
		return writeProblem(c, fiber.StatusBadRequest, ferr.Message, *ferr)
	}
	defs, next, err := s.deps.Definitions.Workflows(c.UserContext(), c.Query("namespace"), limit, c.Query("cursor"))
	if err != nil {
		return fail(c, err)
	}
	items := make([]WorkflowVersion, len(defs))
	for i, d := range defs {
		items[i] = workflowVersionOf(d, false)
	}
	return c.JSON(List[WorkflowVersion]{Items: items, Next: next})
}

// getWorkflow handles GET …/workflows/{ns}/{name} (latest active) and
// …/versions/{version}.
func (s *Server) getWorkflow(c *fiber.Ctx) error {
	ns, name, version := c.Params("namespace"), c.Params("name"), c.Params("version")
	d, err := s.deps.Definitions.Workflow(c.UserContext(), ns, name, version)
	if errors.Is(err, registry.ErrNotFound) {
		what := fmt.Sprintf("workflow %s/%s (or no active version of it)", ns, name)
		if version != "" {
			what = fmt.Sprintf("workflow %s/%s version %s", ns, name, version)
		}
		return writeProblem(c, fiber.StatusNotFound, "no "+what)
	}
	if err != nil {
		return err
	}
	return c.JSON(workflowVersionOf(d, true))
}

// listWorkflowVersions handles GET …/workflows/{ns}/{name}/versions.
func (s *Server) listWorkflowVersions(c *fiber.Ctx) error {
	defs, err := s.deps.Definitions.WorkflowVersions(c.UserContext(), c.Params("namespace"), c.Params("name"))
	if err != nil {
		return err
	}
	if len(defs) == 0 {
		return writeProblem(c, fiber.StatusNotFound, fmt.Sprintf("no workflow %s/%s", c.Params("namespace"), c.Params("name")))
	}
	items := make([]WorkflowVersion, len(defs))
	for i, d := range defs {
		items[i] = workflowVersionOf(d, false)
	}
	return c.JSON(List[WorkflowVersion]{Items: items})
}

// retireWorkflow handles POST …/versions/{version}/retire.
func (s *Server) retireWorkflow(c *fiber.Ctx) error {
	ns, name, version := c.Params("namespace"), c.Params("name"), c.Params("version")
	d, err := s.deps.Definitions.RetireWorkflow(c.UserContext(), who(c), ns, name, version)
	if errors.Is(err, registry.ErrNotFound) {
		return writeProblem(c, fiber.StatusNotFound, fmt.Sprintf("no active workflow %s/%s version %s", ns, name, version))
	}
	if err != nil {
		return fail(c, err)
	}
	return c.JSON(workflowVersionOf(d, false))
}

// StartBody starts an instance.
type StartBody struct {
	Input       json.RawMessage `json:"input"`
	BusinessKey string          `json:"businessKey"`
	Version     string          `json:"version"`
}

// startInstance handles POST /api/v1/workflows/{ns}/{name}/instances.
func (s *Server) startInstance(c *fiber.Ctx) error {
	var body StartBody
	if err := jsonBody(c, &body); err != nil {
		return err
	}
	version := body.Version
	if v := c.Query("version"); v != "" {
		version = v
	}
	res, err := s.deps.Instances.Start(c.UserContext(), principal(c), who(c), instances.StartRequest{
		Namespace: c.Params("namespace"), Name: c.Params("name"), Version: version,
		Input: body.Input, BusinessKey: body.BusinessKey, IdempotencyKey: c.Get("Idempotency-Key")})
	if err != nil {
		return fail(c, err)
	}
	return s.started(c, res)
}

func (s *Server) started(c *fiber.Ctx, res instances.StartResult) error {
	if res.Replayed {
		c.Set("Idempotent-Replayed", "true")
	}
	c.Location("/api/v1/instances/" + res.ID)
	return c.Status(fiber.StatusCreated).JSON(res.Instance)
}

// DraftRunBody runs an unregistered definition.
type DraftRunBody struct {
	Definition  json.RawMessage `json:"definition"`
	Input       json.RawMessage `json:"input"`
	BusinessKey string          `json:"businessKey"`
}

// startDraftInstance handles POST /api/v1/instances: {definition, input};
// the definition is a JSON object or a string of YAML.
func (s *Server) startDraftInstance(c *fiber.Ctx) error {
	var body DraftRunBody
	if err := jsonBody(c, &body); err != nil {
		return err
	}
	def := bytes.TrimSpace(body.Definition)
	if len(def) == 0 || string(def) == "null" {
		return writeProblem(c, fiber.StatusUnprocessableEntity, "send the workflow definition to run in definition",
			problem.Field{Pointer: "/definition", Message: "definition is required"})
	}
	if def[0] == '"' {
		var text string
		if err := json.Unmarshal(def, &text); err != nil {
			return writeProblem(c, fiber.StatusBadRequest, "definition is not a valid JSON string")
		}
		def = []byte(text)
	}
	res, err := s.deps.Instances.StartDraft(c.UserContext(), principal(c), who(c), instances.DraftRequest{
		Definition: def, Input: body.Input, BusinessKey: body.BusinessKey, IdempotencyKey: c.Get("Idempotency-Key")})
	if err != nil {
		return fail(c, err)
	}
	return s.started(c, res)
}

// jsonBody decodes a JSON object body strictly.
func jsonBody(c *fiber.Ctx, v any) error {
	if err := requireJSONBody(c); err != nil {
		return err
	}
	return decodeBody(c.Body(), v)
}

// getInstance handles GET /api/v1/instances/{id}.
func (s *Server) getInstance(c *fiber.Ctx) error {
	in, err := s.deps.Instances.Get(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return fail(c, fmt.Errorf("instance %s: %w", c.Params("id"), err))
	}
	return c.JSON(in)
}

// listInstances handles GET /api/v1/instances with filters.
func (s *Server) listInstances(c *fiber.Ctx) error {
	limit, ferr := queryLimit(c)
	if ferr != nil {
		return writeProblem(c, fiber.StatusBadRequest, ferr.Message, *ferr)
	}
	f := instances.ListFilter{Namespace: c.Query("namespace"), Name: c.Query("name"), Version: c.Query("version"),
		Status: c.Query("status"), BusinessKey: c.Query("case"), Limit: limit, Cursor: c.Query("cursor")}
	switch f.Status {
	case "", "running", "completed", "faulted", "cancelled":
	default:
		return writeProblem(c, fiber.StatusBadRequest, "status must be running, completed, faulted or cancelled",
			problem.Field{Pointer: "/status", Message: "status must be running, completed, faulted or cancelled"})
	}
	if d := c.Query("draft"); d != "" {
		if d != "true" && d != "false" {
			return writeProblem(c, fiber.StatusBadRequest, "draft must be true or false", problem.Field{Pointer: "/draft", Message: "draft must be true or false"})
		}
		draft := d == "true"
		f.Draft = &draft
	}
	items, next, err := s.deps.Instances.List(c.UserContext(), principal(c), f)
	if err != nil {
		return fail(c, err)
	}
	return c.JSON(List[instances.Instance]{Items: items, Next: next})
}

// cancelInstance handles POST /api/v1/instances/{id}/cancel: 202, the
// instance ends as cancelled once it has unwound.
func (s *Server) cancelInstance(c *fiber.Ctx) error {
	in, err := s.deps.Instances.Cancel(c.UserContext(), principal(c), who(c), c.Params("id"))
	if err != nil {
		return fail(c, fmt.Errorf("instance %s: %w", c.Params("id"), err))
	}
	return c.Status(fiber.StatusAccepted).JSON(in)
}

// sendEvent handles POST /api/v1/instances/{id}/events: one CloudEvent
// (application/cloudevents+json or application/json); 202 once delivered.
func (s *Server) sendEvent(c *fiber.Ctx) error {
	if err := requireJSONBody(c); err != nil {
		return err
	}
	if err := s.deps.Instances.Event(c.UserContext(), principal(c), who(c), c.Params("id"), c.Body()); err != nil {
		return fail(c, fmt.Errorf("instance %s: %w", c.Params("id"), err))
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"delivered": true})
}

// listTasks handles GET /api/v1/tasks: the caller's and their teams'
// tasks by priority then due date (?status=, ?form=).
func (s *Server) listTasks(c *fiber.Ctx) error {
	limit, ferr := queryLimit(c)
	if ferr != nil {
		return writeProblem(c, fiber.StatusBadRequest, ferr.Message, *ferr)
	}
	tasks, next, err := s.deps.Instances.Tasks(c.UserContext(), principal(c), instances.TaskFilter{
		Status: c.Query("status"), Form: c.Query("form"), Limit: limit, Cursor: c.Query("cursor")})
	if err != nil {
		return fail(c, err)
	}
	return c.JSON(List[instances.Task]{Items: tasks, Next: next})
}

// getTask handles GET /api/v1/tasks/{id}.
func (s *Server) getTask(c *fiber.Ctx) error {
	t, err := s.deps.Instances.Task(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return fail(c, fmt.Errorf("task %s: %w", c.Params("id"), err))
	}
	return c.JSON(t)
}

// TaskActionBody is the body of a task action: complete sends data,
// reassign sends to; claim and release need none.
type TaskActionBody struct {
	Data json.RawMessage `json:"data"`
	To   string          `json:"to"`
}

// actOnTask handles POST /api/v1/tasks/{id}/{claim,release,complete,reassign}.
func (s *Server) actOnTask(action engine.TaskVerb) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var body TaskActionBody
		if len(bytes.TrimSpace(c.Body())) > 0 || action == engine.Complete || action == engine.Reassign {
			if err := jsonBody(c, &body); err != nil {
				return err
			}
		}
		if action == engine.Reassign && body.To == "" {
			return writeProblem(c, fiber.StatusUnprocessableEntity, "say whom to reassign the task to", problem.Field{Pointer: "/to", Message: "to is required: the new assignee's user id (sub)"})
		}
		t, err := s.deps.Instances.ActOnTask(c.UserContext(), principal(c), c.Params("id"),
			instances.TaskActionRequest{Action: action, Data: body.Data, To: body.To, IdempotencyKey: c.Get("Idempotency-Key")})
		if err != nil {
			// Refusals are audited by the safety net with their status.
			return fail(c, fmt.Errorf("task %s: %w", c.Params("id"), err))
		}
		return c.JSON(t)
	}
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
	items, next, err := s.deps.Instances.Notifications(c.UserContext(), principal(c), unread == "true", limit, c.Query("cursor"))
	if err != nil {
		return fail(c, err)
	}
	return c.JSON(List[instances.Notification]{Items: items, Next: next})
}

// readNotification handles POST /api/v1/notifications/{id}/read.
func (s *Server) readNotification(c *fiber.Ctx) error {
	if err := s.deps.Instances.MarkRead(c.UserContext(), principal(c), c.Params("id")); err != nil {
		return fail(c, fmt.Errorf("notification %s: %w", c.Params("id"), err))
	}
	return c.SendStatus(fiber.StatusNoContent) // the safety net records who read it
}
