package imports

import (
	"strings"
	"testing"

	"cop/workflows"
)

// An exclusive gateway is a switch: conditions translated, the default
// flow last without when, an untranslatable condition faulting loudly; a
// merging gateway is no task, and a loop back is a backward then.
func TestExclusiveGatewayAndLoop(t *testing.T) {
	res, w := translate(t, bpmnFile("", `
<bpmn:startEvent id="Start"/>
<bpmn:userTask id="Review" camunda:candidateGroups="claims"/>
<bpmn:exclusiveGateway id="Gateway_1x2" name="Decision?" default="Flow_default"/>
<bpmn:userTask id="Fix" camunda:candidateGroups="claims"/>
<bpmn:exclusiveGateway id="Merge"/>
<bpmn:task id="Pay"/>
<bpmn:endEvent id="Done"/>
<bpmn:endEvent id="Refused"/>
`+flows("f1:Start>Review", "f2:Review>Gateway_1x2", "Flow_default:Gateway_1x2>Refused", "f5:Fix>Merge", "f6:Merge>Review", "f7:Pay>Done")+
		cond("Flow_ok", "Gateway_1x2", "Pay", "${amount <= 1000 && approved}")+
		cond("Flow_fix", "Gateway_1x2", "Fix", "${needsFix}")+
		cond("Flow_3", "Gateway_1x2", "Merge", "${amount > limit.max()}")))
	equal(t, "order", strings.Join(taskNames(w.Do), ","), "review,gateway1x2,pay,fix")
	sw := named(t, w.Do, "gateway1x2").Switch
	c := cases(sw)
	equal(t, "cases", len(sw), 4)
	equal(t, "default last", sw[3].Name, "flowDefault")
	equal(t, "default has no when", sw[3].When, "")
	equal(t, "default to an end", sw[3].Then, "end")
	equal(t, "translated", c["flowOk"].When, "${ .amount <= 1000 and .approved }")
	equal(t, "flowOk then", c["flowOk"].Then, "pay")
	equal(t, "through the merging gateway", c["flow3"].Then, "review")
	if !strings.Contains(c["flow3"].When, `error("condition of Flow_3 was not translated from BPMN: amount > limit.max()")`) {
		t.Errorf("untranslated condition: %s", c["flow3"].When)
	}
	reported(t, res, "Flow_3", "amount > limit.max()", "faults")
	equal(t, "pay ends", named(t, w.Do, "pay").Then, "end")
	equal(t, "fix loops back through the merge", named(t, w.Do, "fix").Then, "review")
	equal(t, "review falls through to the gateway", named(t, w.Do, "review").Then, "")
}

// A gateway with no default and no unconditional flow must never fall
// through to whatever follows it: a last case faults.
func TestExclusiveGatewayWithoutDefaultFaults(t *testing.T) {
	_, w := translate(t, bpmnFile("", `
<bpmn:startEvent id="Start"/>
<bpmn:exclusiveGateway id="Gw"/>
<bpmn:task id="A"/><bpmn:task id="B"/>
`+flows("f1:Start>Gw")+cond("yes", "Gw", "A", "${x}")+cond("no", "Gw", "B", "${!x}")))
	sw := named(t, w.Do, "gw").Switch
	last := sw[len(sw)-1]
	equal(t, "last case has no when", last.When, "")
	raise := named(t, w.Do, last.Then).Raise
	if raise == nil || raise.Error.Inline.Type != errNoPath {
		t.Errorf("the default case goes to %s, not a raise of %s", last.Then, errNoPath)
	}
}

func TestParallelGatewayIsAFork(t *testing.T) {
	res, w := translate(t, bpmnFile("", `
<bpmn:startEvent id="Start"/>
<bpmn:parallelGateway id="Split"/>
<bpmn:userTask id="Check" camunda:candidateGroups="claims"/>
<bpmn:exclusiveGateway id="Needed"/>
<bpmn:task id="Extra"/>
<bpmn:exclusiveGateway id="NeededMerge"/>
<bpmn:userTask id="Call" camunda:candidateGroups="claims"/>
<bpmn:parallelGateway id="Join"/>
<bpmn:task id="After"/>
<bpmn:endEvent id="End"/>
`+flows("f1:Start>Split", "f2:Split>Check", "f3:Split>Needed", "f4:Extra>NeededMerge", "f5:NeededMerge>Join",
		"f6:Check>Call", "f7:Call>Join", "f8:Join>After", "f9:After>End", "f10:Needed>NeededMerge")+
		cond("fx", "Needed", "Extra", "${extra}")))
	_ = res
	equal(t, "order", strings.Join(taskNames(w.Do), ","), "split,after")
	fork := named(t, w.Do, "split")
	if fork.Fork == nil || fork.Fork.Compete {
		t.Fatalf("split is not a fork: %+v", fork)
	}
	equal(t, "branches", strings.Join(taskNames(fork.Fork.Branches), ","), "check,needed")
	first := named(t, fork.Fork.Branches, "check").Do
	equal(t, "first branch", strings.Join(taskNames(first), ","), "check,call")
	second := named(t, fork.Fork.Branches, "needed").Do
	c := cases(named(t, second, "needed").Switch)
	equal(t, "to the join is the branch's end", c["f10"].Then, "exit")
	equal(t, "merged back", fork.Output.As, any(mergeBranches))
	equal(t, "after the join", fork.Then, "")
}

// Branches that never join end on their own: the fork waits for them,
// then the workflow ends.
func TestParallelGatewayWithoutJoin(t *testing.T) {
	res, w := translate(t, bpmnFile("", `
<bpmn:startEvent id="Start"/>
<bpmn:parallelGateway id="Split"/>
<bpmn:task id="A"/><bpmn:task id="B"/>
<bpmn:endEvent id="EndA"/><bpmn:endEvent id="EndB"/>
`+flows("f1:Start>Split", "f2:Split>A", "f3:Split>B", "f4:A>EndA", "f5:B>EndB")))
	fork := named(t, w.Do, "split").Fork
	equal(t, "branches", strings.Join(taskNames(fork.Branches), ","), "a,b")
	equal(t, "only task", len(w.Do), 1)
	reported(t, res, "Split", "never meet at a join")
}

// An inclusive gateway's branches run when their conditions hold; its
// default when none does.
func TestInclusiveGateway(t *testing.T) {
	_, w := translate(t, bpmnFile("", `
<bpmn:startEvent id="Start"/>
<bpmn:inclusiveGateway id="Which" default="fd"/>
<bpmn:task id="Police"/><bpmn:task id="Customs"/><bpmn:task id="Nobody"/>
<bpmn:inclusiveGateway id="Joined"/>
`+flows("f1:Start>Which", "fd:Which>Nobody", "j1:Police>Joined", "j2:Customs>Joined", "j3:Nobody>Joined")+
		cond("fp", "Which", "Police", "${weapons}")+cond("fc", "Which", "Customs", "${goods > 0}")))
	fork := named(t, w.Do, "which").Fork
	equal(t, "police if", named(t, fork.Branches, "police").If, "${ .weapons }")
	equal(t, "customs if", named(t, fork.Branches, "customs").If, "${ .goods > 0 }")
	equal(t, "default if", named(t, fork.Branches, "nobody").If, "${ ((.weapons) or (.goods > 0)) | not }")
}

// A flow COP's lists cannot express (out of a fork branch, back before
// the fork) faults where it would jump, and is reported; the document
// stays valid.
func TestUnstructuredFlowIsReported(t *testing.T) {
	res, w := translate(t, bpmnFile("", `
<bpmn:startEvent id="Start"/>
<bpmn:task id="Prepare"/>
<bpmn:parallelGateway id="Split"/>
<bpmn:exclusiveGateway id="Retry"/>
<bpmn:task id="B"/>
<bpmn:parallelGateway id="Join"/>
`+flows("f1:Start>Prepare", "f2:Prepare>Split", "f3:Split>Retry", "f4:Split>B", "f5:B>Join", "back:Retry>Prepare")+
		cond("on", "Retry", "Join", "${ok}")))
	reported(t, res, "back", "another part of the translation")
	fork := named(t, w.Do, "split").Fork
	retry := named(t, fork.Branches, "retry").Do
	c := cases(named(t, retry, "retry").Switch)
	if raise := named(t, retry, c["back"].Then).Raise; raise == nil || raise.Error.Inline.Type != errUntranslated {
		t.Errorf("the jump back goes to %s", c["back"].Then)
	}
}

func TestSubProcessLinksAndTerminate(t *testing.T) {
	res, w := translate(t, bpmnFile("", `
<bpmn:startEvent id="Start"/>
<bpmn:subProcess id="Sub">
  <bpmn:startEvent id="SubStart"/>
  <bpmn:task id="Inner"/>
  <bpmn:exclusiveGateway id="Stop"/>
  <bpmn:endEvent id="SubEnd"/>
  <bpmn:endEvent id="Kill"><bpmn:terminateEventDefinition/></bpmn:endEvent>
  `+flows("s1:SubStart>Inner", "s2:Inner>Stop", "s3:Stop>SubEnd")+cond("s4", "Stop", "Kill", "${abort}")+`
</bpmn:subProcess>
<bpmn:intermediateThrowEvent id="GoTo"><bpmn:linkEventDefinition name="later"/></bpmn:intermediateThrowEvent>
<bpmn:intermediateCatchEvent id="Later"><bpmn:linkEventDefinition name="later"/></bpmn:intermediateCatchEvent>
<bpmn:task id="Last"/>
<bpmn:endEvent id="Kill2"><bpmn:terminateEventDefinition/></bpmn:endEvent>
`+flows("f1:Start>Sub", "f2:Sub>GoTo", "f3:Later>Last", "f4:Last>Kill2")))
	equal(t, "top level", strings.Join(taskNames(w.Do), ","), "sub,last")
	sub := named(t, w.Do, "sub").Do
	equal(t, "inside", strings.Join(taskNames(sub), ","), "inner,stop")
	c := cases(named(t, sub, "stop").Switch)
	equal(t, "none end of a sub-process", c["s3"].Then, "exit")
	equal(t, "terminate inside a sub-process ends it", c["s4"].Then, "exit")
	equal(t, "the link jumps", named(t, w.Do, "sub").Then, "")
	notReported(t, res, "Later")
}

// Elements that nothing translates are each reported at their id.
func TestUntranslatedConstructsAreReported(t *testing.T) {
	res, _ := translate(t, bpmnFile(`<bpmn:signal id="Sig" name="alarm"/>`, `
<bpmn:laneSet id="Lanes"><bpmn:lane id="L1"/></bpmn:laneSet>
<bpmn:dataObject id="DataObject_1"/>
<bpmn:startEvent id="Start"/>
<bpmn:task id="Work">
  <bpmn:extensionElements>
    <camunda:executionListener event="start" class="com.example.Audit"/>
    <camunda:properties><camunda:property name="owner" value="claims"/></camunda:properties>
    <acme:thing xmlns:acme="http://acme.example/x"/>
  </bpmn:extensionElements>
  <bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>3</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>
  <bpmn:potentialOwner id="Owner"/>
</bpmn:task>
<bpmn:complexGateway id="Complex"/>
<bpmn:adHocSubProcess id="AdHoc"/>
<bpmn:intermediateThrowEvent id="Shout"><bpmn:signalEventDefinition signalRef="Sig"/></bpmn:intermediateThrowEvent>
<bpmn:intermediateThrowEvent id="Undo"><bpmn:compensateEventDefinition/></bpmn:intermediateThrowEvent>
<bpmn:subProcess id="OnEvent" triggeredByEvent="true"/>
<bpmn:endEvent id="End"/>
`+flows("f1:Start>Work", "f2:Work>Complex", "f3:Complex>AdHoc", "f4:AdHoc>Shout", "f5:Shout>Undo", "f6:Undo>End")))
	reported(t, res, "Claim_Process/laneSet", "lanes")
	reported(t, res, "DataObject_1", "dataObject")
	reported(t, res, "Work/camunda:executionListener", "com.example.Audit")
	reported(t, res, "Work/thing", "not Camunda's")
	reported(t, res, "Work/multiInstanceLoopCharacteristics", "a count of 3", "runs once")
	reported(t, res, "Work/potentialOwner", "candidateGroups")
	reported(t, res, "Complex", "complexGateway", "faults")
	reported(t, res, "AdHoc", "ad-hoc")
	reported(t, res, "Shout", "broadcast")
	reported(t, res, "Undo", "compensation")
	reported(t, res, "OnEvent", "event sub-process")
}

// A fork's merge keeps every branch's change: a later branch's unchanged
// copy of a variable, or a skipped branch's passed-through input, must
// not overwrite an earlier branch's change.
func TestForkMergeKeepsEveryBranchsChanges(t *testing.T) {
	e, err := workflows.CompileExpr(mergeBranches)
	if err != nil {
		t.Fatalf("%s: %v", mergeBranches, err)
	}
	in := map[string]any{"x": 1.0, "y": 1.0, "keep": "k"}
	outs := []any{
		map[string]any{"x": 2.0, "y": 1.0, "keep": "k"},            // changed x
		map[string]any{"x": 1.0, "y": 3.0, "keep": "k", "z": true}, // changed y, added z
		map[string]any{"x": 1.0, "y": 1.0, "keep": "k"},            // skipped: its input
	}
	got, err := e.Eval(outs, workflows.Vars{"input": in})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := got.(map[string]any)
	if m["x"] != 2.0 || m["y"] != 3.0 || m["z"] != true || m["keep"] != "k" {
		t.Errorf("merged %v, want x 2, y 3, z true, keep k", got)
	}
}
