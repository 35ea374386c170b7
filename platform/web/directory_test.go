package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"cop/platform/directory"
	"cop/platform/web/webtest"
)

// COP keeps each person it has seen, from a sign-in or a bearer token,
// as the provider last described them.
func TestTheDirectoryKnowsWhoSignedIn(t *testing.T) {
	e := webtest.New(t)
	e.SignIn(e.Browser(), "officer").Body.Close()
	e.Do(nil, "GET", "/api/v1/me", e.Token("officer-dover"), nil)
	dir := directory.New(e.Pool)
	for _, want := range []directory.User{
		{Subject: "dev-officer", Name: "Olu Officer", Email: "officer@cop.localhost", Roles: []string{"officer"}, Teams: []string{"heathrow-t5"}},
		{Subject: "dev-officer-dover", Name: "Dee Dover", Email: "officer-dover@cop.localhost", Roles: []string{"officer"}, Teams: []string{"dover-east"}},
	} {
		u, err := dir.User(t.Context(), want.Subject)
		if err != nil || u.Name != want.Name || u.Email != want.Email || strings.Join(u.Roles, ",") != strings.Join(want.Roles, ",") ||
			strings.Join(u.Teams, ",") != strings.Join(want.Teams, ",") || time.Since(u.LastSeenAt) > time.Minute {
			t.Errorf("%s: %+v (%v), want %+v", want.Subject, u, err, want)
		}
	}
	if _, err := dir.User(t.Context(), "dev-admin"); err == nil {
		t.Error("the directory knows someone who never came")
	}
}

// A task goes only to someone COP knows who is in its candidate groups;
// the refusal says which it is, and the task stays where it was. The page
// offers the known members of the task's groups, and the case's timeline
// names people.
func TestReassignGoesOnlyToKnownMembersOfTheTasksGroups(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	supervisor := e.Token("supervisor")
	for _, who := range []string{"officer", "officer-dover"} { // COP meets them when they call
		e.Do(nil, "GET", "/api/v1/me", e.Token(who), nil)
	}
	_, task := e.StartOneTask("reassign-directory", "[team:heathrow-t5]", supervisor)
	for to, says := range map[string]string{
		"dev-nobody":        "dev-nobody is not a user COP knows",
		"dev-officer-dover": "Dee Dover (dev-officer-dover) is not in the task's candidate groups (team:heathrow-t5)",
	} {
		resp, body := e.Send("POST", "/api/v1/tasks/"+task.ID+"/reassign", supervisor, map[string]any{"to": to})
		if p := webtest.ProblemOf(t, resp, body, http.StatusUnprocessableEntity); len(p.Errors) != 1 || p.Errors[0].Pointer != "/to" || !strings.Contains(p.Detail, says) {
			t.Errorf("reassign to %s: %s", to, body)
		}
	}
	b := e.Browser()
	e.SignIn(b, "supervisor").Body.Close()
	page := e.Get(b, "/tasks/"+task.ID)
	if !strings.Contains(page.Body, `<option value="dev-officer">Olu Officer (dev-officer)</option>`) || strings.Contains(page.Body, "dev-officer-dover") {
		t.Errorf("the reassign list:\n%s", page.Body[strings.Index(page.Body, "Reassign to"):][:600])
	}
	var moved webtest.TaskBody
	e.Must(200, "POST", "/api/v1/tasks/"+task.ID+"/reassign", supervisor, map[string]any{"to": "dev-officer"}, &moved)
	if moved.ClaimedBy != "dev-officer" {
		t.Fatalf("reassigned %+v", moved)
	}
	// The task's audit rows are about its instance's teams (the starter's)
	// and the teams among its candidate groups, so their supervisors read them.
	var teams []string
	if err := e.Pool.QueryRow(t.Context(), `SELECT teams FROM audit_log WHERE resource = $1 AND action = 'task.create'`, "task:"+task.ID).Scan(&teams); err != nil ||
		strings.Join(teams, ",") != "analytics,heathrow-t5" {
		t.Errorf("the task's audit row is about %v (%v)", teams, err)
	}
}
