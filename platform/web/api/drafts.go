package api

import (
	"encoding/json"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"cop/platform/auth"
	"cop/platform/cases"
	"cop/platform/problem"
	"cop/platform/web/route"
)

// bindDrafts: signed in; a draft is its owner's alone (404 to anyone else).
func (a *API) bindDrafts(r *route.Router) {
	r.Add(fiber.MethodPost, "/api/v1/forms/:name/drafts", auth.SignedIn, a.startDraft, route.TakesJSON)
	r.Add(fiber.MethodGet, "/api/v1/drafts", auth.SignedIn, a.listDrafts)
	r.Add(fiber.MethodGet, "/api/v1/drafts/:id", auth.SignedIn, a.getDraft)
	r.Add(fiber.MethodPut, "/api/v1/drafts/:id", auth.SignedIn, a.saveDraft, route.TakesJSON)
	r.Add(fiber.MethodDelete, "/api/v1/drafts/:id", auth.SignedIn, a.deleteDraft, route.TakesNothing)
	r.Add(fiber.MethodPost, "/api/v1/drafts/:id/submit", auth.SignedIn, a.submitDraft, route.TakesJSON)
}

// DraftBody is what a client sends to start or save a draft.
type DraftBody struct {
	Data any    `json:"data"`
	Page string `json:"page,omitempty"`
}

// startDraft handles POST /api/v1/forms/{name}/drafts: {data, page}, not validated.
func (a *API) startDraft(c *fiber.Ctx) error {
	data, page, err := draftBody(c)
	if err != nil {
		return err
	}
	d, serr := a.Cases.StartDraft(c.UserContext(), route.Principal(c), route.Who(c), cases.DraftRequest{
		Form: c.Params("name"), Version: c.Query("version"), Case: c.Query("case"), Data: data, Page: page})
	if serr != nil {
		return route.Fail(c, serr)
	}
	c.Location("/api/v1/drafts/" + d.ID)
	return c.Status(fiber.StatusCreated).JSON(d)
}

// saveDraft handles PUT /api/v1/drafts/{id}.
func (a *API) saveDraft(c *fiber.Ctx) error {
	data, page, err := draftBody(c)
	if err != nil {
		return err
	}
	d, serr := a.Cases.SaveDraft(c.UserContext(), route.Principal(c), route.Who(c), c.Params("id"), cases.DraftRequest{Data: data, Page: page})
	if serr != nil {
		return route.Fail(c, fmt.Errorf("draft %s: %w", c.Params("id"), serr))
	}
	return c.JSON(d)
}

// draftBody reads {data, page}; data must be an object, answers unchecked.
func draftBody(c *fiber.Ctx) ([]byte, string, error) {
	var body struct {
		Data json.RawMessage `json:"data"`
		Page string          `json:"page"`
	}
	if err := route.DecodeBody(c.Body(), &body); err != nil {
		return nil, "", err
	}
	if len(body.Data) == 0 {
		return nil, "", route.Refuse(fiber.StatusUnprocessableEntity, "a draft needs data (an object, possibly empty)",
			problem.Field{Pointer: "/data", Message: "data is required"})
	}
	return body.Data, body.Page, nil
}

// getDraft handles GET /api/v1/drafts/{id}.
func (a *API) getDraft(c *fiber.Ctx) error {
	d, err := a.Cases.Draft(c.UserContext(), route.Principal(c), c.Params("id"))
	if err != nil {
		return route.Fail(c, fmt.Errorf("draft %s: %w", c.Params("id"), err))
	}
	return c.JSON(d)
}

// listDrafts handles GET /api/v1/drafts: the caller's own, latest first.
func (a *API) listDrafts(c *fiber.Ctx) error {
	limit, ferr := route.QueryLimit(c)
	if ferr != nil {
		return route.WriteProblem(c, fiber.StatusBadRequest, ferr.Message, *ferr)
	}
	drafts, next, err := a.Cases.Drafts(c.UserContext(), route.Principal(c), limit, c.Query("cursor"))
	if err != nil {
		return route.Fail(c, err)
	}
	return c.JSON(route.List[cases.Draft]{Items: drafts, Next: next})
}

// deleteDraft handles DELETE /api/v1/drafts/{id}.
func (a *API) deleteDraft(c *fiber.Ctx) error {
	if err := a.Cases.DeleteDraft(c.UserContext(), route.Principal(c), route.Who(c), c.Params("id")); err != nil {
		return route.Fail(c, fmt.Errorf("draft %s: %w", c.Params("id"), err))
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// submitDraft handles POST /api/v1/drafts/{id}/submit.
func (a *API) submitDraft(c *fiber.Ctx) error {
	res, err := a.Cases.SubmitDraft(c.UserContext(), route.Principal(c), route.Who(c), c.Params("id"), c.Get("Idempotency-Key"))
	if err != nil {
		return route.Fail(c, fmt.Errorf("draft %s: %w", c.Params("id"), err))
	}
	return a.submitted(c, res)
}
