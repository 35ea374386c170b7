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
		{Name: "a status that is none", As: "officer", Method: "GET", Path: "/api/v1/cases?status=done", Status: 400, Pointers: []string{"/status"}},
		{Name: "a case with no workflow is closed", As: "officer", Method: "GET", Path: "/api/v1/cases?status=closed", Status: 200,
			Want: []string{sub.BusinessKey, `"status":"closed"`}},
		{Name: "a filter the list does not have", As: "officer", Method: "GET", Path: "/api/v1/cases?colour=red", Status: 400, Pointers: []string{"/colour"}},
		{Name: "a cursor COP did not make", As: "officer", Method: "GET", Path: "/api/v1/cases?cursor=nonsense", Status: 400},
		{Name: "nobody signed in lists nothing", Method: "GET", Path: "/api/v1/cases", Status: 401},
	})
}

// TestCaseListStatusAndWorkedOn: a case is open while its workflow goes on
// and closed after; "mine" holds the cases a supervisor worked a task on.
func TestCaseListStatusAndWorkedOn(t *testing.T) {
	e := setUpReturns(t)
	officer, supervisor := e.Token("officer"), e.Token("supervisor")
	var sub struct {
		BusinessKey string
		Instances   []string
	}
	e.Must(201, "POST", "/api/v1/forms/arrival-report/submissions", officer, webtest.ValidArrival, &sub)
	review := e.WaitTask(supervisor, sub.Instances[0])
	type list struct {
		Items []struct{ BusinessKey, Status string }
	}
	keys := func(token, query string) map[string]string {
		var l list
		e.Must(200, "GET", "/api/v1/cases?"+query, token, nil, &l)
		out := map[string]string{}
		for _, c := range l.Items {
			out[c.BusinessKey] = c.Status
		}
		return out
	}
	if got := keys(officer, "status=open"); got[sub.BusinessKey] != "open" {
		t.Fatalf("open cases while the review waits: %v", got)
	}
	if got := keys(supervisor, "mine=true"); len(got) != 0 {
		t.Fatalf("the supervisor has worked on nothing yet, but mine lists %v", got)
	}
	e.Must(200, "POST", "/api/v1/tasks/"+review.ID+"/claim", supervisor, nil, nil)
	e.Must(200, "POST", "/api/v1/tasks/"+review.ID+"/complete", supervisor, map[string]any{"data": map[string]any{"outcome": "accept"}}, nil)
	e.WaitInstance(officer, sub.Instances[0], func(in webtest.InstanceBody) bool { return in.Status == "completed" })
	if got := keys(supervisor, "mine=true"); got[sub.BusinessKey] != "closed" {
		t.Fatalf("the supervisor's cases after completing its review: %v", got)
	}
	if got := keys(officer, "status=open"); len(got) != 0 {
		t.Fatalf("open cases after the workflow ended: %v", got)
	}
}
