package api_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"cop/platform/web/webtest"
)

func TestInstanceScenarios(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	author, integrator := e.Token("author"), e.Token("integrator")
	e.Must(201, "POST", "/api/v1/forms", author, webtest.ApprovalForm, nil)
	e.PublishYAML(author, webtest.ApprovalWorkflow("1.0.0", "recorded"))
	start := func() string {
		var in webtest.InstanceBody
		e.Must(201, "POST", "/api/v1/workflows/border-force/seizure-approval/instances", integrator, map[string]any{"input": map[string]any{}}, &in)
		return in.ID
	}
	waiting, cancelled := start(), start()
	draft := "document: {dsl: '1.0.0', namespace: kit, name: try, version: '0.1.0'}\ndo:\n  - note: {set: {ok: true}}\n"
	e.Scenarios(t, []webtest.Scenario{
		{Name: "an integrator starts one", As: "integrator", Method: "POST", Path: "/api/v1/workflows/border-force/seizure-approval/instances",
			Body: map[string]any{"input": map[string]any{}}, Status: 201, Want: []string{`"status":"running"`, `"businessKey":"SEIZ-`}},
		{Name: "input that is not JSON", As: "integrator", Method: "POST", Path: "/api/v1/workflows/border-force/seizure-approval/instances",
			Body: `{"input": `, Status: 400},
		{Name: "an unknown workflow", As: "integrator", Method: "POST", Path: "/api/v1/workflows/border-force/nope/instances", Body: "{}", Status: 404},
		{Name: "a case the caller cannot see", As: "integrator", Method: "POST", Path: "/api/v1/workflows/border-force/seizure-approval/instances",
			Body: map[string]any{"businessKey": "SEIZ-20000101-1"}, Status: 422, Pointers: []string{"/businessKey"}},
		{Name: "an author runs a draft", As: "author", Method: "POST", Path: "/api/v1/instances", Body: map[string]any{"definition": draft},
			Status: 201, Want: []string{`"draft":true`}},
		{Name: "an officer may not run drafts", As: "officer", Method: "POST", Path: "/api/v1/instances", Body: map[string]any{"definition": draft}, Status: 403},
		{Name: "a draft without a definition", As: "author", Method: "POST", Path: "/api/v1/instances", Body: "{}", Status: 422, Pointers: []string{"/definition"}},
		{Name: "its starter reads it", As: "integrator", Method: "GET", Path: "/api/v1/instances/" + waiting, Status: 200, Want: []string{`"id":"` + waiting}},
		{Name: "a reader the workflow names", As: "supervisor", Method: "GET", Path: "/api/v1/instances/" + waiting, Status: 200},
		{Name: "an officer is told it is not there", As: "officer", Method: "GET", Path: "/api/v1/instances/" + waiting, Status: 404},
		{Name: "the list of what one may see", As: "integrator", Method: "GET", Path: "/api/v1/instances?name=seizure-approval", Status: 200,
			Want: []string{waiting}},
		{Name: "a cursor COP did not make", As: "integrator", Method: "GET", Path: "/api/v1/instances?cursor=zz", Status: 400, Pointers: []string{"/cursor"}},
		{Name: "an event that is not a CloudEvent", As: "integrator", Method: "POST", Path: "/api/v1/instances/" + waiting + "/events",
			Body: `{"not": "an event"}`, Status: 422},
		{Name: "an event to one the caller cannot see", As: "officer", Method: "POST", Path: "/api/v1/instances/" + waiting + "/events",
			Body: webtest.Event("go"), Status: 404},
		{Name: "its starter cancels it", As: "integrator", Method: "POST", Path: "/api/v1/instances/" + cancelled + "/cancel", Status: 202},
		{Name: "an officer who cannot see it may not", As: "officer", Method: "POST", Path: "/api/v1/instances/" + waiting + "/cancel", Status: 404},
	})
	// A list leaves each instance's trace out (it does not read it: an
	// empty one would say the instance ran nothing); the instance has it.
	if list := e.Must(200, "GET", "/api/v1/instances?name=seizure-approval", integrator, nil, nil); strings.Contains(list, `"trace"`) {
		t.Errorf("the list shows a trace: %s", list)
	}
	if one := e.Must(200, "GET", "/api/v1/instances/"+waiting, integrator, nil, nil); !strings.Contains(one, `"trace":[`) {
		t.Errorf("the instance has no trace: %s", one)
	}
}

// A short workflow serves as an API: run-and-wait answers its output, its
// error as a problem, or where to read it back when it takes longer.
func TestRunAndWait(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	author := e.Token("author")
	for _, y := range []string{
		`document: {dsl: '1.0.0', namespace: kit, name: add, version: '1.0.0'}
input: {schema: {format: json, document: {type: object, required: [a, b], properties: {a: {type: integer}, b: {type: integer}}}}}
do:
  - sum: {set: {sum: '${ .a + .b }'}}
`,
		`document: {dsl: '1.0.0', namespace: kit, name: missing, version: '1.0.0'}
do:
  - fail: {raise: {error: {type: https://example.com/not-found, status: 404, title: No such target, detail: target T-1 is not known}}}
`,
		`document: {dsl: '1.0.0', namespace: kit, name: upstream, version: '1.0.0'}
do:
  - fail: {raise: {error: {type: https://serverlessworkflow.io/spec/1.0.0/errors/authentication, status: 401, title: The casework system refused COP}}}
`,
		`document: {dsl: '1.0.0', namespace: kit, name: slow, version: '1.0.0'}
do:
  - pause: {wait: PT30S}
`} {
		if resp, body := e.PublishYAML(author, y); resp.StatusCode != 201 {
			t.Fatalf("publish: %d %s", resp.StatusCode, body)
		}
	}
	officer := e.Token("officer")
	resp, body := e.Send("POST", "/api/v1/workflows/kit/add/run?wait=30s", officer, map[string]any{"input": map[string]any{"a": 2, "b": 3}})
	if resp.StatusCode != 200 || strings.TrimSpace(body) != `{"sum":5}` || !strings.HasPrefix(resp.Header.Get("Content-Location"), "/api/v1/instances/") {
		t.Fatalf("run add: %d %s (%v)", resp.StatusCode, body, resp.Header)
	}
	resp, body = e.Send("POST", "/api/v1/workflows/kit/missing/run", officer, map[string]any{})
	if p := webtest.ProblemOf(t, resp, body, 404); p.Type != "https://example.com/not-found" || p.Title != "No such target" ||
		p.Detail != "target T-1 is not known" || !strings.HasPrefix(p.Instance, "/api/v1/instances/") {
		t.Errorf("the workflow's error: %+v", p)
	}
	// Another service's refusal is not the caller's: 502, not 401.
	resp, body = e.Send("POST", "/api/v1/workflows/kit/upstream/run", officer, map[string]any{})
	if p := webtest.ProblemOf(t, resp, body, 502); p.Title != "The casework system refused COP" || !strings.Contains(p.Detail, "had status 401") {
		t.Errorf("another service's refusal: %+v", p)
	}
	resp, body = e.Send("POST", "/api/v1/workflows/kit/slow/run?wait=300ms", officer, map[string]any{})
	var in webtest.InstanceBody
	_ = json.Unmarshal([]byte(body), &in)
	if resp.StatusCode != 202 || in.Status != "running" || resp.Header.Get("Location") != "/api/v1/instances/"+in.ID {
		t.Errorf("still running: %d %s", resp.StatusCode, body)
	}
	e.Scenarios(t, []webtest.Scenario{
		{Name: "a wait beyond the limit", As: "officer", Method: "POST", Path: "/api/v1/workflows/kit/add/run?wait=2m", Body: map[string]any{}, Status: 400,
			Pointers: []string{"/wait"}, Want: []string{"at most 1m0s"}},
		{Name: "a wait that is not a duration", As: "officer", Method: "POST", Path: "/api/v1/workflows/kit/add/run?wait=soon", Body: map[string]any{}, Status: 400,
			Pointers: []string{"/wait"}},
		{Name: "input that does not fit", As: "officer", Method: "POST", Path: "/api/v1/workflows/kit/add/run", Body: map[string]any{"input": map[string]any{"a": "two"}}, Status: 422},
		{Name: "no such workflow", As: "officer", Method: "POST", Path: "/api/v1/workflows/kit/nothing/run", Body: map[string]any{}, Status: 404},
		{Name: "nobody signed in", Method: "POST", Path: "/api/v1/workflows/kit/add/run", Body: map[string]any{}, Status: 401},
	})
}

// A listen that correlates takes only events carrying the value it
// expects (from the workflow's data) or, without expect, the value the
// first event it took carried; others wait in the buffer.
func TestListenCorrelates(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	author, officer := e.Token("author"), e.Token("officer")
	for _, y := range []string{`document: {dsl: '1.0.0', namespace: kit, name: outcome-wait, version: '1.0.0'}
input: {schema: {format: json, document: {type: object, required: [target], properties: {target: {type: string}}}}}
do:
  - wait:
      listen:
        to:
          one:
            with: {type: gov.uk.border.target.outcome}
            correlate:
              target: {from: '${ .data.targetRef }', expect: '${ .target }'}
`, `document: {dsl: '1.0.0', namespace: kit, name: pinned, version: '1.0.0'}
do:
  - both:
      listen:
        to:
          all:
            - {with: {type: seized}, correlate: {case: {from: .data.caseRef, expect: X}}}
            - {with: {type: searched}, correlate: {case: {from: .data.caseRef}}}
`, `document: {dsl: '1.0.0', namespace: kit, name: pair, version: '1.0.0'}
do:
  - both:
      listen:
        to:
          all:
            - {with: {type: seized}, correlate: {case: {from: .data.caseRef}}}
            - {with: {type: searched}, correlate: {case: {from: .data.caseRef}}}
`} {
		if resp, body := e.PublishYAML(author, y); resp.StatusCode != 201 {
			t.Fatalf("publish: %d %s", resp.StatusCode, body)
		}
	}
	send := func(id, typ, data string) {
		t.Helper()
		e.Must(202, "POST", "/api/v1/instances/"+id+"/events", officer,
			`{"specversion": "1.0", "id": "`+typ+strconv.FormatInt(time.Now().UnixNano(), 10)+`", "source": "/analytics", "type": "`+typ+`", "data": `+data+`}`, nil)
	}
	type ended struct {
		Status string
		Output any
	}
	read := func(id string) ended {
		t.Helper()
		var in ended
		e.Must(200, "GET", "/api/v1/instances/"+id, officer, nil, &in)
		return in
	}
	still := func(id string) {
		t.Helper()
		time.Sleep(500 * time.Millisecond)
		if in := read(id); in.Status != "running" {
			t.Fatalf("instance %s: %s %v, want still waiting", id, in.Status, in.Output)
		}
	}
	waitEnd := func(id string) ended {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if in := read(id); in.Status != "running" {
				return in
			}
		}
		t.Fatalf("instance %s never ended", id)
		return ended{}
	}

	var in webtest.InstanceBody
	e.Must(201, "POST", "/api/v1/workflows/kit/outcome-wait/instances", officer, map[string]any{"input": map[string]any{"target": "TGT-1"}}, &in)
	e.WaitInstance(officer, in.ID, func(i webtest.InstanceBody) bool { return i.Status == "running" })
	send(in.ID, "gov.uk.border.target.outcome", `{"targetRef": "TGT-2", "outcome": "no trace"}`)
	still(in.ID)
	send(in.ID, "gov.uk.border.target.outcome", `{"targetRef": "TGT-1", "outcome": "seized"}`)
	done := waitEnd(in.ID)
	if out, _ := json.Marshal(done.Output); done.Status != "completed" || !strings.Contains(string(out), `"targetRef":"TGT-1"`) || strings.Contains(string(out), "TGT-2") {
		t.Errorf("correlated by expect: %s %s", done.Status, out)
	}

	e.Must(201, "POST", "/api/v1/workflows/kit/pair/instances", officer, map[string]any{"input": map[string]any{}}, &in)
	e.WaitInstance(officer, in.ID, func(i webtest.InstanceBody) bool { return i.Status == "running" })
	send(in.ID, "seized", `{"caseRef": "X"}`)
	send(in.ID, "searched", `{"caseRef": "Y"}`)
	still(in.ID)
	send(in.ID, "searched", `{"caseRef": "X"}`)
	done = waitEnd(in.ID)
	if out, _ := json.Marshal(done.Output); done.Status != "completed" || strings.Count(string(out), `"caseRef":"X"`) != 2 || strings.Contains(string(out), `"Y"`) {
		t.Errorf("correlated by the first value: %s %s", done.Status, out)
	}

	// An expect pins the value for the filters sharing its name too.
	e.Must(201, "POST", "/api/v1/workflows/kit/pinned/instances", officer, map[string]any{"input": map[string]any{}}, &in)
	e.WaitInstance(officer, in.ID, func(i webtest.InstanceBody) bool { return i.Status == "running" })
	send(in.ID, "searched", `{"caseRef": "Y"}`)
	send(in.ID, "seized", `{"caseRef": "X"}`)
	still(in.ID)
	send(in.ID, "searched", `{"caseRef": "X"}`)
	if done = waitEnd(in.ID); done.Status != "completed" {
		t.Errorf("pinned by expect: %+v", done)
	}
}
