package api_test

import (
	"testing"

	"cop/platform/web/webtest"
)

func TestAuditScenarios(t *testing.T) {
	e := webtest.New(t)
	e.Must(201, "POST", "/api/v1/forms", e.Token("author"), webtest.ApprovalForm, nil) // something to read
	e.Scenarios(t, []webtest.Scenario{
		{Name: "nobody signed in", Method: "GET", Path: "/api/v1/audit", Status: 401},
		{Name: "an officer may not read the trail", As: "officer", Method: "GET", Path: "/api/v1/audit", Status: 403},
		{Name: "an author may not either", As: "author", Method: "GET", Path: "/api/v1/audit", Status: 403},
		{Name: "an admin reads every row", As: "admin", Method: "GET", Path: "/api/v1/audit", Status: 200,
			Want: []string{`"action":"registry.publish"`, `"resource":"form:global/seizure-approval@1.0.0"`}},
		{Name: "a supervisor reads their teams' rows", As: "supervisor", Method: "GET", Path: "/api/v1/audit", Status: 200, Want: []string{`"items":`}},
		{Name: "a cursor COP did not make", As: "admin", Method: "GET", Path: "/api/v1/audit?cursor=zz", Status: 400, Pointers: []string{"/cursor"}},
		{Name: "a limit out of range", As: "admin", Method: "GET", Path: "/api/v1/audit?limit=0", Status: 400, Pointers: []string{"/limit"}},
		{Name: "the trail is read-only", As: "admin", Method: "POST", Path: "/api/v1/audit", Body: "{}", Status: 405},
	})
}
