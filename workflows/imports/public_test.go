package imports

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// importPublic imports a published Camunda 7 sample (testdata/public,
// README.md there says where each is from) and checks COP would accept
// what it gives.
func importPublic(t *testing.T, file string) (Result, func(where string, whys ...string)) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "public", file))
	if err != nil {
		t.Fatal(err)
	}
	res, err := BPMN(file, raw, Options{}, DefaultLimits)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	accepted(t, res)
	if len(res.Report) == 0 {
		t.Errorf("%s: an empty report", file)
	}
	return res, func(where string, whys ...string) {
		t.Helper()
		reported(t, res, where, whys...)
	}
}

// The Camunda platform's generated-forms invoice: formData on the start
// event and a user task, a message start, JUEL conditions, lanes.
func TestPublicGeneratedFormsInvoice(t *testing.T) {
	res, has := importPublic(t, "fox-invoice_generated_forms.bpmn")
	w := accepted(t, res)
	equal(t, "startForm", w.Document.Metadata["startForm"], any("fox-invoice-generated-forms-start"))
	start := form(res, "fox-invoice-generated-forms-start")
	if start == nil || start.Stub || !strings.Contains(string(start.Definition), `"firstname"`) || strings.Contains(string(start.Definition), `"readonly"`) {
		t.Errorf("start form: %+v", start)
	}
	if f := form(res, "fox-invoice-generated-forms-assign-approver"); f == nil || f.Stub || !strings.Contains(string(f.Definition), `"const": "b"`) {
		t.Errorf("assign approver form: %+v", f)
	}
	if !strings.Contains(string(w.Schedule), "foxMessage_generated_start_forms") {
		t.Errorf("message start: %s", w.Schedule)
	}
	c := cases(named(t, w.Do, "reviewSuccessfulGw").Switch)
	equal(t, "equals(…) translated", c["no"].When, `${ .clarified == "no" }`)
	equal(t, "a side-effect-free expression passes on", named(t, w.Do, "saveInvoiceToSvn").Set, any("${ . }"))
	has("invoiceReceived/camunda:formField readonly", "read-only")
	has("invoiceReceived/camunda:formField dateOfBirth", "defaultValue")
	has("approveInvoice/camunda:formKey", "stub form approve")
	has("DataStoreReference_1", "dataStoreReference is not translated")
	has("fox-invoice_generated_forms/laneSet", "lanes are not translated")
	has("fox-invoice_generated_forms", "team:management")
}

// The Camunda platform's invoice example: a DMN decision, a Java class, a
// call activity with in/out mappings, task listeners, expressions for
// groups and due dates.
func TestPublicInvoice(t *testing.T) {
	res, has := importPublic(t, "invoice.v2.bpmn")
	w := accepted(t, res)
	run := named(t, w.Do, "reviewInvoice").Run.Workflow
	equal(t, "called", run.Name, "review-invoice")
	in, _ := json.Marshal(run.Input)
	if !strings.Contains(string(in), `"invoiceNumber":"${ .invoiceNumber }"`) {
		t.Errorf("camunda:in: %s", in)
	}
	equal(t, "camunda:out", named(t, w.Do, "reviewInvoice").Output.As, any(`${ $input + {"clarified": .clarified} }`))
	has("assignApprover", "DMN decision invoice-assign-approver", "faults the instance")
	has("ServiceTask_1", "camunda:class=org.camunda.bpm.example.invoice.service.ArchiveInvoiceService")
	has("approveInvoice/camunda:taskListener", "create listener", "javascript")
	has("approveInvoice/camunda:candidateGroups", "${approverGroups}")
	has("approveInvoice/camunda:dueDate", "${dateTime().plusWeeks(1).toDate()}")
	has("prepareBankTransfer/dataInputAssociation", "not translated")
	has("invoice/camunda:versionTag", `"V2.0"`)
	has("reviewInvoice", "imported/review-invoice", "publish it before this one")
	has("StartEvent_1/camunda:formKey", "stub form start-form")
}

// The camunda-bpm-examples job announcement: a parallel split and join
// around exclusive decisions, deferred #{…} conditions, beans.
func TestPublicJobAnnouncement(t *testing.T) {
	res, has := importPublic(t, "camunda-testing-job-announcement-publication.bpmn")
	w := accepted(t, res)
	fork := named(t, w.Do, "gateway0z7rp9m").Fork
	if fork == nil || len(fork.Branches) != 2 {
		t.Fatalf("the parallel gateway is not a fork of two branches")
	}
	twitter := named(t, named(t, fork.Branches, "gateway0c0k10n").Do, "gateway0c0k10n")
	c := cases(twitter.Switch)
	equal(t, "#{twitter}", c["yes"].When, "${ .twitter }")
	equal(t, "to the join ends the branch", c["no"].Then, "exit")
	has("publish_announcement_website", "#{jobAnnouncementService.postToWebsite(jobAnnouncementId)}", "faults the instance")
	has("publish_announcement_twitter", "postToTwitter")
	has("publish_announcement_facebook", "postToFacebook")
}

// The camunda-bpm-examples embedded forms with BPMN events: an error and an
// escalation boundary event on a user task.
func TestPublicBoundaryEvents(t *testing.T) {
	res, has := importPublic(t, "invoicePayment.bpmn")
	w := accepted(t, res)
	pay := named(t, w.Do, "task16y91ka")
	equal(t, "caught", pay.Catch.Errors.With.Type, "https://cop.gov.uk/errors/bpmn/invoice-error")
	route := cases(named(t, w.Do, "task16y91kaOutcome").Switch)
	equal(t, "error path", route["boundaryEvent18unjdv"].Then, "task1a2twqz")
	has("BoundaryEvent_18unjdv", "a COP user task cannot")
	has("BoundaryEvent_1uy9o9h", "escalation boundary event is not translated", "to Task_0q869n2")
	has("Task_0q869n2", "not reached from the start event")
}

// The camunda-bpm-examples loan granting: external tasks, a timer start,
// a multi-instance sub-process, a script input parameter.
func TestPublicLoanGranting(t *testing.T) {
	res, has := importPublic(t, "loan-granting.bpmn")
	w := accepted(t, res)
	sub := named(t, w.Do, "subProcess16kr5xn")
	equal(t, "for each score", sub.For.Each, "score")
	inner := named(t, sub.Do, "subProcess16kr5xn").Do
	c := cases(named(t, inner, "exclusiveGateway12xhuxz").Switch)
	equal(t, "${score > 5}", c["goodScore"].When, "${ .score > 5 }")
	has("StartEvent_1", "timer start event is not translated")
	has("Task_1lvjtd4", "external task on topic creditScoreChecker")
	has("Task_0v4gadf", "external task on topic loanGranter")
	has("Task_1lvjtd4/camunda:inputOutput", "input/output mappings are not translated")
	has("SubProcess_16kr5xn/multiInstanceLoopCharacteristics", "one after another")
}

// The camunda-bpm-examples REST service: Camunda's http-connector.
func TestPublicRestConnector(t *testing.T) {
	res, has := importPublic(t, "invokeRestService.bpmn")
	w := accepted(t, res)
	call := named(t, w.Do, "serviceTask1")
	equal(t, "call", call.Call, "http")
	equal(t, "method", call.With["method"], any("get"))
	equal(t, "endpoint", call.With["endpoint"], any("http://feiertage.jarmedia.de/api/?jahr=2014&nur_land=BE"))
	c := cases(named(t, w.Do, "exclusiveGateway1").Switch)
	equal(t, "${!isHoliday}", c["isNoHoliday"].When, "${ (.isHoliday | not) }")
	has("ServiceTask_1/camunda:outputParameter isHoliday", "Javascript script", "serviceTask1Response")
	has("UserTask_1", "names no form")
}
