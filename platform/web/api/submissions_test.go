package api_test

import (
	"testing"

	"cop/platform/web/webtest"
)

func TestSubmissionScenarios(t *testing.T) {
	e := webtest.New(t)
	webtest.RegisterArrival(e, e.Token("author"))
	var sub struct{ ID, BusinessKey string }
	e.Must(201, "POST", "/api/v1/forms/arrival-report/submissions", e.Token("officer"), webtest.ValidArrival, &sub)
	e.Scenarios(t, []webtest.Scenario{
		{Name: "an officer submits", As: "officer", Method: "POST", Path: "/api/v1/forms/arrival-report/submissions", Body: webtest.ValidArrival,
			Status: 201, Want: []string{`"businessKey":"ARR-`, `"form":"arrival-report"`}},
		{Name: "into an existing case", As: "officer", Method: "POST", Path: "/api/v1/forms/arrival-report/submissions?case=" + sub.BusinessKey,
			Body: webtest.ValidArrival, Status: 201, Want: []string{`"businessKey":"` + sub.BusinessKey + `"`}},
		{Name: "answers that do not fit", As: "officer", Method: "POST", Path: "/api/v1/forms/arrival-report/submissions",
			Body:   map[string]any{"arrivalDate": "2026-11-20", "port": "GBDVR", "traveller": map[string]any{"fullName": "Ann"}},
			Status: 422, Pointers: []string{"/searched"}},
		{Name: "not JSON", As: "officer", Method: "POST", Path: "/api/v1/forms/arrival-report/submissions", Body: `{"port": `, Status: 400},
		{Name: "an unknown form", As: "officer", Method: "POST", Path: "/api/v1/forms/nope/submissions", Body: webtest.ValidArrival, Status: 404},
		{Name: "nobody signed in", Method: "POST", Path: "/api/v1/forms/arrival-report/submissions", Body: webtest.ValidArrival, Status: 401},
		{Name: "a bad Idempotency-Key", As: "officer", Method: "POST", Path: "/api/v1/forms/arrival-report/submissions", Body: webtest.ValidArrival,
			Header: []string{"Idempotency-Key", "has spaces"}, Status: 422, Pointers: []string{"/Idempotency-Key"}},
		{Name: "the submitter reads it", As: "officer", Method: "GET", Path: "/api/v1/submissions/" + sub.ID, Status: 200, Want: []string{`"GBDVR"`}},
		{Name: "a reader the form names (access.read)", As: "supervisor", Method: "GET", Path: "/api/v1/submissions/" + sub.ID, Status: 200},
		{Name: "another officer is told it is not there", As: "officer-dover", Method: "GET", Path: "/api/v1/submissions/" + sub.ID, Status: 404},
		{Name: "an id that is not one", As: "admin", Method: "GET", Path: "/api/v1/submissions/not-a-uuid", Status: 404},
		{Name: "the submitter lists theirs, with the answers", As: "officer", Method: "GET", Path: "/api/v1/submissions?form=arrival-report&from=2000-01-01&limit=1",
			Status: 200, Want: []string{`"form":"arrival-report"`, `"GBDVR"`, `"next":"`}},
		{Name: "a reader the form names lists them too", As: "supervisor", Method: "GET", Path: "/api/v1/submissions?form=arrival-report", Status: 200,
			Want: []string{sub.ID}},
		{Name: "another officer lists none", As: "officer-dover", Method: "GET", Path: "/api/v1/submissions", Status: 200, Want: []string{`"items":[]`}},
		{Name: "a bound that is no date", As: "officer", Method: "GET", Path: "/api/v1/submissions?to=soon", Status: 400, Pointers: []string{"/to"}},
		{Name: "a case key, which only the case list takes", As: "officer", Method: "GET", Path: "/api/v1/submissions?key=ARR", Status: 400, Pointers: []string{"/key"}},
		{Name: "a limit out of range", As: "officer", Method: "GET", Path: "/api/v1/submissions?limit=0", Status: 400, Pointers: []string{"/limit"}},
	})
}
