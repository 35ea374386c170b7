package workflows

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/itchyny/gojq"
)

// Runtime expressions are jq (github.com/itchyny/gojq). They run inside
// Temporal workflow code, so they must be deterministic: functions that read
// the clock, the environment or stdin are refused when the definition is
// uploaded, and each evaluation is bounded in operations and in the size of
// what it builds (exprguard.go).

// Variables every expression may use (the DSL's runtime arguments).
var baseVariables = []string{"$context", "$input", "$output", "$secrets", "$task", "$workflow", "$runtime", "$authorization"}

// forbiddenFunctions are jq builtins that would make replay diverge or
// reach outside the workflow.
var forbiddenFunctions = map[string]string{
	"now":            "reads the clock: use $workflow.startedAt or $task.startedAt",
	"localtime":      "depends on the server's time zone: use gmtime",
	"strflocaltime":  "depends on the server's time zone: use strftime",
	"env":            "reads the server's environment: use $secrets",
	"$ENV":           "reads the server's environment: use $secrets",
	"input":          "reads outside the expression",
	"inputs":         "reads outside the expression",
	"debug":          "writes to the server's log",
	"stderr":         "writes to the server's log",
	"input_filename": "reads outside the expression",
	"halt":           "stops the interpreter",
	"$secrets":       "COP keeps secret values out of workflow history: name a secret in an authentication policy (basic: {use: NAME}) and the call reads it",
	"$authorization": "COP resolves credentials inside the call, so they never enter workflow history",
}

var exprPattern = regexp.MustCompile(`(?s)^\s*\$\{(.+)\}\s*$`)

// IsExpression reports whether s is written as a runtime expression, `${ … }`.
func IsExpression(s string) bool { return exprPattern.MatchString(s) }

// ExpressionBody returns the jq inside `${ … }`, or s itself when s is a
// bare expression (the fields that are always expressions: if, when, for.in,
// input.from, output.as, export.as, while).
func ExpressionBody(s string) string {
	if m := exprPattern.FindStringSubmatch(s); m != nil {
		return strings.TrimSpace(m[1])
	}
	return strings.TrimSpace(s)
}

// Expr is a compiled runtime expression.
type Expr struct {
	Source string
	vars   []string
	code   *gojq.Code
}

// ExprError is an expression that does not compile or fails to evaluate.
type ExprError struct {
	Source string
	Err    error
}

func (e *ExprError) Error() string { return fmt.Sprintf("expression %q: %v", e.Source, e.Err) }
func (e *ExprError) Unwrap() error { return e.Err }

// CompileExpr compiles jq source with the base variables plus extra ones
// (loop and catch variables in scope, written without `$`).
func CompileExpr(src string, extra ...string) (*Expr, error) {
	body := ExpressionBody(src)
	q, err := gojq.Parse(body)
	if err != nil {
		return nil, &ExprError{Source: src, Err: err}
	}
	if name, why := forbiddenIn(q); name != "" {
		msg := fmt.Sprintf("%s is not allowed in workflow expressions", name)
		if why != "" {
			msg += " (" + why + ")"
		}
		return nil, &ExprError{Source: src, Err: errors.New(msg)}
	}
	vars := variableNames(extra)
	guardQuery(q)
	code, err := gojq.Compile(q, append(guardOptions(), gojq.WithVariables(vars))...)
	if err != nil {
		return nil, &ExprError{Source: src, Err: err}
	}
	return &Expr{Source: src, vars: vars, code: code}, nil
}

func variableNames(extra []string) []string {
	vars := append([]string(nil), baseVariables...)
	for _, e := range extra {
		vars = append(vars, "$"+strings.TrimPrefix(e, "$"))
	}
	return vars
}

// forbiddenIn walks the parsed query for a call to a forbidden function. The
// gojq AST has many node types; reflection finds every *gojq.Func in it.
func forbiddenIn(q *gojq.Query) (string, string) {
	var name, why string
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		if name != "" {
			return
		}
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Struct:
			if f, ok := v.Addr().Interface().(*gojq.Func); ok {
				if reason, bad := forbiddenFunctions[f.Name]; bad {
					name, why = f.Name, reason
					return
				}
			}
			for i := 0; i < v.NumField(); i++ {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		case reflect.Slice:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i))
			}
		}
	}
	walk(reflect.ValueOf(q))
	return name, why
}

// Vars are the values of an evaluation's variables, keyed without `$`.
type Vars map[string]any

// Eval runs the expression on input and returns its first result (null when
// it yields none), within MaxExprOps operations.
func (e *Expr) Eval(input any, vars Vars) (any, error) {
	return e.EvalMetered(nil, input, vars)
}

// EvalMetered is Eval drawing its operations from m as well: when m has
// less left than MaxExprOps, that is the evaluation's budget, and running
// out of it is ErrWorkBudget rather than an expression error.
func (e *Expr) EvalMetered(m *Meter, input any, vars Vars) (any, error) {
	values := make([]any, len(e.vars))
	for i, name := range e.vars {
		values[i] = vars[name[1:]]
	}
	budget := &opBudget{Context: context.Background(), left: MaxExprOps,
		err: fmt.Errorf("ran more than %d operations, the most one expression may", MaxExprOps)}
	if m != nil && m.Limit > 0 && m.Limit-m.Used < MaxExprOps {
		budget.left, budget.err = max(m.Limit-m.Used, 0), ErrWorkBudget
	}
	iter := e.code.RunWithContext(budget, input, values...)
	v, ok := iter.Next()
	if m != nil {
		m.Used += budget.used
		m.Total += budget.used
	}
	if !ok {
		return nil, nil
	}
	if err, isErr := v.(error); isErr {
		if errors.Is(err, ErrWorkBudget) {
			return nil, ErrWorkBudget
		}
		return nil, &ExprError{Source: e.Source, Err: err}
	}
	if n := approxSize(v, MaxValueBytes); n > MaxValueBytes {
		return nil, &ExprError{Source: e.Source, Err: tooLarge("the result", n, MaxValueBytes)}
	}
	return v, nil
}

// Exprs compiles expressions once and keeps them, keyed by source and the
// variables in scope; the interpreter holds one per definition.
type Exprs struct {
	mu    sync.Mutex
	cache map[string]*Expr
	// Meter, when set, totals the operations every evaluation spends.
	Meter *Meter
}

// Get returns the compiled expression.
func (c *Exprs) Get(src string, extra ...string) (*Expr, error) {
	sorted := append([]string(nil), extra...)
	sort.Strings(sorted)
	key := src + "\x00" + strings.Join(sorted, ",")
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.cache[key]; ok {
		return e, nil
	}
	e, err := sharedExprs.get(key, src, sorted)
	if err != nil {
		return nil, err
	}
	if c.cache == nil {
		c.cache = map[string]*Expr{}
	}
	c.cache[key] = e
	return e, nil
}

// sharedExprs are the process's compiled expressions, shared by every
// Exprs: a compiled expression is immutable and safe to run at once from
// many goroutines. Each workflow run once compiled its own, about half a
// megabyte of gojq code an instance, kept while the instance waited at a
// user task in the worker's cache; 11,000 cases in flight took cop dev to
// 14 GiB.
var sharedExprs = &exprCache{max: 10_000}

type exprCache struct {
	mu  sync.Mutex
	m   map[string]*Expr
	max int
}

func (c *exprCache) get(key, src string, vars []string) (*Expr, error) {
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return e, nil
	}
	e, err := CompileExpr(src, vars...)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*Expr{}
	}
	if len(c.m) >= c.max {
		// Full (more distinct expressions than definitions hold): drop
		// about half, at random; runs keep what they hold.
		n := 0
		for k := range c.m {
			if n%2 == 0 {
				delete(c.m, k)
			}
			n++
		}
	}
	c.m[key] = e
	return e, nil
}

// Evaluate evaluates a value in which strings written as `${ … }` are
// expressions, recursively through objects and arrays; other values are
// returned as they are.
func (c *Exprs) Evaluate(v any, input any, vars Vars) (any, error) {
	switch v := v.(type) {
	case string:
		if !IsExpression(v) {
			return v, nil
		}
		e, err := c.Get(v, varNames(vars)...)
		if err != nil {
			return nil, err
		}
		return e.EvalMetered(c.Meter, input, vars)
	case map[string]any:
		out := make(map[string]any, len(v))
		for _, k := range sortedKeys(v) {
			r, err := c.Evaluate(v[k], input, vars)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			r, err := c.Evaluate(item, input, vars)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	default:
		return v, nil
	}
}

// Run evaluates a field that is always an expression (with or without
// `${ }`), such as if, when, for.in or output.as; an object given there has
// its expression strings evaluated.
func (c *Exprs) Run(v any, input any, vars Vars) (any, error) {
	if s, ok := v.(string); ok {
		e, err := c.Get(s, varNames(vars)...)
		if err != nil {
			return nil, err
		}
		return e.EvalMetered(c.Meter, input, vars)
	}
	return c.Evaluate(v, input, vars)
}

// varNames lists the variables beyond the base ones.
func varNames(vars Vars) []string {
	var out []string
	for k := range vars {
		if !isBaseVariable(k) {
			out = append(out, k)
		}
	}
	return out
}

func isBaseVariable(name string) bool {
	for _, b := range baseVariables {
		if b[1:] == name {
			return true
		}
	}
	return false
}
