package pages

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"cop/forms"
	"cop/forms/journey"
	"cop/platform/cases"
	"cop/platform/definitions"
	"cop/platform/problem"
	"cop/platform/web/route"
	"cop/ui"
)

// A form's preview: the author walks an uploaded form, or a published
// version, page by page exactly as an officer would (the same journey,
// reveals, follow-up pages, add another, Check your answers and errors),
// marked as a preview on every page. The answers are kept on the upload
// (definitions.Upload.Preview), never as a draft: nothing is submitted, no
// file is stored and no workflow starts.

// bindPreviewPages: starting a preview and its pages.
func (pg *Pages) bindPreviewPages(r *route.Router) {
	r.Add(fiber.MethodPost, "/author/uploads/:id/preview", authors, pg.previewUpload, route.TakesPageForm)
	r.Add(fiber.MethodPost, "/author/forms/:name/versions/:version/preview", authors, pg.previewVersion, route.TakesPageForm)
	base := "/author/previews/:id"
	r.Add(fiber.MethodGet, base+"/pages/:page", authors, pg.formPage(pg.previewJourney, false))
	r.Add(fiber.MethodPost, base+"/pages/:page", authors, pg.savePage(pg.previewJourney, false), route.TakesPageForm)
	r.Add(fiber.MethodGet, base+"/pages/:page/more", authors, pg.formPage(pg.previewJourney, true))
	r.Add(fiber.MethodPost, base+"/pages/:page/more", authors, pg.savePage(pg.previewJourney, true), route.TakesPageForm)
	r.Add(fiber.MethodGet, base+"/check", authors, pg.previewCheck)
	r.Add(fiber.MethodPost, base+"/submit", authors, pg.previewSubmit, route.TakesPageForm)
}

// previewUpload starts (or starts again) the preview of an uploaded form.
func (pg *Pages) previewUpload(c *fiber.Ctx) error {
	if err := pg.checkCSRF(c); err != nil {
		return pg.pageError(c, err)
	}
	owner := route.Principal(c).Subject
	u, err := pg.Definitions.StagedUpload(c.UserContext(), owner, c.Params("id"))
	if err != nil {
		return pg.pageError(c, err)
	}
	if u.Kind != definitions.KindForm {
		return pg.pageError(c, problem.NotFoundf("upload %s is not a form", u.ID))
	}
	return pg.beginPreview(c, u)
}

// previewVersion starts the preview of a published form version, as it
// was compiled.
func (pg *Pages) previewVersion(c *fiber.Ctx) error {
	if err := pg.checkCSRF(c); err != nil {
		return pg.pageError(c, err)
	}
	_, def, err := pg.Definitions.Form(c.UserContext(), c.Params("name"), c.Params("version"))
	if err != nil {
		return pg.pageError(c, err)
	}
	owner := route.Principal(c).Subject
	u, err := pg.Definitions.Stage(c.UserContext(), definitions.Upload{Owner: owner, Kind: definitions.KindForm, Name: def.Name,
		Version: def.Version, Source: def.Content}, true)
	if err != nil {
		return err
	}
	return pg.beginPreview(c, u)
}

// beginPreview clears the preview's answers and opens its first page.
func (pg *Pages) beginPreview(c *fiber.Ctx, u definitions.Upload) error {
	f, err := pg.previewForm(c, u)
	if err != nil {
		return pg.pageError(c, err)
	}
	first := f.Pages(nil, nil)[0].ID
	if err := pg.Definitions.SavePreview(c.UserContext(), u.Owner, u.ID, []byte("{}"), first); err != nil {
		return err
	}
	return c.Redirect("/author/previews/"+u.ID+"/pages/"+url.PathEscape(first), fiber.StatusSeeOther)
}

// previewForm is the form an upload previews: the published version as
// it was compiled, else the upload compiled against the registry as it is.
func (pg *Pages) previewForm(c *fiber.Ctx, u definitions.Upload) (*forms.Form, error) {
	if u.PublishedAt != nil {
		f, _, err := pg.Definitions.Form(c.UserContext(), u.Name, u.Version)
		return f, err
	}
	def, err := forms.ParseForm(payload(pg.authorKind(definitions.KindForm), u.Source))
	if err != nil {
		return nil, definitions.Invalid(definitions.KindForm, err)
	}
	f, err := pg.Definitions.CompileUnstored(c.UserContext(), def)
	if err != nil {
		return nil, definitions.Invalid(definitions.KindForm, err)
	}
	return f, nil
}

// previewJourney is the journey of the preview a page's path names.
func (pg *Pages) previewJourney(c *fiber.Ctx) (*draftJourney, error) {
	u, err := pg.Definitions.StagedUpload(c.UserContext(), route.Principal(c).Subject, c.Params("id"))
	if err != nil {
		return nil, err
	}
	if u.Kind != definitions.KindForm {
		return nil, problem.NotFoundf("upload %s is not a form", u.ID)
	}
	f, err := pg.previewForm(c, u)
	if err != nil {
		return nil, err
	}
	data := map[string]any{}
	dec := json.NewDecoder(bytes.NewReader(u.Preview))
	dec.UseNumber()
	if err := dec.Decode(&data); err != nil {
		return nil, fmt.Errorf("read the preview of upload %s: %w", u.ID, err)
	}
	start := "/author/uploads/" + u.ID
	if u.PublishedAt != nil {
		start = "/author/forms/" + url.PathEscape(u.Name) + "/versions/" + url.PathEscape(u.Version)
	}
	return &draftJourney{draft: cases.Draft{ID: u.ID, Form: u.Name, FormVersion: u.Version, Page: u.PreviewPage},
		Journey: journey.New(f, data), base: "/author/previews/" + u.ID, start: start, preview: true,
		save: pg.savePreviewAnswers, files: previewFiles}, nil
}

// savePreviewAnswers keeps the preview's answers on its upload.
func (pg *Pages) savePreviewAnswers(c *fiber.Ctx, j *draftJourney, page string) error {
	raw, err := json.Marshal(j.Data)
	if err != nil {
		return fmt.Errorf("encode the preview of %s: %w", j.base, err)
	}
	return pg.Definitions.SavePreview(c.UserContext(), route.Principal(c).Subject, j.draft.ID, raw, page)
}

// previewFiles checks each file chosen on a preview page as an upload
// would be checked, and stores none: the answer names a file that is not
// there, which is all a preview needs.
func previewFiles(c *fiber.Ctx, j *draftJourney, fields []*forms.Field) []forms.FieldError {
	return chosenFiles(c, fields, func(_ *forms.Field, req cases.UploadRequest) (string, string) {
		if refused := cases.CheckFile(j.Form, req); refused != "" {
			return "", refused
		}
		return uuid.NewString(), ""
	}, j.Data)
}

// previewCheck is the preview's Check your answers.
func (pg *Pages) previewCheck(c *fiber.Ctx) error {
	j, err := pg.previewJourney(c)
	if err != nil {
		return pg.pageError(c, err)
	}
	return pg.drawCheck(c, fiber.StatusOK, j, nil)
}

// previewSubmit checks the answers as a submission would be checked and
// shows what the form would send; nothing is stored.
func (pg *Pages) previewSubmit(c *fiber.Ctx) error {
	if err := pg.checkCSRF(c); err != nil {
		return pg.pageError(c, err)
	}
	j, err := pg.previewJourney(c)
	if err != nil {
		return pg.pageError(c, err)
	}
	if errs := j.Form.Validate(j.Data, time.Now()); len(errs) > 0 {
		return pg.drawCheck(c, fiber.StatusUnprocessableEntity, j, errs)
	}
	sent, err := json.MarshalIndent(j.Data, "", "  ")
	if err != nil {
		return err
	}
	return pg.Render(c, fiber.StatusOK, "preview-done", ui.PreviewDoneData{FormTitle: j.Form.Def.Title,
		Sections: ui.SubmittedAnswers(j.Form.Pages(j.Data, nil), nil), Sent: ui.Listing(string(sent), nil),
		Again: "/author/uploads/" + j.draft.ID + "/preview", Back: j.start})
}
