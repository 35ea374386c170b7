package pages_test

import (
	"net/url"
	"strings"
	"testing"

	"cop/platform/web/webtest"
)

// roundFault counts batteries from its input: "four" faults at /do/0/count.
const roundFault = `document: {dsl: '1.0.3', namespace: kit, name: count-round, version: '1.0.0', metadata: {access: {start: [role:officer]}}}
do:
  - count:
      set:
        batteries: '${ .batteries | tonumber }'
`

// roundWait hears a note sent to it and a count routed to it, then gives
// the Heathrow team a task and waits for it.
const roundWait = `document: {dsl: '1.0.3', namespace: kit, name: wait-round, version: '1.0.0', metadata: {access: {start: [role:officer], events: [role:integrator]}}}
do:
  - note:
      listen: {to: {one: {with: {type: cop.test.kit-note}}}}
  - count:
      listen: {to: {one: {with: {type: cop.test.kit-count}}}}
  - check:
      call: userTask
      with: {form: kit-check, title: Check the kit, candidateGroups: [team:heathrow-t5]}
`

// operateFixtures publishes the two workflows and starts three instances:
// one faulted and one waiting on a task after two events (an officer's),
// one completed (another team's).
func operateFixtures(t *testing.T, e *webtest.Env) (faulted, waiting, other webtest.InstanceBody) {
	t.Helper()
	author := e.Token("author")
	e.Must(201, "POST", "/api/v1/forms", author, kitCheckForm, nil)
	for _, w := range []string{roundFault, roundWait} {
		if resp, body := e.PublishYAML(author, w); resp.StatusCode != 201 {
			t.Fatalf("publish: %d %s", resp.StatusCode, body)
		}
	}
	officer, dover := e.Token("officer"), e.Token("officer-dover")
	e.Must(201, "POST", "/api/v1/workflows/kit/count-round/instances", officer, map[string]any{"input": map[string]any{"batteries": "four"}}, &faulted)
	e.Must(201, "POST", "/api/v1/workflows/kit/wait-round/instances", officer, map[string]any{"input": map[string]any{}}, &waiting)
	e.Must(201, "POST", "/api/v1/workflows/kit/count-round/instances", dover, map[string]any{"input": map[string]any{"batteries": "2"}}, &other)
	e.WaitInstance(officer, faulted.ID, func(i webtest.InstanceBody) bool { return i.Status == "faulted" })
	e.Must(202, "POST", "/api/v1/instances/"+waiting.ID+"/events", officer,
		`{"specversion": "1.0", "id": "note-1", "source": "/kit-room", "type": "cop.test.kit-note", "data": {"note": "Torch missing"}}`, nil)
	if resp, body := e.Send("POST", "/api/v1/events", e.Token("integrator"),
		`{"specversion": "1.0", "id": "count-1", "source": "/stores", "type": "cop.test.kit-count", "data": {"batteries": 12}}`,
		"Content-Type", "application/cloudevents+json"); resp.StatusCode != 202 {
		t.Fatalf("send the count: %d %s", resp.StatusCode, body)
	}
	e.WaitTask(e.Token("supervisor"), waiting.ID)
	e.WaitInstance(dover, other.ID, func(i webtest.InstanceBody) bool { return i.Status == "completed" })
	return faulted, waiting, other
}

func TestOperatePages(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	faulted, waiting, other := operateFixtures(t, e)

	operator := e.Browser()
	e.SignIn(operator, "operator").Body.Close()

	t.Run("operators see every instance, counted by status", func(t *testing.T) {
		page := e.Get(operator, "/operate")
		body := text(page.Body)
		if page.Status != 200 || !strings.Contains(page.Body, `href="/operate"`) {
			t.Fatalf("%d %s", page.Status, body)
		}
		for _, want := range []string{"0 starting", "1 running", "1 completed", "1 faulted", "0 cancelled", faulted.ID, waiting.ID, other.ID} {
			if !strings.Contains(body, want) {
				t.Errorf("missing %q in %s", want, body)
			}
		}
		only := text(e.Get(operator, "/operate?status=faulted&workflow=kit/count-round").Body)
		if !strings.Contains(only, faulted.ID) || strings.Contains(only, other.ID) || strings.Contains(only, waiting.ID) {
			t.Errorf("faulted count-round instances: %s", only)
		}
		if none := text(e.Get(operator, "/operate?from=2001-01-01&to=2001-01-02").Body); !strings.Contains(none, "No instances match") {
			t.Errorf("instances started in 2001: %s", none)
		}
	})

	t.Run("filters that cannot be read are named", func(t *testing.T) {
		page := e.Get(operator, "/operate?workflow=nonamespace&from=31/02/2026&status=lost")
		body := text(page.Body)
		if page.Status != 422 {
			t.Fatalf("%d", page.Status)
		}
		for _, want := range []string{"Enter the workflow as namespace/name", "Started from must be a date, like 2026-12-03", "Choose a status from the list"} {
			if !strings.Contains(body, want) {
				t.Errorf("missing %q in %s", want, body)
			}
		}
	})

	t.Run("a faulted instance: its error, and the task marked on its diagram", func(t *testing.T) {
		page := e.Get(operator, "/operate/instances/"+faulted.ID)
		body := text(page.Body)
		if page.Status != 200 || !strings.Contains(body, "It faulted at /do/0/count") || !strings.Contains(body, "Title Expression failed") ||
			!strings.Contains(body, "Where /do/0/count/set") || !strings.Contains(body, `"batteries": "four"`) {
			t.Fatalf("%d %s", page.Status, body)
		}
		if strings.Count(page.Body, "Faulted here") < 2 {
			t.Error("the faulted task is not marked on the diagram and its list")
		}
	})

	t.Run("a running instance: where it is, its open task, and the events it received", func(t *testing.T) {
		page := e.Get(operator, "/operate/instances/"+waiting.ID)
		body := text(page.Body)
		if page.Status != 200 || !strings.Contains(body, "Open tasks Check the kit Offered to team:heathrow-t5 Held by Nobody yet") ||
			!strings.Contains(page.Body, "Running here") {
			t.Errorf("%d %s", page.Status, body)
		}
		for _, want := range []string{
			"cop.test.kit-note from /kit-room, id note-1", "Sent to the instance (POST /api/v1/instances/{id}/events)", `"note": "Torch missing"`,
			"cop.test.kit-count from /stores, id count-1", "Routed by COP from POST /api/v1/events", `"batteries": 12`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("the events received lack %q: %s", want, body)
			}
		}
		if strings.Index(body, "kit-note") > strings.Index(body, "kit-count") {
			t.Error("the events are not in the order received")
		}
		if none := text(e.Get(operator, "/operate/instances/"+faulted.ID).Body); !strings.Contains(none, "Events received It has received no events.") {
			t.Errorf("an instance sent no events: %s", none)
		}
	})

	t.Run("reassigning an open task to a known member of its team", func(t *testing.T) {
		page := e.Get(operator, "/operate/instances/"+waiting.ID)
		task := e.WaitTask(e.Token("supervisor"), waiting.ID)
		// The list offers the team's members who have signed in: the
		// officer and the supervisor, not the Dover officer or the operator.
		for want, offered := range map[string]bool{`<option value="dev-officer"`: true, `<option value="dev-supervisor"`: true,
			`<option value="dev-officer-dover"`: false, `<option value="dev-operator"`: false} {
			if strings.Contains(page.Body, want) != offered {
				t.Errorf("the reassign list offers %s: %v, want %v", want, !offered, offered)
			}
		}
		csrf := webtest.CSRF(t, page.Body)
		reassign := "/operate/tasks/" + task.ID + "/reassign"
		if p := e.Post(operator, reassign, url.Values{"csrf": {csrf}, "to": {""}}); p.Status != 422 ||
			!strings.Contains(text(p.Body), "There is a problem Choose who should work Check the kit") || !strings.Contains(p.Body, `href="#reassign-`+task.ID+`"`) {
			t.Errorf("nobody chosen: %d %s", p.Status, text(p.Body))
		}
		if p := e.Post(operator, reassign, url.Values{"csrf": {csrf}, "to": {"dev-officer-dover"}}); p.Status != 422 ||
			!strings.Contains(text(p.Body), "is not in the task's candidate groups") {
			t.Errorf("someone outside the team: %d %s", p.Status, text(p.Body))
		}
		if p := e.Post(operator, reassign, url.Values{"to": {"dev-officer"}}); p.Status != 403 {
			t.Errorf("no CSRF token: %d", p.Status)
		}
		officerBrowser := e.Browser()
		e.SignIn(officerBrowser, "officer").Body.Close()
		if p := e.Post(officerBrowser, reassign, url.Values{"csrf": {webtest.CSRF(t, e.Get(officerBrowser, "/").Body)}, "to": {"dev-officer"}}); p.Status != 404 {
			t.Errorf("an officer reassigning: %d", p.Status)
		}
		done := e.Post(operator, reassign, url.Values{"csrf": {csrf}, "to": {"dev-officer"}})
		if done.Status != 200 || !strings.Contains(text(done.Body), "The task has been reassigned.") || !strings.Contains(text(done.Body), "Held by Olu Officer") {
			t.Fatalf("reassign: %d %s", done.Status, text(done.Body))
		}
		var who string
		if err := e.Pool.QueryRow(t.Context(), `SELECT claimed_by FROM tasks WHERE id = $1`, task.ID).Scan(&who); err != nil || who != "dev-officer" {
			t.Errorf("the task is held by %q (%v)", who, err)
		}
		// The officer's task page does not offer reassigning; the operator's does.
		if strings.Contains(e.Get(officerBrowser, "/tasks/"+task.ID).Body, "Reassign task") {
			t.Error("the officer's task page offers Reassign")
		}
		if tp := e.Get(operator, "/tasks/"+task.ID); tp.Status != 200 || !strings.Contains(tp.Body, "Reassign task") || strings.Contains(tp.Body, "Claim this task") {
			t.Errorf("the operator's task page: %d %s", tp.Status, text(tp.Body))
		}
	})

	t.Run("retrying: a reason, the CSRF token, a faulted instance; a fault in the workflow itself faults again", func(t *testing.T) {
		page := e.Get(operator, "/operate/instances/"+faulted.ID)
		csrf := webtest.CSRF(t, page.Body)
		retry := "/operate/instances/" + faulted.ID + "/retry"
		if p := e.Post(operator, retry, url.Values{"csrf": {csrf}, "reason": {"  "}}); p.Status != 422 || !strings.Contains(text(p.Body), "There is a problem Enter why you are retrying it") {
			t.Errorf("no reason: %d %s", p.Status, text(p.Body))
		}
		if p := e.Post(operator, retry, url.Values{"reason": {"x"}}); p.Status != 403 {
			t.Errorf("no CSRF token: %d", p.Status)
		}
		if p := e.Post(operator, "/operate/instances/"+waiting.ID+"/retry", url.Values{"csrf": {csrf}, "reason": {"x"}}); p.Status != 409 ||
			!strings.Contains(text(p.Body), "only a faulted instance can be retried") {
			t.Errorf("a running instance: %d %s", p.Status, text(p.Body))
		}
		if strings.Contains(e.Get(operator, "/operate/instances/"+waiting.ID).Body, "Retry from the failed task") {
			t.Error("a running instance offers Retry")
		}
		done := e.Post(operator, retry, url.Values{"csrf": {csrf}, "reason": {"the count is mended"}})
		if done.Status != 200 || !strings.Contains(text(done.Body), "The instance was retried from the task it faulted in.") {
			t.Fatalf("retry: %d %s", done.Status, text(done.Body))
		}
		again := e.WaitInstance(e.Token("officer"), faulted.ID, func(i webtest.InstanceBody) bool { return i.Status == "faulted" })
		if again.Status != "faulted" {
			t.Fatalf("after the retry: %s", again.Status)
		}
		if body := text(e.Get(operator, "/operate/instances/"+faulted.ID).Body); !strings.Contains(body, "Retried 1 times") || !strings.Contains(body, "It faulted at /do/0/count") {
			t.Errorf("faulted again: %s", body)
		}
	})

	t.Run("the case links its instance for those who operate", func(t *testing.T) {
		supervisor := e.Browser()
		e.SignIn(supervisor, "supervisor").Body.Close()
		page := e.Get(supervisor, "/cases/"+waiting.BusinessKey)
		if page.Status != 200 || !strings.Contains(page.Body, `href="/operate/instances/`+waiting.ID+`">Open instance</a>`) {
			t.Errorf("the case page: %d %s", page.Status, text(page.Body))
		}
		officerBrowser := e.Browser()
		e.SignIn(officerBrowser, "officer").Body.Close()
		if strings.Contains(e.Get(officerBrowser, "/cases/"+waiting.BusinessKey).Body, "/operate/instances/") {
			t.Error("the officer's case page links the operating pages")
		}
	})

	t.Run("cancelling needs a reason, and the reason is audited", func(t *testing.T) {
		page := e.Get(operator, "/operate/instances/"+waiting.ID)
		csrf := webtest.CSRF(t, page.Body)
		cancel := "/operate/instances/" + waiting.ID + "/cancel"
		if p := e.Post(operator, cancel, url.Values{"csrf": {csrf}, "reason": {""}}); p.Status != 422 || !strings.Contains(text(p.Body), "There is a problem Enter why you are cancelling it") {
			t.Errorf("no reason: %d %s", p.Status, text(p.Body))
		}
		done := e.Post(operator, cancel, url.Values{"csrf": {csrf}, "reason": {"started by mistake"}})
		if done.Status != 200 || !strings.Contains(text(done.Body), "The instance is being cancelled") {
			t.Fatalf("cancel: %d %s", done.Status, text(done.Body))
		}
		if in := e.WaitInstance(e.Token("officer"), waiting.ID, func(i webtest.InstanceBody) bool { return i.Status == "cancelled" }); in.Status != "cancelled" {
			t.Errorf("after cancelling: %s", in.Status)
		}
		var reason string
		if err := e.Pool.QueryRow(t.Context(), `SELECT detail->>'reason' FROM audit_log WHERE action = 'instance.cancel' AND resource = $1`,
			"instance:"+waiting.ID).Scan(&reason); err != nil || reason != "started by mistake" {
			t.Errorf("the audit trail has %q (%v)", reason, err)
		}
	})

	t.Run("supervisors see their teams' instances; others have no such pages", func(t *testing.T) {
		supervisor := e.Browser()
		e.SignIn(supervisor, "supervisor").Body.Close()
		body := text(e.Get(supervisor, "/operate").Body)
		if !strings.Contains(body, faulted.ID) || strings.Contains(body, other.ID) {
			t.Errorf("the supervisor's instances: %s", body)
		}
		if page := e.Get(supervisor, "/operate/instances/"+other.ID); page.Status != 404 {
			t.Errorf("another team's instance: %d", page.Status)
		}
		officerBrowser := e.Browser()
		e.SignIn(officerBrowser, "officer").Body.Close()
		for _, path := range []string{"/operate", "/operate/instances/" + faulted.ID} {
			if page := e.Get(officerBrowser, path); page.Status != 404 {
				t.Errorf("an officer's %s: %d", path, page.Status)
			}
		}
		if strings.Contains(e.Get(officerBrowser, "/").Body, `href="/operate"`) {
			t.Error("an officer's navigation links Operate")
		}
	})
}
