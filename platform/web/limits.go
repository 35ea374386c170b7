package web

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"

	"cop/platform/web/route"
	"cop/ui"
)

// Limits are the request budgets each caller gets per Window: PerCaller
// for a signed-in principal (keyed by subject), Anonymous for requests
// without one (keyed by client address), so one client cannot starve the
// others or fill the audit log and the sign-in tables. Zero turns a budget
// off (load tests and benchmarks). Each replica counts its own requests.
type Limits struct {
	PerCaller int
	Anonymous int
	Window    time.Duration
}

// rateLimits are the two limiters, in the middleware chain after
// authentication (which says who the caller is) and before the audit
// safety net, so a refused burst leaves no audit rows.
func (s *Server) rateLimits() fiber.Handler {
	l := s.deps.Limits
	window := l.Window
	if window <= 0 {
		window = time.Minute
	}
	signedIn := limiter.New(limiter.Config{
		Next:              func(c *fiber.Ctx) bool { return l.PerCaller <= 0 || unmetered(c.Path()) },
		Max:               max(l.PerCaller, 1),
		Expiration:        window,
		KeyGenerator:      func(c *fiber.Ctx) string { return "sub:" + route.Principal(c).Subject },
		LimitReached:      s.limitReached(l.PerCaller, window, "signed-in caller"),
		LimiterMiddleware: limiter.SlidingWindow{},
	})
	anonymous := limiter.New(limiter.Config{
		Next:              func(c *fiber.Ctx) bool { return l.Anonymous <= 0 || unmetered(c.Path()) },
		Max:               max(l.Anonymous, 1),
		Expiration:        window,
		KeyGenerator:      func(c *fiber.Ctx) string { return "ip:" + route.ClientIP(c) },
		LimitReached:      s.limitReached(l.Anonymous, window, "client address without a sign-in"),
		LimiterMiddleware: limiter.SlidingWindow{},
	})
	return func(c *fiber.Ctx) error {
		if route.Principal(c) != nil {
			return signedIn(c)
		}
		return anonymous(c)
	}
}

// unmetered paths are probes and static files: a load balancer's health
// checks and a page's stylesheets must not spend a caller's budget.
func unmetered(path string) bool {
	return path == "/healthz" || path == "/readyz" || path == "/metrics" || strings.HasPrefix(path, "/assets/")
}

func (s *Server) limitReached(max int, window time.Duration, who string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		s.metrics.limited.Inc()
		detail := fmt.Sprintf("too many requests: each %s may send %d every %s; try again in %s seconds", who, max, window, c.GetRespHeader(fiber.HeaderRetryAfter))
		if route.IsPage(c) && route.WantsHTML(c) {
			return s.pages.Render(c, fiber.StatusTooManyRequests, "error", ui.ErrorData{Title: "Too many requests",
				Detail: "You have sent a lot of requests in a short time. Wait a minute, then try again."})
		}
		return route.WriteProblem(c, fiber.StatusTooManyRequests, detail)
	}
}

// clientIP is where a request came from. Behind proxies listed in
// TrustedProxies it is the right-most X-Forwarded-For address that is not
// one of them (the left-most entries are whatever the client wrote);
// otherwise the connection's address.
func (s *Server) clientIP(c *fiber.Ctx) string {
	remote, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	remote = remote.Unmap()
	if !s.trusted(remote) {
		return remote.String()
	}
	hops := strings.Split(c.Get(fiber.HeaderXForwardedFor), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		if a, err := netip.ParseAddr(strings.TrimSpace(hops[i])); err == nil && !s.trusted(a.Unmap()) {
			return a.Unmap().String()
		}
	}
	return remote.String()
}

// trusted reports whether a is one of the TrustedProxies.
func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.deps.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
