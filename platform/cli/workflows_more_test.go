package cli_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runCop runs bin/cop and returns its stdout, stderr and exit status.
func runCop(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(copBinary(t), args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), exitCode(err)
}

func writeFiles(t *testing.T, files map[string]string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	paths := map[string]string{}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		paths[name] = p
	}
	return paths
}

// vehicleCheck is a start form given with --with: registration (required),
// make and colour.
const vehicleCheck = `{"name": "vehicle-check", "version": "1.0.0", "title": "Check a vehicle", "casePrefix": "VEH",
  "schema": {"type": "object", "additionalProperties": false, "required": ["registration"],
    "properties": {
      "registration": {"type": "string", "title": "Registration", "errorMessage": {"required": "Enter the registration"}},
      "make": {"type": "string", "title": "Make"},
      "colour": {"type": "string", "title": "Colour"}}}}`

// vehicleWorkflow starts from vehicle-check; its check reads misspelt
// when misspelt is "registraton".
func vehicleWorkflow(misspelt string) string {
	return `
document: {dsl: '1.0.3', namespace: cop, name: vehicle, version: '1.0.0', metadata: {startForm: vehicle-check}}
input: {from: .submission}
do:
  - note:
      call: notify
      with:
        to: [ role:officer ]
        title: '${ "Vehicle \(.data.registration) arrived" }'
        body: '${ "A \(.data.colour // "") \(.data.make // "vehicle") is at the gate." }'
        link: '${ "/cases/\(.businessKey)" }'
      output: {as: $input}
  - check:
      if: .data.` + misspelt + ` == "AB12CDE"
      set: {flagged: true}
  - done:
      set: '${ {flagged: (.flagged // false), submission: $workflow.input.submission} }'
`
}

// TestWorkflowsRunReportsTasksAndNotifications: --json lists the user
// tasks the run created and the notifications it sent, [] when none; the
// text output lists them after the trace.
func TestWorkflowsRunReportsTasksAndNotifications(t *testing.T) {
	f := writeFiles(t, map[string]string{
		"review.yaml": `
document: {dsl: '1.0.3', namespace: cop, name: review, version: '1.0.0'}
do:
  - review:
      call: userTask
      with:
        form: seizure-approval
        title: '${ "Review \(.item)" }'
        candidateGroups: [ role:supervisor ]
        priority: 2
        reason: A seizure needs a supervisor
        due: PT4H
  - tell:
      call: notify
      with:
        to: [ user:dev-officer, role:supervisor ]
        title: Reviewed
        body: '${ "Approved: \(.data.approved)" }'
        link: /cases/SEIZ-1
        channels: [ inapp, email ]
`,
		"quiet.yaml": "document: {dsl: '1.0.3', namespace: cop, name: quiet, version: '1.0.0'}\ndo:\n  - a: {set: {x: 1}}\n",
	})
	stdout, stderr, code := runCop(t, "workflows", "run", f["review.yaml"], "--json", "--input", `{"item": "cocaine"}`, "--task-data", `{"approved": true}`)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	var got struct {
		Status string
		Tasks  []struct {
			Position, Title, Form, FormVersion, Reason, Status string
			CandidateGroups                                    []string
			Priority                                           int
			Due                                                *string
		}
		Notifications []struct {
			Instance, Title, Body, Link string
			To, Channels                []string
		}
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("--json printed more than one object: %v\n%s", err, stdout)
	}
	if got.Status != "completed" || len(got.Tasks) != 1 || len(got.Notifications) != 1 {
		t.Fatalf("run: %s", stdout)
	}
	task := got.Tasks[0]
	if task.Position != "/do/0/review" || task.Title != "Review cocaine" || task.Form != "seizure-approval" || task.FormVersion != "1.0.0" ||
		strings.Join(task.CandidateGroups, ",") != "role:supervisor" || task.Priority != 2 || task.Reason != "A seizure needs a supervisor" ||
		task.Due == nil || task.Status != "completed" {
		t.Errorf("task %+v", task)
	}
	n := got.Notifications[0]
	if strings.Join(n.To, ",") != "user:dev-officer,role:supervisor" || n.Title != "Reviewed" || n.Body != "Approved: true" ||
		n.Link != "/cases/SEIZ-1" || strings.Join(n.Channels, ",") != "inapp,email" || n.Instance != "local-review" {
		t.Errorf("notification %+v", n)
	}

	stdout, stderr, code = runCop(t, "workflows", "run", f["review.yaml"], "--input", `{"item": "cocaine"}`, "--task-data", `{"approved": false, "comments": "No"}`)
	want := []string{
		"\nuser tasks:\n  Review cocaine (completed)\n    /do/0/review: form seizure-approval@1.0.0 for role:supervisor\n    priority 2, due ",
		": A seizure needs a supervisor\n",
		"\nnotifications:\n  to user:dev-officer, role:supervisor (inapp, email): Reviewed\n    Approved: false\n    /cases/SEIZ-1\n\nstatus: completed\n",
	}
	for _, w := range want {
		if code != 0 || !strings.Contains(stdout, w) {
			t.Errorf("text output: exit %d, want %q in\n%s\n%s", code, w, stdout, stderr)
		}
	}

	stdout, _, code = runCop(t, "workflows", "run", f["quiet.yaml"], "--json")
	if code != 0 || !strings.Contains(stdout, `"tasks":[],"notifications":[]`) {
		t.Errorf("none: exit %d\n%s", code, stdout)
	}
	if stdout, _, _ = runCop(t, "workflows", "run", f["quiet.yaml"]); strings.Contains(stdout, "user tasks:") || strings.Contains(stdout, "notifications:") {
		t.Errorf("none, in text:\n%s", stdout)
	}
}

// TestWorkflowsRunSubmission starts a workflow as submitting its start
// form would: the answers in the platform's envelope, checked against
// the form first.
func TestWorkflowsRunSubmission(t *testing.T) {
	f := writeFiles(t, map[string]string{
		"vehicle-check.json": vehicleCheck,
		"vehicle.yaml":       vehicleWorkflow("registration"),
		"answers.json":       `{"registration": "AB12CDE", "make": "Ford", "colour": "red"}`,
		"wrong.json":         `{"make": "Ford", "wheels": 4}`,
		"amend.yaml": `
document: {dsl: '1.0.3', namespace: cop, name: vehicle-amend, version: '1.0.0', metadata: {startForm: vehicle-check}}
do:
  - correct:
      call: userTask
      with: {amend: submission, title: Correct the registration}
  - done:
      set: {registration: '${ .data.registration }'}
`,
		"plain.yaml": "document: {dsl: '1.0.3', namespace: cop, name: plain, version: '1.0.0'}\ndo:\n  - a: {set: {x: 1}}\n",
	})
	stdout, stderr, code := runCop(t, "workflows", "run", f["vehicle.yaml"], "--with", f["vehicle-check.json"], "--submission", f["answers.json"], "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	var got struct {
		Status string
		Output struct {
			Flagged    bool
			Submission map[string]any
		}
		Notifications []struct{ CaseKey, Title, Body, Link string }
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	sub := got.Output.Submission
	data, _ := json.Marshal(sub["data"])
	if got.Status != "completed" || !got.Output.Flagged || sub["id"] != "local-submission-1" || sub["form"] != "vehicle-check" ||
		sub["formVersion"] != "1.0.0" || sub["businessKey"] != "LOCAL-1" || sub["submittedBy"] != "local-author" || sub["submittedAt"] == nil ||
		string(data) != `{"colour":"red","make":"Ford","registration":"AB12CDE"}` || len(sub) != 7 {
		t.Errorf("the instance's input: %s", stdout)
	}
	if len(got.Notifications) != 1 || got.Notifications[0].CaseKey != "LOCAL-1" || got.Notifications[0].Title != "Vehicle AB12CDE arrived" ||
		got.Notifications[0].Body != "A red Ford is at the gate." || got.Notifications[0].Link != "/cases/LOCAL-1" {
		t.Errorf("notifications: %+v", got.Notifications)
	}

	stdout, stderr, code = runCop(t, "workflows", "run", f["vehicle.yaml"], "--with", f["vehicle-check.json"], "--submission", f["wrong.json"])
	if code != 1 || !strings.Contains(stdout, f["wrong.json"]+": /registration: Enter the registration\n") || !strings.Contains(stdout, f["wrong.json"]+": /wheels: ") ||
		!strings.Contains(stderr, "does not fit start form vehicle-check 1.0.0 (2 problems)") || strings.Contains(stdout, "status:") {
		t.Errorf("answers the form refuses: exit %d\n%s\n%s", code, stdout, stderr)
	}

	// An amend task returns the submission to its submitter, as on COP.
	stdout, stderr, code = runCop(t, "workflows", "run", f["amend.yaml"], "--with", f["vehicle-check.json"], "--submission", f["answers.json"],
		"--task-data", `{"registration": "AB12CDF"}`, "--json")
	var amended struct {
		Status string
		Output map[string]any
		Tasks  []struct{ Amends, Assignee, Form, FormVersion, Status string }
	}
	if err := json.Unmarshal([]byte(stdout), &amended); err != nil || code != 0 || amended.Status != "completed" || amended.Output["registration"] != "AB12CDF" ||
		len(amended.Tasks) != 1 || amended.Tasks[0].Amends != "local-submission-1" || amended.Tasks[0].Assignee != "local-author" ||
		amended.Tasks[0].Form != "vehicle-check" || amended.Tasks[0].FormVersion != "1.0.0" || amended.Tasks[0].Status != "completed" {
		t.Errorf("amend: exit %d\n%s\n%s", code, stdout, stderr)
	}

	_, stderr, code = runCop(t, "workflows", "run", f["vehicle.yaml"], "--with", f["vehicle-check.json"], "--submission", f["answers.json"], "--input", "{}")
	if code != 2 || !strings.Contains(stderr, "--submission and --input") {
		t.Errorf("--submission and --input: exit %d\n%s", code, stderr)
	}

	_, stderr, code = runCop(t, "workflows", "run", f["plain.yaml"], "--submission", f["answers.json"])
	if code != 1 || !strings.Contains(stderr, "has no start form") {
		t.Errorf("no start form: exit %d\n%s", code, stderr)
	}

	_, stderr, code = runCop(t, "workflows", "run", f["vehicle.yaml"], "--submission", f["answers.json"])
	if code != 1 || !strings.Contains(stderr, "no form vehicle-check is loaded (give it with --with FILE)") {
		t.Errorf("start form not loaded: exit %d\n%s", code, stderr)
	}
}

// TestWorkflowsWarnOfMisreadAnswers: validate and run warn of an
// expression that reads an answer the start form does not have, at its
// pointer with the nearest answer; the exit status is unchanged.
func TestWorkflowsWarnOfMisreadAnswers(t *testing.T) {
	f := writeFiles(t, map[string]string{
		"vehicle-check.json": vehicleCheck,
		"misread.yaml":       vehicleWorkflow("registraton"),
		"good.yaml":          vehicleWorkflow("registration"),
		"answers.json":       `{"registration": "AB12CDE"}`,
	})
	warning := f["misread.yaml"] + ": /do/1/check/if: warning: .data.registraton is not an answer of start form vehicle-check 1.0.0 (did you mean registration?)\n"

	stdout, stderr, code := runCop(t, "workflows", "validate", "--with", f["vehicle-check.json"], f["misread.yaml"])
	if code != 0 || stdout != warning+"workflow cop/vehicle 1.0.0: valid\n" {
		t.Errorf("validate: exit %d\n%s\n%s", code, stdout, stderr)
	}
	stdout, stderr, code = runCop(t, "workflows", "validate", "--with", f["vehicle-check.json"], f["good.yaml"])
	if code != 0 || stdout != "workflow cop/vehicle 1.0.0: valid\n" {
		t.Errorf("only real answers: exit %d\n%s\n%s", code, stdout, stderr)
	}

	stdout, stderr, code = runCop(t, "workflows", "run", f["misread.yaml"], "--with", f["vehicle-check.json"], "--submission", f["answers.json"])
	if code != 0 || !strings.HasPrefix(stdout, warning) || !strings.Contains(stdout, "status: completed") {
		t.Errorf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// With --json, stdout stays one JSON object: the warning goes to stderr.
	stdout, stderr, code = runCop(t, "workflows", "run", f["misread.yaml"], "--with", f["vehicle-check.json"], "--submission", f["answers.json"], "--json")
	var out map[string]any
	if code != 0 || json.Unmarshal([]byte(stdout), &out) != nil || !strings.Contains(stderr, warning) {
		t.Errorf("run --json: exit %d\n%s\n%s", code, stdout, stderr)
	}

	// Without the start form, the check is not made, and validate says so.
	stdout, _, code = runCop(t, "workflows", "validate", f["misread.yaml"])
	if code != 0 || !strings.Contains(stdout, "/document/metadata/startForm: note: no form vehicle-check is loaded") || strings.Contains(stdout, "warning") {
		t.Errorf("start form not loaded: exit %d\n%s", code, stdout)
	}
}
