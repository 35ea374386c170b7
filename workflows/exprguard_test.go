package workflows

import (
	"encoding/json"
	"errors"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/itchyny/gojq"
)

// guardCases are expressions whose values the size guards must not change:
// each is run by gojq as written and as COP rewrites it, and every value
// (or error) must be the same, in the same order.
var guardCases = []struct{ src, input string }{
	{`.a + .b`, `{"a": 1, "b": 2}`},
	{`(1,2) + (10,20)`, `null`},
	{`(1,2) * (10,20)`, `null`},
	{`"ab" * 3, "ab" * 0, "ab" * 0.5, "ab" * -1`, `null`},
	{`null + 1, [1] + null, {} + {a: 1}, {a: {b: 1}} * {a: {c: 2}}`, `null`},
	{`9007199254740993 * 3, 12345678901234567890 * 98765432109876543210`, `null`},
	{`"x\(.a)y\(.b)z"`, `{"a": 1, "b": [2]}`},
	{`"\(1,2)-\(3,4)"`, `null`},
	{`@base64 "id:\(.)", @sh "echo \(.)", @html "<b>\(.)</b>", @uri "q=\(.)", @json "v=\(.)", @text "t=\(.)"`, `"a b&<c>'"`},
	{`@csv, @tsv`, `["a", 1, "b\tc"]`},
	{`@base64d, @base32, @base32d?`, `"aGVsbG8="`},
	{`{"k\(.a)": 1, (.b): 2}`, `{"a": "x", "b": "y"}`},
	{`.["\(.k)"]`, `{"k": "a", "a": 5}`},
	{`. as {"\(.k)": $v} | $v`, `{"k": "a", "a": 5}`},
	{`.a += 1, .a -= 1, .a *= 2, .a /= 2, .a %= 2, .a //= 7`, `{"a": 3}`},
	{`.[] += 1`, `[1, 2, 3]`},
	{`.a += (1, 2)`, `{"a": 1}`},
	{`.a = (1, 2)`, `{"a": 0}`},
	{`.a |= . + 1`, `{"a": 1}`},
	{`.a[1:3] = ["x"]`, `{"a": [0, 1, 2, 3]}`},
	{`.a.b.c = 1`, `null`},
	{`.[2] = 1`, `[]`},
	{`del(.a), to_entries, with_entries(.value += 1)`, `{"a": 1, "b": 2}`},
	{`setpath(["a", 0]; 1), getpath(["a", "b"]), [paths]`, `{"a": {"b": 1}}`},
	{`tojson, tostring, (tojson | fromjson)`, `{"a": [1, "x", null]}`},
	{`tostring`, `"already text"`},
	{`implode`, `[65, 66, 67]`},
	{`flatten, flatten(1), add, join("-")`, `[["a", ["b"]], ["c"]]`},
	{`join(", ")`, `["a", "b", "c"]`},
	{`add, add(.[] | . * 2)`, `[1, 2, 3]`},
	{`transpose`, `[[1, 2], [3]]`},
	{`sub("a"; "b"), gsub("a"; "b"), gsub("(?<x>a)"; "<\(.x)>"), sub("a"; "x", "y"), gsub("A"; "z"; "i")`, `"banana"`},
	{`[splits(", ")], test("b"), [scan("an")], capture("(?<first>.)")`, `"banana, split"`},
	{`reduce .[] as [$a, $b] (0; . + $a * $b)`, `[[1, 2], [3, 4]]`},
	{`[foreach .[] as $x (0; . + $x; [$x, .])]`, `[1, 2, 3]`},
	{`[limit(3; repeat(1))], [range(5)], [range(0; 10; 3)]`, `null`},
	{`def add: 42; add`, `[1, 2]`},
	{`def sub($a; $b): "mine"; sub("a"; "b")`, `"a"`},
	{`def f: . + 1; f, (def g(x): x * 2; g(3))`, `1`},
	{`def tojson: "mine"; tojson, ([1] | tojson)`, `null`},
	{`(def tojson: "mine"; tojson), tojson`, `[1]`},
	{`def f(tojson): tojson; f(. + 1), tojson`, `1`},
	{`def f($join): $join + (["a", "b"] | join("-")); f("x")`, `null`},
	{`def a: 1; def b: a + 1; b`, `null`},
	{`try error("boom") catch ., (.a // "none"), (.a? // "q")`, `{}`},
	{`label $out | foreach .[] as $x (0; . + $x; if . > 3 then ., break $out else empty end)`, `[1, 2, 3, 4]`},
	{`-(.a + 1), [.[] | -.]`, `{"a": 1}`},
	{`if .a then "\(.a)!" elif .b then .b * 2 else "none" end`, `{"b": 4}`},
	{`[.[] | select(. > 1) | . * 10] | add`, `[1, 2, 3]`},
	{`ascii_downcase, ascii_upcase, ltrimstr("A"), explode`, `"ABc"`},
	{`@text, @json, @html`, `[1, "<a>"]`},
	{`format("csv"), format("text")`, `["a", "b"]`},
	{`.a as $x | $x + .b`, `{"a": "p", "b": "q"}`},
	{`[.[] as [$a] | $a]`, `[[1], [2]]`},
	{`_add(1; 2), _multiply(2; 3)`, `null`},
	{`_modify(.a; . + 1)`, `{"a": 1}`},
	{`pick(.a, .c[1]), fromstream(tostream), [fromstream(tostream | select(length == 2))]`, `{"a": 1, "b": 2, "c": [3, 4]}`},
	{`{a: 1} | .a |= empty`, `null`},
	{`[.[] | tostring]`, `[1, 1.5, true, null, "s", {"a": 1}]`},
	{`"\(.)"`, `{"a": [1, 2]}`},
}

func TestGuardedExpressionsKeepTheirValues(t *testing.T) {
	for _, c := range guardCases {
		var in any
		if err := json.Unmarshal([]byte(c.input), &in); err != nil {
			t.Fatalf("%s: input: %v", c.src, err)
		}
		want := allValues(t, c.src, in, false)
		got := allValues(t, c.src, in, true)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s on %s:\n got %v\nwant %v", c.src, c.input, got, want)
		}
	}
}

// allValues runs src as gojq compiles it (guard false) or as COP does, and
// returns every value it yields, errors as their messages.
func allValues(t *testing.T, src string, in any, guard bool) []any {
	t.Helper()
	q, err := gojq.Parse(src)
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	var opts []gojq.CompilerOption
	if guard {
		guardQuery(q)
		opts = guardOptions()
	}
	code, err := gojq.Compile(q, opts...)
	if err != nil {
		t.Fatalf("%s (guarded %v): %v", src, guard, err)
	}
	var out []any
	iter := code.Run(in)
	for {
		v, ok := iter.Next()
		if !ok {
			break
		}
		if err, isErr := v.(error); isErr {
			out = append(out, "error: "+err.Error())
			break
		}
		out = append(out, normal(v))
	}
	return out
}

func normal(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// TestExpressionBombsAreRefused: expressions an author could write to build
// huge values in a few operations, or to loop without end, fail with an
// expression error naming the bound, and the worker does not allocate
// anything like what they would have built.
func TestExpressionBombsAreRefused(t *testing.T) {
	for src, want := range map[string]string{
		`"x" * 1e9`:                                                                 "repeating this string would be larger",
		`"xy" * 2e6`:                                                                "repeating this string would be larger",
		`reduce range(40) as $i ("x"; . + .)`:                                       "joining these strings would be larger",
		`reduce range(40) as $i ("x"; "\(.)\(.)")`:                                  "would be larger than COP allows",
		`reduce range(40) as $i ("x"; [., .] | add)`:                                "adding these values would be larger",
		`reduce range(40) as $i ("x"; [., .] | join(""))`:                           "joining these strings would be larger",
		`reduce range(40) as $i ("x"; @base64 "\(.)\(.)")`:                          "joining these strings would be larger",
		`reduce range(40) as $i ([1]; . + .)`:                                       "joining these arrays or objects would be larger",
		`reduce range(40) as $i ({a: "x"}; .a += .a)`:                               "joining these strings would be larger",
		`reduce range(40) as $i ([0]; [., .]) | tojson`:                             "this value as JSON would be larger",
		`(def tojson: .; 1) as $x | reduce range(40) as $i ([0]; [., .]) | tojson`:  "this value as JSON would be larger",
		`def f(tojson): 1; [f(.), (reduce range(40) as $i ([0]; [., .]) | tojson)]`: "this value as JSON would be larger",
		`reduce range(40) as $i ([0]; [., .]) | tostring`:                           "this value as text would be larger",
		`reduce range(40) as $i ([0]; [., .]) | flatten`:                            "flattening these arrays would be larger",
		`reduce range(40) as $i ([0]; [., .])`:                                      "the result would be larger",
		`reduce range(40) as $i ("ab"; . as $s | gsub(""; $s))`:                     "these replacements would be larger",
		`[range(1000)] | [range(1000) as $i | .] | transpose`:                       "transposing these arrays would be larger",
		`reduce range(30) as $i (3; . * .)`:                                         "multiplying these numbers",
		`.[100000000] = 1`:                                                          "writing array index 100000000",
		`.a[100000000] |= 1`:                                                        "writing array index 100000000",
		`pick(.[100000000])`:                                                        "writing array index 100000000",
		`fromstream([[100000000], 1], [[100000000]])`:                               "writing array index 100000000",
		`setpath([100000000]; 1)`:                                                   "writing array index 100000000",
		`[range(1e12)] | length`:                                                    "ran more than 1000000 operations",
		`def f: f + 1; f`:                                                           "ran more than 1000000 operations",
		`[limit(1e9; repeat("x"))]`:                                                 "ran more than 1000000 operations",
		`last(range(1e12))`:                                                         "ran more than 1000000 operations",
	} {
		e, err := CompileExpr(src)
		if err != nil {
			t.Errorf("%s does not compile: %v", src, err)
			continue
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err = e.Eval(nil, nil)
		runtime.ReadMemStats(&after)
		var ee *ExprError
		if !errors.As(err, &ee) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an expression error saying %q", src, err, want)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 512<<20 {
			t.Errorf("%s allocated %d MiB before it was stopped", src, grew>>20)
		}
	}
}

// TestExpressionWorkIsCountedDeterministically: the same evaluation
// spends the same operations every time (so replay decides as the first
// run did), and a meter's limit stops an evaluation with ErrWorkBudget.
func TestExpressionWorkIsCountedDeterministically(t *testing.T) {
	e, err := CompileExpr(`[range(1000) | {n: ., s: "\(.)"}] | map(.n * 2) | add`)
	if err != nil {
		t.Fatal(err)
	}
	var spent []int64
	for range 3 {
		m := &Meter{}
		v, err := e.EvalMetered(m, nil, nil)
		if err != nil || v != 999000 {
			t.Fatalf("%v %v", v, err)
		}
		spent = append(spent, m.Used)
	}
	if spent[0] == 0 || spent[0] != spent[1] || spent[1] != spent[2] {
		t.Fatalf("operations spent: %v", spent)
	}
	m := &Meter{Used: 0, Limit: spent[0] / 2}
	if _, err := e.EvalMetered(m, nil, nil); !errors.Is(err, ErrWorkBudget) {
		t.Fatalf("over the meter's limit: %v", err)
	}
}
