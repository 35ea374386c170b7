package imports

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestUserTaskWithFormData(t *testing.T) {
	res, w := translate(t, bpmnFile("", `
<bpmn:startEvent id="Start"/>
<bpmn:userTask id="UserTask_approve" name="Approve&#10;claim" camunda:candidateGroups="claims, supervisor"
    camunda:priority="80" camunda:dueDate="P3D">
  <bpmn:extensionElements>
    <camunda:formData>
      <camunda:formField id="approved" label="Approve the claim?" type="boolean">
        <camunda:validation><camunda:constraint name="required"/></camunda:validation>
      </camunda:formField>
      <camunda:formField id="reason" label="Reason" type="string">
        <camunda:validation><camunda:constraint name="maxlength" config="500"/><camunda:constraint name="minlength" config="3"/></camunda:validation>
      </camunda:formField>
      <camunda:formField id="amount" label="Amount" type="long">
        <camunda:validation><camunda:constraint name="min" config="1"/><camunda:constraint name="max" config="1000"/></camunda:validation>
      </camunda:formField>
      <camunda:formField id="decidedOn" label="Date" type="date"/>
      <camunda:formField id="route" label="Route" type="enum">
        <camunda:value id="fast" name="Fast track"/>
        <camunda:value id="full" name="Full review"/>
      </camunda:formField>
      <camunda:formField id="claimant" label="Claimant" type="string">
        <camunda:validation><camunda:constraint name="readonly"/></camunda:validation>
      </camunda:formField>
      <camunda:formField id="postcode" type="string">
        <camunda:validation><camunda:constraint name="validator" config="com.example.Postcode"/></camunda:validation>
      </camunda:formField>
    </camunda:formData>
  </bpmn:extensionElements>
</bpmn:userTask>
<bpmn:endEvent id="End"/>
`+flows("f1:Start>UserTask_approve", "f2:UserTask_approve>End")))

	equal(t, "tasks", strings.Join(taskNames(w.Do), ","), "userTaskApprove")
	task := named(t, w.Do, "userTaskApprove")
	equal(t, "call", task.Call, "userTask")
	equal(t, "form", task.With["form"], any("claim-process-user-task-approve"))
	equal(t, "title", task.With["title"], any("Approve claim"))
	groups, _ := json.Marshal(task.With["candidateGroups"])
	equal(t, "candidateGroups", string(groups), `["team:claims","role:supervisor"]`)
	equal(t, "priority", task.With["priority"], any(1.0))
	equal(t, "due", task.With["due"], any("P3D"))
	equal(t, "output.as", task.Output.As, any("${ $input + .data }"))
	equal(t, "metadata", task.Metadata["bpmnId"], any("UserTask_approve"))
	equal(t, "then (the end follows)", task.Then, "")

	f := form(res, "claim-process-user-task-approve")
	if f == nil || f.Stub {
		t.Fatalf("no generated form: %+v", res.Forms)
	}
	var def struct {
		Title  string
		Schema struct {
			Required   []string
			Properties map[string]map[string]any
		}
		UI map[string]any
	}
	if err := json.Unmarshal(f.Definition, &def); err != nil {
		t.Fatal(err)
	}
	equal(t, "form title", def.Title, "Approve claim")
	equal(t, "required", strings.Join(def.Schema.Required, ","), "approved")
	p := def.Schema.Properties
	equal(t, "boolean", p["approved"]["type"], any("boolean"))
	equal(t, "maxLength", p["reason"]["maxLength"], any(500.0))
	equal(t, "minLength", p["reason"]["minLength"], any(3.0))
	equal(t, "long", p["amount"]["type"], any("integer"))
	equal(t, "minimum", p["amount"]["minimum"], any(1.0))
	equal(t, "maximum", p["amount"]["maximum"], any(1000.0))
	equal(t, "date", p["decidedOn"]["format"], any("date"))
	options, _ := json.Marshal(p["route"]["oneOf"])
	equal(t, "enum", string(options), `[{"const":"fast","title":"Fast track"},{"const":"full","title":"Full review"}]`)
	if _, asked := p["claimant"]; asked {
		t.Errorf("a read-only field is asked")
	}
	equal(t, "startable", def.UI["startable"], any(false))

	reported(t, res, "UserTask_approve/camunda:priority", "camunda:priority 80 became priority 1")
	reported(t, res, "UserTask_approve/camunda:formField claimant", "read-only")
	reported(t, res, "UserTask_approve/camunda:formField postcode", `constraint "validator"`)
	reported(t, res, "Claim_Process", "team:claims", "COP teams")
	notReported(t, res, "UserTask_approve")
}

func TestUserTaskPeopleAndDates(t *testing.T) {
	res, w := translate(t, bpmnFile("", `
<bpmn:startEvent id="Start"/>
<bpmn:userTask id="Solo" camunda:candidateUsers="jdoe" camunda:dueDate="2026-01-01T00:00:00" camunda:priority="${prio}"/>
<bpmn:userTask id="Expr" camunda:assignee="${initiator}" camunda:candidateGroups="${groups}" camunda:candidateUsers="a,b"/>
<bpmn:userTask id="Months" camunda:candidateGroups="officer" camunda:dueDate="P1M" camunda:priority="10"/>
<bpmn:endEvent id="End"/>
`+flows("f1:Start>Solo", "f2:Solo>Expr", "f3:Expr>Months", "f4:Months>End")))
	solo := named(t, w.Do, "solo")
	equal(t, "assignee from the one candidate user", solo.With["assignee"], any("jdoe"))
	if _, ok := solo.With["due"]; ok {
		t.Errorf("a date became a due duration")
	}
	reported(t, res, "Solo/camunda:assignee", "OpenID subject")
	reported(t, res, "Solo/camunda:dueDate", "not an ISO 8601 duration")
	reported(t, res, "Solo/camunda:priority", "expression")

	expr := named(t, w.Do, "expr")
	groups, _ := json.Marshal(expr.With["candidateGroups"])
	equal(t, "fallback group", string(groups), `["role:supervisor"]`)
	reported(t, res, "Expr/camunda:assignee", "expression")
	reported(t, res, "Expr/camunda:candidateGroups", "expression")
	reported(t, res, "Expr/camunda:candidateUsers", "a,b")
	reported(t, res, "Expr", "offered to role:supervisor")

	months := named(t, w.Do, "months")
	groups, _ = json.Marshal(months.With["candidateGroups"])
	equal(t, "a COP role stays a role", string(groups), `["role:officer"]`)
	equal(t, "priority 10", months.With["priority"], any(5.0))
	reported(t, res, "Months/camunda:dueDate", "P1M")
}

func TestFormKeysAndStubs(t *testing.T) {
	for key, want := range map[string]string{
		"embedded:app:forms/approve-invoice.html":     "approve-invoice",
		"camunda-forms:deployment:approve.form":       "approve",
		"app:develop/invoice/approve.html":            "approve",
		"approve-claim":                               "approve-claim",
		"approveClaim":                                "approve-claim",
		"embedded:deployment:forms/Review_Claim.html": "review-claim",
	} {
		equal(t, key, formKeyName(key, "fallback"), want)
	}
	res, w := translate(t, bpmnFile("", `
<bpmn:startEvent id="Start"/>
<bpmn:userTask id="A" name="First look" camunda:formKey="embedded:app:forms/approve-claim.html" camunda:candidateGroups="claims"/>
<bpmn:userTask id="B" name="Second look" camunda:formKey="approveClaim" camunda:candidateGroups="claims"/>
<bpmn:userTask id="C" camunda:formKey="${formName}" camunda:candidateGroups="claims"/>
<bpmn:userTask id="D" camunda:candidateGroups="claims"/>
<bpmn:endEvent id="End"/>
`+flows("f1:Start>A", "f2:A>B", "f3:B>C", "f4:C>D", "f5:D>End")))
	equal(t, "A's form", named(t, w.Do, "a").With["form"], any("approve-claim"))
	equal(t, "B's form, the same key", named(t, w.Do, "b").With["form"], any("approve-claim"))
	equal(t, "C's form", named(t, w.Do, "c").With["form"], any("claim-process-c"))
	equal(t, "D's form", named(t, w.Do, "d").With["form"], any("claim-process-d"))
	var names []string
	for _, f := range res.Forms {
		names = append(names, f.Name)
		if !f.Stub {
			t.Errorf("form %s is not marked a stub", f.Name)
		}
		if !strings.Contains(string(f.Definition), `"notes"`) || !strings.Contains(string(f.Definition), `"startable": false`) {
			t.Errorf("stub %s: %s", f.Name, f.Definition)
		}
	}
	equal(t, "forms in first-use order", strings.Join(names, ","), "approve-claim,claim-process-c,claim-process-d")
	reported(t, res, "A/camunda:formKey", "stub form approve-claim", "cop import formio")
	reported(t, res, "C/camunda:formKey", "expression")
	reported(t, res, "D", "names no form", "claim-process-d")
}

func TestStartFormAndMessageStart(t *testing.T) {
	res, w := translate(t, bpmnFile(`<bpmn:message id="Msg_1" name="claim.received"/>`, `
<bpmn:startEvent id="Start">
  <bpmn:extensionElements>
    <camunda:formData>
      <camunda:formField id="claimant" label="Claimant" type="string"><camunda:validation><camunda:constraint name="required"/></camunda:validation></camunda:formField>
    </camunda:formData>
  </bpmn:extensionElements>
</bpmn:startEvent>
<bpmn:startEvent id="ByMessage"><bpmn:messageEventDefinition messageRef="Msg_1"/></bpmn:startEvent>
<bpmn:task id="Work"/>
<bpmn:endEvent id="End"/>
`+flows("f1:Start>Work", "f0:ByMessage>Work", "f2:Work>End")))
	equal(t, "startForm", w.Document.Metadata["startForm"], any("claim-process-start"))
	f := form(res, "claim-process-start")
	if f == nil || f.Stub || !strings.Contains(string(f.Definition), `"startable": true`) {
		t.Fatalf("start form: %+v", f)
	}
	equal(t, "input.from", w.Input.From, any("${ if .submission then .submission.data else . end }"))
	reported(t, res, "ByMessage", "starts one way")

	// A message start alone starts an instance on each event.
	res, w = translate(t, bpmnFile(`<bpmn:message id="Msg_1" name="claim.received"/>`, `
<bpmn:startEvent id="ByMessage"><bpmn:messageEventDefinition messageRef="Msg_1"/></bpmn:startEvent>
<bpmn:task id="Work"/>
`+flows("f0:ByMessage>Work")))
	if !strings.Contains(string(w.Schedule), `"type":"claim.received"`) {
		t.Errorf("schedule: %s", w.Schedule)
	}
	equal(t, "input.from", w.Input.From, any("${ if .event then ((.event.data | objects) // {}) else . end }"))
	reported(t, res, "ByMessage", "schedule.on", "access.events")
}
