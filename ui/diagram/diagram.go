// Package diagram draws a workflow definition for an author's page: an
// accessible SVG drawn on the server (no JavaScript), and the same content
// as an ordered list of steps in words, its accessible equivalent.
//
// Tasks flow top to bottom in document order. Each task is a box naming
// the task and its kind in words; the kinds that shape the flow (switch,
// fork, try and catch, for, listen) and user tasks each have their own
// shape and border as well. A then to another task is an arrow routed down
// the right-hand side, away from the boxes; the cases of a switch are rows
// under it, each with its condition and an arrow to where it goes. Nested
// lists (a do, a for's body, a try's list and its catch, a fork's branches)
// are drawn inside their task's box.
//
// The drawing is a narrow one, Width units wide however deep the nesting,
// so it scales down to a phone's width: page styles should give it
// max-width (the element has class "cop-workflow-diagram"; COP's
// Content-Security-Policy allows no style attribute).
package diagram

import (
	"errors"
	"fmt"
	"html/template"
	"strconv"

	"cop/workflows"
)

// Options change what Draw draws.
type Options struct {
	// Highlight is the JSON pointer of a task to mark as where a run
	// faulted, as the engine's trace writes positions ("/do/2/decide",
	// "/do/1/findPort/try/0/lookUpPort"); "" for none. Only a task whose
	// position is exactly Highlight is marked.
	Highlight string
	// Current marks Highlight as where a running instance is now
	// ("Running here", in blue) rather than where it faulted.
	Current bool
	// FormLink returns the page to link for a form a user task uses,
	// given as the task writes it ("NAME" or "NAME@VERSION"), or "" for no
	// link. An amend task (amend: submission) uses the workflow's start
	// form. Nil: no links.
	FormLink func(form string) string
}

// Step is one task, in words: one item of the ordered list beside the
// drawing.
type Step struct {
	Number   string // "1", "2", "2.1" (nested)
	Position string // JSON pointer of the task in the document
	Name     string // the task's name, as written
	// Kind is the task's kind in words an author reads: "User task",
	// "Switch", "Fork", "Try", "For each", "Listen", "Call HTTP", "Set",
	// "Emit", "Wait", "Raise", "Run workflow", "Do", "Notify", "Look up",
	// "Call OpenAPI", "Call function".
	Kind string
	// Detail is plain sentences: what the task does and where the flow
	// goes next ("Then goes to approve (step 3).", "If .approved, goes to
	// seizureApproved (step 5).", "Form seizure-approval (latest
	// version), for role:supervisor.", "Then ends the workflow.").
	Detail []string
	// FormHref is, for a user task, FormLink's answer for its form.
	FormHref string
	// Highlighted says this is the task Options.Highlight names.
	Highlighted bool
	// Part says which part of its parent a nested step is in, when that
	// is not plain: "Try" or "Catch" (a try task's list and its catch.do:
	// one numbering runs through both) or "Branch" (a fork's branches).
	Part string
	// Children are the steps of the task's nested lists: a do's, a for's
	// body, a try's list then its catch.do, a fork's branches.
	Children []Step
}

// Diagram is a drawn workflow.
type Diagram struct {
	// SVG is a complete <svg> element (role="img", titled, with a
	// viewBox and width="100%").
	SVG template.HTML
	// Steps is the same content as an ordered list, in document order.
	Steps []Step
}

// Width is the width of every diagram's viewBox: a tall narrow drawing,
// whatever the nesting, so that it stays readable scaled to a phone.
const Width = 360

// Draw draws w.
func Draw(w *workflows.Workflow, opt Options) (Diagram, error) {
	if w == nil {
		return Diagram{}, errors.New("diagram: no workflow to draw")
	}
	b := &builder{w: w, opt: opt}
	top := b.list(w.Do, "/do", "", 0, "", nil)
	b.flow(top)
	b.assemble(top)
	svg := b.draw(top)
	return Diagram{SVG: template.HTML(svg), Steps: steps(top)}, nil
}

// builder holds what drawing one workflow needs.
type builder struct {
	w   *workflows.Workflow
	opt Options
	// layout
	start, finish rect
	height        float64
}

// node is one task, placed.
type node struct {
	name string
	task *workflows.Task
	pos  string
	num  string
	part string
	hl   bool

	kind     string   // Step.Kind
	slug     string   // the kind for class names
	shape    shape    // how it is drawn
	label    string   // the kind line in the box ("For each person in .crew")
	lines    []string // further lines in the box ("Form: x", "Only if …")
	does     []string // sentences on what it does
	timeout  string   // a sentence on its timeout
	ifText   string   // a sentence on its if
	flowText []string // sentences on where the flow goes
	formHref string
	detail   []string

	lists      []*list  // nested lists
	rows       []row    // a switch's cases
	catchLines []string // a try's catch, in the box

	// layout
	collapsed   bool   // too deep to draw its lists: one box
	faultInside string // collapsed: the number of the faulted step inside
	x, y, w, h  float64
	headH       float64 // containers and switches: the header's height
	catchY      float64 // try: the line above the catch
}

// list is a task list: the workflow's do or a nested one.
type list struct {
	nodes []*node
	owner *node // nil for the workflow's own do
	fork  bool  // a fork's branches: they run at once, so no flow between them
	edges []*edge
	lanes int
	pill  bool // an Exit terminal at the bottom (a task leaves the list)

	// layout
	x0, x1, bx0, bx1 float64 // the list's region, and the column of its boxes
	pillRect         rect
	lanePos          []float64
}

// row is one case of a switch, under its header.
type row struct {
	text   string // "If .approved", "Otherwise", "No match"
	target string // "seizureApproved", "End", "Exit"
	name   string // the case's name; "" for no match
}

// list builds the nodes of tl, numbering them from start+1 under prefix.
func (b *builder) list(tl workflows.TaskList, ptr, prefix string, start int, part string, owner *node) *list {
	l := &list{owner: owner, fork: part == "Branch"}
	for i, nt := range tl {
		if nt == nil {
			continue
		}
		num := strconv.Itoa(start + len(l.nodes) + 1)
		if prefix != "" {
			num = prefix + "." + num
		}
		pos := fmt.Sprintf("%s/%d/%s", ptr, i, workflows.EscapeToken(nt.Name))
		l.nodes = append(l.nodes, b.node(nt, pos, num, part))
	}
	return l
}

func (b *builder) node(nt *workflows.NamedTask, pos, num, part string) *node {
	t := nt.Task
	if t == nil {
		t = &workflows.Task{}
	}
	n := &node{name: nt.Name, task: t, pos: pos, num: num, part: part}
	n.hl = b.opt.Highlight != "" && pos == b.opt.Highlight
	b.describe(n)
	switch {
	case t.Kind == workflows.KindDo, t.Kind == workflows.KindFor:
		n.lists = []*list{b.list(t.Do, pos+"/do", num, 0, "", n)}
	case t.Kind == workflows.KindTry:
		tl := b.list(t.Try, pos+"/try", num, 0, "Try", n)
		var catch workflows.TaskList
		if t.Catch != nil {
			catch = t.Catch.Do
		}
		n.lists = []*list{tl, b.list(catch, pos+"/catch/do", num, len(tl.nodes), "Catch", n)}
	case t.Kind == workflows.KindFork && t.Fork != nil:
		n.lists = []*list{b.list(t.Fork.Branches, pos+"/fork/branches", num, 0, "Branch", n)}
	}
	return n
}

// assemble puts each node's sentences together: its if, what it does, its
// timeout, where the flow goes.
func (b *builder) assemble(l *list) {
	for _, n := range l.nodes {
		var d []string
		if n.ifText != "" {
			d = append(d, n.ifText)
		}
		d = append(d, n.does...)
		if n.timeout != "" {
			d = append(d, n.timeout)
		}
		n.detail = append(d, n.flowText...)
		for _, c := range n.lists {
			b.assemble(c)
		}
	}
}

// steps turns nodes into the list's steps.
func steps(l *list) []Step {
	var out []Step
	for _, n := range l.nodes {
		s := Step{
			Number: n.num, Position: n.pos, Name: n.name, Kind: n.kind,
			Detail: n.detail, FormHref: n.formHref, Highlighted: n.hl, Part: n.part,
		}
		for _, c := range n.lists {
			s.Children = append(s.Children, steps(c)...)
		}
		out = append(out, s)
	}
	return out
}
