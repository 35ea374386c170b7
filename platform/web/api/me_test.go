package api_test

import (
	"testing"

	"cop/platform/web/webtest"
)

func TestMeScenarios(t *testing.T) {
	e := webtest.New(t)
	e.Scenarios(t, []webtest.Scenario{
		{Name: "nobody signed in", Method: "GET", Path: "/api/v1/me", Status: 401},
		{Name: "an officer sees their roles and teams", As: "officer", Method: "GET", Path: "/api/v1/me", Status: 200,
			Want: []string{`"sub":"dev-officer"`, `"officer"`, `"via":"bearer"`}},
		{Name: "a supervisor", As: "supervisor", Method: "GET", Path: "/api/v1/me", Status: 200, Want: []string{`"supervisor"`}},
		{Name: "a token that is not one", Method: "GET", Path: "/api/v1/me", Header: []string{"Authorization", "Bearer nonsense"}, Status: 401},
	})
}
