package imports

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"cop/workflows"
)

// Error types the translation raises.
const (
	errUntranslated = "https://cop.gov.uk/errors/bpmn-untranslated"
	errNoPath       = "https://cop.gov.uk/errors/bpmn-no-path"
	errBPMNPrefix   = "https://cop.gov.uk/errors/bpmn/"
	errTimeout      = "https://serverlessworkflow.io/spec/1.0.0/errors/timeout"
)

// bpmnErrorType is the COP error type a BPMN error code is raised and
// caught as.
func bpmnErrorType(code string) string { return errBPMNPrefix + url.PathEscape(code) }

// Data flow: BPMN variables are one flat map, while COP hands each task's
// output to the next. These keep the data a flat object of variables.
const (
	// a user task outputs {data, submittedBy, submittedAt}: its answers
	// become variables
	mergeAnswers = "${ $input + .data }"
	// a listen outputs a list of the events' data
	mergeEvent = "${ $input + ((.[0] | objects) // {}) }"
	// a task whose result is not wanted passes the variables on
	keepInput = "${ $input }"
)

// activity emits an activity (or catch event): its task, wrapped for its
// boundary events, then what follows it.
func (b *builder) activity(l *list, n *flowNode) {
	plan := b.planBoundaries(n)
	core := b.loop(n, b.core(l, n, plan))
	if len(plan.routes) == 0 && len(plan.messages) == 0 {
		core.post = append(core.post, plan.timeoutField()...)
		l.add(core)
		core.next = b.successor(l, n, n.out)
		b.visit(l, core.next)
		return
	}
	b.guarded(l, n, core, plan)
}

// core is the task that does a node's own work.
func (b *builder) core(l *list, n *flowNode, plan boundaryPlan) *task {
	t := b.newTask(n)
	if doc := n.el.child(nsBPMN, "documentation").trimmed(); doc != "" {
		t.meta = t.meta.with("bpmnDocumentation", clip(doc))
	}
	b.extensions(n, t)
	b.children(n)
	switch n.kind {
	case "userTask":
		b.userTask(t, n, plan.escalation)
	case "serviceTask", "sendTask", "scriptTask", "businessRuleTask":
		b.serviceTask(t, n)
	case "receiveTask":
		b.listen(t, n, "message")
	case "callActivity":
		b.callActivity(t, n)
	case "subProcess", "transaction":
		if n.kind == "transaction" {
			b.rep.add(n.id, "a transaction's cancel and compensation are not translated: its content runs as a plain sub-process")
		}
		inner := b.newList(n.inner, l, nil)
		b.startList(inner, b.entryOf(n.inner, false))
		t.body = obj{{"do", inner}}
	case "adHocSubProcess":
		b.placeholder(t, n.id, "an ad-hoc sub-process (its activities run in any order, chosen at run time)", "model the choice with user tasks and gateways")
	case "intermediateCatchEvent":
		b.catchEvent(t, n)
	case "manualTask":
		t.body = obj{{"set", "${ . }"}}
		b.rep.add(n.id, "a manual task is work done outside any system; COP passes over it as Camunda does (set: ${ . }): make it a userTask if someone must confirm it")
	default: // task: an abstract task, which does nothing in Camunda either
		t.body = obj{{"set", "${ . }"}}
	}
	return t
}

// placeholder makes t a task that faults when reached, standing in for
// what could not be translated, and reports it at where.
func (b *builder) placeholder(t *task, where, what, advice string) {
	title := t.name
	if t.node != nil {
		title = t.node.label()
	}
	t.body = obj{{"raise", obj{{"error", obj{
		{"type", errUntranslated},
		{"status", 501},
		{"title", title + " was not translated from BPMN"},
		{"detail", clip(what)},
	}}}}}
	t.pre, t.post = nil, nil
	b.rep.add(where, "%s is not translated: the task %s faults the instance when it is reached; %s", what, t.name, advice)
}

// userTask is call: userTask with the task's form, people, due date and
// priority, its answers merged into the variables.
func (b *builder) userTask(t *task, n *flowNode, escalation obj) {
	el := n.el
	title, text := b.nameText(n.id, "name", n.label(), true)
	with := obj{{"form", b.formFor(n, t.name, text, false)}, {"title", title}}
	groups := b.groups(n.id, el.cam("candidateGroups"))
	assignee := b.assignee(n, groups)
	if len(groups) == 0 && assignee == "" {
		groups = []string{"role:supervisor"}
		b.rep.add(n.id, "the task names nobody who may do it that COP can use, so it is offered to role:supervisor: name the teams or roles (candidateGroups) who should")
	}
	if len(groups) > 0 {
		with = with.with("candidateGroups", groups)
	}
	if assignee != "" {
		with = with.with("assignee", assignee)
	}
	if p := el.cam("priority"); p != "" {
		if v, err := strconv.Atoi(strings.TrimSpace(p)); err == nil {
			with = with.with("priority", copPriority(v))
			b.rep.add(n.id+"/camunda:priority", "camunda:priority %d became priority %d: COP's priorities run from 1 (first) to 5, and Camunda's default 50 is COP's default 3", v, copPriority(v))
		} else {
			b.rep.add(n.id+"/camunda:priority", "the priority %s is an expression, which is not translated: write priority: ${ … } (1 to 5) if it is needed", p)
		}
	}
	if d := el.cam("dueDate"); d != "" {
		if iso, ok := staticDuration(d); ok {
			with = with.with("due", iso)
		} else {
			b.rep.add(n.id+"/camunda:dueDate", "the due date %s is not an ISO 8601 duration (like P3D) COP can take, so the task has no due date: write due: DURATION", d)
		}
	}
	if d := el.cam("followUpDate"); d != "" {
		b.rep.add(n.id+"/camunda:followUpDate", "the follow-up date %s is not translated: COP tasks have a due date and an escalation", d)
	}
	if escalation != nil {
		switch {
		case len(groups) > 0:
			escalation = escalation.with("to", groups)
		case assignee != "":
			escalation = escalation.with("to", []string{"user:" + assignee})
		}
		with = with.with("escalation", escalation.with("priority", 1))
	}
	t.body = obj{{"call", "userTask"}, {"with", with}}
	t.post = obj{{"output", obj{{"as", mergeAnswers}}}}
}

// copPriority maps Camunda's 0–100 (default 50, higher first) onto COP's
// 1–5 (default 3, 1 first).
func copPriority(p int) int {
	switch {
	case p >= 80:
		return 1
	case p >= 60:
		return 2
	case p >= 40:
		return 3
	case p >= 20:
		return 4
	}
	return 5
}

// copRoles are COP's roles (platform/auth's Role constants, in the order
// the report lists them); any other Camunda group becomes a team.
var copRoleNames = []string{"officer", "supervisor", "author", "integrator", "manager", "operator", "admin"}

var copRoles = func() map[string]bool {
	m := map[string]bool{}
	for _, r := range copRoleNames {
		m[r] = true
	}
	return m
}()

// roleList names COP's roles for the report: "officer, …, operator or admin".
func roleList(last string) string {
	n := len(copRoleNames)
	return strings.Join(copRoleNames[:n-1], ", ") + " " + last + " " + copRoleNames[n-1]
}

var groupName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// groups maps a comma-separated list of Camunda groups to COP candidate
// groups: a COP role's name stays a role, anything else is a team.
func (b *builder) groups(id, list string) []string {
	var out []string
	for _, g := range strings.Split(list, ",") {
		g = strings.TrimSpace(g)
		switch {
		case g == "":
		case strings.Contains(g, "${") || strings.Contains(g, "#{"):
			b.rep.add(id+"/camunda:candidateGroups", "the candidate groups %s are an expression, which is not translated (a COP group is team:NAME or role:NAME)", g)
		case !groupName.MatchString(g):
			b.rep.add(id+"/camunda:candidateGroups", "the group %q is not a name COP can use (letters, digits, '.', '_', '-')", g)
		case copRoles[g]:
			out = append(out, "role:"+g)
		default:
			out = append(out, "team:"+g)
			b.teams = append(b.teams, g)
		}
	}
	return out
}

// assignee is the one person a task goes to, when the file names one
// without an expression.
func (b *builder) assignee(n *flowNode, groups []string) string {
	el := n.el
	a := strings.TrimSpace(el.cam("assignee"))
	users := strings.TrimSpace(el.cam("candidateUsers"))
	if a == "" && users != "" && !strings.Contains(users, ",") && !strings.Contains(users, "{") {
		a, users = users, ""
	}
	if users != "" {
		b.rep.add(n.id+"/camunda:candidateUsers", "candidate users (%s) are not translated: COP offers a task to teams and roles (candidateGroups), or assigns it to one person", users)
	}
	switch {
	case a == "":
		return ""
	case strings.Contains(a, "{"):
		b.rep.add(n.id+"/camunda:assignee", "the assignee %s is an expression, which is not translated: write assignee: ${ … } giving the person's OpenID subject, if it is needed", a)
		return ""
	}
	b.rep.add(n.id+"/camunda:assignee", "the task is assigned to %s: COP's assignee is the person's OpenID subject, so check it is theirs", a)
	return a
}

// isoDuration is what the DSL takes as an ISO 8601 duration.
var isoDuration = regexp.MustCompile(`^P(\d+(\.\d+)?[YMWD])*(T(\d+(\.\d+)?[HMS])+)?$`)

// staticDuration checks a duration COP can take as written: ISO 8601,
// without years or months.
func staticDuration(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "P" || !isoDuration.MatchString(s) {
		return "", false
	}
	if _, err := workflows.ParseDuration(s); err != nil {
		return "", false
	}
	return s, true
}

// duration translates a timer's duration: ISO 8601, or a JUEL expression
// (a variable holding one). why says what is wrong when neither.
func duration(s string) (any, string) {
	s = strings.TrimSpace(s)
	if iso, ok := staticDuration(s); ok {
		return iso, ""
	}
	if strings.HasPrefix(s, "${") || strings.HasPrefix(s, "#{") {
		if jq, err := juelToJQ(s); err == nil {
			return "${ " + jq + " }", ""
		} else {
			return nil, fmt.Sprintf("the duration %s is an expression that was not translated (%v)", s, err)
		}
	}
	if isoDuration.MatchString(s) {
		return nil, fmt.Sprintf("the duration %s uses years or months, whose length depends on the calendar, which COP refuses: write it in weeks, days or hours", s)
	}
	return nil, fmt.Sprintf("%q is not an ISO 8601 duration", s)
}

// loop wraps an activity with a multi-instance marker over a collection
// in a for task: one run per item, the item a variable of the run (as
// Camunda's element variable is). Other loop markers are reported: the
// activity runs once.
func (b *builder) loop(n *flowNode, core *task) *task {
	if n.el.child(nsBPMN, "standardLoopCharacteristics") != nil {
		b.rep.add(n.id+"/standardLoopCharacteristics", "the loop marker is not translated, so the activity runs once: loop with a switch whose case jumps back to %s", core.name)
	}
	mi := n.el.child(nsBPMN, "multiInstanceLoopCharacteristics")
	if mi == nil {
		return core
	}
	where := n.id + "/multiInstanceLoopCharacteristics"
	collection, item := mi.cam("collection"), mi.cam("elementVariable")
	in, err := juelToJQ(collection)
	if collection != "" && !strings.ContainsAny(collection, "{") {
		in, err = jqField("", collection), nil // a variable's name, written bare
	}
	if collection == "" || item == "" || err != nil || !jqIdent.MatchString(item) {
		b.rep.add(where, "multi-instance (%s) is not translated, so the activity runs once: to run it for each item, put it in a for task (for: {each: ITEM, in: ${ .LIST }})", orText(collection, "a count of "+mi.child(nsBPMN, "loopCardinality").trimmed()))
		return core
	}
	if mi.attr("", "isSequential") != "true" {
		b.rep.add(where, "the instances run one after another here (a for task), where Camunda runs them in parallel")
	}
	if c := mi.child(nsBPMN, "completionCondition").trimmed(); c != "" {
		b.rep.add(where, "the completion condition %s is not translated: every item is run", c)
	}
	core.pre = append(obj{{"input", obj{{"from", "${ . + {" + jsonKey(item) + ": $" + item + "} }"}}}}, core.pre...)
	return &task{name: core.name, node: n, meta: core.meta,
		body: obj{{"for", obj{{"each", item}, {"in", "${ " + in + " }"}}}, {"do", &list{tasks: []*task{core}}}}}
}

func orText(s, fallback string) string {
	if s != "" {
		return s
	}
	return fallback
}

// compensation reports a compensation handler: it never runs.
func (b *builder) compensation(n *flowNode) {
	b.rep.add(n.id, "compensation is not translated: this compensation handler never runs")
}

// children reports what a node holds that nothing translates: data
// associations, resource roles and other BPMN elements.
func (b *builder) children(n *flowNode) {
	for _, c := range n.el.children {
		switch {
		case c.space != nsBPMN:
			b.rep.add(n.id+"/"+c.local, "the element <%s> (namespace %s) is not translated", c.local, c.space)
		case nodeChildKinds[c.local] || strings.HasSuffix(c.local, "EventDefinition"):
		case n.inner != nil && (flowNodeKinds[c.local] || c.local == "sequenceFlow" || layoutKinds[c.local] || dataKinds[c.local]):
			// a sub-process's content, read with its scope
		case dataKinds[c.local]:
			b.rep.add(n.id+"/"+c.local, "%s is not translated: a COP workflow's data is the instance's own variables, passed from task to task", c.local)
		case c.local == "potentialOwner" || c.local == "humanPerformer" || c.local == "performer":
			b.rep.add(n.id+"/"+c.local, "%s is not translated: say who may do the task with camunda:candidateGroups (candidateGroups in COP)", c.local)
		default:
			b.rep.add(n.id+"/"+c.local, "<%s> is not translated", c.local)
		}
	}
}

// nodeChildKinds are the children of a flow node the translation reads.
var nodeChildKinds = map[string]bool{
	"incoming": true, "outgoing": true, "extensionElements": true, "documentation": true,
	"multiInstanceLoopCharacteristics": true, "standardLoopCharacteristics": true, "script": true,
	"conditionExpression": true,
}

// extensions reads the Camunda extensions every node may have, and
// reports those the translation does not use; the kind-specific ones
// (formData, connector, in/out…) are read by the node's own translation.
func (b *builder) extensions(n *flowNode, t *task) {
	for _, x := range n.el.extensions() {
		where := n.id + "/" + prefixed(x)
		switch {
		case x.space != nsCamunda:
			b.rep.add(where, "the extension element is not Camunda's and was not translated")
		case x.local == "properties":
			props := obj{}
			for _, p := range x.all(nsCamunda, "property") {
				props = props.with(p.attr("", "name"), p.attr("", "value"))
			}
			t.meta = t.meta.with("bpmnProperties", props)
		case x.local == "taskListener" || x.local == "executionListener":
			b.rep.add(where, "the %s listener (%s) is not translated: do its work in a task of its own (call: http, set…)", x.attr("", "event"), listenerKind(x))
		case x.local == "failedJobRetryTimeCycle":
			b.rep.add(where, "the retry cycle %s is not translated: wrap the task in a try with a retry policy", x.trimmed())
		case x.local == "inputOutput":
			b.rep.add(where, "input/output mappings are not translated: reshape the data with input.from and output.as")
		case x.local == "field" || x.local == "formData" || x.local == "connector" || x.local == "in" || x.local == "out":
			// read by the node's own translation
		default:
			b.rep.add(where, "the extension element is not translated")
		}
	}
}

func prefixed(x *element) string {
	if x.space == nsCamunda {
		return "camunda:" + x.local
	}
	return x.local
}

// listenerKind says what a listener runs.
func listenerKind(x *element) string {
	for _, a := range []string{"class", "expression", "delegateExpression"} {
		if v := x.attr("", a); v != "" {
			return a + " " + v
		}
	}
	if s := x.child(nsCamunda, "script"); s != nil {
		return "a " + s.attr("", "scriptFormat") + " script"
	}
	return "nothing"
}

// implementation is the element that says what code a service-like node
// runs: the node itself, or (for a message throw event) its event
// definition; nil when it runs none.
func implementation(n *flowNode) *element {
	for _, el := range []*element{n.el, n.def} {
		if el == nil {
			continue
		}
		for _, a := range []string{"class", "delegateExpression", "expression", "type", "decisionRef"} {
			if el.cam(a) != "" {
				return el
			}
		}
		if el.extension(nsCamunda, "connector") != nil || el.child(nsBPMN, "script") != nil {
			return el
		}
	}
	return nil
}

// nameText is how a name written whole as an expression (name="${customer}")
// is written where COP would read it as one: as title, the JUEL
// expression translated (when it translates and expr allows); as text (a
// form's title, an error's), the expression's source without ${ }. A name
// that is no expression is both. Either way it is reported.
func (b *builder) nameText(where, what, name string, expr bool) (title, text string) {
	if !workflows.IsExpression(name) {
		return name, name
	}
	text = strings.TrimSpace(workflows.ExpressionBody(name))
	text = strings.NewReplacer("${", "", "#{", "").Replace(text)
	if text == "" {
		text = where
	}
	if expr {
		if jq, err := juelToJQ(name); err == nil {
			title = "${ (" + jq + ") | tostring }"
			if _, err := workflows.CompileExpr(title); err == nil {
				b.rep.add(where, "the %s %s is an expression: the title is the expression translated (%s), and where COP cannot evaluate it (a form's title) the text %q", what, clip(name), title, text)
				return title, text
			}
		}
	}
	b.rep.add(where, "the %s %s is an expression, which is not translated here: it is the text %q", what, clip(name), text)
	return text, text
}
