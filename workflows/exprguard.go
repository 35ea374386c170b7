package workflows

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/itchyny/gojq"
)

// Expressions run inside workflow code: a worker must survive any an
// author writes, and replay must see the same outcome as the first run. So
// the bounds below count work rather than time:
//
//   - MaxExprOps jq operations per evaluation (gojq checks its context once
//     per operation; counting those checks is deterministic, where a
//     wall-clock budget can differ on replay);
//   - MaxValueBytes for any string, array or object an expression builds
//     with the operations that can multiply size in one step (+, *, string
//     interpolation, tostring/tojson and the @formats, join, add, flatten,
//     transpose, implode, sub/gsub), checked before the value is built, and
//     for every result;
//   - MaxValueElements array elements and MaxArrayIndex for a path that
//     assignments and setpath write;
//   - MaxNumberBits for integers, which gojq lets grow without end.
//
// Loops inside one expression (range, repeat, reduce, recursion) spend
// operations, so they end within the operation budget.
const (
	MaxExprOps       = 1_000_000
	MaxValueBytes    = 2 << 20
	MaxValueElements = 200_000
	MaxArrayIndex    = MaxValueElements
	MaxNumberBits    = 4096
)

// ErrWorkBudget is returned when an evaluation would take its meter past
// its limit: the run has spent what one workflow task may spend.
var ErrWorkBudget = errors.New("the workflow's expressions did more work than one workflow task allows")

// Meter totals the operations a run's expressions spend, so the
// interpreter can bound the work of one workflow task. Used resets when
// the interpreter says so; Limit 0 means no limit beyond MaxExprOps.
type Meter struct {
	Used  int64
	Limit int64
	Total int64 // every operation since the meter was made
}

// opBudget is the context gojq checks once per operation: each check is
// counted, and the context reports itself done when the budget is spent.
type opBudget struct {
	context.Context
	left, used int64
	err        error
}

var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (b *opBudget) Done() <-chan struct{} {
	b.used++
	if b.left--; b.left < 0 {
		return closed
	}
	return nil
}

func (b *opBudget) Err() error { return b.err }

// limitError is a size bound a guarded operation refused.
type limitError struct{ msg string }

func (e *limitError) Error() string { return e.msg }

func tooLarge(what string, size, limit int) error {
	return &limitError{fmt.Sprintf("%s would be larger than COP allows in a workflow (%s; the limit is %s)", what, sizeText(size, limit), sizeText(limit, limit))}
}

func sizeText(n, limit int) string {
	if limit == MaxValueBytes {
		return strconv.Itoa(n) + " bytes"
	}
	return strconv.Itoa(n) + " elements"
}

// approxSize estimates how many bytes v takes as JSON, stopping once it
// passes limit. Shared values count each time they appear, as they would
// when the value is sent anywhere.
func approxSize(v any, limit int) int {
	n := 0
	var walk func(v any)
	walk = func(v any) {
		if n > limit {
			return
		}
		switch x := v.(type) {
		case string:
			n += len(x) + 2
		case []any:
			n += 2 + len(x)
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			n += 2 + len(x)
			for k, e := range x {
				n += len(k) + 3
				walk(e)
			}
		case *big.Int:
			n += x.BitLen()/3 + 1
		default:
			n += 8
		}
	}
	walk(v)
	return n
}

// ApproxSize estimates how many bytes v takes as JSON, stopping once the
// estimate passes limit.
func ApproxSize(v any, limit int) int { return approxSize(v, limit) }

// leaves counts the scalars in v (what flatten produces), stopping past limit.
func leaves(v any, limit int) int {
	n := 0
	var walk func(v any)
	walk = func(v any) {
		if n > limit {
			return
		}
		if a, ok := v.([]any); ok {
			for _, e := range a {
				walk(e)
			}
			return
		}
		n++
	}
	walk(v)
	return n
}

func size(v any) (int, bool) {
	switch x := v.(type) {
	case string:
		return len(x), true
	case []any:
		return len(x), false
	case map[string]any:
		return len(x), false
	}
	return 0, false
}

func numberBits(v any) int {
	switch x := v.(type) {
	case *big.Int:
		return x.BitLen()
	case int:
		return 64
	case float64:
		return 0 // floats overflow to infinity, not to more memory
	}
	return 0
}

// checkAdd refuses a + whose result would pass the bounds.
func checkAdd(l, r any) error {
	ls, lstr := size(l)
	rs, rstr := size(r)
	switch {
	case lstr && rstr && ls+rs > MaxValueBytes:
		return tooLarge("joining these strings", ls+rs, MaxValueBytes)
	case !lstr && !rstr && ls+rs > MaxValueElements:
		return tooLarge("joining these arrays or objects", ls+rs, MaxValueElements)
	}
	return nil
}

// checkMul refuses a * whose result would pass the bounds: a string
// repeated, or integers whose product needs too many bits.
func checkMul(l, r any) error {
	if s, ok := l.(string); ok {
		return checkRepeat(s, r)
	}
	if s, ok := r.(string); ok {
		return checkRepeat(s, l)
	}
	if bits := numberBits(l) + numberBits(r); bits > MaxNumberBits && (isBig(l) || isBig(r)) {
		return &limitError{fmt.Sprintf("multiplying these numbers would need about %d bits; COP allows integers of up to %d", bits, MaxNumberBits)}
	}
	return nil
}

func isBig(v any) bool { _, ok := v.(*big.Int); return ok }

func checkRepeat(s string, n any) error {
	var times float64
	switch x := n.(type) {
	case int:
		times = float64(x)
	case float64:
		times = x
	case *big.Int:
		times, _ = new(big.Float).SetInt(x).Float64()
	default:
		return nil
	}
	if total := float64(len(s)) * times; total > MaxValueBytes {
		return tooLarge("repeating this string", int(math.Min(total, math.MaxInt32)), MaxValueBytes)
	}
	return nil
}

// checkPath refuses a path that would write an array index past the bound.
func checkPath(p any) error {
	list, ok := p.([]any)
	if !ok {
		return nil
	}
	for _, e := range list {
		var i float64
		switch x := e.(type) {
		case int:
			i = float64(x)
		case float64:
			i = x
		case *big.Int:
			i, _ = new(big.Float).SetInt(x).Float64()
		default:
			continue
		}
		if i > MaxArrayIndex {
			return &limitError{fmt.Sprintf("writing array index %.0f would build an array larger than COP allows in a workflow (%d elements)", i, MaxValueElements)}
		}
	}
	return nil
}

// guarded is a builtin that runs only after its input and arguments pass
// a check; the builtin itself runs as gojq compiled it.
type guarded struct {
	name   string
	arity  int
	check  func(in any, args []any) error
	source string
	code   *gojq.Code
}

func inputBytes(what string) func(any, []any) error {
	return func(in any, _ []any) error {
		if n := approxSize(in, MaxValueBytes); n > MaxValueBytes {
			return tooLarge(what, n, MaxValueBytes)
		}
		return nil
	}
}

var guardedBuiltins = func() map[string]*guarded {
	list := []*guarded{
		{name: "tostring", check: inputBytes("this value as text")},
		{name: "tojson", check: inputBytes("this value as JSON")},
		{name: "add", check: inputBytes("adding these values")},
		{name: "implode", check: inputBytes("this text")},
		{name: "format", arity: 1, check: inputBytes("this formatted text")},
		{name: "_tohtml", check: inputBytes("this HTML")},
		{name: "_touri", check: inputBytes("this URI text")},
		{name: "_tourid", check: inputBytes("this text")},
		{name: "_tocsv", check: inputBytes("this CSV")},
		{name: "_totsv", check: inputBytes("this TSV")},
		{name: "_tosh", check: inputBytes("this shell text")},
		{name: "_tobase64", check: inputBytes("this base64 text")},
		{name: "_tobase64d", check: inputBytes("this text")},
		{name: "join", arity: 1, check: func(in any, args []any) error {
			n := approxSize(in, MaxValueBytes)
			if list, ok := in.([]any); ok {
				if sep, ok := args[0].(string); ok {
					n += len(sep) * len(list)
				}
			}
			if n > MaxValueBytes {
				return tooLarge("joining these strings", n, MaxValueBytes)
			}
			return nil
		}},
		{name: "flatten", check: checkFlatten},
		{name: "flatten", arity: 1, check: checkFlatten},
		{name: "transpose", check: func(in any, _ []any) error {
			rows, _ := in.([]any)
			longest := 0
			for _, r := range rows {
				if l, ok := r.([]any); ok && len(l) > longest {
					longest = len(l)
				}
			}
			if n := len(rows) * longest; n > MaxValueElements {
				return tooLarge("transposing these arrays", n, MaxValueElements)
			}
			return nil
		}},
		{name: "setpath", arity: 2, check: func(_ any, args []any) error { return checkPath(args[0]) }},
	}
	out := map[string]*guarded{}
	for _, g := range list {
		args := ""
		for i := 0; i < g.arity; i++ {
			if i > 0 {
				args += "; "
			}
			args += "$a" + strconv.Itoa(i)
		}
		g.source = g.name
		var vars []string
		if g.arity > 0 {
			g.source += "(" + args + ")"
			for i := 0; i < g.arity; i++ {
				vars = append(vars, "$a"+strconv.Itoa(i))
			}
		}
		q, err := gojq.Parse(g.source)
		if err != nil {
			panic(err)
		}
		if g.code, err = gojq.Compile(q, gojq.WithVariables(vars)); err != nil {
			panic(err)
		}
		out[guardName(g.name, g.arity)] = g
	}
	return out
}()

func checkFlatten(in any, _ []any) error {
	if n := leaves(in, MaxValueElements); n > MaxValueElements {
		return tooLarge("flattening these arrays", n, MaxValueElements)
	}
	return nil
}

func guardName(name string, arity int) string {
	return "_cop_" + name + "_" + strconv.Itoa(arity)
}

// run runs a compiled builtin on its input and arguments and returns its
// one result (the builtins guarded here yield exactly one, or an error).
func runCode(code *gojq.Code, in any, args ...any) any {
	v, ok := code.Run(in, args...).Next()
	if !ok {
		return nil
	}
	return v
}

var (
	addCode = mustCompile("$a0 + $a1", "$a0", "$a1")
	mulCode = mustCompile("$a0 * $a1", "$a0", "$a1")
)

func mustCompile(src string, vars ...string) *gojq.Code {
	q, err := gojq.Parse(src)
	if err != nil {
		panic(err)
	}
	c, err := gojq.Compile(q, gojq.WithVariables(vars))
	if err != nil {
		panic(err)
	}
	return c
}

var guardOpts = guardFunctions()

// guardOptions are the compiler options that give rewritten expressions
// their checked functions.
func guardOptions() []gojq.CompilerOption {
	return append([]gojq.CompilerOption(nil), guardOpts...)
}

// guardFunctions are the functions the rewritten expressions call.
func guardFunctions() []gojq.CompilerOption {
	opts := []gojq.CompilerOption{
		gojq.WithFunction("_cop_add", 2, 2, func(_ any, a []any) any {
			// The common cases directly, as gojq computes them; the rest
			// through gojq itself.
			switch l := a[0].(type) {
			case float64:
				if r, ok := a[1].(float64); ok {
					return l + r
				}
			case string:
				if r, ok := a[1].(string); ok {
					if len(l)+len(r) > MaxValueBytes {
						return tooLarge("joining these strings", len(l)+len(r), MaxValueBytes)
					}
					return l + r
				}
			}
			if err := checkAdd(a[0], a[1]); err != nil {
				return err
			}
			return runCode(addCode, nil, a[0], a[1])
		}),
		gojq.WithFunction("_cop_mul", 2, 2, func(_ any, a []any) any {
			if l, ok := a[0].(float64); ok {
				if r, ok := a[1].(float64); ok {
					return l * r
				}
			}
			if err := checkMul(a[0], a[1]); err != nil {
				return err
			}
			return runCode(mulCode, nil, a[0], a[1])
		}),
		gojq.WithFunction("_cop_checkpath", 1, 1, func(_ any, a []any) any {
			if err := checkPath(a[0]); err != nil {
				return err
			}
			return nil
		}),
		// _cop_cap(s; n) lets a sub/gsub replacement through when n of
		// them together stay within the bound.
		gojq.WithFunction("_cop_cap", 2, 2, func(_ any, a []any) any {
			s, ok := a[0].(string)
			n, _ := a[1].(int)
			if ok && (n+1)*len(s) > MaxValueBytes {
				return tooLarge("these replacements", (n+1)*len(s), MaxValueBytes)
			}
			return a[0]
		}),
	}
	for name, g := range guardedBuiltins {
		opts = append(opts, gojq.WithFunction(name, g.arity, g.arity, func(in any, args []any) any {
			if err := g.check(in, args); err != nil {
				return err
			}
			return runCode(g.code, in, args...)
		}))
	}
	return opts
}

// guardPrelude defines the guarded forms of the builtins whose arguments
// are closures (so cannot be checked as values): sub and gsub give each
// replacement a share of the bound, add(f) collects f first, pick and
// fromstream check the paths they will write.
const guardPrelude = `
def _cop_sub($re; str; $flags): ([match($re; $flags)] | length) as $n | sub($re; _cop_cap(str; $n); $flags);
def _cop_gsub($re; str; $flags): _cop_sub($re; str; $flags + "g");
def _cop_add_f(f): [f] | _cop_add_0;
def _cop_pick(f): (reduce path(f) as $p (null; _cop_checkpath($p))) as $__cop_ok | pick(f);
def _cop_fromstream(f): fromstream(f | (_cop_checkpath(.[0]) as $__cop_ok | .));
`

// guardQuery rewrites a parsed expression so that every operation that can
// multiply the size of a value goes through a checked function; see the
// top of this file. Functions the expression defines itself keep their
// names: the rewrite only redirects calls that reach builtins.
func guardQuery(q *gojq.Query) {
	desugar(q)
	g := &guarder{}
	g.query(q, nil)
	prelude, err := gojq.Parse(guardPrelude + ".")
	if err != nil {
		panic(err)
	}
	q.FuncDefs = append(prelude.FuncDefs, q.FuncDefs...)
}

type guarder struct {
	vars int
}

// scope is the functions an expression defines that a call may reach,
// by name/arity, as jq scopes them: a def is seen by its own body, the
// defs after it and the query they belong to; a parameter by its body.
type scope map[string]bool

func funcKey(name string, arity int) string { return name + "/" + strconv.Itoa(arity) }

// with returns sc with the functions names added.
func (sc scope) with(names ...string) scope {
	out := make(scope, len(sc)+len(names))
	for k := range sc {
		out[k] = true
	}
	for _, n := range names {
		out[n] = true
	}
	return out
}

// walkQueries calls fn for q and then for every query inside it (those fn
// adds included).
func walkQueries(q *gojq.Query, fn func(*gojq.Query)) {
	if q == nil {
		return
	}
	fn(q)
	for _, fd := range q.FuncDefs {
		walkQueries(fd.Body, fn)
	}
	walkQueries(q.Left, fn)
	walkQueries(q.Right, fn)
	for _, p := range q.Patterns {
		for _, sub := range patternQueries(p) {
			walkQueries(sub, fn)
		}
	}
	if q.Term != nil {
		for _, sub := range termQueries(q.Term) {
			walkQueries(sub, fn)
		}
	}
}

// termQueries lists the queries a term holds.
func termQueries(t *gojq.Term) []*gojq.Query {
	var out []*gojq.Query
	add := func(qs ...*gojq.Query) {
		for _, q := range qs {
			if q != nil {
				out = append(out, q)
			}
		}
	}
	str := func(s *gojq.String) {
		if s != nil {
			add(s.Queries...)
		}
	}
	index := func(i *gojq.Index) {
		if i != nil {
			str(i.Str)
			add(i.Start, i.End)
		}
	}
	index(t.Index)
	if t.Func != nil {
		add(t.Func.Args...)
	}
	if t.Object != nil {
		for _, kv := range t.Object.KeyVals {
			str(kv.KeyString)
			add(kv.KeyQuery, kv.Val)
		}
	}
	if t.Array != nil {
		add(t.Array.Query)
	}
	if t.Unary != nil {
		add(&gojq.Query{Term: t.Unary.Term})
	}
	str(t.Str)
	if t.If != nil {
		add(t.If.Cond, t.If.Then, t.If.Else)
		for _, e := range t.If.Elif {
			add(e.Cond, e.Then)
		}
	}
	if t.Try != nil {
		add(t.Try.Body, t.Try.Catch)
	}
	if t.Reduce != nil {
		add(t.Reduce.Query, t.Reduce.Start, t.Reduce.Update)
		for _, p := range t.Reduce.Patterns {
			add(patternQueries(p)...)
		}
	}
	if t.Foreach != nil {
		add(t.Foreach.Query, t.Foreach.Start, t.Foreach.Update, t.Foreach.Extract)
		for _, p := range t.Foreach.Patterns {
			add(patternQueries(p)...)
		}
	}
	if t.Label != nil {
		add(t.Label.Body)
	}
	add(t.Query)
	for _, s := range t.SuffixList {
		index(s.Index)
	}
	return out
}

func patternQueries(p *gojq.Pattern) []*gojq.Query {
	if p == nil {
		return nil
	}
	var out []*gojq.Query
	for _, e := range p.Array {
		out = append(out, patternQueries(e)...)
	}
	for _, o := range p.Object {
		if o.KeyString != nil {
			out = append(out, o.KeyString.Queries...)
		}
		if o.KeyQuery != nil {
			out = append(out, o.KeyQuery)
		}
		out = append(out, patternQueries(o.Val)...)
	}
	return out
}

// desugar writes string interpolation and @formats out as the queries gojq
// compiles them to ("a\(x)" is "a" + (x | tostring)), so the guard below
// sees their +s and formatting calls.
func desugar(q *gojq.Query) {
	walkQueries(q, func(q *gojq.Query) {
		for _, p := range q.Patterns {
			desugarPattern(p)
		}
		if q.Term != nil {
			desugarTerm(q.Term)
		}
	})
}

func desugarTerm(t *gojq.Term) {
	if t.Unary != nil {
		desugarTerm(t.Unary.Term)
	}
	desugarIndex(t.Index)
	for _, s := range t.SuffixList {
		desugarIndex(s.Index)
	}
	if t.Object != nil {
		for _, kv := range t.Object.KeyVals {
			if kv.KeyString != nil && kv.KeyString.Queries != nil {
				kv.KeyQuery, kv.KeyString = interpolation(kv.KeyString, nil), nil
			}
		}
	}
	for _, p := range append(reducePatterns(t), foreachPatterns(t)...) {
		desugarPattern(p)
	}
	switch t.Type {
	case gojq.TermTypeString:
		if t.Str.Queries != nil {
			t.Type, t.Query, t.Str = gojq.TermTypeQuery, interpolation(t.Str, nil), nil
		}
	case gojq.TermTypeFormat:
		f := formatter(t.Format)
		switch {
		case t.Str == nil:
			t.Type, t.Func = gojq.TermTypeFunc, f()
		case t.Str.Queries == nil:
			t.Type = gojq.TermTypeString // a constant: nothing to format
		default:
			t.Type, t.Query, t.Str = gojq.TermTypeQuery, interpolation(t.Str, f), nil
		}
		t.Format = ""
	}
}

func reducePatterns(t *gojq.Term) []*gojq.Pattern {
	if t.Reduce == nil {
		return nil
	}
	return t.Reduce.Patterns
}

func foreachPatterns(t *gojq.Term) []*gojq.Pattern {
	if t.Foreach == nil {
		return nil
	}
	return t.Foreach.Patterns
}

func desugarIndex(i *gojq.Index) {
	if i != nil && i.Str != nil && i.Str.Queries != nil {
		i.Start, i.Str = interpolation(i.Str, nil), nil
	}
}

func desugarPattern(p *gojq.Pattern) {
	if p == nil {
		return
	}
	for _, e := range p.Array {
		desugarPattern(e)
	}
	for _, o := range p.Object {
		if o.KeyString != nil && o.KeyString.Queries != nil {
			o.KeyQuery, o.KeyString = interpolation(o.KeyString, nil), nil
		}
		desugarPattern(o.Val)
	}
}

// interpolation builds "a\(x)b" as "a" + (x | f) + "b", as gojq does (f
// is tostring, or the @format's function).
func interpolation(s *gojq.String, f func() *gojq.Func) *gojq.Query {
	if f == nil {
		f = func() *gojq.Func { return &gojq.Func{Name: "tostring"} }
	}
	var out *gojq.Query
	for _, part := range s.Queries {
		if part.Term == nil || part.Term.Str == nil {
			part = &gojq.Query{Left: part, Op: gojq.OpPipe, Right: &gojq.Query{Term: &gojq.Term{Type: gojq.TermTypeFunc, Func: f()}}}
		}
		if out == nil {
			out = part
		} else {
			out = &gojq.Query{Left: out, Op: gojq.OpAdd, Right: part}
		}
	}
	if out == nil {
		return str("")
	}
	return out
}

// formatter makes calls of the function an @format applies.
func formatter(format string) func() *gojq.Func {
	name := map[string]string{"@text": "tostring", "@json": "tojson", "@html": "_tohtml", "@uri": "_touri", "@urid": "_tourid",
		"@csv": "_tocsv", "@tsv": "_totsv", "@sh": "_tosh", "@base64": "_tobase64", "@base64d": "_tobase64d"}[format]
	if name != "" {
		return func() *gojq.Func { return &gojq.Func{Name: name} }
	}
	return func() *gojq.Func { return &gojq.Func{Name: "format", Args: []*gojq.Query{str(format[1:])}} }
}

// query rewrites q and everything inside it, innermost first; sc is the
// expression's own functions visible there.
func (g *guarder) query(q *gojq.Query, sc scope) {
	if q == nil {
		return
	}
	for _, fd := range q.FuncDefs {
		sc = sc.with(funcKey(fd.Name, len(fd.Args)))
		var params []string
		for _, a := range fd.Args {
			params = append(params, funcKey(strings.TrimPrefix(a, "$"), 0)) // def f($x) also defines x
		}
		g.query(fd.Body, sc.with(params...))
	}
	g.query(q.Left, sc)
	g.query(q.Right, sc)
	for _, p := range q.Patterns {
		for _, sub := range patternQueries(p) {
			g.query(sub, sc)
		}
	}
	if q.Term != nil {
		g.term(q.Term, sc)
		return
	}
	switch q.Op {
	case gojq.OpAdd:
		*q = *call("_cop_add", q.Left, q.Right)
	case gojq.OpMul:
		*q = *call("_cop_mul", q.Left, q.Right)
	case gojq.OpUpdateAdd, gojq.OpUpdateMul:
		// l += r is r as $v | _modify(l; . + $v), with the + checked.
		v := g.newVar()
		fn := "_cop_add"
		if q.Op == gojq.OpUpdateMul {
			fn = "_cop_mul"
		}
		update := call(fn, &gojq.Query{Term: &gojq.Term{Type: gojq.TermTypeIdentity}}, variable(v))
		body := &gojq.Query{Left: q.Right, Op: gojq.OpPipe, Patterns: []*gojq.Pattern{{Name: v}},
			Right: call("_modify", q.Left, update)}
		*q = *g.pathChecked(q.Left, body)
	case gojq.OpAssign, gojq.OpModify, gojq.OpUpdateSub, gojq.OpUpdateDiv, gojq.OpUpdateMod, gojq.OpUpdateAlt:
		body := &gojq.Query{Left: q.Left, Op: q.Op, Right: q.Right}
		*q = *g.pathChecked(q.Left, body)
	}
}

// pathChecked runs body after checking every path l names:
// (reduce path(l) as $p (null; _cop_checkpath($p))) as $ok | body.
func (g *guarder) pathChecked(l, body *gojq.Query) *gojq.Query {
	p, ok := g.newVar(), g.newVar()
	check := &gojq.Query{Term: &gojq.Term{Type: gojq.TermTypeReduce, Reduce: &gojq.Reduce{
		Query:    call("path", l),
		Patterns: []*gojq.Pattern{{Name: p}},
		Start:    &gojq.Query{Term: &gojq.Term{Type: gojq.TermTypeNull}},
		Update:   call("_cop_checkpath", variable(p)),
	}}}
	return &gojq.Query{Left: check, Op: gojq.OpPipe, Patterns: []*gojq.Pattern{{Name: ok}}, Right: body}
}

func (g *guarder) newVar() string {
	g.vars++
	return "$__cop_" + strconv.Itoa(g.vars)
}

func call(name string, args ...*gojq.Query) *gojq.Query {
	return &gojq.Query{Term: &gojq.Term{Type: gojq.TermTypeFunc, Func: &gojq.Func{Name: name, Args: args}}}
}

func variable(name string) *gojq.Query {
	return &gojq.Query{Term: &gojq.Term{Type: gojq.TermTypeFunc, Func: &gojq.Func{Name: name}}}
}

func str(s string) *gojq.Query {
	return &gojq.Query{Term: &gojq.Term{Type: gojq.TermTypeString, Str: &gojq.String{Str: s}}}
}

// term rewrites the queries a term holds and, for a call, the call.
func (g *guarder) term(t *gojq.Term, sc scope) {
	if t.Unary != nil {
		g.term(t.Unary.Term, sc)
	}
	for _, q := range termQueries(t) {
		if t.Unary != nil && q.Term == t.Unary.Term {
			continue // done above
		}
		g.query(q, sc)
	}
	if t.Type == gojq.TermTypeFunc {
		if q := g.function(t.Func, sc); q != nil {
			t.Type, t.Func, t.Query = gojq.TermTypeQuery, nil, q
		}
	}
}

// function redirects a call of a builtin that can build large values to
// its checked form, unless the expression defines that function itself.
// It returns a query to stand for the call when a rename is not enough.
func (g *guarder) function(f *gojq.Func, sc scope) *gojq.Query {
	arity := len(f.Args)
	if sc[funcKey(f.Name, arity)] {
		return nil // the expression's own function
	}
	switch {
	case f.Name == "_add" && arity == 2:
		f.Name = "_cop_add"
	case f.Name == "_multiply" && arity == 2:
		f.Name = "_cop_mul"
	case f.Name == "add" && arity == 1:
		f.Name = "_cop_add_f"
	case f.Name == "pick" && arity == 1:
		f.Name = "_cop_pick"
	case f.Name == "fromstream" && arity == 1:
		f.Name = "_cop_fromstream"
	case f.Name == "sub" && arity == 2:
		f.Name, f.Args = "_cop_sub", append(f.Args, &gojq.Query{Term: &gojq.Term{Type: gojq.TermTypeNull}})
	case f.Name == "sub" && arity == 3:
		f.Name = "_cop_sub"
	case f.Name == "gsub" && arity == 2:
		f.Name, f.Args = "_cop_sub", append(f.Args, str("g"))
	case f.Name == "gsub" && arity == 3:
		f.Name = "_cop_gsub"
	case (f.Name == "_modify" || f.Name == "_assign") && arity == 2:
		// Called by name: check the paths as the operators are checked.
		return g.pathChecked(f.Args[0], call(f.Name, f.Args...))
	default:
		if _, ok := guardedBuiltins[guardName(f.Name, arity)]; ok {
			f.Name = guardName(f.Name, arity)
		}
	}
	return nil
}
