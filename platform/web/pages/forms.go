package pages

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"cop/forms"
	"cop/forms/journey"
	"cop/forms/lang"
	"cop/platform/auth"
	"cop/platform/cases"
	"cop/platform/definitions"
	"cop/platform/problem"
	"cop/platform/web/route"
	"cop/ui"
	"cop/workflows"
)

// bindFormPages: starting a form, its pages, Check your answers and the
// confirmation. Signed in; the form's access.start and the drafts' owner
// decide the rest.
func (pg *Pages) bindFormPages(r *route.Router) {
	r.Add(fiber.MethodGet, "/start", auth.SignedIn, pg.startPage)
	r.Add(fiber.MethodGet, "/forms/:name", auth.SignedIn, pg.formStart)
	r.Add(fiber.MethodPost, "/forms/:name/start", auth.SignedIn, pg.beginForm, route.TakesPageForm)
	r.Add(fiber.MethodGet, "/drafts/:id", auth.SignedIn, pg.resumeDraft)
	r.Add(fiber.MethodGet, "/drafts/:id/pages/:page", auth.SignedIn, pg.formPage(pg.journey, false))
	r.Add(fiber.MethodPost, "/drafts/:id/pages/:page", auth.SignedIn, pg.savePage(pg.journey, false), route.TakesPageForm)
	r.Add(fiber.MethodGet, "/drafts/:id/pages/:page/more", auth.SignedIn, pg.formPage(pg.journey, true))
	r.Add(fiber.MethodPost, "/drafts/:id/pages/:page/more", auth.SignedIn, pg.savePage(pg.journey, true), route.TakesPageForm)
	r.Add(fiber.MethodGet, "/drafts/:id/check", auth.SignedIn, pg.checkAnswers)
	r.Add(fiber.MethodPost, "/drafts/:id/submit", auth.SignedIn, pg.submitDraftPage, route.TakesPageForm)
	r.Add(fiber.MethodGet, "/drafts/:id/saved", auth.SignedIn, pg.savedPage)
	r.Add(fiber.MethodPost, "/drafts/:id/delete", auth.SignedIn, pg.deleteDraftPage, route.TakesPageForm)
	r.Add(fiber.MethodGet, "/submissions/:id", auth.SignedIn, pg.confirmation)
}

// Form journeys: a form's start page, one page per ui page, a page of
// follow-up questions when JavaScript did not reveal them in place, Check
// your answers, and the confirmation. The rules are forms/journey's; each
// page post saves the draft once, and validation is the forms validator's,
// on the server, page by page.

// startPage lists what the caller's roles may start, and their drafts.
func (pg *Pages) startPage(c *fiber.Ctx) error {
	ctx, p := c.UserContext(), route.Principal(c)
	var d ui.StartData
	startable, titles, err := pg.startableForms(c)
	if err != nil {
		return err
	}
	d.Forms = startable
	listed := map[string]int{} // form name → its index in d.Forms
	for i, f := range startable {
		listed[f.Name] = i
	}
	wfs, _, err := pg.Definitions.Workflows(ctx, "", 200, "")
	if err != nil {
		return err
	}
	for _, w := range wfs {
		item, startForm, ok := startableWorkflow(p.Matches, w.Content)
		switch {
		case !ok:
		case startForm == "":
			d.Workflows = append(d.Workflows, item)
		default:
			// Started by submitting its form: said beside the form, not
			// listed a second time.
			if i, isListed := listed[startForm]; isListed {
				f := &d.Forms[i]
				f.Description = strings.TrimSpace(f.Description + " Submitting it starts " + item.Title + ".")
			}
		}
	}
	drafts, _, err := pg.Cases.Drafts(ctx, p, 50, "")
	if err != nil {
		return err
	}
	for _, dr := range drafts {
		title := titles[dr.Form]
		if title == "" {
			title = dr.Form
		}
		d.Drafts = append(d.Drafts, ui.DraftItem{ID: dr.ID, Href: "/drafts/" + dr.ID, Title: title, Saved: dr.UpdatedAt,
			Summary: pg.draftSummary(c, dr)})
	}
	if c.Query("done") == "deleted" {
		d.Message = "The saved form was deleted."
	}
	return pg.Render(c, fiber.StatusOK, "start", d)
}

// startableForms are the forms the caller may start on their own, by
// title, with every form's title by name.
func (pg *Pages) startableForms(c *fiber.Ctx) ([]ui.StartItem, map[string]string, error) {
	defs, _, err := pg.Definitions.List(c.UserContext(), definitions.KindForm, 200, "")
	if err != nil {
		return nil, nil, err
	}
	p := route.Principal(c)
	titles := map[string]string{}
	var out []ui.StartItem
	for _, def := range defs {
		// The heading is all a list needs: compiling every form on every
		// view would cost a compile per form whenever the cache missed.
		h, err := forms.ReadHeading(def.Content)
		if err != nil {
			return nil, nil, fmt.Errorf("form %s@%s: %w", def.Name, def.Version, err)
		}
		h = h.In(route.Lang(c))
		titles[def.Name] = h.Title
		if h.Startable && (len(h.Start) == 0 || p.Matches(h.Start)) {
			out = append(out, ui.StartItem{Name: def.Name, Href: "/forms/" + url.PathEscape(def.Name), Title: h.Title, Description: h.Description})
		}
	}
	return out, titles, nil
}

// draftSummary is a draft's first two answers, in words, to tell it from
// other drafts of its form; "" when it has none or its form cannot be read.
func (pg *Pages) draftSummary(c *fiber.Ctx, dr cases.Draft) string {
	f, _, err := pg.form(c, dr.Form, dr.FormVersion)
	if err != nil {
		return ""
	}
	var data map[string]any
	if json.Unmarshal(dr.Data, &data) != nil || len(data) == 0 {
		return ""
	}
	var said []string
	for _, page := range f.Pages(data, nil) {
		forms.WalkFields(page.Fields, func(fd *forms.Field) {
			if len(said) < 2 && fd.Kind != forms.KindGroup && fd.Kind != forms.KindRepeating && fd.Value != nil && fd.Value != "" {
				said = append(said, fd.Label+": "+strings.ReplaceAll(ui.Answer(*fd), "\n", ", "))
			}
		})
	}
	return strings.Join(said, "; ")
}

// deleteDraftPage deletes a saved form from Start something new.
func (pg *Pages) deleteDraftPage(c *fiber.Ctx) error {
	if err := pg.checkCSRF(c); err != nil {
		return pg.pageError(c, err)
	}
	if err := pg.Cases.DeleteDraft(c.UserContext(), route.Principal(c), route.Who(c), c.Params("id")); err != nil {
		return pg.pageError(c, err)
	}
	return c.Redirect("/start?done=deleted", fiber.StatusSeeOther)
}

// startableWorkflow is a workflow the caller may start, and its start
// form if it has one. Workflows without a start form take JSON input and
// are started through the API, so they are listed without a link.
func startableWorkflow(matches func([]string) bool, content []byte) (ui.StartItem, string, bool) {
	w, _, err := workflows.Parse(content)
	if err != nil {
		return ui.StartItem{}, "", false
	}
	access, startForm := workflows.AccessOf(w), workflows.Refs(w).StartForm
	if len(access.Start) > 0 && !matches(access.Start) {
		return ui.StartItem{}, "", false
	}
	item := ui.StartItem{Title: w.Document.Title, Description: w.Document.Summary}
	if item.Title == "" {
		item.Title = w.Document.Namespace + "/" + w.Document.Name
	}
	if startForm == "" {
		item.Description = strings.TrimSpace(item.Description + " Started by other systems through the API.")
	}
	name, _, _ := strings.Cut(startForm, "@")
	return item, name, true
}

// formStart is a form's start page.
func (pg *Pages) formStart(c *fiber.Ctx) error {
	f, err := pg.startableForm(c, c.Params("name"))
	if err != nil {
		return pg.pageError(c, err)
	}
	pages := 1
	if f.Def.UI != nil && len(f.Def.UI.Pages) > 0 {
		pages = len(f.Def.UI.Pages)
	}
	return pg.Render(c, fiber.StatusOK, "form-start", ui.FormStartData{Name: f.Def.Name, Title: f.Def.Title,
		Description: f.Def.Description, Case: c.Query("case"), Pages: pages})
}

// startableForm is the latest version of a form the caller may start.
func (pg *Pages) startableForm(c *fiber.Ctx, name string) (*forms.Form, error) {
	f, _, err := pg.form(c, name, "")
	if err != nil {
		return nil, err
	}
	if start := f.Def.Access.Start; len(start) > 0 && !route.Principal(c).Matches(start) {
		return nil, cases.MayNotStart(name, start)
	}
	if !f.Def.UI.IsStartable() {
		return nil, problem.Forbiddenf("form %s is filled in inside a task, not started on its own; find it in your team's work", name)
	}
	return f, nil
}

// beginForm starts a draft of the form's latest version and opens its
// first page.
func (pg *Pages) beginForm(c *fiber.Ctx) error {
	if err := pg.checkCSRF(c); err != nil {
		return pg.pageError(c, err)
	}
	f, err := pg.startableForm(c, c.Params("name"))
	if err != nil {
		return pg.pageError(c, err)
	}
	first := f.Pages(nil, nil)[0].ID
	d, err := pg.Cases.StartDraft(c.UserContext(), route.Principal(c), route.Who(c), cases.DraftRequest{
		Form: f.Def.Name, Version: f.Def.Version, Case: c.FormValue("case"), Data: []byte("{}"), Page: first})
	if err != nil {
		return pg.pageError(c, err)
	}
	return c.Redirect(pageURL(d.ID, first), fiber.StatusSeeOther)
}

func pageURL(draft, page string) string {
	if page == journey.CheckPage {
		return "/drafts/" + draft + "/check"
	}
	return "/drafts/" + draft + "/pages/" + url.PathEscape(page)
}

// resumeDraft opens a draft at the last page saved.
func (pg *Pages) resumeDraft(c *fiber.Ctx) error {
	j, err := pg.journey(c)
	if err != nil {
		return pg.pageError(c, err)
	}
	page := j.draft.Page
	if page != journey.CheckPage && j.PageIndex(page) < 0 {
		page = j.Pages[0].ID
	}
	return c.Redirect(j.pageURL(page), fiber.StatusSeeOther)
}

// journey is one draft and its pinned form, loaded for a page.
// draftJourney is a draft and its form's journey through its answers.
type draftJourney struct {
	draft cases.Draft
	*journey.Journey
	// base is the journey's own path: a draft's, or an author's preview's.
	base string
	// start is where Back from the first page goes.
	start string
	// preview: an author walking a form; nothing is stored or submitted.
	preview bool
	// save keeps the answers and the page reached; files takes the files
	// chosen on a page.
	save  func(c *fiber.Ctx, j *draftJourney, page string) error
	files func(c *fiber.Ctx, j *draftJourney, fields []*forms.Field) []forms.FieldError
}

// pageURL is a page of this journey.
func (j *draftJourney) pageURL(page string) string {
	if page == journey.CheckPage {
		return j.base + "/check"
	}
	return j.base + "/pages/" + url.PathEscape(page)
}

func (pg *Pages) journey(c *fiber.Ctx) (*draftJourney, error) {
	d, err := pg.Cases.Draft(c.UserContext(), route.Principal(c), c.Params("id"))
	if err != nil {
		return nil, err
	}
	f, _, err := pg.form(c, d.Form, d.FormVersion)
	if err != nil {
		return nil, fmt.Errorf("load form %s@%s of draft %s: %w", d.Form, d.FormVersion, d.ID, err)
	}
	data := map[string]any{}
	dec := json.NewDecoder(bytes.NewReader(d.Data))
	dec.UseNumber()
	if err := dec.Decode(&data); err != nil {
		return nil, fmt.Errorf("read draft %s: %w", d.ID, err)
	}
	return &draftJourney{draft: d, Journey: journey.New(f, data), base: "/drafts/" + d.ID, start: "/forms/" + url.PathEscape(d.Form),
		save: pg.saveJourney, files: pg.uploadFiles}, nil
}

// journeyLoader loads the journey a page's path names: a draft's, or a
// preview's.
type journeyLoader func(c *fiber.Ctx) (*draftJourney, error)

// journeyPage is the journey and the index of the page the URL names.
func journeyPage(c *fiber.Ctx, load journeyLoader) (*draftJourney, int, error) {
	j, err := load(c)
	if err != nil {
		return nil, 0, err
	}
	i := j.PageIndex(c.Params("page"))
	if i < 0 {
		return nil, 0, fmt.Errorf("page %q of %s: %w", c.Params("page"), j.base, cases.ErrNotFound)
	}
	return j, i, nil
}

// back is the page before page i, or the form's start page.
func (j *draftJourney) back(i int) string {
	if i > 0 {
		return j.pageURL(j.Pages[i-1].ID)
	}
	return j.start
}

// formPage shows one page of the journey (followUp: the questions its
// answers reveal, for browsers without JavaScript).
func (pg *Pages) formPage(load journeyLoader, followUp bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		j, i, err := journeyPage(c, load)
		if err != nil {
			return pg.pageError(c, err)
		}
		return pg.drawFormPage(c, fiber.StatusOK, j, i, followUp, nil)
	}
}

func (pg *Pages) drawFormPage(c *fiber.Ctx, status int, j *draftJourney, i int, followUp bool, errs []forms.FieldError) error {
	page := j.Form.Pages(j.Data, errs)[i]
	d := ui.FormPageData{FormTitle: j.Form.Def.Title, Title: page.Title, Fields: page.Fields, Errors: errs, Preview: j.preview,
		Action: j.pageURL(page.ID), Back: j.back(i)}
	if len(j.Pages) > 1 {
		d.Caption = lang.For(route.Lang(c)).T("page.of", "Page", i+1, "Pages", len(j.Pages))
	}
	if followUp {
		d.Fields = journey.MoreFields(page.Fields, c.Query("js") == "1")
		d.Action += "/more"
		d.Back = j.pageURL(page.ID)
		d.Title = lang.For(route.Lang(c)).T("page.more") + ": " + page.Title
	}
	if len(d.Fields) == 1 && !followUp {
		// One question per page: it is the heading. A follow-up page keeps
		// "More about your answers", which says why it is asked.
		d.Fields[0].PageHeading = true
	}
	d.Action += pageQuery(c, followUp && c.Query("js") == "1")
	return pg.Render(c, status, "form-page", d)
}

// savePage handles a page's post: the journey reads the answers into the
// draft (files are uploaded as they are read), applies "add another",
// "remove" or "save", and decides the step; the draft is saved once, and
// the officer goes where the step says.
func (pg *Pages) savePage(load journeyLoader, followUp bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := pg.checkCSRF(c); err != nil {
			return pg.pageError(c, err)
		}
		j, i, err := journeyPage(c, load)
		if err != nil {
			return pg.pageError(c, err)
		}
		values, err := postedValues(c)
		if err != nil {
			return err
		}
		if j.preview && values.Get("action") == "save" {
			values["action"] = []string{"continue"} // a preview is not saved for later: it has no such button
		}
		post := journey.Post{Values: values, FollowUp: followUp, JSPage: c.FormValue("js") == "1",
			JSFollowUp: c.Query("js") == "1", Change: c.Query("change") != ""}
		problems, files := j.Read(i, post)
		problems = append(problems, j.files(c, j, files)...)
		step, err := j.Decide(i, post, problems, time.Now())
		if err != nil {
			return err
		}
		if err := j.save(c, j, step.SaveAt); err != nil {
			return pg.pageError(c, err)
		}
		page := j.pageURL(j.Pages[i].ID)
		switch step.Kind {
		case journey.Leave:
			return c.Redirect(j.base+"/saved", fiber.StatusSeeOther)
		case journey.Redraw:
			if followUp {
				page += "/more"
			}
			return c.Redirect(page+pageQuery(c, followUp && post.JSFollowUp)+"#"+ui.FieldID(step.Anchor), fiber.StatusSeeOther)
		case journey.Invalid:
			return pg.drawFormPage(c, fiber.StatusUnprocessableEntity, j, i, step.FollowUp, step.Errors)
		case journey.AskMore:
			return c.Redirect(page+"/more"+pageQuery(c, post.JSPage), fiber.StatusSeeOther)
		}
		return c.Redirect(j.pageURL(step.Page), fiber.StatusSeeOther)
	}
}

// pageQuery keeps a journey page's query: change (return to Check your
// answers) and, on the follow-up page, js (questions revealed in place
// are not asked again).
func pageQuery(c *fiber.Ctx, js bool) string {
	q := url.Values{}
	if c.Query("change") != "" {
		q.Set("change", "1")
	}
	if js {
		q.Set("js", "1")
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// topField is the top-level property a pointer is in ("" for the root).
func topField(pointer string) string {
	if parts, _ := forms.SplitPointer(pointer); len(parts) > 0 {
		return parts[0]
	}
	return ""
}

func (pg *Pages) saveJourney(c *fiber.Ctx, j *draftJourney, page string) error {
	raw, err := json.Marshal(j.Data)
	if err != nil {
		return fmt.Errorf("encode draft %s: %w", j.draft.ID, err)
	}
	d, err := pg.Cases.SaveDraft(c.UserContext(), route.Principal(c), route.Who(c), j.draft.ID, cases.DraftRequest{Data: raw, Page: page})
	if err != nil {
		return err
	}
	j.draft = d
	return nil
}

// uploadFiles stores each file chosen on the page against its field; a
// field left empty keeps the file uploaded before.
func (pg *Pages) uploadFiles(c *fiber.Ctx, j *draftJourney, fields []*forms.Field) []forms.FieldError {
	return chosenFiles(c, fields, func(f *forms.Field, req cases.UploadRequest) (string, string) {
		req.Form, req.Version = j.draft.Form, j.draft.FormVersion
		file, err := pg.Cases.Upload(c.UserContext(), route.Principal(c), route.Who(c), req)
		if invalid, ok := problem.As(err); ok && invalid.Kind == problem.Invalid && len(invalid.Fields) > 0 {
			return "", invalid.Fields[0].Message
		}
		if down, ok := problem.As(err); ok && down.Kind == problem.Unavailable {
			return "", down.Detail // the virus scanner is down: it says to try again
		}
		if err != nil {
			pg.Log.Error("page upload failed", "request_id", route.RequestID(c), "err", err)
			return "", "The selected file could not be uploaded; try again"
		}
		return file.ID, ""
	}, j.Data)
}

// chosenFiles hands each file chosen on the page to take, which answers
// the file's id or why it is refused; the id becomes the field's answer in
// data. A field left empty keeps the file it had.
func chosenFiles(c *fiber.Ctx, fields []*forms.Field, take func(*forms.Field, cases.UploadRequest) (id, refused string), data map[string]any) []forms.FieldError {
	if len(fields) == 0 {
		return nil
	}
	mf, err := c.MultipartForm()
	if err != nil {
		return nil
	}
	var problems []forms.FieldError
	for _, f := range fields {
		fhs := mf.File[f.Pointer]
		if len(fhs) == 0 || fhs[0].Size == 0 {
			continue
		}
		content, err := readUpload(fhs[0])
		if err != nil {
			problems = append(problems, forms.FieldError{Pointer: f.Pointer, Message: "The selected file could not be read; choose it again"})
			continue
		}
		id, refused := take(f, cases.UploadRequest{Field: f.Pointer, Filename: fhs[0].Filename,
			ContentType: fhs[0].Header.Get(fiber.HeaderContentType), Content: content})
		if refused != "" {
			problems = append(problems, forms.FieldError{Pointer: f.Pointer, Message: refused})
			continue
		}
		journey.SetAt(data, f.Pointer, id)
	}
	return problems
}

func readUpload(fh *multipart.FileHeader) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// checkAnswers shows every answer with links to change it.
func (pg *Pages) checkAnswers(c *fiber.Ctx) error {
	j, err := pg.journey(c)
	if err != nil {
		return pg.pageError(c, err)
	}
	return pg.drawCheck(c, fiber.StatusOK, j, nil)
}

func (pg *Pages) drawCheck(c *fiber.Ctx, status int, j *draftJourney, errs []forms.FieldError) error {
	d := ui.CheckData{FormTitle: j.Form.Def.Title, Action: j.base + "/submit", Preview: j.preview,
		Back: j.pageURL(j.Pages[len(j.Pages)-1].ID), Errors: errs, Amending: j.draft.Amends != ""}
	for _, page := range j.Pages {
		id := page.ID
		d.Sections = append(d.Sections, ui.CheckSection{Title: page.Title, Rows: ui.SummaryRowsIn(page.Fields, func(ptr string) string {
			return j.pageURL(id) + "?change=1#" + ui.FieldID(ptr)
		}, route.Lang(c))})
	}
	onPage := forms.PageFields(j.Form.Tree, j.Form.Def.UI)
	for _, e := range errs {
		href := d.Back
		for _, page := range j.Pages {
			if slices.Contains(onPage[page.ID], topField(e.Pointer)) {
				href = j.pageURL(page.ID) + "?change=1#" + ui.ErrorTargetOf(page.Fields, e.Pointer)
			}
		}
		d.ErrorLinks = append(d.ErrorLinks, map[string]any{"text": e.Message, "href": href})
	}
	return pg.Render(c, status, "check-answers", d)
}

// submitDraftPage submits the draft. The draft's id is the idempotency
// key, so a second press (or a resent post) shows the first result.
func (pg *Pages) submitDraftPage(c *fiber.Ctx) error {
	if err := pg.checkCSRF(c); err != nil {
		return pg.pageError(c, err)
	}
	res, err := pg.Cases.SubmitDraft(c.UserContext(), route.Principal(c), route.Who(c), c.Params("id"), "page-submit-"+c.Params("id"))
	if invalid, ok := problem.As(err); ok && invalid.Kind == problem.Invalid {
		j, jerr := pg.journey(c)
		if jerr != nil {
			return pg.pageError(c, jerr)
		}
		return pg.drawCheck(c, fiber.StatusUnprocessableEntity, j, invalid.Fields)
	}
	if err != nil {
		return pg.pageError(c, err)
	}
	return c.Redirect("/submissions/"+res.ID, fiber.StatusSeeOther)
}

// savedPage confirms "Save and come back later".
func (pg *Pages) savedPage(c *fiber.Ctx) error {
	j, err := pg.journey(c)
	if err != nil {
		return pg.pageError(c, err)
	}
	return pg.Render(c, fiber.StatusOK, "saved", ui.SavedData{FormTitle: j.Form.Def.Title, Resume: "/drafts/" + j.draft.ID})
}

// confirmation is the page after a submission, with the case reference.
func (pg *Pages) confirmation(c *fiber.Ctx) error {
	sub, err := pg.Cases.Submission(c.UserContext(), route.Principal(c), c.Params("id"))
	if err != nil {
		return pg.pageError(c, err)
	}
	d := ui.ConfirmationData{FormTitle: sub.Form, BusinessKey: sub.BusinessKey, Corrected: sub.Corrects != ""}
	if f, _, err := pg.form(c, sub.Form, sub.FormVersion); err == nil {
		d.FormTitle, d.Next = f.Def.Title, f.Def.UI.ConfirmationParagraphs()
		if d.Sections, err = pg.submittedAnswers(c, f, sub); err != nil {
			return pg.pageError(c, err)
		}
	}
	if k, err := pg.Cases.Case(c.UserContext(), route.Principal(c), sub.BusinessKey); err == nil {
		d.Started = len(k.Instances)
	}
	return pg.Render(c, fiber.StatusOK, "confirmation", d)
}
