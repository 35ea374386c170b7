package imports

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// builder translates one process.
type builder struct {
	file    string
	defs    *definitions
	proc    *process
	opt     Options
	rep     *reporter
	wfName  string
	names   names
	forms   formSet
	owner   map[*flowNode]*list // the list holding a node's task
	reached map[*flowNode]bool  // nodes the translation has accounted for
	teams   []string            // Camunda groups that became teams
	work    int                 // what is left of the budget for finding joins
	tooDeep *flowNode           // where forks and sub-processes nested too deeply

	startForm string
	startOn   string // the message a message start event waits for
}

func newBuilder(file string, defs *definitions, proc *process, opt Options, rep *reporter) *builder {
	b := &builder{file: file, defs: defs, proc: proc, opt: opt, rep: rep,
		owner: map[*flowNode]*list{}, reached: map[*flowNode]bool{}, work: joinWork}
	b.wfName = kebab(proc.id, 63)
	if b.wfName == "" {
		b.wfName = kebab(proc.name, 63)
	}
	if b.wfName == "" {
		b.wfName = "imported"
	}
	return b
}

// joinWork bounds the steps spent finding the joins of forks: far more
// than a real process needs.
const joinWork = 5_000_000

// semver is a version COP's registry takes (no +BUILD).
var semver = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`)

// workflow builds the document: the process's flow as the top-level do,
// and what its start event and attributes say about starting it.
func (b *builder) workflow() (obj, error) {
	p := b.proc
	top := b.newList(p.scope, nil, nil)
	top.top = true
	b.startList(top, b.entryOf(p.scope, true))
	if b.tooDeep != nil {
		return nil, fmt.Errorf("%s: process %s nests forks and sub-processes more than %d deep (at %s), deeper than COP takes: split it into smaller processes (call activities)", b.file, p.id, maxListDepth, b.tooDeep.id)
	}
	md := b.metadata()
	b.processAttributes()
	if p.scope.lanes {
		b.rep.add(p.id+"/laneSet", "lanes are not translated: who does a user task is its candidateGroups (or assignee)")
	}
	if len(b.teams) > 0 {
		sort.Strings(b.teams)
		b.rep.add(p.id, "Camunda groups became COP teams (%s), since a COP role is one of %s: make sure the teams exist in COP's directory, or change them to roles", strings.Join(uniqueStrings(prefixAll("team:", b.teams)), ", "), roleList("or"))
	}
	version := "1.0.0"
	if tag := p.el.cam("versionTag"); tag != "" {
		if semver.MatchString(tag) {
			version = tag
		} else {
			b.rep.add(p.id+"/camunda:versionTag", "the version tag %q is not a semantic version (MAJOR.MINOR.PATCH), so the workflow is version 1.0.0", tag)
		}
	}
	title := p.name
	if title == "" {
		title = p.id
	}
	document := obj{
		{"dsl", quoted("1.0.3")},
		{"namespace", b.opt.Namespace},
		{"name", b.wfName},
		{"version", quoted(version)},
		{"title", title},
		{"summary", fmt.Sprintf("Imported from BPMN %s, process %s.", b.file, p.id)},
	}
	if len(md) > 0 {
		document = document.with("metadata", md)
	}
	doc := obj{{"document", document}}
	if b.startOn != "" {
		doc = doc.with("schedule", obj{{"on", obj{{"one", obj{{"with", obj{{"type", b.startOn}}}}}}}})
	}
	if from := b.inputFrom(); from != "" {
		doc = doc.with("input", obj{{"from", from}})
	}
	return doc.with("do", b.render(top)), nil
}

// inputFrom makes the workflow's variables of how it was started: the
// start form's answers, or the starting event's data.
func (b *builder) inputFrom() string {
	switch {
	case b.startForm != "" && b.startOn != "":
		return "${ if .submission then .submission.data elif .event then ((.event.data | objects) // {}) else . end }"
	case b.startForm != "":
		return "${ if .submission then .submission.data else . end }"
	case b.startOn != "":
		return "${ if .event then ((.event.data | objects) // {}) else . end }"
	}
	return ""
}

// metadata is document.metadata: the start form, who may start it, and
// the process's own properties.
func (b *builder) metadata() obj {
	md := obj{}
	if b.startForm != "" {
		md = md.with("startForm", b.startForm)
	}
	if g := b.proc.el.cam("candidateStarterGroups"); g != "" {
		if groups := b.groups(b.proc.id, g); len(groups) > 0 {
			md = md.with("access", obj{{"start", groups}})
		}
	}
	if x := b.proc.el.extension(nsCamunda, "properties"); x != nil {
		props := obj{}
		for _, p := range x.all(nsCamunda, "property") {
			props = props.with(p.attr("", "name"), p.attr("", "value"))
		}
		md = md.with("bpmnProperties", props)
	}
	return md
}

// processAttributes reports what the process element says that is not
// translated.
func (b *builder) processAttributes() {
	p := b.proc
	if u := p.el.cam("candidateStarterUsers"); u != "" {
		b.rep.add(p.id+"/camunda:candidateStarterUsers", "candidate starter users (%s) are not translated: document.metadata.access.start names the roles and teams who may start it", u)
	}
	for _, x := range p.el.extensions() {
		switch {
		case x.is(nsCamunda, "properties"):
		case x.is(nsCamunda, "executionListener"):
			b.rep.add(p.id+"/camunda:executionListener", "the process's %s listener (%s) is not translated: do its work in a task of its own", x.attr("", "event"), listenerKind(x))
		default:
			b.rep.add(p.id+"/"+prefixed(x), "the extension element is not translated")
		}
	}
}

// entryOf picks a scope's start event, and (for the process) reads what it
// says about starting: its form, the message that starts it. Other start
// events are reported.
func (b *builder) entryOf(s *scope, top bool) *flowNode {
	var starts []*flowNode
	for _, n := range s.nodes {
		if n.kind == "startEvent" {
			starts = append(starts, n)
		}
	}
	if len(starts) == 0 {
		for _, n := range s.nodes {
			if len(n.in) == 0 && n.kind != "boundaryEvent" && n.el.attr("", "isForCompensation") != "true" {
				b.rep.add(s.id, "there is no start event, so the flow starts at %s, the first element no flow leads to", n.id)
				return n
			}
		}
		return nil
	}
	start := starts[0]
	for _, n := range starts {
		if n.def == nil {
			start = n
			break
		}
	}
	for _, n := range starts {
		b.reached[n] = true
		if n != start {
			b.rep.add(n.id, "a workflow starts one way, so only the start event %s is translated: this one (%s) and its path are not", start.id, orNone(n.eventKind()))
		}
	}
	b.children(start)
	if top {
		b.startEvent(start)
	} else {
		b.extensions(start, &task{})
	}
	return start
}

// startEvent reads what the process's start event says about starting.
func (b *builder) startEvent(n *flowNode) {
	b.extensions(n, &task{})
	el := n.el
	if el.extension(nsCamunda, "formData") != nil || el.cam("formKey") != "" || el.cam("formRef") != "" {
		title := b.proc.name
		if title == "" {
			title = n.label()
		}
		b.startForm = b.formFor(n, "start", title, true)
	}
	if i := el.cam("initiator"); i != "" {
		b.rep.add(n.id+"/camunda:initiator", "the initiator variable %s is not translated: an instance started by its start form has submission.submittedBy", i)
	}
	switch kind := n.eventKind(); kind {
	case "":
	case "message":
		if typ, ok := b.eventType(n, n.def, "message"); ok {
			b.startOn = typ
			b.rep.add(n.id, "an instance starts on each event of type %s (schedule.on), with the event's data as its variables: give document.metadata.access.events the senders who may send it", typ)
		}
	case "timer":
		b.rep.add(n.id, "a timer start event is not translated (COP starts instances through the API, a start form or an event, not on a schedule): start it from the system that keeps the schedule")
	default:
		b.rep.add(n.id, "a %s start event is not translated: the workflow starts through the API or its start form", kind)
	}
}

// startList fills a scope's list: from its start event, then the nodes
// no path from it reached, each reported.
func (b *builder) startList(l *list, start *flowNode) {
	if start != nil {
		b.reached[start] = true
		if start.kind == "startEvent" {
			b.visit(l, b.successor(l, start, start.out))
		} else {
			b.visit(l, &target{kind: toNode, node: start})
		}
	}
	for _, n := range l.scope.nodes {
		if b.reached[n] || b.owner[n] != nil || n.kind == "boundaryEvent" || n.kind == "startEvent" {
			continue
		}
		if n.kind == "intermediateCatchEvent" && n.eventKind() == "link" && len(n.in) == 0 {
			continue // reached by its link throw event, or by nothing: a label
		}
		if n.el.attr("", "isForCompensation") == "true" {
			b.compensation(n)
			continue
		}
		b.rep.add(n.id, "is not reached from the start event in the translation (its way in was not translated): it is kept at the end of its list for you to connect")
		b.visit(l, &target{kind: toNode, node: n})
	}
}

// header is the comment above the workflow.
func (b *builder) header() string {
	return fmt.Sprintf("Imported from BPMN %s (process %s).\n"+
		"Read the import report before publishing: tasks raising %s\n"+
		"stand in for what was not translated, and fault the instance if reached.", b.file, b.proc.id, errUntranslated)
}

func prefixAll(prefix string, list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = prefix + s
	}
	return out
}

func uniqueStrings(list []string) []string {
	var out []string
	for _, s := range list {
		if !contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
