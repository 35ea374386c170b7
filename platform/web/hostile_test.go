package web_test

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cop/platform/web/webtest"
)

// runaways are definitions a careless or hostile author could draft-run:
// each loops without ever really waiting.
var runaways = map[string]string{
	"zero-wait-loop": `document: {dsl: '1.0.0', namespace: hostile, name: zero-wait-loop, version: '0.1.0'}
do:
  - tick: {wait: PT0S, then: tock}
  - tock: {set: {n: 1}, then: tick}
`,
	"zero-delay-retry": `document: {dsl: '1.0.0', namespace: hostile, name: zero-delay-retry, version: '0.1.0'}
do:
  - again:
      try:
        - fail: {raise: {error: {type: https://example.com/boom, status: 500}}}
      catch:
        retry: {delay: '${ "PT0S" }'}
`,
	"timeout-loop": `document: {dsl: '1.0.0', namespace: hostile, name: timeout-loop, version: '0.1.0'}
do:
  - spin: {set: {n: 1}, timeout: {after: PT1M}, then: spin}
`,
	"heavy-loop": `document: {dsl: '1.0.0', namespace: hostile, name: heavy-loop, version: '0.1.0'}
do:
  - churn: {set: {n: '${ [range(100000)] | length }'}, then: churn}
`,
	"string-bomb": `document: {dsl: '1.0.0', namespace: hostile, name: string-bomb, version: '0.1.0'}
do:
  - grow: {set: {s: '${ reduce range(40) as $i ("x"; . + .) }'}}
`,
}

// TestHostileDraftsFaultWhileOthersComplete: an author draft-runs every
// runaway at once; each faults with a clear error within seconds, while an
// ordinary instance started beside them completes and /healthz keeps
// answering. A retry that could never stop is refused at upload.
func TestHostileDraftsFaultWhileOthersComplete(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	author := e.Token("author")

	var stop atomic.Bool
	var slowest atomic.Int64
	var health sync.WaitGroup
	health.Add(1)
	go func() {
		defer health.Done()
		c := &http.Client{Timeout: 5 * time.Second}
		for !stop.Load() {
			start := time.Now()
			resp, err := c.Get(e.Base + "/healthz")
			took := time.Since(start)
			if err != nil || resp.StatusCode != 200 {
				slowest.Store(int64(time.Hour))
				return
			}
			resp.Body.Close()
			if int64(took) > slowest.Load() {
				slowest.Store(int64(took))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()

	ids := map[string]string{}
	for name, def := range runaways {
		var in webtest.InstanceBody
		e.Must(201, "POST", "/api/v1/instances", author, map[string]any{"definition": def}, &in)
		ids[name] = in.ID
	}
	ordinary := `document: {dsl: '1.0.0', namespace: hostile, name: ordinary, version: '0.1.0'}
do:
  - pause: {wait: PT0.2S}
  - answer: {set: {ok: true}}
`
	var ok webtest.InstanceBody
	e.Must(201, "POST", "/api/v1/instances", author, map[string]any{"definition": ordinary}, &ok)
	if done := e.WaitInstance(author, ok.ID, func(i webtest.InstanceBody) bool { return i.Status != "running" }); done.Status != "completed" || done.Output["ok"] != true {
		t.Fatalf("the ordinary instance beside the runaways: %+v", done)
	}
	for name, id := range ids {
		in := e.WaitInstance(author, id, func(i webtest.InstanceBody) bool { return i.Status != "running" })
		if in.Status != "faulted" || in.Error == nil {
			t.Errorf("%s: %+v", name, in)
			continue
		}
		want := "/runtime"
		if name == "string-bomb" {
			want = "/expression"
		}
		if !strings.HasSuffix(in.Error.Type, want) || in.Error.Detail == "" {
			t.Errorf("%s faulted with %+v", name, in.Error)
		}
	}
	stop.Store(true)
	health.Wait()
	if d := time.Duration(slowest.Load()); d > 2*time.Second {
		t.Errorf("/healthz took %v to answer while the runaways ran", d)
	}

	forever := `document: {dsl: '1.0.0', namespace: hostile, name: retry-forever, version: '0.1.0'}
do:
  - again:
      try:
        - fail: {raise: {error: {type: https://example.com/boom, status: 500}}}
      catch:
        retry: {limit: {duration: PT1M}}
`
	resp, body := e.PublishYAML(author, forever)
	if p := webtest.ProblemOf(t, resp, body, 422); len(p.Errors) != 1 || p.Errors[0].Pointer != "/do/0/again/catch/retry" || !strings.Contains(p.Errors[0].Message, "no delay and no attempt limit") {
		t.Fatalf("a retry that never stops: %+v", p.Errors)
	}
}

// TestDataPostgreSQLRefusesFaultsAtOnce: a NUL character, which jsonb and
// text refuse, faults the instance with a clear error instead of a
// platform activity retried for ever; in a task's answers it is a 422.
func TestDataPostgreSQLRefusesFaultsAtOnce(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	author, supervisor := e.Token("author"), e.Token("supervisor")
	e.Send("POST", "/api/v1/forms", author, webtest.ApprovalForm)
	var in webtest.InstanceBody
	e.Must(201, "POST", "/api/v1/instances", author, map[string]any{"definition": `document: {dsl: '1.0.0', namespace: hostile, name: nul, version: '0.1.0'}
do:
  - prep: {set: {note: '${ "a" + ([0] | implode) + "b" }'}}
  - ask: {call: userTask, with: {form: seizure-approval, candidateGroups: [role:supervisor]}}
`}, &in)
	got := e.WaitInstance(author, in.ID, func(i webtest.InstanceBody) bool { return i.Status != "running" })
	if got.Status != "faulted" || got.Error == nil || !strings.Contains(got.Error.Detail, "PostgreSQL refuses the task") || !strings.HasSuffix(got.Error.Type, "/validation") {
		t.Fatalf("%+v %+v", got, got.Error)
	}

	_, task := e.StartOneTask("nul-answers", "[role:supervisor]", supervisor)
	e.Must(200, "POST", "/api/v1/tasks/"+task.ID+"/claim", supervisor, nil, nil)
	resp, body := e.Send("POST", "/api/v1/tasks/"+task.ID+"/complete", supervisor, `{"data": {"approved": true, "comments": "a\u0000b"}}`)
	if p := webtest.ProblemOf(t, resp, body, 422); !strings.Contains(p.Detail, "U+0000") || len(p.Errors) != 1 || p.Errors[0].Pointer != "/data/comments" {
		t.Fatalf("answers with a NUL: %+v", p)
	}
	// The task is still open and can be completed with answers that fit.
	e.Must(200, "POST", "/api/v1/tasks/"+task.ID+"/complete", supervisor, map[string]any{"data": map[string]any{"approved": true}}, nil)
}
