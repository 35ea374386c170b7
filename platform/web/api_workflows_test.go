package web

import "testing"

func TestWorkflowScenarios(t *testing.T) {
	e := newEnv(t)
	author := e.token("author")
	e.must(201, "POST", "/api/v1/forms", author, approvalForm, nil)
	if resp, body := e.publishYAML(author, approvalWorkflow("1.0.0", "recorded")); resp.StatusCode != 201 {
		t.Fatalf("publish: %d %s", resp.StatusCode, body)
	}
	yaml := []string{"Content-Type", "application/yaml"}
	next := approvalWorkflow("1.1.0", "recorded")
	e.scenarios(t, []scenario{
		{name: "an author publishes YAML", as: "author", method: "POST", path: "/api/v1/workflows", body: next, header: yaml, status: 201,
			want: []string{`"version":"1.1.0"`}},
		{name: "the same again changes nothing", as: "author", method: "POST", path: "/api/v1/workflows", body: approvalWorkflow("1.0.0", "recorded"),
			header: yaml, status: 200},
		{name: "other content under a version", as: "author", method: "POST", path: "/api/v1/workflows", body: approvalWorkflow("1.0.0", "changed"),
			header: yaml, status: 409},
		{name: "an officer may not publish", as: "officer", method: "POST", path: "/api/v1/workflows", body: next, header: yaml, status: 403},
		{name: "a task that names no form", as: "author", method: "POST", path: "/api/v1/workflows", header: yaml, status: 422,
			body:     "document: {dsl: '1.0.0', namespace: kit, name: bad, version: '1.0.0'}\ndo:\n  - ask: {call: userTask, with: {form: no-such-form, candidateGroups: [role:officer]}}\n",
			pointers: []string{"/do/0/ask/with/form"}},
		{name: "an event type only COP may send", as: "author", method: "POST", path: "/api/v1/workflows", header: yaml, status: 422,
			body:     "document: {dsl: '1.0.0', namespace: kit, name: forger, version: '1.0.0'}\ndo:\n  - forge: {emit: {event: {with: {source: 'https://border.example', type: cop.task.created}}}}\n",
			pointers: []string{"/do/0/forge/emit/event/with/type"}},
		{name: "sent as a web form", as: "author", method: "POST", path: "/api/v1/workflows", body: "a=b",
			header: []string{"Content-Type", "application/x-www-form-urlencoded"}, status: 415},
		{name: "anyone signed in reads it", as: "officer", method: "GET", path: "/api/v1/workflows/border-force/seizure-approval", status: 200},
		{name: "its versions", as: "officer", method: "GET", path: "/api/v1/workflows/border-force/seizure-approval/versions", status: 200},
		{name: "an unknown workflow", as: "officer", method: "GET", path: "/api/v1/workflows/border-force/nope", status: 404},
		{name: "the list", as: "officer", method: "GET", path: "/api/v1/workflows", status: 200, want: []string{`"seizure-approval"`}},
		{name: "an officer may not retire", as: "officer", method: "POST", path: "/api/v1/workflows/border-force/seizure-approval/versions/1.0.0/retire", status: 403},
	})
}
