package auth

import "net/http"

// Rule says who may call one route. The zero Rule admits any signed-in
// principal; Public admits anyone; Roles admits holders of any listed role.
type Rule struct {
	Public bool
	Roles  []string
}

// Public admits anyone, signed in or not.
var Public = Rule{Public: true}

// SignedIn admits any signed-in principal, whatever their roles.
var SignedIn = Rule{}

// AnyRole admits holders of any of the roles.
func AnyRole(roles ...string) Rule { return Rule{Roles: roles} }

// Check returns 0 when p may call the route, else the status to refuse with:
// 401 when nobody is signed in, 403 when the principal lacks the role.
func (r Rule) Check(p *Principal) int {
	if r.Public {
		return 0
	}
	if p == nil {
		return http.StatusUnauthorized
	}
	if len(r.Roles) == 0 {
		return 0
	}
	for _, role := range r.Roles {
		if p.HasRole(role) {
			return 0
		}
	}
	return http.StatusForbidden
}

// Table maps "METHOD /path" (the router's own pattern, e.g.
// "GET /api/v1/forms/:name") to its rule. A route with no entry is refused.
type Table map[string]Rule

// Lookup returns the rule for a route and whether one exists.
func (t Table) Lookup(method, path string) (Rule, bool) {
	r, ok := t[method+" "+path]
	return r, ok
}
