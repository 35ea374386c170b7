package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"cop/platform/web/webtest"
)

func TestInboundEventScenarios(t *testing.T) {
	e := webtest.New(t)
	ce := []string{"Content-Type", "application/cloudevents+json"}
	batch := []string{"Content-Type", "application/cloudevents-batch+json"}
	binary := func(id string) []string {
		return []string{"Content-Type", "application/json", "ce-specversion", "1.0", "ce-id", id, "ce-source", "/analytics", "ce-type", "gov.uk.border.target.raised"}
	}
	e.Scenarios(t, []webtest.Scenario{
		{Name: "one event, structured", As: "integrator", Method: "POST", Path: "/api/v1/events", Header: ce, Status: 202,
			Body: `{"specversion": "1.0", "id": "t-1", "source": "/analytics", "type": "gov.uk.border.target.raised", "data": {"targetRef": "TGT-1"}}`,
			Want: []string{`"accepted":1`, `"duplicates":0`, `"delivered":0`}},
		{Name: "the same again is a duplicate", As: "integrator", Method: "POST", Path: "/api/v1/events", Header: ce, Status: 202,
			Body: `{"specversion": "1.0", "id": "t-1", "source": "/analytics", "type": "gov.uk.border.target.raised", "data": {"targetRef": "TGT-1"}}`,
			Want: []string{`"accepted":0`, `"duplicates":1`}},
		{Name: "another sender's same source and id is theirs", As: "admin", Method: "POST", Path: "/api/v1/events", Header: ce, Status: 202,
			Body: `{"specversion": "1.0", "id": "t-1", "source": "/analytics", "type": "gov.uk.border.target.raised"}`,
			Want: []string{`"accepted":1`, `"duplicates":0`}},
		{Name: "binary mode", As: "integrator", Method: "POST", Path: "/api/v1/events", Header: binary("t-2"), Status: 202,
			Body: `{"targetRef": "TGT-2"}`, Want: []string{`"accepted":1`}},
		{Name: "a batch, one a duplicate within it", As: "integrator", Method: "POST", Path: "/api/v1/events", Header: batch, Status: 202,
			Body: `[{"specversion": "1.0", "id": "t-3", "source": "/analytics", "type": "t"}, {"specversion": "1.0", "id": "t-4", "source": "/analytics", "type": "t"},
				{"specversion": "1.0", "id": "t-3", "source": "/analytics", "type": "t"}]`,
			Want: []string{`"accepted":2`, `"duplicates":1`}},
		{Name: "no id", As: "integrator", Method: "POST", Path: "/api/v1/events", Header: ce, Status: 400, Pointers: []string{"/id"},
			Body: `{"specversion": "1.0", "source": "/analytics", "type": "t"}`, Want: []string{"id: MUST be a non-empty string"}},
		{Name: "no id, source or type", As: "integrator", Method: "POST", Path: "/api/v1/events", Header: ce, Status: 400,
			Pointers: []string{"/id", "/source", "/type"}, Body: `{"specversion": "1.0"}`},
		{Name: "a wrong specversion", As: "integrator", Method: "POST", Path: "/api/v1/events", Header: ce, Status: 400, Pointers: []string{"/specversion"},
			Body: `{"specversion": "0.9", "id": "x", "source": "/analytics", "type": "t"}`},
		{Name: "binary mode without ce-id", As: "integrator", Method: "POST", Path: "/api/v1/events", Status: 400, Pointers: []string{"/id"},
			Header: []string{"Content-Type", "application/json", "ce-specversion", "1.0", "ce-source", "/analytics", "ce-type", "t"}, Body: `{}`},
		{Name: "binary mode whose data is not JSON", As: "integrator", Method: "POST", Path: "/api/v1/events", Header: binary("t-9"), Status: 400,
			Pointers: []string{"/data"}, Body: `targetRef=TGT-9`},
		{Name: "plain JSON without ce- headers", As: "integrator", Method: "POST", Path: "/api/v1/events", Status: 400, Body: `{"id": "x"}`,
			Want: []string{"binary mode"}},
		{Name: "a batch that is not an array", As: "integrator", Method: "POST", Path: "/api/v1/events", Header: batch, Status: 400, Pointers: []string{""},
			Body: `{"specversion": "1.0", "id": "x", "source": "/analytics", "type": "t"}`, Want: []string{"JSON array"}},
		{Name: "a bad event in a batch: nothing kept", As: "integrator", Method: "POST", Path: "/api/v1/events", Header: batch, Status: 400,
			Pointers: []string{"/1/id"}, Body: `[{"specversion": "1.0", "id": "t-5", "source": "/analytics", "type": "t"}, {"specversion": "1.0", "source": "/analytics", "type": "t"}]`},
		{Name: "data that is not JSON for a JSON datacontenttype", As: "integrator", Method: "POST", Path: "/api/v1/events", Header: ce, Status: 400,
			Pointers: []string{"/datacontenttype"}, Body: `{"specversion": "1.0", "id": "x", "source": "/analytics", "type": "t", "datacontenttype": "text/plain", "data": "hello"}`},
		{Name: "an oversized event", As: "integrator", Method: "POST", Path: "/api/v1/events", Header: ce, Status: 400, Pointers: []string{"/data"},
			Body: `{"specversion": "1.0", "id": "big", "source": "/analytics", "type": "t", "data": "` + strings.Repeat("x", 300<<10) + `"}`},
		{Name: "another specversion", As: "integrator", Method: "POST", Path: "/api/v1/events", Header: ce, Status: 400, Pointers: []string{"/specversion"},
			Body: `{"specversion": "0.3", "id": "old", "source": "/analytics", "type": "t"}`, Want: []string{"COP takes CloudEvents 1.0"}},
		{Name: "data holding a NUL", As: "integrator", Method: "POST", Path: "/api/v1/events", Header: ce, Status: 400, Pointers: []string{"/data"},
			Body: `{"specversion": "1.0", "id": "nul", "source": "/analytics", "type": "t", "data": {"note": "a\u0000b"}}`},
		{Name: "an officer may not send events", As: "officer", Method: "POST", Path: "/api/v1/events", Header: ce, Status: 403,
			Body: `{"specversion": "1.0", "id": "o-1", "source": "/analytics", "type": "t"}`},
		{Name: "another media type", As: "integrator", Method: "POST", Path: "/api/v1/events", Header: []string{"Content-Type", "text/plain"}, Status: 415, Body: `x`},
		{Name: "nobody signed in", Method: "POST", Path: "/api/v1/events", Header: ce, Status: 401,
			Body: `{"specversion": "1.0", "id": "t-6", "source": "/analytics", "type": "t"}`},
	})
	var kept int
	if err := e.Pool.QueryRow(context.Background(), `SELECT count(*) FROM inbound_events WHERE id = 't-5'`).Scan(&kept); err != nil || kept != 0 {
		t.Errorf("a refused batch kept %d of its events (%v)", kept, err)
	}
	var data string
	if err := e.Pool.QueryRow(context.Background(), `SELECT data::text FROM inbound_events WHERE id = 't-2' AND sender = 'dev-integrator'`).Scan(&data); err != nil ||
		data != `{"targetRef": "TGT-2"}` {
		t.Errorf("the binary event's data: %q (%v)", data, err)
	}
}

// The same event sent five times at once is kept once.
func TestTheSameEventAtOnceIsKeptOnce(t *testing.T) {
	e := webtest.New(t)
	tok := e.Token("integrator")
	var reqs []*http.Request
	for range 5 {
		reqs = append(reqs, e.Request("POST", "/api/v1/events", tok, map[string]any{"specversion": "1.0", "id": "race-1", "source": "/analytics", "type": "t"},
			"Content-Type", "application/cloudevents+json"))
	}
	accepted, duplicates := 0, 0
	for _, r := range e.Race(reqs...) {
		var res struct{ Accepted, Duplicates int }
		if r.Status != 202 || json.Unmarshal([]byte(r.Body), &res) != nil {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		accepted += res.Accepted
		duplicates += res.Duplicates
	}
	if accepted != 1 || duplicates != 4 {
		t.Errorf("accepted %d, duplicates %d; want 1 and 4", accepted, duplicates)
	}
}

// Events sent to COP find the instances waiting for them by correlation,
// as an analytics system would send them: by target reference, not by
// instance id; one sent before its instance listens waits for it.
func TestEventsFindWaitingInstances(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	author, officer, integrator, admin := e.Token("author"), e.Token("officer"), e.Token("integrator"), e.Token("admin")
	const listen = `
input: {schema: {format: json, document: {type: object, required: [target], properties: {target: {type: string}}}}}
do:
  - outcome:
      listen:
        to:
          one:
            with: {type: gov.uk.border.target.outcome}
            correlate:
              target: {from: .data.targetRef, expect: '${ .target }'}
`
	for _, y := range []string{
		`document: {dsl: '1.0.0', namespace: kit, name: target-outcome, version: '1.0.0', metadata: {access: {start: [role:officer], read: [role:officer], events: [team:analytics]}}}` + listen,
		`document: {dsl: '1.0.0', namespace: kit, name: closed-outcome, version: '1.0.0', metadata: {access: {start: [role:officer], read: [role:officer]}}}` + listen,
	} {
		if resp, body := e.PublishYAML(author, y); resp.StatusCode != 201 {
			t.Fatalf("publish: %d %s", resp.StatusCode, body)
		}
	}
	n := 0
	send := func(token, target string, binary bool) inboundResult {
		t.Helper()
		n++
		id := fmt.Sprintf("outcome-%d", n)
		var resp *http.Response
		var body string
		if binary {
			resp, body = e.Do(nil, "POST", "/api/v1/events", token, strings.NewReader(`{"targetRef": "`+target+`", "outcome": "seized"}`),
				"Content-Type", "application/json", "ce-specversion", "1.0", "ce-id", id, "ce-source", "/analytics", "ce-type", "gov.uk.border.target.outcome")
		} else {
			resp, body = e.Do(nil, "POST", "/api/v1/events", token, strings.NewReader(`{"specversion": "1.0", "id": "`+id+`", "source": "/analytics",
				"type": "gov.uk.border.target.outcome", "data": {"targetRef": "`+target+`", "outcome": "no trace"}}`), "Content-Type", "application/cloudevents+json")
		}
		var r inboundResult
		if resp.StatusCode != 202 || json.Unmarshal([]byte(body), &r) != nil {
			t.Fatalf("send: %d %s", resp.StatusCode, body)
		}
		return r
	}
	start := func(name, target string) string {
		t.Helper()
		var in webtest.InstanceBody
		e.Must(201, "POST", "/api/v1/workflows/kit/"+name+"/instances", officer, map[string]any{"input": map[string]any{"target": target}}, &in)
		return in.ID
	}
	listening := func(want int) { t.Helper(); waitListens(t, e, "NOT done", want) }
	type instance struct {
		Status string
		Output any
	}
	read := func(id string) instance {
		t.Helper()
		var in instance
		e.Must(200, "GET", "/api/v1/instances/"+id, officer, nil, &in)
		return in
	}
	completed := func(id, outcome string) {
		t.Helper()
		in := read(id)
		for deadline := time.Now().Add(30 * time.Second); (in.Status == "running" || in.Status == "starting") && time.Now().Before(deadline); in = read(id) {
			time.Sleep(50 * time.Millisecond)
		}
		if out, _ := json.Marshal(in.Output); in.Status != "completed" || !strings.Contains(string(out), outcome) {
			t.Errorf("instance %s: %s %s, want completed with %s", id, in.Status, out, outcome)
		}
	}
	stillWaiting := func(ids ...string) {
		t.Helper()
		time.Sleep(300 * time.Millisecond)
		for _, id := range ids {
			if in := read(id); in.Status != "running" {
				t.Errorf("instance %s is %s, want still waiting", id, in.Status)
			}
		}
	}

	// Sent before its instance listens: kept, then taken when it does.
	if r := send(integrator, "TGT-D", false); r.Accepted != 1 || r.Delivered != 0 {
		t.Errorf("an event no one waits for: %+v", r)
	}
	a, b, c, d := start("target-outcome", "TGT-A"), start("target-outcome", "TGT-B"), start("target-outcome", "TGT-B"), start("target-outcome", "TGT-D")
	completed(d, `"targetRef":"TGT-D"`)
	listening(3)
	// Binary mode, to the one instance waiting for TGT-A.
	if r := send(integrator, "TGT-A", true); r.Delivered != 1 {
		t.Errorf("an event for one waiting instance: %+v", r)
	}
	completed(a, `"targetRef":"TGT-A"`)
	// Nobody waits for TGT-Z: kept, delivered to no one.
	if r := send(integrator, "TGT-Z", false); r.Delivered != 0 {
		t.Errorf("an event for no one: %+v", r)
	}
	stillWaiting(b, c)
	// Every waiting instance whose correlation matches gets it.
	if r := send(integrator, "TGT-B", false); r.Delivered != 2 {
		t.Errorf("an event two instances wait for: %+v", r)
	}
	completed(b, `"targetRef":"TGT-B"`)
	completed(c, `"targetRef":"TGT-B"`)

	// A workflow without access.events is driven by admins alone.
	closed := start("closed-outcome", "TGT-E")
	listening(1)
	if r := send(integrator, "TGT-E", false); r.Delivered != 0 {
		t.Errorf("a sender the workflow does not name reached it: %+v", r)
	}
	stillWaiting(closed)
	if r := send(admin, "TGT-E", false); r.Delivered != 1 {
		t.Errorf("an admin's event: %+v", r)
	}
	completed(closed, `"targetRef":"TGT-E"`)

	// A new version naming the sender lets it reach the instances
	// already waiting.
	closed = start("closed-outcome", "TGT-E2")
	listening(1)
	if r := send(integrator, "TGT-E2", false); r.Delivered != 0 {
		t.Errorf("a sender the workflow does not name reached it: %+v", r)
	}
	if resp, body := e.PublishYAML(author, `document: {dsl: '1.0.0', namespace: kit, name: closed-outcome, version: '1.0.1', metadata: {access: {start: [role:officer], read: [role:officer], events: [team:analytics]}}}`+listen); resp.StatusCode != 201 {
		t.Fatalf("publish: %d %s", resp.StatusCode, body)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var drivers []string
		if err := e.Pool.QueryRow(context.Background(), `SELECT drivers FROM listens WHERE instance = $1`, closed).Scan(&drivers); err != nil {
			t.Fatal(err)
		}
		if len(drivers) == 1 && drivers[0] == "team:analytics" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the waiting listen never took the new version's senders: %v", drivers)
		}
	}
	if r := send(integrator, "TGT-E2", true); r.Delivered != 1 {
		t.Errorf("the sender the new version names: %+v", r)
	}
	completed(closed, `"targetRef":"TGT-E2"`)

	// One listen activation takes one event; the second waits for the
	// next listen, and is not offered again once taken.
	f := start("target-outcome", "TGT-F")
	listening(1)
	if r1, r2 := send(integrator, "TGT-F", false), send(integrator, "TGT-F", true); r1.Delivered != 1 || r2.Delivered != 0 {
		t.Errorf("two events for one listen: %+v then %+v", r1, r2)
	}
	completed(f, `"outcome":"no trace"`)
	g := start("target-outcome", "TGT-F")
	completed(g, `"outcome":"seized"`)
	h := start("target-outcome", "TGT-F")
	listening(1)
	stillWaiting(h)

	// A request that died after keeping its event, before routing it: the
	// router routes it.
	if _, err := e.Pool.Exec(context.Background(), `INSERT INTO inbound_events (sender, source, id, type, data, expires_at, sender_access, received_at)
		VALUES ('dev-integrator', '/analytics', 'orphan', 'gov.uk.border.target.outcome', '{"targetRef": "TGT-F", "outcome": "orphaned"}',
			now() + interval '1 hour', '{role:integrator,team:analytics}', now() - interval '1 minute')`); err != nil {
		t.Fatal(err)
	}
	completed(h, `"outcome":"orphaned"`)
	// Events sent while their instances begin to listen, all at once:
	// each reaches its instance, whichever comes first.
	var ids []string
	var reqs []*http.Request
	for i := range 8 {
		target := fmt.Sprintf("TGT-R%d", i)
		ids = append(ids, start("target-outcome", target))
		reqs = append(reqs, e.Request("POST", "/api/v1/events", integrator, map[string]any{"specversion": "1.0", "id": "race-" + target,
			"source": "/analytics", "type": "gov.uk.border.target.outcome", "data": map[string]any{"targetRef": target, "outcome": "raced"}},
			"Content-Type", "application/cloudevents+json"))
	}
	for _, r := range e.Race(reqs...) {
		if r.Status != 202 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	}
	for _, id := range ids {
		completed(id, `"outcome":"raced"`)
	}
	var left int
	if err := e.Pool.QueryRow(context.Background(), `SELECT count(*) FROM listens`).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d listens left after every instance ended (%v)", left, err)
	}
}

type inboundResult struct{ Accepted, Duplicates, Delivered int }

// waitListens waits until want recorded listens meet the condition where.
func waitListens(t *testing.T, e *webtest.Env, where string, want int) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var got int
		if err := e.Pool.QueryRow(context.Background(), `SELECT count(*) FROM listens WHERE `+where).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d listens (%s), want %d", got, where, want)
		}
	}
}

// An event starts an instance of a workflow whose schedule.on takes it;
// a later event with the same correlation values reaches that instance
// instead of starting another, even when two arrive at once.
func TestEventsStartInstances(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	author, integrator, admin := e.Token("author"), e.Token("integrator"), e.Token("admin")
	const y = `document: {dsl: '1.0.0', namespace: kit, name: target-case, version: '1.0.0', metadata: {casePrefix: TGT, access: {read: [role:integrator], events: [team:analytics]}}}
schedule:
  on:
    one:
      with: {type: gov.uk.border.target.raised}
      correlate:
        target: {from: .data.targetRef}
do:
  - more:
      listen:
        to:
          one:
            with: {type: gov.uk.border.target.raised}
            correlate:
              target: {from: .data.targetRef, expect: '${ .event.data.targetRef }'}
`
	if resp, body := e.PublishYAML(author, y); resp.StatusCode != 201 {
		t.Fatalf("publish: %d %s", resp.StatusCode, body)
	}
	n := 0
	event := func(target, subject string) *http.Request {
		n++
		ev := map[string]any{"specversion": "1.0", "id": fmt.Sprintf("raised-%d", n), "source": "/analytics", "type": "gov.uk.border.target.raised",
			"data": map[string]any{"targetRef": target, "n": n}}
		if subject != "" {
			ev["subject"] = subject
		}
		return e.Request("POST", "/api/v1/events", integrator, ev, "Content-Type", "application/cloudevents+json")
	}
	type result struct {
		Delivered int
		Started   []string
	}
	send := func(r *http.Request) result {
		t.Helper()
		got := e.Race(r)[0]
		var res result
		if got.Status != 202 || json.Unmarshal([]byte(got.Body), &res) != nil {
			t.Fatalf("send: %d %s", got.Status, got.Body)
		}
		return res
	}
	type instance struct {
		Status, BusinessKey string
		Input, Output       any
	}
	read := func(id string) instance {
		var in instance
		e.Must(200, "GET", "/api/v1/instances/"+id, integrator, nil, &in)
		return in
	}
	count := func() int {
		var n int
		if err := e.Pool.QueryRow(context.Background(), `SELECT count(*) FROM instances WHERE name = 'target-case'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	first := send(event("TGT-1", ""))
	if len(first.Started) != 1 || first.Delivered != 1 {
		t.Fatalf("the first event for TGT-1: %+v, want one instance started", first)
	}
	id := first.Started[0]
	if second := send(event("TGT-1", "")); len(second.Started) != 0 || second.Delivered != 1 {
		t.Errorf("the second event for TGT-1: %+v, want it delivered to the running instance", second)
	}
	var in instance
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if in = read(id); in.Status == "completed" || in.Status == "faulted" {
			break
		}
	}
	out, _ := json.Marshal(in.Output)
	if in.Status != "completed" || !strings.Contains(string(out), `"n":2`) || !strings.HasPrefix(in.BusinessKey, "TGT-") {
		t.Errorf("the instance TGT-1 started: %s %s in case %q, want completed with the second event", in.Status, out, in.BusinessKey)
	}
	// Its case ended with it; the next event for TGT-1 starts afresh, in
	// the case its subject names.
	if third := send(event("TGT-1", in.BusinessKey)); len(third.Started) != 1 {
		t.Errorf("an event for an ended correlation: %+v, want a new instance", third)
	} else if again := read(third.Started[0]); again.BusinessKey != in.BusinessKey {
		t.Errorf("the event named case %s; the instance is in %q", in.BusinessKey, again.BusinessKey)
	}
	// Two events for one new target at once: one instance, and the other
	// event reaches it.
	before := count()
	var started, delivered int
	for _, r := range e.Race(event("TGT-2", ""), event("TGT-2", "")) {
		var res result
		if r.Status != 202 || json.Unmarshal([]byte(r.Body), &res) != nil {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		started += len(res.Started)
		delivered += res.Delivered
	}
	if started != 1 || delivered != 2 || count() != before+1 {
		t.Errorf("two events for TGT-2 at once: %d started, %d delivered, %d new instances; want 1, 2, 1", started, delivered, count()-before)
	}
	// A sender the workflow does not name starts nothing; an admin does.
	// An event the workflow's input schema refuses starts nothing, and
	// the answer says why.
	for _, y := range []string{
		`document: {dsl: '1.0.0', namespace: kit, name: closed-start, version: '1.0.0'}
schedule: {on: {one: {with: {type: gov.uk.border.target.closed}}}}
do: [{a: {set: {ok: true}}}]`,
		`document: {dsl: '1.0.0', namespace: kit, name: strict-start, version: '1.0.0', metadata: {access: {events: [team:analytics]}}}
input: {schema: {format: json, document: {type: object, properties: {event: {type: object, properties: {data: {type: object, required: [reason]}}}}}}}
schedule: {on: {one: {with: {type: gov.uk.border.target.flagged}}}}
do: [{a: {set: {ok: true}}}]`,
	} {
		if resp, body := e.PublishYAML(author, y); resp.StatusCode != 201 {
			t.Fatalf("publish: %d %s", resp.StatusCode, body)
		}
	}
	closed := func(token, id string) *http.Request {
		return e.Request("POST", "/api/v1/events", token, map[string]any{"specversion": "1.0", "id": id, "source": "/analytics",
			"type": "gov.uk.border.target.closed", "data": map[string]any{"targetRef": "TGT-4"}}, "Content-Type", "application/cloudevents+json")
	}
	if r := send(closed(integrator, "closed-1")); len(r.Started) != 0 || r.Delivered != 0 {
		t.Errorf("a sender the workflow does not name: %+v", r)
	}
	if r := send(closed(admin, "closed-2")); len(r.Started) != 1 {
		t.Errorf("an admin's event: %+v", r)
	}
	got := e.Race(e.Request("POST", "/api/v1/events", integrator, map[string]any{"specversion": "1.0", "id": "flagged-1", "source": "/analytics",
		"type": "gov.uk.border.target.flagged", "data": map[string]any{"targetRef": "TGT-5"}}, "Content-Type", "application/cloudevents+json"))[0]
	if got.Status != 202 || !strings.Contains(got.Body, `"started":[]`) || !strings.Contains(got.Body, "kit/strict-start@1.0.0") || !strings.Contains(got.Body, "reason") {
		t.Errorf("an event the input schema refuses: %d %s", got.Status, got.Body)
	}
}

// What only the instance can decide (a condition on its data, an until)
// is handed to every listen it may concern and consumed by none of them:
// the instance decides, and no other listen goes without.
func TestEventsUndecidedOutsideTheInstance(t *testing.T) {
	e := webtest.New(t, webtest.WithWorker)
	author, officer, integrator := e.Token("author"), e.Token("officer"), e.Token("integrator")
	const access = `metadata: {access: {start: [role:officer], read: [role:officer], events: [team:analytics]}}`
	for _, y := range []string{
		`document: {dsl: '1.0.0', namespace: kit, name: over, version: '1.0.0', ` + access + `}
do:
  - reading:
      listen:
        to:
          one:
            with: {type: gov.uk.border.reading, data: '${ .value > $input.threshold }'}`,
		`document: {dsl: '1.0.0', namespace: kit, name: ticks, version: '1.0.0', ` + access + `}
do:
  - two:
      listen:
        to:
          any: [{with: {type: gov.uk.border.tick}}]
          until: '${ length >= 2 }'`,
		`document: {dsl: '1.0.0', namespace: kit, name: tick, version: '1.0.0', ` + access + `}
do:
  - one:
      listen:
        to:
          one: {with: {type: gov.uk.border.tick}}`,
	} {
		if resp, body := e.PublishYAML(author, y); resp.StatusCode != 201 {
			t.Fatalf("publish: %d %s", resp.StatusCode, body)
		}
	}
	n := 0
	send := func(typ string, data map[string]any) inboundResult {
		t.Helper()
		n++
		got := e.Race(e.Request("POST", "/api/v1/events", integrator, map[string]any{"specversion": "1.0", "id": fmt.Sprintf("u-%d", n),
			"source": "/sensors", "type": typ, "data": data}, "Content-Type", "application/cloudevents+json"))[0]
		var r inboundResult
		if got.Status != 202 || json.Unmarshal([]byte(got.Body), &r) != nil {
			t.Fatalf("send: %d %s", got.Status, got.Body)
		}
		return r
	}
	start := func(name string, input map[string]any) string {
		t.Helper()
		var in webtest.InstanceBody
		e.Must(201, "POST", "/api/v1/workflows/kit/"+name+"/instances", officer, map[string]any{"input": input}, &in)
		return in.ID
	}
	type instance struct {
		Status string
		Output any
	}
	end := func(id string) instance {
		t.Helper()
		var in instance
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			e.Must(200, "GET", "/api/v1/instances/"+id, officer, nil, &in)
			if in.Status != "running" && in.Status != "starting" {
				return in
			}
		}
		t.Fatalf("instance %s: still %s", id, in.Status)
		return in
	}
	waiting := func(want int) { t.Helper(); waitListens(t, e, "true", want) }

	// The oldest listen's condition refuses the reading; the other's takes it.
	high := start("over", map[string]any{"threshold": 100})
	low := start("over", map[string]any{"threshold": 10})
	waiting(2)
	if r := send("gov.uk.border.reading", map[string]any{"value": 50}); r.Delivered != 2 {
		t.Errorf("a reading only the instances can judge: %+v, want it handed to both", r)
	}
	if in := end(low); in.Status != "completed" {
		t.Errorf("the low threshold: %+v", in)
	}
	if r := send("gov.uk.border.reading", map[string]any{"value": 150}); r.Delivered != 1 {
		t.Errorf("the second reading: %+v, want it handed to the listen still waiting", r)
	}
	if in, _ := json.Marshal(end(high)); !strings.Contains(string(in), `"value":150`) {
		t.Errorf("the high threshold: %s", in)
	}

	// Two ticks kept: the until listen is handed both and consumes
	// neither, so a one listen that starts later still takes one.
	send("gov.uk.border.tick", map[string]any{"n": 1})
	send("gov.uk.border.tick", map[string]any{"n": 2})
	waiting(0)
	if in := end(start("ticks", map[string]any{})); in.Status != "completed" {
		t.Errorf("until two ticks: %+v", in)
	}
	if in, _ := json.Marshal(end(start("tick", map[string]any{}))); !strings.Contains(string(in), `"n":1`) {
		t.Errorf("a one listen after the until: %s", in)
	}
}
