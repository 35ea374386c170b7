package cli

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"cop/forms"
	"cop/forms/examples"
	"cop/platform/cases"
	"cop/platform/config"
	"cop/platform/devstack"
	"cop/workflows"
	"cop/workflows/engine"
)

// errFaulted marks a run whose instance faulted (exit 1, the error already
// printed).
var errFaulted = errors.New("the workflow faulted")

// workflowsCmd runs `cop workflows validate|run FILE`.
func workflowsCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	fs := newFlags("workflows " + args[0])
	server := fs.String("server", "", "COP's address for push and validate --server (default: $COP_SERVER, else the running cop dev)")
	token := fs.String("token", "", "bearer token (default: $COP_TOKEN, else an author token from the running cop dev)")
	input := fs.String("input", "", "the instance's input, as JSON")
	asJSON := fs.Bool("json", false, "print one JSON object {status, output, error, trace, tasks, notifications}")
	submission := fs.String("submission", "", "a file of the start form's answers (a JSON object): the instance starts as its submission would start it")
	eventsFile := fs.String("event", "", "a file of CloudEvents, one JSON object a line, delivered to the instance")
	taskData := fs.String("task-data", "", "JSON that completes every user task")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up on a run after this long")
	var with multiFlag
	fs.Var(&with, "with", "a form, term, reference data or workflow file the definition uses (repeatable)")
	file, content, err := readFileArg(fs, args[1:])
	if err != nil {
		return err
	}
	switch {
	case args[0] == "push":
		return push("workflows", file, content, *server, *token, false, stdout)
	case args[0] == "validate" && *server != "":
		// The server checks the registry too: forms, start form, sub-workflows.
		return push("workflows", file, content, *server, *token, true, stdout)
	}
	if *submission != "" && *input != "" {
		fmt.Fprintln(stderr, "cop: --submission and --input both give the instance's input: use one")
		return errUsage
	}
	resolver, err := localResolver(with)
	if err != nil {
		return err
	}
	// Warnings go beside problems, except where stdout is one JSON object.
	warnings := stdout
	if args[0] == "run" && *asJSON {
		warnings = stderr
	}
	w, js, start, err := parseWorkflow(file, content, resolver, stdout, warnings)
	if err != nil {
		return err
	}
	switch args[0] {
	case "validate":
		d := w.Document
		fmt.Fprintf(stdout, "workflow %s/%s %s: valid\n", d.Namespace, d.Name, d.Version)
		return nil
	case "run":
		opts := localRun{definition: js, workflow: w, resolver: resolver, asJSON: *asJSON, timeout: *timeout, startedBy: localStarter}
		if *submission != "" {
			if err := opts.submit(file, *submission, start, stdout); err != nil {
				return err
			}
		}
		if *input != "" {
			if err := json.Unmarshal([]byte(*input), &opts.input); err != nil {
				return fmt.Errorf("--input is not JSON: %w", err)
			}
		}
		if *taskData != "" {
			if err := json.Unmarshal([]byte(*taskData), &opts.taskData); err != nil {
				return fmt.Errorf("--task-data is not JSON: %w", err)
			}
		}
		if *eventsFile != "" {
			if opts.events, err = readEvents(*eventsFile); err != nil {
				return err
			}
		}
		return opts.run(stdout, stderr)
	}
	return errUsage
}

// parseWorkflow validates a definition and checks that what it refers to
// (forms, sub-workflows) is loaded, printing every problem to stdout. It
// warns (to warnings) of expressions that read answers the start form
// does not have, and returns the start form as loaded.
func parseWorkflow(file string, content []byte, r *engine.LocalResolver, stdout, warnings io.Writer) (*workflows.Workflow, json.RawMessage, startForm, error) {
	w, js, err := workflows.Parse(content)
	var ps workflows.Problems
	if errors.As(err, &ps) {
		for _, p := range ps {
			fmt.Fprintf(stdout, "%s: %s: %s\n", file, orRoot(p.Pointer), p.Message)
		}
		return nil, nil, startForm{}, fmt.Errorf("%s is not a valid workflow (%s)", file, plural(len(ps), "problem"))
	}
	if err != nil {
		return nil, nil, startForm{}, err
	}
	if err := engine.Pin(w, r, &engine.Start{}); err != nil {
		fmt.Fprintf(stdout, "%s: %v\n", file, err)
		return nil, nil, startForm{}, fmt.Errorf("%s refers to something not loaded: give it with --with FILE", file)
	}
	start := loadStartForm(w, r)
	switch {
	case start.err != nil:
		fmt.Fprintf(warnings, "%s: /document/metadata/startForm: note: %v, so the expressions that read its answers are not checked\n", file, start.err)
	case start.form != nil:
		sf := workflows.StartForm{Name: start.form.Def.Name, Version: start.form.Def.Version, Tree: start.form.Tree}
		for _, p := range workflows.StartFormWarnings(w, sf) {
			fmt.Fprintf(warnings, "%s: %s: %s\n", file, orRoot(p.Pointer), p.Message)
		}
	}
	return w, js, start, nil
}

// startForm is a workflow's start form (document.metadata.startForm) as
// the example pack and --with files have it.
type startForm struct {
	ref    string            // as the workflow names it; "" when it has none
	pinned engine.PinnedForm // the version loaded
	form   *forms.Form       // compiled; nil when ref is "" or err is set
	err    error             // why it could not be loaded
}

func loadStartForm(w *workflows.Workflow, r *engine.LocalResolver) startForm {
	sf := startForm{ref: workflows.Refs(w).StartForm}
	if sf.ref == "" {
		return sf
	}
	name, version := workflows.SplitFormRef(sf.ref)
	if sf.pinned, sf.err = r.Form(name, version); sf.err != nil {
		return sf
	}
	if sf.form, sf.err = engine.CompilePinned(sf.pinned); sf.err != nil {
		sf.err = fmt.Errorf("start form %s does not compile: %w", sf.ref, sf.err)
	}
	return sf
}

// Placeholders for what COP would give a submission: clearly local.
const (
	localSubmissionID = "local-submission-1"
	localBusinessKey  = "LOCAL-1"
	localAuthor       = "local-author" // who submits, and completes tasks
	localStarter      = "local"        // who starts an instance given --input
)

// submit makes the instance's input what submitting the start form with
// the answers in file would give it, as PlanStarts does:
// {"submission": {id, form, formVersion, businessKey, data, submittedBy,
// submittedAt}}, in case LOCAL-1, started by its submitter. Answers the
// form refuses are printed at their pointers.
func (l *localRun) submit(workflowFile, file string, start startForm, stdout io.Writer) error {
	switch {
	case start.ref == "":
		return fmt.Errorf("%s has no start form (document.metadata.startForm), so it cannot start from a submission: give its input with --input", workflowFile)
	case start.err != nil:
		return fmt.Errorf("--submission: %w", start.err)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("read --submission %s: %w", file, err)
	}
	f := start.form
	answers, errs := decodeAnswers(raw)
	now := time.Now().UTC().Truncate(time.Second)
	if errs == nil {
		errs = f.Validate(answers, now)
	}
	if len(errs) > 0 {
		for _, e := range errs {
			fmt.Fprintf(stdout, "%s: %s: %s\n", file, orRoot(e.Pointer), e.Message)
		}
		return fmt.Errorf("%s does not fit start form %s %s (%s)", file, f.Def.Name, f.Def.Version, plural(len(errs), "problem"))
	}
	var data bytes.Buffer
	_ = json.Compact(&data, raw)
	sub := cases.Submission{ID: localSubmissionID, Form: f.Def.Name, FormVersion: f.Def.Version, BusinessKey: localBusinessKey,
		Data: data.Bytes(), SubmittedBy: localAuthor, SubmittedAt: now}
	envelope, err := json.Marshal(map[string]any{"submission": sub})
	if err != nil {
		return err
	}
	if err := json.Unmarshal(envelope, &l.input); err != nil {
		return err
	}
	l.caseKey, l.startedBy, l.startForm = localBusinessKey, localAuthor, &start.pinned
	return nil
}

// decodeAnswers reads answers as a submission's are read: one JSON
// object, its text checked.
func decodeAnswers(raw []byte) (any, []forms.FieldError) {
	fail := func(msg string) (any, []forms.FieldError) { return nil, []forms.FieldError{{Message: msg}} }
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return fail("the answers are not valid JSON: " + err.Error())
	}
	if dec.More() {
		return fail("the answers must be one JSON object, with nothing after it")
	}
	if _, ok := v.(map[string]any); !ok {
		return fail("the answers must be a JSON object of field names and values")
	}
	if errs := forms.TextProblems(v); len(errs) > 0 {
		return nil, errs
	}
	return v, nil
}

// localResolver holds the example pack and the --with files.
func localResolver(with []string) (*engine.LocalResolver, error) {
	r := engine.NewLocalResolver()
	add := map[string]func([]byte) error{"forms": r.AddForm, "terms": r.AddTerm, "refdata": r.AddRefData}
	for _, f := range examples.All() {
		if err := add[f.Kind](f.Content); err != nil {
			return nil, fmt.Errorf("example %s: %w", f.Name, err)
		}
	}
	for _, file := range with {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read --with %s: %w", file, err)
		}
		if err := addWithFile(r, b); err != nil {
			return nil, fmt.Errorf("--with %s: %w", file, err)
		}
	}
	return r, nil
}

// addWithFile recognises a file by its shape: a workflow has document and
// do; reference data has items; a form has ui, access or casePrefix; any
// other schema document is a data term.
func addWithFile(r *engine.LocalResolver, b []byte) error {
	var probe map[string]json.RawMessage
	js, _, err := workflows.SourceJSON(b) // YAML or JSON
	if err != nil || json.Unmarshal(js, &probe) != nil {
		return r.AddWorkflow(b) // says what is wrong with it
	}
	if probe["document"] == nil {
		b = js // forms, terms and reference data are held as JSON
	}
	switch {
	case probe["document"] != nil:
		return r.AddWorkflow(b)
	case probe["items"] != nil:
		return r.AddRefData(b)
	case probe["ui"] != nil || probe["access"] != nil || probe["casePrefix"] != nil:
		return r.AddForm(b)
	default:
		if err := r.AddTerm(b); err != nil {
			return r.AddForm(b)
		}
		return nil
	}
}

func readEvents(file string) ([]map[string]any, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("read --event %s: %w", file, err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal(text, &ev); err != nil {
			return nil, fmt.Errorf("--event %s line %d is not a JSON object: %w", file, line, err)
		}
		if ev["type"] == nil || ev["source"] == nil {
			return nil, fmt.Errorf("--event %s line %d: a CloudEvent needs type and source", file, line)
		}
		out = append(out, ev)
	}
	return out, sc.Err()
}

type localRun struct {
	definition json.RawMessage
	workflow   *workflows.Workflow
	resolver   *engine.LocalResolver
	input      any
	taskData   any
	events     []map[string]any
	asJSON     bool
	timeout    time.Duration
	// Set by --submission: the instance's case and starter, and the start
	// form version (an amend task corrects answers to it).
	caseKey   string
	startedBy string
	startForm *engine.PinnedForm
}

// run starts an in-memory Temporal server and a worker, runs the instance
// to its end and prints the outcome.
func (l localRun) run(stdout, stderr io.Writer) error {
	srv, err := devstack.StartTemporal(devstack.TemporalOptions{})
	if err != nil {
		return err
	}
	defer func() { _ = srv.Stop() }()
	quiet := tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	c, err := client.Dial(client.Options{HostPort: srv.HostPort, Logger: quiet})
	if err != nil {
		return fmt.Errorf("connect to the in-memory Temporal server: %w", err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeoutCause(context.Background(), l.timeout,
		fmt.Errorf("the workflow did not finish within %s (is it waiting for an event or a task? see --event and --task-data)", l.timeout))
	defer cancel()
	refused, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	platform := &engine.LocalPlatform{Client: c, TaskData: l.taskData, Refdata: l.resolver.RefData,
		Log:     func(format string, args ...any) { fmt.Fprintf(stderr, "cop: "+format+"\n", args...) },
		Refused: func(err error) { stop(err) }}
	allow := os.Getenv("COP_CALL_ALLOWLIST")
	if allow == "" {
		allow = config.DevCallAllowlist
	}
	acts := &engine.Activities{Allow: engine.ParseAllowlist(allow), Platform: platform}
	const queue = "cop-local-run"
	wk := worker.New(c, queue, worker.Options{})
	acts.Register(wk)
	if err := wk.Start(); err != nil {
		return fmt.Errorf("start the worker: %w", err)
	}
	defer wk.Stop()

	start := engine.Start{Definition: l.definition, Input: l.input, StartedBy: l.startedBy, CaseKey: l.caseKey}
	if err := engine.Pin(l.workflow, l.resolver, &start); err != nil {
		return err
	}
	if sf := l.startForm; sf != nil && workflows.Refs(l.workflow).Amends {
		start.Forms[engine.AmendFormKey(sf.Name, sf.Version)] = *sf
	}
	d := l.workflow.Document
	run, err := engine.StartInstance(ctx, c, engine.StartOptions{ID: "local-" + d.Name, TaskQueue: queue, Start: start, Namespace: d.Namespace, Name: d.Name})
	if err != nil {
		return err
	}
	for _, ev := range l.events {
		if err := engine.SendEvent(ctx, c, run.GetID(), ev); err != nil {
			return fmt.Errorf("deliver event: %w", err)
		}
	}
	var res engine.Result
	err = run.Get(refused, &res)
	if refused.Err() != nil {
		return context.Cause(refused)
	}
	out := engine.OutcomeOf(&res, err)
	out.Trace = platform.TraceOf(run.GetID(), out.Trace) // what the instance handed over, then the rest
	l.print(newRunReport(out, platform.Report(run.GetID()), run.GetID()), stdout, stderr)
	if out.Status != engine.StatusCompleted {
		return errFaulted
	}
	return nil
}

// runReport is what `cop workflows run` prints: the outcome, then the
// user tasks the run created and the notifications it sent.
type runReport struct {
	*engine.Outcome
	Tasks         []runTask             `json:"tasks"`
	Notifications []engine.Notification `json:"notifications"`
}

// runTask is a user task as a local run reports it.
type runTask struct {
	// Instance is set on a sub-workflow's task: its instance id.
	Instance        string     `json:"instance,omitempty"`
	Position        string     `json:"position"`
	Title           string     `json:"title"`
	Form            string     `json:"form,omitempty"`
	FormVersion     string     `json:"formVersion,omitempty"`
	Amends          string     `json:"amends,omitempty"`
	CandidateGroups []string   `json:"candidateGroups,omitempty"`
	Assignee        string     `json:"assignee,omitempty"`
	Priority        int        `json:"priority"`
	Reason          string     `json:"reason"`
	Due             *time.Time `json:"due"`
	// Status is open, claimed, completed or cancelled, as the run left it.
	Status string `json:"status"`
}

func newRunReport(o *engine.Outcome, r engine.LocalReport, instance string) runReport {
	status := map[string]string{}
	for _, c := range r.Changes {
		switch c.Kind {
		case engine.TaskClaimed:
			status[c.ID] = "claimed"
		case engine.TaskReleased, engine.TaskReassigned:
			status[c.ID] = "open"
		case engine.TaskDone:
			status[c.ID] = "completed"
		case engine.TaskWithdrawn:
			status[c.ID] = "cancelled"
		}
	}
	out := runReport{Outcome: o, Tasks: []runTask{}, Notifications: r.Notifications}
	for _, t := range r.Tasks {
		rt := runTask{Position: t.Position, Title: t.Title, Form: t.Form, FormVersion: t.FormVersion, Amends: t.Amends,
			CandidateGroups: t.CandidateGroups, Assignee: t.Assignee, Priority: t.Priority, Reason: t.Reason, Due: t.Due,
			Status: cmp.Or(status[t.ID], "open")}
		if t.Instance != instance {
			rt.Instance = t.Instance
		}
		if rt.Due != nil {
			due := rt.Due.UTC()
			rt.Due = &due
		}
		out.Tasks = append(out.Tasks, rt)
	}
	return out
}

func (l localRun) print(o runReport, stdout, stderr io.Writer) {
	if l.asJSON {
		enc := json.NewEncoder(stdout)
		_ = enc.Encode(o)
		return
	}
	tw := tabwriter.NewWriter(stdout, 0, 2, 2, ' ', 0)
	fmt.Fprintln(tw, "TASK\tPOSITION\tSTATUS\tTOOK")
	for _, e := range o.Trace {
		took := "-"
		if e.EndedAt != nil {
			took = e.EndedAt.Sub(e.StartedAt).Round(time.Millisecond).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Name, e.Position, e.Status, took)
	}
	_ = tw.Flush()
	printTasks(o.Tasks, stdout)
	printNotifications(o.Notifications, stdout)
	if o.Status == engine.StatusCompleted {
		b, _ := json.MarshalIndent(o.Output, "", "  ")
		fmt.Fprintf(stdout, "\nstatus: completed\noutput:\n%s\n", b)
		return
	}
	fmt.Fprintf(stdout, "\nstatus: %s\n", o.Status)
	if o.Error != nil {
		b, _ := json.MarshalIndent(o.Error, "", "  ")
		fmt.Fprintf(stderr, "error:\n%s\n", strings.TrimSpace(string(b)))
	}
}

// printTasks lists the user tasks, each as its inbox would show it:
//
//	Approve seizure: … (completed)
//	  /do/2/approveSeizure: form seizure-approval@1.0.0 for role:supervisor
//	  priority 2, due 2026-11-21T13:57:38Z: Seizure of drugs worth £60000 …
func printTasks(tasks []runTask, w io.Writer) {
	if len(tasks) == 0 {
		return
	}
	fmt.Fprintln(w, "\nuser tasks:")
	for _, t := range tasks {
		fmt.Fprintf(w, "  %s (%s)\n", t.Title, t.Status)
		where := t.Position
		if t.Instance != "" {
			where = t.Instance + " " + where
		}
		switch {
		case t.Amends != "":
			where += fmt.Sprintf(": returns submission %s to correct, on form %s@%s", t.Amends, t.Form, t.FormVersion)
		case t.Form != "":
			where += fmt.Sprintf(": form %s@%s", t.Form, t.FormVersion)
		}
		who := append([]string(nil), t.CandidateGroups...)
		if t.Assignee != "" {
			who = append(who, "user:"+t.Assignee)
		}
		if len(who) > 0 {
			where += " for " + strings.Join(who, ", ")
		}
		fmt.Fprintf(w, "    %s\n", where)
		line := fmt.Sprintf("priority %d", t.Priority)
		if t.Due != nil {
			line += ", due " + t.Due.Format(time.RFC3339)
		}
		if t.Reason != "" {
			line += ": " + t.Reason
		}
		fmt.Fprintf(w, "    %s\n", line)
	}
}

// printNotifications lists the notifications: to whom, how, the title,
// then the body and link.
func printNotifications(ns []engine.Notification, w io.Writer) {
	if len(ns) == 0 {
		return
	}
	fmt.Fprintln(w, "\nnotifications:")
	for _, n := range ns {
		fmt.Fprintf(w, "  to %s", strings.Join(n.To, ", "))
		if len(n.Channels) > 0 {
			fmt.Fprintf(w, " (%s)", strings.Join(n.Channels, ", "))
		}
		fmt.Fprintf(w, ": %s\n", n.Title)
		if n.Body != "" {
			fmt.Fprintf(w, "    %s\n", n.Body)
		}
		if n.Link != "" {
			fmt.Fprintf(w, "    %s\n", n.Link)
		}
	}
}
