package pages

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/definitions"
	"cop/platform/problem"
	"cop/platform/registry"
	"cop/platform/web/route"
	"cop/ui"
	"cop/workflows"
)

// The authoring pages: authors (and admins) list the definitions, upload
// one (checked first, published as a second step), read and compare its
// versions, retire one, preview a form (author_preview.go) and draw and
// try a workflow (author_workflows.go). Anyone else is told there is no
// such page.

// authors may use the authoring pages.
var authors = auth.AnyRole(auth.RoleAuthor, auth.RoleAdmin)

// maxSource bounds an uploaded definition's text, as the API bounds a
// workflow document.
const maxSource = workflows.MaxDocumentSize

// authorKind is one kind of definition on the authoring pages.
type authorKind struct {
	path, kind, noun, title string
	// workflow: named namespace/name, uploaded as YAML or JSON as written;
	// the other kinds take JSON, so YAML is read as JSON in its own order.
	workflow bool
	publish  func(c *fiber.Ctx, raw []byte, dryRun bool) (definitions.Published, error)
}

func (pg *Pages) authorKinds() []authorKind {
	d := pg.Definitions
	simple := func(f func(context.Context, audit.Who, []byte, bool) (definitions.Published, error)) func(*fiber.Ctx, []byte, bool) (definitions.Published, error) {
		return func(c *fiber.Ctx, raw []byte, dry bool) (definitions.Published, error) {
			return f(c.UserContext(), route.Who(c), raw, dry)
		}
	}
	return []authorKind{
		{path: "forms", kind: definitions.KindForm, noun: "form", title: "Forms", publish: simple(d.PublishForm)},
		{path: "terms", kind: definitions.KindTerm, noun: "data term", title: "Data terms", publish: simple(d.PublishTerm)},
		{path: "refdata", kind: definitions.KindRefData, noun: "reference data set", title: "Reference data", publish: simple(d.PublishRefData)},
		{path: "workflows", kind: definitions.KindWorkflow, noun: "workflow", title: "Workflows", workflow: true,
			publish: func(c *fiber.Ctx, raw []byte, dry bool) (definitions.Published, error) {
				return d.PublishWorkflow(c.UserContext(), route.Principal(c), route.Who(c), raw, dry)
			}},
	}
}

func (pg *Pages) authorKind(kind string) authorKind {
	for _, k := range pg.authorKinds() {
		if k.kind == kind {
			return k
		}
	}
	return authorKind{}
}

// bindAuthorPages: the authoring pages, for authors and admins.
func (pg *Pages) bindAuthorPages(r *route.Router) {
	r.Add(fiber.MethodGet, "/author", authors, pg.authorList)
	r.Add(fiber.MethodGet, "/author/uploads/:id", authors, pg.stagedPage)
	r.Add(fiber.MethodPost, "/author/uploads/:id/publish", authors, pg.publishStaged, route.TakesPageForm)
	for _, k := range pg.authorKinds() {
		upload := "/author/upload/" + k.path
		r.Add(fiber.MethodGet, upload, authors, pg.uploadPage(k))
		r.Add(fiber.MethodPost, upload, authors, pg.checkUpload(k), route.TakesPageForm)
		base := "/author/" + k.path + "/:name"
		if k.workflow {
			base = "/author/" + k.path + "/:namespace/:name"
		}
		r.Add(fiber.MethodGet, base, authors, pg.versionsPage(k))
		r.Add(fiber.MethodGet, base+"/diff", authors, pg.diffPage(k))
		r.Add(fiber.MethodGet, base+"/versions/:version", authors, pg.versionPage(k))
		r.Add(fiber.MethodPost, base+"/versions/:version/retire", authors, pg.retireVersion(k), route.TakesPageForm)
	}
	pg.bindPreviewPages(r)
	pg.bindWorkflowPages(r)
	pg.bindImportPages(r)
}

// listedPerKind is how many definitions of a kind /author lists; past it,
// the page says to search.
const listedPerKind = 200

// authorList is /author: each kind's definitions, latest version first
// found, narrowed by a search on name and title.
func (pg *Pages) authorList(c *fiber.Ctx) error {
	search := strings.TrimSpace(strings.ToValidUTF8(strings.ReplaceAll(c.Query("q"), "\x00", ""), ""))
	if r := []rune(search); len(r) > 100 {
		search = string(r[:100])
	}
	d := ui.AuthorListData{Search: search}
	for _, k := range pg.authorKinds() {
		defs, err := pg.Definitions.Catalogue(c.UserContext(), k.kind, search, listedPerKind+1)
		if err != nil {
			return err
		}
		list := ui.AuthorKindList{Title: k.title, Noun: k.noun, Upload: "/author/upload/" + k.path, More: len(defs) > listedPerKind}
		defs = defs[:min(len(defs), listedPerKind)]
		for _, def := range defs {
			list.Items = append(list.Items, ui.AuthorItem{Href: k.base(def.Namespace, def.Name), Name: k.display(def.Namespace, def.Name),
				Title: titleOf(def.Content), Version: def.Version, Status: def.Status, By: def.UploadedBy, At: def.UploadedAt})
		}
		d.Kinds = append(d.Kinds, list)
	}
	return pg.Render(c, fiber.StatusOK, "author", d)
}

// base is a definition's versions page.
func (k authorKind) base(namespace, name string) string {
	if k.workflow {
		return "/author/" + k.path + "/" + url.PathEscape(namespace) + "/" + url.PathEscape(name)
	}
	return "/author/" + k.path + "/" + url.PathEscape(name)
}

// display is a definition's name as authors write it.
func (k authorKind) display(namespace, name string) string {
	if k.workflow {
		return namespace + "/" + name
	}
	return name
}

// titleOf is a definition's title: a form's, a term's, a workflow
// document's.
func titleOf(content []byte) string {
	var head struct {
		Title    string
		Document struct{ Title string }
	}
	_ = json.Unmarshal(content, &head)
	return strings.TrimSpace(head.Title + head.Document.Title)
}

// uploadPage is a kind's upload page; ?from=ID opens it with that
// upload's text, to change it.
func (pg *Pages) uploadPage(k authorKind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		d := k.uploadData()
		if from := c.Query("from"); from != "" {
			u, err := pg.Definitions.StagedUpload(c.UserContext(), route.Principal(c).Subject, from)
			if err != nil {
				return pg.pageError(c, err)
			}
			d.Text, d.Filename = string(u.Source), u.Filename
		}
		return pg.Render(c, fiber.StatusOK, "author-upload", d)
	}
}

func (k authorKind) uploadData() ui.AuthorUploadData {
	return ui.AuthorUploadData{Noun: k.noun, Title: "Upload a " + k.noun, Action: "/author/upload/" + k.path, Back: "/author"}
}

// checkUpload is the dry run: the text (a chosen file, else the text area)
// is read as JSON or YAML and checked as the kind's publish checks it,
// nothing stored. Its problems come back in the error summary, each at its
// pointer and line, with the text listed; a text that passes is kept for
// its author, who then publishes it (or previews it) from its own page.
func (pg *Pages) checkUpload(k authorKind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := pg.checkCSRF(c); err != nil {
			return pg.pageError(c, err)
		}
		src, filename, problems := postedSource(c, k)
		d := k.uploadData()
		d.Filename = filename
		if problems != nil {
			d.Text = textBack(src)
			d.Problems, d.Listing = problems, listing(src, problems)
			return pg.Render(c, fiber.StatusUnprocessableEntity, "author-upload", d)
		}
		d.Text = string(src)
		pub, status, problems, err := pg.dryRun(c, k, src)
		if err != nil {
			return err
		}
		if problems != nil {
			d.Problems, d.Listing = problems, listing(src, problems)
			return pg.Render(c, status, "author-upload", d)
		}
		u, err := pg.Definitions.Stage(c.UserContext(), definitions.Upload{Owner: route.Principal(c).Subject, Kind: k.kind,
			Name: k.display(pub.Definition.Namespace, pub.Definition.Name), Version: pub.Definition.Version, Filename: filename, Source: src}, false)
		if err != nil {
			return err
		}
		return c.Redirect("/author/uploads/"+u.ID, fiber.StatusSeeOther)
	}
}

// textBack is an upload's text to show again in the text area: not when
// it is too long or not text, which the author must fix in their file.
func textBack(src []byte) string {
	if len(src) > maxSource || !utf8.Valid(src) {
		return ""
	}
	return string(src)
}

// listing is the text laid out for the problems, when it can be shown.
func listing(src []byte, problems []ui.AuthorProblem) []ui.ListingLine {
	if textBack(src) == "" {
		return nil
	}
	return ui.Listing(string(src), problems)
}

// postedSource is the upload's text and file name, or why it cannot be
// read: none given, too long, not text, not JSON or YAML, or another kind.
func postedSource(c *fiber.Ctx, k authorKind) ([]byte, string, []ui.AuthorProblem) {
	src, filename := []byte(c.FormValue("text")), c.FormValue("filename")
	if fh, err := c.FormFile("file"); err == nil && fh.Size > 0 {
		filename = fh.Filename
		if fh.Size > maxSource {
			return nil, filename, []ui.AuthorProblem{{Message: fmt.Sprintf("The file %s is %s; the largest a %s may be is 1 MB", filename, sizeText(fh.Size), k.noun)}}
		}
		b, err := readUpload(fh)
		if err != nil {
			return nil, filename, []ui.AuthorProblem{{Message: "The selected file could not be read; choose it again"}}
		}
		src = b
	}
	src = bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n")) // a text area posts CRLF
	switch {
	case len(bytes.TrimSpace(src)) == 0:
		return src, filename, []ui.AuthorProblem{{Message: fmt.Sprintf("Choose a file or paste the %s", k.noun)}}
	case len(src) > maxSource:
		return src, filename, []ui.AuthorProblem{{Message: fmt.Sprintf("The text is %s; the largest a %s may be is 1 MB", sizeText(int64(len(src))), k.noun)}}
	case !utf8.Valid(src):
		return src, filename, []ui.AuthorProblem{{Message: "The file is not text: upload a JSON or YAML file saved as UTF-8"}}
	}
	js, at, err := workflows.SourceJSON(src)
	if err != nil {
		p := ui.AuthorProblem{Message: sentence(err.Error())}
		if at != nil {
			p.Line, p.Column = at.Line, at.Column
			p.Message = strings.Replace(p.Message, fmt.Sprintf("line %d: ", at.Line), "", 1) // said beside it
		}
		return src, filename, []ui.AuthorProblem{p}
	}
	if other := kindOfShape(js); other != "" && other != k.kind {
		where := "upload it on the " + strings.ToLower(uploadPageOf(other)) + " page"
		if other == "report" {
			where = "publish reports with cop reports push"
		}
		return src, filename, []ui.AuthorProblem{{Message: fmt.Sprintf("This looks like a %s, not a %s: %s", nounOf(other), k.noun, where)}}
	}
	return src, filename, nil
}

func sizeText(n int64) string {
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}

// kindOfShape tells a definition's kind by its keys, "" when it cannot
// tell: a workflow has document and do, reference data items, a report a
// source, a form ui, access or casePrefix.
func kindOfShape(js []byte) string {
	var probe map[string]json.RawMessage
	if json.Unmarshal(js, &probe) != nil {
		return ""
	}
	switch {
	case probe["document"] != nil && probe["do"] != nil:
		return definitions.KindWorkflow
	case probe["items"] != nil:
		return definitions.KindRefData
	case probe["source"] != nil && (probe["measures"] != nil || probe["columns"] != nil):
		return "report"
	case probe["ui"] != nil || probe["casePrefix"] != nil || probe["access"] != nil:
		return definitions.KindForm
	}
	return ""
}

func nounOf(kind string) string {
	if kind == "report" {
		return "report"
	}
	if n := definitions.Nouns[kind]; n != "" {
		return strings.TrimSuffix(n, " definition")
	}
	return kind
}

func uploadPageOf(kind string) string {
	switch kind {
	case definitions.KindWorkflow:
		return "Workflows"
	case definitions.KindRefData:
		return "Reference data"
	case definitions.KindTerm:
		return "Data terms"
	}
	return "Forms"
}

// dryRun checks an upload as publishing would, storing nothing. Its
// problems are placed at their pointers' lines; a version already
// published with other content is a clash (409).
func (pg *Pages) dryRun(c *fiber.Ctx, k authorKind, src []byte) (definitions.Published, int, []ui.AuthorProblem, error) {
	pub, err := k.publish(c, payload(k, src), true)
	if p, ok := problem.As(err); ok && (p.Kind == problem.Invalid || p.Kind == problem.Malformed) {
		return pub, fiber.StatusUnprocessableEntity, placed(src, p), nil
	}
	if p, ok := problem.As(err); ok && (p.Kind == problem.Forbidden || p.Kind == problem.Conflict) {
		// Binding another author's form as a start form, say: said at its place.
		return pub, p.Kind.Status(), placed(src, p), nil
	}
	if err != nil {
		return pub, 0, nil, err
	}
	def := pub.Definition
	existing, err := pg.version(c, k, def.Namespace, def.Name, def.Version)
	switch {
	case errors.Is(err, problem.ErrNotFound):
	case err != nil:
		return pub, 0, nil, err
	default:
		sum, err := registry.Checksum(def.Content)
		if err == nil && sum != existing.Checksum {
			at := workflows.Locate(src, versionPointer(k))
			return pub, fiber.StatusConflict, []ui.AuthorProblem{{Pointer: versionPointer(k), Line: at.Line, Column: at.Column,
				Message: fmt.Sprintf("Version %s of %s %s is already published with other content: give this one a new version", def.Version, k.noun, k.display(def.Namespace, def.Name))}}, nil
		}
	}
	return pub, 0, nil, nil
}

// payload is what the kind's publish takes: a workflow as written, the
// other kinds as JSON.
func payload(k authorKind, src []byte) []byte {
	if k.workflow {
		return src
	}
	js, _, err := workflows.SourceJSON(src)
	if err != nil {
		return src // checked before; publish says what is wrong
	}
	return js
}

func versionPointer(k authorKind) string {
	if k.workflow {
		return "/document/version"
	}
	return "/version"
}

// maxProblems is the most problems an upload's page lists; a text with
// more (a reference data set whose every item lacks its label) says how
// many more there are.
const maxProblems = 100

// placed are a refusal's problems, each at its pointer's line in the text,
// in the order the author reads it; the text is read once for them all.
func placed(src []byte, p *problem.Error) []ui.AuthorProblem {
	if len(p.Fields) == 0 {
		return []ui.AuthorProblem{{Message: sentence(p.Detail)}}
	}
	l := workflows.NewLocator(src)
	out := make([]ui.AuthorProblem, 0, len(p.Fields))
	for _, f := range p.Fields {
		at := l.Locate(f.Pointer)
		out = append(out, ui.AuthorProblem{Pointer: f.Pointer, Line: at.Line, Column: at.Column, Message: f.Message})
	}
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].Line < out[j].Line || out[i].Line == out[j].Line && out[i].Column < out[j].Column
	})
	if len(out) > maxProblems {
		more := len(out) - maxProblems
		out = append(out[:maxProblems], ui.AuthorProblem{Message: fmt.Sprintf("And %d more problems: fix these and check it again", more)})
	}
	return out
}

// version is one version of a definition, whatever its status.
func (pg *Pages) version(c *fiber.Ctx, k authorKind, namespace, name, version string) (registry.Definition, error) {
	if k.workflow {
		return pg.Definitions.Workflow(c.UserContext(), namespace, name, version)
	}
	d, _, err := pg.Definitions.Get(c.UserContext(), k.kind, name, version)
	return d, err
}

// versions are every version of a definition, highest first.
func (pg *Pages) versions(c *fiber.Ctx, k authorKind, namespace, name string) ([]registry.Definition, error) {
	if k.workflow {
		return pg.Definitions.WorkflowVersions(c.UserContext(), namespace, name)
	}
	return pg.Definitions.Versions(c.UserContext(), k.kind, name)
}

// namedVersions are the versions of the definition a page's path names;
// none is not found.
func (pg *Pages) namedVersions(c *fiber.Ctx, k authorKind) (namespace, name string, vs []registry.Definition, err error) {
	namespace, name = k.named(c)
	if vs, err = pg.versions(c, k, namespace, name); err == nil && len(vs) == 0 {
		err = problem.NotFoundf("no %s %s", k.noun, name)
	}
	return namespace, name, vs, err
}

// split is an upload's name as namespace and name.
func (k authorKind) split(uploaded string) (namespace, name string) {
	if k.workflow {
		namespace, name, _ = strings.Cut(uploaded, "/")
		return namespace, name
	}
	return registry.GlobalNamespace, uploaded
}

// named is the definition a page's path names.
func (k authorKind) named(c *fiber.Ctx) (namespace, name string) {
	if k.workflow {
		return c.Params("namespace"), c.Params("name")
	}
	return registry.GlobalNamespace, c.Params("name")
}

// stagedPage is an upload that passed its dry run: what it is, what it
// would pin, what it changes from the latest version, and Publish.
func (pg *Pages) stagedPage(c *fiber.Ctx) error {
	u, err := pg.Definitions.StagedUpload(c.UserContext(), route.Principal(c).Subject, c.Params("id"))
	if err != nil {
		return pg.pageError(c, err)
	}
	d, err := pg.stagedData(c, u)
	if err != nil {
		return pg.pageError(c, err)
	}
	if c.Query("done") == "cancelled" {
		d.Message = "The draft run was cancelled."
	}
	return pg.Render(c, fiber.StatusOK, "author-staged", d)
}

func (pg *Pages) stagedData(c *fiber.Ctx, u definitions.Upload) (ui.AuthorStagedData, error) {
	k := pg.authorKind(u.Kind)
	d := ui.AuthorStagedData{Noun: k.noun, Name: u.Name, Version: u.Version, Filename: u.Filename, Uploaded: u.CreatedAt,
		Publish: "/author/uploads/" + u.ID + "/publish", Change: "/author/upload/" + k.path + "?from=" + u.ID}
	if k.kind == definitions.KindForm {
		d.Preview = "/author/uploads/" + u.ID + "/preview"
	}
	namespace, name := k.split(u.Name)
	if u.PublishedAt != nil {
		d.Published = k.base(namespace, name) + "/versions/" + url.PathEscape(u.Version)
	}
	js := payload(k, u.Source)
	if !k.workflow {
		pub, err := k.publish(c, js, true)
		if err == nil {
			d.Pins = pub.Pins
		}
	} else if _, wjs, err := workflows.Parse(u.Source); err == nil {
		js = wjs
		if d.Workflow, err = pg.workflowData(c, u.Source, "/author/uploads/"+u.ID+"/try", ""); err != nil {
			return d, err
		}
	}
	d.Title = titleOf(js)
	latest, err := pg.versions(c, k, namespace, name)
	if err != nil {
		return d, err
	}
	for _, v := range latest {
		if v.Version == u.Version && u.PublishedAt != nil {
			continue
		}
		d.Against = v.Version
		d.Diff = ui.LineDiff(pretty(v.Content), pretty(js))
		break
	}
	return d, nil
}

// pretty is a definition's JSON laid out a key a line, for listing and
// comparing.
func pretty(js []byte) string {
	var b bytes.Buffer
	if json.Indent(&b, js, "", "  ") != nil {
		return string(js)
	}
	return b.String()
}

// publishStaged publishes an upload: the second, deliberate step. A
// second press shows what the first published; a version published with
// other content since the dry run is a clash, said on the page (409).
func (pg *Pages) publishStaged(c *fiber.Ctx) error {
	if err := pg.checkCSRF(c); err != nil {
		return pg.pageError(c, err)
	}
	owner := route.Principal(c).Subject
	u, err := pg.Definitions.StagedUpload(c.UserContext(), owner, c.Params("id"))
	if err != nil {
		return pg.pageError(c, err)
	}
	k := pg.authorKind(u.Kind)
	if u.PublishedAt == nil {
		_, err := k.publish(c, payload(k, u.Source), false)
		if p, ok := problem.As(err); ok && (p.Kind == problem.Conflict || p.Kind == problem.Invalid || p.Kind == problem.Forbidden) {
			d, derr := pg.stagedData(c, u)
			if derr != nil {
				return pg.pageError(c, derr)
			}
			d.Problem = sentence(p.Detail)
			return pg.Render(c, p.Kind.Status(), "author-staged", d)
		}
		if err != nil {
			return pg.pageError(c, err)
		}
		if err := pg.Definitions.MarkPublished(c.UserContext(), owner, u.ID); err != nil {
			return err
		}
	}
	namespace, name := k.split(u.Name)
	return c.Redirect(k.base(namespace, name)+"/versions/"+url.PathEscape(u.Version)+"?done=published", fiber.StatusSeeOther)
}

// versionsPage lists a definition's versions, with the form to compare two.
func (pg *Pages) versionsPage(k authorKind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		namespace, name, vs, err := pg.namedVersions(c, k)
		if err != nil {
			return pg.pageError(c, err)
		}
		base := k.base(namespace, name)
		d := ui.AuthorVersionsData{Noun: k.noun, Name: k.display(namespace, name), Title: titleOf(vs[0].Content), Diff: base + "/diff",
			Upload: "/author/upload/" + k.path}
		for _, v := range vs {
			d.Versions = append(d.Versions, ui.AuthorVersionRow{Href: base + "/versions/" + url.PathEscape(v.Version), Version: v.Version,
				Status: v.Status, UploadedBy: v.UploadedBy, UploadedAt: v.UploadedAt, RetiredBy: v.RetiredBy, RetiredAt: v.RetiredAt})
		}
		return pg.Render(c, fiber.StatusOK, "author-versions", d)
	}
}

// versionPage is one version: what it is, what it was compiled with,
// what pins it, its content, and Preview and Retire.
func (pg *Pages) versionPage(k authorKind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		d, err := pg.versionData(c, k)
		if err != nil {
			return pg.pageError(c, err)
		}
		switch c.Query("done") {
		case "published":
			d.Message = fmt.Sprintf("Version %s is published.", d.Version)
		case "retired":
			d.Message = fmt.Sprintf("Version %s is retired: it is no longer offered, and what already uses it keeps working.", d.Version)
		case "cancelled":
			d.Message = "The draft run was cancelled."
		}
		return pg.Render(c, fiber.StatusOK, "author-version", d)
	}
}

func (pg *Pages) versionData(c *fiber.Ctx, k authorKind) (ui.AuthorVersionData, error) {
	namespace, name := k.named(c)
	v, err := pg.version(c, k, namespace, name, c.Params("version"))
	if err != nil {
		return ui.AuthorVersionData{}, err
	}
	base := k.base(namespace, name)
	self := base + "/versions/" + url.PathEscape(v.Version)
	d := ui.AuthorVersionData{Noun: k.noun, Name: k.display(namespace, name), Version: v.Version, Title: titleOf(v.Content), Status: v.Status,
		Checksum: v.Checksum, UploadedBy: v.UploadedBy, UploadedAt: v.UploadedAt, RetiredBy: v.RetiredBy, RetiredAt: v.RetiredAt,
		Versions: base, Listing: ui.Listing(pretty(v.Content), nil)}
	if v.Status == registry.Active {
		d.Retire = self + "/retire"
	}
	if !k.workflow {
		_, pins, err := pg.Definitions.Get(c.UserContext(), k.kind, name, v.Version)
		if err != nil {
			return d, err
		}
		for _, p := range pins {
			pk := pg.authorKind(p.Kind)
			d.Pins = append(d.Pins, ui.AuthorPin{Kind: nounOf(p.Kind), Ref: p.Name, Resolved: p.Resolved,
				Href: pk.base(registry.GlobalNamespace, p.Name) + "/versions/" + url.PathEscape(p.Resolved)})
		}
		if k.kind != definitions.KindForm {
			if d.UsedBy, err = pg.Definitions.UsedBy(c.UserContext(), k.kind, name, v.Version); err != nil {
				return d, err
			}
		}
	}
	if k.kind == definitions.KindForm {
		d.Preview = self + "/preview"
	}
	if k.workflow {
		if d.Workflow, err = pg.workflowData(c, v.Content, self+"/try", ""); err != nil {
			return d, err
		}
	}
	return d, nil
}

// retireVersion retires a version; a term or reference data set still
// pinned is refused with what pins it, on the version's page (409).
func (pg *Pages) retireVersion(k authorKind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := pg.checkCSRF(c); err != nil {
			return pg.pageError(c, err)
		}
		namespace, name := k.named(c)
		version := c.Params("version")
		var err error
		if k.workflow {
			_, err = pg.Definitions.RetireWorkflow(c.UserContext(), route.Who(c), namespace, name, version)
		} else {
			_, err = pg.Definitions.Retire(c.UserContext(), route.Who(c), k.kind, name, version)
		}
		if p, ok := problem.As(err); ok && p.Kind == problem.Conflict {
			d, derr := pg.versionData(c, k)
			if derr != nil {
				return pg.pageError(c, derr)
			}
			d.Problem = sentence(p.Detail)
			return pg.Render(c, fiber.StatusConflict, "author-version", d)
		}
		if err != nil {
			return pg.pageError(c, err)
		}
		return c.Redirect(k.base(namespace, name)+"/versions/"+url.PathEscape(version)+"?done=retired", fiber.StatusSeeOther)
	}
}

// diffPage compares two versions line by line (?from=&to=); a version
// that does not exist is a page saying which versions there are.
func (pg *Pages) diffPage(k authorKind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		namespace, name, vs, err := pg.namedVersions(c, k)
		if err != nil {
			return pg.pageError(c, err)
		}
		byVersion := map[string]registry.Definition{}
		var names []string
		for _, v := range vs {
			byVersion[v.Version] = v
			names = append(names, v.Version)
		}
		from, to := c.Query("from"), c.Query("to")
		if from == "" || to == "" {
			return c.Redirect(k.base(namespace, name), fiber.StatusSeeOther) // where the two are chosen
		}
		for _, v := range []string{from, to} {
			if _, ok := byVersion[v]; !ok {
				return pg.Render(c, fiber.StatusNotFound, "error", ui.ErrorData{Title: "Version not found",
					Detail: fmt.Sprintf("%s %s has no version “%s”. Its versions are %s.", strings.ToUpper(k.noun[:1])+k.noun[1:], k.display(namespace, name),
						v, strings.Join(names, ", "))})
			}
		}
		return pg.Render(c, fiber.StatusOK, "author-diff", ui.AuthorDiffData{Noun: k.noun, Name: k.display(namespace, name), From: from, To: to,
			Back: k.base(namespace, name), Versions: names, Hunks: ui.LineDiff(pretty(byVersion[from].Content), pretty(byVersion[to].Content))})
	}
}
