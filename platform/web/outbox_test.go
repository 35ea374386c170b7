package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"cop/platform/config"
	"cop/platform/events"
	"cop/platform/instances"
	"cop/platform/testenv/temporalenv"
	"cop/platform/web/webtest"
	"cop/workflows/engine"
)

// switchProxy is a TCP path to Temporal that the test can cut: while down
// it drops every connection, as a Temporal outage would.
type switchProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	isDown bool
	conns  []net.Conn
}

func newSwitchProxy(t *testing.T, target string) *switchProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &switchProxy{ln: ln, target: target}
	t.Cleanup(func() { _ = ln.Close(); p.down() })
	go p.serve()
	return p
}

func (p *switchProxy) addr() string { return p.ln.Addr().String() }

func (p *switchProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.isDown {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
		go func() { _, _ = io.Copy(c, up); _ = c.Close() }()
	}
}

func (p *switchProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.isDown = true
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

func (p *switchProxy) up() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.isDown = false
}

// A start form submitted while Temporal is down is still acknowledged with
// its instance, which reads as "starting" (and cannot be cancelled yet);
// when Temporal is back the outbox starts it, once, and it runs. A direct
// start made meanwhile is acknowledged the same way, and its retry with
// the same Idempotency-Key answers the same instance.
func TestStartsMadeWhileTemporalIsDownRunWhenItIsBack(t *testing.T) {
	server := temporalenv.Server(t)
	proxy := newSwitchProxy(t, server.GetFrontendHostPort())
	proxied, err := client.NewLazyClient(client.Options{HostPort: proxy.addr(), Namespace: server.GetDefaultNamespace()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxied.Close)
	e := webtest.New(t, func(o *webtest.Option) { o.Temporal = proxied })
	// The worker reaches Temporal directly: only the web tier's path is cut.
	w := worker.New(temporalenv.Client(t), e.Srv.Deps().TaskQueue, worker.Options{})
	(&engine.Activities{Client: http.DefaultClient, Allow: engine.ParseAllowlist(config.DevCallAllowlist),
		Platform: &instances.Store{Pool: e.Pool, Defs: e.Srv.Deps().Definitions}}).Register(w)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)

	author, officer := e.Token("author"), e.Token("officer")
	webtest.RegisterArrival(e, author)
	if resp, body := e.PublishYAML(author, `document: {dsl: '1.0.0', namespace: border-force, name: arrival-follow-up, version: '1.0.0',
  metadata: {startForm: arrival-report}}
do:
  - note: {set: {port: '${ $input.submission.data.port }'}}
`); resp.StatusCode != 201 {
		t.Fatalf("publish: %d %s", resp.StatusCode, body)
	}

	e.Srv.Deps().Instances.StartFallback = 500 * time.Millisecond
	proxy.down()
	var sub struct {
		ID, BusinessKey string
		Instances       []string
		StartErrors     []string
	}
	submit := func(out any) {
		t.Helper()
		resp, body := e.Send("POST", "/api/v1/forms/arrival-report/submissions", officer, webtest.ValidArrival, "Idempotency-Key", "outage-1")
		if resp.StatusCode != 201 || json.Unmarshal([]byte(body), out) != nil {
			t.Fatalf("submit: %d %s", resp.StatusCode, body)
		}
	}
	submit(&sub)
	if len(sub.Instances) != 1 || len(sub.StartErrors) != 0 {
		t.Fatalf("submission while Temporal is down: %+v", sub)
	}
	id := sub.Instances[0]
	var in webtest.InstanceBody
	e.Must(200, "GET", "/api/v1/instances/"+id, officer, nil, &in)
	if in.Status != "starting" || in.BusinessKey != sub.BusinessKey {
		t.Fatalf("instance while Temporal is down: %+v", in)
	}
	resp, body := e.Send("POST", "/api/v1/instances/"+id+"/cancel", officer, nil)
	if p := webtest.ProblemOf(t, resp, body, 409); p.Detail != "instance "+id+" is still starting; it can be cancelled once it runs" {
		t.Errorf("cancel while starting: %+v", p)
	}
	var again struct {
		ID        string
		Instances []string
	}
	submit(&again)
	if again.ID != sub.ID || len(again.Instances) != 1 || again.Instances[0] != id {
		t.Errorf("the retried submission is %+v, not %s with %s", again, sub.ID, id)
	}
	direct := func() webtest.InstanceBody {
		t.Helper()
		var in webtest.InstanceBody
		resp, body := e.Send("POST", "/api/v1/workflows/border-force/arrival-follow-up/instances", author,
			map[string]any{"input": map[string]any{"submission": map[string]any{"data": map[string]any{"port": "GBSOU"}}}}, "Idempotency-Key", "outage-2")
		if resp.StatusCode != 201 || json.Unmarshal([]byte(body), &in) != nil {
			t.Fatalf("direct start: %d %s", resp.StatusCode, body)
		}
		return in
	}
	first := direct()
	if first.Status != "starting" {
		t.Fatalf("a direct start while Temporal is down: %+v", first)
	}
	if retried := direct(); retried.ID != first.ID || retried.Status != "starting" {
		t.Errorf("the retried direct start is %+v, not %s", retried, first.ID)
	}
	time.Sleep(2 * time.Second) // the subscriber tries, and fails, meanwhile

	proxy.up()
	for _, c := range []struct{ id, port, reader string }{{id, "GBDVR", officer}, {first.ID, "GBSOU", author}} {
		done := e.WaitInstance(c.reader, c.id, func(i webtest.InstanceBody) bool { return i.Status == "completed" || i.Status == "faulted" })
		if done.Status != "completed" || done.Output["port"] != c.port {
			t.Fatalf("instance %s after Temporal came back: %+v", c.id, done)
		}
		var started int
		if err := e.Pool.QueryRow(context.Background(), `SELECT count(*) FROM events WHERE type = 'cop.instance.started' AND data->>'id' = $1`, c.id).Scan(&started); err != nil || started != 1 {
			t.Errorf("cop.instance.started of %s announced %d times (%v)", c.id, started, err)
		}
	}
}

// collector is a test subscriber: every event it is handed, in order.
type collector struct {
	mu  sync.Mutex
	got []events.Event
}

func (c *collector) subscriber() events.Subscriber {
	return events.Subscriber{Name: "test-collector", Types: []string{"cop.*", "gov.uk.*"}, Drafts: true,
		Handle: func(_ context.Context, e events.Event) error {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.got = append(c.got, e)
			return nil
		}}
}

// of returns the events of a type, waiting until there are at least n.
func (c *collector) of(t *testing.T, eventType string, n int) []events.Event {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c.mu.Lock()
		var out []events.Event
		for _, e := range c.got {
			if e.Type == eventType {
				out = append(out, e)
			}
		}
		c.mu.Unlock()
		if len(out) >= n {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d %s events, want %d", len(out), eventType, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Each change a user or an instance makes is announced once, as a
// CloudEvent naming this installation, with the case's business key as its
// subject and the resource as the API shows it; what a draft run does is
// marked copdraft; a workflow's emit task announces its own type.
func TestEveryChangeIsAnnounced(t *testing.T) {
	c := &collector{}
	e := webtest.New(t, webtest.WithWorker, webtest.WithSubscriber(c.subscriber()))
	author, officer, supervisor := e.Token("author"), e.Token("officer"), e.Token("supervisor")
	webtest.RegisterArrival(e, author)
	e.Must(201, "POST", "/api/v1/forms", author, webtest.ApprovalForm, nil)
	if resp, body := e.PublishYAML(author, `document: {dsl: '1.0.0', namespace: border-force, name: arrival-review, version: '1.0.0',
  metadata: {startForm: arrival-report}}
do:
  - review: {call: userTask, with: {form: seizure-approval, title: Review arrival, candidateGroups: [role:supervisor]}}
  - tell: {call: notify, with: {to: [role:officer], title: Arrival reviewed}}
  - announce:
      emit: {event: {with: {source: https://border.example, type: gov.uk.border.arrival.reviewed, data: {outcome: reviewed}}}}
`); resp.StatusCode != 201 {
		t.Fatalf("publish: %d %s", resp.StatusCode, body)
	}
	var sub struct {
		ID, BusinessKey string
		Instances       []string
	}
	e.Must(201, "POST", "/api/v1/forms/arrival-report/submissions", officer, webtest.ValidArrival, &sub)
	task := e.WaitTask(supervisor, sub.Instances[0])
	e.Must(200, "POST", "/api/v1/tasks/"+task.ID+"/claim", supervisor, nil, nil)
	e.Must(200, "POST", "/api/v1/tasks/"+task.ID+"/complete", supervisor, map[string]any{"data": map[string]any{"approved": true}}, nil)
	e.WaitInstance(officer, sub.Instances[0], func(i webtest.InstanceBody) bool { return i.Status == "completed" })
	e.Must(200, "POST", "/api/v1/forms/seizure-approval/versions/1.0.0/retire", author, nil, nil)

	key := sub.BusinessKey
	for eventType, check := range map[string]func(events.Event) bool{
		"cop.submission.created": func(ev events.Event) bool { return ev.Subject == key && jsonField(ev, "id") == sub.ID },
		"cop.case.opened":        func(ev events.Event) bool { return ev.Subject == key && jsonField(ev, "businessKey") == key },
		"cop.instance.starting": func(ev events.Event) bool {
			return jsonField(ev, "id") == sub.Instances[0] && jsonField(ev, "status") == "starting" && ev.Subject == key
		},
		"cop.instance.started": func(ev events.Event) bool {
			return jsonField(ev, "id") == sub.Instances[0] && jsonField(ev, "status") == "running"
		},
		"cop.task.created":   func(ev events.Event) bool { return ev.Subject == key && jsonField(ev, "id") == task.ID },
		"cop.task.claimed":   func(ev events.Event) bool { return jsonField(ev, "claimedBy") != "" },
		"cop.task.completed": func(ev events.Event) bool { return jsonField(ev, "status") == "completed" },
		"cop.notification.created": func(ev events.Event) bool {
			return ev.Subject == key && jsonField(ev, "title") == "Arrival reviewed"
		},
		"gov.uk.border.arrival.reviewed": func(ev events.Event) bool { return ev.Subject == key && jsonField(ev, "outcome") == "reviewed" },
		"cop.instance.completed":         func(ev events.Event) bool { return jsonField(ev, "status") == "completed" },
		"cop.definition.retired":         func(ev events.Event) bool { return jsonField(ev, "name") == "seizure-approval" },
	} {
		got := c.of(t, eventType, 1)
		ev := got[len(got)-1]
		if len(got) != 1 || !check(ev) || ev.Source != e.Base || ev.SpecVersion != "1.0" || ev.Draft {
			t.Errorf("%s: %d events, last %+v %s", eventType, len(got), ev, ev.Data)
		}
	}
	if got := c.of(t, "cop.definition.published", 6); len(got) != 6 { // 2 terms, reference data, 2 forms, the workflow
		t.Errorf("%d definitions published", len(got))
	}

	// A draft run's events are marked as such.
	var d webtest.InstanceBody
	e.Must(201, "POST", "/api/v1/instances", author, map[string]any{"definition": `document: {dsl: '1.0.0', namespace: kit, name: draft-emit, version: '0.1.0'}
do:
  - announce: {emit: {event: {with: {source: https://border.example, type: gov.uk.border.draft.tried}}}}
`}, &d)
	if ev := c.of(t, "gov.uk.border.draft.tried", 1)[0]; !ev.Draft {
		t.Errorf("a draft run's event is not marked copdraft: %+v", ev)
	}
	for _, ev := range c.of(t, "cop.instance.completed", 2) {
		if jsonField(ev, "id") == d.ID && !ev.Draft {
			t.Errorf("a draft run's end is not marked copdraft: %+v", ev)
		}
	}

	// Only COP announces cop.* types.
	resp, body := e.PublishYAML(author, `document: {dsl: '1.0.0', namespace: kit, name: forger, version: '1.0.0'}
do:
  - forge: {emit: {event: {with: {source: https://border.example, type: cop.case.opened}}}}
`)
	if p := webtest.ProblemOf(t, resp, body, 422); len(p.Errors) != 1 || p.Errors[0].Pointer != "/do/0/forge/emit/event/with/type" ||
		!strings.Contains(p.Errors[0].Message, `begins with "cop."`) {
		t.Errorf("a workflow emitting cop.case.opened: %s", body)
	}
}

// jsonField reads a top-level string field of an event's data.
func jsonField(ev events.Event, name string) string {
	var m map[string]any
	_ = json.Unmarshal(ev.Data, &m)
	s, _ := m[name].(string)
	return s
}
