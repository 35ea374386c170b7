package web

import "testing"

func TestMeScenarios(t *testing.T) {
	e := newEnv(t)
	e.scenarios(t, []scenario{
		{name: "nobody signed in", method: "GET", path: "/api/v1/me", status: 401},
		{name: "an officer sees their roles and teams", as: "officer", method: "GET", path: "/api/v1/me", status: 200,
			want: []string{`"sub":"dev-officer"`, `"officer"`, `"via":"bearer"`}},
		{name: "a supervisor", as: "supervisor", method: "GET", path: "/api/v1/me", status: 200, want: []string{`"supervisor"`}},
		{name: "a token that is not one", method: "GET", path: "/api/v1/me", header: []string{"Authorization", "Bearer nonsense"}, status: 401},
	})
}
