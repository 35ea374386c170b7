package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"cop/forms/examples"
	"cop/platform/testenv/temporalenv"
	"cop/workflows"
)

// TestComputedCandidateGroupsAreChecked: groups an expression computes
// are held to the rule the upload checks for written ones (team:NAME or
// role:NAME), so a definition cannot put a task in a user's or everyone's
// list by computing what it could not write.
func TestComputedCandidateGroupsAreChecked(t *testing.T) {
	t.Parallel() // waits on Temporal, mostly: overlap it with the other tests that do
	for name, groups := range map[string]string{"user": `['${ "user:" + .who }']`, "bare": `['${ .who }', role:supervisor]`, "number": `['${ 5 }']`} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			li := startLocal(t, "groups", `document: {dsl: '1.0.0', namespace: test, name: groups, version: '1.0.0'}
do:
  - ask: {call: userTask, with: {form: seizure-approval, candidateGroups: `+groups+`}}
`, map[string]any{"who": "someone"})
			o := li.outcome()
			if o.Status != StatusFaulted || o.Error.Title != "Invalid candidate group" || o.Error.Instance != "/do/0/ask/with/candidateGroups/0" {
				t.Fatalf("outcome %+v %+v", o, o.Error)
			}
			if len(li.platform.tasks()) != 0 {
				t.Errorf("a task was created: %+v", li.platform.tasks())
			}
		})
	}
}

// TestPriorityOutOfRangeFaults: a priority computed outside 1-5 faults the
// task with a validation error instead of quietly becoming 3.
func TestPriorityOutOfRangeFaults(t *testing.T) {
	t.Parallel() // waits on Temporal, mostly: overlap it with the other tests that do
	li := startLocal(t, "prio", `document: {dsl: '1.0.0', namespace: test, name: prio, version: '1.0.0'}
do:
  - ask: {call: userTask, with: {form: seizure-approval, candidateGroups: [role:supervisor], priority: '${ .urgency * 3 }'}}
`, map[string]any{"urgency": 3})
	o := li.outcome()
	if o.Status != StatusFaulted || !strings.HasSuffix(o.Error.Type, "/validation") || !strings.Contains(o.Error.Detail, "not 9") || o.Error.Instance != "/do/0/ask" {
		t.Fatalf("outcome %+v %+v", o, o.Error)
	}
	if tasks := li.platform.tasks(); len(tasks) != 0 {
		t.Fatalf("a task was created: %+v", tasks)
	}
}

// TestAmendWithoutASubmissionFaults: an instance started directly has
// no submission to return for correction, and says so.
func TestAmendWithoutASubmissionFaults(t *testing.T) {
	t.Parallel()
	li := startLocal(t, "amend", `document: {dsl: '1.0.0', namespace: test, name: amend, version: '1.0.0', metadata: {startForm: seizure-approval}}
do:
  - correct: {call: userTask, with: {amend: submission}}
`, map[string]any{"port": "GBDVR"})
	o := li.outcome()
	if o.Status != StatusFaulted || o.Error == nil || o.Error.Title != "Nothing to amend" || o.Error.Instance != "/do/0/correct" {
		t.Fatalf("outcome %+v %+v", o, o.Error)
	}
	if tasks := li.platform.tasks(); len(tasks) != 0 {
		t.Fatalf("a task was created: %+v", tasks)
	}
}

// localInstance runs a definition on its own task queue with a local
// platform (no auto-completion), as an integration test drives it.
type localInstance struct {
	t        *testing.T
	c        client.Client
	queue    string
	platform *LocalPlatform
	worker   worker.Worker
	run      client.WorkflowRun
}

// localSetup is how startLocal starts an instance and its worker.
type localSetup struct {
	start    *Start
	resolver *LocalResolver
	worker   *worker.Options
	acts     *Activities // its Platform is filled in when nil
}

// localOption adjusts a localSetup.
type localOption func(*localSetup) error

// workerWith starts the instance's worker with these options and activities.
func workerWith(o worker.Options, a *Activities) localOption {
	return func(s *localSetup) error { s.worker, s.acts = &o, a; return nil }
}

// continueEvery continues the instance as new after every n tasks.
func continueEvery(n int) localOption {
	return func(s *localSetup) error { s.start.ContinueEvery = n; return nil }
}

// withWorkflow lets the instance run a sub-workflow.
func withWorkflow(yaml string) localOption {
	return func(s *localSetup) error { return s.resolver.AddWorkflow([]byte(yaml)) }
}

func startLocal(t *testing.T, name, definition string, input any, opts ...localOption) *localInstance {
	t.Helper()
	c := temporalenv.Client(t)
	w, js, err := workflows.Parse([]byte(definition))
	if err != nil {
		t.Fatal(err)
	}
	r := NewLocalResolver()
	for _, f := range examples.All() {
		add := map[string]func([]byte) error{"forms": r.AddForm, "terms": r.AddTerm, "refdata": r.AddRefData}[f.Kind]
		if err := add(f.Content); err != nil {
			t.Fatal(err)
		}
	}
	start := Start{Definition: js, Input: input}
	setup := localSetup{start: &start, resolver: r}
	for _, o := range opts {
		if err := o(&setup); err != nil {
			t.Fatal(err)
		}
	}
	if err := Pin(w, r, &start); err != nil {
		t.Fatal(err)
	}
	queue := name + "-" + strings.ReplaceAll(t.Name(), "/", "-") + "-" + time.Now().Format("150405.000000")
	li := &localInstance{t: t, c: c, queue: queue, platform: &LocalPlatform{Refdata: r.RefData}}
	if setup.acts != nil {
		if setup.acts.Platform == nil {
			setup.acts.Platform = li.platform
		}
		li.startWorkerWith(*setup.worker, setup.acts)
	} else {
		li.startWorker()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	li.run, err = StartInstance(ctx, c, StartOptions{ID: li.queue, TaskQueue: li.queue, Namespace: w.Document.Namespace, Name: w.Document.Name, Start: start})
	if err != nil {
		t.Fatal(err)
	}
	return li
}

func (li *localInstance) startWorker() {
	li.t.Helper()
	li.worker = worker.New(li.c, li.queue, worker.Options{})
	(&Activities{Platform: li.platform}).Register(li.worker)
	if err := li.worker.Start(); err != nil {
		li.t.Fatal(err)
	}
	li.t.Cleanup(li.worker.Stop)
}

// task waits until the instance has created a task and returns it.
func (li *localInstance) task() TaskRequest {
	li.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if tasks := li.platform.tasks(); len(tasks) > 0 {
			return tasks[0]
		}
		time.Sleep(20 * time.Millisecond)
	}
	li.t.Fatal("the instance created no task")
	return TaskRequest{}
}

// act sends a task action, retrying while the task is not yet registered.
func (li *localInstance) act(updateID string, a TaskAction) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		out, err := ActOnTask(ctx, li.c, li.run.GetID(), updateID, a)
		var te *TaskActionError
		if errors.As(err, &te) && te.Code == "gone" && ctx.Err() == nil && a.Action == "claim" {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		return out, err
	}
}

func (li *localInstance) outcome() *Outcome {
	li.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var res Result
	return OutcomeOf(&res, li.run.Get(ctx, &res))
}

const approvalTask = `document: {dsl: '1.0.0', namespace: test, name: race, version: '1.0.0'}
do:
  - approve:
      call: userTask
      with: {form: seizure-approval, candidateGroups: [role:supervisor]}
      output: {as: '${ .data }'}
`

// TestTwoCompletesInOneWorkflowTask delivers two completes of one task in
// the same workflow task (the worker is down while they are sent): the
// first applies, the second is refused as a conflict, and the instance
// completes with the first's data. Before the fix the second was accepted
// as well and the SDK panicked on every replay ("already set").
func TestTwoCompletesInOneWorkflowTask(t *testing.T) {
	t.Parallel() // waits on Temporal, mostly: overlap it with the other tests that do
	li := startLocal(t, "race", approvalTask, map[string]any{})
	task := li.task()
	me := Caller{Sub: "sup-1", Roles: []string{"supervisor"}}
	if _, err := li.act("claim-1", TaskAction{TaskID: task.ID, Action: "claim", Caller: me}); err != nil {
		t.Fatal(err)
	}
	li.worker.Stop()
	type result struct {
		out string
		err error
	}
	results := make(chan result, 2)
	for i, comment := range []string{"first", "second"} {
		go func() {
			out, err := li.act(fmt.Sprintf("complete-%d", i), TaskAction{TaskID: task.ID, Action: "complete", Caller: me,
				Data: map[string]any{"approved": true, "comments": comment}})
			results <- result{out, err}
		}()
	}
	time.Sleep(500 * time.Millisecond) // both Updates wait on the server
	li.startWorker()
	var ok, conflicts int
	for range 2 {
		r := <-results
		var te *TaskActionError
		switch {
		case r.err == nil && r.out == "completed":
			ok++
		case errors.As(r.err, &te) && (te.Code == "conflict" || te.Code == "gone"):
			conflicts++
		default:
			t.Fatalf("unexpected answer %q %v", r.out, r.err)
		}
	}
	if ok != 1 || conflicts != 1 {
		t.Fatalf("%d completes applied, %d refused", ok, conflicts)
	}
	o := li.outcome()
	if o.Status != StatusCompleted {
		t.Fatalf("outcome %+v", o)
	}
	if n := completions(li.platform); n != 1 {
		t.Fatalf("the task was completed %d times", n)
	}
	if c, _ := o.Output.(map[string]any)["comments"].(string); c != "first" && c != "second" {
		t.Fatalf("output %v", o.Output)
	}
}

// TestSameUpdateIDAppliesOnce: a retried request (the same Update id)
// gets the first one's outcome and the task is completed once.
func TestSameUpdateIDAppliesOnce(t *testing.T) {
	t.Parallel() // waits on Temporal, mostly: overlap it with the other tests that do
	li := startLocal(t, "retry", approvalTask, map[string]any{})
	task := li.task()
	me := Caller{Sub: "sup-1", Roles: []string{"supervisor"}}
	if _, err := li.act("claim-1", TaskAction{TaskID: task.ID, Action: "claim", Caller: me}); err != nil {
		t.Fatal(err)
	}
	done := TaskAction{TaskID: task.ID, Action: "complete", Caller: me, Data: map[string]any{"approved": true}}
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = li.act("complete-once", done)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if o := li.outcome(); o.Status != StatusCompleted {
		t.Fatalf("outcome %+v", o)
	}
	if n := completions(li.platform); n != 1 {
		t.Fatalf("the task was completed %d times", n)
	}
}

func completions(p *LocalPlatform) int {
	n := 0
	for _, c := range p.TaskChanges() {
		if c.Kind == "completed" {
			n++
		}
	}
	return n
}
