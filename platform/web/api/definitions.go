package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"cop/forms"
	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/definitions"
	"cop/platform/problem"
	"cop/platform/registry"
	"cop/platform/web/route"
)

// authors may publish and retire definitions.
var authors = auth.AnyRole(auth.RoleAuthor, auth.RoleAdmin)

// bindDefinitions: forms, data terms and reference data sets share one
// shape of API. Anyone signed in reads them; authors publish and retire.
func (a *API) bindDefinitions(r *route.Router) {
	for path, k := range a.definitionKinds() {
		base := "/api/v1/" + path
		r.Add(fiber.MethodPost, base, authors, a.publishDefinition(k), route.TakesJSON)
		r.Add(fiber.MethodGet, base, auth.SignedIn, a.listDefinitions(k))
		r.Add(fiber.MethodGet, base+"/:name", auth.SignedIn, a.getDefinition(k))
		r.Add(fiber.MethodGet, base+"/:name/versions", auth.SignedIn, a.listVersions(k))
		r.Add(fiber.MethodGet, base+"/:name/versions/:version", auth.SignedIn, a.getDefinition(k))
		r.Add(fiber.MethodPost, base+"/:name/versions/:version/retire", authors, a.retireDefinition(k), route.TakesJSON)
	}
	r.Add(fiber.MethodGet, "/api/v1/refdata/:name/items", auth.SignedIn, a.refDataItems)
}

// DefinitionVersion is one stored version of a form, term or reference
// data set as the API shows it.
type DefinitionVersion struct {
	Kind       string          `json:"kind"`
	Name       string          `json:"name"`
	Version    string          `json:"version"`
	Title      string          `json:"title"`
	Status     string          `json:"status"`
	Checksum   string          `json:"checksum"`
	UploadedBy string          `json:"uploadedBy"`
	UploadedAt time.Time       `json:"uploadedAt"`
	RetiredBy  string          `json:"retiredBy,omitempty"`
	RetiredAt  *time.Time      `json:"retiredAt,omitempty"`
	Definition json.RawMessage `json:"definition,omitempty"`
	Pins       []forms.Pin     `json:"pins,omitempty"`
}

// listed are versions as a list shows them: without their content.
func listed(defs []registry.Definition) []DefinitionVersion {
	items := make([]DefinitionVersion, len(defs))
	for i, d := range defs {
		items[i] = versionOf(d, false, nil)
	}
	return items
}

func versionOf(d registry.Definition, withContent bool, pins []forms.Pin) DefinitionVersion {
	var head struct{ Title string }
	_ = json.Unmarshal(d.Content, &head)
	v := DefinitionVersion{Kind: d.Kind, Name: d.Name, Version: d.Version, Title: head.Title, Status: d.Status, Checksum: d.Checksum,
		UploadedBy: d.UploadedBy, UploadedAt: d.UploadedAt, RetiredBy: d.RetiredBy, RetiredAt: d.RetiredAt}
	if withContent {
		v.Definition = d.Content
		v.Pins = pins
		if v.Pins == nil {
			v.Pins = []forms.Pin{}
		}
	}
	return v
}

// definitionKind is the API of one form-side kind: forms, terms, refdata.
type definitionKind struct {
	kind    string
	noun    string // for messages: "form", "data term", "reference data set"
	publish func(context.Context, audit.Who, []byte, bool) (definitions.Published, error)
}

func (a *API) definitionKinds() map[string]definitionKind {
	d := a.Definitions
	return map[string]definitionKind{
		"forms":   {definitions.KindForm, "form", d.PublishForm},
		"terms":   {definitions.KindTerm, "data term", d.PublishTerm},
		"refdata": {definitions.KindRefData, "reference data set", d.PublishRefData},
	}
}

// publishDefinition handles POST /api/v1/{forms,terms,refdata}: 201 with
// the stored version, 200 for an identical re-upload or a dry run, 422 with
// the pointer of every problem, 409 for other content under a version.
func (a *API) publishDefinition(k definitionKind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := route.RequireJSONBody(c); err != nil {
			return err
		}
		dryRun := c.QueryBool("dryRun", false)
		pub, err := k.publish(c.UserContext(), route.Who(c), c.Body(), dryRun)
		if err != nil {
			return a.definitionError(c, k, err)
		}
		status := fiber.StatusOK
		if pub.Created {
			status = fiber.StatusCreated
			c.Location(fmt.Sprintf("/api/v1/%s/%s/versions/%s", pathOf(k.kind), pub.Definition.Name, pub.Definition.Version))
		}
		v := versionOf(pub.Definition, true, pub.Pins)
		if dryRun {
			v.Status = "draft"
		}
		return c.Status(status).JSON(v)
	}
}

func pathOf(kind string) string {
	switch kind {
	case definitions.KindForm:
		return "forms"
	case definitions.KindTerm:
		return "terms"
	}
	return "refdata"
}

// definitionError answers a definitions error; a missing version is named
// as the route asked for it.
func (a *API) definitionError(c *fiber.Ctx, k definitionKind, err error) error {
	if errors.Is(err, problem.ErrNotFound) {
		return route.WriteProblem(c, fiber.StatusNotFound, fmt.Sprintf("no %s %s", k.noun, describeVersion(c)))
	}
	return route.Fail(c, err)
}

func describeVersion(c *fiber.Ctx) string {
	name := c.Params("name")
	if v := c.Params("version"); v != "" {
		return fmt.Sprintf("%q version %s", name, v)
	}
	return fmt.Sprintf("%q (or no active version of it)", name)
}

// listDefinitions handles GET /api/v1/{kind}: the latest active version of each name.
func (a *API) listDefinitions(k definitionKind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		limit, ferr := route.QueryLimit(c)
		if ferr != nil {
			return route.WriteProblem(c, fiber.StatusBadRequest, ferr.Message, *ferr)
		}
		defs, next, err := a.Definitions.List(c.UserContext(), k.kind, limit, c.Query("cursor"))
		if err != nil {
			return a.definitionError(c, k, err)
		}
		return c.JSON(route.List[DefinitionVersion]{Items: listed(defs), Next: next})
	}
}

// getDefinition handles GET /api/v1/{kind}/{name} (latest active) and
// …/versions/{version}.
func (a *API) getDefinition(k definitionKind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		d, pins, err := a.Definitions.Get(c.UserContext(), k.kind, c.Params("name"), c.Params("version"))
		if err != nil {
			return a.definitionError(c, k, err)
		}
		return c.JSON(versionOf(d, true, pins))
	}
}

// listVersions handles GET /api/v1/{kind}/{name}/versions, highest first.
func (a *API) listVersions(k definitionKind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		defs, err := a.Definitions.Versions(c.UserContext(), k.kind, c.Params("name"))
		if err != nil {
			return err
		}
		if len(defs) == 0 {
			return route.WriteProblem(c, fiber.StatusNotFound, fmt.Sprintf("no %s %q", k.noun, c.Params("name")))
		}
		return c.JSON(route.List[DefinitionVersion]{Items: listed(defs)})
	}
}

// retireDefinition handles POST …/versions/{version}/retire.
func (a *API) retireDefinition(k definitionKind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		d, err := a.Definitions.Retire(c.UserContext(), route.Who(c), k.kind, c.Params("name"), c.Params("version"))
		if err != nil {
			return a.definitionError(c, k, err)
		}
		return c.JSON(versionOf(d, false, nil))
	}
}

// refDataItems handles GET /api/v1/refdata/{name}/items: look-ups by code,
// by text, and by the day the items must be valid on.
func (a *API) refDataItems(c *fiber.Ctx) error {
	k := a.definitionKinds()["refdata"]
	q := forms.RefQuery{Code: c.Query("code"), Text: c.Query("q")}
	if on := c.Query("on"); on != "" {
		day, err := time.Parse(time.DateOnly, on)
		if err != nil {
			return route.WriteProblem(c, fiber.StatusBadRequest, "on must be a date like 2026-11-21", problem.Field{Pointer: "/on", Message: "on must be a date like 2026-11-21"})
		}
		q.On = day
	}
	set, d, err := a.Definitions.RefData(c.UserContext(), c.Params("name"), c.Query("version"))
	if err != nil {
		return a.definitionError(c, k, err)
	}
	return c.JSON(RefDataItems{Name: d.Name, Version: d.Version, Items: set.Find(q)})
}

// RefDataItems is a look-up's answer.
type RefDataItems struct {
	Name    string          `json:"name"`
	Version string          `json:"version"`
	Items   []forms.RefItem `json:"items"`
}
