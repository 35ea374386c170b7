package imports

import (
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"testing"
)

// randomProcess writes a process of random nodes joined by random flows:
// loops, unmatched joins, flows into and out of fork branches, boundary
// events, nested sub-processes. Nothing about it need make sense.
func randomProcess(r *rand.Rand, prefix string, depth int) string {
	kinds := []string{"task", "userTask", "serviceTask", "exclusiveGateway", "parallelGateway", "inclusiveGateway",
		"exclusiveGateway", "parallelGateway", "endEvent", "intermediateCatchEvent", "subProcess", "eventBasedGateway",
		"intermediateThrowEvent", "receiveTask", "callActivity"}
	n := 3 + r.Intn(10)
	var b strings.Builder
	ids := []string{prefix + "S"}
	fmt.Fprintf(&b, `<bpmn:startEvent id="%sS"/>`, prefix)
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("%sN%d", prefix, i)
		kind := kinds[r.Intn(len(kinds))]
		switch {
		case kind == "subProcess" && depth < 2:
			fmt.Fprintf(&b, `<bpmn:subProcess id="%s">%s</bpmn:subProcess>`, id, randomProcess(r, id+"_", depth+1))
		case kind == "subProcess":
			fmt.Fprintf(&b, `<bpmn:task id="%s"/>`, id)
		case kind == "intermediateCatchEvent":
			if r.Intn(2) == 0 {
				fmt.Fprintf(&b, `<bpmn:intermediateCatchEvent id="%s"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>`, id)
			} else {
				fmt.Fprintf(&b, `<bpmn:intermediateCatchEvent id="%s"><bpmn:messageEventDefinition messageRef="M"/></bpmn:intermediateCatchEvent>`, id)
			}
		case kind == "endEvent" && r.Intn(3) == 0:
			fmt.Fprintf(&b, `<bpmn:endEvent id="%s"><bpmn:terminateEventDefinition/></bpmn:endEvent>`, id)
		case kind == "receiveTask":
			fmt.Fprintf(&b, `<bpmn:receiveTask id="%s" messageRef="M"/>`, id)
		case kind == "callActivity":
			fmt.Fprintf(&b, `<bpmn:callActivity id="%s" calledElement="Other"/>`, id)
		default:
			fmt.Fprintf(&b, `<bpmn:%s id="%s"/>`, kind, id)
		}
		ids = append(ids, id)
		if (kind == "userTask" || kind == "task" || kind == "subProcess") && r.Intn(3) == 0 {
			defs := []string{`<bpmn:errorEventDefinition/>`, `<bpmn:timerEventDefinition><bpmn:timeDuration>PT2H</bpmn:timeDuration></bpmn:timerEventDefinition>`,
				`<bpmn:messageEventDefinition messageRef="M"/>`, `<bpmn:escalationEventDefinition/>`}
			bid := id + "B"
			fmt.Fprintf(&b, `<bpmn:boundaryEvent id="%s" attachedToRef="%s" cancelActivity="%v">%s</bpmn:boundaryEvent>`, bid, id, r.Intn(4) != 0, defs[r.Intn(len(defs))])
			ids = append(ids, bid)
		}
	}
	flowsN := n + r.Intn(n+2)
	for i := 0; i < flowsN; i++ {
		from := ids[r.Intn(len(ids))]
		if i < len(ids)-1 {
			from = ids[i] // most nodes lead somewhere
		}
		to := ids[1+r.Intn(len(ids)-1)]
		if r.Intn(3) == 0 {
			b.WriteString(cond(fmt.Sprintf("%sF%d", prefix, i), from, to, []string{"${x}", "${a > 1}", "${bean.call()}"}[r.Intn(3)]))
		} else {
			fmt.Fprintf(&b, `<bpmn:sequenceFlow id="%sF%d" sourceRef="%s" targetRef="%s"/>`, prefix, i, from, to)
		}
	}
	return b.String()
}

// Random processes, however tangled, import into workflows COP accepts
// (or are refused with a reason), and never crash the import.
func TestRandomProcesses(t *testing.T) {
	seeds := int64(60)
	if n, err := strconv.ParseInt(os.Getenv("COP_BPMN_RANDOM_SEEDS"), 10, 64); err == nil {
		seeds = n // more, when hunting
	}
	refused := int64(0)
	for seed := int64(0); seed < seeds; seed++ {
		r := rand.New(rand.NewSource(seed))
		src := bpmnFile(`<bpmn:message id="M" name="m"/>`, randomProcess(r, "", 0))
		res, err := BPMN("random.bpmn", []byte(src), Options{}, DefaultLimits)
		if err != nil {
			if strings.Contains(err.Error(), "defect") {
				t.Fatalf("seed %d: %v\n%s", seed, err, src)
			}
			refused++
			continue
		}
		accepted(t, res)
	}
	if refused > seeds/10 {
		t.Errorf("%d of %d random processes were refused", refused, seeds)
	}
}
