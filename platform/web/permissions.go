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
	"GET /signed-out": auth.Public,
	// Officer pages: signed in; the services decide what each may see and
	// do, as for the API, and every post carries the session's CSRF token.
	"GET /":                             auth.SignedIn,
	"GET /tasks/:id":                    auth.SignedIn,
	"POST /tasks/:id/claim":             auth.SignedIn,
	"POST /tasks/:id/release":           auth.SignedIn,
	"POST /tasks/:id/reassign":          auth.SignedIn,
	"POST /tasks/:id/complete":          auth.SignedIn,
	"GET /start":                        auth.SignedIn,
	"GET /forms/:name":                  auth.SignedIn,
	"POST /forms/:name/start":           auth.SignedIn,
	"GET /drafts/:id":                   auth.SignedIn,
	"GET /drafts/:id/pages/:page":       auth.SignedIn,
	"POST /drafts/:id/pages/:page":      auth.SignedIn,
	"GET /drafts/:id/pages/:page/more":  auth.SignedIn,
	"POST /drafts/:id/pages/:page/more": auth.SignedIn,
	"GET /drafts/:id/check":             auth.SignedIn,
	"POST /drafts/:id/submit":           auth.SignedIn,
	"GET /drafts/:id/saved":             auth.SignedIn,
	"GET /submissions/:id":              auth.SignedIn,
	"GET /cases/:key":                   auth.SignedIn,
	"POST /notifications/:id/read":      auth.SignedIn,
	"GET /assets/*":                     auth.Public, // GOV.UK Frontend's CSS, JavaScript, fonts and images

	// API.
	"GET /api/v1/me":    auth.SignedIn,
	"GET /api/v1/audit": auth.AnyRole(auth.RoleAdmin, auth.RoleSupervisor),

	// Definitions: anyone signed in reads them; authors publish and retire.
	"POST /api/v1/forms":                                  authors,
	"GET /api/v1/forms":                                   auth.SignedIn,
	"GET /api/v1/forms/:name":                             auth.SignedIn,
	"GET /api/v1/forms/:name/versions":                    auth.SignedIn,
	"GET /api/v1/forms/:name/versions/:version":           auth.SignedIn,
	"POST /api/v1/forms/:name/versions/:version/retire":   authors,
	"POST /api/v1/terms":                                  authors,
	"GET /api/v1/terms":                                   auth.SignedIn,
	"GET /api/v1/terms/:name":                             auth.SignedIn,
	"GET /api/v1/terms/:name/versions":                    auth.SignedIn,
	"GET /api/v1/terms/:name/versions/:version":           auth.SignedIn,
	"POST /api/v1/terms/:name/versions/:version/retire":   authors,
	"POST /api/v1/refdata":                                authors,
	"GET /api/v1/refdata":                                 auth.SignedIn,
	"GET /api/v1/refdata/:name":                           auth.SignedIn,
	"GET /api/v1/refdata/:name/versions":                  auth.SignedIn,
	"GET /api/v1/refdata/:name/versions/:version":         auth.SignedIn,
	"POST /api/v1/refdata/:name/versions/:version/retire": authors,
	"GET /api/v1/refdata/:name/items":                     auth.SignedIn,

	// Submissions, cases, drafts and files: signed in here; the form's
	// access.start and the visibility rule decide the rest (403 to start
	// what one may not, 404 for what one may not see).
	"POST /api/v1/forms/:name/submissions": auth.SignedIn,
	"GET /api/v1/submissions/:id":          auth.SignedIn,
	"GET /api/v1/cases/:businessKey":       auth.SignedIn,
	"POST /api/v1/files":                   auth.SignedIn,
	"GET /api/v1/files/:id":                auth.SignedIn,
	"POST /api/v1/forms/:name/drafts":      auth.SignedIn,
	"GET /api/v1/drafts":                   auth.SignedIn,
	"GET /api/v1/drafts/:id":               auth.SignedIn,
	"PUT /api/v1/drafts/:id":               auth.SignedIn,
	"DELETE /api/v1/drafts/:id":            auth.SignedIn,
	"POST /api/v1/drafts/:id/submit":       auth.SignedIn,

	// Workflows: authors publish, retire and run drafts; anyone signed in
	// reads definitions and starts what the workflow's access.start allows.
	"POST /api/v1/workflows":                                           authors,
	"GET /api/v1/workflows":                                            auth.SignedIn,
	"GET /api/v1/workflows/:namespace/:name":                           auth.SignedIn,
	"GET /api/v1/workflows/:namespace/:name/versions":                  auth.SignedIn,
	"GET /api/v1/workflows/:namespace/:name/versions/:version":         auth.SignedIn,
	"POST /api/v1/workflows/:namespace/:name/versions/:version/retire": authors,
	"POST /api/v1/workflows/:namespace/:name/instances":                auth.SignedIn,
	"POST /api/v1/instances":                                           authors,
	// Instances: the visibility rule decides (404 otherwise); cancelling
	// also needs the starter, a supervisor or an admin (403).
	"GET /api/v1/instances":             auth.SignedIn,
	"GET /api/v1/instances/:id":         auth.SignedIn,
	"POST /api/v1/instances/:id/cancel": auth.SignedIn,
	"POST /api/v1/instances/:id/events": auth.SignedIn,
	// Tasks: the instance's Update checks candidate groups, the claim and
	// supervision; the list shows only what the caller may work.
	"GET /api/v1/tasks":                   auth.SignedIn,
	"GET /api/v1/tasks/:id":               auth.SignedIn,
	"POST /api/v1/tasks/:id/claim":        auth.SignedIn,
	"POST /api/v1/tasks/:id/release":      auth.SignedIn,
	"POST /api/v1/tasks/:id/complete":     auth.SignedIn,
	"POST /api/v1/tasks/:id/reassign":     auth.AnyRole(auth.RoleSupervisor, auth.RoleAdmin),
	"GET /api/v1/notifications":           auth.SignedIn,
	"POST /api/v1/notifications/:id/read": auth.SignedIn,
}

// authors may publish and retire definitions.
var authors = auth.AnyRole(auth.RoleAuthor, auth.RoleAdmin)
