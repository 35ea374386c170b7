package examples_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"cop/forms"
	formexamples "cop/forms/examples"
	"cop/platform/testenv/temporalenv"
	"cop/workflows"
	"cop/workflows/engine"
	"cop/workflows/examples"
)

// TestMain stops the shared in-memory Temporal server once the package's
// tests have run.
func TestMain(m *testing.M) {
	code := m.Run()
	temporalenv.Stop()
	os.Exit(code)
}

// resolver holds the forms example pack, as `cop workflows run` does.
func resolver(t *testing.T) *engine.LocalResolver {
	t.Helper()
	r := engine.NewLocalResolver()
	add := map[string]func([]byte) error{"forms": r.AddForm, "terms": r.AddTerm, "refdata": r.AddRefData}
	for _, f := range formexamples.All() {
		if err := add[f.Kind](f.Content); err != nil {
			t.Fatalf("forms example %s: %v", f.Name, err)
		}
	}
	return r
}

func example(t *testing.T, name string) (*workflows.Workflow, json.RawMessage) {
	t.Helper()
	for _, f := range examples.All() {
		if f.Name == name {
			w, js, err := workflows.Parse(f.Content)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return w, js
		}
	}
	t.Fatalf("no example %s", name)
	return nil, nil
}

func TestEveryExampleIsValid(t *testing.T) {
	all := examples.All()
	if len(all) == 0 {
		t.Fatal("the pack is empty")
	}
	formNames := map[string]bool{}
	for _, f := range formexamples.All() {
		if f.Kind == "forms" {
			formNames[strings.TrimSuffix(f.Name, ".json")] = true
		}
	}
	r := resolver(t)
	for _, f := range all {
		w, _, err := workflows.Parse(f.Content)
		if err != nil {
			t.Errorf("%s: %v", f.Name, err)
			continue
		}
		if ps := workflows.Check(w); len(ps) > 0 {
			t.Errorf("%s: %v", f.Name, ps)
		}
		if want := strings.TrimSuffix(f.Name, path.Ext(f.Name)); w.Document.Name != want {
			t.Errorf("%s is named %q: name the file after the workflow", f.Name, w.Document.Name)
		}
		// Every form it uses is in the forms pack, so `cop dev` and
		// `cop workflows run` can pin it.
		if err := engine.Pin(w, r, &engine.Start{}); err != nil {
			t.Errorf("%s: %v", f.Name, err)
		}
		refs := workflows.Refs(w)
		if sf, _ := workflows.SplitFormRef(refs.StartForm); sf != "" && !formNames[sf] {
			t.Errorf("%s: start form %q is not in the forms pack", f.Name, sf)
		}
	}
}

// compiled compiles the forms pack as the registry would.
func compiled(t *testing.T) map[string]*forms.Form {
	t.Helper()
	_, list, err := formexamples.Compile()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*forms.Form{}
	for _, f := range list {
		out[f.Def.Name] = f
	}
	return out
}

func decode(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

const seizureData = `{"goodsDescription": "12 kg of herbal cannabis in two holdalls", "category": "drugs", "quantity": 2,
	"estimatedValue": 60000, "port": "GBDVR", "seizedOn": "2026-11-21"}`

// The input a submission of seizure-record starts the workflow with.
func seizureInput(t *testing.T) any {
	return decode(t, `{"submission": {"id": "3f6d2a9e-5b1c-4c4e-9d51-0c8f6f1b2a77", "form": "seizure-record", "formVersion": "1.1.0",
		"businessKey": "SEIZ-20261121-1", "data": `+seizureData+`, "submittedBy": "officer-7", "submittedAt": "2026-11-21T09:11:41Z"}}`)
}

func TestTheSeizureForms(t *testing.T) {
	fs := compiled(t)
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	if errs := fs["seizure-record"].Validate(decode(t, seizureData), now); len(errs) > 0 {
		t.Errorf("a good record: %+v", errs)
	}
	bad := fs["seizure-record"].Validate(decode(t, `{"goodsDescription": "x", "category": "gold", "quantity": 0,
		"estimatedValue": -1, "port": "GBXXX", "seizedOn": "2026-02-30"}`), now)
	want := map[string]string{
		"/seizedOn": "Date of seizure must be a real date, like 2026-11-21",
		"/port":     "Port of seizure must be one of the listed ports",
		"/category": "Category of goods must be one of the listed options",
	}
	got := map[string]string{}
	for _, e := range bad {
		got[e.Pointer] = e.Message
	}
	for p, m := range want {
		if got[p] != m {
			t.Errorf("%s: %q, want %q (all: %+v)", p, got[p], m, bad)
		}
	}
	if len(bad) != 6 {
		t.Errorf("every field is wrong, so six errors: %+v", bad)
	}

	approval := fs["seizure-approval"]
	for data, want := range map[string]string{
		`{"approved": true}`:                          "",
		`{"approved": false, "comments": "Not ours"}`: "",
		`{"approved": false}`:                         "/comments: Enter why you are refusing the seizure",
		`{}`:                                          "/approved: Select yes if you approve the seizure, or no if you refuse it",
		`{"approved": true, "comments": "Well spotted"}`: "",
		`{"approved": "yes"}`:                            "/approved: ",
	} {
		errs := approval.Validate(decode(t, data), now)
		var got []string
		for _, e := range errs {
			got = append(got, e.Pointer+": "+e.Message)
		}
		if want == "" && len(got) > 0 || want != "" && (len(got) != 1 || !strings.HasPrefix(got[0], want)) {
			t.Errorf("%s: %v, want %q", data, got, want)
		}
	}
	// The comments are revealed by the No answer.
	pages := approval.Pages(nil, nil)
	q := pages[0].Fields[0]
	if q.Name != "approved" || q.Kind != "yesno" || len(q.Options) != 2 || len(q.Options[1].Reveals) != 1 || q.Options[1].Reveals[0].Name != "comments" {
		t.Errorf("the approved question should reveal comments on No: %+v", q)
	}
}

// runSeizure runs seizure-approval on the in-memory Temporal server, each
// user task completed with taskData.
func runSeizure(t *testing.T, input, taskData any) (*engine.Outcome, *engine.LocalPlatform) {
	t.Helper()
	w, js := example(t, "seizure-approval.yaml")
	c := temporalenv.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	refused, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	r := resolver(t)
	p := &engine.LocalPlatform{Client: c, TaskData: taskData, Refdata: r.RefData, Refused: func(err error) { stop(err) }}
	queue := "examples-" + t.Name()
	wk := worker.New(c, queue, worker.Options{})
	(&engine.Activities{Platform: p, Allow: engine.ParseAllowlist("")}).Register(wk)
	if err := wk.Start(); err != nil {
		t.Fatal(err)
	}
	defer wk.Stop()

	start := engine.Start{Definition: js, Input: input, CaseKey: "SEIZ-20261121-1", StartedBy: "officer-7"}
	if err := engine.Pin(w, r, &start); err != nil {
		t.Fatal(err)
	}
	if got := start.Forms["seizure-approval"]; got.Name != "seizure-approval" || got.Version != "1.0.0" {
		t.Fatalf("pinned %+v", got)
	}
	d := w.Document
	run, err := engine.StartInstance(ctx, c, engine.StartOptions{
		ID: fmt.Sprintf("%s-%d", t.Name(), time.Now().UnixNano()), TaskQueue: queue, Start: start, Namespace: d.Namespace, Name: d.Name})
	if err != nil {
		t.Fatal(err)
	}
	var res engine.Result
	err = run.Get(refused, &res)
	if refused.Err() != nil {
		t.Fatalf("the run did not finish: %v", context.Cause(refused))
	}
	return engine.OutcomeOf(&res, err), p
}

func TestSeizureApproved(t *testing.T) {
	out, p := runSeizure(t, seizureInput(t), map[string]any{"approved": true})
	if out.Status != engine.StatusCompleted {
		t.Fatalf("%s: %+v", out.Status, out.Error)
	}
	o, _ := out.Output.(map[string]any)
	seizure, _ := o["seizure"].(map[string]any)
	if o["outcome"] != "approved" || o["decidedBy"] != "local-author" || seizure["goods"] != "12 kg of herbal cannabis in two holdalls" ||
		seizure["port"] != "GBDVR" || seizure["portName"] != "Dover" || seizure["businessKey"] != "SEIZ-20261121-1" {
		t.Errorf("output %v", out.Output)
	}
	if len(p.Tasks) != 1 {
		t.Fatalf("tasks %+v", p.Tasks)
	}
	task := p.Tasks[0]
	if task.Form != "seizure-approval" || task.Priority != 2 || strings.Join(task.CandidateGroups, ",") != "role:supervisor" ||
		task.Due == nil || task.Due.Sub(task.CreatedAt) != 4*time.Hour || task.CaseKey != "SEIZ-20261121-1" ||
		task.Title != "Approve seizure: 12 kg of herbal cannabis in two holdalls at Dover" ||
		task.Reason != "Seizure of drugs worth £60000 on 2026-11-21: a supervisor must approve it within 4 hours" {
		t.Errorf("task %+v", task)
	}
	sent := p.Sent()
	if len(sent) != 1 || sent[0].Title != "Seizure approved" || strings.Join(sent[0].To, ",") != "user:officer-7" ||
		sent[0].Link != "/cases/SEIZ-20261121-1" || sent[0].CaseKey != "SEIZ-20261121-1" || strings.Join(sent[0].Channels, ",") != "inapp,email" {
		t.Errorf("notifications %+v", sent)
	}
	var names []string
	for _, e := range out.Trace {
		names = append(names, e.Name)
	}
	if strings.Join(names, ",") != "recordSeizure,findPort,lookUpPort,approveSeizure,decide,seizureApproved,tellOfficer,recordOutcome,announceOutcome" {
		t.Errorf("trace %v", names)
	}
	// The outcome is announced for other systems (the analytics team's webhook).
	if len(p.Events) != 1 || p.Events[0]["type"] != "gov.uk.border.seizure.decided" {
		t.Fatalf("events %+v", p.Events)
	}
	if d, _ := p.Events[0]["data"].(map[string]any); d["outcome"] != "approved" || d["businessKey"] != "SEIZ-20261121-1" || d["port"] != "GBDVR" ||
		d["decidedBy"] != "local-author" {
		t.Errorf("announced %v", p.Events[0])
	}
}

func TestSeizureRefused(t *testing.T) {
	in := seizureInput(t)
	sub := in.(map[string]any)["submission"].(map[string]any)
	delete(sub, "submittedBy")                     // started through the API, say
	sub["data"].(map[string]any)["port"] = "GBXXX" // not in the reference data
	out, p := runSeizure(t, in, map[string]any{"approved": false, "comments": "The goods are a lawful import"})
	if out.Status != engine.StatusCompleted {
		t.Fatalf("%s: %+v", out.Status, out.Error)
	}
	o, _ := out.Output.(map[string]any)
	if o["outcome"] != "refused" || o["comments"] != "The goods are a lawful import" {
		t.Errorf("output %v", out.Output)
	}
	if d, _ := p.Events[0]["data"].(map[string]any); len(p.Events) != 1 || d["outcome"] != "refused" {
		t.Errorf("announced %v", p.Events)
	}
	sent := p.Sent()
	if len(sent) != 1 || sent[0].Title != "Seizure refused" || strings.Join(sent[0].To, ",") != "role:officer" ||
		sent[0].Body != "Your seizure of 12 kg of herbal cannabis in two holdalls at GBXXX on 2026-11-21 was refused: The goods are a lawful import" {
		t.Errorf("without a submitter, every officer hears: %+v", sent)
	}
}

// recorder is a platform that only records, so the test decides when the
// task is completed; what it does not record, LocalPlatform does.
type recorder struct {
	*engine.LocalPlatform
	mu            sync.Mutex
	tasks         []engine.TaskRequest
	changes       []engine.TaskChange
	notifications []engine.Notification
}

func (r *recorder) CreateTask(_ context.Context, t engine.TaskRequest) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tasks = append(r.tasks, t)
	return nil
}

func (r *recorder) TaskChanged(_ context.Context, c engine.TaskChange) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changes = append(r.changes, c)
	return nil
}

func (r *recorder) Notify(_ context.Context, n engine.Notification) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notifications = append(r.notifications, n)
	return nil
}

// An approval still open after 4 hours is escalated: priority 1 and an
// overdue notice to supervisors. The SDK's test environment skips the
// hours.
func TestSeizureApprovalEscalates(t *testing.T) {
	w, js := example(t, "seizure-approval.yaml")
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	// Wall-time deadlock detection (1 s by default) trips on a busy CI
	// machine; a workflow task waiting for the CPU is not a deadlock.
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: 30 * time.Second})
	rec := &recorder{LocalPlatform: &engine.LocalPlatform{Refdata: resolver(t).RefData}}
	(&engine.Activities{Platform: rec}).Register(env)
	start := engine.Start{Definition: js, Input: seizureInput(t), CaseKey: "SEIZ-20261121-1"}
	if err := engine.Pin(w, resolver(t), &start); err != nil {
		t.Fatal(err)
	}
	supervisor := engine.Caller{Sub: "supervisor-3", Roles: []string{"supervisor"}}
	act := func(a engine.TaskAction, then func()) {
		env.UpdateWorkflow(engine.UpdateTask, string(a.Action), &testsuite.TestUpdateCallback{
			OnReject: func(err error) { t.Errorf("%s refused: %v", a.Action, err) },
			OnComplete: func(_ any, err error) {
				if err != nil {
					t.Errorf("%s: %v", a.Action, err)
				} else if then != nil {
					then()
				}
			},
		}, a)
	}
	var beforeDecision []engine.Notification
	var changesThen []engine.TaskChange
	env.RegisterDelayedCallback(func() {
		rec.mu.Lock()
		beforeDecision = append(beforeDecision, rec.notifications...)
		changesThen = append(changesThen, rec.changes...)
		id := rec.tasks[0].ID
		rec.mu.Unlock()
		act(engine.TaskAction{TaskID: id, Action: "claim", Caller: supervisor}, func() {
			act(engine.TaskAction{TaskID: id, Action: "complete", Caller: supervisor, Data: map[string]any{"approved": true}}, nil)
		})
	}, 4*time.Hour+10*time.Minute)
	env.ExecuteWorkflow(engine.WorkflowType(w.Document.Namespace, w.Document.Name), start)
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("completed=%v err=%v", env.IsWorkflowCompleted(), env.GetWorkflowError())
	}
	var res engine.Result
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	if o, _ := res.Output.(map[string]any); o["outcome"] != "approved" || o["decidedBy"] != "supervisor-3" {
		t.Errorf("output %v", res.Output)
	}
	if len(changesThen) != 1 || changesThen[0].Kind != "escalated" || changesThen[0].Priority != 1 {
		t.Errorf("after 4 hours the task should be escalated to priority 1: %+v", changesThen)
	}
	if len(beforeDecision) != 1 || strings.Join(beforeDecision[0].To, ",") != "role:supervisor" ||
		!strings.HasPrefix(beforeDecision[0].Title, "Overdue: Approve seizure") {
		t.Errorf("supervisors should hear the approval is overdue: %+v", beforeDecision)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if n := rec.notifications; len(n) != 2 || n[1].Title != "Seizure approved" || strings.Join(n[1].To, ",") != "user:officer-7" {
		t.Errorf("notifications %+v", n)
	}
}

// The workflow author's guide shows only definitions that validate, and
// its worked example is this pack's file as it is.
func TestTheGuideExamplesValidate(t *testing.T) {
	guide, err := os.ReadFile("../../docs/workflows.md")
	if err != nil {
		t.Fatal(err)
	}
	const head = "document: {dsl: '1.0.3', namespace: border-force, name: guide, version: '1.0.0'}\n"
	blocks := strings.Split(string(guide), "```yaml\n")[1:]
	if len(blocks) < 10 {
		t.Fatalf("only %d YAML examples in the guide", len(blocks))
	}
	worked := false
	for i, b := range blocks {
		b = b[:strings.Index(b, "```")]
		doc := b
		switch {
		case strings.HasPrefix(b, "- "): // a task list
			doc = head + "do:\n" + indent(b)
		case strings.HasPrefix(b, "use:"):
			doc = head + b + "do:\n  - noop:\n      set: {ok: true}\n"
		}
		if _, _, err := workflows.Parse([]byte(doc)); err != nil {
			t.Errorf("example %d does not validate: %v\n%s", i+1, err, b)
		}
		if strings.Contains(b, "name: seizure-approval\n") {
			worked = true
			for _, f := range examples.All() {
				if f.Name == "seizure-approval.yaml" && string(f.Content) != b {
					t.Errorf("the guide's worked example differs from workflows/examples/%s", f.Name)
				}
			}
		}
	}
	if !worked {
		t.Error("the guide does not show the worked example")
	}
}

func indent(s string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if l != "" && l != "\n" {
			lines[i] = "  " + l
		}
	}
	return strings.Join(lines, "")
}

// The workflows docs/integrations.md shows (events in) are ones COP takes.
func TestTheIntegrationExamplesValidate(t *testing.T) {
	doc, err := os.ReadFile("../../docs/integrations.md")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, b := range strings.Split(string(doc), "```yaml\n")[1:] {
		b = b[:strings.Index(b, "```")]
		if !strings.HasPrefix(b, "document:") {
			continue
		}
		n++
		if _, _, err := workflows.Parse([]byte(b)); err != nil {
			t.Errorf("a workflow in integrations.md does not validate: %v\n%s", err, b)
		}
	}
	if n < 2 {
		t.Errorf("%d workflows in integrations.md, want the waiting one and the one events start", n)
	}
}
