package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"cop/platform/auth"
	"cop/platform/instances"
	"cop/platform/problem"
	"cop/platform/web/route"
	"cop/workflows"
	"cop/workflows/engine"
)

// bindInstances: anyone signed in starts what access.start allows; authors
// run drafts. The visibility rule decides the rest (404 otherwise);
// cancelling also needs the starter, a supervisor or an admin (403).
func (a *API) bindInstances(r *route.Router) {
	r.Add(fiber.MethodPost, "/api/v1/workflows/:namespace/:name/instances", auth.SignedIn, a.startInstance, route.TakesJSON)
	r.Add(fiber.MethodPost, "/api/v1/workflows/:namespace/:name/run", auth.SignedIn, a.runInstance, route.TakesJSON)
	r.Add(fiber.MethodPost, "/api/v1/instances", authors, a.startDraftInstance, route.TakesJSON)
	r.Add(fiber.MethodGet, "/api/v1/instances", auth.SignedIn, a.listInstances)
	r.Add(fiber.MethodGet, "/api/v1/instances/:id", auth.SignedIn, a.getInstance)
	r.Add(fiber.MethodPost, "/api/v1/instances/:id/cancel", auth.SignedIn, a.cancelInstance, route.TakesJSON)
	r.Add(fiber.MethodPost, "/api/v1/instances/:id/retry", auth.AnyRole(auth.RoleOperator, auth.RoleAdmin, auth.RoleSupervisor), a.retryInstance, route.TakesJSON)
	r.Add(fiber.MethodPost, "/api/v1/instances/:id/events", auth.SignedIn, a.sendEvent, route.TakesEvent)
}

// StartBody starts an instance.
type StartBody struct {
	Input       json.RawMessage `json:"input"`
	BusinessKey string          `json:"businessKey"`
	Version     string          `json:"version"`
}

// startInstance handles POST /api/v1/workflows/{ns}/{name}/instances.
func (a *API) startInstance(c *fiber.Ctx) error {
	req, err := startRequest(c)
	if err != nil {
		return err
	}
	res, err := a.Instances.Start(c.UserContext(), route.Principal(c), route.Who(c), req)
	if err != nil {
		return route.Fail(c, err)
	}
	return a.started(c, res)
}

// startRequest reads a start: the body, ?version= over the body's, and
// the Idempotency-Key.
func startRequest(c *fiber.Ctx) (instances.StartRequest, error) {
	var body StartBody
	if err := route.JSONBody(c, &body); err != nil {
		return instances.StartRequest{}, err
	}
	version := body.Version
	if v := c.Query("version"); v != "" {
		version = v
	}
	return instances.StartRequest{Namespace: c.Params("namespace"), Name: c.Params("name"), Version: version,
		Input: body.Input, BusinessKey: body.BusinessKey, IdempotencyKey: c.Get("Idempotency-Key")}, nil
}

// defaultWait is how long run-and-wait waits without ?wait=.
const defaultWait = 10 * time.Second

// runInstance handles POST /api/v1/workflows/{ns}/{name}/run?wait=30s: it
// starts an instance as startInstance does and waits for it to end: 200
// with its output when it ends in time, the workflow's error as a problem
// when it faults, 202 with where to read it when it is still running.
func (a *API) runInstance(c *fiber.Ctx) error {
	wait := defaultWait
	if v := c.Query("wait"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > instances.MaxWait {
			return route.WriteProblem(c, fiber.StatusBadRequest, fmt.Sprintf("wait must be a duration from 1ms to %s, such as 30s", instances.MaxWait),
				problem.Field{Pointer: "/wait", Message: fmt.Sprintf("wait is at most %s: start a longer workflow with POST …/instances and read it back", instances.MaxWait)})
		}
		wait = d
	}
	req, err := startRequest(c)
	if err != nil {
		return err
	}
	p := route.Principal(c)
	res, err := a.Instances.Start(c.UserContext(), p, route.Who(c), req)
	if err != nil {
		return route.Fail(c, err)
	}
	if res.Replayed {
		c.Set("Idempotent-Replayed", "true")
	}
	where := "/api/v1/instances/" + res.ID
	in, err := a.Instances.Wait(c.UserContext(), p, res.ID, wait)
	if err != nil {
		return route.Fail(c, fmt.Errorf("instance %s: %w", res.ID, err))
	}
	c.Set(fiber.HeaderContentLocation, where)
	switch in.Status {
	case engine.StatusCompleted:
		return c.Status(fiber.StatusOK).JSON(in.Output)
	case engine.StatusFaulted:
		return workflowProblem(c, in)
	case engine.StatusCancelled:
		return route.WriteProblem(c, fiber.StatusConflict, fmt.Sprintf("instance %s was cancelled", in.ID))
	}
	c.Location(where)
	return c.Status(fiber.StatusAccepted).JSON(in)
}

// workflowProblem answers a faulted instance's error as a problem: its
// type, title and detail, and its status when it is an error status. An
// error about another service the workflow called (communication,
// authentication, authorization, timeout) is a gateway's 502 or 504: its
// own status is the other service's, not this request's.
func workflowProblem(c *fiber.Ctx, in instances.Instance) error {
	e := in.Error
	if e == nil {
		return route.WriteProblem(c, fiber.StatusInternalServerError, fmt.Sprintf("instance %s faulted", in.ID))
	}
	status, detail := e.Status, e.Detail
	switch strings.TrimPrefix(e.Type, workflows.ErrorTypePrefix) {
	case workflows.ErrTimeout:
		status = fiber.StatusGatewayTimeout
	case workflows.ErrCommunication, workflows.ErrAuthentication, workflows.ErrAuthorization:
		status = fiber.StatusBadGateway
	}
	if status != e.Status && e.Status != 0 {
		detail = strings.TrimSpace(fmt.Sprintf("%s (the workflow's error had status %d)", detail, e.Status))
	}
	if status < 400 || status > 599 {
		status = fiber.StatusInternalServerError
	}
	return c.Status(status).JSON(route.Problem{Type: e.Type, Title: e.Title, Status: status, Detail: detail,
		Instance: "/api/v1/instances/" + in.ID, RequestID: route.RequestID(c)}, route.ProblemJSON)
}

func (a *API) started(c *fiber.Ctx, res instances.StartResult) error {
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
func (a *API) startDraftInstance(c *fiber.Ctx) error {
	var body DraftRunBody
	if err := route.JSONBody(c, &body); err != nil {
		return err
	}
	def := bytes.TrimSpace(body.Definition)
	if len(def) == 0 || string(def) == "null" {
		return route.WriteProblem(c, fiber.StatusUnprocessableEntity, "send the workflow definition to run in definition",
			problem.Field{Pointer: "/definition", Message: "definition is required"})
	}
	if def[0] == '"' {
		var text string
		if err := json.Unmarshal(def, &text); err != nil {
			return route.WriteProblem(c, fiber.StatusBadRequest, "definition is not a valid JSON string")
		}
		def = []byte(text)
	}
	res, err := a.Instances.StartDraft(c.UserContext(), route.Principal(c), route.Who(c), instances.DraftRequest{
		Definition: def, Input: body.Input, BusinessKey: body.BusinessKey, IdempotencyKey: c.Get("Idempotency-Key")})
	if err != nil {
		return route.Fail(c, err)
	}
	return a.started(c, res)
}

// getInstance handles GET /api/v1/instances/{id}.
func (a *API) getInstance(c *fiber.Ctx) error {
	in, err := a.Instances.Get(c.UserContext(), route.Principal(c), c.Params("id"))
	if err != nil {
		return route.Fail(c, fmt.Errorf("instance %s: %w", c.Params("id"), err))
	}
	return c.JSON(in)
}

// listInstances handles GET /api/v1/instances with filters.
func (a *API) listInstances(c *fiber.Ctx) error {
	limit, ferr := route.QueryLimit(c)
	if ferr != nil {
		return route.WriteProblem(c, fiber.StatusBadRequest, ferr.Message, *ferr)
	}
	f := instances.ListFilter{Namespace: c.Query("namespace"), Name: c.Query("name"), Version: c.Query("version"),
		Status: c.Query("status"), BusinessKey: c.Query("case"), Limit: limit, Cursor: c.Query("cursor")}
	switch f.Status {
	case "", "running", "completed", "faulted", "cancelled":
	default:
		return route.WriteProblem(c, fiber.StatusBadRequest, "status must be running, completed, faulted or cancelled",
			problem.Field{Pointer: "/status", Message: "status must be running, completed, faulted or cancelled"})
	}
	if d := c.Query("draft"); d != "" {
		if d != "true" && d != "false" {
			return route.WriteProblem(c, fiber.StatusBadRequest, "draft must be true or false", problem.Field{Pointer: "/draft", Message: "draft must be true or false"})
		}
		draft := d == "true"
		f.Draft = &draft
	}
	items, next, err := a.Instances.List(c.UserContext(), route.Principal(c), f)
	if err != nil {
		return route.Fail(c, err)
	}
	listed := make([]listedInstance, len(items))
	for i, in := range items {
		listed[i].Instance = in
	}
	return c.JSON(route.List[listedInstance]{Items: listed, Next: next})
}

// listedInstance is an instance in a list: without its trace, which a list
// does not read (an empty one would say it ran nothing); GET the instance
// for it.
type listedInstance struct {
	instances.Instance
	Trace *struct{} `json:"trace,omitempty"` // shadows Instance.Trace: always left out
}

// cancelInstance handles POST /api/v1/instances/{id}/cancel: 202, the
// instance ends as cancelled once it has unwound.
func (a *API) cancelInstance(c *fiber.Ctx) error {
	var body struct {
		Reason string `json:"reason"`
	}
	if len(bytes.TrimSpace(c.Body())) > 0 { // a body is optional: a reason, audited
		if err := route.RequireJSONBody(c); err != nil {
			return err
		}
		if err := route.DecodeBody(c.Body(), &body); err != nil {
			return err
		}
	}
	in, err := a.Instances.Cancel(c.UserContext(), route.Principal(c), route.Who(c), c.Params("id"), body.Reason)
	if err != nil {
		return route.Fail(c, fmt.Errorf("instance %s: %w", c.Params("id"), err))
	}
	return c.Status(fiber.StatusAccepted).JSON(in)
}

// retryInstance handles POST /api/v1/instances/{id}/retry {reason}: 200
// with the instance running again from the task it faulted in.
func (a *API) retryInstance(c *fiber.Ctx) error {
	var body struct {
		Reason string `json:"reason"`
	}
	if err := route.RequireJSONBody(c); err != nil {
		return err
	}
	if err := route.DecodeBody(c.Body(), &body); err != nil {
		return err
	}
	in, err := a.Instances.Retry(c.UserContext(), route.Principal(c), route.Who(c), c.Params("id"), body.Reason)
	if err != nil {
		return route.Fail(c, fmt.Errorf("instance %s: %w", c.Params("id"), err))
	}
	return c.JSON(in)
}

// sendEvent handles POST /api/v1/instances/{id}/events: one CloudEvent
// (application/cloudevents+json or application/json); 202 once delivered.
func (a *API) sendEvent(c *fiber.Ctx) error {
	if err := route.RequireJSONBody(c); err != nil {
		return err
	}
	if err := a.Instances.Event(c.UserContext(), route.Principal(c), route.Who(c), c.Params("id"), c.Body()); err != nil {
		return route.Fail(c, fmt.Errorf("instance %s: %w", c.Params("id"), err))
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"delivered": true})
}
