package api

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"cop/platform/auth"
	"cop/platform/problem"
	"cop/platform/web/route"
)

// bindReports: authors publish and retire report definitions; anyone
// signed in lists and runs the reports they may read (access.read), and a
// report they may not read is not found.
func (a *API) bindReports(r *route.Router) {
	r.Add(fiber.MethodPost, "/api/v1/reports", authors, a.publishReport, route.TakesDefinition)
	r.Add(fiber.MethodGet, "/api/v1/reports", auth.SignedIn, a.listReports)
	r.Add(fiber.MethodGet, "/api/v1/reports/:name", auth.SignedIn, a.getReport)
	r.Add(fiber.MethodGet, "/api/v1/reports/:name/versions", auth.SignedIn, a.listReportVersions)
	r.Add(fiber.MethodGet, "/api/v1/reports/:name/versions/:version", auth.SignedIn, a.getReport)
	r.Add(fiber.MethodPost, "/api/v1/reports/:name/versions/:version/retire", authors, a.retireReport, route.TakesJSON)
	r.Add(fiber.MethodGet, "/api/v1/reports/:name/result", auth.SignedIn, a.reportResult)
}

// publishReport handles POST /api/v1/reports: a definition as YAML or
// JSON; 201 stored, 200 for an identical re-upload or a dry run, 422 with
// the pointer of every problem, 409 for other content under a version.
func (a *API) publishReport(c *fiber.Ctx) error {
	body, err := definitionBody(c)
	if err != nil {
		return err
	}
	dryRun := c.QueryBool("dryRun", false)
	pub, err := a.Reports.Publish(c.UserContext(), route.Who(c), body, dryRun)
	if err != nil {
		return route.Fail(c, err)
	}
	status := fiber.StatusOK
	if pub.Created {
		status = fiber.StatusCreated
		c.Location(fmt.Sprintf("/api/v1/reports/%s/versions/%s", pub.Definition.Name, pub.Definition.Version))
	}
	v := versionOf(pub.Definition, true, nil)
	v.Pins = nil
	if dryRun {
		v.Status = "draft"
	}
	return c.Status(status).JSON(v)
}

// listReports handles GET /api/v1/reports: the latest active version of
// each report the caller may read (every one, for authors and admins).
func (a *API) listReports(c *fiber.Ctx) error {
	defs, _, err := a.Reports.Readable(c.UserContext(), route.Principal(c), true)
	if err != nil {
		return route.Fail(c, err)
	}
	return c.JSON(route.List[DefinitionVersion]{Items: listed(defs)})
}

// getReport handles GET /api/v1/reports/{name} (latest active) and
// …/versions/{version}.
func (a *API) getReport(c *fiber.Ctx) error {
	d, _, err := a.Reports.Get(c.UserContext(), route.Principal(c), c.Params("name"), c.Params("version"))
	if err != nil {
		return route.Fail(c, err)
	}
	v := versionOf(d, true, nil)
	v.Pins = nil
	return c.JSON(v)
}

// listReportVersions handles GET /api/v1/reports/{name}/versions.
func (a *API) listReportVersions(c *fiber.Ctx) error {
	defs, err := a.Reports.Versions(c.UserContext(), route.Principal(c), c.Params("name"))
	if err != nil {
		return route.Fail(c, err)
	}
	return c.JSON(route.List[DefinitionVersion]{Items: listed(defs)})
}

// retireReport handles POST …/versions/{version}/retire.
func (a *API) retireReport(c *fiber.Ctx) error {
	d, err := a.Reports.Retire(c.UserContext(), route.Who(c), c.Params("name"), c.Params("version"))
	if err != nil {
		return route.Fail(c, err)
	}
	return c.JSON(versionOf(d, false, nil))
}

// reportResult handles GET /api/v1/reports/{name}/result?param=…: JSON,
// or CSV with ?format=csv or Accept: text/csv. The answer is written only
// once the whole (capped) query has finished, so a refused or timed-out
// query is a problem, never a truncated file.
func (a *API) reportResult(c *fiber.Ctx) error {
	format, err := resultFormat(c)
	if err != nil {
		return err
	}
	p := route.Principal(c)
	pr, err := a.Reports.Prepare(c.UserContext(), p, c.Params("name"), c.Query("version"))
	if err != nil {
		return route.Fail(c, err)
	}
	q, err := url.ParseQuery(string(c.Request().URI().QueryString()))
	if err != nil {
		return route.Refuse(fiber.StatusBadRequest, "the query string cannot be read: "+err.Error())
	}
	res, err := a.Reports.Run(c.UserContext(), p, pr, q)
	if err != nil {
		return route.Fail(c, err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	if format == "csv" {
		body, err := res.CSV()
		if err != nil {
			return fmt.Errorf("write report %s as CSV: %w", pr.Definition.Name, err)
		}
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
		c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s-%s.csv"`,
			pr.Definition.Name, res.AsOf.Format("20060102T150405Z")))
		return c.Send(body)
	}
	return c.JSON(res)
}

// resultFormat is json or csv, from ?format= or else the Accept header.
func resultFormat(c *fiber.Ctx) (string, error) {
	switch f := c.Query("format"); f {
	case "json", "csv":
		return f, nil
	case "":
	default:
		return "", route.Refuse(fiber.StatusBadRequest, fmt.Sprintf("format %q is not json or csv", f),
			problem.Field{Pointer: "/format", Message: "format must be json or csv"})
	}
	if accept := c.Get(fiber.HeaderAccept); strings.Contains(accept, "text/csv") && !strings.Contains(accept, "application/json") {
		return "csv", nil
	}
	return "json", nil
}
