package engine

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"

	"cop/forms/examples"
	"cop/platform/testenv/temporalenv"
	"cop/workflows"
)

// Replay tests keep the interpreter deterministic: histories recorded from
// real runs of the examples in testdata/replay must replay on the current
// code without a nondeterminism error. When a change to the interpreter is
// meant to alter what an instance does, recorded instances in production
// would break the same way; guard the change with workflow.GetVersion, add
// its change ID to changeIDs, then record a new era of histories beside
// the old ones, which keep proving that instances begun before the change
// still replay:
//
//	go test ./workflows/engine -run TestReplay -update-histories
//
// Recording writes testdata/histories/<newest change ID>/ and leaves the
// other eras alone.
var updateHistories = flag.Bool("update-histories", false,
	"run each testdata/replay example on an in-memory Temporal server and write its history to testdata/histories/<newest change ID>")

const (
	replayExamples  = "testdata/replay"
	replayHistories = "testdata/histories"
)

// newestEra is where recordings of the interpreter as it is now go: the
// folder named after the newest change ID.
func newestEra() string { return filepath.Join(replayHistories, changeIDs[len(changeIDs)-1]) }

// replayCase is how one example is run when it is recorded and what it
// must output.
type replayCase struct {
	input    any
	events   []map[string]any // delivered right after the start
	taskData any              // completes every user task
	flaky    int              // calls to the stub's /flaky that fail with 503
	want     string           // the instance's output, as JSON
	// race claims the first task, then sends two completes (comments
	// "first" and "second") while the worker is down, so both arrive in
	// one workflow task.
	race bool
	// escalate completes the first task with taskData only once it has
	// escalated (its notification was sent).
	escalate bool
	// continueEvery continues the instance as new after that many tasks
	// (Start.ContinueEvery); each run's history is recorded.
	continueEvery int
	// cancel cancels the instance once it waits; it must end cancelled.
	cancel bool
}

// replayCases names every example in testdata/replay by file name.
var replayCases = map[string]replayCase{
	"data-flow": {
		input: map[string]any{"order": map[string]any{"customer": "ACME", "items": []any{
			map[string]any{"sku": "a", "price": 2, "qty": 3},
			map[string]any{"sku": "b", "price": 5, "qty": 1},
		}}, "ignored": true},
		want: `{"customer": "ACME", "count": 2, "sum": 11}`,
	},
	"switch-for": {
		input: map[string]any{"scores": []any{90, 40, 85}},
		want:  `{"verdict": "mixed", "grades": ["high", "low#1", "high"]}`,
	},
	"fork": {
		want: `{"winner": "hare", "gathered": [{"branch": "slow"}, {"branch": "quick"}]}`,
	},
	"try-retry": {
		want: `{"attempts": 3, "caught": "refused after 3 attempts", "status": 400}`,
	},
	"retry-http": {
		flaky: 2,
		want:  `{"ok": true, "calls": 3}`,
	},
	"events": {
		input: map[string]any{"ref": "R-1"},
		events: []map[string]any{
			{"specversion": "1.0", "id": "1", "source": "https://casework.example", "type": "test.replay.ignored.v1", "data": map[string]any{"answer": 0}},
			{"specversion": "1.0", "id": "2", "source": "https://casework.example", "type": "test.replay.answered.v1", "data": map[string]any{"answer": 42}},
		},
		want: `{"answer": 42, "emitted": "test.replay.requested.v1"}`,
	},
	"double": {
		input: map[string]any{"n": 5, "extra": true},
		want:  `{"doubled": 10}`,
	},
	"run-workflow": {
		input: map[string]any{"value": 20},
		want:  `{"result": 42}`,
	},
	"timeouts": {
		want: `{"timedOut": "/do/1/slow/try/0/hang"}`,
	},
	"escalation": {
		escalate: true,
		taskData: map[string]any{"arrivalDate": "2026-11-21", "port": "GBDVR", "vessel": map[string]any{"name": "Sea Breeze"}, "searched": false},
		want:     `{"port": "GBDVR", "by": "local-author"}`,
	},
	"continue": {
		input:         map[string]any{"numbers": []any{1, 2, 3, 4, 5}},
		continueEvery: 2,
		want:          `{"sum": 15}`,
	},
	"listen-until": {
		events: []map[string]any{
			{"specversion": "1.0", "id": "1", "source": "/replay", "type": "test.replay.item.v1", "data": map[string]any{"n": 1}},
			{"specversion": "1.0", "id": "2", "source": "/replay", "type": "test.replay.item.v1", "data": map[string]any{"n": 2}},
			{"specversion": "1.0", "id": "3", "source": "/replay", "type": "test.replay.item.v1", "data": map[string]any{"n": 5}},
		},
		want: `{"taken": 1}`,
	},
	"await-false": {
		want: `{"spawned": true}`,
	},
	"cancel": {
		cancel: true,
	},
	"heavy-yield": {
		want: `{"n": 100000}`,
	},
	"user-task-race": {
		race: true,
		want: `{"comments": "first", "by": "replay-supervisor"}`,
	},
	"user-task": {
		taskData: map[string]any{"arrivalDate": "2026-11-21", "port": "GBDVR", "vessel": map[string]any{"name": "Sea Breeze"}, "searched": false},
		want:     `{"port": "GBDVR", "by": "local-author"}`,
	},
}

// TestReplayUpdateHistories records the histories; it runs only with
// -update-histories. It comes before TestReplayRecordedHistories so one
// command records and then replays.
func TestReplayUpdateHistories(t *testing.T) {
	if !*updateHistories {
		t.Skip("run with -update-histories to record the newest era of testdata/histories")
	}
	names := exampleNames(t)
	c := temporalenv.Client(t)
	recording := replayRecordings.Add(1)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			tc, ok := replayCases[name]
			if !ok {
				t.Fatalf("%s.yaml has no entry in replayCases", name)
			}
			recordHistory(t, c, replayResolver(t, names), name, tc, recording)
		})
	}
}

// replayRecordings counts recordings in this process, so a second one
// (-count=2) does not reuse a workflow ID.
var replayRecordings atomic.Int32

func recordHistory(t *testing.T, c client.Client, resolver *LocalResolver, name string, tc replayCase, recording int32) {
	raw, err := os.ReadFile(filepath.Join(replayExamples, name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	w, js, err := workflows.Parse(raw)
	if err != nil {
		t.Fatalf("%s.yaml: %v", name, err)
	}
	start := Start{Definition: js, Input: tc.input, StartedBy: "replay-test", ContinueEvery: tc.continueEvery}
	if err := Pin(w, resolver, &start); err != nil {
		t.Fatalf("%s.yaml: %v", name, err)
	}

	stub := newReplayStub(tc.flaky)
	t.Cleanup(stub.Close)
	target, _ := url.Parse(stub.URL)
	refused := make(chan error, 1)
	taskData := tc.taskData
	if tc.escalate {
		taskData = nil // completed below, once the task has escalated
	}
	platform := &LocalPlatform{Client: c, TaskData: taskData, Refdata: resolver.RefData,
		Refused: func(err error) {
			select {
			case refused <- err:
			default:
			}
		}}
	acts := &Activities{
		Client:   &http.Client{Transport: replayRewrite{target}, Timeout: 30 * time.Second},
		Allow:    ParseAllowlist("stub.test"),
		Platform: platform,
	}
	queue := "replay-" + name // one queue a case: no other worker takes its tasks
	if recording > 1 {
		queue = fmt.Sprintf("%s-%d", queue, recording)
	}
	startWorker := func() worker.Worker {
		wk := worker.New(c, queue, worker.Options{})
		acts.Register(wk)
		if err := wk.Start(); err != nil {
			t.Fatalf("start worker: %v", err)
		}
		t.Cleanup(wk.Stop)
		return wk
	}
	wk := startWorker()

	id := "replay-" + name
	if recording > 1 {
		id = fmt.Sprintf("%s-%d", id, recording)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d := w.Document
	run, err := StartInstance(ctx, c, StartOptions{ID: id, TaskQueue: queue, Start: start, Namespace: d.Namespace, Name: d.Name})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range tc.events {
		if err := SendEvent(ctx, c, id, ev); err != nil {
			t.Fatalf("send event: %v", err)
		}
	}
	if tc.race {
		raceCompletes(ctx, t, c, platform, id, wk, startWorker)
	}
	if tc.escalate {
		completeAfterEscalation(ctx, t, c, platform, id, tc.taskData)
	}
	if tc.cancel {
		time.Sleep(500 * time.Millisecond) // until it waits
		if err := c.CancelWorkflow(ctx, id, ""); err != nil {
			t.Fatal(err)
		}
	}
	firstRun := run.GetRunID() // Get follows the runs an instance continues into
	done := make(chan error, 1)
	var res Result
	go func() { done <- run.Get(ctx, &res) }()
	select {
	case err = <-done:
	case err := <-refused:
		t.Fatalf("the user task was refused: %v", err)
	}
	out := OutcomeOf(&res, err)
	wantStatus := StatusCompleted
	if tc.cancel {
		wantStatus = StatusCancelled
	}
	if out.Status != wantStatus {
		b, _ := json.MarshalIndent(out, "", "  ")
		t.Fatalf("%s ended %s, not %s, so its history is not recorded:\n%s", name, out.Status, wantStatus, b)
	}
	if tc.want != "" {
		var want any
		if err := json.Unmarshal([]byte(tc.want), &want); err != nil {
			t.Fatalf("want of %s: %v", name, err)
		}
		if got := viaJSON(out.Output); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s output %s, want %s", name, mustJSON(got), mustJSON(want))
		}
	}

	// The instance's runs: name.run-1.json … for those that continued as
	// new, name.json for the last.
	files := map[string]*historypb.History{}
	var hist *historypb.History
	for runID, n := firstRun, 1; runID != ""; n++ {
		hist = fetchHistory(ctx, t, c, id, runID)
		runID = ""
		if a := hist.Events[len(hist.Events)-1].GetWorkflowExecutionContinuedAsNewEventAttributes(); a != nil {
			files[fmt.Sprintf("%s.run-%d.json", name, n)] = hist
			runID = a.GetNewExecutionRunId()
		}
	}
	files[name+".json"] = hist
	children := 0
	for _, e := range hist.Events {
		if a := e.GetChildWorkflowExecutionCompletedEventAttributes(); a != nil {
			children++
			ex := a.GetWorkflowExecution()
			files[fmt.Sprintf("%s.child-%d.json", name, children)] = fetchHistory(ctx, t, c, ex.GetWorkflowId(), ex.GetRunId())
		}
	}
	for _, pattern := range []string{name + ".child-*.json", name + ".run-*.json"} {
		stale, _ := filepath.Glob(filepath.Join(newestEra(), pattern))
		for _, f := range stale {
			if err := os.Remove(f); err != nil {
				t.Fatal(err)
			}
		}
	}
	for file, h := range files {
		writeHistory(t, filepath.Join(newestEra(), file), h)
	}
}

// tasks returns the tasks the platform holds so far.
func (p *LocalPlatform) tasks() []TaskRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]TaskRequest(nil), p.Tasks...)
}

// completeAfterEscalation waits for the task's escalation notice, then
// claims and completes the task with data.
func completeAfterEscalation(ctx context.Context, t *testing.T, c client.Client, p *LocalPlatform, id string, data any) {
	t.Helper()
	for len(p.Sent()) == 0 {
		if ctx.Err() != nil {
			t.Fatal("the task never escalated")
		}
		time.Sleep(50 * time.Millisecond)
	}
	task := p.tasks()[0]
	me := Caller{Sub: "local-author", Roles: []string{"admin"}}
	for _, a := range []TaskAction{{TaskID: task.ID, Action: "claim", Caller: me}, {TaskID: task.ID, Action: "complete", Caller: me, Data: data}} {
		if _, err := ActOnTask(ctx, c, id, "", a); err != nil {
			t.Fatalf("%s: %v", a.Action, err)
		}
	}
}

// raceCompletes claims the instance's task, stops the worker, sends two
// completes and starts a worker again: both Updates reach the instance in
// one workflow task, and exactly one may apply.
func raceCompletes(ctx context.Context, t *testing.T, c client.Client, p *LocalPlatform, id string, wk worker.Worker, startWorker func() worker.Worker) {
	t.Helper()
	var task TaskRequest
	for task.ID == "" {
		if ctx.Err() != nil {
			t.Fatal("the instance created no task")
		}
		if tasks := p.tasks(); len(tasks) > 0 {
			task = tasks[0]
		}
		time.Sleep(20 * time.Millisecond)
	}
	me := Caller{Sub: "replay-supervisor", Roles: []string{"supervisor"}}
	for {
		_, err := ActOnTask(ctx, c, id, "claim", TaskAction{TaskID: task.ID, Action: "claim", Caller: me})
		var te *TaskActionError
		if errors.As(err, &te) && te.Code == "gone" {
			time.Sleep(20 * time.Millisecond) // the task is registered once its activity returns
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		break
	}
	wk.Stop()
	errs := make(chan error, 2)
	first := make(chan struct{})
	for i, comment := range []string{"first", "second"} {
		go func() {
			if i == 1 {
				<-first // the first Update reaches the server first
			}
			_, err := ActOnTask(ctx, c, id, "complete-"+comment, TaskAction{TaskID: task.ID, Action: "complete", Caller: me,
				Data: map[string]any{"approved": true, "comments": comment}})
			errs <- err
		}()
	}
	time.Sleep(300 * time.Millisecond)
	close(first)
	time.Sleep(300 * time.Millisecond)
	startWorker()
	var refused int
	for range 2 {
		err := <-errs
		var te *TaskActionError
		if errors.As(err, &te) && te.Code == "conflict" {
			refused++
		} else if err != nil {
			t.Fatalf("complete: %v", err)
		}
	}
	if refused != 1 {
		t.Fatalf("%d of two racing completes were refused", refused)
	}
}

func fetchHistory(ctx context.Context, t *testing.T, c client.Client, id, runID string) *historypb.History {
	t.Helper()
	hist := &historypb.History{}
	it := c.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", id, err)
		}
		hist.Events = append(hist.Events, e)
	}
	n := len(hist.Events)
	if n == 0 {
		t.Fatalf("history of %s is empty", id)
	}
	switch hist.Events[n-1].GetEventType() {
	case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
	default:
		t.Fatalf("history of %s ends with %s, not its completion, cancellation or continuation", id, hist.Events[n-1].GetEventType())
	}
	return hist
}

// writeHistory writes the JSON `temporal workflow show --output json`
// writes, which ReplayWorkflowHistoryFromJSONFile reads.
func writeHistory(t *testing.T, path string, h *historypb.History) {
	t.Helper()
	b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d events)", path, len(h.Events))
}

// TestReplayRecordedHistories replays every recorded history on the
// interpreter registered as the worker registers it, and checks the replay
// ends with the output the instance had.
func TestReplayRecordedHistories(t *testing.T) {
	files := historyFiles(t)
	for _, file := range files {
		era := filepath.Base(filepath.Dir(file))
		t.Run(era+"/"+strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
			h := loadHistory(t, file)
			replayer := worker.NewWorkflowReplayer()
			(&Activities{}).Register(replayRegistry{replayer: replayer})
			id, err := replay(t, replayer, h)
			if err != nil {
				t.Fatalf("%s no longer replays on the interpreter: a nondeterministic change? Guard it with workflow.GetVersion, or, if no instance anywhere can hold this history, record again with -update-histories:\n%v", file, err)
			}
			if h.Events[len(h.Events)-1].GetWorkflowExecutionCompletedEventAttributes() == nil {
				return // a run that continued as new, or was cancelled: it replayed, with no output to compare
			}
			recorded := recordedOutput(t, file, h)
			results, ok := replayer.(interface{ GetWorkflowResult(string, any) error })
			if !ok {
				t.Fatalf("the SDK's replayer (%T) no longer gives the replayed result", replayer)
			}
			var res Result
			if err := results.GetWorkflowResult(id, &res); err != nil {
				t.Fatalf("%s: the replayed result: %v", file, err)
			}
			if got := viaJSON(res.Output); !reflect.DeepEqual(got, recorded) {
				t.Fatalf("%s replays without a nondeterminism error, but outputs %s where the recorded instance output %s", file, mustJSON(got), mustJSON(recorded))
			}
		})
	}
}

// loadHistory reads a history file as ReplayWorkflowHistoryFromJSONFile
// does.
func loadHistory(t *testing.T, file string) *historypb.History {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatalf("%v (record the histories with go test ./workflows/engine -run TestReplay -update-histories)", err)
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if len(h.Events) == 0 || h.Events[0].GetWorkflowExecutionStartedEventAttributes() == nil {
		t.Fatalf("%s does not start with the instance's start", file)
	}
	return h
}

// replay replays h under its recorded workflow ID (the file replayer
// would say "ReplayId", and the interpreter names child workflows after
// their parent's ID) and returns that ID.
func replay(t *testing.T, r worker.WorkflowReplayer, h *historypb.History) (string, error) {
	t.Helper()
	started := h.Events[0].GetWorkflowExecutionStartedEventAttributes()
	ex := workflow.Execution{ID: started.GetWorkflowId(), RunID: started.GetOriginalExecutionRunId()}
	return ex.ID, r.ReplayWorkflowHistoryWithOptions(replayLogger(t), h, worker.ReplayWorkflowHistoryOptions{OriginalExecution: ex})
}

// recordedOutput reads the output in a history's completion event.
func recordedOutput(t *testing.T, file string, h *historypb.History) any {
	t.Helper()
	last := h.Events[len(h.Events)-1].GetWorkflowExecutionCompletedEventAttributes()
	if last == nil {
		t.Fatalf("%s does not end with the instance's completion", file)
	}
	var res Result
	if err := converter.GetDefaultDataConverter().FromPayloads(last.GetResult(), &res); err != nil {
		t.Fatalf("%s: the recorded result: %v", file, err)
	}
	return viaJSON(res.Output)
}

// replayLogger sends the SDK's warnings (a nondeterminism panic's stack)
// to the test log.
func replayLogger(t *testing.T) tlog.Logger {
	return tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestReplayExamplesAreRecorded keeps examples, cases and histories in
// step: every example parses, has a case and a recorded history.
func TestReplayExamplesAreRecorded(t *testing.T) {
	names := exampleNames(t)
	seen := map[string]bool{}
	for _, name := range names {
		seen[name] = true
		raw, err := os.ReadFile(filepath.Join(replayExamples, name+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := workflows.Parse(raw); err != nil {
			t.Errorf("%s.yaml does not parse: %v", name, err)
		}
		if _, ok := replayCases[name]; !ok {
			t.Errorf("%s.yaml has no entry in replayCases", name)
		}
		if _, err := os.Stat(filepath.Join(newestEra(), name+".json")); err != nil {
			t.Errorf("%s.yaml has no history recorded in %s, the newest change's era: run go test ./workflows/engine -run TestReplay -update-histories", name, newestEra())
		}
	}
	for name := range replayCases {
		if !seen[name] {
			t.Errorf("replayCases names %s, but there is no %s/%s.yaml", name, replayExamples, name)
		}
	}
	for _, file := range historyFiles(t) {
		if era := filepath.Base(filepath.Dir(file)); !slices.Contains(changeIDs, era) {
			t.Errorf("%s is in an era named after no change ID (%s): eras are named after the newest change they were recorded at", file, era)
		}
		base, _, _ := strings.Cut(strings.TrimSuffix(filepath.Base(file), ".json"), ".child-")
		base, _, _ = strings.Cut(base, ".run-")
		if !seen[base] {
			t.Errorf("%s was recorded from no example in %s: delete it", file, replayExamples)
		}
	}
}

// TestReplayCatchesNondeterminism proves the replay test has teeth: a
// history altered as an interpreter change would alter it, and an
// interpreter changed in what it commands, both fail to replay.
func TestReplayCatchesNondeterminism(t *testing.T) {
	file := filepath.Join(newestEra(), "retry-http.json")
	load := func(t *testing.T) *historypb.History { return loadHistory(t, file) }
	production := func() worker.WorkflowReplayer {
		r := worker.NewWorkflowReplayer()
		(&Activities{}).Register(replayRegistry{replayer: r})
		return r
	}
	mustFail := func(t *testing.T, r worker.WorkflowReplayer, h *historypb.History) {
		t.Helper()
		_, err := replay(t, r, h)
		if err == nil {
			t.Fatal("the replayer accepted a history that does not match the interpreter")
		}
		// TMPRL1100 is the SDK's code for a nondeterminism error.
		if !strings.Contains(err.Error(), "TMPRL1100") {
			t.Fatalf("replay failed, but not for nondeterminism: %v", err)
		}
		t.Logf("replay refused, as it must: %v", firstLine(err.Error()))
	}

	t.Run("unaltered history replays", func(t *testing.T) {
		// The control: the failures below come from the alterations.
		if _, err := replay(t, production(), load(t)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("activity type renamed", func(t *testing.T) {
		// As if the interpreter had called a different activity at this
		// point when the instance ran.
		h := load(t)
		renamed := 0
		for _, e := range h.Events {
			if a := e.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == activityHTTP {
				a.ActivityType.Name = activityHTTP + ".v0"
				renamed++
				break
			}
		}
		if renamed == 0 {
			t.Fatalf("%s schedules no %s activity to rename", file, activityHTTP)
		}
		mustFail(t, production(), h)
	})

	t.Run("activity and its retry timer reordered", func(t *testing.T) {
		// As if the interpreter had once slept before calling: the first
		// workflow task's command events swap places with the next one's.
		h := load(t)
		first := indexOfEvent(h, enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
		timer := indexOfEvent(h, enumspb.EVENT_TYPE_TIMER_STARTED)
		if first < 0 || timer < 0 {
			t.Fatalf("%s has no activity and timer to reorder", file)
		}
		swapCommandEvents(h, first, timer)
		mustFail(t, production(), h)
	})

	t.Run("interpreter commands a timer first", func(t *testing.T) {
		// The recorded history is untouched; the interpreter is changed
		// to sleep before it runs the definition.
		r := worker.NewWorkflowReplayer()
		r.RegisterDynamicWorkflow(func(ctx workflow.Context, args converter.EncodedValues) (*Result, error) {
			if err := workflow.Sleep(ctx, time.Second); err != nil {
				return nil, err
			}
			return Interpret(ctx, args)
		}, workflow.DynamicRegisterOptions{})
		mustFail(t, r, load(t))
	})
}

func indexOfEvent(h *historypb.History, typ enumspb.EventType) int {
	for i, e := range h.Events {
		if e.GetEventType() == typ {
			return i
		}
	}
	return -1
}

// swapCommandEvents swaps the attributes of two command events (an
// ActivityTaskScheduled and a TimerStarted), keeping event IDs in order,
// and points the events that refer to them at their new IDs.
func swapCommandEvents(h *historypb.History, a, b int) {
	ea, eb := h.Events[a], h.Events[b]
	idA, idB := ea.EventId, eb.EventId
	na := proto.Clone(eb).(*historypb.HistoryEvent)
	nb := proto.Clone(ea).(*historypb.HistoryEvent)
	na.EventId, na.EventTime, nb.EventId, nb.EventTime = idA, ea.EventTime, idB, eb.EventTime
	h.Events[a], h.Events[b] = na, nb
	for _, e := range h.Events {
		if x := e.GetActivityTaskStartedEventAttributes(); x != nil && x.ScheduledEventId == idA {
			x.ScheduledEventId = idB
		}
		if x := e.GetActivityTaskCompletedEventAttributes(); x != nil && x.ScheduledEventId == idA {
			x.ScheduledEventId = idB
		}
		if x := e.GetActivityTaskFailedEventAttributes(); x != nil && x.ScheduledEventId == idA {
			x.ScheduledEventId = idB
		}
		if x := e.GetTimerFiredEventAttributes(); x != nil && x.StartedEventId == idB {
			x.StartedEventId = idA
		}
	}
}

// replayRegistry lets Activities.Register, the production registration,
// register the interpreter on a replayer. Activities do not replay, so
// they are dropped; the nil Registry only completes the method set (a
// Nexus service registered in production would panic here, to be looked
// at).
type replayRegistry struct {
	worker.Registry
	replayer worker.WorkflowReplayer
}

func (r replayRegistry) RegisterWorkflow(w any) { r.replayer.RegisterWorkflow(w) }
func (r replayRegistry) RegisterWorkflowWithOptions(w any, o workflow.RegisterOptions) {
	r.replayer.RegisterWorkflowWithOptions(w, o)
}
func (r replayRegistry) RegisterDynamicWorkflow(w any, o workflow.DynamicRegisterOptions) {
	r.replayer.RegisterDynamicWorkflow(w, o)
}
func (replayRegistry) RegisterActivity(any)                                         {}
func (replayRegistry) RegisterActivityWithOptions(any, activity.RegisterOptions)    {}
func (replayRegistry) RegisterDynamicActivity(any, activity.DynamicRegisterOptions) {}

func exampleNames(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(replayExamples, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no examples in %s", replayExamples)
	}
	var names []string
	for _, f := range files {
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".yaml"))
	}
	sort.Strings(names)
	return names
}

func historyFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(replayHistories, "*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no recorded histories in %s: record them with go test ./workflows/engine -run TestReplay -update-histories", replayHistories)
	}
	sort.Strings(files)
	return files
}

// replayResolver holds the example pack's forms, terms and reference data
// and every example, so run: workflow tasks can pin one another.
func replayResolver(t *testing.T, names []string) *LocalResolver {
	t.Helper()
	r := NewLocalResolver()
	add := map[string]func([]byte) error{"forms": r.AddForm, "terms": r.AddTerm, "refdata": r.AddRefData}
	for _, f := range examples.All() {
		if err := add[f.Kind](f.Content); err != nil {
			t.Fatalf("example %s: %v", f.Name, err)
		}
	}
	for _, name := range names {
		raw, err := os.ReadFile(filepath.Join(replayExamples, name+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if err := r.AddWorkflow(raw); err != nil {
			t.Fatalf("%s.yaml: %v", name, err)
		}
	}
	return r
}

// replayStub answers call: http tasks sent to http://stub.test: /flaky
// fails with 503 a given number of times, then answers how many calls it
// had.
type replayStub struct {
	*httptest.Server
	mu    sync.Mutex
	fail  int
	calls int
}

func newReplayStub(fail int) *replayStub {
	s := &replayStub{fail: fail}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/flaky" {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"message":"not found"}`))
			return
		}
		s.mu.Lock()
		s.calls++
		calls, failing := s.calls, s.calls <= s.fail
		s.mu.Unlock()
		if failing {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"message":"try again"}`))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "calls": calls})
	}))
	return s
}

// replayRewrite sends every outbound call to the stub.
type replayRewrite struct{ target *url.URL }

func (rw replayRewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host = rw.target.Scheme, rw.target.Host
	return http.DefaultTransport.RoundTrip(r)
}

func viaJSON(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// TestEveryChangeIDIsListed keeps changeIDs whole: a GetVersion change ID
// declared in interpreter.go but missing from the list would get no era
// of recordings.
func TestEveryChangeIDIsListed(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "interpreter.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	declared := 0
	ast.Inspect(f, func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range spec.Names {
			if !strings.HasPrefix(name.Name, "change") || name.Name == "changeIDs" || i >= len(spec.Values) {
				continue
			}
			lit, ok := spec.Values[i].(*ast.BasicLit)
			if !ok {
				continue
			}
			declared++
			if id, _ := strconv.Unquote(lit.Value); !slices.Contains(changeIDs, id) {
				t.Errorf("change ID %s (%s) is not in changeIDs", id, name.Name)
			}
		}
		return true
	})
	if declared != len(changeIDs) {
		t.Errorf("interpreter.go declares %d change IDs; changeIDs lists %d", declared, len(changeIDs))
	}
}
