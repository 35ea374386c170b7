package imports

import (
	"strings"
)

// catchEvent translates an intermediate catch event: a timer waits, a
// message (or signal) listens for an event of its name.
func (b *builder) catchEvent(t *task, n *flowNode) {
	switch n.eventKind() {
	case "timer":
		b.timer(t, n)
	case "message", "signal":
		b.listen(t, n, n.eventKind())
	case "link":
		t.body = obj{{"set", "${ . }"}} // reached only by its own flows: a junction
	case "conditional":
		cond := n.def.child(nsBPMN, "condition").trimmed()
		b.placeholder(t, n.id, "a conditional event (waiting until "+cond+" holds)", "wait for an event instead (listen), or check with wait and a switch in a loop")
	default:
		b.placeholder(t, n.id, "an intermediate catch event with no event definition COP knows", "say what it waits for (wait, listen)")
	}
}

// timer translates a timer catch event: a duration waits; a date or a
// cycle does not translate.
func (b *builder) timer(t *task, n *flowNode) {
	switch {
	case n.def.child(nsBPMN, "timeDuration") != nil:
		d, why := duration(n.def.child(nsBPMN, "timeDuration").trimmed())
		if why != "" {
			b.placeholder(t, n.id, "a timer: "+why, "write the duration as ISO 8601 in weeks, days, hours, minutes or seconds (wait: P3D)")
			return
		}
		t.body = obj{{"wait", d}}
	case n.def.child(nsBPMN, "timeDate") != nil:
		b.placeholder(t, n.id, "a timer until the date "+n.def.child(nsBPMN, "timeDate").trimmed(), "wait for a duration instead (wait: P3D)")
	case n.def.child(nsBPMN, "timeCycle") != nil:
		b.placeholder(t, n.id, "a cycle timer ("+n.def.child(nsBPMN, "timeCycle").trimmed()+")", "wait for a duration in a loop (wait, then a switch jumping back)")
	default:
		b.placeholder(t, n.id, "a timer with no duration, date or cycle", "give it a duration (wait: P3D)")
	}
}

// listen waits for one event of the message's (or signal's) name; its
// data becomes variables.
func (b *builder) listen(t *task, n *flowNode, kind string) {
	ref := n.def
	if n.kind == "receiveTask" {
		ref = n.el
	}
	typ, ok := b.eventType(n, ref, kind)
	if !ok {
		b.placeholder(t, n.id, "a "+kind+" event with no "+kind+" name COP can listen for", "listen for the event it waits for (listen: {to: {one: {with: {type: …}}}})")
		return
	}
	t.body = obj{{"listen", obj{{"to", obj{{"one", obj{{"with", obj{{"type", typ}}}}}}}}}}
	t.post = obj{{"output", obj{{"as", mergeEvent}}}}
	b.noteListen(n, kind, typ)
}

// noteListen says once how events reach a waiting instance, and that a
// signal is not a broadcast on COP.
func (b *builder) noteListen(n *flowNode, kind, typ string) {
	b.rep.once("listen", n.id, "waits for an event of type %s: Camunda correlates a message to its instance by business key or variables; COP delivers an event sent to the instance (POST /api/v1/instances/{id}/events), or one sent to POST /api/v1/events when the listen's filter has a correlate that picks its instance: add one", typ)
	if kind == "signal" {
		b.rep.add(n.id, "a signal is broadcast to every waiting instance in Camunda; here the instance waits for an event of type %s sent to it", typ)
	}
}

// eventType is the event type a message or signal is listened for or
// emitted as: its name. ref holds the messageRef (or signalRef).
func (b *builder) eventType(n *flowNode, ref *element, kind string) (string, bool) {
	id := ref.attr("", kind+"Ref")
	names := b.defs.messages
	if kind == "signal" {
		names = b.defs.signals
	}
	name, known := names[id]
	switch {
	case id == "":
		return "", false
	case !known:
		b.rep.add(n.id, "the %s %q is not declared in the file", kind, id)
		return "", false
	case name == "":
		b.rep.add(n.id, "the %s %s has no name, so its id is the event type", kind, id)
		name = id
	case strings.Contains(name, "${") || strings.Contains(name, "#{"):
		b.rep.add(n.id, "the %s name %s is an expression, which is not translated", kind, name)
		return "", false
	}
	return name, true
}

// emitTask announces an event of the message's name, passing the
// variables on.
func (b *builder) emitTask(t *task, n *flowNode, typ string) {
	if strings.HasPrefix(typ, "cop.") {
		b.rep.add(n.id, "the event type %s begins with cop., which only COP's own events may: it is emitted as bpmn.%s", typ, typ)
		typ = "bpmn." + typ
	}
	t.body = obj{{"emit", obj{{"event", obj{{"with", obj{{"source", b.source()}, {"type", typ}}}}}}}}
	t.post = obj{{"output", obj{{"as", keepInput}}}}
	b.rep.add(n.id, "emits an event of type %s with no data: add the data its receivers need (emit.event.with.data), and subscribe them to it", typ)
}

// source is the CloudEvents source of the events the workflow emits.
func (b *builder) source() string {
	return "https://cop.gov.uk/imported/" + b.opt.Namespace + "/" + b.wfName
}

// throwEvent translates an intermediate throw event that does something:
// a message (or signal) is emitted; one with an implementation runs like a
// service task; escalation and compensation do not translate.
func (b *builder) throwEvent(n *flowNode) *task {
	t := b.newTask(n)
	b.extensions(n, t)
	b.eventAction(t, n)
	return t
}

// eventAction fills a throw or end event's task.
func (b *builder) eventAction(t *task, n *flowNode) {
	if implementation(n) != nil {
		b.serviceTask(t, n)
		return
	}
	kind := n.eventKind()
	switch kind {
	case "message", "signal":
		if typ, ok := b.eventType(n, n.def, kind); ok {
			b.emitTask(t, n, typ)
			if kind == "signal" {
				b.rep.add(n.id, "a signal is broadcast to every waiting instance in Camunda; here it is an event of type %s, which reaches only instances it is sent to", typ)
			}
			return
		}
		b.placeholder(t, n.id, "a "+kind+" event with no "+kind+" name", "emit the event it stands for (emit: {event: {with: {source, type}}})")
	case "escalation":
		b.placeholder(t, n.id, "an escalation event ("+b.defs.escalations[n.def.attr("", "escalationRef")]+")", "tell whoever must act (call: notify), or raise an error a try catches")
	case "compensate":
		b.placeholder(t, n.id, "compensation", "undo the work with tasks of its own, on the path that needs it")
	default:
		b.placeholder(t, n.id, "a "+kind+" event", "model what it does with tasks")
	}
}

// endEvent translates an end event that does something before its path
// ends: an error end event raises the error, a message one emits.
func (b *builder) endEvent(l *list, n *flowNode) {
	t := b.newTask(n)
	b.extensions(n, t)
	l.add(t)
	if n.eventKind() == "error" && implementation(n) == nil {
		if b.errorCaught(n) {
			b.raiseBPMNError(t, n)
			return
		}
		// Camunda ends the scope as a none end event does when no
		// boundary event catches the error.
		b.rep.once("uncaughtErrorEnd", n.id, "no boundary event of an enclosing sub-process catches this error end event's error, so (as in Camunda) it is a none end event: its path ends without a fault; the same holds for every such error end event in this file. If a calling process's call activity catches the error, raise it instead (raise: {error: {type: %s…}})", errBPMNPrefix)
		t.body = obj{{"set", "${ . }"}}
		t.next = &target{kind: toEnd}
		return
	}
	b.eventAction(t, n)
	t.next = &target{kind: toEnd}
}

// errorCode is the code an error event throws or catches ("" for a catch
// all: no errorRef).
func (b *builder) errorCode(ev *flowNode) string {
	ref := ev.def.attr("", "errorRef")
	if ref == "" {
		return ""
	}
	if code := b.defs.errors[ref].code; code != "" {
		return code
	}
	return ref
}

// errorCaught says whether an error boundary event of a sub-process
// enclosing an error end event catches its error.
func (b *builder) errorCaught(n *flowNode) bool {
	code := b.errorCode(n)
	for s := n.scope; s != nil && s.sub != nil; s = s.sub.scope {
		for _, ev := range s.sub.boundaries {
			if ev.eventKind() != "error" {
				continue
			}
			if c := b.errorCode(ev); c == "" || c == code {
				return true
			}
		}
	}
	return false
}

// raiseBPMNError raises the error an error end event throws, as the error
// type an error boundary event translated here catches.
func (b *builder) raiseBPMNError(t *task, n *flowNode) {
	ref := n.def.attr("", "errorRef")
	e := b.defs.errors[ref]
	code := e.code
	if code == "" {
		code = ref
	}
	if code == "" {
		code = n.id
	}
	title := "BPMN error " + code
	if e.name != "" {
		_, title = b.nameText(n.id, "error name", oneLine(e.name), false)
	}
	t.body = obj{{"raise", obj{{"error", obj{
		{"type", bpmnErrorType(code)},
		{"status", 500},
		{"title", title},
		{"detail", "Raised by BPMN end event " + n.id + "."},
	}}}}}
}
