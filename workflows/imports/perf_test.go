package imports

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// A file of a thousand splits and joins imports, in bounded time.
func TestManyForksAreBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<bpmn:startEvent id="S"/>`)
	prev := "S"
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&b, `<bpmn:parallelGateway id="P%d"/><bpmn:task id="A%d"/><bpmn:task id="B%d"/><bpmn:parallelGateway id="J%d"/>`, i, i, i, i)
		b.WriteString(flows(fmt.Sprintf("s%d:%s>P%d", i, prev, i), fmt.Sprintf("a%d:P%d>A%d", i, i, i), fmt.Sprintf("b%d:P%d>B%d", i, i, i),
			fmt.Sprintf("c%d:A%d>J%d", i, i, i), fmt.Sprintf("d%d:B%d>J%d", i, i, i)))
		prev = fmt.Sprintf("J%d", i)
	}
	start := time.Now()
	res, err := BPMN("many.bpmn", []byte(bpmnFile("", b.String())), Options{}, DefaultLimits)
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("the import took %v", took)
	}
	if err != nil {
		t.Fatal(err)
	}
	w := accepted(t, res)
	equal(t, "one fork per split", len(w.Do), 1000)
	equal(t, "the last fork's first branch", taskNames(named(t, w.Do, "p999").Fork.Branches)[0], "a999")
}

// Forks nested thousands deep are refused, not written out.
func TestDeepNestingIsRefused(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<bpmn:startEvent id="S"/>`)
	prev := "S"
	const n = 1000
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `<bpmn:parallelGateway id="P%d"/><bpmn:task id="A%d"/><bpmn:parallelGateway id="J%d"/>`, i, i, i)
		b.WriteString(flows(fmt.Sprintf("s%d:%s>P%d", i, prev, i), fmt.Sprintf("a%d:P%d>A%d", i, i, i), fmt.Sprintf("j%d:A%d>J%d", i, i, i)))
		prev = fmt.Sprintf("P%d", i)
	}
	for i := n - 1; i > 0; i-- {
		b.WriteString(flows(fmt.Sprintf("u%d:J%d>J%d", i, i, i-1)))
	}
	start := time.Now()
	_, err := BPMN("deep.bpmn", []byte(bpmnFile("", b.String())), Options{}, DefaultLimits)
	if err == nil || !strings.Contains(err.Error(), "more than 30 deep") {
		t.Errorf("err %v", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %v", took)
	}
}

// Text split by thousands of comments is read in linear time, and an
// element's text beyond the cap is refused with the file and line; a
// condition beyond the expression cap is reported and faults loudly.
func TestLongTextIsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<bpmn:startEvent id="S"><bpmn:documentation>`)
	for b.Len() < 5<<20 {
		b.WriteString("x<!---->")
	}
	b.WriteString(`</bpmn:documentation></bpmn:startEvent>`)
	lim := DefaultLimits
	lim.MaxBytes = 10 << 20
	start := time.Now()
	_, err := BPMN("long.bpmn", []byte(bpmnFile("", b.String())), Options{}, lim)
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the import took %v", took)
	}
	if err == nil || !strings.Contains(err.Error(), "long.bpmn line 8") || !strings.Contains(err.Error(), "documentation") {
		t.Errorf("err = %v, want a refusal naming the file, line and element", err)
	}

	long := "${" + strings.Repeat("a && ", 1000) + "a}"
	res, w := translate(t, bpmnFile("", `
<bpmn:startEvent id="S"/>
<bpmn:exclusiveGateway id="G" default="no"/>
<bpmn:task id="A"/><bpmn:task id="B"/>
`+flows("f1:S>G", "no:G>B")+cond("yes", "G", "A", long)))
	c := cases(named(t, w.Do, "g").Switch)
	if !strings.Contains(c["yes"].When, "error(") || len(c["yes"].When) > 1000 {
		t.Errorf("a long condition: %.300s", c["yes"].When)
	}
	reported(t, res, "yes", "at most 4096")
}
