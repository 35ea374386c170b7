package web

import "cop/platform/auth"

// permissions is the one table of who may call which route, keyed by the
// router's own pattern. A route registered without an entry here is refused
// to everybody (deny by default); TestEveryRouteHasAPermission walks the
// router to prove no route is missing. Admins are listed explicitly.
var permissions = auth.Table{
	// Operations and documents anyone may read.
	"GET /healthz":             auth.Public,
	"GET /readyz":              auth.Public,
	"GET /metrics":             auth.Public, // scrape from the private network; see docs/operations.md
	"GET /api/v1/openapi.json": auth.Public,

	// Browser sign-in.
	"GET /login":         auth.Public,
	"GET /auth/callback": auth.Public,
	"POST /logout":       auth.SignedIn,

	// Pages.
	"GET /":           auth.SignedIn,
	"GET /signed-out": auth.Public,

	// API.
	"GET /api/v1/me":    auth.SignedIn,
	"GET /api/v1/audit": auth.AnyRole(auth.RoleAdmin, auth.RoleSupervisor),
}
