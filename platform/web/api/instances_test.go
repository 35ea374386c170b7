package api_test

import (
	"strings"
	"testing"

	"cop/platform/web/webtest"
)

func TestInstanceScenarios(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	author, integrator := e.Token("author"), e.Token("integrator")
	e.Must(201, "POST", "/api/v1/forms", author, webtest.ApprovalForm, nil)
	e.PublishYAML(author, webtest.ApprovalWorkflow("1.0.0", "recorded"))
	start := func() string {
		var in webtest.InstanceBody
		e.Must(201, "POST", "/api/v1/workflows/border-force/seizure-approval/instances", integrator, map[string]any{"input": map[string]any{}}, &in)
		return in.ID
	}
	waiting, cancelled := start(), start()
	draft := "document: {dsl: '1.0.0', namespace: kit, name: try, version: '0.1.0'}\ndo:\n  - note: {set: {ok: true}}\n"
	e.Scenarios(t, []webtest.Scenario{
		{Name: "an integrator starts one", As: "integrator", Method: "POST", Path: "/api/v1/workflows/border-force/seizure-approval/instances",
			Body: map[string]any{"input": map[string]any{}}, Status: 201, Want: []string{`"status":"running"`, `"businessKey":"SEIZ-`}},
		{Name: "input that is not JSON", As: "integrator", Method: "POST", Path: "/api/v1/workflows/border-force/seizure-approval/instances",
			Body: `{"input": `, Status: 400},
		{Name: "an unknown workflow", As: "integrator", Method: "POST", Path: "/api/v1/workflows/border-force/nope/instances", Body: "{}", Status: 404},
		{Name: "a case the caller cannot see", As: "integrator", Method: "POST", Path: "/api/v1/workflows/border-force/seizure-approval/instances",
			Body: map[string]any{"businessKey": "SEIZ-20000101-1"}, Status: 422, Pointers: []string{"/businessKey"}},
		{Name: "an author runs a draft", As: "author", Method: "POST", Path: "/api/v1/instances", Body: map[string]any{"definition": draft},
			Status: 201, Want: []string{`"draft":true`}},
		{Name: "an officer may not run drafts", As: "officer", Method: "POST", Path: "/api/v1/instances", Body: map[string]any{"definition": draft}, Status: 403},
		{Name: "a draft without a definition", As: "author", Method: "POST", Path: "/api/v1/instances", Body: "{}", Status: 422, Pointers: []string{"/definition"}},
		{Name: "its starter reads it", As: "integrator", Method: "GET", Path: "/api/v1/instances/" + waiting, Status: 200, Want: []string{`"id":"` + waiting}},
		{Name: "a reader the workflow names", As: "supervisor", Method: "GET", Path: "/api/v1/instances/" + waiting, Status: 200},
		{Name: "an officer is told it is not there", As: "officer", Method: "GET", Path: "/api/v1/instances/" + waiting, Status: 404},
		{Name: "the list of what one may see", As: "integrator", Method: "GET", Path: "/api/v1/instances?name=seizure-approval", Status: 200,
			Want: []string{waiting}},
		{Name: "a cursor COP did not make", As: "integrator", Method: "GET", Path: "/api/v1/instances?cursor=zz", Status: 400, Pointers: []string{"/cursor"}},
		{Name: "an event that is not a CloudEvent", As: "integrator", Method: "POST", Path: "/api/v1/instances/" + waiting + "/events",
			Body: `{"not": "an event"}`, Status: 422},
		{Name: "an event to one the caller cannot see", As: "officer", Method: "POST", Path: "/api/v1/instances/" + waiting + "/events",
			Body: webtest.Event("go"), Status: 404},
		{Name: "its starter cancels it", As: "integrator", Method: "POST", Path: "/api/v1/instances/" + cancelled + "/cancel", Status: 202},
		{Name: "an officer who cannot see it may not", As: "officer", Method: "POST", Path: "/api/v1/instances/" + waiting + "/cancel", Status: 404},
	})
	// A list leaves each instance's trace out (it does not read it: an
	// empty one would say the instance ran nothing); the instance has it.
	if list := e.Must(200, "GET", "/api/v1/instances?name=seizure-approval", integrator, nil, nil); strings.Contains(list, `"trace"`) {
		t.Errorf("the list shows a trace: %s", list)
	}
	if one := e.Must(200, "GET", "/api/v1/instances/"+waiting, integrator, nil, nil); !strings.Contains(one, `"trace":[`) {
		t.Errorf("the instance has no trace: %s", one)
	}
}
