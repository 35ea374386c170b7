package instances_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/worker"

	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/cases"
	"cop/platform/config"
	"cop/platform/definitions"
	"cop/platform/events"
	"cop/platform/instances"
	"cop/platform/problem"
	"cop/platform/testenv"
	"cop/platform/testenv/temporalenv"
	"cop/workflows/engine"
)

func TestMain(m *testing.M) { testenv.Main(m, temporalenv.Stop) }

var officer = &auth.Principal{Subject: "olly", Roles: []string{"officer"}, Teams: []string{"dover"}}

// A start form's submission decides its workflow's instance in its own
// transaction: the instance reads "starting", refuses a cancel, and is
// started by the workflow-starts subscriber however many times the
// delivery comes; then it runs to its end. Services against a real
// PostgreSQL and Temporal, without HTTP or sign-in.
func TestASubmissionsInstanceStartsThroughTheOutbox(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Pool(t)
	defs := definitions.New(pool)
	cs := cases.New(pool, defs)
	queue := "instances-test-" + uuid.NewString()
	tc := temporalenv.Client(t)
	insts := instances.New(pool, defs, cs, tc, queue)
	cs.Starts = insts
	w := worker.New(tc, queue, worker.Options{})
	(&engine.Activities{Client: http.DefaultClient, Allow: engine.ParseAllowlist(config.DevCallAllowlist),
		Platform: &instances.Store{Pool: pool, Defs: defs}}).Register(w)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)

	author := &auth.Principal{Subject: "dev-author", Roles: []string{"author"}}
	who := audit.Who{Actor: author.Subject}
	if _, err := defs.PublishForm(ctx, who, []byte(`{"name": "visit", "version": "1.0.0", "title": "Visit",
		"schema": {"type": "object", "required": ["who"], "properties": {"who": {"type": "string", "title": "Who"}}}}`), false); err != nil {
		t.Fatal(err)
	}
	if _, err := defs.PublishWorkflow(ctx, author, who, []byte(`document: {dsl: '1.0.0', namespace: kit, name: greet, version: '1.0.0', metadata: {startForm: visit}}
do:
  - greet: {set: {greeting: '${ "hello " + $input.submission.data.who }'}}
`), false); err != nil {
		t.Fatal(err)
	}

	sub, err := cs.Submit(ctx, officer, audit.Who{Actor: officer.Subject}, cases.SubmitRequest{Form: "visit", Data: []byte(`{"who": "Ann"}`)})
	if err != nil || len(sub.Instances) != 1 || len(sub.StartErrors) != 0 {
		t.Fatalf("submission %+v, %v", sub, err)
	}
	id := sub.Instances[0]
	in, err := insts.Get(ctx, officer, id)
	if err != nil || in.Status != instances.StatusStarting || in.BusinessKey != sub.BusinessKey || in.StartedBy != officer.Subject {
		t.Fatalf("before the outbox delivers: %+v, %v", in, err)
	}
	if _, err := insts.Cancel(ctx, officer, audit.Who{Actor: officer.Subject}, id, ""); !problem.Is(err, problem.Conflict) {
		t.Errorf("cancelling a starting instance: %v", err)
	}

	// The outbox delivers the cop.instance.starting the submission
	// announced: at least once.
	var data json.RawMessage
	if err := pool.QueryRow(ctx, `SELECT data FROM events WHERE type = 'cop.instance.starting' AND subject = $1`, sub.BusinessKey).Scan(&data); err != nil {
		t.Fatalf("the submission announced no instance starting: %v", err)
	}
	start := insts.StartSubscriber()
	for range 2 {
		if err := start.Handle(ctx, events.Event{ID: uuid.NewString(), Type: events.InstanceStarting, Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for in.Status != engine.StatusCompleted && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		if in, err = insts.Get(ctx, officer, id); err != nil {
			t.Fatal(err)
		}
	}
	out, _ := in.Output.(map[string]any)
	if in.Status != engine.StatusCompleted || out["greeting"] != "hello Ann" {
		t.Fatalf("the instance ended %+v", in)
	}
	var started int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE type = 'cop.instance.started'`).Scan(&started); err != nil || started != 1 {
		t.Errorf("%d cop.instance.started events (%v)", started, err)
	}
	// Someone who may not read it is told it is not there.
	stranger := &auth.Principal{Subject: "sam", Roles: []string{"officer"}, Teams: []string{"heathrow"}}
	if _, err := insts.Get(ctx, stranger, id); !errors.Is(err, instances.ErrNotFound) {
		t.Errorf("a stranger reads the instance: %v", err)
	}
}
