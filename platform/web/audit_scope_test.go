package web_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"cop/platform/web/webtest"
)

// A supervisor reads the audit rows about their teams' cases (and their
// own), not another team's: the log would otherwise reveal that another
// team's cases exist. Admins read every row. Each row from a request says
// where it came from.
func TestAuditRowsAreScopedToTheReadersTeams(t *testing.T) {
	e := webtest.New(t)
	author := e.Token("author")
	webtest.RegisterArrival(e, author)
	var heathrow, dover webtest.Submission
	e.Must(201, "POST", "/api/v1/forms/arrival-report/submissions", e.Token("officer"), webtest.ValidArrival, &heathrow)
	e.Must(201, "POST", "/api/v1/forms/arrival-report/submissions", e.Token("officer-dover"), webtest.ValidArrival, &dover)

	type row struct {
		Actor, Action, Resource, ClientIP, UserAgent string
		Teams                                        []string
	}
	read := func(token string) []row {
		t.Helper()
		var page struct{ Items []row }
		_ = json.Unmarshal([]byte(e.Must(200, "GET", "/api/v1/audit?limit=500", token, nil, nil)), &page)
		return page.Items
	}
	resources := func(rows []row) []string {
		var out []string
		for _, r := range rows {
			out = append(out, r.Resource)
		}
		return out
	}
	supervisor := read(e.Token("supervisor"))
	if !slices.Contains(resources(supervisor), "submission:"+heathrow.ID) || slices.Contains(resources(supervisor), "submission:"+dover.ID) {
		t.Errorf("the Heathrow supervisor reads %v; want Heathrow's submission and not Dover's", resources(supervisor))
	}
	for _, r := range supervisor {
		if !slices.Contains(r.Teams, "heathrow-t5") && r.Actor != "dev-supervisor" {
			t.Errorf("the Heathrow supervisor reads a row about %v by %s: %s %s", r.Teams, r.Actor, r.Action, r.Resource)
		}
	}
	all := read(e.Token("admin"))
	if !slices.Contains(resources(all), "submission:"+heathrow.ID) || !slices.Contains(resources(all), "submission:"+dover.ID) ||
		!slices.Contains(resources(all), "form:global/arrival-report@1.0.0") {
		t.Errorf("the admin reads %v; want every row", resources(all))
	}
	for _, r := range all {
		if r.Resource == "submission:"+dover.ID && (fmt.Sprint(r.Teams) != "[dover-east]" || r.ClientIP != "127.0.0.1" || r.UserAgent != "Go-http-client/1.1") {
			t.Errorf("Dover's submission row: %+v", r)
		}
	}
}
