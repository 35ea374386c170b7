package web_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"cop/platform/web/api"
	"cop/platform/web/webtest"
)

func TestWorkflowRegistry(t *testing.T) {
	e := webtest.New(t)
	author, officer := e.Token("author"), e.Token("officer")
	e.Must(201, "POST", "/api/v1/forms", author, webtest.ApprovalForm, nil)

	resp, body := e.PublishYAML(author, webtest.ApprovalWorkflow("1.0.0", "recorded"))
	if resp.StatusCode != 201 || resp.Header.Get("Location") != "/api/v1/workflows/border-force/seizure-approval/versions/1.0.0" {
		t.Fatalf("publish: %d %s %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	var v api.WorkflowVersion
	_ = json.Unmarshal([]byte(body), &v)
	if v.Namespace != "border-force" || v.Title != "Seizure approval" || v.Status != "active" || !json.Valid(v.Definition) {
		t.Fatalf("published %+v", v)
	}
	if resp, body := e.PublishYAML(author, webtest.ApprovalWorkflow("1.0.0", "recorded")); resp.StatusCode != 200 {
		t.Fatalf("identical re-upload: %d %s", resp.StatusCode, body)
	}
	resp, body = e.PublishYAML(author, webtest.ApprovalWorkflow("1.0.0", "changed"))
	if p := webtest.ProblemOf(t, resp, body, 409); !strings.Contains(p.Detail, "checksum") {
		t.Fatalf("conflict detail %q", p.Detail)
	}
	// The same definition as JSON is the same version.
	var asJSON map[string]any
	_ = json.Unmarshal(v.Definition, &asJSON)
	e.Must(200, "POST", "/api/v1/workflows", author, asJSON, nil)

	refusals := []struct {
		name, doc, contentType string
		status                 int
		pointer, want          string
	}{
		{"YAML that does not parse", "document: {dsl: '1.0.0'\n  do: [", "application/yaml", 422, "", "not valid YAML or JSON"},
		{"a document the schema refuses", strings.Replace(webtest.ApprovalWorkflow("1.1.0", "x"), "listen: {to:", "listen: {too:", 1), "application/yaml", 422, "/do/1/closed/listen", "required field 'to' is missing"},
		{"an unknown then target", strings.Replace(webtest.ApprovalWorkflow("1.1.0", "x"), "  - result:\n", "  - result:\n      then: nowhere\n", 1), "application/yaml", 422, "/do/2/result/then", `then "nowhere" names no task`},
		{"a form that is not registered", strings.Replace(webtest.ApprovalWorkflow("1.1.0", "x"), "form: seizure-approval", "form: no-such-form", 1), "application/yaml", 422, "/do/0/approve/with/form", "form no-such-form has no active version"},
		{"a start form that is not registered", strings.Replace(webtest.ApprovalWorkflow("1.1.0", "x"), "casePrefix: SEIZ", "casePrefix: SEIZ, startForm: ghost@2.0.0", 1), "application/yaml", 422, "/document/metadata/startForm", "start form ghost version 2.0.0 is not registered"},
		{"a sub-workflow that is not registered", strings.Replace(webtest.ApprovalWorkflow("1.1.0", "x"), "  - closed:\n      listen: {to: {one: {with: {type: cop.test.closed}}}}", "  - closed:\n      run: {workflow: {namespace: border-force, name: ghost, version: 1.0.0}}", 1), "application/yaml", 422, "/do/1/closed/run/workflow", "workflow border-force/ghost version 1.0.0 is not registered"},
		{"an expression using now", strings.Replace(webtest.ApprovalWorkflow("1.1.0", "x"), "outcome: x", "outcome: ${ now }", 1), "application/yaml", 422, "/do/2/result/set/outcome", "now"},
		{"a construct outside the subset", strings.Replace(webtest.ApprovalWorkflow("1.1.0", "x"), "  - closed:\n      listen: {to: {one: {with: {type: cop.test.closed}}}}", "  - closed:\n      run: {container: {image: alpine}}", 1), "application/yaml", 422, "/do/1/closed/run/container", "run.container is not supported"},
	}
	for _, r := range refusals {
		resp, body := e.Do(nil, "POST", "/api/v1/workflows", author, strings.NewReader(r.doc), "Content-Type", r.contentType)
		p := webtest.ProblemOf(t, resp, body, r.status)
		found := false
		for _, fe := range p.Errors {
			found = found || (strings.HasPrefix(fe.Pointer, r.pointer) && strings.Contains(fe.Message, r.want))
		}
		if !found {
			t.Errorf("%s: want %q at %q, got %+v", r.name, r.want, r.pointer, p.Errors)
		}
	}
	resp, body = e.Do(nil, "POST", "/api/v1/workflows", author, strings.NewReader("<workflow/>"), "Content-Type", "text/html")
	webtest.ProblemOf(t, resp, body, 415)
	resp, body = e.PublishYAML(officer, webtest.ApprovalWorkflow("9.0.0", "x"))
	webtest.ProblemOf(t, resp, body, 403)
	var versions struct{ Items []api.WorkflowVersion }
	e.Must(200, "GET", "/api/v1/workflows/border-force/seizure-approval/versions", officer, nil, &versions)
	if len(versions.Items) != 1 {
		t.Fatalf("refused uploads were stored: %+v", versions.Items)
	}

	// Dry runs check without storing.
	resp, body = e.Do(nil, "POST", "/api/v1/workflows?dryRun=true", author, strings.NewReader(webtest.ApprovalWorkflow("2.0.0", "v2")), "Content-Type", "application/yaml")
	if resp.StatusCode != 200 || !strings.Contains(body, `"status":"draft"`) {
		t.Fatalf("dry run: %d %s", resp.StatusCode, body)
	}
	e.Must(404, "GET", "/api/v1/workflows/border-force/seizure-approval/versions/2.0.0", officer, nil, nil)

	e.PublishYAML(author, webtest.ApprovalWorkflow("1.10.0", "v110"))
	e.PublishYAML(author, webtest.ApprovalWorkflow("1.9.0", "v19"))
	var latest api.WorkflowVersion
	e.Must(200, "GET", "/api/v1/workflows/border-force/seizure-approval", officer, nil, &latest)
	if latest.Version != "1.10.0" {
		t.Fatalf("latest is %s, want 1.10.0 (semantic order)", latest.Version)
	}
	var list struct{ Items []api.WorkflowVersion }
	e.Must(200, "GET", "/api/v1/workflows?namespace=border-force", officer, nil, &list)
	if len(list.Items) != 1 || list.Items[0].Version != "1.10.0" || list.Items[0].Definition != nil {
		t.Fatalf("list %+v", list.Items)
	}
	e.Must(200, "POST", "/api/v1/workflows/border-force/seizure-approval/versions/1.10.0/retire", author, nil, nil)
	e.Must(200, "GET", "/api/v1/workflows/border-force/seizure-approval", officer, nil, &latest)
	if latest.Version != "1.9.0" {
		t.Fatalf("after retiring 1.10.0 the latest is %s", latest.Version)
	}
	e.Must(404, "POST", "/api/v1/workflows/border-force/seizure-approval/versions/7.0.0/retire", author, nil, nil)
	e.Must(403, "POST", "/api/v1/workflows/border-force/seizure-approval/versions/1.9.0/retire", officer, nil, nil)
	// A retired version cannot be started.
	resp, body = e.Send("POST", "/api/v1/workflows/border-force/seizure-approval/instances?version=1.10.0", officer, map[string]any{})
	webtest.ProblemOf(t, resp, body, 410)
	resp, body = e.Send("POST", "/api/v1/workflows/border-force/nothing/instances", officer, map[string]any{})
	webtest.ProblemOf(t, resp, body, 404)
}

// TestInstanceWithUserTask walks an instance through its approval task and
// an event, checking every refusal on the way.
func TestInstanceWithUserTask(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	author, integrator, officer, supervisor := e.Token("author"), e.Token("integrator"), e.Token("officer"), e.Token("supervisor")
	admin := e.Token("admin")
	e.Must(201, "POST", "/api/v1/forms", author, webtest.ApprovalForm, nil)
	e.PublishYAML(author, webtest.ApprovalWorkflow("1.0.0", "recorded"))

	var in webtest.InstanceBody
	resp, body := e.Send("POST", "/api/v1/workflows/border-force/seizure-approval/instances", integrator, map[string]any{"input": map[string]any{"goods": "cigarettes"}})
	if resp.StatusCode != 201 {
		t.Fatalf("start: %d %s", resp.StatusCode, body)
	}
	_ = json.Unmarshal([]byte(body), &in)
	if !strings.HasPrefix(in.BusinessKey, "SEIZ-") || in.Status != "running" || in.Workflow.Version != "1.0.0" || resp.Header.Get("Location") != "/api/v1/instances/"+in.ID {
		t.Fatalf("started %+v (%s)", in, resp.Header.Get("Location"))
	}

	task := e.WaitTask(supervisor, in.ID)
	if task.Title != "Approve seizure" || task.Priority != 2 || task.Reason != "Goods held at the border" || task.Form != "seizure-approval" || task.BusinessKey != in.BusinessKey {
		t.Fatalf("task %+v", task)
	}
	running := e.WaitInstance(integrator, in.ID, func(i webtest.InstanceBody) bool { return len(i.Trace) > 0 })
	if running.Trace[0].Name != "approve" || running.Trace[0].Status != "running" {
		t.Fatalf("trace while waiting: %+v", running.Trace)
	}

	// The officer is not a candidate: the task is not theirs to see.
	var officerTasks struct{ Items []webtest.TaskBody }
	e.Must(200, "GET", "/api/v1/tasks", officer, nil, &officerTasks)
	for _, tk := range officerTasks.Items {
		if tk.ID == task.ID {
			t.Fatal("an officer sees a supervisor's task")
		}
	}
	resp, body = e.Send("POST", "/api/v1/tasks/"+task.ID+"/claim", officer, nil)
	webtest.ProblemOf(t, resp, body, 404)
	// Completing before claiming is refused by the instance's Update.
	resp, body = e.Send("POST", "/api/v1/tasks/"+task.ID+"/complete", supervisor, map[string]any{"data": map[string]any{"approved": true}})
	if p := webtest.ProblemOf(t, resp, body, 403); !strings.Contains(p.Detail, "claim the task") {
		t.Fatalf("complete unclaimed: %s", p.Detail)
	}
	var claimed webtest.TaskBody
	e.Must(200, "POST", "/api/v1/tasks/"+task.ID+"/claim", supervisor, nil, &claimed)
	if claimed.ClaimedBy == "" {
		t.Fatalf("claimed %+v", claimed)
	}
	// An admin may see it but not take a claim someone holds.
	resp, body = e.Send("POST", "/api/v1/tasks/"+task.ID+"/claim", admin, nil)
	if p := webtest.ProblemOf(t, resp, body, 409); !strings.Contains(p.Detail, "someone else has claimed") {
		t.Fatalf("second claim: %s", p.Detail)
	}
	// Data the form refuses: every field, at its pointer in the body.
	resp, body = e.Send("POST", "/api/v1/tasks/"+task.ID+"/complete", supervisor, map[string]any{"data": map[string]any{"approved": "yes", "extra": 1}})
	p := webtest.ProblemOf(t, resp, body, 422)
	pointers := map[string]bool{}
	for _, fe := range p.Errors {
		pointers[fe.Pointer] = true
	}
	if !pointers["/data/approved"] || !pointers["/data/extra"] {
		t.Fatalf("bad data errors %+v", p.Errors)
	}
	resp, body = e.Send("POST", "/api/v1/tasks/"+task.ID+"/complete", supervisor, `{"data": `)
	webtest.ProblemOf(t, resp, body, 400)

	var done webtest.TaskBody
	e.Must(200, "POST", "/api/v1/tasks/"+task.ID+"/complete", supervisor, map[string]any{"data": map[string]any{"approved": true, "comments": "Fine"}}, &done)
	if done.Status != "completed" || done.CompletedBy == "" || done.Data["approved"] != true {
		t.Fatalf("completed %+v", done)
	}
	resp, body = e.Send("POST", "/api/v1/tasks/"+task.ID+"/complete", supervisor, map[string]any{"data": map[string]any{"approved": false}})
	if p := webtest.ProblemOf(t, resp, body, 409); !strings.Contains(p.Detail, "completed") {
		t.Fatalf("completing twice: %s", p.Detail)
	}

	// Events: not a CloudEvent, then the one the instance listens for.
	resp, body = e.Send("POST", "/api/v1/instances/"+in.ID+"/events", integrator, `{"type": "cop.test.closed"}`)
	p = webtest.ProblemOf(t, resp, body, 422)
	if len(p.Errors) != 3 {
		t.Fatalf("missing CloudEvent attributes: %+v", p.Errors)
	}
	e.Must(202, "POST", "/api/v1/instances/"+in.ID+"/events", integrator, webtest.Event("cop.test.closed"), nil)
	final := e.WaitInstance(integrator, in.ID, func(i webtest.InstanceBody) bool { return i.Status != "running" })
	if final.Status != "completed" || final.Output["outcome"] != "recorded" || final.Output["approved"] != true {
		t.Fatalf("final %+v", final)
	}
	var names []string
	for _, tr := range final.Trace {
		names = append(names, tr.Name+":"+tr.Status)
	}
	if strings.Join(names, ",") != "approve:completed,closed:completed,result:completed" {
		t.Fatalf("trace %v", names)
	}
	resp, body = e.Send("POST", "/api/v1/instances/"+in.ID+"/events", integrator, webtest.Event("cop.test.closed"))
	if p := webtest.ProblemOf(t, resp, body, 409); !strings.Contains(p.Detail, "has completed") {
		t.Fatalf("event after the end: %s", p.Detail)
	}

	// The instance row follows (the list reads rows only).
	var listed struct{ Items []webtest.InstanceBody }
	e.Must(200, "GET", "/api/v1/instances?status=completed&name=seizure-approval", integrator, nil, &listed)
	if len(listed.Items) != 1 || listed.Items[0].ID != in.ID {
		t.Fatalf("completed list %+v", listed.Items)
	}
	// Another officer cannot see it; a supervisor (access.read) can.
	e.Must(404, "GET", "/api/v1/instances/"+in.ID, officer, nil, nil)
	e.Must(200, "GET", "/api/v1/instances/"+in.ID, supervisor, nil, nil)
	var c struct {
		Instances []struct{ ID, Status string }
		Tasks     []struct{ ID, Status, CompletedBy string }
	}
	e.Must(200, "GET", "/api/v1/cases/"+in.BusinessKey, integrator, nil, &c)
	if len(c.Instances) != 1 || c.Instances[0].Status != "completed" || len(c.Tasks) != 1 || c.Tasks[0].Status != "completed" {
		t.Fatalf("case timeline %+v", c)
	}

	actions := map[string]bool{}
	for _, r := range e.AuditRows() {
		actions[r.Action] = true
	}
	for _, a := range []string{"instance.start", "task.create", "task.claimed", "task.completed", "instance.event", "instance.end"} {
		if !actions[a] {
			t.Errorf("no %s audit row (have %v)", a, actions)
		}
	}
}

// TestVersionOneStaysOnVersionOne: uploading v2 while a v1 instance waits
// does not change what the v1 instance runs.
func TestVersionOneStaysOnVersionOne(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	author, integrator, supervisor := e.Token("author"), e.Token("integrator"), e.Token("supervisor")
	e.Must(201, "POST", "/api/v1/forms", author, webtest.ApprovalForm, nil)
	e.PublishYAML(author, webtest.ApprovalWorkflow("1.0.0", "from-v1"))
	var v1 webtest.InstanceBody
	e.Must(201, "POST", "/api/v1/workflows/border-force/seizure-approval/instances", integrator, map[string]any{}, &v1)
	task := e.WaitTask(supervisor, v1.ID)

	e.PublishYAML(author, webtest.ApprovalWorkflow("2.0.0", "from-v2"))
	var v2 webtest.InstanceBody
	e.Must(201, "POST", "/api/v1/workflows/border-force/seizure-approval/instances", integrator, map[string]any{}, &v2)
	if v2.Workflow.Version != "2.0.0" {
		t.Fatalf("new instance runs %s", v2.Workflow.Version)
	}
	e.Must(200, "POST", "/api/v1/tasks/"+task.ID+"/claim", supervisor, nil, nil)
	e.Must(200, "POST", "/api/v1/tasks/"+task.ID+"/complete", supervisor, map[string]any{"data": map[string]any{"approved": false}}, nil)
	e.Must(202, "POST", "/api/v1/instances/"+v1.ID+"/events", integrator, webtest.Event("cop.test.closed"), nil)
	final := e.WaitInstance(integrator, v1.ID, func(i webtest.InstanceBody) bool { return i.Status != "running" })
	if final.Output["outcome"] != "from-v1" || final.Workflow.Version != "1.0.0" {
		t.Fatalf("v1 instance finished with %+v", final)
	}
}

func TestIdempotentStartsAndBusinessKeys(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	author, integrator, officer := e.Token("author"), e.Token("integrator"), e.Token("officer")
	e.Must(201, "POST", "/api/v1/forms", author, webtest.ApprovalForm, nil)
	e.PublishYAML(author, webtest.ApprovalWorkflow("1.0.0", "x"))
	path := "/api/v1/workflows/border-force/seizure-approval/instances"
	start := func(token string, body any, key string) (*http.Response, string) {
		raw, _ := json.Marshal(body)
		return e.Do(nil, "POST", path, token, bytes.NewReader(raw), "Content-Type", "application/json", "Idempotency-Key", key)
	}
	resp, first := start(integrator, map[string]any{"input": map[string]any{"n": 1}}, "case-42")
	if resp.StatusCode != 201 {
		t.Fatalf("first: %d %s", resp.StatusCode, first)
	}
	resp, again := start(integrator, map[string]any{"input": map[string]any{"n": 1}}, "case-42")
	var a, b webtest.InstanceBody
	_ = json.Unmarshal([]byte(first), &a)
	_ = json.Unmarshal([]byte(again), &b)
	if resp.StatusCode != 201 || resp.Header.Get("Idempotent-Replayed") != "true" || a.ID != b.ID {
		t.Fatalf("retry: %d %s %s vs %s", resp.StatusCode, resp.Header.Get("Idempotent-Replayed"), a.ID, b.ID)
	}
	resp, body := start(integrator, map[string]any{"input": map[string]any{"n": 2}}, "case-42")
	if p := webtest.ProblemOf(t, resp, body, 422); p.Errors[0].Pointer != "/Idempotency-Key" {
		t.Fatalf("reused key %+v", p)
	}
	var listed struct{ Items []webtest.InstanceBody }
	e.Must(200, "GET", "/api/v1/instances?case="+a.BusinessKey, integrator, nil, &listed)
	if len(listed.Items) != 1 {
		t.Fatalf("one key started %d instances", len(listed.Items))
	}

	// A second instance joins the first one's case.
	var joined webtest.InstanceBody
	e.Must(201, "POST", path, integrator, map[string]any{"businessKey": a.BusinessKey}, &joined)
	if joined.BusinessKey != a.BusinessKey {
		t.Fatalf("joined %s, want %s", joined.BusinessKey, a.BusinessKey)
	}
	e.Must(200, "GET", "/api/v1/instances?case="+a.BusinessKey, integrator, nil, &listed)
	if len(listed.Items) != 2 {
		t.Fatalf("case has %d instances", len(listed.Items))
	}
	// A case the caller cannot see is not joined.
	resp, body = e.Send("POST", path, officer, map[string]any{"businessKey": a.BusinessKey})
	if p := webtest.ProblemOf(t, resp, body, 422); p.Errors[0].Pointer != "/businessKey" {
		t.Fatalf("joining a hidden case: %+v", p)
	}
	resp, body = e.Send("POST", path, integrator, `{"input": {"n": 1}, "nope": 1}`)
	webtest.ProblemOf(t, resp, body, 400)
	resp, body = e.Send("POST", "/api/v1/instances?status=finished", integrator, nil)
	webtest.ProblemOf(t, resp, body, 403) // draft runs are for authors
	resp, body = e.Send("GET", "/api/v1/instances?status=finished", integrator, nil)
	webtest.ProblemOf(t, resp, body, 400)
}

func TestDraftRunsAndCancel(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	author, officer, integrator := e.Token("author"), e.Token("officer"), e.Token("integrator")
	yaml := `document: {dsl: '1.0.0', namespace: kit, name: wait-for-it, version: '0.1.0'}
do:
  - hold: {listen: {to: {one: {with: {type: go}}}}}
  - done: {set: {got: '${ $workflow.input.n + 1 }'}}
`
	var d webtest.InstanceBody
	e.Must(201, "POST", "/api/v1/instances", author, map[string]any{"definition": yaml, "input": map[string]any{"n": 41}}, &d)
	if !d.Draft || !strings.HasPrefix(d.ID, "draft-") || d.BusinessKey != "" {
		t.Fatalf("draft %+v", d)
	}
	e.Must(202, "POST", "/api/v1/instances/"+d.ID+"/events", author, webtest.Event("go"), nil)
	done := e.WaitInstance(author, d.ID, func(i webtest.InstanceBody) bool { return i.Status != "running" })
	if done.Output["got"] != float64(42) {
		t.Fatalf("draft output %+v", done)
	}
	// Drafts reuse names and versions freely: the same one with other content.
	e.Must(201, "POST", "/api/v1/instances", author, map[string]any{"definition": strings.Replace(yaml, "+ 1", "+ 2", 1), "input": map[string]any{"n": 1}}, nil)
	resp, body := e.Send("POST", "/api/v1/instances", author, map[string]any{"definition": strings.Replace(yaml, "then", "", 1) + "  - bad: {set: {x: 1}, then: nowhere}\n"})
	if p := webtest.ProblemOf(t, resp, body, 422); p.Errors[0].Pointer != "/definition/do/2/bad/then" {
		t.Fatalf("draft problems %+v", p.Errors)
	}
	resp, body = e.Send("POST", "/api/v1/instances", officer, map[string]any{"definition": yaml})
	webtest.ProblemOf(t, resp, body, 403)

	// Cancel: the officer cannot see it; its starter cancels it.
	var c webtest.InstanceBody
	e.Must(201, "POST", "/api/v1/instances", author, map[string]any{"definition": yaml}, &c)
	e.Must(404, "POST", "/api/v1/instances/"+c.ID+"/cancel", officer, nil, nil)
	e.Must(404, "POST", "/api/v1/instances/"+c.ID+"/events", integrator, webtest.Event("go"), nil)
	e.Must(404, "POST", "/api/v1/instances/"+c.ID+"/events", integrator, `{"not": "an event"}`, nil) // not 422: nothing leaks
	e.Must(202, "POST", "/api/v1/instances/"+c.ID+"/cancel", author, nil, nil)
	cancelled := e.WaitInstance(author, c.ID, func(i webtest.InstanceBody) bool { return i.Status != "running" })
	if cancelled.Status != "cancelled" {
		t.Fatalf("cancelled %+v", cancelled)
	}
	resp, body = e.Send("POST", "/api/v1/instances/"+c.ID+"/cancel", author, nil)
	webtest.ProblemOf(t, resp, body, 409)
}

// TestStartFormStartsTheWorkflow: submitting a workflow's startForm starts
// it in the submission's case, with the submission as input.
func TestStartFormStartsTheWorkflow(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	author, officer := e.Token("author"), e.Token("officer")
	webtest.RegisterArrival(e, author)
	resp, body := e.PublishYAML(author, `document: {dsl: '1.0.0', namespace: border-force, name: arrival-follow-up, version: '1.0.0',
  metadata: {startForm: arrival-report}}
do:
  - note: {set: {port: '${ $input.submission.data.port }', by: '${ $input.submission.submittedBy }', key: '${ $input.submission.businessKey }'}}
`)
	if resp.StatusCode != 201 {
		t.Fatalf("publish: %d %s", resp.StatusCode, body)
	}
	var sub struct {
		ID, BusinessKey string
		Instances       []string
	}
	e.Must(201, "POST", "/api/v1/forms/arrival-report/submissions", officer, webtest.ValidArrival, &sub)
	if len(sub.Instances) != 1 {
		t.Fatalf("submission started %v", sub.Instances)
	}
	// "starting" until the outbox has handed it to Temporal, then "running".
	in := e.WaitInstance(officer, sub.Instances[0], func(i webtest.InstanceBody) bool { return i.Status != "starting" && i.Status != "running" })
	if in.Status != "completed" || in.BusinessKey != sub.BusinessKey || in.Output["port"] != "GBDVR" || in.Output["key"] != sub.BusinessKey || in.Output["by"] == "" {
		t.Fatalf("started instance %+v (submission %+v)", in, sub)
	}
}

// TestEscalationNotifies: a task past its escalation time rises in priority
// and its supervisor is told.
func TestEscalationNotifies(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	author, supervisor, officer := e.Token("author"), e.Token("supervisor"), e.Token("officer")
	e.Must(201, "POST", "/api/v1/forms", author, webtest.ApprovalForm, nil)
	var d webtest.InstanceBody
	// Published and started, not a draft run, whose work goes to its author alone.
	if resp, body := e.PublishYAML(author, `document: {dsl: '1.0.0', namespace: kit, name: escalate, version: '0.1.0'}
do:
  - approve:
      call: userTask
      with: {form: seizure-approval, title: Late approval, candidateGroups: [role:supervisor], priority: 4, escalation: {after: PT1S, to: [role:supervisor], priority: 1}}
`); resp.StatusCode != 201 {
		t.Fatalf("publish: %d %s", resp.StatusCode, body)
	}
	e.Must(201, "POST", "/api/v1/workflows/kit/escalate/instances", author, map[string]any{"input": map[string]any{}}, &d)
	deadline := time.Now().Add(30 * time.Second)
	var notes struct {
		Items []struct {
			ID, Title, Link string
			Read            bool
		}
	}
	for len(notes.Items) == 0 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		e.Must(200, "GET", "/api/v1/notifications?unread=true", supervisor, nil, &notes)
	}
	if len(notes.Items) != 1 || notes.Items[0].Title != "Overdue: Late approval" {
		t.Fatalf("notifications %+v", notes.Items)
	}
	task := e.WaitTask(supervisor, d.ID)
	if task.Priority != 1 {
		t.Fatalf("escalated task priority %d", task.Priority)
	}
	e.Must(400, "GET", "/api/v1/notifications?unread=maybe", supervisor, nil, nil)
	e.Must(404, "POST", "/api/v1/notifications/"+notes.Items[0].ID+"/read", officer, nil, nil)
	e.Must(204, "POST", "/api/v1/notifications/"+notes.Items[0].ID+"/read", supervisor, nil, nil)
	e.Must(200, "GET", "/api/v1/notifications?unread=true", supervisor, nil, &notes)
	if len(notes.Items) != 0 {
		t.Fatalf("read notification still unread: %+v", notes.Items)
	}
	e.Must(200, "GET", "/api/v1/notifications", supervisor, nil, &notes)
	if len(notes.Items) != 1 || !notes.Items[0].Read {
		t.Fatalf("all notifications %+v", notes.Items)
	}

	// A supervisor hands the task to someone; an officer may not.
	resp, body := e.Send("POST", "/api/v1/tasks/"+task.ID+"/reassign", officer, map[string]any{"to": "dev-officer"})
	webtest.ProblemOf(t, resp, body, 403)
	resp, body = e.Send("POST", "/api/v1/tasks/"+task.ID+"/reassign", supervisor, map[string]any{})
	webtest.ProblemOf(t, resp, body, 422)
	e.Do(nil, "GET", "/api/v1/me", e.Token("admin"), nil) // the admin has used COP, so the directory knows them
	var moved webtest.TaskBody
	e.Must(200, "POST", "/api/v1/tasks/"+task.ID+"/reassign", supervisor, map[string]any{"to": "dev-admin"}, &moved)
	if moved.ClaimedBy != "dev-admin" {
		t.Fatalf("reassigned %+v", moved)
	}
	// Cancelling the instance withdraws its open task from every list.
	e.Must(202, "POST", "/api/v1/instances/"+d.ID+"/cancel", author, nil, nil)
	e.WaitInstance(author, d.ID, func(i webtest.InstanceBody) bool { return i.Status == "cancelled" })
	var gone webtest.TaskBody
	e.Must(200, "GET", "/api/v1/tasks/"+task.ID, supervisor, nil, &gone)
	if gone.Status != "cancelled" {
		t.Fatalf("task of a cancelled instance: %+v", gone)
	}
	resp, body = e.Send("POST", "/api/v1/tasks/"+task.ID+"/claim", supervisor, nil)
	webtest.ProblemOf(t, resp, body, 409)
}

// TestStartChecksTheInputSchema: input the workflow's input.schema refuses
// is a 422 at its pointer, and nothing starts.
func TestStartChecksTheInputSchema(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	author, integrator := e.Token("author"), e.Token("integrator")
	resp, body := e.PublishYAML(author, `document: {dsl: '1.0.0', namespace: border-force, name: typed, version: '1.0.0'}
input:
  schema:
    format: json
    document: {type: object, required: [seizureId], properties: {seizureId: {type: string}, weightKg: {type: number, minimum: 0}}}
do:
  - echo: {set: {id: '${ .seizureId }'}}
`)
	if resp.StatusCode != 201 {
		t.Fatalf("publish: %d %s", resp.StatusCode, body)
	}
	resp, body = e.Send("POST", "/api/v1/workflows/border-force/typed/instances", integrator, map[string]any{"input": map[string]any{"weightKg": -1}})
	p := webtest.ProblemOf(t, resp, body, 422)
	pointers := map[string]bool{}
	for _, fe := range p.Errors {
		pointers[fe.Pointer] = true
	}
	if !pointers["/input"] || !pointers["/input/weightKg"] {
		t.Fatalf("input errors %+v", p.Errors)
	}
	var listed struct{ Items []webtest.InstanceBody }
	e.Must(200, "GET", "/api/v1/instances?name=typed", integrator, nil, &listed)
	if len(listed.Items) != 0 {
		t.Fatalf("a refused start left %d instances", len(listed.Items))
	}
	var in webtest.InstanceBody
	e.Must(201, "POST", "/api/v1/workflows/border-force/typed/instances", integrator, map[string]any{"input": map[string]any{"seizureId": "S1"}}, &in)
	done := e.WaitInstance(integrator, in.ID, func(i webtest.InstanceBody) bool { return i.Status != "running" })
	if done.Output["id"] != "S1" {
		t.Fatalf("typed instance %+v", done)
	}
}

// TestWorkflowResponsesMatchTheOpenAPIDocument checks each workflow,
// instance, task and notification answer against its documented schema.
func TestWorkflowResponsesMatchTheOpenAPIDocument(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	doc := openAPIDoc(t, e)
	author, integrator, supervisor, officer := e.Token("author"), e.Token("integrator"), e.Token("supervisor"), e.Token("officer")
	const pj, js = "application/problem+json", "application/json"
	check := responseChecker(t, doc)
	e.Must(201, "POST", "/api/v1/forms", author, webtest.ApprovalForm, nil)
	resp, body := e.PublishYAML(author, webtest.ApprovalWorkflow("1.0.0", "x"))
	check("/api/v1/workflows", "post", 201, js, resp, body)
	resp, body = e.PublishYAML(author, "do: [")
	check("/api/v1/workflows", "post", 422, pj, resp, body)
	resp, body = e.Send("GET", "/api/v1/workflows", officer, nil)
	check("/api/v1/workflows", "get", 200, js, resp, body)
	resp, body = e.Send("GET", "/api/v1/workflows/border-force/seizure-approval", officer, nil)
	check("/api/v1/workflows/{namespace}/{name}", "get", 200, js, resp, body)
	resp, body = e.Send("GET", "/api/v1/workflows/border-force/seizure-approval/versions", officer, nil)
	check("/api/v1/workflows/{namespace}/{name}/versions", "get", 200, js, resp, body)
	resp, body = e.Send("GET", "/api/v1/workflows/border-force/seizure-approval/versions/1.0.0", officer, nil)
	check("/api/v1/workflows/{namespace}/{name}/versions/{version}", "get", 200, js, resp, body)

	resp, body = e.Send("POST", "/api/v1/workflows/border-force/seizure-approval/instances", integrator, map[string]any{})
	check("/api/v1/workflows/{namespace}/{name}/instances", "post", 201, js, resp, body)
	var in webtest.InstanceBody
	_ = json.Unmarshal([]byte(body), &in)
	task := e.WaitTask(supervisor, in.ID)
	resp, body = e.Send("GET", "/api/v1/instances/"+in.ID, integrator, nil)
	check("/api/v1/instances/{id}", "get", 200, js, resp, body)
	resp, body = e.Send("GET", "/api/v1/instances", integrator, nil)
	check("/api/v1/instances", "get", 200, js, resp, body)
	resp, body = e.Send("GET", "/api/v1/tasks", supervisor, nil)
	check("/api/v1/tasks", "get", 200, js, resp, body)
	resp, body = e.Send("GET", "/api/v1/tasks/"+task.ID, supervisor, nil)
	check("/api/v1/tasks/{id}", "get", 200, js, resp, body)
	resp, body = e.Send("POST", "/api/v1/tasks/"+task.ID+"/claim", supervisor, nil)
	check("/api/v1/tasks/{id}/claim", "post", 200, js, resp, body)
	resp, body = e.Send("POST", "/api/v1/tasks/"+task.ID+"/complete", supervisor, map[string]any{"data": map[string]any{"approved": "no"}})
	check("/api/v1/tasks/{id}/complete", "post", 422, pj, resp, body)
	resp, body = e.Send("POST", "/api/v1/tasks/"+task.ID+"/complete", supervisor, map[string]any{"data": map[string]any{"approved": true}})
	check("/api/v1/tasks/{id}/complete", "post", 200, js, resp, body)
	resp, body = e.Send("POST", "/api/v1/instances/"+in.ID+"/events", integrator, webtest.Event("cop.test.closed"))
	check("/api/v1/instances/{id}/events", "post", 202, js, resp, body)
	e.WaitInstance(integrator, in.ID, func(i webtest.InstanceBody) bool { return i.Status == "completed" })
	resp, body = e.Send("GET", "/api/v1/instances/"+in.ID, integrator, nil)
	check("/api/v1/instances/{id}", "get", 200, js, resp, body)
	resp, body = e.Send("POST", "/api/v1/instances/"+in.ID+"/cancel", integrator, nil)
	check("/api/v1/instances/{id}/cancel", "post", 409, pj, resp, body)
	resp, body = e.Send("GET", "/api/v1/cases/"+in.BusinessKey, integrator, nil)
	check("/api/v1/cases/{businessKey}", "get", 200, js, resp, body)

	resp, body = e.Send("POST", "/api/v1/instances", author, map[string]any{"definition": "document: {dsl: '1.0.0', namespace: kit, name: n, version: '0.1.0'}\ndo:\n  - a: {call: notify, with: {to: [role:supervisor], title: Hello}}\n"})
	check("/api/v1/instances", "post", 201, js, resp, body)
	_ = json.Unmarshal([]byte(body), &in)
	e.WaitInstance(author, in.ID, func(i webtest.InstanceBody) bool { return i.Status == "completed" })
	resp, body = e.Send("GET", "/api/v1/notifications", supervisor, nil)
	check("/api/v1/notifications", "get", 200, js, resp, body)
	resp, body = e.Send("POST", "/api/v1/workflows/border-force/seizure-approval/versions/1.0.0/retire", author, nil)
	check("/api/v1/workflows/{namespace}/{name}/versions/{version}/retire", "post", 200, js, resp, body)
	resp, body = e.Send("POST", "/api/v1/workflows/border-force/seizure-approval/instances?version=1.0.0", integrator, map[string]any{})
	check("/api/v1/workflows/{namespace}/{name}/instances", "post", 410, pj, resp, body)
}
