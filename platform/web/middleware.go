package web

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"cop/forms/lang"
	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/web/pages"
	"cop/platform/web/route"
	"cop/ui"
)

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// requestID takes the caller's X-Request-Id when it is a sane token, so a
// request can be followed across systems, and otherwise makes one.
func (s *Server) requestID(c *fiber.Ctx) error {
	id := c.Get(fiber.HeaderXRequestID)
	if !requestIDPattern.MatchString(id) {
		id = route.NewRequestID()
	}
	c.Locals(route.KeyRequestID, id)
	c.Set(fiber.HeaderXRequestID, id)
	c.Locals(route.KeyClientIP, s.clientIP(c))
	return c.Next()
}

// observe counts and times every request and writes one log line for it.
func (s *Server) observe(c *fiber.Ctx) error {
	start := time.Now()
	if err := c.Next(); err != nil {
		s.handleError(c, err)
	}
	status := c.Response().StatusCode()
	key := route.RouteKey(c)
	elapsed := time.Since(start)
	s.metrics.observe(c.Method(), key, status, elapsed)
	actor := "anonymous"
	if p := route.Principal(c); p != nil {
		actor = p.Subject
	}
	s.log.Info("request", "request_id", route.RequestID(c), "method", c.Method(), "route", key, "path", c.Path(),
		"status", status, "duration_ms", float64(elapsed.Microseconds())/1000, "actor", actor,
		"client_ip", route.ClientIP(c), "user_agent", c.Get(fiber.HeaderUserAgent))
	return nil
}

// handleError writes the response for an error a handler returned.
func (s *Server) handleError(c *fiber.Ctx, err error) {
	if herr := s.errorHandler(c, err); herr != nil {
		c.Status(fiber.StatusInternalServerError)
	}
}

// securityHeaders applies to every response; pages get a strict
// Content-Security-Policy (forms may post to COP and to the sign-in provider).
func (s *Server) securityHeaders(c *fiber.Ctx) error {
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("X-Frame-Options", "DENY")
	c.Set("Referrer-Policy", "no-referrer")
	c.Set("Cache-Control", "no-store")
	// GOV.UK's page template has one inline script (and COP one inline
	// module that starts GOV.UK Frontend): each response allows those by a
	// fresh nonce, and nothing else inline.
	nonce := newNonce()
	c.Locals(route.KeyNonce, nonce)
	c.Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'nonce-"+nonce+"'; style-src 'self'; img-src 'self' data:; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self' "+s.formAction)
	if s.cookies.secure {
		c.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	}
	return c.Next()
}

// newNonce is 128 random bits, base64: a Content-Security-Policy nonce.
func newNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// origin is scheme://host of a URL, for Content-Security-Policy sources.
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// authenticate works out who is calling, without refusing anyone: a bearer
// token if one is sent, else the browser session cookie. Why a credential
// was not accepted is kept, so a refusal can say it.
func (s *Server) authenticate(c *fiber.Ctx) error {
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		scheme, token, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			c.Locals(route.KeyAuthError, "the Authorization header must be `Bearer <access token>`")
			return c.Next()
		}
		p, err := s.deps.Auth.VerifyBearer(c.UserContext(), strings.TrimSpace(token))
		var te *auth.TokenError
		switch {
		case errors.As(err, &te):
			c.Locals(route.KeyAuthError, te.Reason)
		case err != nil:
			s.log.Error("cannot check bearer token", "request_id", route.RequestID(c), "err", err)
			c.Locals(route.KeyAuthError, "the sign-in provider cannot be reached to check the token; try again shortly")
		default:
			c.Locals(route.KeyPrincipal, p)
			s.seen(c, p)
		}
		return c.Next()
	}
	if cookie := c.Cookies(s.cookies.session); cookie != "" {
		sess, err := s.deps.Auth.Session(c.UserContext(), cookie)
		if err != nil {
			return err
		}
		if sess == nil {
			s.clearCookie(c, s.cookies.session, "/")
			c.Locals(route.KeyAuthError, "your session has ended or is not valid; sign in again")
		} else {
			c.Locals(route.KeyPrincipal, sess.Principal)
			c.Locals(route.KeySession, sess)
			s.seen(c, sess.Principal)
		}
	}
	return c.Next()
}

// seen keeps the user directory up to date with the caller; a failure is
// logged, not the caller's problem.
func (s *Server) seen(c *fiber.Ctx, p *auth.Principal) {
	if err := s.deps.Directory.Seen(c.UserContext(), p); err != nil {
		s.log.Warn("cannot update the user directory", "request_id", route.RequestID(c), "subject", p.Subject, "err", err)
	}
}

// authorize enforces one route's permission rule.
func (s *Server) authorize(rule auth.Rule) fiber.Handler {
	return func(c *fiber.Ctx) error {
		r := c.Route()
		c.Locals(route.KeyRoute, r.Method+" "+r.Path)
		p := route.Principal(c)
		if route.Session(c) != nil && route.IsMutating(c.Method()) && !route.IsPage(c) {
			// The browser's cookie would ride along on any same-site
			// request, so it never authorises an API change: the pages
			// post to their own routes, each with the session's CSRF token.
			return route.WriteProblem(c, fiber.StatusForbidden, "a browser session cannot change things through the API; send an access token as `Authorization: Bearer <token>`")
		}
		switch rule.Check(p) {
		case fiber.StatusUnauthorized:
			if route.IsPage(c) && (c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead) {
				return c.Redirect("/login?return_to="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
			}
			if route.IsPage(c) && route.WantsHTML(c) {
				// A page post after the session ended: what earlier posts
				// saved is kept, and signing in again resumes there.
				return s.pages.Render(c, fiber.StatusUnauthorized, "error", ui.ErrorData{Title: "Your session has ended",
					Detail: "You were signed out because the session ended. Your answers up to the last page you continued from are saved.",
					SignIn: true, Return: pages.ResumeAfterSignIn(c.Path())})
			}
			reason, _ := c.Locals(route.KeyAuthError).(string)
			if reason == "" {
				reason = "sign in, or send an access token as `Authorization: Bearer <token>`"
			}
			return route.WriteProblem(c, fiber.StatusUnauthorized, reason)
		case fiber.StatusForbidden:
			if route.IsPage(c) && route.WantsHTML(c) {
				// A page for other roles is, to this user, no page at all.
				return s.pages.Render(c, fiber.StatusNotFound, "error", ui.ErrorData{Title: "Page not found",
					Detail: "If you typed the web address, check it is correct. If you pasted it, check you copied the entire address."})
			}
			return route.WriteProblem(c, fiber.StatusForbidden, fmt.Sprintf("this needs one of the roles %s; you have %s",
				strings.Join(rule.Roles, ", "), describeRoles(p.Roles)))
		}
		return c.Next()
	}
}

func describeRoles(roles []string) string {
	if len(roles) == 0 {
		return "none"
	}
	return strings.Join(roles, ", ")
}

// language decides what language a request is answered in: a page's
// language toggle (?lang=cy on a page) is remembered in a cookie for the
// browser session; otherwise that cookie, else the Accept-Language
// header. A language COP does not offer is English, never an error.
func (s *Server) language(c *fiber.Ctx) error {
	var l string
	switch q, ck := c.Query("lang"), c.Cookies(s.cookies.lang); {
	case q != "":
		l = lang.Parse(q)
		if !strings.HasPrefix(c.Path(), "/api/") && l != ck {
			s.setCookie(c, s.cookies.lang, l, "/", 0)
		}
	case ck != "":
		l = lang.Parse(ck)
	default:
		l = lang.FromAcceptLanguage(c.Get(fiber.HeaderAcceptLanguage))
	}
	c.Locals(route.KeyLang, l)
	c.SetUserContext(lang.NewContext(c.UserContext(), l))
	return c.Next()
}

// auditSafetyNet makes sure every state-changing request leaves an audit
// row. The services that change state record their own row inside the
// change's transaction, which marks the request audited (audit.Track);
// anything else, notably requests refused before reaching a service, is
// recorded here with its outcome.
func (s *Server) auditSafetyNet(c *fiber.Ctx) error {
	if !route.IsMutating(c.Method()) {
		return c.Next()
	}
	// A service that records the change's audit row under this context
	// (in a transaction that commits) marks it audited.
	ctx, audited := audit.Track(c.UserContext())
	c.SetUserContext(ctx)
	if err := c.Next(); err != nil {
		s.handleError(c, err)
	}
	if !audited() {
		s.auditUnhandled(c, c.Response().StatusCode())
	}
	return nil
}

// auditUnhandled records a state-changing request no handler audited. A
// request no route took changes nothing and names nothing: it is logged
// and counted, not audited, so a scanner cannot fill the audit log.
func (s *Server) auditUnhandled(c *fiber.Ctx, status int) {
	if !route.IsMutating(c.Method()) || route.RouteKey(c) == "unmatched" && status == fiber.StatusNotFound {
		return
	}
	entry := route.Who(c).Entry("http."+route.RouteKey(c), c.Path(), outcomeOf(status), map[string]any{"status": status})
	if err := audit.Record(c.UserContext(), s.deps.Pool, entry); err != nil {
		s.log.Error("cannot write audit row", "request_id", route.RequestID(c), "err", err)
	}
}

func outcomeOf(status int) string {
	switch {
	case status == fiber.StatusUnauthorized || status == fiber.StatusForbidden:
		return audit.Denied
	case status >= 500:
		return audit.Failed
	case status >= 400:
		return audit.Rejected
	default:
		return audit.OK
	}
}
