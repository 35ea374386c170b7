package workflows

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestSpecSchemaCompilesWithRE2Patterns(t *testing.T) {
	if _, err := SpecSchema(); err != nil {
		t.Fatalf("the DSL schema does not compile: %v", err)
	}
	if strings.Contains(durationRE2, "(?=") || strings.Contains(durationRE2, "(?!") {
		t.Fatal("the rewritten duration pattern still has a lookahead")
	}
}

// The rewritten pattern accepts exactly what the original lookahead
// pattern meant: P followed by something, and a T followed by a number.
func TestDurationPatternRewrite(t *testing.T) {
	re := regexp.MustCompile(durationRE2)
	for _, ok := range []string{"P1D", "PT1H", "PT0.5S", "P1Y2M3W4DT5H6M7S", "P2W", "PT4H30M", "P1DT1S"} {
		if !re.MatchString(ok) {
			t.Errorf("%s should match", ok)
		}
	}
	for _, bad := range []string{"P", "PT", "P1DT", "PT1", "1D", "P1H", "PTH", "P1.D", ""} {
		if re.MatchString(bad) {
			t.Errorf("%s should not match", bad)
		}
	}
}

func TestParseDuration(t *testing.T) {
	cases := []struct {
		in   any
		want time.Duration
		err  string
	}{
		{"PT4H", 4 * time.Hour, ""},
		{"P1DT30M", 24*time.Hour + 30*time.Minute, ""},
		{"PT0.25S", 250 * time.Millisecond, ""},
		{map[string]any{"minutes": 5.0, "seconds": 3.0}, 5*time.Minute + 3*time.Second, ""},
		{"P1M", 0, "calendar"},
		{"soon", 0, "not an ISO 8601 duration"},
		{map[string]any{"fortnights": 1.0}, 0, "not a duration unit"},
		{map[string]any{"days": -1.0}, 0, "whole number"},
		{"P1000000D", 0, "longer than 100 years"},
	}
	for _, c := range cases {
		got, err := ParseDuration(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%v: error %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%v: %v %v, want %v", c.in, got, err, c.want)
		}
	}
}

func TestExpressions(t *testing.T) {
	e, err := CompileExpr("${ .a + $context.b }")
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.Eval(map[string]any{"a": 1.0}, Vars{"context": map[string]any{"b": 2.0}})
	if err != nil || got != 3.0 {
		t.Errorf("eval: %v %v", got, err)
	}
	for src, want := range map[string]string{
		"now":              "now is not allowed",
		"${ env.HOME }":    "env is not allowed",
		"$ENV.PATH":        "$ENV is not allowed",
		"[inputs]":         "inputs is not allowed",
		"localtime":        "localtime is not allowed",
		"${ $nope }":       "variable not defined",
		".a |":             "unexpected EOF",
		"{a: .x | debug}":  "debug is not allowed",
		"strflocaltime(.)": "strflocaltime is not allowed",
	} {
		if _, err := CompileExpr(src); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", src, err, want)
		}
	}
	if _, err := CompileExpr("$item.code", "item"); err != nil {
		t.Errorf("a scoped variable: %v", err)
	}
	loop, _ := CompileExpr("[range(1e12)] | length")
	if _, err := loop.Eval(nil, nil); err == nil || !strings.Contains(err.Error(), "operations") {
		t.Errorf("an unbounded expression: %v", err)
	}
}

func TestErrorFilterMatchesBothSpellings(t *testing.T) {
	e := NewError(ErrCommunication, "HTTP 404", "")
	e.Status = 404
	for _, f := range []ErrorFilter{
		{Type: "https://serverlessworkflow.io/dsl/errors/types/communication", Status: 404},
		{Type: "https://serverlessworkflow.io/spec/1.0.0/errors/communication"},
		{Status: 404},
		{},
	} {
		if !f.Matches(e) {
			t.Errorf("%+v should match", f)
		}
	}
	for _, f := range []ErrorFilter{{Status: 503}, {Type: "https://serverlessworkflow.io/dsl/errors/types/timeout"}} {
		if f.Matches(e) {
			t.Errorf("%+v should not match", f)
		}
	}
}

func TestParseRefusals(t *testing.T) {
	head := "document: {dsl: '1.0.0', namespace: a, name: b, version: '1.0.0'}\n"
	sf := "document: {dsl: '1.0.0', namespace: a, name: b, version: '1.0.0', metadata: {startForm: f}}\n"
	cases := []struct{ doc, pointer, want string }{
		{"{{", "", "not valid YAML or JSON"},
		{"", "", "empty"},
		{"[1, 2]", "", "not an array"},
		{head + "do:\n  - a: {set: {x: 1}, foo: 2}\n", "/do/0/a/foo", `unknown field "foo"`},
		{head + "do:\n  - a: {wait: soon}\n", "/do/0/a/wait", "ISO 8601"},
		{head + "do:\n  - a: {set: {x: 1}, then: y}\n", "/do/0/a/then", `then "y" names no task`},
		{head + "do:\n  - a: {call: grpc, with: {proto: {endpoint: http://x.example}, service: {name: s, host: h}, method: m}}\n", "/do/0/a/call", "call: grpc is not supported"},
		{head + "do:\n  - a: {call: mystery}\n", "/do/0/a/call", `function "mystery" is not defined`},
		{head + "do:\n  - a: {raise: {error: missing}}\n", "/do/0/a/raise/error", `error "missing" is not defined`},
		{head + "do:\n  - a: {try: [{b: {set: {x: 1}}}], catch: {retry: nope}}\n", "/do/0/a/catch/retry", `retry policy "nope"`},
		{head + "do:\n  - a: {set: {x: 1}, timeout: nope}\n", "/do/0/a/timeout", `timeout "nope"`},
		{head + "schedule: {every: PT1H}\ndo:\n  - a: {set: {x: 1}}\n", "/schedule/every", "schedule.every is not supported"},
		{head + "schedule: {cron: '0 0 * * *'}\ndo:\n  - a: {set: {x: 1}}\n", "/schedule/cron", "schedule.cron is not supported"},
		{head + "schedule: {on: {all: [{with: {type: t}}]}}\ndo:\n  - a: {set: {x: 1}}\n", "/schedule/on/all", "schedule.on.all is not supported"},
		{head + "schedule: {on: {any: []}}\ndo:\n  - a: {set: {x: 1}}\n", "/schedule/on/any", "schedule.on.any is not supported"},
		{head + "schedule: {on: {one: {with: {type: '${ .kind }'}}}}\ndo:\n  - a: {set: {x: 1}}\n", "/schedule/on/one/with/type", "has no data yet"},
		{head + "schedule: {on: {one: {with: {type: t}, correlate: {k: {from: .data.ref, expect: '${ .ref }'}}}}}\ndo:\n  - a: {set: {x: 1}}\n", "/schedule/on/one/correlate/k/expect", "has no data yet"},
		{head + "schedule: {on: {one: {with: {type: t}, correlate: {k: {from: '${ $input.ref }'}}}}}\ndo:\n  - a: {set: {x: 1}}\n", "/schedule/on/one/correlate/k/from", "an event has no $input"},
		{head + "schedule: {on: {one: {with: {type: t, data: '${ .ref | }'}}}}\ndo:\n  - a: {set: {x: 1}}\n", "/schedule/on/one/with/data", "unexpected"},
		{"document: {dsl: '1.0.0-alpha1', namespace: a, name: b, version: '1.0.0'}\ndo:\n  - a: {set: {x: 1}}\n", "/document/dsl", `COP runs DSL 1.0.x documents; this one declares "1.0.0-alpha1"`},
		{"document: {dsl: '2.0.0', namespace: a, name: b, version: '1.0.0'}\ndo:\n  - a: {set: {x: 1}}\n", "/document/dsl", "COP runs DSL 1.0.x"},
		{`{"id": "greeting", "specVersion": "0.8", "states": []}`, "/specVersion", "pre-1.0 definition"},
		{head + "do:\n  - a: {call: userTask, with: {form: f, priority: 9, candidateGroups: [officers]}}\n", "/do/0/a/with/candidateGroups/0", "is not team:NAME or role:NAME"},
		{head + "do:\n  - a: {call: userTask, with: {form: f, candidateGroups: [role:x], show: everything}}\n", "/do/0/a/with/show", `not "everything"`},
		{head + "do:\n  - a: {call: userTask, with: {form: f, candidateGroups: [role:x], show: [/port, port]}}\n", "/do/0/a/with/show/1", "is not a JSON pointer"},
		{head + "do:\n  - a: {call: http, with: {method: get, endpoint: {uri: http://x.example, authentication: {digest: {username: u, password: p}}}}}\n", "/do/0/a/with/endpoint/authentication/digest", "digest authentication is not supported"},
		{head + "do:\n  - a: {listen: {to: {one: {with: {type: t}}}}, foreach: {do: []}}\n", "/do/0/a/foreach", "listen.foreach is not supported"},
		{head + "do:\n  - a: {for: {in: .xs}, do: [{b: {set: {x: '${ $item + $nope }'}}}]}\n", "/do/0/a/do/0/b/set/x", "variable not defined: $nope"},
		{"document: {dsl: '1.0.0', namespace: a, name: b, version: '1.0.0', metadata: {access: {start: [officers]}}}\ndo:\n  - a: {set: {x: 1}}\n", "/document/metadata/access/start/0", "officers is not role:NAME or team:NAME"},
		{"document: {dsl: '1.0.0', namespace: a, name: b, version: '1.0.0', metadata: {access: {write: []}}}\ndo:\n  - a: {set: {x: 1}}\n", "/document/metadata/access/write", `unknown field "write"`},
		{"document: {dsl: '1.0.0', namespace: a, name: b, version: '1.0.0', metadata: {casePrefix: seiz}}\ndo:\n  - a: {set: {x: 1}}\n", "/document/metadata/casePrefix", "casePrefix must be 2-12 capital letters"},
		{"document: {dsl: '1.0.0', namespace: a, name: b, version: '1.0.0', metadata: {startForm: 3}}\ndo:\n  - a: {set: {x: 1}}\n", "/document/metadata/startForm", "startForm must be a form name"},
		// Nothing an author writes is dropped without a word (issue 12).
		{head + "tiemout: {after: PT1M}\ndo:\n  - a: {set: {x: 1}}\n", "/tiemout", `unknown field "tiemout"`},
		{head + "do:\n  - a: {try: [{b: {set: {x: 1}}}], catch: {errors: {with: {detail: nope}}}}\n", "/do/0/a/catch/errors/with/detail", "did you mean details?"},
		{head + "do:\n  - a: {try: [{b: {set: {x: 1}}}], catch: {errors: {wiht: {status: 503}}}}\n", "/do/0/a/catch/errors/wiht", `unknown field "wiht"`},
		{head + "do:\n  - a: {try: [{b: {set: {x: 1}}}], catch: {retry: {delay: PT1S, backoff: {exponential: {factor: 3}}, limit: {attempt: {count: 2}}}}}\n", "/do/0/a/catch/retry/backoff/exponential/factor", "takes no settings"},
		{head + "do:\n  - a: {fork: {branches: [{b: {set: {x: 1}, then: c}}, {c: {set: {x: 2}}}]}}\n", "/do/0/a/fork/branches/0/b/then", "not supported on a fork branch"},
		{head + "use: {functions: {f: {set: {x: 1}, then: end}}}\ndo:\n  - a: {call: f}\n", "/use/functions/f/then", "not supported in a function"},
		{head + "do:\n  - a: {run: {workflow: {namespace: a, name: c, version: '1.0.0'}, return: code}}\n", "/do/0/a/run/return", "return: code is not supported"},
		{head + "do:\n  - a: {listen: {to: {all: []}}}\n", "/do/0/a/listen/to/all", "at least one event filter"},
		{head + "do:\n  - a: {call: userTask, with: {form: f, candidateGroups: ['${ .team | nope }']}}\n", "/do/0/a/with/candidateGroups/0", "function not defined: nope"},
		{head + "do:\n  - a: {call: userTask, with: {form: f, candidateGroups: [role:x], escalation: {after: PT1H, to: ['${ [ }']}}}\n", "/do/0/a/with/escalation/to/0", "unexpected"},
		{head + "do:\n  - a: {set: {x: '${ $secrets.token }'}}\n", "/do/0/a/set/x", "$secrets is not allowed"},
		{head + "do:\n  - a: {set: {x: '${ $authorization.parameter }'}}\n", "/do/0/a/set/x", "$authorization is not allowed"},
		{head + "do:\n  - a: {try: [{b: {set: {x: 1}}}], catch: {retry: {backoff: {constant: {}}}}}\n", "/do/0/a/catch/retry", "no delay and no attempt limit"},
		// Returned for correction (issue 15): the task's form and assignee are the submission's.
		{head + "do:\n  - a: {call: userTask, with: {amend: submission}}\n", "/do/0/a/with/amend", "name the form that starts this workflow in document.metadata.startForm"},
		{sf + "do:\n  - a: {call: userTask, with: {amend: case}}\n", "/do/0/a/with/amend", "amend takes one value, submission"},
		{head + "do:\n  - a: {listen: {to: {one: {with: {type: t}, correlate: {k: {expect: x}}}}}}\n", "/do/0/a/listen/to/one/correlate/k", "required field 'from' is missing"},
		{head + "do:\n  - a: {listen: {to: {one: {with: {type: t}, correlate: {k: {from: '${ $context.ref }'}}}}}}\n", "/do/0/a/listen/to/one/correlate/k/from", "an event has no $context"},
		{head + "do:\n  - a: {listen: {to: {one: {with: {type: t}, correlate: {k: {from: '${ .data.ref }', expect: {a: 1}}}}}}}\n", "/do/0/a/listen/to/one/correlate/k/expect", "expected string, but got object"},
		{head + "do:\n  - a: {listen: {to: {one: {with: {type: t}, correlate: {k: {from: '${ .data.ref }', exact: true}}}}}}\n", "/do/0/a/listen/to/one/correlate/k", "a correlation is {from, expect}"},
		{head + "do:\n  - a: {listen: {to: {one: {with: {type: t}, correlate: {k: {from: '${ .data.ref | }'}}}}}}\n", "/do/0/a/listen/to/one/correlate/k/from", "unexpected"},
		{head + "do:\n  - a: {call: notify, with: {to: [role:officer], title: T, channels: [inapp, sms]}}\n", "/do/0/a/with/channels/1", "sms is not a channel: use inapp or email"},
		{head + "do:\n  - a: {call: notify, with: {to: [role:officer], title: T, channels: [email, email]}}\n", "/do/0/a/with/channels/1", "email is listed twice"},
		{head + "do:\n  - a: {call: notify, with: {to: [role:officer], title: T, channels: '${ .how }'}}\n", "/do/0/a/with/channels", "channels is a list of one or both of inapp and email"},
		{head + "do:\n  - a: {call: notify, with: {to: [role:officer], title: T, channels: []}}\n", "/do/0/a/with/channels", "channels is a list"},
		{sf + "do:\n  - a: {call: userTask, with: {amend: submission, form: f}}\n", "/do/0/a/with/form", "an amend task has no form"},
		{sf + "do:\n  - a: {call: userTask, with: {amend: submission, candidateGroups: [role:x]}}\n", "/do/0/a/with/candidateGroups", "goes to whoever submitted it"},
		{sf + "do:\n  - a: {call: userTask, with: {amend: submission, assignee: someone}}\n", "/do/0/a/with/assignee", "an amend task has no assignee"},
		{sf + "do:\n  - a: {call: userTask, with: {amend: submission, show: [/port]}}\n", "/do/0/a/with/show", "an amend task has no show"},
	}
	for _, c := range cases {
		_, _, err := Parse([]byte(c.doc))
		ps, _ := err.(Problems)
		found := false
		for _, p := range ps {
			found = found || (p.Pointer == c.pointer && strings.Contains(p.Message, c.want))
		}
		if !found {
			t.Errorf("%q: want %s %q, got %v", c.doc, c.pointer, c.want, ps)
		}
	}
	big := head + "do:\n  - a: {set: {x: '" + strings.Repeat("x", MaxDocumentSize) + "'}}\n"
	if _, _, err := Parse([]byte(big)); err == nil || !strings.Contains(err.Error(), "the limit is") {
		t.Errorf("oversized: %v", err)
	}
	laughs := "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
	if _, _, err := Parse([]byte(laughs)); err == nil || !strings.Contains(err.Error(), "aliases") {
		t.Errorf("alias bomb: %v", err)
	}
	// Few values but one large string many times: ~1 GB of JSON once
	// expanded, from a 220 KB upload. Refused by size, and quickly.
	amplified := head + "do:\n  - a: {set: {s: &s '" + strings.Repeat("x", 20000) + "'}}\n  - b: {set: {t: [" + strings.Repeat("*s, ", 49000) + "*s]}}\n"
	start := time.Now()
	if _, _, err := Parse([]byte(amplified)); err == nil || !strings.Contains(err.Error(), "expands to more than 4 MiB") {
		t.Errorf("alias amplification: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("alias amplification took %s to refuse", d)
	}
	if _, _, err := Parse([]byte(head + "do:\n  - y:\n      set: {x: 1}\n      then: y\n")); err != nil {
		t.Errorf("YAML 1.2 keeps `then: y` a string: %v", err)
	}
	// What the refusals above must not catch.
	for _, ok := range []string{
		head + "do:\n  - a: {try: [{b: {set: {x: 1}}}], catch: {errors: {with: {details: d, status: 1}}, retry: {delay: PT1S}}}\n",
		head + "do:\n  - a: {try: [{b: {set: {x: 1}}}], catch: {retry: {limit: {attempt: {count: 3}}}}}\n",
		head + "do:\n  - a: {try: [{b: {set: {x: 1}}}], catch: {retry: {delay: '${ {seconds: 1} }'}}}\n",
		head + "do:\n  - a: {run: {workflow: {namespace: a, name: c, version: '1.0.0'}, return: all}}\n",
		head + "do:\n  - a: {run: {workflow: {namespace: a, name: c, version: '1.0.0'}, return: none}}\n",
		head + "do:\n  - a: {listen: {to: {any: []}}}\n",
		head + "use: {functions: {f: {set: {x: '${ $arguments.y }'}}}}\ndo:\n  - a: {call: f, with: {y: 1}}\n",
		head + "do:\n  - a: {call: userTask, with: {form: f, candidateGroups: ['${ \"team:\" + .team }']}}\n",
		head + "do:\n  - a: {call: userTask, with: {form: f, candidateGroups: [role:x], show: submission}}\n",
		head + "do:\n  - a: {call: userTask, with: {form: f, candidateGroups: [role:x], show: [/port, /goods/0]}}\n",
		head + "timeout: {after: '${ $workflow.input.limit }'}\ndo:\n  - a: {set: {x: 1}}\n",
		sf + "do:\n  - a: {call: userTask, with: {amend: submission, title: Correct it, reason: '${ .why }', priority: 2, due: P2D}}\n",
	} {
		if _, _, err := Parse([]byte(ok)); err != nil {
			t.Errorf("%q is refused: %v", ok, err)
		}
	}
}

func TestRefsSayWhereEachReferenceIs(t *testing.T) {
	w := MustParse([]byte(`document: {dsl: '1.0.0', namespace: a, name: b, version: '1.0.0', metadata: {startForm: seizure-record}}
do:
  - guard:
      try:
        - approve: {call: userTask, with: {form: seizure-approval@1.0.0, candidateGroups: [role:supervisor]}}
      catch: {do: [{again: {run: {workflow: {namespace: a, name: c, version: 1.0.0}}}}]}
`))
	refs := Refs(w)
	want := map[string]string{
		"form:seizure-approval@1.0.0": "/do/0/guard/try/0/approve/with/form",
		"workflow:a/c@1.0.0":          "/do/0/guard/catch/do/0/again/run/workflow",
		"startForm:seizure-record":    "/document/metadata/startForm",
	}
	for k, v := range want {
		if refs.At[k] != v {
			t.Errorf("At[%q] = %q, want %q (all: %v)", k, refs.At[k], v, refs.At)
		}
	}
	if len(refs.Forms) != 1 || refs.StartForm != "seizure-record" || len(refs.Workflows) != 1 {
		t.Errorf("refs %+v", refs)
	}
}
