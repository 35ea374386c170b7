package api_test

import (
	"testing"

	"cop/platform/web/webtest"
)

func TestWorkflowScenarios(t *testing.T) {
	e := webtest.New(t)
	author := e.Token("author")
	e.Must(201, "POST", "/api/v1/forms", author, webtest.ApprovalForm, nil)
	if resp, body := e.PublishYAML(author, webtest.ApprovalWorkflow("1.0.0", "recorded")); resp.StatusCode != 201 {
		t.Fatalf("publish: %d %s", resp.StatusCode, body)
	}
	yaml := []string{"Content-Type", "application/yaml"}
	next := webtest.ApprovalWorkflow("1.1.0", "recorded")
	e.Scenarios(t, []webtest.Scenario{
		{Name: "an author publishes YAML", As: "author", Method: "POST", Path: "/api/v1/workflows", Body: next, Header: yaml, Status: 201,
			Want: []string{`"version":"1.1.0"`}},
		{Name: "the same again changes nothing", As: "author", Method: "POST", Path: "/api/v1/workflows", Body: webtest.ApprovalWorkflow("1.0.0", "recorded"),
			Header: yaml, Status: 200},
		{Name: "other content under a version", As: "author", Method: "POST", Path: "/api/v1/workflows", Body: webtest.ApprovalWorkflow("1.0.0", "changed"),
			Header: yaml, Status: 409},
		{Name: "an officer may not publish", As: "officer", Method: "POST", Path: "/api/v1/workflows", Body: next, Header: yaml, Status: 403},
		{Name: "a task that names no form", As: "author", Method: "POST", Path: "/api/v1/workflows", Header: yaml, Status: 422,
			Body:     "document: {dsl: '1.0.0', namespace: kit, name: bad, version: '1.0.0'}\ndo:\n  - ask: {call: userTask, with: {form: no-such-form, candidateGroups: [role:officer]}}\n",
			Pointers: []string{"/do/0/ask/with/form"}},
		{Name: "an event type only COP may send", As: "author", Method: "POST", Path: "/api/v1/workflows", Header: yaml, Status: 422,
			Body:     "document: {dsl: '1.0.0', namespace: kit, name: forger, version: '1.0.0'}\ndo:\n  - forge: {emit: {event: {with: {source: 'https://border.example', type: cop.task.created}}}}\n",
			Pointers: []string{"/do/0/forge/emit/event/with/type"}},
		{Name: "sent as a web form", As: "author", Method: "POST", Path: "/api/v1/workflows", Body: "a=b",
			Header: []string{"Content-Type", "application/x-www-form-urlencoded"}, Status: 415},
		{Name: "anyone signed in reads it", As: "officer", Method: "GET", Path: "/api/v1/workflows/border-force/seizure-approval", Status: 200},
		{Name: "its versions", As: "officer", Method: "GET", Path: "/api/v1/workflows/border-force/seizure-approval/versions", Status: 200},
		{Name: "an unknown workflow", As: "officer", Method: "GET", Path: "/api/v1/workflows/border-force/nope", Status: 404},
		{Name: "the list", As: "officer", Method: "GET", Path: "/api/v1/workflows", Status: 200, Want: []string{`"seizure-approval"`}},
		{Name: "an officer may not retire", As: "officer", Method: "POST", Path: "/api/v1/workflows/border-force/seizure-approval/versions/1.0.0/retire", Status: 403},
	})
}
