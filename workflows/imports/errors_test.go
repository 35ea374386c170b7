package imports

import (
	"strconv"
	"strings"
	"testing"
)

// Input an import refuses: an error naming the file and the place, and
// nothing produced.
func TestRefusedInput(t *testing.T) {
	deep := bpmnFile("", "<bpmn:task id=\"T\"><bpmn:extensionElements>"+strings.Repeat("<x:a xmlns:x=\"urn:x\">", 70)+strings.Repeat("</x:a>", 70)+"</bpmn:extensionElements></bpmn:task>")
	many := bpmnFile("", strings.Repeat("<bpmn:task/>", 30))
	dup := bpmnFile("", `<bpmn:startEvent id="S"/><bpmn:task id="A"/><bpmn:task id="B"/>
`+flows("f1:S>A")+flows("f1:S>B"))
	valid := bpmnFile("", `<bpmn:startEvent id="S"/>`)
	small := Limits{MaxBytes: 1 << 20, MaxElements: 20, MaxDepth: 64}
	for _, tc := range []struct {
		name, content string
		opt           Options
		lim           Limits
		want          []string
	}{
		{"not XML", "this is not XML at all", Options{}, DefaultLimits,
			[]string{"f.bpmn", "not XML"}},
		{"truncated", valid[:len(valid)/2], Options{}, DefaultLimits,
			[]string{"f.bpmn line ", "column", "not well-formed XML", "unexpected EOF"}},
		{"mismatched", "<a>\n<b></a>", Options{}, DefaultLimits,
			[]string{"f.bpmn line 2", "not well-formed XML"}},
		{"billion laughs", `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
]>
<lolz>&lol2;</lolz>`, Options{}, DefaultLimits,
			[]string{"f.bpmn line 2: declares XML entities, which COP refuses (entity expansion)"}},
		{"not BPMN", `<?xml version="1.0"?><definitions xmlns="http://example.org/other"/>`, Options{}, DefaultLimits,
			[]string{"f.bpmn line 1", "not BPMN 2.0 <definitions>"}},
		{"no process", `<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><collaboration id="c"/></definitions>`, Options{}, DefaultLimits,
			[]string{"f.bpmn", "no <process>"}},
		{"nothing executable", strings.Replace(valid, `isExecutable="true"`, `isExecutable="false"`, 1), Options{}, DefaultLimits,
			[]string{"f.bpmn", "no process is marked executable", "Camunda Modeler marks", "Claim_Process"}},
		{"no such process", valid, Options{Process: "Other"}, DefaultLimits,
			[]string{"f.bpmn", `no process has the id "Other"`, "Claim_Process"}},
		{"oversized", valid, Options{}, Limits{MaxBytes: 100},
			[]string{"f.bpmn is " + strconv.Itoa(len(valid)) + " bytes; an import takes at most 100 (the file size limit)"}},
		{"duplicate id", dup, Options{}, DefaultLimits,
			[]string{"f.bpmn: id f1 is used by two elements (line 9 and line 10)"}},
		{"too many elements", many, Options{}, small,
			[]string{"f.bpmn line ", "more than 20 XML elements"}},
		{"too deep", deep, Options{}, DefaultLimits,
			[]string{"f.bpmn line ", "nested more than 64 deep"}},
		{"bad namespace", valid, Options{Namespace: "Not OK"}, DefaultLimits,
			[]string{`namespace "Not OK"`}},
		{"unknown encoding", `<?xml version="1.0" encoding="EBCDIC"?><a/>`, Options{}, DefaultLimits,
			[]string{"f.bpmn", "EBCDIC", "UTF-8"}},
	} {
		res, err := BPMN("f.bpmn", []byte(tc.content), tc.opt, tc.lim)
		if err == nil {
			t.Errorf("%s: imported", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v, want it to say %q", tc.name, err, w)
			}
		}
		if res.Workflow != nil || res.Forms != nil || res.Report != nil {
			t.Errorf("%s: something was produced with the error: %+v", tc.name, res)
		}
	}
}

// What an import may read: an ISO-8859-1 file, a DOCTYPE without
// entities, and limits left zero (the defaults).
func TestAcceptedInput(t *testing.T) {
	latin := strings.Replace(bpmnFile("", "<bpmn:startEvent id=\"S\"/><bpmn:task id=\"T\" name=\"Caf\xe9\"/>"+flows("f:S>T")),
		`encoding="UTF-8"`, `encoding="ISO-8859-1"`, 1)
	res, err := BPMN("f.bpmn", []byte(latin), Options{}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(res.Workflow), "bpmnName: Café") {
		t.Errorf("the name was not read as ISO-8859-1:\n%s", res.Workflow)
	}
	doctype := strings.Replace(bpmnFile("", `<bpmn:startEvent id="S"/>`), "<bpmn:definitions", "<!DOCTYPE definitions>\n<bpmn:definitions", 1)
	res, err = BPMN("f.bpmn", []byte(doctype), Options{}, DefaultLimits)
	if err != nil {
		t.Fatalf("a DOCTYPE without entities: %v", err)
	}
	// A process that does nothing is a workflow that does nothing: a list
	// may not be empty.
	w := accepted(t, res)
	equal(t, "tasks", strings.Join(taskNames(w.Do), ","), "nothing")

	zeebe := strings.Replace(bpmnFile("", `<bpmn:startEvent id="S"/>`), `id="Definitions_1"`,
		`id="Definitions_1" xmlns:modeler="http://camunda.org/schema/modeler/1.0" modeler:executionPlatform="Camunda Cloud"`, 1)
	res, err = BPMN("claim.bpmn", []byte(zeebe), Options{}, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	reported(t, res, "Definitions_1", "Camunda 8")
}

// Several executable processes: the first, reported; or the one named.
func TestProcessChoice(t *testing.T) {
	two := strings.Replace(bpmnFile("", `<bpmn:startEvent id="S"/><bpmn:task id="A"/>`+flows("f:S>A")), "</bpmn:definitions>",
		`<bpmn:process id="Second_Process" name="Second" isExecutable="true" camunda:versionTag="2.1.0"><bpmn:startEvent id="S2"/><bpmn:task id="B"/>`+flows("g:S2>B")+`</bpmn:process></bpmn:definitions>`, 1)
	res, err := BPMN("claim.bpmn", []byte(two), Options{}, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	w := accepted(t, res)
	equal(t, "first", res.Name, "claim-process")
	equal(t, "title", w.Document.Title, "Claim process")
	equal(t, "summary", w.Document.Summary, "Imported from BPMN claim.bpmn, process Claim_Process.")
	reported(t, res, "Claim_Process", "2 executable processes", "Second_Process")

	res, err = BPMN("claim.bpmn", []byte(two), Options{Process: "Second_Process", Namespace: "border-force"}, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	w = accepted(t, res)
	equal(t, "named", res.Name, "second-process")
	equal(t, "namespace", w.Document.Namespace, "border-force")
	equal(t, "version from camunda:versionTag", w.Document.Version, "2.1.0")
	equal(t, "task", taskNames(w.Do)[0], "b")
}

func TestNames(t *testing.T) {
	for in, want := range map[string]string{
		"UserTask_1": "userTask1", "publish_announcement_website": "publishAnnouncementWebsite",
		"Gateway_0z7rp9m": "gateway0z7rp9m", "sid-0b0aaa25-3baf": "sid0b0aaa253baf", "XMLParser": "xmlParser",
		"1st": "task1st", "": "task", "Événement": "vNement", // letters outside ASCII are dropped
	} {
		equal(t, "camel "+in, camel(in), want)
	}
	for in, want := range map[string]string{
		"approveClaim": "approve-claim", "fox-invoice_generated_forms": "fox-invoice-generated-forms",
		"ReviewInvoice": "review-invoice", "UserTask_1": "user-task-1", "camunda-testing-job-announcement-publication": "camunda-testing-job-announcement-publication",
	} {
		equal(t, "kebab "+in, kebab(in, 63), want)
	}
	equal(t, "cut at a word", kebab(strings.Repeat("word_", 20), 20), "word-word-word-word")
	var ns names
	equal(t, "first", ns.unique("review"), "review")
	equal(t, "second", ns.unique("review"), "review2")
	equal(t, "then's keyword", ns.unique("end"), "endTask")
}
