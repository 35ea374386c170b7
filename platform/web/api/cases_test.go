package api_test

import (
	"strings"
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
		{Name: "the submitter lists it", As: "officer", Method: "GET", Path: "/api/v1/cases?mine=true&form=arrival-report", Status: 200,
			Want: []string{`"businessKey":"` + sub.BusinessKey + `"`, `"forms":["arrival-report"]`}},
		{Name: "searched by a part of its key", As: "admin", Method: "GET", Path: "/api/v1/cases?key=" + strings.ToLower(sub.BusinessKey[:3]), Status: 200,
			Want: []string{sub.BusinessKey}},
		{Name: "another officer lists nothing", As: "officer-dover", Method: "GET", Path: "/api/v1/cases", Status: 200, Want: []string{`"items":[]`}},
		{Name: "a date that is not one", As: "officer", Method: "GET", Path: "/api/v1/cases?from=21/11/2026", Status: 400, Pointers: []string{"/from"}},
		{Name: "mine that is not true or false", As: "officer", Method: "GET", Path: "/api/v1/cases?mine=yes", Status: 400, Pointers: []string{"/mine"}},
		{Name: "a filter the list does not have", As: "officer", Method: "GET", Path: "/api/v1/cases?status=open", Status: 400, Pointers: []string{"/status"}},
		{Name: "a cursor COP did not make", As: "officer", Method: "GET", Path: "/api/v1/cases?cursor=nonsense", Status: 400},
		{Name: "nobody signed in lists nothing", Method: "GET", Path: "/api/v1/cases", Status: 401},
	})
}
