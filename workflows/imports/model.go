package imports

import (
	"fmt"
	"strings"
)

// definitions is what the file declares at its root: processes, and the
// messages, errors, signals and escalations events refer to.
type definitions struct {
	processes   []*element
	messages    map[string]string // id → name
	errors      map[string]bpmnError
	signals     map[string]string
	escalations map[string]string
}

type bpmnError struct{ code, name string }

// process is the imported process: its id, name and top-level scope.
type process struct {
	el    *element
	id    string
	name  string
	scope *scope
}

// scope is one level of flow: the process or a sub-process.
type scope struct {
	el    *element
	id    string
	sub   *flowNode // the sub-process holding it; nil for the process
	nodes []*flowNode
	byID  map[string]*flowNode
	flows []*seqFlow
	lanes bool
}

// flowNode is an event, activity or gateway.
type flowNode struct {
	el         *element
	id, name   string
	kind       string // the element's local name: userTask, exclusiveGateway…
	scope      *scope
	in, out    []*seqFlow
	boundaries []*flowNode
	attachedTo *flowNode
	inner      *scope   // a sub-process's content
	def        *element // the event definition (timerEventDefinition…), if any
	defs       int      // how many event definitions it has
	idx        int      // its place in its scope, for stable choices
}

// label is how the report and titles call a node: its name, else its id.
func (n *flowNode) label() string {
	if s := oneLine(n.name); s != "" {
		return s
	}
	return n.id
}

// eventKind is the event definition's kind: "timer", "message", "error"…,
// "" for a none event.
func (n *flowNode) eventKind() string {
	if n.def == nil {
		return ""
	}
	return strings.TrimSuffix(n.def.local, "EventDefinition")
}

// seqFlow is a sequence flow.
type seqFlow struct {
	el       *element
	id, name string
	src, dst *flowNode
	cond     *element // conditionExpression, if any
}

// flowNodeKinds are the BPMN elements that are nodes of the flow.
var flowNodeKinds = map[string]bool{
	"startEvent": true, "endEvent": true, "intermediateCatchEvent": true, "intermediateThrowEvent": true, "boundaryEvent": true,
	"task": true, "userTask": true, "manualTask": true, "serviceTask": true, "sendTask": true, "receiveTask": true,
	"scriptTask": true, "businessRuleTask": true, "callActivity": true, "subProcess": true, "transaction": true, "adHocSubProcess": true,
	"exclusiveGateway": true, "parallelGateway": true, "inclusiveGateway": true, "eventBasedGateway": true, "complexGateway": true,
}

// layoutKinds are elements inside a process that only document or lay out
// the diagram: nothing runs them, so they are passed over without a word.
var layoutKinds = map[string]bool{
	"documentation": true, "textAnnotation": true, "association": true, "group": true, "category": true,
	"extensionElements": true, "incoming": true, "outgoing": true, "laneSet": true,
}

// loopKinds are a sub-process's loop markers, read with the activity.
var loopKinds = map[string]bool{"multiInstanceLoopCharacteristics": true, "standardLoopCharacteristics": true}

// dataKinds are BPMN data elements: COP's data is the instance's own, so
// they are reported, not translated.
var dataKinds = map[string]bool{
	"dataObject": true, "dataObjectReference": true, "dataStoreReference": true, "dataInputAssociation": true,
	"dataOutputAssociation": true, "property": true, "ioSpecification": true,
}

// readDefinitions checks the root and indexes what processes refer to.
func readDefinitions(file string, root *element, rep *reporter) (*definitions, error) {
	if !root.is(nsBPMN, "definitions") {
		return nil, fmt.Errorf("%s line %d: the root element is <%s> in namespace %q, not BPMN 2.0 <definitions> (namespace %s)", file, root.line, root.local, root.space, nsBPMN)
	}
	d := &definitions{messages: map[string]string{}, errors: map[string]bpmnError{}, signals: map[string]string{}, escalations: map[string]string{}}
	if platform := root.attr(nsModeler, "executionPlatform"); platform == "Camunda Cloud" {
		rep.add(idOr(root, "definitions"), "the file was written for Camunda 8 (Zeebe), whose zeebe: extensions are not translated: this import reads Camunda 7's camunda: extensions")
	}
	for _, c := range root.children {
		if c.space != nsBPMN {
			continue
		}
		id := c.attr("", "id")
		switch c.local {
		case "process":
			d.processes = append(d.processes, c)
		case "message":
			d.messages[id] = c.attr("", "name")
		case "error":
			d.errors[id] = bpmnError{code: c.attr("", "errorCode"), name: c.attr("", "name")}
		case "signal":
			d.signals[id] = c.attr("", "name")
		case "escalation":
			d.escalations[id] = c.attr("", "escalationCode")
		}
	}
	return d, nil
}

// choose picks the process to import.
func (d *definitions) choose(file, want string, rep *reporter) (*process, error) {
	if len(d.processes) == 0 {
		return nil, fmt.Errorf("%s: the file has no <process>: there is nothing to import (a collaboration diagram alone cannot run)", file)
	}
	var executable []*element
	var ids []string
	for _, p := range d.processes {
		ids = append(ids, p.attr("", "id"))
		if p.attr("", "isExecutable") == "true" {
			executable = append(executable, p)
		}
	}
	var chosen *element
	switch {
	case want != "":
		for _, p := range d.processes {
			if p.attr("", "id") == want {
				chosen = p
			}
		}
		if chosen == nil {
			return nil, fmt.Errorf("%s: no process has the id %q (its processes: %s)", file, want, strings.Join(ids, ", "))
		}
		if chosen.attr("", "isExecutable") != "true" {
			rep.add(want, "the process is not marked executable (isExecutable=\"true\"), so Camunda would not deploy it; it was imported because it was asked for by name")
		}
	case len(executable) == 0:
		return nil, fmt.Errorf("%s: no process is marked executable (isExecutable=\"true\"; Camunda Modeler marks the process it deploys): mark one, or name the process to import (processes: %s)", file, strings.Join(ids, ", "))
	default:
		chosen = executable[0]
		if len(executable) > 1 {
			var names []string
			for _, p := range executable {
				names = append(names, p.attr("", "id"))
			}
			rep.add(chosen.attr("", "id"), "the file has %d executable processes (%s); this one was imported: name another to import it too", len(executable), strings.Join(names, ", "))
		}
	}
	p := &process{el: chosen, id: chosen.attr("", "id"), name: oneLine(chosen.attr("", "name"))}
	p.scope = readScope(chosen, nil, rep)
	return p, nil
}

// readScope reads one process or sub-process: its nodes, then its flows,
// then which boundary event is attached to which activity.
func readScope(el *element, sub *flowNode, rep *reporter) *scope {
	s := &scope{el: el, id: el.attr("", "id"), sub: sub, byID: map[string]*flowNode{}}
	for _, c := range el.children {
		switch {
		case c.space != nsBPMN:
			rep.add(s.id+"/"+c.local, "the element <%s> (namespace %s) is not BPMN and was not translated", c.local, c.space)
		case flowNodeKinds[c.local]:
			s.addNode(c, rep)
		case c.local == "sequenceFlow":
			// read below, once every node is known
		case c.local == "laneSet":
			s.lanes = s.lanes || len(c.all(nsBPMN, "lane")) > 0
		case dataKinds[c.local]:
			rep.add(idOr(c, s.id+"/"+c.local), "%s is not translated: a COP workflow's data is the instance's own variables, passed from task to task; read or write what it holds with tasks (call: http, lookup)", c.local)
		case layoutKinds[c.local] || loopKinds[c.local]:
		default:
			rep.add(idOr(c, s.id+"/"+c.local), "<%s> is not translated", c.local)
		}
	}
	for _, c := range el.all(nsBPMN, "sequenceFlow") {
		s.addFlow(c, rep)
	}
	for _, n := range s.nodes {
		if n.kind != "boundaryEvent" {
			continue
		}
		host := s.byID[n.el.attr("", "attachedToRef")]
		if host == nil {
			rep.add(n.id, "the boundary event is attached to %q, which is not an activity here: it was not translated", n.el.attr("", "attachedToRef"))
			continue
		}
		n.attachedTo = host
		host.boundaries = append(host.boundaries, n)
	}
	return s
}

func idOr(e *element, fallback string) string {
	if id := e.attr("", "id"); id != "" {
		return id
	}
	return fallback
}

func (s *scope) addNode(c *element, rep *reporter) {
	n := &flowNode{el: c, id: c.attr("", "id"), name: c.attr("", "name"), kind: c.local, scope: s}
	if n.id == "" {
		rep.add(s.id+"/"+c.local, "a %s without an id was not translated", c.local)
		return
	}
	if s.byID[n.id] != nil {
		rep.add(n.id, "another element already has this id: the second was not translated")
		return
	}
	for _, x := range c.children {
		if x.space == nsBPMN && strings.HasSuffix(x.local, "EventDefinition") {
			if n.def == nil {
				n.def = x
			}
			n.defs++
		}
	}
	if n.defs > 1 {
		rep.add(n.id, "the event has %d event definitions (a multiple event); only the first, %s, was translated", n.defs, n.def.local)
	}
	switch c.local {
	case "subProcess", "transaction", "adHocSubProcess":
		if c.attr("", "triggeredByEvent") == "true" {
			rep.add(n.id, "an event sub-process is not translated: what it handles (an error, a message, a timer while the process runs) must be modelled with try/catch, listen or timeout on the tasks it concerns")
			return
		}
		n.inner = readScope(c, n, rep)
	}
	n.idx = len(s.nodes)
	s.nodes = append(s.nodes, n)
	s.byID[n.id] = n
}

func (s *scope) addFlow(c *element, rep *reporter) {
	f := &seqFlow{el: c, id: c.attr("", "id"), name: oneLine(c.attr("", "name")), cond: c.child(nsBPMN, "conditionExpression")}
	f.src, f.dst = s.byID[c.attr("", "sourceRef")], s.byID[c.attr("", "targetRef")]
	if f.src == nil || f.dst == nil {
		rep.add(idOr(c, s.id+"/sequenceFlow"), "the sequence flow joins %q to %q, which are not both flow elements of this process: it was not translated", c.attr("", "sourceRef"), c.attr("", "targetRef"))
		return
	}
	for _, x := range c.extensions() {
		rep.add(f.id+"/"+x.local, "the sequence flow's %s is not translated: do its work in a task on the flow", x.local)
	}
	s.flows = append(s.flows, f)
	f.src.out = append(f.src.out, f)
	f.dst.in = append(f.dst.in, f)
}
