package imports

// A BPMN process is a graph; a COP workflow is lists of tasks, where a
// task's then may jump only within its own list. Each flow scope (the
// process, a sub-process, one branch of a fork) becomes one list, and each
// flow node one task, in the order a depth-first walk from the start
// meets them, so that most flows are simply "the next task" and the rest
// are then jumps (loops are jumps backwards). Gateways that only merge
// are not tasks: the flows into them jump to where they lead.

// list is one task list being built.
type list struct {
	scope        *scope
	top          bool      // the workflow's own do: running off its end ends the workflow
	processLevel bool      // holds the process's own nodes (a terminate end event ends the workflow)
	stop         *flowNode // a fork's join: reaching it ends this branch
	branch       bool      // a fork's branch
	parent       *list
	depth        int // how many lists enclose it
	tasks        []*task
	taskOf       map[*flowNode]*task
}

// task is one task being built; then is worked out when the list is
// complete, from next, since only then is it known which task follows.
type task struct {
	name  string
	node  *flowNode
	pre   obj // if, input
	body  obj // the kind and its fields
	post  obj // output, timeout
	next  *target
	cases []*switchCase
	meta  obj
}

type switchCase struct {
	name string
	when string
	next *target
}

type targetKind int

const (
	toNode      targetKind = iota + 1 // a flow node's task in this list
	toTask                            // a task built here (a fork, a placeholder)
	toEnd                             // a none end event: the end of this list's scope
	toExit                            // the join of the fork this branch is in
	toTerminate                       // a terminate end event
)

// target is where a flow leads, once merging gateways are passed through.
type target struct {
	kind targetKind
	node *flowNode
	task *task
	via  *seqFlow
}

func (b *builder) newList(s *scope, parent *list, stop *flowNode) *list {
	l := &list{scope: s, parent: parent, stop: stop, taskOf: map[*flowNode]*task{}}
	l.processLevel = s.sub == nil
	if parent != nil {
		l.depth = parent.depth + 1
	}
	return l
}

// maxListDepth bounds how deeply forks and sub-processes may nest: far
// deeper than a readable process, and shallow enough that a hostile file
// cannot make the translation's indentation grow without end.
const maxListDepth = 30

// add appends a task; the first task made for a node is the one flows
// into the node jump to.
func (l *list) add(t *task) {
	l.tasks = append(l.tasks, t)
	if t.node != nil && l.taskOf[t.node] == nil {
		l.taskOf[t.node] = t
	}
}

// newTask is a task for a node, named after its id and traced back to it.
func (b *builder) newTask(n *flowNode) *task {
	t := &task{name: b.names.unique(camel(n.id)), node: n}
	t.meta = obj{{"bpmnId", n.id}}
	if name := oneLine(n.name); name != "" {
		t.meta = t.meta.with("bpmnName", name)
	}
	return t
}

// helperTask is a task the translation adds (a route, a placeholder),
// named after the node it serves.
func (b *builder) helperTask(n *flowNode, suffix string) *task {
	return &task{name: b.names.unique(camel(n.id) + suffix), meta: obj{{"bpmnId", n.id}}}
}

// follow is where a flow leads in list l: through merging gateways, none
// intermediate events and link events, to a node that does something, an
// end, or this branch's join.
func (b *builder) follow(l *list, f *seqFlow) *target {
	seen := map[*flowNode]bool{}
	for {
		n := f.dst
		b.reached[n] = true
		switch {
		case n == l.stop:
			return &target{kind: toExit, via: f}
		case l.enclosingStop(n):
			return b.unstructured(l, f, n, "reaches the join of an enclosing fork from inside a nested one")
		case seen[n]:
			return b.unstructured(l, f, n, "loops through gateways that do nothing else")
		}
		seen[n] = true
		if n.kind == "endEvent" && n.def == nil {
			return &target{kind: toEnd, via: f}
		}
		if n.kind == "endEvent" && n.eventKind() == "terminate" {
			return &target{kind: toTerminate, via: f}
		}
		next, pass := b.passThrough(n)
		if !pass {
			return &target{kind: toNode, node: n, via: f}
		}
		if next == nil {
			return &target{kind: toEnd, via: f}
		}
		f = next
	}
}

// passThrough says whether a node is only a junction, and the flow out of
// it (nil when none leaves it).
func (b *builder) passThrough(n *flowNode) (*seqFlow, bool) {
	first := func() *seqFlow {
		if len(n.out) == 0 {
			return nil
		}
		return n.out[0]
	}
	switch n.kind {
	case "exclusiveGateway":
		if len(n.out) <= 1 && (len(n.out) == 0 || n.out[0].cond == nil) {
			return first(), true
		}
	case "parallelGateway", "inclusiveGateway":
		if n.kind == "inclusiveGateway" && len(n.out) == 1 && n.out[0].cond != nil {
			return nil, false // its one flow's condition decides: a switch
		}
		if len(n.out) <= 1 {
			if len(n.in) > 1 {
				b.rep.add(n.id, "this gateway joins flows that do not all come from one fork the import could match, so it does not wait for the others: check the flow around it")
			}
			return first(), true
		}
	case "intermediateThrowEvent":
		switch n.eventKind() {
		case "":
			if implementation(n) == nil && len(n.out) <= 1 && (len(n.out) == 0 || n.out[0].cond == nil) {
				return first(), true // several flows out: a task, then a fork of them
			}
		case "link":
			catch := b.linkCatch(n)
			if catch == nil {
				b.rep.add(n.id, "no intermediate link catch event here is named %q, so the flow ends here", n.def.attr("", "name"))
				return nil, true
			}
			b.reached[catch] = true
			if len(catch.out) == 0 {
				return nil, true
			}
			if len(catch.out) > 1 {
				b.rep.add(catch.id, "several flows leave this link catch event: the import follows only the first (%s), where Camunda takes them all; put a parallel gateway after it", catch.out[0].id)
			}
			return catch.out[0], true
		}
	}
	return nil, false
}

// linkCatch is the link catch event a link throw event jumps to.
func (b *builder) linkCatch(throw *flowNode) *flowNode {
	name := throw.def.attr("", "name")
	for _, n := range throw.scope.nodes {
		if n.kind == "intermediateCatchEvent" && n.eventKind() == "link" && n.def.attr("", "name") == name {
			return n
		}
	}
	return nil
}

// inBranch says whether l is (inside) a fork's branch.
func (l *list) inBranch() bool {
	for p := l; p != nil; p = p.parent {
		if p.branch {
			return true
		}
	}
	return false
}

// enclosingStop says whether n is the join of a fork enclosing this list's.
func (l *list) enclosingStop(n *flowNode) bool {
	for p := l.parent; p != nil; p = p.parent {
		if p.stop == n {
			return true
		}
	}
	return false
}

// visit emits the node a target leads to, unless it already has a task.
// A node another list already holds cannot be jumped to from this one:
// the flow becomes a task that faults, and the report says why.
func (b *builder) visit(l *list, t *target) {
	if t == nil || t.kind != toNode {
		return
	}
	if l.depth > maxListDepth {
		if b.tooDeep == nil {
			b.tooDeep = t.node
		}
		return
	}
	switch owner := b.owner[t.node]; {
	case owner == l:
	case owner != nil:
		*t = *b.unstructured(l, t.via, t.node, "jumps into another part of the translation (a fork branch, or out of one), and a COP then jumps only within its own list")
	default:
		b.emit(l, t.node)
	}
}

// unstructured is a placeholder for a flow COP's lists cannot express.
func (b *builder) unstructured(l *list, f *seqFlow, n *flowNode, why string) *target {
	at := n.id
	if f != nil {
		at = f.id
	}
	t := b.helperTask(n, "Unstructured")
	b.placeholder(t, at, "the flow to "+n.id+" "+why, "restructure the flow so it stays within one branch (a loop inside the branch, or a join after it)")
	l.add(t)
	return &target{kind: toTask, task: t}
}

// emit builds the task(s) for a node into list l, then the nodes after it.
func (b *builder) emit(l *list, n *flowNode) {
	b.owner[n] = l
	b.reached[n] = true
	if !activityKinds[n.kind] {
		b.children(n) // an activity's core reads its own
	}
	switch n.kind {
	case "exclusiveGateway":
		b.exclusive(l, n)
	case "parallelGateway", "inclusiveGateway":
		if n.kind == "inclusiveGateway" && len(n.out) == 1 {
			b.exclusive(l, n) // one conditional flow: taken when it holds, else a fault, as in Camunda
			return
		}
		b.visit(l, &target{kind: toTask, task: b.fork(l, n, n.out, true)})
	case "eventBasedGateway":
		b.eventGateway(l, n)
	case "endEvent":
		b.endEvent(l, n)
	case "intermediateThrowEvent":
		t := b.throwEvent(n)
		l.add(t)
		t.next = b.successor(l, n, n.out)
		b.visit(l, t.next)
	case "complexGateway":
		t := b.newTask(n)
		b.placeholder(t, n.id, "a complexGateway", "model the decision with exclusive, inclusive or parallel gateways")
		l.add(t)
	case "boundaryEvent", "startEvent":
		t := b.newTask(n)
		b.placeholder(t, n.id, "a sequence flow into a "+n.kind, "take the flow out: nothing may flow into a "+n.kind)
		l.add(t)
	default:
		b.activity(l, n)
	}
}

// activityKinds are the nodes emit hands to activity.
var activityKinds = map[string]bool{
	"task": true, "userTask": true, "manualTask": true, "serviceTask": true, "sendTask": true, "receiveTask": true,
	"scriptTask": true, "businessRuleTask": true, "callActivity": true, "subProcess": true, "transaction": true,
	"adHocSubProcess": true, "intermediateCatchEvent": true,
}

// successor is where the flow goes after a node: nowhere (the end of its
// scope), through its one flow, or, when several flows leave an activity
// (an implicit split, conditional or not), into a fork of them.
func (b *builder) successor(l *list, from *flowNode, flows []*seqFlow) *target {
	switch {
	case len(flows) == 0:
		return &target{kind: toEnd}
	case len(flows) == 1 && flows[0].cond == nil:
		return b.follow(l, flows[0])
	}
	return &target{kind: toTask, task: b.fork(l, from, flows, false)}
}

// nothing is a task that passes its input on: what a list with no work
// holds, since a list may not be empty.
func nothing(name string) *task {
	return &task{name: name, body: obj{{"set", "${ . }"}}}
}

// render writes a list as the DSL's task list.
func (b *builder) render(l *list) []any {
	if len(l.tasks) == 0 {
		l.add(nothing(b.names.unique("nothing")))
	}
	out := make([]any, 0, len(l.tasks))
	for i, t := range l.tasks {
		body := b.renderTask(t, l)
		if t.next != nil {
			if then := b.then(l, i, t.next, true); then != "" {
				body = insertBefore(body, "metadata", kv{"then", then})
			}
		}
		out = append(out, obj{{t.name, body}})
	}
	return out
}

// renderTask writes one task's fields: if and input, the kind, output and
// timeout, metadata. Nested lists are written in place. l is the list
// holding the task, which its switch cases jump within.
func (b *builder) renderTask(t *task, l *list) obj {
	body := append(obj{}, t.pre...)
	for _, m := range t.body {
		body = append(body, kv{m.k, b.renderValue(m.v)})
	}
	if t.cases != nil {
		body = body.with("switch", b.renderCases(t, l))
	}
	for _, m := range t.post {
		body = append(body, kv{m.k, b.renderValue(m.v)})
	}
	if len(t.meta) > 0 {
		body = body.with("metadata", t.meta)
	}
	return body
}

func (b *builder) renderValue(v any) any {
	switch x := v.(type) {
	case *list:
		return b.render(x)
	case []*task:
		out := make([]any, len(x))
		for i, t := range x {
			out[i] = obj{{t.name, b.renderTask(t, nil)}}
		}
		return out
	case obj:
		out := make(obj, len(x))
		for i, m := range x {
			out[i] = kv{m.k, b.renderValue(m.v)}
		}
		return out
	}
	return v
}

func (b *builder) renderCases(t *task, l *list) []any {
	out := make([]any, 0, len(t.cases))
	for _, c := range t.cases {
		body := obj{}
		if c.when != "" {
			body = body.with("when", c.when)
		}
		body = body.with("then", b.then(l, -1, c.next, false))
		out = append(out, obj{{c.name, body}})
	}
	return out
}

// then names where a target leads from the task at position i of l; ""
// when that is where the flow goes anyway (omit is false for switch
// cases, which always say).
func (b *builder) then(l *list, i int, t *target, omit bool) string {
	name := ""
	switch t.kind {
	case toNode:
		if tk := l.taskOf[t.node]; tk != nil {
			name = tk.name
		}
	case toTask:
		name = t.task.name
	case toEnd:
		name = "exit"
		if l.top {
			name = "end"
		}
	case toExit:
		name = "exit"
	case toTerminate:
		name = "exit"
		if l.processLevel {
			name = "end"
			if l.inBranch() && t.via != nil {
				b.rep.add(t.via.dst.id, "a terminate end event inside a fork branch ends only its branch here (COP cannot end the instance from a branch): the other branches run on and the flow goes on after the fork; end the instance after the join if that is what it means")
			}
		} else if l.stop != nil && t.via != nil {
			b.rep.add(t.via.dst.id, "a terminate end event inside a fork branch of a sub-process ends only its branch here, not the whole sub-process")
		}
	}
	if name == "" {
		name = "exit" // unreachable: every node target is visited into its list
	}
	if !omit {
		return name
	}
	last := i == len(l.tasks)-1
	switch {
	case !last && l.tasks[i+1].name == name:
		return ""
	case last && (name == "exit" || l.top && name == "end"):
		return ""
	}
	return name
}

// insertBefore puts m before key k, or at the end.
func insertBefore(o obj, k string, m kv) obj {
	for i, x := range o {
		if x.k == k {
			out := append(obj{}, o[:i]...)
			out = append(out, m)
			return append(out, o[i:]...)
		}
	}
	return append(o, m)
}
