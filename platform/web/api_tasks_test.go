package web

import "testing"

func TestTaskScenarios(t *testing.T) {
	e := newEnv(t, withWorker)
	author, integrator, supervisor := e.token("author"), e.token("integrator"), e.token("supervisor")
	e.must(201, "POST", "/api/v1/forms", author, approvalForm, nil)
	e.publishYAML(author, approvalWorkflow("1.0.0", "recorded"))
	task := func() taskBody {
		var in instanceBody
		e.must(201, "POST", "/api/v1/workflows/border-force/seizure-approval/instances", integrator, map[string]any{"input": map[string]any{}}, &in)
		return e.waitTask(supervisor, in.ID)
	}
	open, claimed, held := task(), task(), task()
	e.must(200, "POST", "/api/v1/tasks/"+claimed.ID+"/claim", supervisor, nil, nil)
	e.must(200, "POST", "/api/v1/tasks/"+held.ID+"/claim", supervisor, nil, nil)
	e.scenarios(t, []scenario{
		{name: "a candidate lists it", as: "supervisor", method: "GET", path: "/api/v1/tasks", status: 200, want: []string{open.ID}},
		{name: "a status filter that is none", as: "supervisor", method: "GET", path: "/api/v1/tasks?status=done", status: 400, pointers: []string{"/status"}},
		{name: "a candidate reads it", as: "supervisor", method: "GET", path: "/api/v1/tasks/" + open.ID, status: 200, want: []string{`"title":"Approve seizure"`}},
		{name: "someone outside its groups is told it is not there", as: "officer", method: "GET", path: "/api/v1/tasks/" + open.ID, status: 404},
		{name: "a candidate claims it", as: "supervisor", method: "POST", path: "/api/v1/tasks/" + open.ID + "/claim", status: 200,
			want: []string{`"claimedBy":"dev-supervisor"`}},
		{name: "an admin cannot take a claim someone holds", as: "admin", method: "POST", path: "/api/v1/tasks/" + held.ID + "/claim", status: 409},
		{name: "answers that do not fit its form", as: "supervisor", method: "POST", path: "/api/v1/tasks/" + claimed.ID + "/complete",
			body: map[string]any{"data": map[string]any{"approved": "yes"}}, status: 422, pointers: []string{"/data/approved"}},
		{name: "the claimer completes it", as: "supervisor", method: "POST", path: "/api/v1/tasks/" + claimed.ID + "/complete",
			body: map[string]any{"data": map[string]any{"approved": true}}, status: 200, want: []string{`"status":"completed"`}},
		{name: "an officer may not reassign", as: "officer", method: "POST", path: "/api/v1/tasks/" + held.ID + "/reassign",
			body: map[string]any{"to": "dev-officer"}, status: 403},
		{name: "reassigning to nobody", as: "supervisor", method: "POST", path: "/api/v1/tasks/" + held.ID + "/reassign", body: "{}", status: 422},
		{name: "an unknown task", as: "supervisor", method: "POST", path: "/api/v1/tasks/nope/claim", status: 404},
	})
}

func TestNotificationScenarios(t *testing.T) {
	e := newEnv(t, withWorker)
	var in instanceBody
	e.must(201, "POST", "/api/v1/instances", e.token("author"), map[string]any{"definition": "document: {dsl: '1.0.0', namespace: kit, name: n, version: '0.1.0'}\ndo:\n  - a: {call: notify, with: {to: [role:supervisor], title: Hello}}\n"}, &in)
	e.waitInstance(e.token("author"), in.ID, func(i instanceBody) bool { return i.Status == "completed" })
	var list struct{ Items []struct{ ID string } }
	e.must(200, "GET", "/api/v1/notifications", e.token("supervisor"), nil, &list)
	if len(list.Items) != 1 {
		t.Fatalf("notifications %+v", list)
	}
	id := list.Items[0].ID
	e.scenarios(t, []scenario{
		{name: "its reader lists it, unread", as: "supervisor", method: "GET", path: "/api/v1/notifications?unread=true", status: 200,
			want: []string{`"title":"Hello"`, `"read":false`}},
		{name: "someone it is not for sees none", as: "officer", method: "GET", path: "/api/v1/notifications", status: 200, want: []string{`"items":[]`}},
		{name: "its reader marks it read", as: "supervisor", method: "POST", path: "/api/v1/notifications/" + id + "/read", status: 204},
		{name: "someone it is not for may not", as: "officer", method: "POST", path: "/api/v1/notifications/" + id + "/read", status: 404},
		{name: "nobody signed in", method: "GET", path: "/api/v1/notifications", status: 401},
	})
}
