package imports

import (
	"fmt"
	"strings"
)

// Boundary events interrupt an activity, and the flow goes on from the
// event instead. A COP then jumps only within its list, so the activity
// is wrapped (a try for errors and timeouts; a competing fork for
// messages) whose handler marks which event happened, and a switch after
// it routes on the mark: to the event's path, or to the activity's own.
// The mark is cleared on the way in, so a loop back through the activity
// does not see an old one.

// boundaryMark is the variable naming the boundary event that happened.
const boundaryMark = "bpmnBoundaryEvent"

// boundaryPlan is what an activity's boundary events become.
type boundaryPlan struct {
	timeout    any                  // an interrupting timer's duration: the task's timeout
	escalation obj                  // a non-interrupting timer on a user task
	routes     []*flowNode          // caught errors and timeouts, in order
	errTypes   map[*flowNode]string // the error type each route catches; "" any
	messages   []*flowNode          // interrupting message events: listens competing with the task
	msgTypes   map[*flowNode]string
}

func (p boundaryPlan) timeoutField() obj {
	if p.timeout == nil {
		return nil
	}
	return obj{{"timeout", obj{{"after", p.timeout}}}}
}

// planBoundaries decides what each of an activity's boundary events
// becomes, and reports those that become nothing: their paths are then
// reached from nowhere.
func (b *builder) planBoundaries(n *flowNode) boundaryPlan {
	p := boundaryPlan{errTypes: map[*flowNode]string{}, msgTypes: map[*flowNode]string{}}
	for _, ev := range n.boundaries {
		b.reached[ev] = true
		b.extensions(ev, &task{})
		b.children(ev)
		interrupting := ev.el.attr("", "cancelActivity") != "false"
		switch kind := ev.eventKind(); {
		case kind == "timer":
			b.timerBoundary(n, ev, interrupting, &p)
		case kind == "error":
			ref := ev.def.attr("", "errorRef")
			p.errTypes[ev] = ""
			if ref != "" {
				code := b.defs.errors[ref].code
				if code == "" {
					code = ref
				}
				p.errTypes[ev] = bpmnErrorType(code)
			}
			for _, v := range []string{"errorCodeVariable", "errorMessageVariable"} {
				if ev.def.cam(v) != "" {
					b.rep.add(ev.id+"/camunda:"+v, "storing the error in a variable is not translated: the error is $error inside the catch")
				}
			}
			p.routes = append(p.routes, ev)
			if n.kind == "userTask" {
				b.rep.add(ev.id, "in Camunda whoever completes the task may throw this error; a COP user task cannot, so its path (%s) is never taken as translated: decide on the task's answers instead (a switch after it)", pathOf(ev))
			}
		case kind == "message" && interrupting:
			if typ, ok := b.eventType(ev, ev.def, "message"); ok {
				p.msgTypes[ev] = typ
				p.messages = append(p.messages, ev)
				b.noteListen(ev, "message", typ)
				continue
			}
			b.rep.add(ev.id, "the message boundary event names no message COP can listen for: its path is never taken")
		default:
			how := "interrupting"
			if !interrupting {
				how = "non-interrupting"
			}
			b.rep.add(ev.id, "%s %s boundary event is not translated: its path (%s) is never taken", article(how), orNone(kind), pathOf(ev))
		}
	}
	return p
}

// article puts a or an before a word.
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}

func orNone(kind string) string {
	if kind == "" {
		return "none"
	}
	return kind
}

// pathOf names where a boundary event's flows lead, for the report.
func pathOf(ev *flowNode) string {
	var to []string
	for _, f := range ev.out {
		to = append(to, "to "+f.dst.id)
	}
	if len(to) == 0 {
		return "it has no outgoing flow"
	}
	return strings.Join(to, ", ")
}

// timerBoundary plans a timer on an activity: an interrupting one with a
// duration is the task's timeout; a non-interrupting one on a user task
// is its escalation (which raises its priority and tells people); the
// rest are reported.
func (b *builder) timerBoundary(n, ev *flowNode, interrupting bool, p *boundaryPlan) {
	dur := ev.def.child(nsBPMN, "timeDuration")
	if dur == nil {
		b.rep.add(ev.id, "a timer boundary event with a date or cycle is not translated: its path (%s) is never taken; give it a duration (PT4H)", pathOf(ev))
		return
	}
	d, why := duration(dur.trimmed())
	switch {
	case why != "":
		b.rep.add(ev.id, "%s: the timer is not translated, and its path (%s) is never taken", why, pathOf(ev))
	case interrupting && p.timeout != nil:
		b.rep.add(ev.id, "only an activity's first timer is translated: this one's path (%s) is never taken", pathOf(ev))
	case interrupting:
		p.timeout = d
		p.errTypes[ev] = errTimeout
		p.routes = append(p.routes, ev)
	case n.kind == "userTask" && p.escalation == nil:
		p.escalation = obj{{"after", d}}
		b.rep.add(ev.id, "the non-interrupting timer became the task's escalation after %v: the task moves to priority 1 and its candidate groups (else its assignee) are told it is overdue; its own path (%s) is not run", d, pathOf(ev))
	default:
		b.rep.add(ev.id, "a non-interrupting timer is not translated here: its path (%s) is never taken", pathOf(ev))
	}
}

// guarded emits an activity with boundary events: the wrapped task, then
// the switch that routes on which event happened.
func (b *builder) guarded(l *list, n *flowNode, core *task, p boundaryPlan) {
	inner := core
	if len(p.routes) > 0 {
		core.post = append(core.post, p.timeoutField()...)
		inner = &task{name: core.name, node: n, meta: core.meta,
			body: obj{{"try", &list{tasks: []*task{core}}}, {"catch", b.catchRoutes(core, p)}}}
	}
	if len(p.messages) > 0 {
		branches := []*task{inner}
		for _, ev := range p.messages {
			lt := &task{name: b.names.unique(camel(ev.id)), meta: obj{{"bpmnId", ev.id}}}
			lt.body = obj{{"listen", obj{{"to", obj{{"one", obj{{"with", obj{{"type", p.msgTypes[ev]}}}}}}}}}}
			lt.post = obj{{"output", obj{{"as", "${ $input + {" + boundaryMark + ": " + jsonKey(ev.id) + "} + ((.[0] | objects) // {}) }"}}}}
			branches = append(branches, lt)
		}
		inner = &task{name: core.name, node: n, meta: core.meta,
			body: obj{{"fork", obj{{"compete", true}, {"branches", branches}}}}}
	}
	inner.pre = obj{{"input", obj{{"from", "${ del(." + boundaryMark + ") }"}}}}
	l.add(inner)
	route := b.helperTask(n, "Outcome")
	l.add(route)
	used := map[string]bool{}
	for _, ev := range append(append([]*flowNode{}, p.routes...), p.messages...) {
		route.cases = append(route.cases, &switchCase{
			name: uniqueIn(camel(ev.id), used),
			when: "${ ." + boundaryMark + " == " + jsonKey(ev.id) + " }",
			next: b.successor(l, ev, ev.out),
		})
	}
	normal := &switchCase{name: uniqueIn("completed", used), next: b.successor(l, n, n.out)}
	route.cases = append(route.cases, normal)
	b.visit(l, normal.next)
	for _, c := range route.cases[:len(route.cases)-1] {
		b.visit(l, c.next)
	}
}

// catchRoutes is the try's catch: the errors the boundary events catch,
// and a task marking which one it was.
func (b *builder) catchRoutes(core *task, p boundaryPlan) obj {
	catch := obj{}
	var types []string
	all := false
	for _, ev := range p.routes {
		if t := p.errTypes[ev]; t == "" {
			all = true
		} else if !contains(types, t) {
			types = append(types, t)
		}
	}
	switch {
	case all:
		// A catch-all error boundary event catches BPMN errors (any
		// code), not every fault: not an untranslated placeholder's, an
		// HTTP failure or a faulting condition.
		conds := []string{"($error.type | startswith(" + jsonKey(errBPMNPrefix) + "))"}
		for _, t := range types {
			if !strings.HasPrefix(t, errBPMNPrefix) {
				conds = append(conds, "$error.type == "+jsonKey(t))
			}
		}
		catch = catch.with("when", "${ "+strings.Join(conds, " or ")+" }")
	case len(types) == 1:
		catch = catch.with("errors", obj{{"with", obj{{"type", types[0]}}}})
	default:
		var conds []string
		for _, t := range types {
			conds = append(conds, "$error.type == "+jsonKey(t))
		}
		catch = catch.with("when", "${ "+strings.Join(conds, " or ")+" }")
	}
	mark := jsonKey(p.routes[0].id)
	if len(p.routes) > 1 {
		mark = "(" + markByType(p) + ")"
	}
	set := &task{name: core.name + "Caught", body: obj{{"set", "${ . + {" + boundaryMark + ": " + mark + "} }"}}}
	return catch.with("do", &list{tasks: []*task{set}})
}

// markByType picks the boundary event an error belongs to by its type;
// a catch-all event takes what the others do not.
func markByType(p boundaryPlan) string {
	var b strings.Builder
	fallback := ""
	for _, ev := range p.routes {
		if p.errTypes[ev] == "" {
			fallback = jsonKey(ev.id)
		}
	}
	first := true
	for i, ev := range p.routes {
		t := p.errTypes[ev]
		if t == "" {
			continue
		}
		if fallback == "" && i == len(p.routes)-1 {
			fallback = jsonKey(ev.id) // the catch let only these types through
			break
		}
		if first {
			b.WriteString("if ")
			first = false
		} else {
			b.WriteString(" elif ")
		}
		fmt.Fprintf(&b, "$error.type == %s then %s", jsonKey(t), jsonKey(ev.id))
	}
	if first {
		return fallback
	}
	fmt.Fprintf(&b, " else %s end", fallback)
	return b.String()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// eventMark is the variable naming which of an event-based gateway's
// events came.
const eventMark = "bpmnEvent"

// eventGateway translates an event-based gateway: one listen for any of
// the messages its paths wait for (with the first timer among them as its
// timeout), then a switch on which came.
func (b *builder) eventGateway(l *list, n *flowNode) {
	t := b.newTask(n)
	b.extensions(n, t)
	var filters []any
	type route struct {
		ev   *flowNode
		mark string
	}
	var routes []route
	var timer *flowNode
	var after any
	for _, f := range n.out {
		ev := f.dst
		b.reached[ev] = true
		if b.owner[ev] == nil && onlyFrom(ev, n) {
			// Its listen is the gateway's. An event other flows reach as
			// well is also a task of its own, for them: there it waits
			// for its event alone.
			b.owner[ev] = l
		}
		kind := ev.eventKind()
		ref := ev.def
		if ev.kind == "receiveTask" {
			kind, ref = "message", ev.el
		}
		switch {
		case (kind == "message" || kind == "signal") && ref != nil:
			typ, ok := b.eventType(ev, ref, kind)
			if !ok {
				b.rep.add(ev.id, "names no %s COP can listen for: this path of the gateway is never taken", kind)
				continue
			}
			filters = append(filters, obj{{"with", obj{{"type", typ}}}})
			routes = append(routes, route{ev, typ})
			b.noteListen(ev, kind, typ)
		case kind == "timer" && timer == nil && ev.def.child(nsBPMN, "timeDuration") != nil:
			d, why := duration(ev.def.child(nsBPMN, "timeDuration").trimmed())
			if why != "" {
				b.rep.add(ev.id, "%s: this path of the gateway is never taken", why)
				continue
			}
			timer, after = ev, d
			routes = append(routes, route{ev, ev.id})
		default:
			b.rep.add(ev.id, "a %s %s after an event-based gateway is not translated: this path is never taken", orNone(kind), ev.kind)
		}
	}
	if len(filters) == 0 {
		b.placeholder(t, n.id, "an event-based gateway with no message to wait for", "wait with listen (and a timeout)")
		l.add(t)
		return
	}
	t.body = obj{{"listen", obj{{"to", obj{{"any", filters}}}, {"read", "envelope"}}}}
	t.post = obj{{"output", obj{{"as", "${ $input + {" + eventMark + ": .[0].type} + ((.[0].data | objects) // {}) }"}}}}
	outer := t
	if timer != nil {
		t.post = t.post.with("timeout", obj{{"after", after}})
		set := &task{name: t.name + "TimedOut", body: obj{{"set", "${ . + {" + eventMark + ": " + jsonKey(timer.id) + "} }"}}}
		outer = &task{name: t.name, node: n, meta: t.meta, body: obj{
			{"try", &list{tasks: []*task{t}}},
			{"catch", obj{{"errors", obj{{"with", obj{{"type", errTimeout}}}}}, {"do", &list{tasks: []*task{set}}}}},
		}}
	}
	outer.pre = obj{{"input", obj{{"from", "${ del(." + eventMark + ") }"}}}}
	l.add(outer)
	sw := b.helperTask(n, "Outcome")
	l.add(sw)
	used := map[string]bool{}
	for _, r := range routes {
		sw.cases = append(sw.cases, &switchCase{name: uniqueIn(camel(r.ev.id), used),
			when: "${ ." + eventMark + " == " + jsonKey(r.mark) + " }", next: b.successor(l, r.ev, r.ev.out)})
	}
	noPath := b.noPathTask(n)
	sw.cases = append(sw.cases, &switchCase{name: uniqueIn("noEventMatched", used), next: &target{kind: toTask, task: noPath}})
	for _, c := range sw.cases {
		b.visit(l, c.next)
	}
	l.add(noPath)
}

// onlyFrom says whether every flow into ev comes from n.
func onlyFrom(ev, n *flowNode) bool {
	for _, f := range ev.in {
		if f.src != n {
			return false
		}
	}
	return true
}
