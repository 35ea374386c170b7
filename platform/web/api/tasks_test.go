package api_test

import (
	"testing"

	"cop/platform/web/webtest"
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
