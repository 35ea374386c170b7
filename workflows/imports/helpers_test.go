package imports

import (
	"fmt"
	"strings"
	"testing"

	"cop/forms"
	"cop/workflows"
)

// bpmnFile wraps a process body (and root elements before it: messages,
// errors) in a BPMN file, as Camunda Modeler writes one.
func bpmnFile(roots, body string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn">
` + roots + `
  <bpmn:process id="Claim_Process" name="Claim process" isExecutable="true">
` + body + `
  </bpmn:process>
</bpmn:definitions>
`
}

// flows writes sequence flows, "id:from>to" each.
func flows(specs ...string) string {
	var b strings.Builder
	for _, s := range specs {
		id, rest, _ := strings.Cut(s, ":")
		from, to, _ := strings.Cut(rest, ">")
		fmt.Fprintf(&b, "<bpmn:sequenceFlow id=%q sourceRef=%q targetRef=%q/>\n", id, from, to)
	}
	return b.String()
}

// cond writes a sequence flow with a condition.
func cond(id, from, to, expr string) string {
	return fmt.Sprintf(`<bpmn:sequenceFlow id=%q sourceRef=%q targetRef=%q>
  <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression"><![CDATA[%s]]></bpmn:conditionExpression>
</bpmn:sequenceFlow>
`, id, from, to, expr)
}

// translate imports a file and checks what every import must give: a
// workflow COP accepts, and forms its compiler accepts.
func translate(t *testing.T, src string) (Result, *workflows.Workflow) {
	t.Helper()
	res, err := BPMN("claim.bpmn", []byte(src), Options{}, DefaultLimits)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return res, accepted(t, res)
}

// accepted checks a result as COP would check an upload of it.
func accepted(t *testing.T, res Result) *workflows.Workflow {
	t.Helper()
	if !strings.HasSuffix(string(res.Workflow), "\n") {
		t.Errorf("the workflow does not end in a newline")
	}
	w, _, err := workflows.Parse(res.Workflow)
	if err != nil {
		t.Fatalf("the workflow is not valid: %v\n%s", err, res.Workflow)
	}
	if w.Document.Name != res.Name {
		t.Errorf("Name %q, document.name %q", res.Name, w.Document.Name)
	}
	for _, f := range res.Forms {
		def, err := forms.ParseForm(f.Definition)
		if err != nil {
			t.Fatalf("form %s does not parse: %v\n%s", f.Name, err, f.Definition)
		}
		if _, err := forms.CompileForm(def, forms.NewLibrary()); err != nil {
			t.Fatalf("form %s does not compile: %v\n%s", f.Name, err, f.Definition)
		}
		if def.Name != f.Name {
			t.Errorf("form %s is named %s inside", f.Name, def.Name)
		}
	}
	refs := workflows.Refs(w)
	for _, name := range append(refs.Forms, refs.StartForm) {
		if name != "" && form(res, name) == nil {
			t.Errorf("the workflow names form %s, which the result does not have", name)
		}
	}
	return w
}

// named finds a task by name in a list, failing the test without it.
func named(t *testing.T, list workflows.TaskList, name string) *workflows.Task {
	t.Helper()
	for _, nt := range list {
		if nt.Name == name {
			return nt.Task
		}
	}
	var names []string
	for _, nt := range list {
		names = append(names, nt.Name)
	}
	t.Fatalf("no task %s (tasks: %s)", name, strings.Join(names, ", "))
	return nil
}

// taskNames lists a list's task names, in order.
func taskNames(list workflows.TaskList) []string {
	var out []string
	for _, nt := range list {
		out = append(out, nt.Name)
	}
	return out
}

// reported checks the report has an item at where (after the file name)
// whose reason contains each of whys.
func reported(t *testing.T, res Result, where string, whys ...string) {
	t.Helper()
	for _, it := range res.Report {
		if it.Where != "claim.bpmn: "+where && !strings.HasSuffix(it.Where, ": "+where) {
			continue
		}
		all := true
		for _, w := range whys {
			all = all && strings.Contains(it.Why, w)
		}
		if all {
			return
		}
	}
	t.Errorf("no report item at %s saying %q; the report:\n%s", where, whys, reportText(res))
}

// notReported checks nothing is reported at where.
func notReported(t *testing.T, res Result, where string) {
	t.Helper()
	for _, it := range res.Report {
		if strings.HasSuffix(it.Where, ": "+where) {
			t.Errorf("unexpected report item: %s", it)
		}
	}
}

func reportText(res Result) string {
	var b strings.Builder
	for _, it := range res.Report {
		b.WriteString("  " + it.String() + "\n")
	}
	return b.String()
}

func form(res Result, name string) *Form {
	for i := range res.Forms {
		if res.Forms[i].Name == name {
			return &res.Forms[i]
		}
	}
	return nil
}

func cases(sw []*workflows.SwitchCase) map[string]*workflows.SwitchCase {
	out := map[string]*workflows.SwitchCase{}
	for _, c := range sw {
		out[c.Name] = c
	}
	return out
}

func equal[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}
