// Package route is what every COP handler, API or page, is built from: a
// route declared together with its permission rule and the media types it
// takes (Router), who is calling (Principal, Session), and the one way a
// refusal is answered to the API (RFC 9457 problems: Fail, WriteProblem).
// The server's middleware fills in the request's values; the handlers in
// web/api and web/pages read them here.
package route

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"strings"

	"github.com/gofiber/fiber/v2"

	"cop/forms/lang"
	"cop/platform/audit"
	"cop/platform/auth"
)

// Keys of the values the server's middleware keeps on the request.
const (
	KeyRequestID = "cop.requestID"
	KeyPrincipal = "cop.principal"
	KeySession   = "cop.session"
	KeyAuthError = "cop.authError"
	KeyRoute     = "cop.route"
	KeyNonce     = "cop.nonce"
	KeyClientIP  = "cop.clientIP"
	KeyLang      = "cop.lang"
)

// ClientIP is the request's client address as the first middleware
// worked it out (the server's trusted-proxy rule).
func ClientIP(c *fiber.Ctx) string {
	if ip, ok := c.Locals(KeyClientIP).(string); ok {
		return ip
	}
	return c.Context().RemoteIP().String()
}

// RequestID is the request's id; requests the server refuses before the
// middleware runs (an oversized body) get one here.
func RequestID(c *fiber.Ctx) string {
	if id, ok := c.Locals(KeyRequestID).(string); ok {
		return id
	}
	id := NewRequestID()
	c.Locals(KeyRequestID, id)
	c.Set(fiber.HeaderXRequestID, id)
	return id
}

// RouteKey is the matched route's pattern ("GET /api/v1/me"), or
// "unmatched" for requests no route took, so metrics stay bounded.
func RouteKey(c *fiber.Ctx) string {
	if k, ok := c.Locals(KeyRoute).(string); ok {
		return k
	}
	return "unmatched"
}

// Nonce is this response's Content-Security-Policy nonce.
func Nonce(c *fiber.Ctx) string {
	n, _ := c.Locals(KeyNonce).(string)
	return n
}

// Principal is who is calling, or nil for an anonymous request.
func Principal(c *fiber.Ctx) *auth.Principal {
	p, _ := c.Locals(KeyPrincipal).(*auth.Principal)
	return p
}

// Lang is the language the request is answered in ("en", "cy").
func Lang(c *fiber.Ctx) string {
	if l, ok := c.Locals(KeyLang).(string); ok {
		return l
	}
	return lang.English
}

// Session is the browser session the request came with, or nil (a
// bearer token, or no credential).
func Session(c *fiber.Ctx) *auth.Session {
	sess, _ := c.Locals(KeySession).(*auth.Session)
	return sess
}

// IsPage is true for browser page routes (not the API or operations).
func IsPage(c *fiber.Ctx) bool { return WantsHTMLPath(c.Path()) }

// WantsHTMLPath is true for the paths of browser pages.
func WantsHTMLPath(p string) bool {
	return !strings.HasPrefix(p, "/api/") && p != "/healthz" && p != "/readyz" && p != "/metrics"
}

// IsMutating is true for the methods that change things.
func IsMutating(method string) bool {
	switch method {
	case fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch, fiber.MethodDelete:
		return true
	}
	return false
}

// Who is the caller, for audit rows.
func Who(c *fiber.Ctx) audit.Who {
	w := audit.Who{Actor: "anonymous", RequestID: RequestID(c), ClientIP: ClientIP(c), UserAgent: c.Get(fiber.HeaderUserAgent)}
	if p := Principal(c); p != nil {
		w.Actor = p.Subject
	}
	return w
}

// WantsHTML is true for browser page requests, which get an HTML error page.
func WantsHTML(c *fiber.Ctx) bool {
	return IsPage(c) && strings.Contains(c.Get(fiber.HeaderAccept), "text/html")
}

// NewRequestID is 96 random bits, hex.
func NewRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// PostedCSRF reports whether a form post carries the session's token.
func PostedCSRF(c *fiber.Ctx, sess *auth.Session) bool {
	return subtle.ConstantTimeCompare([]byte(c.FormValue("csrf")), []byte(sess.CSRF)) == 1
}
