package api_test

import (
	"strings"
	"testing"
	"time"

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

// TestReadersFollowTheLatestVersion: who may read a submission or an
// instance is its definition's latest active version's access.read, so a
// reader an author adds in a new version reads what ran on the old one,
// and loses it again when that version is retired.
func TestReadersFollowTheLatestVersion(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	author, officer, integrator := e.Token("author"), e.Token("officer"), e.Token("integrator")
	webtest.RegisterArrival(e, author)
	e.Must(201, "POST", "/api/v1/forms", author, webtest.ApprovalForm, nil)
	e.PublishYAML(author, webtest.ApprovalWorkflow("1.0.0", "recorded"))
	var sub webtest.Submission
	e.Must(201, "POST", "/api/v1/forms/arrival-report/submissions", officer, webtest.ValidArrival, &sub)
	var in webtest.InstanceBody
	e.Must(201, "POST", "/api/v1/workflows/border-force/seizure-approval/instances", officer, map[string]any{"input": map[string]any{}}, &in)
	readable := func(path string, want int) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			resp, body := e.Send("GET", path, integrator, nil)
			if resp.StatusCode == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET %s as the integrator: %d, want %d: %s", path, resp.StatusCode, want, body)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	readable("/api/v1/submissions/"+sub.ID, 404)
	readable("/api/v1/instances/"+in.ID, 404)

	analytics := `"access": {"read": ["role:supervisor", "team:analytics"]}`
	e.Must(201, "POST", "/api/v1/forms", author, strings.Replace(webtest.ArrivalForm("1.1.0", ""), `"access": {"read": ["role:supervisor"]}`, analytics, 1), nil)
	if resp, body := e.PublishYAML(author, strings.Replace(webtest.ApprovalWorkflow("1.1.0", "recorded"), "read: [role:supervisor]",
		"read: [role:supervisor, team:analytics]", 1)); resp.StatusCode != 201 {
		t.Fatalf("publish 1.1.0: %d %s", resp.StatusCode, body)
	}
	readable("/api/v1/submissions/"+sub.ID, 200)
	readable("/api/v1/instances/"+in.ID, 200)
	var list struct{ Items []webtest.Submission }
	e.Must(200, "GET", "/api/v1/submissions?form=arrival-report", integrator, nil, &list)
	if len(list.Items) != 1 || list.Items[0].ID != sub.ID {
		t.Errorf("the integrator's list: %+v", list.Items)
	}

	e.Must(200, "POST", "/api/v1/forms/arrival-report/versions/1.1.0/retire", author, nil, nil)
	readable("/api/v1/submissions/"+sub.ID, 404)
}
