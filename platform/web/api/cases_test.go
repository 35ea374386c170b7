package api_test

import (
	"testing"

	"cop/platform/web/webtest"
)

func TestCaseScenarios(t *testing.T) {
	e := webtest.New(t)
	webtest.RegisterArrival(e, e.Token("author"))
	var sub struct{ ID, BusinessKey string }
	e.Must(201, "POST", "/api/v1/forms/arrival-report/submissions", e.Token("officer"), webtest.ValidArrival, &sub)
	e.Scenarios(t, []webtest.Scenario{
		{Name: "the submitter reads the case", As: "officer", Method: "GET", Path: "/api/v1/cases/" + sub.BusinessKey, Status: 200,
			Want: []string{`"submissions":[{"id":"` + sub.ID, `"instances":[]`, `"tasks":[]`}},
		{Name: "an admin reads it", As: "admin", Method: "GET", Path: "/api/v1/cases/" + sub.BusinessKey, Status: 200},
		{Name: "someone who may read nothing in it", As: "officer-dover", Method: "GET", Path: "/api/v1/cases/" + sub.BusinessKey, Status: 404},
		{Name: "an unknown case", As: "admin", Method: "GET", Path: "/api/v1/cases/ARR-20000101-9", Status: 404},
		{Name: "nobody signed in", Method: "GET", Path: "/api/v1/cases/" + sub.BusinessKey, Status: 401},
	})
}
