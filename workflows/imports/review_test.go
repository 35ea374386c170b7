package imports

import (
	"encoding/json"
	"strings"
	"testing"

	"cop/platform/auth"
	"cop/workflows"
)

// An error end event no boundary event catches is, as in Camunda, a none
// end event: no fault, and reported once; a caught one still raises.
func TestUncaughtErrorEndIsAnEnd(t *testing.T) {
	res, w := translate(t, bpmnFile(`<bpmn:error id="Err" errorCode="Rejected"/><bpmn:error id="Other" errorCode="Other"/>`, `
<bpmn:startEvent id="S"/>
<bpmn:exclusiveGateway id="G" default="ok"/>
<bpmn:endEvent id="Rej"><bpmn:errorEventDefinition errorRef="Err"/></bpmn:endEvent>
<bpmn:subProcess id="Sub">
  <bpmn:startEvent id="SubStart"/>
  <bpmn:exclusiveGateway id="SG" default="s2"/>
  <bpmn:endEvent id="SubOk"/>
  <bpmn:endEvent id="SubRej"><bpmn:errorEventDefinition errorRef="Err"/></bpmn:endEvent>
  <bpmn:endEvent id="SubOther"><bpmn:errorEventDefinition errorRef="Other"/></bpmn:endEvent>
  `+flows("s1:SubStart>SG", "s2:SG>SubOk")+cond("s3", "SG", "SubRej", "${x}")+cond("s4", "SG", "SubOther", "${y}")+`
</bpmn:subProcess>
<bpmn:boundaryEvent id="Caught" attachedToRef="Sub"><bpmn:errorEventDefinition errorRef="Err"/></bpmn:boundaryEvent>
<bpmn:endEvent id="E"/>
<bpmn:endEvent id="E2"/>
`+flows("f1:S>G", "ok:G>Sub", "f3:Sub>E", "f4:Caught>E2")+cond("bad", "G", "Rej", "${!valid}")))
	rej := named(t, w.Do, "rej")
	if rej.Raise != nil || rej.Then != "end" {
		t.Errorf("an uncaught error end event raises or goes on: %+v", rej)
	}
	reported(t, res, "Rej", "none end event", "without a fault")
	sub := named(t, named(t, w.Do, "sub").Try, "sub")
	if r := named(t, sub.Do, "subRej").Raise; r == nil || !strings.HasSuffix(r.Error.Inline.Type, "/Rejected") {
		t.Errorf("a caught error end event does not raise its error: %+v", r)
	}
	if named(t, sub.Do, "subOther").Raise != nil {
		t.Errorf("an error end event no boundary catches raises")
	}
}

// A catch-all error boundary event catches BPMN errors only: not the
// fault of an untranslated placeholder, an HTTP failure or a condition.
func TestCatchAllErrorBoundaryCatchesBPMNErrorsOnly(t *testing.T) {
	_, w := translate(t, bpmnFile("", `
<bpmn:startEvent id="S"/>
<bpmn:serviceTask id="Call" camunda:class="x.Y"/>
<bpmn:boundaryEvent id="B" attachedToRef="Call"><bpmn:errorEventDefinition/></bpmn:boundaryEvent>
<bpmn:task id="Handle"/>
<bpmn:endEvent id="E"/>
<bpmn:endEvent id="E2"/>
`+flows("f1:S>Call", "f2:Call>E", "f3:B>Handle", "f4:Handle>E2")))
	catch := named(t, w.Do, "call").Catch
	if catch.When == "" {
		t.Fatalf("the catch-all boundary catches every fault: %+v", catch)
	}
	e, err := workflows.CompileExpr(catch.When, "error")
	if err != nil {
		t.Fatalf("%s: %v", catch.When, err)
	}
	for typ, want := range map[string]bool{
		bpmnErrorType("ANY"): true,
		errUntranslated:      false,
		"https://serverlessworkflow.io/spec/1.0.0/errors/communication": false,
		"https://serverlessworkflow.io/spec/1.0.0/errors/expression":    false,
	} {
		got, err := e.Eval(map[string]any{}, workflows.Vars{"error": map[string]any{"type": typ}})
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s caught: %v, want %v", typ, got, want)
		}
	}
}

// A user task or error name written whole as ${…} imports (it used to
// fail as a defect): the title the expression translated, the error's
// and the form's title the text, reported.
func TestExpressionNames(t *testing.T) {
	for _, file := range []string{"exprname.bpmn", "exprname2.bpmn"} {
		src := strings.NewReplacer("Cust", "${customer}").Replace(bpmnFile(`<bpmn:error id="Err" errorCode="E" name="${code}"/>`, `
<bpmn:startEvent id="S"/>
<bpmn:subProcess id="Sub">
  <bpmn:startEvent id="SS"/>
  <bpmn:userTask id="U" name="Cust" camunda:candidateGroups="officer"/>
  <bpmn:endEvent id="Fail"><bpmn:errorEventDefinition errorRef="Err"/></bpmn:endEvent>
  `+flows("s1:SS>U", "s2:U>Fail")+`
</bpmn:subProcess>
<bpmn:boundaryEvent id="B" attachedToRef="Sub"><bpmn:errorEventDefinition errorRef="Err"/></bpmn:boundaryEvent>
<bpmn:endEvent id="E"/><bpmn:endEvent id="E2"/>
`+flows("f1:S>Sub", "f2:Sub>E", "f3:B>E2")))
		if file == "exprname2.bpmn" {
			src = strings.Replace(src, `name="${customer}"`, `name="${customer.name()}"`, 1)
		}
		res, w := translate(t, src)
		sub := named(t, named(t, w.Do, "sub").Try, "sub")
		u := named(t, sub.Do, "u")
		title, _ := u.With["title"].(string)
		if file == "exprname.bpmn" {
			equal(t, "title", title, "${ (.customer) | tostring }")
		} else if strings.Contains(title, "${") {
			t.Errorf("untranslatable title %q still reads as an expression", title)
		}
		reported(t, res, "U", "expression")
		r := named(t, sub.Do, "fail").Raise
		if r == nil {
			t.Fatalf("no raise")
		}
		equal(t, "error title", r.Error.Inline.Title, "code")
		reported(t, res, "Fail", "error name", "expression")
	}
}

// Every COP role stays a role: the list matches platform/auth's.
func TestCOPRolesMatchAuth(t *testing.T) {
	for _, r := range []string{auth.RoleOfficer, auth.RoleSupervisor, auth.RoleAuthor, auth.RoleIntegrator, auth.RoleAdmin, auth.RoleManager, auth.RoleOperator} {
		if !copRoles[r] {
			t.Errorf("role %s becomes a team", r)
		}
	}
	res, w := translate(t, bpmnFile("", `
<bpmn:startEvent id="S"/>
<bpmn:userTask id="U" camunda:candidateGroups="manager, operator, dover"/>
`+flows("f1:S>U")))
	groups, _ := json.Marshal(named(t, w.Do, "u").With["candidateGroups"])
	equal(t, "groups", string(groups), `["role:manager","role:operator","team:dover"]`)
	reported(t, res, "Claim_Process", "integrator, manager, operator or admin")
}

// A non-interrupting timer on a user task is an escalation to priority 1,
// told to the assignee when the task names no groups.
func TestEscalationToAssignee(t *testing.T) {
	_, w := translate(t, bpmnFile("", `
<bpmn:startEvent id="S"/>
<bpmn:userTask id="U" camunda:assignee="alice"/>
<bpmn:boundaryEvent id="R" attachedToRef="U" cancelActivity="false"><bpmn:timerEventDefinition><bpmn:timeDuration>P2D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
<bpmn:endEvent id="E"/>
`+flows("f1:S>U", "f2:U>E")))
	esc, _ := json.Marshal(named(t, w.Do, "u").With["escalation"])
	equal(t, "escalation", string(esc), `{"after":"P2D","priority":1,"to":["user:alice"]}`)
}

// A terminate end event in a process-level fork branch is reported: it
// cannot end the instance from a branch.
func TestTerminateInForkBranchIsReported(t *testing.T) {
	res, _ := translate(t, bpmnFile("", `
<bpmn:startEvent id="S"/>
<bpmn:parallelGateway id="Split"/>
<bpmn:task id="A"/><bpmn:task id="B"/>
<bpmn:endEvent id="T"><bpmn:terminateEventDefinition/></bpmn:endEvent>
<bpmn:parallelGateway id="Join"/>
<bpmn:task id="After"/>
<bpmn:endEvent id="E"/>
`+flows("f1:S>Split", "f2:Split>A", "f3:Split>B", "f4:A>Join", "f5:B>T", "f6:Join>After", "f7:After>E")))
	reported(t, res, "T", "ends only its branch")
}

// Camunda ignores conditions on a parallel gateway's flows: so does the
// import, and says so.
func TestParallelGatewayConditionsAreIgnored(t *testing.T) {
	res, w := translate(t, bpmnFile("", `
<bpmn:startEvent id="S"/>
<bpmn:parallelGateway id="Split"/>
<bpmn:task id="A"/><bpmn:task id="B"/>
<bpmn:parallelGateway id="Join"/>
<bpmn:endEvent id="E"/>
`+flows("f1:S>Split", "f3:Split>B", "f4:A>Join", "f5:B>Join", "f6:Join>E")+cond("c", "Split", "A", "${x}")))
	for _, br := range named(t, w.Do, "split").Fork.Branches {
		if br.Task.If != "" {
			t.Errorf("branch %s has if %s", br.Name, br.Task.If)
		}
	}
	reported(t, res, "c", "ignored")
}

// An inclusive gateway's one conditional flow keeps its condition (a
// switch that faults when it does not hold, as in Camunda), and a none
// throw event several flows leave splits into them all.
func TestOneConditionalInclusiveFlowAndThrowEventSplit(t *testing.T) {
	res, w := translate(t, bpmnFile("", `
<bpmn:startEvent id="S"/>
<bpmn:inclusiveGateway id="G"/>
<bpmn:intermediateThrowEvent id="M"/>
<bpmn:task id="A"/><bpmn:task id="B"/>
<bpmn:endEvent id="E"/>
`+flows("f1:S>G", "m1:M>A", "m2:M>B", "f4:A>E", "f5:B>E")+cond("c", "G", "M", "${x}")))
	sw := named(t, w.Do, "g").Switch
	if len(sw) == 0 || sw[0].When != "${ .x }" {
		t.Errorf("the condition was dropped: %+v", sw)
	}
	named(t, w.Do, "m")
	fork := named(t, w.Do, "mSplit")
	if fork.Fork == nil || len(fork.Fork.Branches) != 2 {
		t.Errorf("the throw event's flows are not a fork: %+v", fork)
	}
	_ = res
}

// A catch event after an event-based gateway that another flow reaches
// too is a listen of its own for that flow, not the end of the workflow.
func TestEventGatewayCatchReachedByAnotherFlow(t *testing.T) {
	_, w := translate(t, bpmnFile(`<bpmn:message id="M1" name="paid"/><bpmn:message id="M2" name="cancelled"/>`, `
<bpmn:startEvent id="S"/>
<bpmn:eventBasedGateway id="G"/>
<bpmn:intermediateCatchEvent id="Paid"><bpmn:messageEventDefinition messageRef="M1"/></bpmn:intermediateCatchEvent>
<bpmn:intermediateCatchEvent id="Cancel"><bpmn:messageEventDefinition messageRef="M2"/></bpmn:intermediateCatchEvent>
<bpmn:task id="A"/><bpmn:task id="C"/>
<bpmn:endEvent id="E"/>
`+flows("f1:S>G", "f2:G>Paid", "f3:G>Cancel", "f4:Paid>A", "f5:A>Cancel", "f6:Cancel>C", "f7:C>E")))
	a := named(t, w.Do, "a")
	cancel := named(t, w.Do, "cancel")
	if cancel.Listen == nil {
		t.Fatalf("Cancel is no listen: %+v", cancel)
	}
	names := taskNames(w.Do)
	ai, ci := -1, -1
	for i, n := range names {
		switch n {
		case "a":
			ai = i
		case "cancel":
			ci = i
		}
	}
	if a.Then != "cancel" && !(a.Then == "" && ci == ai+1) {
		t.Errorf("a goes to %q, not on to cancel (tasks %v)", a.Then, names)
	}
}
