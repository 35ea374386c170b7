package api

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"cop/platform/auth"
	"cop/platform/cases"
	"cop/platform/problem"
	"cop/platform/web/route"
)

// bindSubmissions: signed in here; the form's access.start decides who may
// submit (403) and the visibility rule who may read (404).
func (a *API) bindSubmissions(r *route.Router) {
	r.Add(fiber.MethodPost, "/api/v1/forms/:name/submissions", auth.SignedIn, a.submit, route.TakesJSON)
	r.Add(fiber.MethodGet, "/api/v1/submissions", auth.SignedIn, a.listSubmissions)
	r.Add(fiber.MethodGet, "/api/v1/submissions/:id", auth.SignedIn, a.getSubmission)
	r.Add(fiber.MethodPost, "/api/v1/submissions/:id/amend", auth.SignedIn, a.amend, route.TakesJSON)
}

// amend handles POST /api/v1/submissions/{id}/amend: the body is the
// corrected answers, for a submission the caller made that a workflow
// returned to them. 201 with the new submission (its corrects names this
// one); 404 for someone else's; 409 when no workflow is waiting for it.
func (a *API) amend(c *fiber.Ctx) error {
	if err := route.RequireJSONBody(c); err != nil {
		return err
	}
	sub, err := a.Tasks.Amend(c.UserContext(), route.Principal(c), route.Who(c), c.Params("id"), c.Body(), c.Get("Idempotency-Key"))
	if err != nil {
		return route.Fail(c, err)
	}
	c.Location("/api/v1/submissions/" + sub.ID)
	return c.Status(fiber.StatusCreated).JSON(sub)
}

// listSubmissions handles GET /api/v1/submissions: what the caller may
// read, newest first (?form=, ?from=, ?to=, ?mine=true).
func (a *API) listSubmissions(c *fiber.Ctx) error {
	f, err := listFilter(c, "form", "from", "to", "mine", "limit", "cursor")
	if err != nil {
		return route.Fail(c, err)
	}
	items, next, err := a.Cases.Submissions(c.UserContext(), route.Principal(c), f)
	if err != nil {
		return route.Fail(c, err)
	}
	return c.JSON(route.List[cases.Submission]{Items: items, Next: next})
}

// listFilter reads the list filters cases and submissions share; each
// bad one is a 400 naming it, and so is a parameter the list does not take
// (a status, say), rather than a list that silently ignores it.
func listFilter(c *fiber.Ctx, takes ...string) (cases.Filter, error) {
	for name := range c.Queries() {
		if !slices.Contains(takes, name) {
			return cases.Filter{}, problem.Malformedf([]problem.Field{{Pointer: "/" + name, Message: "not a filter of this list"}},
				"this list does not filter by %s; it takes %s", name, strings.Join(takes, ", "))
		}
	}
	f := cases.Filter{Key: c.Query("key"), Form: c.Query("form"), Status: c.Query("status"), Cursor: c.Query("cursor")}
	limit, ferr := route.QueryLimit(c)
	if ferr != nil {
		return f, problem.Malformedf([]problem.Field{*ferr}, "%s", ferr.Message)
	}
	f.Limit = limit
	switch c.Query("mine") {
	case "", "false":
	case "true":
		f.Mine = true
	default:
		return f, problem.Malformedf([]problem.Field{{Pointer: "/mine", Message: "must be true or false"}}, "mine must be true or false, not %q", c.Query("mine"))
	}
	var err error
	if f.From, err = cases.ParseFilterDate("from", c.Query("from")); err != nil {
		return f, err
	}
	if f.To, err = cases.ParseFilterDate("to", c.Query("to")); err != nil {
		return f, err
	}
	return f, nil
}

// submit handles POST /api/v1/forms/{name}/submissions: the body is the
// answers; ?version= picks a version, ?case= joins an existing case.
func (a *API) submit(c *fiber.Ctx) error {
	if err := route.RequireJSONBody(c); err != nil {
		return err
	}
	res, err := a.Cases.Submit(c.UserContext(), route.Principal(c), route.Who(c), cases.SubmitRequest{
		Form: c.Params("name"), Version: c.Query("version"), Case: c.Query("case"),
		Data: c.Body(), IdempotencyKey: c.Get("Idempotency-Key"),
	})
	if err != nil {
		return route.Fail(c, err)
	}
	return a.submitted(c, res)
}

// submitted answers 201 with the submission, the same for a replay (marked
// with Idempotent-Replayed so a client can tell).
func (a *API) submitted(c *fiber.Ctx, res cases.SubmitResult) error {
	if res.Replayed {
		c.Set("Idempotent-Replayed", "true")
	}
	c.Location("/api/v1/submissions/" + res.ID)
	return c.Status(fiber.StatusCreated).JSON(res.Submission)
}

// getSubmission handles GET /api/v1/submissions/{id}.
func (a *API) getSubmission(c *fiber.Ctx) error {
	sub, err := a.Cases.Submission(c.UserContext(), route.Principal(c), c.Params("id"))
	if err != nil {
		return route.Fail(c, fmt.Errorf("submission %s: %w", c.Params("id"), err))
	}
	return c.JSON(sub)
}
