package imports

import (
	"encoding/json"
	"strings"
	"testing"
)

func connector(url, method, extra string) string {
	return `<bpmn:extensionElements><camunda:connector>
  <camunda:inputOutput>
    <camunda:inputParameter name="url">` + url + `</camunda:inputParameter>
    <camunda:inputParameter name="method">` + method + `</camunda:inputParameter>` + extra + `
  </camunda:inputOutput>
  <camunda:connectorId>http-connector</camunda:connectorId>
</camunda:connector></bpmn:extensionElements>`
}

func TestServiceTasks(t *testing.T) {
	res, w := translate(t, bpmnFile("", `
<bpmn:startEvent id="Start"/>
<bpmn:serviceTask id="Lookup">`+connector("https://api.example.gov.uk/claims/${claimId}", "POST", `
    <camunda:inputParameter name="headers"><camunda:map><camunda:entry key="Accept">application/json</camunda:entry></camunda:map></camunda:inputParameter>
    <camunda:inputParameter name="payload">{"kind": "claim", "urgent": true}</camunda:inputParameter>
    <camunda:outputParameter name="claim">${response}</camunda:outputParameter>
    <camunda:outputParameter name="score"><camunda:script scriptFormat="javascript">S(response).prop("score")</camunda:script></camunda:outputParameter>`)+`
</bpmn:serviceTask>
<bpmn:serviceTask id="Plain">`+connector("https://api.example.gov.uk/ping", "get", "")+`</bpmn:serviceTask>
<bpmn:serviceTask id="Dynamic">`+connector("${baseUrl}/claims", "GET", "")+`</bpmn:serviceTask>
<bpmn:serviceTask id="Java" camunda:class="com.example.ArchiveDelegate"/>
<bpmn:serviceTask id="Bean" camunda:delegateExpression="${archiver}"/>
<bpmn:serviceTask id="External" camunda:type="external" camunda:topic="archive"/>
<bpmn:businessRuleTask id="Rules" camunda:decisionRef="approver"/>
<bpmn:scriptTask id="Script" scriptFormat="groovy"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>
<bpmn:serviceTask id="Compute" camunda:expression="${amount * 2}" camunda:resultVariable="double"/>
<bpmn:serviceTask id="Method" camunda:expression="${archive.store(claim)}"/>
<bpmn:sendTask id="Tell" messageRef="Msg_sent"/>
<bpmn:endEvent id="End"/>
`+flows("f1:Start>Lookup", "f2:Lookup>Plain", "f2b:Plain>Dynamic", "f3:Dynamic>Java", "f4:Java>Bean", "f5:Bean>External", "f6:External>Rules",
		"f7:Rules>Script", "f8:Script>Compute", "f9:Compute>Method", "f10:Method>Tell", "f11:Tell>End")))
	lookup := named(t, w.Do, "lookup")
	equal(t, "call", lookup.Call, "http")
	equal(t, "method", lookup.With["method"], any("post"))
	equal(t, "endpoint", lookup.With["endpoint"], any("https://api.example.gov.uk/claims/{claimId}"))
	body, _ := json.Marshal(lookup.With["body"])
	equal(t, "body", string(body), `{"kind":"claim","urgent":true}`)
	headers, _ := json.Marshal(lookup.With["headers"])
	equal(t, "headers", string(headers), `{"Accept":"application/json"}`)
	equal(t, "output", lookup.Output.As, any(`${ $input + {"claim": ., "lookupResponse": .} }`))
	reported(t, res, "Lookup/camunda:outputParameter score", "lookupResponse")
	equal(t, "no output parameter: kept under the task's name", named(t, w.Do, "plain").Output.As, any(`${ $input + {"plain": .} }`))

	for _, tc := range []struct{ task, id, detail string }{
		{"dynamic", "Dynamic", "its url ${baseUrl}/claims is an expression"},
		{"java", "Java", "camunda:class=com.example.ArchiveDelegate"},
		{"bean", "Bean", "camunda:delegateExpression=${archiver}"},
		{"external", "External", "external task on topic archive"},
		{"rules", "Rules", "DMN decision approver"},
		{"script", "Script", "groovy script"},
		{"method", "Method", "camunda:expression=${archive.store(claim)}"},
		{"tell", "Tell", "sendTask with no implementation"},
	} {
		raise := named(t, w.Do, tc.task).Raise
		if raise == nil || raise.Error.Inline == nil {
			t.Errorf("%s is not a placeholder", tc.task)
			continue
		}
		e := raise.Error.Inline
		equal(t, tc.task+" type", e.Type, errUntranslated)
		equal(t, tc.task+" status", e.Status, any(501.0))
		if !strings.Contains(e.Detail, tc.detail) || !strings.Contains(e.Title, "was not translated from BPMN") {
			t.Errorf("%s: %+v", tc.task, e)
		}
		reported(t, res, tc.id, tc.detail, "faults the instance")
	}
	equal(t, "a side-effect-free expression", named(t, w.Do, "compute").Set, any(`${ . + {"double": (.amount * 2)} }`))
}

func TestEvents(t *testing.T) {
	res, w := translate(t, bpmnFile(`<bpmn:message id="Msg_paid" name="claim.paid"/><bpmn:message id="Msg_done" name="claim.closed"/>`, `
<bpmn:startEvent id="Start"/>
<bpmn:intermediateCatchEvent id="Wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT4H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
<bpmn:intermediateCatchEvent id="WaitVar"><bpmn:timerEventDefinition><bpmn:timeDuration>${delay}</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
<bpmn:intermediateCatchEvent id="Month"><bpmn:timerEventDefinition><bpmn:timeDuration>P1M</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
<bpmn:intermediateCatchEvent id="Date"><bpmn:timerEventDefinition><bpmn:timeDate>2026-01-01T00:00:00Z</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
<bpmn:intermediateCatchEvent id="Paid"><bpmn:messageEventDefinition messageRef="Msg_paid"/></bpmn:intermediateCatchEvent>
<bpmn:receiveTask id="Receive" messageRef="Msg_paid"/>
<bpmn:intermediateThrowEvent id="Announce"><bpmn:messageEventDefinition messageRef="Msg_done"/></bpmn:intermediateThrowEvent>
<bpmn:endEvent id="End"><bpmn:messageEventDefinition messageRef="Msg_done"/></bpmn:endEvent>
`+flows("f1:Start>Wait", "f2:Wait>WaitVar", "f3:WaitVar>Month", "f4:Month>Date", "f5:Date>Paid", "f6:Paid>Receive", "f7:Receive>Announce", "f8:Announce>End")))
	equal(t, "wait", named(t, w.Do, "wait").Wait.Raw, any("PT4H"))
	equal(t, "wait on a variable", named(t, w.Do, "waitVar").Wait.Expr, "${ .delay }")
	if named(t, w.Do, "month").Raise == nil || named(t, w.Do, "date").Raise == nil {
		t.Errorf("a month or a date became a wait")
	}
	reported(t, res, "Month", "years or months")
	reported(t, res, "Date", "until the date")
	for _, name := range []string{"paid", "receive"} {
		l := named(t, w.Do, name)
		equal(t, name+" type", l.Listen.To.One.With["type"], any("claim.paid"))
		equal(t, name+" output", l.Output.As, any(mergeEvent))
	}
	reported(t, res, "Paid", "correlate")
	announce := named(t, w.Do, "announce")
	equal(t, "emit type", announce.Emit.Event.With["type"], any("claim.closed"))
	equal(t, "emit source", announce.Emit.Event.With["source"], any("https://cop.gov.uk/imported/imported/claim-process"))
	equal(t, "emit passes on", announce.Output.As, any(keepInput))
	end := named(t, w.Do, "endTask") // "end" is then's keyword
	equal(t, "the end event emits", end.Emit.Event.With["type"], any("claim.closed"))
	reported(t, res, "Announce", "no data")
}

func TestBoundaryEvents(t *testing.T) {
	res, w := translate(t, bpmnFile(`<bpmn:error id="Err_1" errorCode="NO_FUNDS"/><bpmn:message id="Msg_cancel" name="claim.cancelled"/>`, `
<bpmn:startEvent id="Start"/>
<bpmn:subProcess id="Pay">
  <bpmn:startEvent id="PayStart"/>
  <bpmn:exclusiveGateway id="Funds" default="p2"/>
  <bpmn:endEvent id="Ok"/>
  <bpmn:endEvent id="Broke"><bpmn:errorEventDefinition errorRef="Err_1"/></bpmn:endEvent>
  `+flows("p1:PayStart>Funds", "p2:Funds>Ok")+cond("p3", "Funds", "Broke", "${balance < amount}")+`
</bpmn:subProcess>
<bpmn:boundaryEvent id="NoFunds" attachedToRef="Pay"><bpmn:errorEventDefinition errorRef="Err_1"/></bpmn:boundaryEvent>
<bpmn:boundaryEvent id="TooSlow" attachedToRef="Pay"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
<bpmn:userTask id="Approve" camunda:candidateGroups="claims"/>
<bpmn:boundaryEvent id="Remind" attachedToRef="Approve" cancelActivity="false"><bpmn:timerEventDefinition><bpmn:timeDuration>P2D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
<bpmn:boundaryEvent id="Cancelled" attachedToRef="Approve"><bpmn:messageEventDefinition messageRef="Msg_cancel"/></bpmn:boundaryEvent>
<bpmn:boundaryEvent id="Escalate" attachedToRef="Approve"><bpmn:escalationEventDefinition/></bpmn:boundaryEvent>
<bpmn:task id="Refund"/><bpmn:task id="Chase"/><bpmn:task id="Nudge"/><bpmn:task id="Boss"/>
<bpmn:endEvent id="End"/>
`+flows("f1:Start>Pay", "f2:Pay>Approve", "f3:Approve>End", "e1:NoFunds>Refund", "e2:TooSlow>Chase", "e3:Remind>Nudge", "e4:Cancelled>End", "e5:Escalate>Boss")))
	equal(t, "order", strings.Join(taskNames(w.Do)[:4], ","), "pay,payOutcome,approve,approveOutcome")

	pay := named(t, w.Do, "pay")
	equal(t, "mark cleared on the way in", pay.Input.From, any("${ del(.bpmnBoundaryEvent) }"))
	inner := named(t, pay.Try, "pay")
	equal(t, "timeout", inner.Timeout.Inline.After.Raw, any("PT1H"))
	raise := named(t, inner.Do, "broke").Raise.Error.Inline
	equal(t, "raised type", raise.Type, "https://cop.gov.uk/errors/bpmn/NO_FUNDS")
	if pay.Catch.Errors != nil || !strings.Contains(pay.Catch.When, "bpmn/NO_FUNDS") || !strings.Contains(pay.Catch.When, "errors/timeout") {
		t.Errorf("catch: %+v", pay.Catch)
	}
	mark := pay.Catch.Do[0].Task.Set.(string)
	if !strings.Contains(mark, `then "NoFunds"`) || !strings.Contains(mark, `"TooSlow"`) {
		t.Errorf("mark: %s", mark)
	}
	route := cases(named(t, w.Do, "payOutcome").Switch)
	equal(t, "error route", route["noFunds"].When, `${ .bpmnBoundaryEvent == "NoFunds" }`)
	equal(t, "error path", route["noFunds"].Then, "refund")
	equal(t, "timer path", route["tooSlow"].Then, "chase")
	equal(t, "normal path", route["completed"].Then, "approve")

	approve := named(t, w.Do, "approve")
	if approve.Fork == nil || !approve.Fork.Compete {
		t.Fatalf("a message boundary is not a competing fork: %+v", approve)
	}
	user := named(t, approve.Fork.Branches, "approve")
	esc, _ := json.Marshal(user.With["escalation"])
	equal(t, "escalation", string(esc), `{"after":"P2D","priority":1,"to":["team:claims"]}`)
	listen := named(t, approve.Fork.Branches, "cancelled")
	equal(t, "listen", listen.Listen.To.One.With["type"], any("claim.cancelled"))
	route = cases(named(t, w.Do, "approveOutcome").Switch)
	equal(t, "message path", route["cancelled"].Then, "end")
	reported(t, res, "Remind", "escalation", "to Nudge")
	reported(t, res, "Escalate", "escalation boundary event is not translated", "to Boss")
	reported(t, res, "Nudge", "not reached")
	reported(t, res, "Boss", "not reached")
}

func TestEventBasedGateway(t *testing.T) {
	_, w := translate(t, bpmnFile(`<bpmn:message id="M1" name="claim.paid"/><bpmn:message id="M2" name="claim.withdrawn"/>`, `
<bpmn:startEvent id="Start"/>
<bpmn:eventBasedGateway id="Race"/>
<bpmn:intermediateCatchEvent id="Paid"><bpmn:messageEventDefinition messageRef="M1"/></bpmn:intermediateCatchEvent>
<bpmn:receiveTask id="Withdrawn" messageRef="M2"/>
<bpmn:intermediateCatchEvent id="Late"><bpmn:timerEventDefinition><bpmn:timeDuration>P7D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
<bpmn:task id="Close"/><bpmn:task id="Chase"/>
`+flows("f1:Start>Race", "f2:Race>Paid", "f3:Race>Withdrawn", "f4:Race>Late", "f5:Paid>Close", "f6:Withdrawn>Close", "f7:Late>Chase")))
	race := named(t, w.Do, "race")
	listen := named(t, race.Try, "race")
	equal(t, "any of", len(listen.Listen.To.Any), 2)
	equal(t, "timeout", listen.Timeout.Inline.After.Raw, any("P7D"))
	equal(t, "caught", race.Catch.Errors.With.Type, errTimeout)
	route := cases(named(t, w.Do, "raceOutcome").Switch)
	equal(t, "paid", route["paid"].Then, "close")
	equal(t, "withdrawn", route["withdrawn"].Then, "close")
	equal(t, "late", route["late"].When, `${ .bpmnEvent == "Late" }`)
	equal(t, "late path", route["late"].Then, "chase")
}

func TestCallActivity(t *testing.T) {
	res, w := translate(t, bpmnFile("", `
<bpmn:startEvent id="Start"/>
<bpmn:callActivity id="Review" calledElement="ReviewClaim" camunda:calledElementBinding="deployment">
  <bpmn:extensionElements>
    <camunda:in source="claimId" target="id"/>
    <camunda:in sourceExpression="${amount * 100}" target="pence"/>
    <camunda:in businessKey="#{execution.processBusinessKey}"/>
    <camunda:out source="outcome" target="reviewOutcome"/>
  </bpmn:extensionElements>
</bpmn:callActivity>
<bpmn:callActivity id="All" calledElement="archive_claim">
  <bpmn:extensionElements><camunda:in variables="all"/><camunda:out variables="all"/></bpmn:extensionElements>
</bpmn:callActivity>
`+flows("f1:Start>Review", "f2:Review>All")))
	run := named(t, w.Do, "review").Run.Workflow
	equal(t, "workflow", run.Namespace+"/"+run.Name+"@"+run.Version, "imported/review-claim@latest")
	in, _ := json.Marshal(run.Input)
	equal(t, "input", string(in), `{"id":"${ .claimId }","pence":"${ .amount * 100 }"}`)
	equal(t, "output", named(t, w.Do, "review").Output.As, any(`${ $input + {"reviewOutcome": .outcome} }`))
	reported(t, res, "Review", "imported/review-claim", "publish it before this one")
	reported(t, res, "Review/camunda:calledElementBinding", "deployment")
	reported(t, res, "Review/camunda:in businessKey", "case")
	all := named(t, w.Do, "all")
	if all.Run.Workflow.Input != nil {
		t.Errorf("variables=all passes the input as it is, not %v", all.Run.Workflow.Input)
	}
	equal(t, "all output", all.Output.As, any("${ $input + ((. | objects) // {}) }"))
}

func TestMultiInstanceIsAForLoop(t *testing.T) {
	res, w := translate(t, bpmnFile("", `
<bpmn:startEvent id="Start"/>
<bpmn:userTask id="Check" camunda:candidateGroups="claims">
  <bpmn:multiInstanceLoopCharacteristics camunda:collection="${claimants}" camunda:elementVariable="claimant"/>
</bpmn:userTask>
`+flows("f1:Start>Check")))
	check := named(t, w.Do, "check")
	equal(t, "for each", check.For.Each, "claimant")
	equal(t, "in", check.For.In, "${ .claimants }")
	inner := named(t, check.Do, "check")
	equal(t, "the item is a variable", inner.Input.From, any(`${ . + {"claimant": $claimant} }`))
	reported(t, res, "Check/multiInstanceLoopCharacteristics", "one after another")
}
