package cli_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestWorkflowsRun runs definitions through `cop workflows run` as an
// author would: completing, faulting, waiting on a user task and an event.
func TestWorkflowsRun(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		_ = os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	approval := write("approval.yaml", `
document: {dsl: '1.0.3', namespace: cop, name: seizure-approval, version: '1.0.0'}
do:
  - record:
      set:
        item: ${ .item }
  - approve:
      call: userTask
      with:
        form: arrival-report
        title: Approve seizure
        candidateGroups: [ role:supervisor ]
      export:
        as: '{ approval: . }'
  - outcome:
      listen:
        to:
          one:
            with: { type: uk.gov.borderforce.outcome.v1 }
  - done:
      set:
        item: ${ $context.approval.data.port }
        outcome: ${ .[0].outcome }
`)
	events := write("events.jsonl", `{"specversion":"1.0","id":"1","source":"https://casework.example","type":"uk.gov.borderforce.outcome.v1","data":{"outcome":"destroyed"}}`+"\n")
	data := `{"arrivalDate":"2026-11-21","port":"GBDVR","vessel":{"name":"Sea Breeze"},"searched":false}`
	cmd := exec.Command(copBinary(t), "workflows", "run", approval, "--json", "--input", `{"item":"cocaine"}`, "--task-data", data, "--event", events)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	var got struct {
		Status string
		Output map[string]any
		Trace  []struct{ Name, Position, Status string }
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("--json printed more than one object: %v\n%s", err, out)
	}
	if got.Status != "completed" || got.Output["item"] != "GBDVR" || got.Output["outcome"] != "destroyed" {
		t.Errorf("outcome: %s", out)
	}
	if len(got.Trace) != 4 || got.Trace[1].Name != "approve" || got.Trace[1].Position != "/do/1/approve" || got.Trace[3].Status != "completed" {
		t.Errorf("trace: %+v", got.Trace)
	}

	raise := write("raise.yaml", `
document: {dsl: '1.0.3', namespace: cop, name: refuse, version: '1.0.0'}
do:
  - refuse:
      raise:
        error: { type: https://cop.example/errors/refused, status: 422, title: Refused }
`)
	out, err = exec.Command(copBinary(t), "workflows", "run", raise).CombinedOutput()
	if exitCode(err) != 1 || !strings.Contains(string(out), "status: faulted") || !strings.Contains(string(out), `"instance": "/do/0/refuse"`) {
		t.Errorf("fault: exit %d\n%s", exitCode(err), out)
	}

	out, err = exec.Command(copBinary(t), "workflows", "run", approval, "--task-data", `{"port":"nowhere"}`).CombinedOutput()
	if exitCode(err) != 1 || !strings.Contains(string(out), "complete refused") || !strings.Contains(string(out), "/arrivalDate: Enter a date of arrival") {
		t.Errorf("task data the form rejects: exit %d\n%s", exitCode(err), out)
	}
}

// TestWorkflowsValidate checks definitions offline and names each problem
// with its pointer.
func TestWorkflowsValidate(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		_ = os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	cases := []struct{ name, doc, want string }{
		{"yaml.yaml", "document: [", "is not valid YAML or JSON"},
		{"schema.yaml", "document: {dsl: '1.0.0', namespace: a, name: b}\ndo: []\n", "/document: required field 'version' is missing"},
		{"then.yaml", "document: {dsl: '1.0.0', namespace: a, name: b, version: '1.0.0'}\ndo:\n  - a: {set: {x: 1}, then: nowhere}\n", `/do/0/a/then: then "nowhere" names no task`},
		{"jq.yaml", "document: {dsl: '1.0.0', namespace: a, name: b, version: '1.0.0'}\ndo:\n  - a: {set: {x: '${ .x | }'}}\n", "/do/0/a/set/x: expression"},
		{"now.yaml", "document: {dsl: '1.0.0', namespace: a, name: b, version: '1.0.0'}\ndo:\n  - a: {set: {x: '${ now }'}}\n", "now is not allowed"},
		{"container.yaml", "document: {dsl: '1.0.0', namespace: a, name: b, version: '1.0.0'}\ndo:\n  - a: {run: {container: {image: alpine}}}\n", "/do/0/a/run/container: run.container is not supported"},
		{"form.yaml", "document: {dsl: '1.0.0', namespace: a, name: b, version: '1.0.0'}\ndo:\n  - a: {call: userTask, with: {form: no-such-form, candidateGroups: ['role:officer']}}\n", "no form no-such-form is loaded"},
	}
	for _, c := range cases {
		out, err := exec.Command(copBinary(t), "workflows", "validate", write(c.name, c.doc)).CombinedOutput()
		if exitCode(err) != 1 || !strings.Contains(string(out), c.want) {
			t.Errorf("%s: exit %d, want %q in\n%s", c.name, exitCode(err), c.want, out)
		}
	}
	good := write("good.yaml", "document: {dsl: '1.0.0', namespace: a, name: b, version: '1.0.0'}\ndo:\n  - a: {set: {x: 1}}\n")
	if out, err := exec.Command(copBinary(t), "workflows", "validate", good).CombinedOutput(); err != nil || !strings.Contains(string(out), "workflow a/b 1.0.0: valid") {
		t.Errorf("valid: %v\n%s", err, out)
	}
}
