package route

import (
	"fmt"
	"maps"

	"github.com/gofiber/fiber/v2"

	"cop/platform/auth"
)

// Router registers routes, each behind its permission rule: Add is the
// only way a handler reaches the application, so a route cannot be
// written without a rule and deny by default holds.
type Router struct {
	app       *fiber.App
	authorize func(auth.Rule) fiber.Handler
	// rules is each route's permission rule, by "METHOD /pattern" (the
	// route-walking test holds every route to one).
	rules map[string]auth.Rule
	// takes is each state-changing route's declared media types, by
	// "METHOD /pattern" (tests hold the OpenAPI document to them).
	takes map[string][]string
}

// NewRouter registers on app; authorize builds the handler that enforces
// one rule (the server's, which knows how to refuse a page and the API).
func NewRouter(app *fiber.App, authorize func(auth.Rule) fiber.Handler) *Router {
	return &Router{app: app, authorize: authorize, rules: map[string]auth.Rule{}, takes: map[string][]string{}}
}

// Add registers a handler behind its permission rule and, for a
// state-changing route, the media types its body may be sent as (see
// media.go); one that declares none is a programming error. Fiber also
// answers HEAD for GET routes, through the same check.
func (r *Router) Add(method, path string, rule auth.Rule, h fiber.Handler, takes ...[]string) {
	chain := []fiber.Handler{r.authorize(rule)}
	if IsMutating(method) {
		if len(takes) != 1 {
			panic(fmt.Sprintf("route %s %s must declare the media types it takes", method, path))
		}
		chain = append(chain, accepts(takes[0]))
		r.takes[method+" "+path] = takes[0]
	}
	r.rules[method+" "+path] = rule
	r.app.Add(method, path, append(chain, h)...)
}

// Rules are the registered routes' rules, by "METHOD /pattern".
func (r *Router) Rules() map[string]auth.Rule { return maps.Clone(r.rules) }

// Takes are the state-changing routes' media types, by "METHOD /pattern".
func (r *Router) Takes() map[string][]string { return maps.Clone(r.takes) }
