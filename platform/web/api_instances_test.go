package web

import "testing"

func TestInstanceScenarios(t *testing.T) {
	e := newEnv(t, withWorker)
	author, integrator := e.token("author"), e.token("integrator")
	e.must(201, "POST", "/api/v1/forms", author, approvalForm, nil)
	e.publishYAML(author, approvalWorkflow("1.0.0", "recorded"))
	start := func() string {
		var in instanceBody
		e.must(201, "POST", "/api/v1/workflows/border-force/seizure-approval/instances", integrator, map[string]any{"input": map[string]any{}}, &in)
		return in.ID
	}
	waiting, cancelled := start(), start()
	draft := "document: {dsl: '1.0.0', namespace: kit, name: try, version: '0.1.0'}\ndo:\n  - note: {set: {ok: true}}\n"
	e.scenarios(t, []scenario{
		{name: "an integrator starts one", as: "integrator", method: "POST", path: "/api/v1/workflows/border-force/seizure-approval/instances",
			body: map[string]any{"input": map[string]any{}}, status: 201, want: []string{`"status":"running"`, `"businessKey":"SEIZ-`}},
		{name: "input that is not JSON", as: "integrator", method: "POST", path: "/api/v1/workflows/border-force/seizure-approval/instances",
			body: `{"input": `, status: 400},
		{name: "an unknown workflow", as: "integrator", method: "POST", path: "/api/v1/workflows/border-force/nope/instances", body: "{}", status: 404},
		{name: "a case the caller cannot see", as: "integrator", method: "POST", path: "/api/v1/workflows/border-force/seizure-approval/instances",
			body: map[string]any{"businessKey": "SEIZ-20000101-1"}, status: 422, pointers: []string{"/businessKey"}},
		{name: "an author runs a draft", as: "author", method: "POST", path: "/api/v1/instances", body: map[string]any{"definition": draft},
			status: 201, want: []string{`"draft":true`}},
		{name: "an officer may not run drafts", as: "officer", method: "POST", path: "/api/v1/instances", body: map[string]any{"definition": draft}, status: 403},
		{name: "a draft without a definition", as: "author", method: "POST", path: "/api/v1/instances", body: "{}", status: 422, pointers: []string{"/definition"}},
		{name: "its starter reads it", as: "integrator", method: "GET", path: "/api/v1/instances/" + waiting, status: 200, want: []string{`"id":"` + waiting}},
		{name: "a reader the workflow names", as: "supervisor", method: "GET", path: "/api/v1/instances/" + waiting, status: 200},
		{name: "an officer is told it is not there", as: "officer", method: "GET", path: "/api/v1/instances/" + waiting, status: 404},
		{name: "the list of what one may see", as: "integrator", method: "GET", path: "/api/v1/instances?name=seizure-approval", status: 200,
			want: []string{waiting}},
		{name: "a cursor COP did not make", as: "integrator", method: "GET", path: "/api/v1/instances?cursor=zz", status: 400, pointers: []string{"/cursor"}},
		{name: "an event that is not a CloudEvent", as: "integrator", method: "POST", path: "/api/v1/instances/" + waiting + "/events",
			body: `{"not": "an event"}`, status: 422},
		{name: "an event to one the caller cannot see", as: "officer", method: "POST", path: "/api/v1/instances/" + waiting + "/events",
			body: event("go"), status: 404},
		{name: "its starter cancels it", as: "integrator", method: "POST", path: "/api/v1/instances/" + cancelled + "/cancel", status: 202},
		{name: "an officer who cannot see it may not", as: "officer", method: "POST", path: "/api/v1/instances/" + waiting + "/cancel", status: 404},
	})
}
