package web_test

import (
	"net/http"
	"strings"
	"testing"

	"cop/platform/web/webtest"
)

// A workflow with a startForm reads every future submission of the form
// and may show it to anyone; only an admin or the form's own author may
// bind it, and the binding is audited on the form's trail.
func TestBindingAFormNeedsItsAuthorOrAnAdmin(t *testing.T) {
	e := webtest.New(t)
	admin, author := e.Token("admin"), e.Token("author")
	webtest.RegisterArrival(e, admin) // the form is the admin's, not the author's
	const harvest = `document: {dsl: '1.0.0', namespace: border-force, name: harvest, version: '1.0.0',
  metadata: {startForm: arrival-report, access: {read: [role:author]}}}
do:
  - keep: {set: {everything: '${ $input.submission.data }'}}
`
	for _, path := range []string{"/api/v1/workflows", "/api/v1/workflows?dryRun=true"} {
		resp, body := e.Do(nil, "POST", path, author, strings.NewReader(harvest), "Content-Type", "application/yaml")
		p := webtest.ProblemOf(t, resp, body, http.StatusForbidden)
		if len(p.Errors) != 1 || p.Errors[0].Pointer != "/document/metadata/startForm" ||
			!strings.Contains(p.Detail, "only an admin or the form's author (dev-admin, who published version 1.0.0) may bind it") {
			t.Errorf("%s by another author: %s", path, body)
		}
	}
	var n int
	if err := e.Pool.QueryRow(t.Context(), `SELECT count(*) FROM definitions WHERE kind = 'workflow'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("a refused binding left %d workflows (%v)", n, err)
	}
	if resp, body := e.PublishYAML(admin, harvest); resp.StatusCode != http.StatusCreated {
		t.Fatalf("the admin binds: %d %s", resp.StatusCode, body)
	}
	var bound []string
	for _, r := range e.AuditRows() {
		if r.Action == "workflow.bind-start-form" {
			bound = append(bound, r.Actor+" "+r.Resource+" "+string(r.Detail))
		}
	}
	if len(bound) != 1 || bound[0] != `dev-admin form:global/arrival-report@1.0.0 {"workflow": "workflow:border-force/harvest@1.0.0", "formAuthor": "dev-admin"}` {
		t.Errorf("binding audit rows: %q", bound)
	}
}
