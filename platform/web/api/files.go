package api

import (
	"fmt"
	"io"
	"mime"

	"github.com/gofiber/fiber/v2"

	"cop/platform/auth"
	"cop/platform/cases"
	"cop/platform/problem"
	"cop/platform/web/route"
)

// bindFiles: signed in; a file is read by its uploader until it is in a
// submission, then by whoever may read the submission.
func (a *API) bindFiles(r *route.Router) {
	r.Add(fiber.MethodPost, "/api/v1/files", auth.SignedIn, a.uploadFile, route.TakesMultipart)
	r.Add(fiber.MethodGet, "/api/v1/files/:id", auth.SignedIn, a.downloadFile)
}

// uploadFile handles POST /api/v1/files (multipart/form-data with form,
// field, optional version, and the file).
func (a *API) uploadFile(c *fiber.Ctx) error {
	fh, err := c.FormFile("file")
	if err != nil {
		return route.WriteProblem(c, fiber.StatusBadRequest, "send multipart/form-data with the fields form, field and file (and optionally version)",
			problem.Field{Pointer: "/file", Message: "Select a file"})
	}
	var missing []problem.Field
	for _, name := range []string{"form", "field"} {
		if c.FormValue(name) == "" {
			missing = append(missing, problem.Field{Pointer: "/" + name, Message: name + " is required"})
		}
	}
	if len(missing) > 0 {
		return route.WriteProblem(c, fiber.StatusBadRequest, "the upload does not say which form field the file is for", missing...)
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
	file, err := a.Cases.Upload(c.UserContext(), route.Principal(c), route.Who(c), cases.UploadRequest{
		Form: c.FormValue("form"), Version: c.FormValue("version"), Field: c.FormValue("field"),
		Filename: fh.Filename, ContentType: fh.Header.Get(fiber.HeaderContentType), Content: content,
	})
	if err != nil {
		return route.Fail(c, err)
	}
	c.Location("/api/v1/files/" + file.ID)
	return c.Status(fiber.StatusCreated).JSON(file)
}

// downloadFile handles GET /api/v1/files/{id}: the bytes, as an attachment.
func (a *API) downloadFile(c *fiber.Ctx) error {
	file, content, err := a.Cases.FileContent(c.UserContext(), route.Principal(c), c.Params("id"))
	if err != nil {
		return route.Fail(c, fmt.Errorf("file %s: %w", c.Params("id"), err))
	}
	c.Set(fiber.HeaderContentType, file.ContentType)
	c.Set(fiber.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": file.Filename}))
	c.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	c.Set("X-Checksum-SHA256", file.SHA256)
	if file.Scan == cases.FilePending {
		c.Set("X-Virus-Scan", cases.NotYetScanned) // stored before uploads were scanned
	} else {
		c.Set("X-Virus-Scan", file.Scan)
	}
	return c.Send(content)
}
