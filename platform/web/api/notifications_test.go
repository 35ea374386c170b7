package api_test

import (
	"testing"

	"cop/platform/web/webtest"
)

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
