package api_test

import (
	"testing"

	"cop/platform/web/webtest"
)

func TestDraftScenarios(t *testing.T) {
	e := webtest.New(t)
	webtest.RegisterArrival(e, e.Token("author"))
	officer := e.Token("officer")
	draft := func() string {
		var d struct{ ID string }
		e.Must(201, "POST", "/api/v1/forms/arrival-report/drafts", officer, map[string]any{"data": map[string]any{"port": "GBDVR"}}, &d)
		return d.ID
	}
	kept, saved, deleted, submitted, unfinished := draft(), draft(), draft(), draft(), draft()
	e.Must(200, "PUT", "/api/v1/drafts/"+submitted, officer, map[string]any{"data": webtest.ValidArrival}, nil)
	e.Scenarios(t, []webtest.Scenario{
		{Name: "an officer starts a draft", As: "officer", Method: "POST", Path: "/api/v1/forms/arrival-report/drafts",
			Body: map[string]any{"data": map[string]any{}}, Status: 201, Want: []string{`"form":"arrival-report"`}},
		{Name: "a draft of an unknown form", As: "officer", Method: "POST", Path: "/api/v1/forms/nope/drafts", Body: map[string]any{"data": map[string]any{}}, Status: 404},
		{Name: "a field the body does not have", As: "officer", Method: "POST", Path: "/api/v1/forms/arrival-report/drafts",
			Body: map[string]any{"data": map[string]any{}, "colour": "red"}, Status: 400, Pointers: []string{"/colour"}},
		{Name: "its owner reads it", As: "officer", Method: "GET", Path: "/api/v1/drafts/" + kept, Status: 200, Want: []string{`"GBDVR"`}},
		{Name: "its owner lists it", As: "officer", Method: "GET", Path: "/api/v1/drafts", Status: 200, Want: []string{kept}},
		{Name: "nobody else reads it, an admin neither", As: "admin", Method: "GET", Path: "/api/v1/drafts/" + kept, Status: 404},
		{Name: "its owner saves it", As: "officer", Method: "PUT", Path: "/api/v1/drafts/" + saved,
			Body: map[string]any{"data": map[string]any{"port": "GBSOU"}, "page": "travel"}, Status: 200, Want: []string{`"GBSOU"`}},
		{Name: "nobody else saves it", As: "officer-dover", Method: "PUT", Path: "/api/v1/drafts/" + saved, Body: map[string]any{"data": map[string]any{}}, Status: 404},
		{Name: "its owner deletes it", As: "officer", Method: "DELETE", Path: "/api/v1/drafts/" + deleted, Status: 204},
		{Name: "a deleted draft is gone", As: "officer", Method: "GET", Path: "/api/v1/drafts/" + deleted, Status: 404},
		{Name: "a finished draft is submitted", As: "officer", Method: "POST", Path: "/api/v1/drafts/" + submitted + "/submit", Body: "{}", Status: 201,
			Want: []string{`"businessKey":"ARR-`}},
		{Name: "an unfinished one is refused with what is missing", As: "officer", Method: "POST", Path: "/api/v1/drafts/" + unfinished + "/submit", Body: "{}",
			Status: 422, Pointers: []string{"/arrivalDate", "/traveller", "/searched"}},
	})
}
