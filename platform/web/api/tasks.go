package api

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"cop/platform/auth"
	"cop/platform/problem"
	"cop/platform/tasks"
	"cop/platform/web/route"
	"cop/workflows/engine"
)

// bindTasks: the instance's Update checks candidate groups, the claim and
// supervision; the list shows only what the caller may work; reassigning
// is for supervisors, operators and admins.
func (a *API) bindTasks(r *route.Router) {
	r.Add(fiber.MethodGet, "/api/v1/tasks", auth.SignedIn, a.listTasks)
	r.Add(fiber.MethodGet, "/api/v1/tasks/:id", auth.SignedIn, a.getTask)
	for _, action := range engine.TaskVerbs {
		rule := auth.SignedIn
		if action == engine.Reassign {
			rule = auth.AnyRole(auth.RoleSupervisor, auth.RoleOperator, auth.RoleAdmin)
		}
		r.Add(fiber.MethodPost, "/api/v1/tasks/:id/"+string(action), rule, a.actOnTask(action), route.TakesJSON)
	}
}

// listTasks handles GET /api/v1/tasks: the caller's and their teams'
// tasks by priority then due date (?status=, ?form=).
func (a *API) listTasks(c *fiber.Ctx) error {
	limit, ferr := route.QueryLimit(c)
	if ferr != nil {
		return route.WriteProblem(c, fiber.StatusBadRequest, ferr.Message, *ferr)
	}
	items, next, err := a.Tasks.Tasks(c.UserContext(), route.Principal(c), tasks.TaskFilter{
		Status: c.Query("status"), Form: c.Query("form"), Limit: limit, Cursor: c.Query("cursor")})
	if err != nil {
		return route.Fail(c, err)
	}
	return c.JSON(route.List[tasks.Task]{Items: items, Next: next})
}

// getTask handles GET /api/v1/tasks/{id}.
func (a *API) getTask(c *fiber.Ctx) error {
	t, err := a.Tasks.Task(c.UserContext(), route.Principal(c), c.Params("id"))
	if err != nil {
		return route.Fail(c, fmt.Errorf("task %s: %w", c.Params("id"), err))
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
func (a *API) actOnTask(action engine.TaskVerb) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var body TaskActionBody
		if len(bytes.TrimSpace(c.Body())) > 0 || action == engine.Complete || action == engine.Reassign {
			if err := route.JSONBody(c, &body); err != nil {
				return err
			}
		}
		if action == engine.Reassign && body.To == "" {
			return route.WriteProblem(c, fiber.StatusUnprocessableEntity, "say whom to reassign the task to", problem.Field{Pointer: "/to", Message: "to is required: the new assignee's user id (sub)"})
		}
		t, err := a.Tasks.ActOnTask(c.UserContext(), route.Principal(c), c.Params("id"),
			tasks.TaskActionRequest{Action: action, Data: body.Data, To: body.To, IdempotencyKey: c.Get("Idempotency-Key")})
		if err != nil {
			// Refusals are audited by the safety net with their status.
			return route.Fail(c, fmt.Errorf("task %s: %w", c.Params("id"), err))
		}
		return c.JSON(t)
	}
}
