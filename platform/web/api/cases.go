package api

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"cop/platform/auth"
	"cop/platform/cases"
	"cop/platform/problem"
	"cop/platform/web/casepdf"
	"cop/platform/web/route"
)

// bindCases: signed in; a case shows what the caller may read in it (404
// when nothing).
func (a *API) bindCases(r *route.Router) {
	r.Add(fiber.MethodGet, "/api/v1/cases", auth.SignedIn, a.listCases)
	r.Add(fiber.MethodGet, "/api/v1/cases/:businessKey", auth.SignedIn, a.getCase)
	r.Add(fiber.MethodGet, "/api/v1/cases/:businessKey/pdf", auth.SignedIn, a.getCasePDF)
}

// listCases handles GET /api/v1/cases: the cases the caller may read,
// newest first (?key=, ?form=, ?from=, ?to=, ?mine=true).
func (a *API) listCases(c *fiber.Ctx) error {
	f, err := listFilter(c, "key", "form", "status", "from", "to", "mine", "limit", "cursor")
	if err != nil {
		return route.Fail(c, err)
	}
	items, next, err := a.Cases.Cases(c.UserContext(), route.Principal(c), f)
	if err != nil {
		return route.Fail(c, err)
	}
	return c.JSON(route.List[cases.CaseSummary]{Items: items, Next: next})
}

// getCase handles GET /api/v1/cases/{businessKey}; with ?snapshot=true,
// the case as of an audit row (?asOf=N, else its latest) as the RFC 8785
// bytes its PDF's footer hashes.
func (a *API) getCase(c *fiber.Ctx) error {
	switch c.Query("snapshot") {
	case "", "false":
		if c.Query("asOf") != "" {
			return route.Fail(c, problem.Malformedf(problem.At("/asOf", "only with snapshot=true"), "asOf is for a snapshot: add snapshot=true"))
		}
	case "true":
		return a.getCaseSnapshot(c)
	default:
		return route.Fail(c, problem.Malformedf(problem.At("/snapshot", "must be true or false"), "snapshot must be true or false, not %q", c.Query("snapshot")))
	}
	cs, err := a.Cases.Case(c.UserContext(), route.Principal(c), c.Params("businessKey"))
	if err != nil {
		return route.Fail(c, fmt.Errorf("case %s: %w", c.Params("businessKey"), err))
	}
	return c.JSON(cs)
}

// getCaseSnapshot answers the canonical snapshot, the exact bytes hashed.
func (a *API) getCaseSnapshot(c *fiber.Ctx) error {
	key := c.Params("businessKey")
	asOf, err := casepdf.ParseAsOf(c.Query("asOf"))
	if err != nil {
		return route.Fail(c, err)
	}
	snap, err := a.Cases.Snapshot(c.UserContext(), route.Principal(c), key, asOf)
	if err != nil {
		return route.Fail(c, fmt.Errorf("case %s: %w", key, err))
	}
	canon, err := snap.Canonical()
	if err != nil {
		return route.Fail(c, err)
	}
	sum := sha256.Sum256(canon)
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	c.Set("X-Snapshot-SHA256", hex.EncodeToString(sum[:]))
	c.Set("X-Snapshot-As-Of", strconv.FormatInt(snap.AsOf, 10))
	return c.Send(canon)
}

// getCasePDF handles GET /api/v1/cases/{businessKey}/pdf (?lang=cy,
// ?asOf=N): the PDF the case page offers, drawn by the same assembly
// (casepdf.Draw), so the two cannot differ.
func (a *API) getCasePDF(c *fiber.Ctx) error {
	asOf, err := casepdf.ParseAsOf(c.Query("asOf"))
	if err != nil {
		return route.Fail(c, err)
	}
	pdf, snap, err := casepdf.Draw(c.UserContext(), a.Definitions, a.Cases, route.Principal(c), c.Params("businessKey"), asOf, route.Lang(c))
	if err != nil {
		return route.Fail(c, err)
	}
	return casepdf.Send(c, snap, pdf)
}
