package workflows

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Fuzz tests: `make test` runs each over its seeds (and the findings kept
// under testdata/fuzz); `make fuzz` searches for new inputs for a while.
// Whatever a search finds is kept there, and so becomes a test.

// FuzzParse: no document makes the parser panic; one it accepts parses
// again, from the JSON it returns, to the same JSON.
func FuzzParse(f *testing.F) {
	for _, seed := range parseSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		w, js, err := Parse(doc)
		if err != nil {
			var ps Problems
			if !errors.As(err, &ps) || len(ps) == 0 {
				t.Fatalf("a refusal that is not a list of problems: %T %v", err, err)
			}
			for _, p := range ps {
				if p.Message == "" {
					t.Fatalf("a problem with no message at %q", p.Pointer)
				}
			}
			return
		}
		if w == nil || len(js) == 0 {
			t.Fatal("accepted without a workflow")
		}
		_, again, err := Parse(js)
		if err != nil {
			t.Fatalf("the JSON of an accepted document is refused: %v\n%s", err, js)
		}
		if string(again) != string(js) {
			t.Fatalf("parsing the JSON again changed it:\n%s\n%s", js, again)
		}
	})
}

// parseSeeds are the repository's own definitions, a few the checks
// refuse, and each as JSON too.
func parseSeeds(f *testing.F) [][]byte {
	f.Helper()
	var seeds [][]byte
	for _, pattern := range []string{"engine/testdata/replay/*.yaml", "examples/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			seeds = append(seeds, b)
			if _, js, err := Parse(b); err == nil {
				seeds = append(seeds, js)
			}
		}
	}
	head := "document: {dsl: '1.0.0', namespace: a, name: b, version: '1.0.0'}\n"
	for _, s := range []string{
		head + "do:\n  - a: {set: {x: '${ .y }'}, then: a}\n",
		head + "tiemout: {after: PT1M}\ndo:\n  - a: {wait: PT0S}\n",
		head + "do:\n  - a: {try: [{b: {raise: {error: {type: t, status: 500}}}}], catch: {errors: {with: {detail: x}}, retry: {delay: PT1S}}}\n",
		head + "do:\n  - a: {fork: {branches: [{b: {set: {x: 1}}}, {c: {listen: {to: {any: []}}}}], compete: true}}\n",
		head + "do:\n  - a: {for: {in: '${ [range(3)] }'}, do: [{b: {call: http, with: {method: get, endpoint: 'https://x.example/{id}'}}}]}\n",
		`{"document": {"dsl": "1.0.0", "namespace": "a", "name": "b", "version": "1.0.0"}, "do": [{"a": {"set": {"x": 1}}}]}`,
		"a: &a [x, x]\nb: [*a, *a]\n",
		"",
		"{",
		"[1, 2]",
	} {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}

// FuzzExpressions: no expression makes the compiler panic; one that
// compiles evaluates without panicking, within its bounds, and to the
// same result and the same count of operations every time (replay must
// decide as the first run did).
func FuzzExpressions(f *testing.F) {
	for _, c := range guardCases {
		f.Add(c.src, c.input)
	}
	for _, src := range []string{
		`"x" * 1e9`, `reduce range(40) as $i ("x"; . + .)`, `.[100000000] = 1`, `def f: f + 1; f`,
		`[limit(10; repeat(1))]`, `now`, `$secrets.x`, `${ .a }`, `{(.k): .v}`, `"\(.)"`, `@base64d`, `input`,
		`label $f | range(10) | ., break $f`, `getpath(["a", 1e9])`, `tojson | fromjson`, `[paths]`, `ltrimstr("x")`,
	} {
		f.Add(src, `{"a": [1, "two", {"b": null}], "k": "key", "v": 3}`)
	}
	f.Fuzz(func(t *testing.T, src, input string) {
		var in any
		if json.Unmarshal([]byte(input), &in) != nil {
			return
		}
		e, err := CompileExpr(src)
		if err != nil {
			if !strings.Contains(err.Error(), "expression") {
				t.Fatalf("a refusal that does not name the expression: %v", err)
			}
			return
		}
		m1, m2 := &Meter{}, &Meter{}
		v1, err1 := e.EvalMetered(m1, in, Vars{"context": map[string]any{}})
		v2, err2 := e.EvalMetered(m2, in, Vars{"context": map[string]any{}})
		if m1.Used != m2.Used || (err1 == nil) != (err2 == nil) {
			t.Fatalf("two evaluations differ: %d ops %v, %d ops %v", m1.Used, err1, m2.Used, err2)
		}
		if m1.Used > MaxExprOps+1 {
			t.Fatalf("spent %d operations, past the budget of %d", m1.Used, MaxExprOps)
		}
		if err1 != nil {
			var ee *ExprError
			if !errors.As(err1, &ee) {
				t.Fatalf("an evaluation error of another kind: %T %v", err1, err1)
			}
			return
		}
		if n := ApproxSize(v1, MaxValueBytes); n > MaxValueBytes {
			t.Fatalf("a result of %d bytes got through", n)
		}
		if !reflect.DeepEqual(normal(v1), normal(v2)) {
			t.Fatalf("two evaluations gave %v and %v", v1, v2)
		}
	})
}

// FuzzCloudEvent: no body makes the decoder panic; an accepted event has
// the attributes listen filters match on, and decodes the same again.
func FuzzCloudEvent(f *testing.F) {
	for _, s := range []string{
		`{"specversion": "1.0", "id": "1", "source": "/s", "type": "t", "data": {"a": 1}}`,
		`{"specversion": "1.0", "id": "1", "source": "/s", "type": "t", "data_base64": "aGk="}`,
		`{"specversion": "0.3", "id": "1", "source": "/s", "type": "t"}`,
		`{"type": "t"}`, `[]`, `null`, `{}`, `{"id": 1}`, `{"specversion": "1.0", "id": "1", "source": "/s", "type": "t"} {}`,
		`{"specversion": "1.0", "id": "\u0000", "source": "/s", "type": "t"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		ev, errs := DecodeCloudEvent(raw)
		if ev == nil {
			if len(errs) == 0 {
				t.Fatal("refused without a problem")
			}
			return
		}
		for _, attr := range []string{"id", "source", "type"} {
			if s, _ := ev[attr].(string); s == "" {
				t.Fatalf("accepted without %s: %v", attr, ev)
			}
		}
		if ev["specversion"] != "1.0" {
			t.Fatalf("accepted specversion %v", ev["specversion"])
		}
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		again, errs := DecodeCloudEvent(b)
		if errs != nil && len(b) <= MaxEventSize {
			t.Fatalf("an accepted event, encoded again, is refused: %v", errs)
		}
		if errs == nil && !reflect.DeepEqual(normal(again), normal(ev)) {
			t.Fatalf("decoding again changed the event")
		}
	})
}
