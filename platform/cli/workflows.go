package cli

import (
	"bufio"
	"bytes"
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

	"cop/forms/examples"
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
	asJSON := fs.Bool("json", false, "print one JSON object {status, output, error, trace}")
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
	resolver, err := localResolver(with)
	if err != nil {
		return err
	}
	w, js, err := parseWorkflow(file, content, resolver, stdout)
	if err != nil {
		return err
	}
	switch args[0] {
	case "validate":
		d := w.Document
		fmt.Fprintf(stdout, "workflow %s/%s %s: valid\n", d.Namespace, d.Name, d.Version)
		return nil
	case "run":
		opts := localRun{definition: js, workflow: w, resolver: resolver, asJSON: *asJSON, timeout: *timeout}
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
// (forms, sub-workflows) is loaded, printing every problem.
func parseWorkflow(file string, content []byte, r *engine.LocalResolver, stdout io.Writer) (*workflows.Workflow, json.RawMessage, error) {
	w, js, err := workflows.Parse(content)
	var ps workflows.Problems
	if errors.As(err, &ps) {
		for _, p := range ps {
			fmt.Fprintf(stdout, "%s: %s: %s\n", file, orRoot(p.Pointer), p.Message)
		}
		return nil, nil, fmt.Errorf("%s is not a valid workflow (%s)", file, plural(len(ps), "problem"))
	}
	if err != nil {
		return nil, nil, err
	}
	if err := engine.Pin(w, r, &engine.Start{}); err != nil {
		fmt.Fprintf(stdout, "%s: %v\n", file, err)
		return nil, nil, fmt.Errorf("%s refers to something not loaded: give it with --with FILE", file)
	}
	return w, js, nil
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
	if json.Unmarshal(b, &probe) != nil {
		return r.AddWorkflow(b) // YAML: only workflows are written in YAML
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

	start := engine.Start{Definition: l.definition, Input: l.input, StartedBy: "local"}
	if err := engine.Pin(l.workflow, l.resolver, &start); err != nil {
		return err
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
	l.print(out, stdout, stderr)
	if out.Status != engine.StatusCompleted {
		return errFaulted
	}
	return nil
}

func (l localRun) print(o *engine.Outcome, stdout, stderr io.Writer) {
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
