package api

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"cop/platform/auth"
	"cop/platform/problem"
	"cop/platform/web/route"
	"cop/platform/webhooks"
)

// bindWebhooks: integrators manage their own subscriptions, admins all;
// anyone else's is not found.
func (a *API) bindWebhooks(r *route.Router) {
	managers := auth.AnyRole(auth.RoleIntegrator, auth.RoleAdmin)
	r.Add(fiber.MethodPost, "/api/v1/webhooks", managers, a.createWebhook, route.TakesJSON)
	r.Add(fiber.MethodGet, "/api/v1/webhooks", managers, a.listWebhooks)
	r.Add(fiber.MethodGet, "/api/v1/webhooks/:id", managers, a.getWebhook)
	r.Add(fiber.MethodPatch, "/api/v1/webhooks/:id", managers, a.updateWebhook, route.TakesJSON)
	r.Add(fiber.MethodDelete, "/api/v1/webhooks/:id", managers, a.deleteWebhook, route.TakesNothing)
	r.Add(fiber.MethodPost, "/api/v1/webhooks/:id/rotate-secret", managers, a.rotateWebhookSecret, route.TakesJSON)
	r.Add(fiber.MethodGet, "/api/v1/webhooks/:id/deliveries", managers, a.listWebhookDeliveries)
	r.Add(fiber.MethodPost, "/api/v1/webhooks/:id/deliveries/:deliveryId/replay", managers, a.replayWebhookDelivery, route.TakesJSON)
}

// createWebhook handles POST /api/v1/webhooks: {url, types, description}
// → 201 with the secret, shown this once.
func (a *API) createWebhook(c *fiber.Ctx) error {
	var spec webhooks.Spec
	if err := route.JSONBody(c, &spec); err != nil {
		return err
	}
	sub, err := a.Webhooks.Create(c.UserContext(), route.Principal(c), route.Who(c), spec)
	if err != nil {
		return route.Fail(c, err)
	}
	c.Location("/api/v1/webhooks/" + sub.ID)
	return c.Status(fiber.StatusCreated).JSON(sub)
}

// listWebhooks handles GET /api/v1/webhooks: the caller's (an admin: all).
func (a *API) listWebhooks(c *fiber.Ctx) error {
	limit, ferr := route.QueryLimit(c)
	if ferr != nil {
		return route.WriteProblem(c, fiber.StatusBadRequest, ferr.Message, *ferr)
	}
	subs, next, err := a.Webhooks.List(c.UserContext(), route.Principal(c), limit, c.Query("cursor"))
	if err != nil {
		return route.Fail(c, err)
	}
	return c.JSON(route.List[webhooks.Subscription]{Items: subs, Next: next})
}

// getWebhook handles GET /api/v1/webhooks/{id}.
func (a *API) getWebhook(c *fiber.Ctx) error {
	sub, err := a.Webhooks.Get(c.UserContext(), route.Principal(c), c.Params("id"))
	if err != nil {
		return route.Fail(c, fmt.Errorf("webhook subscription %s: %w", c.Params("id"), err))
	}
	return c.JSON(sub)
}

// updateWebhook handles PATCH /api/v1/webhooks/{id}: any of url, types,
// description and enabled.
func (a *API) updateWebhook(c *fiber.Ctx) error {
	var ch webhooks.Change
	if err := route.JSONBody(c, &ch); err != nil {
		return err
	}
	// Each field sent changes something: null is not a value, and an empty
	// change is a mistake.
	var sent map[string]json.RawMessage
	_ = json.Unmarshal(c.Body(), &sent)
	if len(sent) == 0 {
		return route.Fail(c, problem.Invalidf(problem.At("", "send one or more of url, types, description and enabled"), "the change changes nothing"))
	}
	var nulls []problem.Field
	for _, k := range []string{"url", "types", "description", "enabled"} {
		if v, ok := sent[k]; ok && string(v) == "null" {
			nulls = append(nulls, problem.Field{Pointer: "/" + k, Message: k + " must not be null: leave it out to keep it"})
		}
	}
	if len(nulls) > 0 {
		return route.Fail(c, problem.Invalidf(nulls, "the change has null fields"))
	}
	sub, err := a.Webhooks.Update(c.UserContext(), route.Principal(c), route.Who(c), c.Params("id"), ch)
	if err != nil {
		return route.Fail(c, err)
	}
	return c.JSON(sub)
}

// deleteWebhook handles DELETE /api/v1/webhooks/{id}.
func (a *API) deleteWebhook(c *fiber.Ctx) error {
	if err := a.Webhooks.Delete(c.UserContext(), route.Principal(c), route.Who(c), c.Params("id")); err != nil {
		return route.Fail(c, err)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// rotateWebhookSecret handles POST /api/v1/webhooks/{id}/rotate-secret:
// optionally {graceSeconds}, how long the old secret still signs
// (default a day).
func (a *API) rotateWebhookSecret(c *fiber.Ctx) error {
	var body struct {
		GraceSeconds *int64 `json:"graceSeconds"`
	}
	if len(c.Body()) > 0 {
		if err := route.DecodeBody(c.Body(), &body); err != nil {
			return err
		}
	}
	var grace time.Duration
	if body.GraceSeconds != nil {
		if *body.GraceSeconds < 1 {
			return route.Fail(c, problem.Invalidf(problem.At("/graceSeconds", "graceSeconds must be at least 1"), "the grace period is out of range"))
		}
		grace = time.Duration(min(*body.GraceSeconds, 1<<32)) * time.Second
	}
	sub, err := a.Webhooks.Rotate(c.UserContext(), route.Principal(c), route.Who(c), c.Params("id"), grace)
	if err != nil {
		return route.Fail(c, err)
	}
	return c.JSON(sub)
}

// listWebhookDeliveries handles GET /api/v1/webhooks/{id}/deliveries:
// newest first, each with its attempts; ?status= pending, delivered or dead.
func (a *API) listWebhookDeliveries(c *fiber.Ctx) error {
	limit, ferr := route.QueryLimit(c)
	if ferr != nil {
		return route.WriteProblem(c, fiber.StatusBadRequest, ferr.Message, *ferr)
	}
	list, next, err := a.Webhooks.Deliveries(c.UserContext(), route.Principal(c), c.Params("id"), c.Query("status"), limit, c.Query("cursor"))
	if err != nil {
		return route.Fail(c, err)
	}
	return c.JSON(route.List[webhooks.Delivery]{Items: list, Next: next})
}

// replayWebhookDelivery handles POST
// /api/v1/webhooks/{id}/deliveries/{deliveryId}/replay → 202 with the
// delivery, pending again with the same webhook-id.
func (a *API) replayWebhookDelivery(c *fiber.Ctx) error {
	if len(c.Body()) > 0 {
		if err := route.DecodeBody(c.Body(), &struct{}{}); err != nil {
			return err
		}
	}
	d, err := a.Webhooks.Replay(c.UserContext(), route.Principal(c), route.Who(c), c.Params("id"), c.Params("deliveryId"))
	if err != nil {
		return route.Fail(c, err)
	}
	return c.Status(fiber.StatusAccepted).JSON(d)
}
