package web

import "testing"

func TestSubmissionScenarios(t *testing.T) {
	e := newEnv(t)
	registerArrival(e, e.token("author"))
	var sub struct{ ID, BusinessKey string }
	e.must(201, "POST", "/api/v1/forms/arrival-report/submissions", e.token("officer"), validArrival, &sub)
	e.scenarios(t, []scenario{
		{name: "an officer submits", as: "officer", method: "POST", path: "/api/v1/forms/arrival-report/submissions", body: validArrival,
			status: 201, want: []string{`"businessKey":"ARR-`, `"form":"arrival-report"`}},
		{name: "into an existing case", as: "officer", method: "POST", path: "/api/v1/forms/arrival-report/submissions?case=" + sub.BusinessKey,
			body: validArrival, status: 201, want: []string{`"businessKey":"` + sub.BusinessKey + `"`}},
		{name: "answers that do not fit", as: "officer", method: "POST", path: "/api/v1/forms/arrival-report/submissions",
			body:   map[string]any{"arrivalDate": "2026-11-20", "port": "GBDVR", "traveller": map[string]any{"fullName": "Ann"}},
			status: 422, pointers: []string{"/searched"}},
		{name: "not JSON", as: "officer", method: "POST", path: "/api/v1/forms/arrival-report/submissions", body: `{"port": `, status: 400},
		{name: "an unknown form", as: "officer", method: "POST", path: "/api/v1/forms/nope/submissions", body: validArrival, status: 404},
		{name: "nobody signed in", method: "POST", path: "/api/v1/forms/arrival-report/submissions", body: validArrival, status: 401},
		{name: "a bad Idempotency-Key", as: "officer", method: "POST", path: "/api/v1/forms/arrival-report/submissions", body: validArrival,
			header: []string{"Idempotency-Key", "has spaces"}, status: 422, pointers: []string{"/Idempotency-Key"}},
		{name: "the submitter reads it", as: "officer", method: "GET", path: "/api/v1/submissions/" + sub.ID, status: 200, want: []string{`"GBDVR"`}},
		{name: "a reader the form names (access.read)", as: "supervisor", method: "GET", path: "/api/v1/submissions/" + sub.ID, status: 200},
		{name: "another officer is told it is not there", as: "officer-dover", method: "GET", path: "/api/v1/submissions/" + sub.ID, status: 404},
		{name: "an id that is not one", as: "admin", method: "GET", path: "/api/v1/submissions/not-a-uuid", status: 404},
	})
}

func TestCaseScenarios(t *testing.T) {
	e := newEnv(t)
	registerArrival(e, e.token("author"))
	var sub struct{ ID, BusinessKey string }
	e.must(201, "POST", "/api/v1/forms/arrival-report/submissions", e.token("officer"), validArrival, &sub)
	e.scenarios(t, []scenario{
		{name: "the submitter reads the case", as: "officer", method: "GET", path: "/api/v1/cases/" + sub.BusinessKey, status: 200,
			want: []string{`"submissions":[{"id":"` + sub.ID, `"instances":[]`, `"tasks":[]`}},
		{name: "an admin reads it", as: "admin", method: "GET", path: "/api/v1/cases/" + sub.BusinessKey, status: 200},
		{name: "someone who may read nothing in it", as: "officer-dover", method: "GET", path: "/api/v1/cases/" + sub.BusinessKey, status: 404},
		{name: "an unknown case", as: "admin", method: "GET", path: "/api/v1/cases/ARR-20000101-9", status: 404},
		{name: "nobody signed in", method: "GET", path: "/api/v1/cases/" + sub.BusinessKey, status: 401},
	})
}
