package api_test

import (
	"net/http"
	"testing"

	"cop/platform/web/webtest"
)

// returned submits an arrival report, which starts ReturnWorkflow, and
// has the supervisor return it for correction: the officer's amend task is
// waiting when it returns.
func returned(e *webtest.Env, reason string) (webtest.Submission, webtest.TaskBody) {
	e.T.Helper()
	officer, supervisor := e.Token("officer"), e.Token("supervisor")
	var sub struct {
		webtest.Submission
		Instances []string
	}
	e.Must(201, "POST", "/api/v1/forms/arrival-report/submissions", officer, webtest.ValidArrival, &sub)
	review := e.WaitTask(supervisor, sub.Instances[0])
	e.Must(200, "POST", "/api/v1/tasks/"+review.ID+"/claim", supervisor, nil, nil)
	e.Must(200, "POST", "/api/v1/tasks/"+review.ID+"/complete", supervisor,
		map[string]any{"data": map[string]any{"outcome": "return", "reason": reason}}, nil)
	return sub.Submission, e.WaitTask(officer, sub.Instances[0])
}

func setUpReturns(t *testing.T) *webtest.Env {
	e := webtest.New(t, webtest.WithWorker)
	author := e.Token("author")
	webtest.RegisterArrival(e, author)
	e.Must(201, "POST", "/api/v1/forms", author, webtest.ReviewForm, nil)
	if resp, body := e.PublishYAML(author, webtest.ReturnWorkflow); resp.StatusCode != 201 {
		t.Fatalf("publish: %d %s", resp.StatusCode, body)
	}
	return e
}

func TestAmendScenarios(t *testing.T) {
	e := setUpReturns(t)
	sub, task := returned(e, "The port is wrong: it was Southampton")
	if task.Title != "Correct your arrival report" || task.Reason != "The port is wrong: it was Southampton" || task.Form != "arrival-report" {
		t.Fatalf("the amend task: %+v", task)
	}
	// A submission whose workflow is not waiting for a correction (its
	// review is still open).
	var waiting webtest.Submission
	e.Must(201, "POST", "/api/v1/forms/arrival-report/submissions", e.Token("officer"), webtest.ValidArrival, &waiting)
	corrected := map[string]any{"arrivalDate": "2026-11-20", "port": "GBSOU", "traveller": map[string]any{"fullName": "Ann Example"}, "searched": false}
	amend := "/api/v1/submissions/" + sub.ID + "/amend"
	e.Scenarios(t, []webtest.Scenario{
		{Name: "another officer is told it is not there", As: "officer-dover", Method: "POST", Path: amend, Body: corrected, Status: 404},
		{Name: "a reader who did not submit it may not correct it", As: "supervisor", Method: "POST", Path: amend, Body: corrected, Status: 404},
		{Name: "not JSON", As: "officer", Method: "POST", Path: amend, Body: `{"port": `, Status: 400},
		{Name: "answers that do not fit the form", As: "officer", Method: "POST", Path: amend,
			Body: map[string]any{"arrivalDate": "2026-11-20", "port": "GBXXX", "traveller": map[string]any{"fullName": "Ann"}}, Status: 422,
			Pointers: []string{"/port", "/searched"}},
		{Name: "a submission no workflow returned", As: "officer", Method: "POST", Path: "/api/v1/submissions/" + waiting.ID + "/amend",
			Body: corrected, Status: 409, Want: []string{"waiting for a correction"}},
		{Name: "an id that is no submission", As: "officer", Method: "POST", Path: "/api/v1/submissions/nope/amend", Body: corrected, Status: 404},
		{Name: "the submitter corrects it", As: "officer", Method: "POST", Path: amend, Body: corrected, Status: 201,
			Want: []string{`"corrects":"` + sub.ID + `"`, `"businessKey":"` + sub.BusinessKey + `"`, `"GBSOU"`}},
		{Name: "a second correction nobody asked for", As: "officer", Method: "POST", Path: amend, Body: corrected, Status: 409,
			Want: []string{"not waiting for a correction"}},
	})
	// Nothing half-written: the refused requests stored nothing, the
	// accepted one one submission, beside the one it corrects.
	var k struct {
		Submissions []struct{ ID, Corrects string }
	}
	e.Must(200, "GET", "/api/v1/cases/"+sub.BusinessKey, e.Token("officer"), nil, &k)
	if len(k.Submissions) != 2 || k.Submissions[0].ID != sub.ID || k.Submissions[1].Corrects != sub.ID {
		t.Fatalf("the case's submissions: %+v", k.Submissions)
	}
	var done webtest.TaskBody
	e.Must(200, "GET", "/api/v1/tasks/"+task.ID, e.Token("officer"), nil, &done)
	if done.Status != "completed" || done.CompletedBy != "dev-officer" {
		t.Fatalf("the amend task after the correction: %+v", done)
	}
}

// TestAmendedCaseGoesOn: the workflow waits on the correction, reviews it
// again (showing the corrected answers), and ends with them.
func TestAmendedCaseGoesOn(t *testing.T) {
	e := setUpReturns(t)
	officer, supervisor := e.Token("officer"), e.Token("supervisor")
	sub, task := returned(e, "Wrong port")
	corrected := map[string]any{"arrivalDate": "2026-11-20", "port": "GBSOU", "traveller": map[string]any{"fullName": "Ann Example"}, "searched": false}
	var amended webtest.Submission
	e.Must(201, "POST", "/api/v1/submissions/"+sub.ID+"/amend", officer, corrected, &amended)
	second := e.WaitTask(supervisor, task.Instance)
	if second.ID == task.ID || second.Title != "Review the arrival report" {
		t.Fatalf("the second review: %+v", second)
	}
	e.Must(200, "POST", "/api/v1/tasks/"+second.ID+"/claim", supervisor, nil, nil)
	e.Must(200, "POST", "/api/v1/tasks/"+second.ID+"/complete", supervisor, map[string]any{"data": map[string]any{"outcome": "accept"}}, nil)
	in := e.WaitInstance(officer, task.Instance, func(in webtest.InstanceBody) bool { return in.Status != "running" })
	if in.Status != "completed" || in.Output["port"] != "GBSOU" || in.Output["corrected"] != amended.ID {
		t.Fatalf("the instance ended %s with %v; want completed, port GBSOU, corrected %s", in.Status, in.Output, amended.ID)
	}
}

// TestAmendTwiceAtOnce: a double click on "send" corrects once; the other
// request is told the case is no longer waiting, or gets the same
// submission.
func TestAmendTwiceAtOnce(t *testing.T) {
	e := setUpReturns(t)
	sub, _ := returned(e, "Wrong port")
	corrected := map[string]any{"arrivalDate": "2026-11-20", "port": "GBSOU", "traveller": map[string]any{"fullName": "Ann Example"}, "searched": false}
	officer := e.Token("officer")
	req := func() *http.Request {
		return e.Request("POST", "/api/v1/submissions/"+sub.ID+"/amend", officer, corrected)
	}
	got := e.Race(req(), req())
	created := 0
	for _, r := range got {
		switch r.Status {
		case 201:
			created++
		case 409:
		default:
			t.Fatalf("a raced correction answered %d: %s", r.Status, r.Body)
		}
	}
	var k struct {
		Submissions []struct{ ID, Corrects string }
	}
	e.Must(200, "GET", "/api/v1/cases/"+sub.BusinessKey, e.Token("officer"), nil, &k)
	if created < 1 || len(k.Submissions) != 2 {
		t.Fatalf("%d of 2 raced corrections created, and the case has %d submissions (want 2): %+v", created, len(k.Submissions), got)
	}
}
