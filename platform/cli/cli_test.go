package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/client"

	"cop/platform/devstack"
	"cop/platform/testenv"
	"cop/platform/testenv/temporalenv"
	"cop/workflows/engine"
)

func TestMain(m *testing.M) {
	testenv.Main(m, temporalenv.Stop)
}

// copBinary builds bin/cop once per test binary, as `make build` does.
var copBinary = func() func(t *testing.T) string {
	var path string
	return func(t *testing.T) string {
		t.Helper()
		if path != "" {
			return path
		}
		dir, _ := os.MkdirTemp("", "copbin-")
		out, err := exec.Command("go", "build", "-o", filepath.Join(dir, "cop"), "cop").CombinedOutput()
		if err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
		path = filepath.Join(dir, "cop")
		return path
	}
}()

func freePort(t *testing.T) int {
	p, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// devRun is one `cop dev` process.
type devRun struct {
	cmd    *exec.Cmd
	stderr *testenv.SyncBuffer
	base   string
	env    []string
}

// waitStderr waits for the process to print want.
func (r *devRun) waitStderr(want string, within time.Duration) bool {
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if strings.Contains(r.stderr.String(), want) {
			return true
		}
	}
	return strings.Contains(r.stderr.String(), want)
}

func devEnv(t *testing.T) (env []string, data string, ports map[string]int) {
	d, err := os.MkdirTemp("/tmp", "copcli-")
	if err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(d, 0o755)
	t.Cleanup(func() { os.RemoveAll(d) })
	ports = map[string]int{}
	for _, k := range []string{"PORT", "TEMPORAL_PORT", "COP_DEV_OIDC_PORT", "COP_DEV_PG_PORT", "COP_DEV_SMTP_PORT"} {
		ports[k] = freePort(t)
		env = append(env, fmt.Sprintf("%s=%d", k, ports[k]))
	}
	data = filepath.Join(d, "data")
	env = append(env, "COP_DATA_DIR="+data)
	return append(os.Environ(), env...), data, ports
}

func startDev(t *testing.T, env []string, port int) *devRun {
	t.Helper()
	r := &devRun{stderr: &testenv.SyncBuffer{}, base: "http://localhost:" + strconv.Itoa(port), env: env}
	r.cmd = exec.Command(copBinary(t), "dev")
	r.cmd.Env = env
	r.cmd.Stderr = r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.cmd.Process.Kill() })
	return r
}

// waitReady polls /readyz until all three components answer ok.
func (r *devRun) waitReady(t *testing.T, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < within {
		resp, err := http.Get(r.base + "/readyz")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 && strings.Contains(string(body), `"status":"ok"`) {
				return time.Since(start)
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("cop dev not ready within %s; stderr:\n%s", within, r.stderr)
	return 0
}

// stop sends Ctrl-C and waits for a clean exit.
func (r *devRun) stop(t *testing.T) {
	t.Helper()
	_ = r.cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("cop dev exited with %v after Ctrl-C; stderr:\n%s", err, r.stderr)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("cop dev did not stop within 60s of Ctrl-C")
	}
}

func (r *devRun) cop(t *testing.T, args ...string) (string, error) {
	cmd := exec.Command(copBinary(t), args...)
	cmd.Env = r.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return errb.String(), err
	}
	return out.String(), nil
}

// post sends a JSON body with a bearer token.
func post(t *testing.T, url, token, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// officer2 is a fresh officer token: the dev provider's signing key
// changes at each start, so tokens from before a restart stop working.
func officer2(t *testing.T, r *devRun) string {
	t.Helper()
	tok, err := r.cop(t, "dev", "token", "--role", "officer")
	if err != nil {
		t.Fatalf("cop dev token: %v %s", err, tok)
	}
	return tok
}

func get(t *testing.T, url, token string) (int, string) {
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// processesUsing lists live processes whose command line mentions dir.
func processesUsing(dir string) []string {
	var out []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if bytes.Contains(cmdline, []byte(dir)) {
			out = append(out, e.Name()+": "+strings.ReplaceAll(string(cmdline), "\x00", " "))
		}
	}
	return out
}

// The whole local platform as a new user meets it: start, readiness of all
// three components, a token from the dev provider, an authenticated
// request, the worker running a workflow, Ctrl-C leaving nothing behind, and
// a second start that keeps the data.
func TestDevEndToEnd(t *testing.T) {
	env, data, ports := devEnv(t)
	r := startDev(t, env, ports["PORT"])
	took := r.waitReady(t, 2*time.Minute)
	t.Logf("first start ready in %s", took)
	// Readiness can answer a moment before the banner is printed.
	if !r.waitStderr("password for all: "+devstack.DevPassword, 10*time.Second) {
		t.Errorf("banner does not print the demo password:\n%s", r.stderr)
	}

	token, err := r.cop(t, "dev", "token", "--role", "author")
	if err != nil {
		t.Fatalf("cop dev token: %v: %s", err, token)
	}
	token = strings.TrimSpace(token)
	if code, body := get(t, r.base+"/api/v1/me", token); code != 200 || !strings.Contains(body, `"roles":["author"]`) {
		t.Fatalf("authenticated request: %d %s", code, body)
	}
	if code, _ := get(t, r.base+"/api/v1/me", ""); code != 401 {
		t.Errorf("no token: %d", code)
	}
	if code, _ := get(t, r.base+"/api/v1/me", token[:len(token)-4]+"AAAA"); code != 401 {
		t.Errorf("wrong token: %d", code)
	}
	// A state-changing request leaves an audit row, sealed by the time cop stops.
	req, _ := http.NewRequest("POST", r.base+"/logout", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 400 {
		t.Fatalf("POST /logout with a token: %v %v", resp, err)
	}
	if out, err := r.cop(t, "dev", "token", "--role", "superuser"); err == nil || !strings.Contains(out, "no demo user for role") {
		t.Errorf("unknown role: %v %s", err, out)
	}

	// The example pack is loaded; an author pushes a form that uses its
	// terms, and an officer submits to it.
	if code, body := get(t, r.base+"/api/v1/refdata/countries/items?code=GB", token); code != 200 || !strings.Contains(body, "United Kingdom") {
		t.Errorf("example countries: %d %s", code, body)
	}
	formFile := filepath.Join(t.TempDir(), "landing.json")
	_ = os.WriteFile(formFile, []byte(`{"name": "landing", "version": "1.0.0", "title": "Landing", "casePrefix": "LND",
		"schema": {"type": "object", "required": ["port"], "properties": {"port": {"$ref": "term:port"}, "master": {"$ref": "term:person"}}}}`), 0o644)
	if out, err := r.cop(t, "forms", "validate", formFile, "--server", r.base); err != nil || !strings.Contains(out, "valid (checked by") {
		t.Errorf("cop forms validate --server: %v %s", err, out)
	}
	if out, err := r.cop(t, "forms", "push", formFile); err != nil || !strings.Contains(out, "form landing 1.0.0: created") || !strings.Contains(out, "uses term:port@1.0.0") {
		t.Errorf("cop forms push: %v %s", err, out)
	}
	if out, err := r.cop(t, "forms", "push", formFile); err != nil || !strings.Contains(out, "unchanged") {
		t.Errorf("cop forms push again: %v %s", err, out)
	}
	_ = os.WriteFile(formFile, []byte(`{"name": "landing", "version": "1.0.0", "title": "Landing changed", "schema": {}}`), 0o644)
	if out, err := r.cop(t, "forms", "push", formFile); err == nil || !strings.Contains(out, "already exists with different content") {
		t.Errorf("cop forms push of other content: %v %s", err, out)
	}
	// A team's seizure log moves in with its history: the inferred form is
	// published, the valid rows imported, the bad ones listed; a second
	// run adds nothing.
	seizureLog := filepath.Join("..", "..", "forms", "imports", "testdata", "seizure-log.csv")
	importArgs := []string{"import", "spreadsheet", seizureLog, "--name", "seizure-log", "-o", filepath.Join(t.TempDir(), "seizure-log.json"),
		"--history", "--submitted-by", "Seizing officer", "--submitted-at", "Recorded at"}
	imported, err := r.cop(t, importArgs...)
	if exitCode(err) != 1 || !strings.Contains(imported, "form seizure-log 1.0.0: published as inferred") ||
		!strings.Contains(imported, "seizure-log.csv row 42, column B (/dateOfSeizure): Date of seizure must be a real date") || !strings.Contains(imported, "history: 365 rows: 360 imported, 0 imported before, 5 refused") {
		t.Errorf("cop import spreadsheet --history: exit %d\n%s", exitCode(err), imported)
	}
	imported, err = r.cop(t, importArgs...)
	if exitCode(err) != 1 || !strings.Contains(imported, "COP has it (version 1.0.0)") || !strings.Contains(imported, "history: 365 rows: 0 imported, 360 imported before, 5 refused") {
		t.Errorf("cop import spreadsheet --history again: exit %d\n%s", exitCode(err), imported)
	}
	if out, err := r.cop(t, "import", "spreadsheet", seizureLog, "--name", "seizure-log", "--history", "--submitted-by", "Seizing officer", "--submitted-at", "When"); exitCode(err) != 2 ||
		!strings.Contains(out, `"When" is not a column header of seizure-log.csv`) {
		t.Errorf("a history column that is not there: exit %d\n%s", exitCode(err), out)
	}
	officer, _ := r.cop(t, "dev", "token", "--role", "officer")
	req, _ = http.NewRequest("POST", r.base+"/api/v1/forms/landing/submissions", strings.NewReader(`{"port": "GBDVR"}`))
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(officer))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 201 {
		t.Fatalf("submit: %v %v", resp, err)
	}

	// A notify by email reaches cop dev's own mail server; cop dev mail
	// lists it.
	if out, err := r.cop(t, "dev", "mail"); err != nil || !strings.Contains(out, "no mail yet") {
		t.Errorf("cop dev mail before any: %v %s", err, out)
	}
	mailFile := filepath.Join(t.TempDir(), "mailer.yaml")
	_ = os.WriteFile(mailFile, []byte(`document: {dsl: '1.0.0', namespace: e2e, name: mailer, version: '1.0.0'}
do:
  - tell: {call: notify, with: {to: [user:dev-officer], title: Landing recorded, body: Thank you., channels: [inapp, email]}}
`), 0o644)
	if out, err := r.cop(t, "workflows", "push", mailFile); err != nil {
		t.Fatalf("cop workflows push: %v %s", err, out)
	}
	if code, body := post(t, r.base+"/api/v1/workflows/e2e/mailer/instances", strings.TrimSpace(officer), `{"input": {}}`); code != 201 {
		t.Fatalf("start the mailer: %d %s", code, body)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		out, err := r.cop(t, "dev", "mail")
		if err == nil && strings.Contains(out, "officer@cop.localhost") && strings.Contains(out, "Landing recorded") &&
			strings.Contains(out, filepath.Join(data, "mail")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cop dev mail never listed the email: %v %s", err, out)
		}
	}
	if out, err := r.cop(t, "dev", "mail", "--show", "1"); err != nil || !strings.Contains(out, "Subject: Landing recorded") || !strings.Contains(out, "Thank you.") {
		t.Errorf("cop dev mail --show 1: %v %s", err, out)
	}

	if code, body := get(t, r.base+"/api/v1/workflows/border-force/seizure-approval", token); code != 200 || !strings.Contains(body, `"startForm":"seizure-record"`) {
		t.Errorf("example workflow: %d %s", code, body)
	}
	// The example reports are loaded and a manager runs them; an author
	// pushes a report over the landing form, and an admin runs it.
	manager, _ := r.cop(t, "dev", "token", "--role", "manager")
	for _, name := range []string{"seizures-by-port-month", "seizure-value-by-category", "approval-time-by-team", "overdue-approvals"} {
		if code, body := get(t, r.base+"/api/v1/reports/"+name+"/result", strings.TrimSpace(manager)); code != 200 || !strings.Contains(body, `"asOf"`) {
			t.Errorf("example report %s: %d %s", name, code, body)
		}
	}
	reportFile := filepath.Join(t.TempDir(), "landings.yaml")
	_ = os.WriteFile(reportFile, []byte("name: landings-by-port\nversion: 1.0.0\ntitle: Landings by port\n"+
		"source: {kind: submissions, form: landing}\ngroupBy: [/port]\nmeasures: [{op: count}]\naccess: {read: [role:admin]}\n"), 0o644)
	if out, err := r.cop(t, "reports", "validate", reportFile, "--server", r.base); err != nil || !strings.Contains(out, "report landings-by-port 1.0.0: valid (checked by") {
		t.Errorf("cop reports validate --server: %v %s", err, out)
	}
	if out, err := r.cop(t, "reports", "push", reportFile); err != nil || !strings.Contains(out, "report landings-by-port 1.0.0: created") {
		t.Errorf("cop reports push: %v %s", err, out)
	}
	admin, _ := r.cop(t, "dev", "token", "--role", "admin")
	if code, body := get(t, r.base+"/api/v1/reports/landings-by-port/result?format=csv", strings.TrimSpace(admin)); code != 200 || body != "Port,Count\nDover,1\n" {
		t.Errorf("the pushed report: %d %q", code, body)
	}
	_ = os.WriteFile(reportFile, []byte("name: landings-by-port\nversion: 1.0.1\ntitle: Landings by port\n"+
		"source: {kind: submissions, form: landing}\ngroupBy: [/port]\nmeasures: [{op: count}]\naccess: {read: [role:manager]}\n"), 0o644)
	if out, err := r.cop(t, "reports", "push", reportFile); err == nil || !strings.Contains(out, "/access/read/0: role:manager does not read form landing") {
		t.Errorf("cop reports push of a grant the form does not make: %v %s", err, out)
	}

	// An author pushes a workflow; an instance of it waits for an event
	// across the restart below.
	wfFile := filepath.Join(t.TempDir(), "survivor.yaml")
	_ = os.WriteFile(wfFile, []byte(`document: {dsl: '1.0.0', namespace: e2e, name: survivor, version: '1.0.0'}
do:
  - hold: {listen: {to: {one: {with: {type: resume}}}}}
  - done: {set: {resumed: '${ .[0].after }'}}
`), 0o644)
	if out, err := r.cop(t, "workflows", "validate", wfFile, "--server", r.base); err != nil || !strings.Contains(out, "workflow e2e/survivor 1.0.0: valid (checked by") {
		t.Errorf("cop workflows validate --server: %v %s", err, out)
	}
	if out, err := r.cop(t, "workflows", "push", wfFile); err != nil || !strings.Contains(out, "workflow e2e/survivor 1.0.0: created") {
		t.Fatalf("cop workflows push: %v %s", err, out)
	}
	badFile := filepath.Join(t.TempDir(), "bad.yaml")
	_ = os.WriteFile(badFile, []byte("document: {dsl: '1.0.0', namespace: e2e, name: bad, version: '1.0.0'}\ndo:\n  - ask: {call: userTask, with: {form: no-such-form, candidateGroups: [role:officer]}}\n"), 0o644)
	if out, err := r.cop(t, "workflows", "validate", badFile, "--server", r.base); err == nil || !strings.Contains(out, "/do/0/ask/with/form: form no-such-form has no active version") {
		t.Errorf("cop workflows validate --server of a missing form: %v %s", err, out)
	}
	code, body := post(t, r.base+"/api/v1/workflows/e2e/survivor/instances", strings.TrimSpace(officer), `{"input": {}}`)
	var survivor struct{ ID string }
	if _ = json.Unmarshal([]byte(body), &survivor); code != 201 || survivor.ID == "" {
		t.Fatalf("start: %d %s", code, body)
	}

	// The worker polls the dev Temporal server's task queue.
	tc, err := client.Dial(client.Options{HostPort: fmt.Sprintf("127.0.0.1:%d", ports["TEMPORAL_PORT"])})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "ping-1", TaskQueue: "cop"}, engine.PingWorkflow, "dev")
	if err != nil {
		t.Fatal(err)
	}
	var pong string
	if err := run.Get(ctx, &pong); err != nil || pong != "pong: dev" {
		t.Fatalf("ping workflow: %q %v", pong, err)
	}
	tc.Close()

	r.stop(t)
	if left := processesUsing(data); len(left) > 0 {
		t.Fatalf("processes left after Ctrl-C:\n%s", strings.Join(left, "\n"))
	}
	if _, err := os.Stat(filepath.Join(data, "postgres", "postmaster.pid")); !os.IsNotExist(err) {
		t.Errorf("postmaster.pid remains after a clean stop")
	}

	// Second start: same data, quick.
	r2 := startDev(t, env, ports["PORT"])
	took = r2.waitReady(t, time.Minute)
	t.Logf("second start ready in %s", took)
	if strings.Contains(r2.stderr.String(), "creating private PostgreSQL cluster") {
		t.Error("second start created a new cluster instead of reusing .data")
	}
	tc, err = client.Dial(client.Options{HostPort: fmt.Sprintf("127.0.0.1:%d", ports["TEMPORAL_PORT"])})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tc.DescribeWorkflowExecution(context.Background(), "ping-1", ""); err != nil {
		t.Errorf("workflow from the first run is gone: %v", err)
	}
	tc.Close()
	// The instance started before the restart still listens, and finishes.
	if code, body := post(t, r2.base+"/api/v1/instances/"+survivor.ID+"/events", strings.TrimSpace(officer2(t, r2)),
		`{"specversion": "1.0", "id": "e1", "source": "/e2e", "type": "resume", "data": {"after": "restart"}}`); code != 202 {
		t.Fatalf("event after restart: %d %s", code, body)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body := get(t, r2.base+"/api/v1/instances/"+survivor.ID, strings.TrimSpace(officer2(t, r2)))
		var in struct {
			Status string
			Output map[string]any
		}
		_ = json.Unmarshal([]byte(body), &in)
		if code == 200 && in.Status != "running" {
			if in.Status != "completed" || in.Output["resumed"] != "restart" {
				t.Errorf("instance after restart: %s", body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance did not finish after the restart: %d %s", code, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The sealer runs every half second; the instance's last rows are fresh.
	var out string
	var rep struct{ Sealed, Unsealed int }
	for try := 0; try < 20; try++ {
		out, err = r2.cop(t, "audit", "verify", "--json")
		_ = json.Unmarshal([]byte(out), &rep)
		if err != nil || rep.Unsealed == 0 {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if err != nil || rep.Sealed < 3 || rep.Unsealed != 0 {
		t.Errorf("audit verify after restart: %v %s", err, out)
	}
	r2.stop(t)
	if left := processesUsing(data); len(left) > 0 {
		t.Fatalf("processes left after the second Ctrl-C:\n%s", strings.Join(left, "\n"))
	}
}

// cop forms validate works without a server, against the example pack and
// the files given with --with, and names each problem's place.
func TestFormsValidateOffline(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		_ = os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	term := write("cargo.json", `{"name": "cargo", "version": "1.0.0", "title": "Cargo", "schema": {"type": "object", "properties": {"origin": {"$ref": "term:country"}}}}`)
	form := write("good.json", `{"name": "inspection", "version": "1.0.0", "title": "Inspection",
		"schema": {"type": "object", "properties": {"cargo": {"$ref": "term:cargo"}, "vessel": {"$ref": "term:vessel"}}}}`)
	out, err := exec.Command(copBinary(t), "forms", "validate", form, "--with", term).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "good.json: valid") || !strings.Contains(string(out), "uses term:cargo@1.0.0") {
		t.Errorf("valid form: %v\n%s", err, out)
	}
	out, err = exec.Command(copBinary(t), "forms", "validate", form).CombinedOutput()
	if err == nil || !strings.Contains(string(out), `/schema/properties/cargo/$ref: cannot read term "cargo"`) {
		t.Errorf("missing term: %v\n%s", err, out)
	}
	bad := write("bad.json", `{"name": "x", "version": "1.0.0", "title": "X", "schema": {"$schema": "http://json-schema.org/draft-07/schema#"}}`)
	out, err = exec.Command(copBinary(t), "forms", "validate", bad).CombinedOutput()
	if code := exitCode(err); code != 1 || !strings.Contains(string(out), "/schema/$schema") || !strings.Contains(string(out), "2020-12 only") {
		t.Errorf("draft-07: exit %d\n%s", code, out)
	}
	out, err = exec.Command(copBinary(t), "refdata", "validate", write("ports.json", `{"name": "p", "version": "1.0.0", "title": "P", "items": []}`)).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "/items: a reference data set needs at least one item") {
		t.Errorf("empty refdata: %v\n%s", err, out)
	}
	badName := write("badname.json", `{"name": "Bad Name", "version": "1.0", "title": "X", "schema": {}}`)
	out, err = exec.Command(copBinary(t), "forms", "validate", badName).CombinedOutput()
	if exitCode(err) != 1 || !strings.Contains(string(out), `/name: "Bad Name" must be 1-100 lower-case letters`) {
		t.Errorf("bad name: %v\n%s", err, out)
	}
	if out, err := exec.Command(copBinary(t), "forms", "validate").CombinedOutput(); exitCode(err) != 2 {
		t.Errorf("no file: %v\n%s", err, out)
	}
	// YAML is read as well as JSON, the term given with --with in YAML too.
	yamlTerm := write("cargo.yaml", "name: cargo\nversion: 1.0.0\ntitle: Cargo\nschema:\n  type: object\n  properties:\n    origin: {$ref: 'term:country'}\n")
	yamlForm := write("good.yaml", "name: inspection\nversion: 1.0.0\ntitle: Inspection\nschema:\n  type: object\n  properties:\n    cargo: {$ref: 'term:cargo'}\n")
	out, err = exec.Command(copBinary(t), "forms", "validate", yamlForm, "--with", yamlTerm).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "good.yaml: valid") || !strings.Contains(string(out), "uses term:cargo@1.0.0") {
		t.Errorf("valid YAML form: %v\n%s", err, out)
	}
	out, err = exec.Command(copBinary(t), "forms", "validate", write("broken.yaml", "name: x\nschema:\n\tb: c\n")).CombinedOutput()
	if exitCode(err) != 1 || !strings.Contains(string(out), "broken.yaml: line 3, column 1: the text is not valid YAML or JSON") {
		t.Errorf("broken YAML: %v\n%s", err, out)
	}
}

// cop reports validate checks a report offline against the example pack's
// forms (or --with files) and names each problem's place.
func TestReportsValidateOffline(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		_ = os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	good := write("good.yaml", "name: by-category\nversion: 1.0.0\ntitle: By category\nsource: {kind: submissions, form: seizure-record}\n"+
		"groupBy: [/category]\nmeasures: [{op: sum, field: /estimatedValue}]\naccess: {read: [role:manager]}\n")
	out, err := exec.Command(copBinary(t), "reports", "validate", good).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "good.yaml: valid") {
		t.Errorf("valid report: %v\n%s", err, out)
	}
	bad := write("bad.yaml", "name: by-category\nversion: 1.0.0\ntitle: By category\nsource: {kind: submissions, form: seizure-record}\n"+
		"groupBy: [/colour]\nmeasures: [{op: sum, field: /goodsDescription}]\naccess: {read: [role:manager]}\n")
	out, err = exec.Command(copBinary(t), "reports", "validate", bad).CombinedOutput()
	if exitCode(err) != 1 || !strings.Contains(string(out), "/groupBy/0: form seizure-record@1.2.0 has no answer at /colour") ||
		!strings.Contains(string(out), "/measures/0/field: sum adds numbers") {
		t.Errorf("bad report: %v\n%s", err, out)
	}
	form := write("landing.json", `{"name": "landing", "version": "1.0.0", "title": "Landing", "schema": {"type": "object", "properties": {"crew": {"type": "integer"}}}}`)
	other := write("other.yaml", "name: crews\nversion: 1.0.0\ntitle: Crews\nsource: {kind: submissions, form: landing}\n"+
		"groupBy: []\nmeasures: [{op: avg, field: /crew}]\naccess: {read: [role:manager]}\n")
	if out, err := exec.Command(copBinary(t), "reports", "validate", other, "--with", form).CombinedOutput(); err != nil {
		t.Errorf("a report of a form given with --with: %v\n%s", err, out)
	}
	if out, err := exec.Command(copBinary(t), "reports", "validate", other).CombinedOutput(); exitCode(err) != 1 || !strings.Contains(string(out), "give its file with --with") {
		t.Errorf("a form that is nowhere: %v\n%s", err, out)
	}
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func TestDevRefusesABusyPort(t *testing.T) {
	env, data, ports := devEnv(t)
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", ports["COP_DEV_OIDC_PORT"]))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	r := startDev(t, env, ports["PORT"])
	if err := r.cmd.Wait(); err == nil {
		t.Fatal("cop dev started on a busy port")
	}
	want := fmt.Sprintf("cop: port %d (development OpenID provider, set COP_DEV_OIDC_PORT to change it) is already in use\n", ports["COP_DEV_OIDC_PORT"])
	if r.stderr.String() != want {
		t.Errorf("stderr %q, want %q", r.stderr.String(), want)
	}
	if left := processesUsing(data); len(left) > 0 {
		t.Errorf("processes started anyway: %v", left)
	}
}

func TestServeRefusesAMissingSetting(t *testing.T) {
	cmd := exec.Command(copBinary(t), "serve")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "DATABASE_URL=postgres://x/y", "TEMPORAL_ADDRESS=t:7233", "OIDC_ISSUER=https://id.example"}
	out, err := cmd.CombinedOutput()
	if err == nil || string(out) != "cop: OIDC_CLIENT_ID is required but not set\n" {
		t.Fatalf("%v %q", err, out)
	}
}

// `cop serve` runs against external PostgreSQL, Temporal and OpenID
// provider, starts no dev component, and stops on SIGTERM.
func TestServeAgainstExternalServices(t *testing.T) {
	port, opsPort := freePort(t), freePort(t)
	base := fmt.Sprintf("http://localhost:%d", port)
	op := testenv.OIDC(t, base)
	srv := temporalenv.Server(t)
	cmd := exec.Command(copBinary(t), "serve", "--only", "web")
	stderr := &testenv.SyncBuffer{}
	cmd.Stderr = stderr
	cmd.Env = append(os.Environ(),
		"PORT="+strconv.Itoa(port), "PUBLIC_URL="+base,
		"DATABASE_URL="+testenv.DatabaseURL(t), "TEMPORAL_ADDRESS="+srv.GetFrontendHostPort(),
		"TEMPORAL_NAMESPACE="+srv.GetDefaultNamespace(),
		"OIDC_ISSUER="+op.Issuer, "OIDC_CLIENT_ID="+devstack.DevClientID, "OIDC_CLIENT_SECRET="+devstack.DevClientSecret, "OIDC_AUDIENCE="+devstack.DevAPIAudience,
		fmt.Sprintf("COP_OPS_LISTEN_ADDR=127.0.0.1:%d", opsPort))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &devRun{cmd: cmd, stderr: stderr, base: base}
	r.waitReady(t, time.Minute)
	tok, err := devstack.Token(context.Background(), op.Issuer, base+"/auth/callback", "integrator", devstack.DevPassword)
	if err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, base+"/api/v1/me", tok.AccessToken); code != 200 || !strings.Contains(body, "dev-integrator") {
		t.Fatalf("%d %s", code, body)
	}
	// Metrics are served on the operations listener only.
	if code, _ := get(t, base+"/metrics", ""); code != 404 {
		t.Errorf("public /metrics answered %d, want 404", code)
	}
	ops := fmt.Sprintf("http://127.0.0.1:%d", opsPort)
	if code, body := get(t, ops+"/metrics", ""); code != 200 || !strings.Contains(body, "cop_http_requests_total") {
		t.Errorf("operations /metrics: %d %.200s", code, body)
	}
	if code, body := get(t, ops+"/readyz", ""); code != 200 || !strings.Contains(body, `"status":"ok"`) {
		t.Errorf("operations /readyz: %d %s", code, body)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("cop serve exited with %v: %s", err, stderr.String())
	}
	logs := stderr.String()
	if strings.Contains(logs, "PostgreSQL ready") || strings.Contains(logs, "worker polling") {
		t.Errorf("serve --only web started something it should not:\n%s", logs)
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(strings.SplitN(logs, "\n", 2)[0]), &line); err != nil {
		t.Errorf("production logs are not JSON: %s", logs)
	}
}

// The cluster's parts refuse what they cannot run with, each in one line
// (or the usage text, exit 2, for a missing required flag).
func TestDevPartsRefuseBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"dev", "temporal"}, 2, "cop dev temporal --postgres URL"},
		{[]string{"dev", "oidc"}, 2, "cop dev oidc --app URL"},
		{[]string{"dev", "temporal", "--postgres", "mysql://root@db/temporal"}, 1,
			`cop: the PostgreSQL URL for Temporal must look like postgres://user:password@host:5432/temporal, got "mysql://root@db/temporal"`},
		{[]string{"dev", "temporal", "--postgres", "postgres://cop:s3cret@127.0.0.1:1/temporal"}, 1, "cop: create Temporal's database temporal:"},
	} {
		cmd := exec.Command(copBinary(t), c.args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
		out, err := cmd.CombinedOutput()
		if cmd.ProcessState.ExitCode() != c.code || !strings.Contains(string(out), c.want) {
			t.Errorf("cop %v: exit %d (%v), output %q; want exit %d and %q", c.args, cmd.ProcessState.ExitCode(), err, out, c.code, c.want)
		}
		if strings.Contains(string(out), "s3cret") {
			t.Errorf("cop %v prints the password: %s", c.args, out)
		}
	}
}

// A worker-only replica that cannot reach Temporal keeps trying, says so
// on its operations listener's /readyz (503, naming the worker and
// Temporal) instead of exiting, and is ready once Temporal answers.
func TestWorkerWaitsForTemporalAndSaysSo(t *testing.T) {
	temporalPort, opsPort := freePort(t), freePort(t)
	op := testenv.OIDC(t, "http://localhost:1")
	cmd := exec.Command(copBinary(t), "serve", "--only", "worker")
	stderr := &testenv.SyncBuffer{}
	cmd.Stderr = stderr
	cmd.Env = append(os.Environ(), "PUBLIC_URL=http://localhost:1",
		"DATABASE_URL="+testenv.DatabaseURL(t), "TEMPORAL_ADDRESS="+fmt.Sprintf("127.0.0.1:%d", temporalPort),
		"OIDC_ISSUER="+op.Issuer, "OIDC_CLIENT_ID="+devstack.DevClientID, "OIDC_CLIENT_SECRET="+devstack.DevClientSecret, "OIDC_AUDIENCE="+devstack.DevAPIAudience,
		fmt.Sprintf("COP_OPS_LISTEN_ADDR=127.0.0.1:%d", opsPort))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	ready := fmt.Sprintf("http://127.0.0.1:%d/readyz", opsPort)
	deadline := time.Now().Add(time.Minute)
	var code int
	var body string
	for {
		if c, b, err := tryGet(ready); err == nil {
			code, body = c, b
			if code == 503 && strings.Contains(body, `"worker":{"status":"failing","error":"the worker cannot start`) {
				break
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("the worker exited without Temporal (%v): %s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz without Temporal: %d %s", code, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !strings.Contains(body, `"temporal":{"status":"failing"`) || !strings.Contains(body, `"postgresql":{"status":"ok"}`) {
		t.Errorf("/readyz without Temporal: %s", body)
	}
	srv, err := devstack.StartTemporal(devstack.TemporalOptions{FrontendPort: temporalPort})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	t.Logf("Temporal started at %s", srv.HostPort)
	deadline = time.Now().Add(time.Minute)
	for code != 200 {
		if time.Now().After(deadline) {
			t.Fatalf("/readyz once Temporal answers: %d %s\n%s", code, body, stderr.String())
		}
		time.Sleep(500 * time.Millisecond)
		code, body, _ = tryGet(ready)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := <-exited; err != nil {
		t.Errorf("the worker exited with %v after SIGTERM: %s", err, stderr.String())
	}
}

func tryGet(url string) (int, string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// A web replica told to stop (SIGTERM) first answers /readyz with 503
// while it still serves, for COP_DRAIN_DELAY; a request in flight then
// finishes before it exits.
func TestServeDrainsBeforeItStops(t *testing.T) {
	port := freePort(t)
	base := fmt.Sprintf("http://localhost:%d", port)
	op := testenv.OIDC(t, base)
	srv := temporalenv.Server(t)
	dbURL := testenv.DatabaseURL(t)
	cmd := exec.Command(copBinary(t), "serve", "--only", "web")
	stderr := &testenv.SyncBuffer{}
	cmd.Stderr = stderr
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port), "PUBLIC_URL="+base, "DATABASE_URL="+dbURL,
		"TEMPORAL_ADDRESS="+srv.GetFrontendHostPort(), "TEMPORAL_NAMESPACE="+srv.GetDefaultNamespace(),
		"OIDC_ISSUER="+op.Issuer, "OIDC_CLIENT_ID="+devstack.DevClientID, "OIDC_CLIENT_SECRET="+devstack.DevClientSecret, "OIDC_AUDIENCE="+devstack.DevAPIAudience,
		"COP_OPS_LISTEN_ADDR=off", "COP_DRAIN_DELAY=3s")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	r := &devRun{cmd: cmd, stderr: stderr, base: base}
	r.waitReady(t, time.Minute)
	tok, err := devstack.Token(context.Background(), op.Issuer, base+"/auth/callback", "author", devstack.DevPassword)
	if err != nil {
		t.Fatal(err)
	}

	// A form upload whose body is half sent when the stop comes.
	form := `{"name": "drained", "version": "1.0.0", "title": "Sent across a stop", "schema": {"type": "object", "properties": {"x": {"type": "string", "title": "X"}}}}`
	conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/forms HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		tok.AccessToken, len(form), form[:len(form)/2])
	time.Sleep(200 * time.Millisecond)
	stopped := time.Now()
	_ = cmd.Process.Signal(syscall.SIGTERM)

	deadline := time.Now().Add(2 * time.Second)
	for {
		code, body, err := tryGet(base + "/readyz")
		if err == nil && code == 503 && strings.Contains(body, `"draining"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz after SIGTERM: %d %s %v", code, body, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, body, err := tryGet(base + "/api/v1/openapi.json"); err != nil || code != 200 {
		t.Errorf("a new request while draining: %d %.100s %v", code, body, err)
	}
	fmt.Fprint(conn, form[len(form)/2:])
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the request in flight across the stop: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Errorf("the request in flight across the stop answered %d", resp.StatusCode)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("cop serve exited with %v: %s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("cop serve did not stop")
	}
	if took := time.Since(stopped); took < 3*time.Second {
		t.Errorf("stopped %s after SIGTERM, before its 3s drain delay", took)
	}
	db, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	var n int
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM definitions WHERE name = 'drained'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("the form sent across the stop is stored %d times (%v)", n, err)
	}
}

// Replicas that must agree say so at start when they do not: a web
// replica given another OpenID issuer than the running worker names both,
// and one on another database, polled for by the same Temporal task
// queue, finds the worker whose identity names another installation.
func TestReplicasThatDisagreeSaySo(t *testing.T) {
	srv := temporalenv.Server(t)
	op, otherOP := testenv.OIDC(t, "http://localhost:1"), testenv.OIDC(t, "http://localhost:1")
	dbURL := testenv.DatabaseURL(t)
	serve := func(only, db, issuer string) *testenv.SyncBuffer {
		t.Helper()
		cmd := exec.Command(copBinary(t), "serve", "--only", only)
		stderr := &testenv.SyncBuffer{}
		cmd.Stderr = stderr
		cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(freePort(t)), "PUBLIC_URL=http://localhost:1", "DATABASE_URL="+db,
			"TEMPORAL_ADDRESS="+srv.GetFrontendHostPort(), "TEMPORAL_NAMESPACE="+srv.GetDefaultNamespace(), "TEMPORAL_TASK_QUEUE=replicas-test",
			"OIDC_ISSUER="+issuer, "OIDC_CLIENT_ID="+devstack.DevClientID, "OIDC_CLIENT_SECRET="+devstack.DevClientSecret, "OIDC_AUDIENCE="+devstack.DevAPIAudience,
			"COP_OPS_LISTEN_ADDR=off", "COP_DRAIN_DELAY=0")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return stderr
	}
	waitLog := func(what string, b *testenv.SyncBuffer, want string) {
		t.Helper()
		deadline := time.Now().Add(45 * time.Second)
		for !strings.Contains(b.String(), want) {
			if time.Now().After(deadline) {
				t.Fatalf("%s never said %q:\n%s", what, want, b.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	worker := serve("worker", dbURL, op.Issuer)
	waitLog("the worker", worker, "worker polling")
	agreeing := serve("web", dbURL, op.Issuer)
	waitLog("an agreeing web replica", agreeing, "web server listening")
	disagreeing := serve("web", dbURL, otherOP.Issuer)
	waitLog("a web replica with another issuer", disagreeing, `OIDC_ISSUER is \"`+otherOP.Issuer+`\" here but \"`+op.Issuer+`\" on replica`)
	elsewhere := serve("web", testenv.DatabaseURL(t), op.Issuer)
	waitLog("a web replica on another database", elsewhere, "a worker on another database polls this replica's Temporal task queue")
	if strings.Contains(agreeing.String(), "differs from another's") || strings.Contains(agreeing.String(), "another database") {
		t.Errorf("the agreeing replica complained:\n%s", agreeing.String())
	}
}

// cop migrate applies the migrations and exits (a deploy's migration
// Job); without DATABASE_URL it says so in one line.
func TestMigrateAppliesTheMigrations(t *testing.T) {
	dbURL := testenv.DatabaseURL(t)
	cmd := exec.Command(copBinary(t), "migrate")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "DATABASE_URL=" + dbURL}
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "migrations applied") {
		t.Fatalf("cop migrate: %v %s", err, out)
	}
	db, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	var n int
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM installation`).Scan(&n); err != nil || n != 1 {
		t.Errorf("after cop migrate the installation table has %d rows (%v)", n, err)
	}
	cmd = exec.Command(copBinary(t), "migrate")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	if out, err := cmd.CombinedOutput(); err == nil || string(out) != "cop: DATABASE_URL is required but not set\n" {
		t.Errorf("cop migrate without DATABASE_URL: %v %q", err, out)
	}
}
