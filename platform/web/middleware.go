package web

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"cop/platform/audit"
	"cop/platform/auth"
	"cop/ui"
)

// Keys of values the middleware keeps on the request.
const (
	localRequestID = "cop.requestID"
	localPrincipal = "cop.principal"
	localSession   = "cop.session"
	localAuthError = "cop.authError"
	localRoute     = "cop.route"
	localNonce     = "cop.nonce"
	localClientIP  = "cop.clientIP"
)

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// requestID takes the caller's X-Request-Id when it is a sane token, so a
// request can be followed across systems, and otherwise makes one.
func (s *Server) requestID(c *fiber.Ctx) error {
	id := c.Get(fiber.HeaderXRequestID)
	if !requestIDPattern.MatchString(id) {
		id = newRequestID()
	}
	c.Locals(localRequestID, id)
	c.Set(fiber.HeaderXRequestID, id)
	c.Locals(localClientIP, s.clientIP(c))
	return c.Next()
}

// clientIPOf is the request's client address as the first middleware
// worked it out (Server.clientIP).
func clientIPOf(c *fiber.Ctx) string {
	if ip, ok := c.Locals(localClientIP).(string); ok {
		return ip
	}
	return c.Context().RemoteIP().String()
}

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// requestID is the request's id; requests the server refuses before the
// middleware runs (an oversized body) get one here.
func requestID(c *fiber.Ctx) string {
	if id, ok := c.Locals(localRequestID).(string); ok {
		return id
	}
	id := newRequestID()
	c.Locals(localRequestID, id)
	c.Set(fiber.HeaderXRequestID, id)
	return id
}

// observe counts and times every request and writes one log line for it.
func (s *Server) observe(c *fiber.Ctx) error {
	start := time.Now()
	if err := c.Next(); err != nil {
		s.handleError(c, err)
	}
	status := c.Response().StatusCode()
	route := routeKey(c)
	elapsed := time.Since(start)
	s.metrics.observe(c.Method(), route, status, elapsed)
	actor := "anonymous"
	if p := principal(c); p != nil {
		actor = p.Subject
	}
	s.log.Info("request", "request_id", requestID(c), "method", c.Method(), "route", route, "path", c.Path(),
		"status", status, "duration_ms", float64(elapsed.Microseconds())/1000, "actor", actor,
		"client_ip", clientIPOf(c), "user_agent", c.Get(fiber.HeaderUserAgent))
	return nil
}

// handleError writes the response for an error a handler returned.
func (s *Server) handleError(c *fiber.Ctx, err error) {
	if herr := s.errorHandler(c, err); herr != nil {
		c.Status(fiber.StatusInternalServerError)
	}
}

// routeKey is the matched route's pattern ("GET /api/v1/me"), or
// "unmatched" for requests no route took, so metrics stay bounded.
func routeKey(c *fiber.Ctx) string {
	if k, ok := c.Locals(localRoute).(string); ok {
		return k
	}
	return "unmatched"
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
	c.Locals(localNonce, nonce)
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

// nonce is this response's Content-Security-Policy nonce.
func nonce(c *fiber.Ctx) string {
	n, _ := c.Locals(localNonce).(string)
	return n
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
			c.Locals(localAuthError, "the Authorization header must be `Bearer <access token>`")
			return c.Next()
		}
		p, err := s.deps.Auth.VerifyBearer(c.UserContext(), strings.TrimSpace(token))
		var te *auth.TokenError
		switch {
		case errors.As(err, &te):
			c.Locals(localAuthError, te.Reason)
		case err != nil:
			s.log.Error("cannot check bearer token", "request_id", requestID(c), "err", err)
			c.Locals(localAuthError, "the sign-in provider cannot be reached to check the token; try again shortly")
		default:
			c.Locals(localPrincipal, p)
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
			c.Locals(localAuthError, "your session has ended or is not valid; sign in again")
		} else {
			c.Locals(localPrincipal, sess.Principal)
			c.Locals(localSession, sess)
			s.seen(c, sess.Principal)
		}
	}
	return c.Next()
}

// seen keeps the user directory up to date with the caller; a failure is
// logged, not the caller's problem.
func (s *Server) seen(c *fiber.Ctx, p *auth.Principal) {
	if err := s.deps.Directory.Seen(c.UserContext(), p); err != nil {
		s.log.Warn("cannot update the user directory", "request_id", requestID(c), "subject", p.Subject, "err", err)
	}
}

func principal(c *fiber.Ctx) *auth.Principal {
	p, _ := c.Locals(localPrincipal).(*auth.Principal)
	return p
}

func session(c *fiber.Ctx) *auth.Session {
	sess, _ := c.Locals(localSession).(*auth.Session)
	return sess
}

// authorize enforces one route's permission rule.
func (s *Server) authorize(rule auth.Rule) fiber.Handler {
	return func(c *fiber.Ctx) error {
		r := c.Route()
		c.Locals(localRoute, r.Method+" "+r.Path)
		p := principal(c)
		if session(c) != nil && isMutating(c.Method()) && !isPage(c) {
			// The browser's cookie would ride along on any same-site
			// request, so it never authorises an API change: the pages
			// post to their own routes, each with the session's CSRF token.
			return writeProblem(c, fiber.StatusForbidden, "a browser session cannot change things through the API; send an access token as `Authorization: Bearer <token>`")
		}
		switch rule.Check(p) {
		case fiber.StatusUnauthorized:
			if isPage(c) && (c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead) {
				return c.Redirect("/login?return_to="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
			}
			if isPage(c) && wantsHTML(c) {
				// A page post after the session ended: what earlier posts
				// saved is kept, and signing in again resumes there.
				return s.page(c, fiber.StatusUnauthorized, "error", ui.ErrorData{Title: "Your session has ended",
					Detail: "You were signed out because the session ended. Your answers up to the last page you continued from are saved.",
					SignIn: true, Return: resumeAfterSignIn(c.Path())})
			}
			reason, _ := c.Locals(localAuthError).(string)
			if reason == "" {
				reason = "sign in, or send an access token as `Authorization: Bearer <token>`"
			}
			return writeProblem(c, fiber.StatusUnauthorized, reason)
		case fiber.StatusForbidden:
			return writeProblem(c, fiber.StatusForbidden, fmt.Sprintf("this needs one of the roles %s; you have %s",
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

// isPage is true for browser page routes (not the API or operations).
func isPage(c *fiber.Ctx) bool { return wantsHTMLPath(c.Path()) }

func wantsHTMLPath(p string) bool {
	return !strings.HasPrefix(p, "/api/") && p != "/healthz" && p != "/readyz" && p != "/metrics"
}

// auditSafetyNet makes sure every state-changing request leaves an audit
// row. The services that change state record their own row inside the
// change's transaction, which marks the request audited (audit.Track);
// anything else, notably requests refused before reaching a service, is
// recorded here with its outcome.
func (s *Server) auditSafetyNet(c *fiber.Ctx) error {
	if !isMutating(c.Method()) {
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
	if !isMutating(c.Method()) || routeKey(c) == "unmatched" && status == fiber.StatusNotFound {
		return
	}
	entry := who(c).Entry("http."+routeKey(c), c.Path(), outcomeOf(status), map[string]any{"status": status})
	if err := audit.Record(c.UserContext(), s.deps.Pool, entry); err != nil {
		s.log.Error("cannot write audit row", "request_id", requestID(c), "err", err)
	}
}

func isMutating(method string) bool {
	switch method {
	case fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch, fiber.MethodDelete:
		return true
	}
	return false
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

// who is the caller, for audit rows.
func who(c *fiber.Ctx) audit.Who {
	w := audit.Who{Actor: "anonymous", RequestID: requestID(c), ClientIP: clientIPOf(c), UserAgent: c.Get(fiber.HeaderUserAgent)}
	if p := principal(c); p != nil {
		w.Actor = p.Subject
	}
	return w
}
