package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cucumber/godog"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.yaml.in/yaml/v3"

	"cop/forms/examples"
	"cop/platform/testenv"
	"cop/platform/testenv/temporalenv"
	"cop/workflows"
	"cop/workflows/engine"
)

const taskQueue = "conformance"

var (
	temporal client.Client
	platform *engine.LocalPlatform
	stubs    *stub
	resolver *engine.LocalResolver
)

func TestMain(m *testing.M) { testenv.Main(m, temporalenv.Stop) }

// TestKit runs the specification's conformance scenarios (a copy of
// ../shared/conformance/serverless-workflow/features, checked below) and
// COP's own further scenarios against the interpreter on a real Temporal
// server.
func TestKit(t *testing.T) {
	startWorker(t)
	suite := godog.TestSuite{
		Name:                "serverless-workflow",
		ScenarioInitializer: initScenario,
		Options: &godog.Options{
			Format: "pretty", Paths: []string{"features/kit", "features/cop"},
			Strict: true, NoColors: true, TestingT: t, Output: testOutput{t},
		},
	}
	if suite.Run() != 0 {
		t.Fatal("conformance scenarios failed")
	}
}

// TestKitCopyIsCurrent keeps features/kit equal to the shared kit when the
// shared folder is present (it is beside the repository in development).
func TestKitCopyIsCurrent(t *testing.T) {
	shared := "../../../shared/conformance/serverless-workflow/features"
	files, _ := filepath.Glob(filepath.Join(shared, "*.feature"))
	if len(files) == 0 {
		t.Skip("the shared kit is not beside this checkout")
	}
	for _, f := range files {
		want, _ := os.ReadFile(f)
		got, err := os.ReadFile(filepath.Join("features/kit", filepath.Base(f)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("features/kit/%s differs from the shared kit: copy it again", filepath.Base(f))
		}
	}
}

type testOutput struct{ t *testing.T }

func (o testOutput) Write(p []byte) (int, error) {
	if testing.Verbose() {
		o.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func startWorker(t *testing.T) {
	if temporal != nil {
		return
	}
	temporal = temporalenv.Client(t)
	stubs = newStub()
	target, _ := url.Parse(stubs.URL)
	resolver = engine.NewLocalResolver()
	for _, f := range examples.All() {
		var err error
		switch f.Kind {
		case "forms":
			err = resolver.AddForm(f.Content)
		case "terms":
			err = resolver.AddTerm(f.Content)
		case "refdata":
			err = resolver.AddRefData(f.Content)
		}
		if err != nil {
			t.Fatalf("load example %s: %v", f.Name, err)
		}
	}
	platform = &engine.LocalPlatform{Client: temporal, Refdata: resolver.RefData}
	acts := &engine.Activities{
		Client:   &http.Client{Transport: rewrite{target}, Timeout: 30 * time.Second},
		Allow:    engine.ParseAllowlist("petstore.swagger.io,httpbin.org,stub.test"),
		Platform: platform,
		Secret: func(name string) (string, bool) {
			v, ok := map[string]string{"petstoreToken": "s3cret", "httpbinLogin": "serverless-workflow:conformance-test"}[name]
			return v, ok
		},
		SecretHosts: func(name string) (string, bool) {
			v, ok := map[string]string{"petstoreToken": "petstore.swagger.io,stub.test", "httpbinLogin": "httpbin.org"}[name]
			return v, ok
		},
	}
	w := worker.New(temporal, taskQueue, worker.Options{})
	acts.Register(w)
	if err := w.Start(); err != nil {
		t.Fatalf("start worker: %v", err)
	}
	t.Cleanup(w.Stop)
}

// scenario is one scenario's state.
type scenario struct {
	definition []byte
	input      any
	events     []map[string]any
	taskData   any
	outcome    *engine.Outcome
	refused    workflows.Problems // set when the definition was refused
}

func initScenario(sc *godog.ScenarioContext) {
	s := &scenario{}
	sc.Step(`^a workflow with definition:$`, s.withDefinition)
	sc.Step(`^given the workflow input is:$`, s.withInput)
	sc.Step(`^the workflow input is:$`, s.withInput)
	sc.Step(`^the workflow receives the event:$`, s.withEvent)
	sc.Step(`^user tasks are completed with:$`, s.withTaskData)
	sc.Step(`^the stub fails the next (\d+) calls to /flaky$`, s.flaky)
	sc.Step(`^the workflow is executed$`, s.execute)
	sc.Step(`^the workflow should complete$`, s.shouldComplete)
	sc.Step(`^the workflow should complete with output:$`, s.shouldCompleteWith)
	sc.Step(`^the workflow should fault$`, s.shouldFault)
	sc.Step(`^the workflow should fault with error:$`, s.shouldFaultWith)
	sc.Step(`^the workflow should be refused with a problem at '([^']*)' saying '([^']*)'$`, s.shouldBeRefused)
	sc.Step(`^the workflow output should have properties (.+)$`, s.outputHasProperties)
	sc.Step(`^the workflow output should have a '([^']*)' property with value:$`, s.outputPropertyValue)
	sc.Step(`^the workflow output should have a '([^']*)' property containing (\d+) items$`, s.outputPropertyCount)
	sc.Step(`^(\w+) should run first$`, s.runsFirst)
	sc.Step(`^(\w+) should run last$`, s.runsLast)
	sc.Step(`^(\w+) should run after (\w+)$`, s.runsAfter)
	sc.Step(`^(\w+) should not run$`, s.doesNotRun)
	sc.Step(`^a notification titled '([^']*)' should have been sent to '([^']*)'$`, s.notified)
}

func yamlValue(doc string) (any, error) {
	var v any
	if err := yaml.Unmarshal([]byte(doc), &v); err != nil {
		return nil, err
	}
	// Through JSON, so numbers and maps compare as the engine's output.
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	return out, json.Unmarshal(b, &out)
}

func (s *scenario) withDefinition(doc *godog.DocString) error {
	s.definition = []byte(doc.Content)
	return nil
}

func (s *scenario) withInput(doc *godog.DocString) (err error) {
	s.input, err = yamlValue(doc.Content)
	return err
}

func (s *scenario) withEvent(doc *godog.DocString) error {
	v, err := yamlValue(doc.Content)
	if err != nil {
		return err
	}
	ev, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("an event is an object")
	}
	s.events = append(s.events, ev)
	return nil
}

func (s *scenario) withTaskData(doc *godog.DocString) (err error) {
	s.taskData, err = yamlValue(doc.Content)
	return err
}

func (s *scenario) flaky(n int) error {
	stubs.flaky.Store(int32(n))
	return nil
}

func (s *scenario) execute() error {
	w, js, err := workflows.Parse(s.definition)
	if err != nil {
		if ps, ok := err.(workflows.Problems); ok {
			s.refused = ps
			return nil
		}
		return err
	}
	start := engine.Start{Definition: js, Input: s.input}
	if err := engine.Pin(w, resolver, &start); err != nil {
		return err
	}
	id := fmt.Sprintf("kit-%s-%d", w.Document.Name, time.Now().UnixNano())
	if s.taskData != nil {
		platform.SetTaskData(id, s.taskData)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, err := engine.StartInstance(ctx, temporal, engine.StartOptions{ID: id, TaskQueue: taskQueue, Start: start, Namespace: w.Document.Namespace, Name: w.Document.Name})
	if err != nil {
		return err
	}
	for _, ev := range s.events {
		if err := engine.SendEvent(ctx, temporal, id, ev); err != nil {
			return fmt.Errorf("send event: %w", err)
		}
	}
	var res engine.Result
	err = run.Get(ctx, &res)
	s.outcome = engine.OutcomeOf(&res, err)
	s.outcome.Trace = platform.TraceOf(id, s.outcome.Trace)
	return nil
}

func (s *scenario) describe() string {
	b, _ := json.MarshalIndent(s.outcome, "", "  ")
	return string(b)
}

func (s *scenario) shouldComplete() error {
	if ps := s.refused; ps != nil {
		return fmt.Errorf("the definition was refused: %v", ps)
	}
	if s.outcome.Status != engine.StatusCompleted {
		return fmt.Errorf("expected the workflow to complete, got %s", s.describe())
	}
	return nil
}

func (s *scenario) shouldCompleteWith(doc *godog.DocString) error {
	if err := s.shouldComplete(); err != nil {
		return err
	}
	want, err := yamlValue(doc.Content)
	if err != nil {
		return err
	}
	if !equalJSON(want, s.outcome.Output) {
		return fmt.Errorf("expected output %v, got %s", want, s.describe())
	}
	return nil
}

func (s *scenario) shouldFault() error {
	if ps := s.refused; ps != nil {
		return fmt.Errorf("the definition was refused: %v", ps)
	}
	if s.outcome.Status != engine.StatusFaulted {
		return fmt.Errorf("expected the workflow to fault, got %s", s.describe())
	}
	return nil
}

func (s *scenario) shouldFaultWith(doc *godog.DocString) error {
	if err := s.shouldFault(); err != nil {
		return err
	}
	want, err := yamlValue(doc.Content)
	if err != nil {
		return err
	}
	got := toGeneric(s.outcome.Error)
	for k, v := range want.(map[string]any) {
		if !equalJSON(v, got.(map[string]any)[k]) {
			return fmt.Errorf("expected error %s to be %v, got %s", k, v, s.describe())
		}
	}
	return nil
}

func (s *scenario) shouldBeRefused(pointer, phrase string) error {
	ps := s.refused
	for _, p := range ps {
		if p.Pointer == pointer && strings.Contains(p.Message, phrase) {
			return nil
		}
	}
	return fmt.Errorf("expected a problem at %s saying %q, got %v", pointer, phrase, ps)
}

var quoted = regexp.MustCompile(`'([^']*)'`)

func (s *scenario) outputHasProperties(list string) error {
	for _, m := range quoted.FindAllStringSubmatch(list, -1) {
		if _, ok := lookup(s.outcome.Output, m[1]); !ok {
			return fmt.Errorf("output has no %q: %s", m[1], s.describe())
		}
	}
	return nil
}

func (s *scenario) outputPropertyValue(path string, doc *godog.DocString) error {
	want, err := yamlValue(doc.Content)
	if err != nil {
		return err
	}
	got, ok := lookup(s.outcome.Output, path)
	if !ok || !equalJSON(want, got) {
		return fmt.Errorf("expected %s = %v, got %s", path, want, s.describe())
	}
	return nil
}

func (s *scenario) outputPropertyCount(path string, n int) error {
	got, ok := lookup(s.outcome.Output, path)
	list, isList := got.([]any)
	if !ok || !isList || len(list) != n {
		return fmt.Errorf("expected %s to hold %d items, got %s", path, n, s.describe())
	}
	return nil
}

// ran lists the tasks that ran, in the order they started.
func (s *scenario) ran() []string {
	var out []string
	for _, e := range s.outcome.Trace {
		if e.Status != "skipped" {
			out = append(out, e.Name)
		}
	}
	return out
}

func (s *scenario) runsFirst(name string) error {
	r := s.ran()
	if len(r) == 0 || r[0] != name {
		return fmt.Errorf("expected %s to run first, ran %v", name, r)
	}
	return nil
}

func (s *scenario) runsLast(name string) error {
	r := s.ran()
	if len(r) == 0 || r[len(r)-1] != name {
		return fmt.Errorf("expected %s to run last, ran %v", name, r)
	}
	return nil
}

func (s *scenario) runsAfter(later, earlier string) error {
	r := s.ran()
	ie, il := index(r, earlier), index(r, later)
	if ie < 0 || il < 0 || il != ie+1 {
		return fmt.Errorf("expected %s to run right after %s, ran %v", later, earlier, r)
	}
	return nil
}

func (s *scenario) doesNotRun(name string) error {
	if index(s.ran(), name) >= 0 {
		return fmt.Errorf("expected %s not to run, ran %v", name, s.ran())
	}
	return nil
}

func (s *scenario) notified(title, to string) error {
	for _, n := range platform.Sent() {
		if n.Title == title && index(n.To, to) >= 0 {
			return nil
		}
	}
	return fmt.Errorf("no notification %q to %s among %v", title, to, platform.Sent())
}

func index(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// lookup follows a dotted path ("request.method") into a value.
func lookup(v any, path string) (any, bool) {
	cur := v
	for _, part := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			next, ok := c[part]
			if !ok {
				return nil, false
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

func toGeneric(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func equalJSON(a, b any) bool { return reflect.DeepEqual(toGeneric(a), toGeneric(b)) }
