package web

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"cop/platform/directory"
)

// COP keeps each person it has seen, from a sign-in or a bearer token,
// as the provider last described them.
func TestTheDirectoryKnowsWhoSignedIn(t *testing.T) {
	e := newEnv(t)
	e.signIn(e.browser(), "officer").Body.Close()
	e.do(nil, "GET", "/api/v1/me", e.token("officer-dover"), nil)
	dir := directory.New(e.pool)
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
	e := newEnv(t, withWorker)
	supervisor := e.token("supervisor")
	for _, who := range []string{"officer", "officer-dover"} { // COP meets them when they call
		e.do(nil, "GET", "/api/v1/me", e.token(who), nil)
	}
	_, task := e.startOneTask("reassign-directory", "[team:heathrow-t5]", supervisor)
	for to, says := range map[string]string{
		"dev-nobody":        "dev-nobody is not a user COP knows",
		"dev-officer-dover": "Dee Dover (dev-officer-dover) is not in the task's candidate groups (team:heathrow-t5)",
	} {
		resp, body := e.send("POST", "/api/v1/tasks/"+task.ID+"/reassign", supervisor, map[string]any{"to": to})
		if p := problemOf(t, resp, body, http.StatusUnprocessableEntity); len(p.Errors) != 1 || p.Errors[0].Pointer != "/to" || !strings.Contains(p.Detail, says) {
			t.Errorf("reassign to %s: %s", to, body)
		}
	}
	b := e.browser()
	e.signIn(b, "supervisor").Body.Close()
	page := e.get(b, "/tasks/"+task.ID)
	if !strings.Contains(page.body, `<option value="dev-officer">Olu Officer (dev-officer)</option>`) || strings.Contains(page.body, "dev-officer-dover") {
		t.Errorf("the reassign list:\n%s", page.body[strings.Index(page.body, "Reassign to"):][:600])
	}
	var moved taskBody
	e.must(200, "POST", "/api/v1/tasks/"+task.ID+"/reassign", supervisor, map[string]any{"to": "dev-officer"}, &moved)
	if moved.ClaimedBy != "dev-officer" {
		t.Fatalf("reassigned %+v", moved)
	}
	// The task's audit rows are about its instance's teams (the starter's)
	// and the teams among its candidate groups, so their supervisors read them.
	var teams []string
	if err := e.pool.QueryRow(t.Context(), `SELECT teams FROM audit_log WHERE resource = $1 AND action = 'task.create'`, "task:"+task.ID).Scan(&teams); err != nil ||
		strings.Join(teams, ",") != "analytics,heathrow-t5" {
		t.Errorf("the task's audit row is about %v (%v)", teams, err)
	}
}
