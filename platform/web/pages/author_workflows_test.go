package pages_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"cop/platform/web/webtest"
)

// kitWorkflow gives a supervisor the kit check to decide, tells a team
// the outcome and ends; a count that is not a number faults at /do/3/count.
var kitWorkflow = readTestdata("kit-round.yaml")

const kitCheckForm = `{"name":"kit-check","version":"1.0.0","title":"Kit check","access":{"start":["role:officer"]},
"schema":{"type":"object","required":["radio"],"properties":{"radio":{"type":"string","title":"Radio serial number","maxLength":20}}}}`

func TestAuthoringWorkflowPages(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	e.Must(201, "POST", "/api/v1/forms", e.Token("author"), kitCheckForm, nil)
	author := e.Browser()
	e.SignIn(author, "author").Body.Close()
	csrf := webtest.CSRF(t, e.Get(author, "/author").Body)
	staged := e.Post(author, "/author/upload/workflows", url.Values{"csrf": {csrf}, "text": {kitWorkflow}})
	if staged.Status != 200 || !strings.HasPrefix(staged.Path, "/author/uploads/") {
		t.Fatalf("upload: %d %s %s", staged.Status, staged.Path, text(staged.Body))
	}

	t.Run("binding another author's form as a start form is refused at its place", func(t *testing.T) {
		e.Must(201, "POST", "/api/v1/forms", e.Token("admin"), strings.Replace(kitCheckForm, `"kit-check"`, `"admins-form"`, 1), nil)
		page := e.Post(author, "/author/upload/workflows", url.Values{"csrf": {csrf}, "text": {
			"document: {dsl: '1.0.3', namespace: kit, name: bound, version: '1.0.0', metadata: {startForm: admins-form}}\ndo:\n  - a: {set: {b: 1}}\n"}})
		if body := text(page.Body); page.Status != 403 || !strings.Contains(body, "/document/metadata/startForm (line 1") {
			t.Errorf("%d %s", page.Status, body)
		}
	})

	t.Run("the diagram, its list and the forms it uses", func(t *testing.T) {
		b := staged.Body
		for _, want := range []string{`role="img"`, "<desc", `href="/author/forms/kit-check/versions/1.0.0/preview"`} {
			if !strings.Contains(b, want) {
				t.Errorf("missing %s", want)
			}
		}
		body := text(b)
		for _, want := range []string{"The same, step by step", "check (User task)", "tell (", "decide (Switch)", "count (", "Preview form kit-check"} {
			if !strings.Contains(body, want) {
				t.Errorf("missing %q in %s", want, body)
			}
		}
		start := e.Get(author, "/author/forms/kit-check/versions/1.0.0/preview")
		if start.Status != 200 || !strings.Contains(text(start.Body), "Preview Kit check") {
			t.Errorf("the form's preview start page: %d %s", start.Status, text(start.Body))
		}
	})

	t.Run("a draft run fed task data completes, its task and notice the author's alone", func(t *testing.T) {
		page := e.Post(author, staged.Path+"/try", url.Values{"csrf": {csrf}, "input": {`{"batteries": "4"}`}, "taskData": {`{"radio": "R-9"}`}})
		body := text(page.Body)
		if page.Status != 200 || !strings.Contains(body, "Completed The draft run ended") || !strings.Contains(body, `"batteries": 4`) {
			t.Fatalf("%d %s", page.Status, body)
		}
		for _, want := range []string{"User tasks it gave you Check the kit (completed, priority 3)", "Notifications it sent you Kit checked"} {
			if !strings.Contains(body, want) {
				t.Errorf("missing %q in %s", want, body)
			}
		}
		_, tasks := e.Send("GET", "/api/v1/tasks?status=all", e.Token("supervisor"), nil)
		_, notes := e.Send("GET", "/api/v1/notifications", e.Token("supervisor"), nil)
		if strings.Contains(tasks, "Check the kit") || strings.Contains(notes, "Kit checked") {
			t.Errorf("a supervisor was given the draft's work: tasks %s notifications %s", tasks, notes)
		}
	})

	t.Run("a fault is shown at its task on the diagram", func(t *testing.T) {
		page := e.Post(author, staged.Path+"/try", url.Values{"csrf": {csrf}, "input": {`{"batteries": "four"}`}, "taskData": {`{"radio": "R-9"}`}})
		body := text(page.Body)
		if page.Status != 200 || !strings.Contains(body, "The draft run faulted at /do/3/count") {
			t.Fatalf("%d %s", page.Status, body)
		}
		if strings.Count(page.Body, "Faulted here") < 2 { // on the diagram and in its list
			t.Errorf("the faulted task is not marked on the diagram and its list: %s", page.Body)
		}
	})

	t.Run("task data a form refuses is said, the task left to the author", func(t *testing.T) {
		page := e.Post(author, staged.Path+"/try", url.Values{"csrf": {csrf}, "input": {`{"batteries": "4"}`}, "taskData": {`{"radio": 5}`}})
		body := text(page.Body)
		if page.Status != 200 || !strings.Contains(body, "Task data the tasks' forms refused Check the kit:") || !strings.Contains(body, "Check the kit (open, priority 3)") {
			t.Errorf("%d %s", page.Status, body)
		}
	})

	t.Run("fields that are not JSON are named", func(t *testing.T) {
		page := e.Post(author, staged.Path+"/try", url.Values{"csrf": {csrf}, "input": {`{"batteries": `}, "events": {`[{"type": "x"}]`}})
		body := text(page.Body)
		if page.Status != 422 || !strings.Contains(body, "The input is not JSON") || !strings.Contains(body, "Event 1 needs a type and a source") ||
			!strings.Contains(page.Body, `href="#try-input"`) {
			t.Errorf("%d %s", page.Status, body)
		}
	})

	t.Run("a published version is tried too", func(t *testing.T) {
		done := e.Post(author, staged.Path+"/publish", url.Values{"csrf": {csrf}})
		if done.Path != "/author/workflows/kit/kit-round/versions/1.0.0?done=published" {
			t.Fatalf("publish: %s %s", done.Path, text(done.Body))
		}
		// An event as the hint describes it (a type and a source) is delivered.
		page := e.Post(author, "/author/workflows/kit/kit-round/versions/1.0.0/try", url.Values{"csrf": {csrf}, "input": {`{"batteries": "2"}`},
			"events": {`{"type": "kit.checked", "source": "test"}`}})
		if body := text(page.Body); page.Status != 200 || !strings.Contains(body, "The draft run is running") || !strings.Contains(body, "Check the kit (open, priority 3)") ||
			strings.Contains(body, "was refused") {
			t.Errorf("without task data the run waits with the task in the author's list: %d %s", page.Status, body)
		}
		run := regexp.MustCompile(`/author/runs/(draft-[^/]+)/cancel`).FindStringSubmatch(page.Body)
		if run == nil {
			t.Fatal("no Cancel this draft run")
		}
		back := e.Post(author, run[0], url.Values{"csrf": {csrf}, "return": {"/author/workflows/kit/kit-round/versions/1.0.0"}})
		if back.Path != "/author/workflows/kit/kit-round/versions/1.0.0?done=cancelled" || !strings.Contains(text(back.Body), "The draft run was cancelled.") {
			t.Errorf("cancel: %s %s", back.Path, text(back.Body))
		}
		in := e.WaitInstance(e.Token("author"), run[1], func(i webtest.InstanceBody) bool { return i.Status != "running" })
		if in.Status != "cancelled" {
			t.Errorf("the draft run is %s", in.Status)
		}
		if escape := e.Post(author, run[0], url.Values{"csrf": {csrf}, "return": {"//evil.example/x"}}); escape.Path != "/author?done=cancelled" {
			t.Errorf("a return off the authoring pages went to %s", escape.Path)
		}
	})
}
