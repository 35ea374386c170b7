package imports

import (
	"strings"
	"testing"

	"cop/workflows"
)

func TestJUELTranslates(t *testing.T) {
	for _, tc := range []struct{ juel, jq string }{
		{"${approved}", ".approved"},
		{"#{approved}", ".approved"},
		{"  ${ approved }  ", ".approved"},
		{"${!approved}", "(.approved | not)"},
		{"${not approved}", "(.approved | not)"},
		{"${amount == 10}", ".amount == 10"},
		{"${amount eq 10}", ".amount == 10"},
		{"${amount != 10}", ".amount != 10"},
		{"${amount ne 10}", ".amount != 10"},
		{"${amount < 10}", ".amount < 10"},
		{"${amount lt 10}", ".amount < 10"},
		{"${amount > 10.5}", ".amount > 10.5"},
		{"${amount gt 10}", ".amount > 10"},
		{"${amount <= 10}", ".amount <= 10"},
		{"${amount le 10}", ".amount <= 10"},
		{"${amount >= 1e3}", ".amount >= 1e3"},
		{"${amount ge 10}", ".amount >= 10"},
		{"${flag == x > 5}", ".flag == (.x > 5)"},
		{"${a < b == b < a}", "(.a < .b) == (.b < .a)"},
		{"${a lt b ne c}", "(.a < .b) != .c"},
		{"${a && b}", ".a and .b"},
		{"${a and b}", ".a and .b"},
		{"${a || b}", ".a or .b"},
		{"${a or b}", ".a or .b"},
		{"${a || b && c}", ".a or .b and .c"},
		{"${(a || b) && c}", "(.a or .b) and .c"},
		{"${status == 'open'}", `.status == "open"`},
		{`${status == "open"}`, `.status == "open"`},
		{`${name == 'O\'Brien'}`, `.name == "O'Brien"`},
		{`${name == 'say "hi"'}`, `.name == "say \"hi\""`},
		{"${claim.amount > limit}", ".claim.amount > .limit"},
		{"${claim['first name'] == 'x'}", `.claim."first name" == "x"`},
		{"${items[0] == 1}", ".items[0] == 1"},
		{"${x == null}", ".x == null"},
		{"${x == true}", ".x == true"},
		{"${x == false}", ".x == false"},
		{"${empty comments}", `(.comments == null or .comments == "" or .comments == [] or .comments == {})`},
		{"${not empty comments}", `((.comments == null or .comments == "" or .comments == [] or .comments == {}) | not)`},
		{"${a + b * 2 > 10}", ".a + .b * 2 > 10"},
		{"${(a + b) * 2 > 10}", "(.a + .b) * 2 > 10"},
		{"${a - b - c == 0}", ".a - .b - .c == 0"},
		{"${a / 2 == b div 2}", ".a / 2 == .b / 2"},
		{"${a % 2 == b mod 2}", ".a % 2 == .b % 2"},
		{"${-a < 0}", "(-.a) < 0"},
		{"${(a < b) == c}", "(.a < .b) == .c"},
		{"${a < b == c}", "(.a < .b) == .c"},
		{"${vip ? 1 : 2}", "(if .vip then 1 else 2 end)"},
		{"${clarified.equals('no')}", `.clarified == "no"`},
		{"${!clarified.equals('no')}", `(.clarified == "no" | not)`},
		{"${and_more == 1}", ".and_more == 1"},
		{"${if == 1}", `."if" == 1`},
	} {
		got, err := juelToJQ(tc.juel)
		if err != nil {
			t.Errorf("%s: %v", tc.juel, err)
			continue
		}
		if got != tc.jq {
			t.Errorf("%s: got %s, want %s", tc.juel, got, tc.jq)
		}
		// COP must accept every translation as a condition.
		if _, err := workflows.CompileExpr("${ " + got + " }"); err != nil {
			t.Errorf("%s: %s does not compile: %v", tc.juel, got, err)
		}
	}
}

func TestJUELTranslationEvaluates(t *testing.T) {
	data := map[string]any{"amount": 1500.0, "limit": 1000.0, "approved": false, "comments": "", "status": "open",
		"claim": map[string]any{"amount": 20.0}, "flag": true, "x": 10.0, "a": 1.0, "b": 2.0}
	for _, tc := range []struct {
		juel string
		want bool
	}{
		{"${amount > limit && !approved}", true},
		{"${empty comments}", true},
		{"${not empty status}", true},
		{"${claim.amount lt 10 or status eq 'open'}", true},
		{"${status.equals('closed')}", false},
		{"${approved ? false : true}", true},
		{"${missing == null}", true},
		{"${flag == x > 5}", true},   // relational binds tighter than equality
		{"${a < b == b < a}", false}, // (1 < 2) == (2 < 1)
		{"${a < b != b < a}", true},
	} {
		jq, err := juelToJQ(tc.juel)
		if err != nil {
			t.Fatalf("%s: %v", tc.juel, err)
		}
		e, err := workflows.CompileExpr("${ " + jq + " }")
		if err != nil {
			t.Fatalf("%s: %v", tc.juel, err)
		}
		got, err := e.Eval(data, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.juel, err)
		}
		if got != tc.want {
			t.Errorf("%s (%s) on %v: got %v, want %v", tc.juel, jq, data, got, tc.want)
		}
	}
}

func TestJUELRefuses(t *testing.T) {
	for _, tc := range []struct{ juel, why string }{
		{"${execution.getVariable('amount') > 10}", "engine object"},
		{"${bean.check()}", ".check(…) calls a method"},
		{"${amount > limit.max()}", ".max(…) calls a method"},
		{"${dateTime().plusDays(1)}", "engine object"},
		{"${check(amount)}", "calls a function"},
		{"amount > 10", "not one ${…} expression"},
		{"Total: ${amount}", "not one ${…} expression"},
		{"${a} and ${b}", "not part of the JUEL"},
		{"${amount > }", "ends too soon"},
		{"${status == 'open}", "not closed"},
		{"${a ? b}", `expected ":"`},
		{"${x instanceof y}", "unexpected"},
		{"${a = 1}", "not part of the JUEL"},
		{"${a.equals(b).foo}", "result of equals"},
	} {
		_, err := juelToJQ(tc.juel)
		if err == nil {
			t.Errorf("%s translated", tc.juel)
			continue
		}
		if !strings.Contains(err.Error(), tc.why) {
			t.Errorf("%s: %v, want it to say %q", tc.juel, err, tc.why)
		}
	}
}

// A condition that does not translate faults the instance when evaluated,
// with the flow's id and the condition in the message, rather than
// choosing a branch.
func TestUntranslatedConditionFaults(t *testing.T) {
	when, ok := condition("Flow_3", "${amount > limit.max()}")
	if ok {
		t.Fatal("translated")
	}
	e, err := workflows.CompileExpr(when)
	if err != nil {
		t.Fatalf("%s does not compile: %v", when, err)
	}
	_, err = e.Eval(map[string]any{"amount": 1}, nil)
	if err == nil || !strings.Contains(err.Error(), "condition of Flow_3 was not translated from BPMN: amount > limit.max()") {
		t.Errorf("evaluating %s: %v", when, err)
	}
}
