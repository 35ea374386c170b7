// Package pages is COP's officer pages: server-rendered GOV.UK pages that
// work without JavaScript, one file per page group — tasks.go (the task
// list and a task), forms.go (starting things and form journeys) and
// cases.go (cases and notifications). Each file binds its routes with
// their permission rules; every post carries the session's CSRF token.
// Pages call the same services as the API; nothing here reads the
// database itself. This file is what every page handler shares.
package pages

import (
	"errors"
	"log/slog"
	"maps"
	"net/url"
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"

	"cop/forms"
	"cop/platform/cases"
	"cop/platform/definitions"
	"cop/platform/directory"
	"cop/platform/instances"
	"cop/platform/problem"
	"cop/platform/registry"
	"cop/platform/reports"
	"cop/platform/tasks"
	"cop/platform/web/route"
	"cop/ui"
)

// Pages holds the services the page handlers call and the templates.
type Pages struct {
	UI          *ui.Pages
	Log         *slog.Logger
	Definitions *definitions.Service
	Cases       *cases.Service
	Instances   *instances.Service
	Tasks       *tasks.Service
	Directory   *directory.Service
	Reports     *reports.Service
}

// Bind registers every page route.
func (pg *Pages) Bind(r *route.Router) {
	pg.bindTaskPages(r)
	pg.bindFormPages(r)
	pg.bindCasePages(r)
	pg.bindReportPages(r)
	pg.bindAuthorPages(r)
	pg.bindOperatePages(r)
}

// Render draws a server-side page in the layout: who is signed in, the
// session's CSRF token for its forms, this response's script nonce, when
// the session ends, and unread notifications.
func (pg *Pages) Render(c *fiber.Ctx, status int, name string, data any) error {
	f := ui.Frame{Principal: route.Principal(c), Nonce: route.Nonce(c), Nav: navFor(c.Path()), Return: c.OriginalURL(),
		Lang: route.Lang(c), Here: c.Path()} // the toggle links to the path alone: a query may say anything
	if c.Method() != fiber.MethodGet {
		// A page drawn in answer to a post: come back to what it was about.
		f.Return = ResumeAfterSignIn(c.Path())
		f.Here = f.Return
	}
	if sess := route.Session(c); sess != nil {
		f.CSRF = sess.CSRF
		f.SessionEnds = sess.ExpiresAt
		if !sess.IdleUntil.IsZero() && (f.SessionEnds.IsZero() || sess.IdleUntil.Before(f.SessionEnds)) {
			f.SessionEnds = sess.IdleUntil
		}
		if bannerPage(c.Path()) {
			f.Notices = pg.notices(c)
		}
		f.Unread = pg.unread(c)
	}
	f.Reports = pg.mayReadReports(c)
	f.Author = f.Principal != nil && authors.Check(f.Principal) == 0
	f.Operate = f.Principal != nil && operators.Check(f.Principal) == 0
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return pg.UI.Render(c, name, f, data)
}

// form is a form version in the language the page is read in (the
// officer's choice; English when the form does not offer it).
func (pg *Pages) form(c *fiber.Ctx, name, version string) (*forms.Form, registry.Definition, error) {
	return pg.Definitions.FormIn(c.UserContext(), name, version, route.Lang(c))
}

// pageLinks are a paged list's links, keeping its filters (query): to the
// first page when not on it (cursor), and to the next when there is one.
func pageLinks(path string, query url.Values, cursor, next string) (string, string) {
	var first, later string
	if cursor != "" {
		first = path + "?" + query.Encode()
	}
	if next != "" {
		q := maps.Clone(query)
		q.Set("cursor", next)
		later = path + "?" + q.Encode()
	}
	return first, later
}

// navFor is the service navigation item a page belongs to.
func navFor(path string) string {
	switch {
	case path == "/" || strings.HasPrefix(path, "/tasks"):
		return "/"
	case path == "/start" || strings.HasPrefix(path, "/forms") || strings.HasPrefix(path, "/drafts"):
		return "/start"
	case strings.HasPrefix(path, "/cases"):
		return "/cases"
	case strings.HasPrefix(path, "/reports"):
		return "/reports"
	case strings.HasPrefix(path, "/author"):
		return "/author"
	case strings.HasPrefix(path, "/operate"):
		return "/operate"
	}
	return path
}

// bannerPage: the page shows unread notifications as banners. The task
// list and case pages do; a form, a task being decided or an error page
// is not interrupted.
func bannerPage(path string) bool {
	return path == "/" || strings.HasPrefix(path, "/cases/")
}

// unread counts the caller's unread notifications for the navigation; a
// failure is logged and shows no count.
func (pg *Pages) unread(c *fiber.Ctx) int {
	n, err := pg.Tasks.UnreadCount(c.UserContext(), route.Principal(c))
	if err != nil {
		pg.Log.Warn("cannot count unread notifications for the page", "request_id", route.RequestID(c), "err", err)
	}
	return n
}

// mayReadReports says whether the navigation links Reports; a failure
// is logged and hides the link.
func (pg *Pages) mayReadReports(c *fiber.Ctx) bool {
	p := route.Principal(c)
	if p == nil || pg.Reports == nil {
		return false
	}
	ok, err := pg.Reports.AnyReadable(c.UserContext(), p)
	if err != nil {
		pg.Log.Warn("cannot tell whether the reader may read a report", "request_id", route.RequestID(c), "err", err)
	}
	return ok
}

// notices are the caller's newest unread notifications; a failure to read
// them must not cost the officer the page, so it is logged and skipped.
func (pg *Pages) notices(c *fiber.Ctx) []ui.Notice {
	list, _, err := pg.Tasks.Notifications(c.UserContext(), route.Principal(c), true, 3, "")
	if err != nil {
		pg.Log.Warn("cannot read notifications for the page", "request_id", route.RequestID(c), "err", err)
		return nil
	}
	out := make([]ui.Notice, 0, len(list))
	for _, n := range list {
		out = append(out, noticeOf(n.In(route.Lang(c))))
	}
	return out
}

// noticeOf is a notification as the pages show it: its link, else its case.
func noticeOf(n tasks.Notification) ui.Notice {
	link := n.Link
	if link == "" && n.BusinessKey != "" {
		link = "/cases/" + n.BusinessKey
	}
	return ui.Notice{ID: n.ID, Title: n.Title, Body: n.Body, Link: link}
}

// checkCSRF refuses a page form post that does not carry the session's
// token: a post from another site, or from a page older than the session.
func (pg *Pages) checkCSRF(c *fiber.Ctx) error {
	sess := route.Session(c)
	if sess == nil {
		return refusePage(fiber.StatusForbidden, "This page is for the browser", "Sign in with your browser to use it.")
	}
	if !route.PostedCSRF(c, sess) {
		return refusePage(fiber.StatusForbidden, "The page was out of date",
			"Your answers on that page were not saved because the page was out of date. Go back, reload the page and try again.")
	}
	return nil
}

// Refusal is an error page the handler has chosen; it is returned as
// an error so the handler stops, and the error handler draws it.
type Refusal struct {
	Status int
	Data   ui.ErrorData
}

func (r *Refusal) Error() string { return r.Data.Title + ": " + r.Data.Detail }

func refusePage(status int, title, detail string) error {
	return &Refusal{Status: status, Data: ui.ErrorData{Title: title, Detail: detail}}
}

// pageError draws a service's error as a page: what was not found, what
// the caller may not do, what has moved on, in the page's own words. Anything
// else is a server error, logged with the request id.
func (pg *Pages) pageError(c *fiber.Ctx, err error) error {
	var refusal *Refusal
	if errors.As(err, &refusal) {
		return pg.Render(c, refusal.Status, "error", refusal.Data)
	}
	p, ok := problem.As(err)
	if !ok {
		return err
	}
	data := ui.ErrorData{Title: "You cannot do this", Detail: sentence(p.Detail)}
	switch {
	case p.Kind == problem.NotFound:
		data = ui.ErrorData{Title: "Page not found",
			Detail: "There is nothing here that you can see. It may have been submitted or removed, or belong to another team."}
	case p.Reason == cases.ReasonQuota:
		data.Title = "You have too many unfinished forms"
	case p.Reason == cases.ReasonSubmitted:
		data = ui.ErrorData{Title: "This form has already been sent",
			Detail: "It was sent from another window or by pressing the button twice. Find it in your tasks and cases."}
	case p.Kind == problem.Malformed:
		data = ui.ErrorData{Title: "This list cannot be shown",
			Detail: "The link to this page of the list is not one COP made. Start again from the first page."}
	case p.Kind == problem.Gone:
		data = ui.ErrorData{Title: "This form is no longer in use",
			Detail: "It has been retired. Start the newest version from Start something new."}
	}
	return pg.Render(c, p.Kind.Status(), "error", data)
}

// sentence capitalises a service message and ends it with a full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

var resumable = regexp.MustCompile(`^/(drafts|tasks|cases|forms)/[^/]+`)

// ResumeAfterSignIn is where a page post whose session ended sends the
// officer after signing in again: the draft (which opens at the last page
// saved), the task or case it was about, else their work.
func ResumeAfterSignIn(path string) string {
	if m := resumable.FindString(path); m != "" {
		return m
	}
	return "/"
}
