// Package imports translates a Camunda 7 / BPMN 2.0 process file into a
// COP workflow definition (Serverless Workflow DSL, COP's subset), the
// forms its user tasks and start need, and a report of everything it
// could not map. It is pure: no HTTP, no SQL, no Temporal.
//
// The translation is honest rather than complete: a construct it cannot
// express either becomes a task that faults loudly when reached (a raise,
// or a condition that calls error) or is left out, and in both cases the
// report names it by its BPMN element id and says what to do.
package imports

import (
	"encoding/json"
	"fmt"
	"strings"

	"cop/workflows"
)

// Limits bound a BPMN upload.
type Limits struct {
	MaxBytes    int64
	MaxElements int
	MaxDepth    int
}

// DefaultLimits are the limits the CLI and the API use. A zero field of the
// Limits given to BPMN takes its value from here.
var DefaultLimits = Limits{MaxBytes: 10 << 20, MaxElements: 20_000, MaxDepth: 64}

// Item is one thing the import could not map: Where is the BPMN element id
// (with the file name, e.g. "claim.bpmn: Gateway_1x2" or
// "claim.bpmn: UserTask_approve/camunda:formKey"), Why says what and what
// to do.
type Item struct {
	Where string `json:"where"`
	Why   string `json:"why"`
}

func (i Item) String() string { return i.Where + ": " + i.Why }

// Form is a form definition (JSON, as `cop forms validate` reads it) that
// the workflow's user tasks or start need.
type Form struct {
	Name       string          `json:"name"`
	Definition json.RawMessage `json:"definition"`
	Stub       bool            `json:"stub"`
}

// Result is a translated process.
type Result struct {
	Workflow []byte // the workflow definition, YAML, ending in a newline
	Name     string // document.name
	Forms    []Form // forms the workflow names, in first-use order
	Report   []Item // what could not be mapped
}

// Options choose what is imported and where it goes.
type Options struct {
	Namespace string // document.namespace; default "imported"
	// Process is the id of the process to import when the file has several
	// executable ones; "" imports the only (or first) executable process.
	Process string
}

// DefaultNamespace is the namespace of an import that names none.
const DefaultNamespace = "imported"

// BPMN translates one BPMN file. file names it in errors and the report.
// An error means nothing was produced: the file is too large, not well
// formed, hostile, not BPMN, or has no process to import.
func BPMN(file string, content []byte, opt Options, lim Limits) (Result, error) {
	lim = lim.withDefaults()
	if opt.Namespace == "" {
		opt.Namespace = DefaultNamespace
	}
	if !dnsLabel.MatchString(opt.Namespace) {
		return Result{}, fmt.Errorf("namespace %q is not a workflow namespace: letters, digits and '-', starting and ending with a letter or digit, at most 63 characters", opt.Namespace)
	}
	root, err := readXML(file, content, lim)
	if err != nil {
		return Result{}, err
	}
	rep := &reporter{file: file}
	defs, err := readDefinitions(file, root, rep)
	if err != nil {
		return Result{}, err
	}
	proc, err := defs.choose(file, opt.Process, rep)
	if err != nil {
		return Result{}, err
	}
	b := newBuilder(file, defs, proc, opt, rep)
	doc, err := b.workflow()
	if err != nil {
		return Result{}, err
	}
	out, err := encodeYAML(doc, b.header())
	if err != nil {
		return Result{}, fmt.Errorf("%s: write the workflow: %w", file, err)
	}
	if len(out) > workflows.MaxDocumentSize {
		return Result{}, fmt.Errorf("%s: the translation of process %s is %d bytes, and a workflow is at most %d: split the process into smaller ones (call activities) and import each", file, proc.id, len(out), workflows.MaxDocumentSize)
	}
	// The translation must never hand over a document COP refuses: check it
	// as an upload would, so a gap in this package shows as an error here
	// rather than as a broken definition in someone's repository.
	if _, _, err := workflows.Parse(out); err != nil {
		return Result{}, fmt.Errorf("%s: the translation of process %s is not a valid workflow (a defect in the BPMN import; please report it): %v", file, proc.id, err)
	}
	return Result{Workflow: out, Name: b.wfName, Forms: b.forms.list, Report: rep.items}, nil
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultLimits.MaxBytes
	}
	if l.MaxElements <= 0 {
		l.MaxElements = DefaultLimits.MaxElements
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultLimits.MaxDepth
	}
	return l
}

// reporter gathers the report, once per place and reason.
type reporter struct {
	file  string
	items []Item
	seen  map[string]bool
}

// add reports at an element id, optionally followed by "/" and the part of
// it (an attribute or extension element) that was not mapped.
func (r *reporter) add(where, format string, args ...any) {
	it := Item{Where: r.file + ": " + where, Why: fmt.Sprintf(format, args...)}
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	if key := it.String(); !r.seen[key] {
		r.seen[key] = true
		r.items = append(r.items, it)
	}
}

// once reports something at most once per import, whatever the place.
func (r *reporter) once(key, where, format string, args ...any) {
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	if r.seen["once:"+key] {
		return
	}
	r.seen["once:"+key] = true
	r.add(where, format, args...)
}

// oneLine collapses the line breaks Modeler puts in names ("Invoice&#10;
// approved?") so a title reads as one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
