package web

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"

	"github.com/gofiber/fiber/v2"

	"cop/platform/cases"
	"cop/platform/problem"
)

// submit handles POST /api/v1/forms/{name}/submissions: the body is the
// answers; ?version= picks a version, ?case= joins an existing case.
func (s *Server) submit(c *fiber.Ctx) error {
	if err := requireJSONBody(c); err != nil {
		return err
	}
	res, err := s.deps.Cases.Submit(c.UserContext(), principal(c), who(c), cases.SubmitRequest{
		Form: c.Params("name"), Version: c.Query("version"), Case: c.Query("case"),
		Data: c.Body(), IdempotencyKey: c.Get("Idempotency-Key"),
	})
	if err != nil {
		return fail(c, err)
	}
	return s.submitted(c, res)
}

// submitted answers 201 with the submission, the same for a replay (marked
// with Idempotent-Replayed so a client can tell).
func (s *Server) submitted(c *fiber.Ctx, res cases.SubmitResult) error {
	if res.Replayed {
		c.Set("Idempotent-Replayed", "true")
	}
	c.Location("/api/v1/submissions/" + res.ID)
	return c.Status(fiber.StatusCreated).JSON(res.Submission)
}

// getSubmission handles GET /api/v1/submissions/{id}.
func (s *Server) getSubmission(c *fiber.Ctx) error {
	sub, err := s.deps.Cases.Submission(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return fail(c, fmt.Errorf("submission %s: %w", c.Params("id"), err))
	}
	return c.JSON(sub)
}

// getCase handles GET /api/v1/cases/{businessKey}.
func (s *Server) getCase(c *fiber.Ctx) error {
	cs, err := s.deps.Cases.Case(c.UserContext(), principal(c), c.Params("businessKey"))
	if err != nil {
		return fail(c, fmt.Errorf("case %s: %w", c.Params("businessKey"), err))
	}
	return c.JSON(cs)
}

// uploadFile handles POST /api/v1/files (multipart/form-data with form,
// field, optional version, and the file).
func (s *Server) uploadFile(c *fiber.Ctx) error {
	fh, err := c.FormFile("file")
	if err != nil {
		return writeProblem(c, fiber.StatusBadRequest, "send multipart/form-data with the fields form, field and file (and optionally version)",
			problem.Field{Pointer: "/file", Message: "Select a file"})
	}
	var missing []problem.Field
	for _, name := range []string{"form", "field"} {
		if c.FormValue(name) == "" {
			missing = append(missing, problem.Field{Pointer: "/" + name, Message: name + " is required"})
		}
	}
	if len(missing) > 0 {
		return writeProblem(c, fiber.StatusBadRequest, "the upload does not say which form field the file is for", missing...)
	}
	f, err := fh.Open()
	if err != nil {
		return fmt.Errorf("open upload: %w", err)
	}
	defer f.Close()
	content, err := io.ReadAll(f)
	if err != nil {
		return fmt.Errorf("read upload: %w", err)
	}
	file, err := s.deps.Cases.Upload(c.UserContext(), principal(c), who(c), cases.UploadRequest{
		Form: c.FormValue("form"), Version: c.FormValue("version"), Field: c.FormValue("field"),
		Filename: fh.Filename, ContentType: fh.Header.Get(fiber.HeaderContentType), Content: content,
	})
	if err != nil {
		return fail(c, err)
	}
	c.Location("/api/v1/files/" + file.ID)
	return c.Status(fiber.StatusCreated).JSON(file)
}

// downloadFile handles GET /api/v1/files/{id}: the bytes, as an attachment.
func (s *Server) downloadFile(c *fiber.Ctx) error {
	file, content, err := s.deps.Cases.FileContent(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return fail(c, fmt.Errorf("file %s: %w", c.Params("id"), err))
	}
	c.Set(fiber.HeaderContentType, file.ContentType)
	c.Set(fiber.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": file.Filename}))
	c.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	c.Set("X-Checksum-SHA256", file.SHA256)
	return c.Send(content)
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
	d, serr := s.deps.Cases.StartDraft(c.UserContext(), principal(c), who(c), cases.DraftRequest{
		Form: c.Params("name"), Version: c.Query("version"), Case: c.Query("case"), Data: data, Page: page})
	if serr != nil {
		return fail(c, serr)
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
	d, serr := s.deps.Cases.SaveDraft(c.UserContext(), principal(c), who(c), c.Params("id"), cases.DraftRequest{Data: data, Page: page})
	if serr != nil {
		return fail(c, fmt.Errorf("draft %s: %w", c.Params("id"), serr))
	}
	return c.JSON(d)
}

// draftBody reads {data, page}; data must be an object, answers unchecked.
func draftBody(c *fiber.Ctx) ([]byte, string, error) {
	var body struct {
		Data json.RawMessage `json:"data"`
		Page string          `json:"page"`
	}
	if err := decodeBody(c.Body(), &body); err != nil {
		return nil, "", err
	}
	if len(body.Data) == 0 {
		return nil, "", refuse(fiber.StatusUnprocessableEntity, "a draft needs data (an object, possibly empty)",
			problem.Field{Pointer: "/data", Message: "data is required"})
	}
	return body.Data, body.Page, nil
}

// getDraft handles GET /api/v1/drafts/{id}.
func (s *Server) getDraft(c *fiber.Ctx) error {
	d, err := s.deps.Cases.Draft(c.UserContext(), principal(c), c.Params("id"))
	if err != nil {
		return fail(c, fmt.Errorf("draft %s: %w", c.Params("id"), err))
	}
	return c.JSON(d)
}

// listDrafts handles GET /api/v1/drafts: the caller's own, latest first.
func (s *Server) listDrafts(c *fiber.Ctx) error {
	limit, ferr := queryLimit(c)
	if ferr != nil {
		return writeProblem(c, fiber.StatusBadRequest, ferr.Message, *ferr)
	}
	drafts, next, err := s.deps.Cases.Drafts(c.UserContext(), principal(c), limit, c.Query("cursor"))
	if err != nil {
		return fail(c, err)
	}
	return c.JSON(List[cases.Draft]{Items: drafts, Next: next})
}

// deleteDraft handles DELETE /api/v1/drafts/{id}.
func (s *Server) deleteDraft(c *fiber.Ctx) error {
	if err := s.deps.Cases.DeleteDraft(c.UserContext(), principal(c), who(c), c.Params("id")); err != nil {
		return fail(c, fmt.Errorf("draft %s: %w", c.Params("id"), err))
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// submitDraft handles POST /api/v1/drafts/{id}/submit.
func (s *Server) submitDraft(c *fiber.Ctx) error {
	res, err := s.deps.Cases.SubmitDraft(c.UserContext(), principal(c), who(c), c.Params("id"), c.Get("Idempotency-Key"))
	if err != nil {
		return fail(c, fmt.Errorf("draft %s: %w", c.Params("id"), err))
	}
	return s.submitted(c, res)
}
