package web

import "testing"

func TestAuditScenarios(t *testing.T) {
	e := newEnv(t)
	e.must(201, "POST", "/api/v1/forms", e.token("author"), approvalForm, nil) // something to read
	e.scenarios(t, []scenario{
		{name: "nobody signed in", method: "GET", path: "/api/v1/audit", status: 401},
		{name: "an officer may not read the trail", as: "officer", method: "GET", path: "/api/v1/audit", status: 403},
		{name: "an author may not either", as: "author", method: "GET", path: "/api/v1/audit", status: 403},
		{name: "an admin reads every row", as: "admin", method: "GET", path: "/api/v1/audit", status: 200,
			want: []string{`"action":"registry.publish"`, `"resource":"form:global/seizure-approval@1.0.0"`}},
		{name: "a supervisor reads their teams' rows", as: "supervisor", method: "GET", path: "/api/v1/audit", status: 200, want: []string{`"items":`}},
		{name: "a cursor COP did not make", as: "admin", method: "GET", path: "/api/v1/audit?cursor=zz", status: 400, pointers: []string{"/cursor"}},
		{name: "a limit out of range", as: "admin", method: "GET", path: "/api/v1/audit?limit=0", status: 400, pointers: []string{"/limit"}},
		{name: "the trail is read-only", as: "admin", method: "POST", path: "/api/v1/audit", body: "{}", status: 405},
	})
}
