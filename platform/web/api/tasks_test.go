package api_test

import (
	"cop/platform/web/webtest"
	"testing"
)

func TestTaskScenarios(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	author, integrator, supervisor := e.Token("author"), e.Token("integrator"), e.Token("supervisor")
	e.Must(201, "POST", "/api/v1/forms", author, webtest.ApprovalForm, nil)
	e.PublishYAML(author, webtest.ApprovalWorkflow("1.0.0", "recorded"))
	task := func() webtest.TaskBody {
		var in webtest.InstanceBody
		e.Must(201, "POST", "/api/v1/workflows/border-force/seizure-approval/instances", integrator, map[string]any{"input": map[string]any{}}, &in)
		return e.WaitTask(supervisor, in.ID)
	}
	open, claimed, held := task(), task(), task()
	e.Must(200, "POST", "/api/v1/tasks/"+claimed.ID+"/claim", supervisor, nil, nil)
	e.Must(200, "POST", "/api/v1/tasks/"+held.ID+"/claim", supervisor, nil, nil)
	e.Scenarios(t, []webtest.Scenario{
		{Name: "a candidate lists it", As: "supervisor", Method: "GET", Path: "/api/v1/tasks", Status: 200, Want: []string{open.ID}},
		{Name: "a status filter that is none", As: "supervisor", Method: "GET", Path: "/api/v1/tasks?status=done", Status: 400, Pointers: []string{"/status"}},
		{Name: "a candidate reads it", As: "supervisor", Method: "GET", Path: "/api/v1/tasks/" + open.ID, Status: 200, Want: []string{`"title":"Approve seizure"`}},
		{Name: "someone outside its groups is told it is not there", As: "officer", Method: "GET", Path: "/api/v1/tasks/" + open.ID, Status: 404},
		{Name: "a candidate claims it", As: "supervisor", Method: "POST", Path: "/api/v1/tasks/" + open.ID + "/claim", Status: 200,
			Want: []string{`"claimedBy":"dev-supervisor"`}},
		{Name: "an admin cannot take a claim someone holds", As: "admin", Method: "POST", Path: "/api/v1/tasks/" + held.ID + "/claim", Status: 409},
		{Name: "answers that do not fit its form", As: "supervisor", Method: "POST", Path: "/api/v1/tasks/" + claimed.ID + "/complete",
			Body: map[string]any{"data": map[string]any{"approved": "yes"}}, Status: 422, Pointers: []string{"/data/approved"}},
		{Name: "the claimer completes it", As: "supervisor", Method: "POST", Path: "/api/v1/tasks/" + claimed.ID + "/complete",
			Body: map[string]any{"data": map[string]any{"approved": true}}, Status: 200, Want: []string{`"status":"completed"`}},
		{Name: "an officer may not reassign", As: "officer", Method: "POST", Path: "/api/v1/tasks/" + held.ID + "/reassign",
			Body: map[string]any{"to": "dev-officer"}, Status: 403},
		{Name: "reassigning to nobody", As: "supervisor", Method: "POST", Path: "/api/v1/tasks/" + held.ID + "/reassign", Body: "{}", Status: 422},
		{Name: "an unknown task", As: "supervisor", Method: "POST", Path: "/api/v1/tasks/nope/claim", Status: 404},
	})
}

func TestNotificationScenarios(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	var in webtest.InstanceBody
	e.Must(201, "POST", "/api/v1/instances", e.Token("author"), map[string]any{"definition": "document: {dsl: '1.0.0', namespace: kit, name: n, version: '0.1.0'}\ndo:\n  - a: {call: notify, with: {to: [role:supervisor], title: Hello}}\n"}, &in)
	e.WaitInstance(e.Token("author"), in.ID, func(i webtest.InstanceBody) bool { return i.Status == "completed" })
	var list struct{ Items []struct{ ID string } }
	e.Must(200, "GET", "/api/v1/notifications", e.Token("supervisor"), nil, &list)
	if len(list.Items) != 1 {
		t.Fatalf("notifications %+v", list)
	}
	id := list.Items[0].ID
	e.Scenarios(t, []webtest.Scenario{
		{Name: "its reader lists it, unread", As: "supervisor", Method: "GET", Path: "/api/v1/notifications?unread=true", Status: 200,
			Want: []string{`"title":"Hello"`, `"read":false`}},
		{Name: "someone it is not for sees none", As: "officer", Method: "GET", Path: "/api/v1/notifications", Status: 200, Want: []string{`"items":[]`}},
		{Name: "its reader marks it read", As: "supervisor", Method: "POST", Path: "/api/v1/notifications/" + id + "/read", Status: 204},
		{Name: "someone it is not for may not", As: "officer", Method: "POST", Path: "/api/v1/notifications/" + id + "/read", Status: 404},
		{Name: "nobody signed in", Method: "GET", Path: "/api/v1/notifications", Status: 401},
	})
}
