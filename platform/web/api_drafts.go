package web

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
func (s *Server) bindDrafts() {
	s.router.Add(fiber.MethodPost, "/api/v1/forms/:name/drafts", auth.SignedIn, s.startDraft, route.TakesJSON)
	s.router.Add(fiber.MethodGet, "/api/v1/drafts", auth.SignedIn, s.listDrafts)
	s.router.Add(fiber.MethodGet, "/api/v1/drafts/:id", auth.SignedIn, s.getDraft)
	s.router.Add(fiber.MethodPut, "/api/v1/drafts/:id", auth.SignedIn, s.saveDraft, route.TakesJSON)
	s.router.Add(fiber.MethodDelete, "/api/v1/drafts/:id", auth.SignedIn, s.deleteDraft, route.TakesNothing)
	s.router.Add(fiber.MethodPost, "/api/v1/drafts/:id/submit", auth.SignedIn, s.submitDraft, route.TakesJSON)
}

// DraftBody is what a client sends to start or save a draft.
type DraftBody struct {
	Data any    `json:"data"`
	Page string `json:"page,omitempty"`
}

// startDraft handles POST /api/v1/forms/{name}/drafts: {data, page}, not validated.
func (s *Server) startDraft(c *fiber.Ctx) error {
	data, page, err := draftBody(c)
	if err != nil {
		return err
	}
	d, serr := s.deps.Cases.StartDraft(c.UserContext(), route.Principal(c), route.Who(c), cases.DraftRequest{
		Form: c.Params("name"), Version: c.Query("version"), Case: c.Query("case"), Data: data, Page: page})
	if serr != nil {
		return route.Fail(c, serr)
	}
	c.Location("/api/v1/drafts/" + d.ID)
	return c.Status(fiber.StatusCreated).JSON(d)
}

// saveDraft handles PUT /api/v1/drafts/{id}.
func (s *Server) saveDraft(c *fiber.Ctx) error {
	data, page, err := draftBody(c)
	if err != nil {
		return err
	}
	d, serr := s.deps.Cases.SaveDraft(c.UserContext(), route.Principal(c), route.Who(c), c.Params("id"), cases.DraftRequest{Data: data, Page: page})
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
func (s *Server) getDraft(c *fiber.Ctx) error {
	d, err := s.deps.Cases.Draft(c.UserContext(), route.Principal(c), c.Params("id"))
	if err != nil {
		return route.Fail(c, fmt.Errorf("draft %s: %w", c.Params("id"), err))
	}
	return c.JSON(d)
}

// listDrafts handles GET /api/v1/drafts: the caller's own, latest first.
func (s *Server) listDrafts(c *fiber.Ctx) error {
	limit, ferr := route.QueryLimit(c)
	if ferr != nil {
		return route.WriteProblem(c, fiber.StatusBadRequest, ferr.Message, *ferr)
	}
	drafts, next, err := s.deps.Cases.Drafts(c.UserContext(), route.Principal(c), limit, c.Query("cursor"))
	if err != nil {
		return route.Fail(c, err)
	}
	return c.JSON(route.List[cases.Draft]{Items: drafts, Next: next})
}

// deleteDraft handles DELETE /api/v1/drafts/{id}.
func (s *Server) deleteDraft(c *fiber.Ctx) error {
	if err := s.deps.Cases.DeleteDraft(c.UserContext(), route.Principal(c), route.Who(c), c.Params("id")); err != nil {
		return route.Fail(c, fmt.Errorf("draft %s: %w", c.Params("id"), err))
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// submitDraft handles POST /api/v1/drafts/{id}/submit.
func (s *Server) submitDraft(c *fiber.Ctx) error {
	res, err := s.deps.Cases.SubmitDraft(c.UserContext(), route.Principal(c), route.Who(c), c.Params("id"), c.Get("Idempotency-Key"))
	if err != nil {
		return route.Fail(c, fmt.Errorf("draft %s: %w", c.Params("id"), err))
	}
	return s.submitted(c, res)
}
