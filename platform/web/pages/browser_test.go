//go:build unix

package pages_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"cop/platform/devstack"
	"cop/platform/web/webtest"
)

// Browser journeys: scripts in ui/e2e drive Debian's Chromium through
// playwright-core against a real server, and check every page with axe.
// Add one as ui/e2e/<name>.mjs (see ui/e2e/lib.mjs) and a line here.
//
// With COP_E2E_SCREENSHOTS set to a directory (relative to the repository
// root), the journeys also save the documentation's screenshots there:
//
//	COP_E2E_SCREENSHOTS=docs/images/officers go test ./platform/web -run TestBrowser -count=1

// TestBrowserOfficerJourney: an officer signs in, fills in the vehicle
// check with mistakes to fix, a follow-up question and a second person,
// changes an answer, submits, opens the case and signs out; on a desktop,
// without JavaScript and on a 375px-wide phone.
func TestBrowserOfficerJourney(t *testing.T) {
	t.Parallel() // the two journeys share the machine better than taking turns
	e := webtest.New(t, webtest.WithWorker)
	publishPageFixtures(e)
	runJourney(t, e, "officer-journey")
}

// TestBrowserSupervisorApproval: a supervisor claims and completes the
// task an officer's vehicle check gave them, and the officer is notified.
func TestBrowserSupervisorApproval(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, webtest.WithWorker)
	publishPageFixtures(e)
	officer := e.Browser()
	e.SignIn(officer, "officer").Body.Close()
	key := submitVehicleCheck(e, officer) // registration AB12 CDE
	runJourney(t, e, "supervisor-approval", "COP_CASE="+key, "COP_REGISTRATION=AB12 CDE")
}

// TestBrowserWelshJourney: an officer chooses Cymraeg in the language
// toggle and fills in a bilingual form in Welsh, mistakes included, then
// reads the confirmation in English.
func TestBrowserWelshJourney(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	publishBilingual(e)
	runJourney(t, e, "welsh-journey", "COP_FORM=boarding-bilingual")
}

// TestBrowserCorrectionJourney: an officer fills in a crossing report (a
// long country list as an autocomplete, a reveal, a repeating group); a
// supervisor returns it for correction; the officer finds the case under
// their open cases, corrects the country through Check your answers and
// sends it; the case shows both submissions.
func TestBrowserCorrectionJourney(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, webtest.WithWorker)
	author := e.Token("author")
	raw, err := os.ReadFile("testdata/crossing-report.json")
	if err != nil {
		t.Fatal(err)
	}
	e.Must(201, "POST", "/api/v1/forms", author, string(raw), nil)
	e.Must(201, "POST", "/api/v1/forms", author, webtest.ReviewForm, nil)
	yaml, err := os.ReadFile("testdata/crossing-review.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := e.PublishYAML(author, string(yaml)); resp.StatusCode != 201 {
		t.Fatalf("publish: %d %s", resp.StatusCode, body)
	}
	runJourney(t, e, "correction-journey")
}

// TestBrowserManagerReports: a manager finds Reports in the navigation,
// narrows a report (after an error summary), reads its chart and table and
// downloads its CSV; and again without JavaScript.
func TestBrowserManagerReports(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	publishReportFixtures(e)
	runJourney(t, e, "manager-reports")
}

// TestBrowserAuthorForms: an author uploads a form with two mistakes,
// reads and fixes them, previews it page by page, publishes it, uploads
// version 2, compares the two and retires version 1; on a desktop, and on
// a 375px phone without JavaScript.
func TestBrowserAuthorForms(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	runJourney(t, e, "author-forms")
}

// TestBrowserAuthorWorkflow: an author uploads a workflow, reads its
// diagram and steps, tries it as a draft that faults (and sees where) and
// as one that completes, publishes it and previews the form its user task
// uses; on a desktop, and on a 375px phone without JavaScript.
func TestBrowserAuthorWorkflow(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, webtest.WithWorker)
	e.Must(201, "POST", "/api/v1/forms", e.Token("author"), kitCheckForm, nil)
	runJourney(t, e, "author-workflow")
}

// TestBrowserEveryQuestion: a form with every kind of question and every
// shape of reveal, previewed by its author with JavaScript and filled in
// by an officer on a 375px phone without it, axe on every page and state.
func TestBrowserEveryQuestion(t *testing.T) {
	t.Parallel()
	e := webtest.New(t)
	runJourney(t, e, "every-question")
}

// TestBrowserOperate: an operator finds the faulted instance among the
// counts, narrows the list, and reads its error and diagram, then reads
// the running instance's events and reassigns its task; on a desktop, and
// on a 375px phone without JavaScript.
func TestBrowserOperate(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, webtest.WithWorker)
	faulted, waiting, _ := operateFixtures(t, e)
	runJourney(t, e, "operate", "COP_FAULTED="+faulted.ID, "COP_WAITING="+waiting.ID)
}

// TestBrowserOperatorRetries: an operator finds an instance that faulted
// because the system it calls was down, brings the system back, retries
// the instance from its failed task and watches it complete; the system
// saw the call before the fault once, and the failed call twice with one
// Idempotency-Key.
func TestBrowserOperatorRetries(t *testing.T) {
	t.Parallel()
	e := webtest.New(t, webtest.WithWorker)
	sys, _ := e.FaultedRelay(t)
	runJourney(t, e, "operator-retries", "COP_RELAY="+sys.URL)
	if first, second := sys.Calls("/first"), sys.Calls("/second"); len(first) != 1 || len(second) != 2 || second[0] != second[1] || second[0] == "" {
		t.Errorf("the system saw /first %q and /second %q; want /first once and /second twice with one Idempotency-Key", first, second)
	}
}

const (
	chromiumPath   = "/usr/bin/chromium"
	journeyTimeout = 3 * time.Minute
)

// runJourney runs `node ui/e2e/<script>.mjs` from the repository root
// against e, with COP_BASE_URL, COP_DEV_PASSWORD and COP_E2E_ARTIFACTS set
// (vars adds KEY=VALUE pairs), streaming its lines into the test log. It
// fails the test with the script's output when the script fails or runs
// longer than journeyTimeout; the failing step's screenshots, URLs and
// HTML stay in .data/e2e/<test>-<random>/ (the message names it).
func runJourney(t *testing.T, e *webtest.Env, script string, vars ...string) {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	script = strings.TrimSuffix(script, ".mjs")
	for _, need := range []string{chromiumPath, filepath.Join(root, "ui", "node_modules", "playwright-core"), filepath.Join(root, "ui", "node_modules", "@axe-core", "playwright")} {
		if _, err := os.Stat(need); err != nil {
			t.Fatalf("browser tests need %s: run `make test` (it installs Chromium and ui/node_modules)", need)
		}
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("browser tests need Node.js: run `make test` (it installs it)")
	}
	// Each run saves into a directory of its own (kept only when it fails),
	// so runs at the same time in one checkout do not mix their pages.
	kept := filepath.Join(root, ".data", "e2e")
	if err := os.MkdirAll(kept, 0o755); err != nil {
		t.Fatal(err)
	}
	artifacts, err := os.MkdirTemp(kept, regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(t.Name(), "_")+"-")
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), journeyTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("ui", "e2e", script+".mjs"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "COP_BASE_URL="+e.Base, "COP_DEV_PASSWORD="+devstack.DevPassword, "COP_E2E_ARTIFACTS="+artifacts)
	cmd.Env = append(cmd.Env, vars...)
	// Out of time, node gets SIGTERM (the script then saves its pages and
	// closes its browsers); then node and its Chromium, in a process group
	// of their own, are killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 20 * time.Second
	defer func() {
		if cmd.Process != nil {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	}()
	output := &journeyLog{t: t, prefix: script + ": "}
	cmd.Stdout, cmd.Stderr = output, output

	started := time.Now()
	err = cmd.Run()
	output.flush()
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		t.Fatalf("journey %s did not finish within %s; screenshots, URLs and HTML of its pages are in %s", script, journeyTimeout, artifacts)
	case err != nil:
		// The lines above are the whole output; repeat from the failure on.
		failure := output.all.String()
		if i := strings.Index(failure, "\nFAIL "); i >= 0 {
			failure = failure[i+1:]
		}
		t.Fatalf("journey %s failed (%v) after %s; screenshots, URLs and HTML of its pages are in %s\n%s",
			script, err, time.Since(started).Round(time.Millisecond), artifacts, failure)
	}
	_ = os.RemoveAll(artifacts)
}

// journeyLog passes a script's output to the test log a line at a time and
// keeps all of it for the failure message.
type journeyLog struct {
	t      *testing.T
	prefix string
	mu     sync.Mutex
	line   []byte
	all    strings.Builder
}

func (w *journeyLog) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.all.Write(p)
	w.line = append(w.line, p...)
	for {
		i := bytes.IndexByte(w.line, '\n')
		if i < 0 {
			break
		}
		w.t.Log(w.prefix + string(w.line[:i]))
		w.line = w.line[i+1:]
	}
	return len(p), nil
}

func (w *journeyLog) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.line) > 0 {
		w.t.Log(w.prefix + string(w.line))
		w.line = nil
	}
}
