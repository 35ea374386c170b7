package imports

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// serviceTask translates a service, send, script or business rule task:
// Camunda's HTTP connector with a static URL and method becomes call:
// http; anything that runs code inside Camunda (a Java class, an
// expression, a script, a DMN decision, an external task's worker)
// cannot run on COP and becomes a placeholder that says what it was.
func (b *builder) serviceTask(t *task, n *flowNode) {
	impl := implementation(n)
	if n.kind == "scriptTask" {
		lang := n.el.attr("", "scriptFormat")
		what := fmt.Sprintf("a %s script", lang)
		if res := n.el.cam("resource"); res != "" {
			what += " read from " + res
		}
		b.placeholder(t, n.id, what, "write it as a set task with jq expressions, or call a service (call: http)")
		return
	}
	if impl == nil {
		if ref := n.el.attr("", "messageRef"); n.kind == "sendTask" && ref != "" {
			if typ, ok := b.eventType(n, n.el, "message"); ok {
				b.emitTask(t, n, typ)
				return
			}
		}
		b.placeholder(t, n.id, "a "+n.kind+" with no implementation", "say what it should do (call: http to call a service), or take it out")
		return
	}
	if c := impl.extension(nsCamunda, "connector"); c != nil {
		b.connector(t, n, c)
		return
	}
	switch {
	case impl.cam("class") != "":
		b.placeholder(t, n.id, "camunda:class="+impl.cam("class")+" (Java code inside Camunda)", "call the service it calls with call: http (or call: openapi)")
	case impl.cam("delegateExpression") != "":
		b.placeholder(t, n.id, "camunda:delegateExpression="+impl.cam("delegateExpression")+" (a Java bean inside Camunda)", "call the service it calls with call: http (or call: openapi)")
	case impl.cam("expression") != "":
		b.expressionTask(t, n, impl)
	case impl.cam("type") == "external":
		b.placeholder(t, n.id, "an external task on topic "+impl.cam("topic")+", which a worker fetches from Camunda", "give the worker's logic an HTTP endpoint and call it with call: http")
	case impl.cam("decisionRef") != "":
		b.placeholder(t, n.id, "the DMN decision "+impl.cam("decisionRef"), "decide with a switch on the variables, or call a decision service with call: http")
	default:
		b.placeholder(t, n.id, "the implementation of this "+n.kind, "call the service it stands for with call: http")
	}
}

// expressionTask translates camunda:expression: one that only reads
// variables (it translates to jq, so it calls nothing) is a set task
// storing its value in camunda:resultVariable; one that calls a method
// runs code inside Camunda, and is a placeholder.
func (b *builder) expressionTask(t *task, n *flowNode, impl *element) {
	expr := impl.cam("expression")
	jq, err := juelToJQ(expr)
	if err != nil {
		b.placeholder(t, n.id, "camunda:expression="+expr+" ("+err.Error()+")", "call the service it calls with call: http, or compute the value with a set task")
		return
	}
	if rv := impl.cam("resultVariable"); rv != "" {
		t.body = obj{{"set", "${ . + {" + jsonKey(rv) + ": (" + jq + ")} }"}}
		return
	}
	t.body = obj{{"set", "${ . }"}} // its value is not kept, and reading variables changes nothing
}

// connector translates Camunda's http-connector: static url and method
// (a bare ${variable} in the URL becomes a {variable} of its template),
// optional payload and headers. The response is kept as its output
// parameters say, when they take the response as it is.
func (b *builder) connector(t *task, n *flowNode, c *element) {
	id := c.child(nsCamunda, "connectorId").trimmed()
	if id != "http-connector" {
		b.placeholder(t, n.id, "the Camunda connector "+id, "call the service it reaches with call: http")
		return
	}
	io := c.child(nsCamunda, "inputOutput")
	if io == nil {
		io = &element{}
	}
	var method, endpoint string
	var headers obj
	var body any
	var problems []string
	for _, p := range io.all(nsCamunda, "inputParameter") {
		name := p.attr("", "name")
		text, kind := paramValue(p)
		switch {
		case name == "url":
			u, why := uriTemplate(text, kind)
			endpoint = u
			if why != "" {
				problems = append(problems, why)
			}
		case name == "method":
			if kind != "text" || !httpMethod.MatchString(strings.ToLower(text)) {
				problems = append(problems, fmt.Sprintf("its method %q is not a static HTTP method", clip(text)))
			}
			method = strings.ToLower(text)
		case name == "payload":
			v, why := payload(text, kind)
			body = v
			if why != "" {
				problems = append(problems, why)
			}
		case name == "headers":
			h, why := headerMap(p)
			headers = h
			if why != "" {
				problems = append(problems, why)
			}
		default:
			b.rep.add(n.id+"/camunda:inputParameter "+name, "the connector's input parameter %s is not translated", name)
		}
	}
	if len(problems) == 0 && (endpoint == "" || method == "") {
		problems = append(problems, "it has no url or no method")
	}
	if len(problems) > 0 {
		b.placeholder(t, n.id, "an http-connector call ("+strings.Join(problems, "; ")+")", "write the call as call: http, with the URL and method it needs")
		return
	}
	with := obj{{"method", method}, {"endpoint", endpoint}}
	if len(headers) > 0 {
		with = with.with("headers", headers)
	}
	if body != nil {
		with = with.with("body", body)
	}
	t.body = obj{{"call", "http"}, {"with", with}}
	t.post = obj{{"output", obj{{"as", b.responseVariables(t, n, io)}}}}
}

var httpMethod = regexp.MustCompile(`^(get|post|put|patch|delete|head|options)$`)

// paramValue reads an input or output parameter: its text, and what kind
// of value it is (text, map, list, script).
func paramValue(p *element) (string, string) {
	if len(p.children) == 0 {
		return p.trimmed(), "text"
	}
	c := p.children[0]
	if c.local == "script" {
		return c.attr("", "scriptFormat") + " script", "script"
	}
	return "", c.local
}

var templateVar = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// uriTemplate makes the connector's url the endpoint: an absolute URL, in
// which ${name} (a variable, read from the task's input) becomes {name}.
func uriTemplate(text, kind string) (string, string) {
	if kind != "text" {
		return "", "its url is a " + kind
	}
	u := templateVar.ReplaceAllString(text, "{$1}")
	switch {
	case strings.Contains(u, "${") || strings.Contains(u, "#{") || !absoluteURL.MatchString(u) && strings.Contains(text, "${"):
		return "", fmt.Sprintf("its url %s is an expression", clip(text))
	case !absoluteURL.MatchString(u):
		return "", fmt.Sprintf("its url %q is not an absolute URL", clip(text))
	}
	return u, ""
}

var absoluteURL = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://\S+$`)

// payload is the request body: JSON kept as JSON, other text as text.
func payload(text, kind string) (any, string) {
	switch {
	case kind != "text":
		return nil, "its payload is a " + kind
	case strings.Contains(text, "${") || strings.Contains(text, "#{"):
		return nil, "its payload is built by an expression"
	}
	if strings.HasPrefix(text, "{") || strings.HasPrefix(text, "[") {
		if v, err := orderedJSON(text); err == nil {
			return v, ""
		}
	}
	return text, ""
}

// headerMap reads the headers parameter's camunda:map.
func headerMap(p *element) (obj, string) {
	m := p.child(nsCamunda, "map")
	if m == nil {
		return nil, "its headers are not a static map"
	}
	var h obj
	for _, e := range m.all(nsCamunda, "entry") {
		v := e.trimmed()
		if len(e.children) > 0 || strings.Contains(v, "${") || strings.Contains(v, "#{") {
			return nil, fmt.Sprintf("its header %s is not static", e.attr("", "key"))
		}
		h = h.with(e.attr("", "key"), v)
	}
	return h, ""
}

// responseVariables is the call's output.as: the variables, plus the
// response under each output parameter that takes it as it is
// (${response}), or under the task's name when there is none. A
// parameter that computes something from it (a script) is reported, and
// the response is kept under TASKResponse to compute it from.
func (b *builder) responseVariables(t *task, n *flowNode, io *element) string {
	var keys []string
	kept := false
	for _, p := range io.all(nsCamunda, "outputParameter") {
		name := p.attr("", "name")
		text, kind := paramValue(p)
		if kind == "text" && strings.ReplaceAll(text, " ", "") == "${response}" {
			keys = append(keys, jsonKey(name)+": .")
			continue
		}
		if !kept {
			keys = append(keys, jsonKey(t.name+"Response")+": .")
			kept = true
		}
		b.rep.add(n.id+"/camunda:outputParameter "+name, "the output parameter %s (%s) is not translated: the response body is kept as .%sResponse; compute %s from it with a set task", name, clip(orKind(text, kind)), t.name, name)
	}
	if len(keys) == 0 {
		// Camunda drops a response no parameter keeps; keeping it under the
		// task's name costs nothing and spares writing the call again.
		keys = append(keys, jsonKey(t.name)+": .")
	}
	return "${ $input + {" + strings.Join(keys, ", ") + "} }"
}

func orKind(text, kind string) string {
	if text != "" {
		return text
	}
	return "a " + kind
}

func jsonKey(s string) string {
	b, _ := marshalJSON(s)
	return string(b)
}

// orderedJSON decodes JSON keeping object keys in order, for YAML.
func orderedJSON(text string) (any, error) {
	d := json.NewDecoder(strings.NewReader(text))
	d.UseNumber()
	v, err := orderedValue(d)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("text after the JSON value")
	}
	return v, nil
}

func orderedValue(d *json.Decoder) (any, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch x := tok.(type) {
	case json.Delim:
		if x == '[' {
			list := []any{}
			for d.More() {
				v, err := orderedValue(d)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			_, err := d.Token()
			return list, err
		}
		o := obj{}
		for d.More() {
			k, err := d.Token()
			if err != nil {
				return nil, err
			}
			v, err := orderedValue(d)
			if err != nil {
				return nil, err
			}
			o = o.with(fmt.Sprint(k), v)
		}
		_, err := d.Token()
		return o, err
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, nil
		}
		return x.Float64()
	}
	return tok, nil
}

// callActivity runs the called process's workflow (imported under the
// same namespace), passing the variables camunda:in names and taking back
// those camunda:out names.
func (b *builder) callActivity(t *task, n *flowNode) {
	called := strings.TrimSpace(n.el.attr("", "calledElement"))
	name := kebab(called, 63)
	if called == "" || strings.Contains(called, "{") || !dnsLabel.MatchString(name) {
		b.placeholder(t, n.id, fmt.Sprintf("a call activity whose called element is %q", called), "name the workflow to run (run: {workflow: {namespace, name, version}})")
		return
	}
	if binding := n.el.cam("calledElementBinding"); binding != "" && binding != "latest" {
		b.rep.add(n.id+"/camunda:calledElementBinding", "the binding %s is not translated: COP runs the latest active version of %s, pinned when this workflow's instance starts", binding, name)
	}
	wf := obj{{"namespace", b.opt.Namespace}, {"name", name}, {"version", "latest"}}
	input, all := b.callInputs(n)
	if !all {
		wf = wf.with("input", input) // Camunda passes only what camunda:in names
	}
	t.body = obj{{"run", obj{{"workflow", wf}}}}
	t.post = obj{{"output", obj{{"as", b.callOutputs(n)}}}}
	b.rep.add(n.id, "runs the workflow %s/%s (the process %s): import it (cop import bpmn) and publish it before this one", b.opt.Namespace, name, called)
}

// callInputs is the child's input from camunda:in, and whether
// variables="all" passes every variable (the task's input) instead.
func (b *builder) callInputs(n *flowNode) (obj, bool) {
	input, all := obj{}, false
	for _, in := range n.el.extensions() {
		if !in.is(nsCamunda, "in") {
			continue
		}
		where := n.id + "/camunda:in"
		target := in.attr("", "target")
		switch {
		case in.attr("", "variables") == "all":
			all = true
		case in.attr("", "businessKey") != "":
			b.rep.add(where+" businessKey", "passing the business key is not translated: a child workflow joins its parent's case")
		case in.attr("", "local") == "true":
			b.rep.add(where+" "+target, "local variables are not translated")
		case in.attr("", "source") != "":
			input = input.with(target, "${ "+jqField("", in.attr("", "source"))+" }")
		case in.attr("", "sourceExpression") != "":
			jq, err := juelToJQ(in.attr("", "sourceExpression"))
			if err != nil {
				b.rep.add(where+" "+target, "the expression %s was not translated (%v), so %s is not passed", in.attr("", "sourceExpression"), err, target)
				continue
			}
			input = input.with(target, "${ "+jq+" }")
		}
	}
	if all {
		for _, m := range input {
			if v, _ := m.v.(string); v != "${ "+jqField("", m.k)+" }" {
				b.rep.add(n.id+"/camunda:in "+m.k, "with variables=\"all\", COP passes every variable under its own name, so %s is not passed as well", m.k)
			}
		}
	}
	return input, all
}

// callOutputs is the run task's output.as: the variables, plus what
// camunda:out takes back from the child's output.
func (b *builder) callOutputs(n *flowNode) string {
	expr := "$input"
	var keys []string
	for _, out := range n.el.extensions() {
		if !out.is(nsCamunda, "out") {
			continue
		}
		target := out.attr("", "target")
		switch {
		case out.attr("", "variables") == "all":
			expr += " + ((. | objects) // {})"
		case out.attr("", "source") != "":
			keys = append(keys, jsonKey(target)+": "+jqField("", out.attr("", "source")))
		case out.attr("", "sourceExpression") != "":
			jq, err := juelToJQ(out.attr("", "sourceExpression"))
			if err != nil {
				b.rep.add(n.id+"/camunda:out "+target, "the expression %s was not translated (%v), so %s is not taken back", out.attr("", "sourceExpression"), err, target)
				continue
			}
			keys = append(keys, jsonKey(target)+": ("+jq+")")
		}
	}
	if len(keys) > 0 {
		expr += " + {" + strings.Join(keys, ", ") + "}"
	}
	return "${ " + expr + " }"
}
