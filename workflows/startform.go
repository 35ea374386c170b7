package workflows

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/itchyny/gojq"

	"cop/forms"
)

// StartForm is a workflow's start form (document.metadata.startForm),
// compiled: submitting it starts the workflow with the submission as its
// input, {"submission": {id, form, formVersion, businessKey, data,
// submittedBy, submittedAt}}, so its answers are what expressions read at
// $workflow.input.submission.data, and at .submission.data, .data or .
// wherever the data flowing in is known to be that input, the submission
// or its answers.
type StartForm struct {
	Name    string
	Version string
	Tree    *forms.Node // the compiled form's schema tree
}

// StartFormWarnings finds the expressions that read an answer the start
// form does not have: `.data.registraton` where the form asks for
// registration. Each warning is at the expression's pointer, suggesting
// the closest answer when one is near. It reads only what is surely the
// start form's answers (see StartForm) and names only answers the form's
// schema lists: an object whose properties are open (additionalProperties,
// patternProperties) or not listed is not judged. A userTask's show
// pointers, which name answers of the submission, are checked too.
// Warnings never stop a workflow: an instance started another way has
// other input.
func StartFormWarnings(w *Workflow, f StartForm) Problems {
	if f.Tree == nil {
		return nil
	}
	s := &startReads{form: f, seen: map[string]bool{}}
	s.workflow(w)
	sort.SliceStable(s.out, func(i, j int) bool { return s.out[i].Pointer < s.out[j].Pointer })
	return s.out
}

// pathStep is one step of a path: a property name, or into an array's items.
type pathStep struct {
	name  string
	index bool
	text  string // as written: .name, ["a b"], [0], []
}

// knownPath is what a value is known to be: a path from the workflow's input
// (the envelope {"submission": …}), or unknown. Paths from $workflow
// begin with workflowStep.
type knownPath struct {
	ok   bool
	path []pathStep
}

var unknownPath = knownPath{}

// workflowStep begins a path read from $workflow.
const workflowStep = "\x00workflow"

func (k knownPath) then(steps ...pathStep) knownPath {
	if !k.ok {
		return unknownPath
	}
	return knownPath{ok: true, path: append(append([]pathStep(nil), k.path...), steps...)}
}

func (k knownPath) same(o knownPath) bool {
	if k.ok != o.ok || len(k.path) != len(o.path) {
		return false
	}
	for i := range k.path {
		if k.path[i].name != o.path[i].name || k.path[i].index != o.path[i].index {
			return false
		}
	}
	return true
}

// startEnvelope is the workflow's input when its start form started it.
var startEnvelope = knownPath{ok: true}

// listFlow is what a task list's data flow knows at one task: nothing yet
// (no path reaches it so far), one value, or unknown (paths disagree).
type listFlow struct {
	reached bool
	value   knownPath
}

func (f listFlow) meet(v knownPath) listFlow {
	if !f.reached {
		return listFlow{reached: true, value: v}
	}
	if !f.value.same(v) {
		return listFlow{reached: true, value: unknownPath}
	}
	return f
}

type startReads struct {
	form StartForm
	out  Problems
	seen map[string]bool
}

func (s *startReads) warn(ptr, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if s.seen[ptr+"\x00"+msg] {
		return
	}
	s.seen[ptr+"\x00"+msg] = true
	s.out = append(s.out, Problem{Pointer: ptr, Message: msg})
}

func (s *startReads) workflow(w *Workflow) {
	in := startEnvelope
	if w.Input != nil && w.Input.From != nil {
		s.value(w.Input.From, "/input/from", startEnvelope, unknownPath, true)
		in = knownShape(w.Input.From, startEnvelope, unknownPath)
	}
	s.list(w.Do, "/do", in)
	if w.Output != nil {
		s.value(w.Output.As, "/output/as", unknownPath, unknownPath, true)
	}
	s.generic(w.Timeout, "/timeout", unknownPath, unknownPath)
	if u := w.Use; u != nil {
		for _, name := range sortedKeys(u.Functions) {
			s.task(u.Functions[name], "/use/functions/"+EscapeToken(name), unknownPath)
		}
		s.generic(u.Errors, "/use/errors", unknownPath, unknownPath)
		s.generic(u.Timeouts, "/use/timeouts", unknownPath, unknownPath)
		s.generic(u.Authentications, "/use/authentications", unknownPath, unknownPath)
		for _, name := range sortedKeys(u.Retries) {
			s.retry(u.Retries[name], "/use/retries/"+EscapeToken(name), unknownPath)
		}
	}
}

// list follows the data through a task list: each task's input is the
// output of the task before it, or of any task whose then (or switch case)
// jumps to it; where these disagree, the input is unknown.
func (s *startReads) list(list TaskList, ptr string, in knownPath) {
	n := len(list)
	if n == 0 {
		return
	}
	inputs := make([]listFlow, n)
	inputs[0] = listFlow{reached: true, value: in}
	for changed := true; changed; {
		changed = false
		next := make([]listFlow, n)
		next[0] = listFlow{reached: true, value: in}
		for i, nt := range list {
			if !inputs[i].reached {
				continue
			}
			raw := inputs[i].value
			out := knownOutput(nt.Task, raw)
			for _, j := range nextTasks(list, i) {
				next[j] = next[j].meet(out)
			}
			if nt.Task.If != "" && i+1 < n { // skipped: its input goes on
				next[i+1] = next[i+1].meet(raw)
			}
		}
		for i := range next {
			if next[i].reached != inputs[i].reached || !next[i].value.same(inputs[i].value) {
				changed = true
			}
		}
		inputs = next
	}
	for i, nt := range list {
		s.task(nt.Task, fmt.Sprintf("%s/%d/%s", ptr, i, EscapeToken(nt.Name)), inputs[i].value)
	}
}

// nextTasks lists the tasks that may run after list[i] with its output.
func nextTasks(list TaskList, i int) []int {
	t := list[i].Task
	var out []int
	target := func(then string) {
		switch then {
		case "", "continue":
			if i+1 < len(list) {
				out = append(out, i+1)
			}
		case "exit", "end":
		default:
			if j := list.Index(then); j >= 0 {
				out = append(out, j)
			}
		}
	}
	if t.Kind != KindSwitch {
		target(t.Then)
		return out
	}
	hasDefault := false
	for _, c := range t.Switch {
		hasDefault = hasDefault || c.When == ""
		if c.Then != "" {
			target(c.Then)
		} else {
			target(t.Then)
		}
	}
	if !hasDefault {
		target(t.Then)
	}
	return out
}

// knownOutput is what a task's output is known to be, given its raw input.
func knownOutput(t *Task, raw knownPath) knownPath {
	in := raw
	if t.Input != nil && t.Input.From != nil {
		in = knownShape(t.Input.From, raw, unknownPath)
	}
	out := unknownPath
	switch {
	case t.Output != nil && t.Output.As != nil:
		out = knownShape(t.Output.As, unknownPath, in)
	case t.Kind == KindSwitch || t.Kind == KindWait:
		out = in
	}
	if t.If != "" && !out.same(raw) {
		return unknownPath // skipped, its output is its raw input
	}
	return out
}

// knownShape is what an input.from or output.as gives when it is a path:
// `.submission`, `$input`, `$workflow.input.submission.data`. dot and
// input are what . and $input are known to be.
func knownShape(v any, dot, input knownPath) knownPath {
	src, ok := v.(string)
	if !ok {
		return unknownPath
	}
	q, err := gojq.Parse(ExpressionBody(src))
	if err != nil {
		return unknownPath
	}
	r := &exprReads{env: map[string]knownPath{"$input": input}}
	k := r.queryPath(q, dot)
	if k.ok && len(k.path) > 0 && k.path[0].name == workflowStep {
		if len(k.path) < 2 || k.path[1].name != "input" || k.path[1].index {
			return unknownPath
		}
		k.path = k.path[2:]
	}
	return k
}

// task reads a task's expressions: if and input.from see its raw input;
// the task itself what input.from gave ($input too); output.as and
// export.as its output, unknown here.
func (s *startReads) task(t *Task, ptr string, raw knownPath) {
	if t == nil {
		return
	}
	if t.If != "" {
		s.value(t.If, ptr+"/if", raw, raw, true)
	}
	in := raw
	if t.Input != nil && t.Input.From != nil {
		s.value(t.Input.From, ptr+"/input/from", raw, unknownPath, true)
		in = knownShape(t.Input.From, raw, unknownPath)
	}
	s.generic(t.Timeout, ptr+"/timeout", in, in)
	switch t.Kind {
	case KindSet:
		s.value(t.Set, ptr+"/set", in, in, isStringValue(t.Set))
	case KindCall:
		s.call(t, ptr, in)
	case KindDo:
		s.list(t.Do, ptr+"/do", in)
	case KindFor:
		if t.For != nil {
			s.value(t.For.In, ptr+"/for/in", in, in, true)
		}
		if t.While != "" {
			s.value(t.While, ptr+"/while", unknownPath, unknownPath, true)
		}
		s.list(t.Do, ptr+"/do", unknownPath) // each iteration takes the last one's output
	case KindFork:
		if t.Fork != nil {
			s.forkBranches(t.Fork.Branches, ptr+"/fork/branches", in)
		}
	case KindTry:
		s.list(t.Try, ptr+"/try", in)
		if c := t.Catch; c != nil {
			if c.When != "" {
				s.value(c.When, ptr+"/catch/when", unknownPath, in, true)
			}
			if c.ExceptWhen != "" {
				s.value(c.ExceptWhen, ptr+"/catch/exceptWhen", unknownPath, in, true)
			}
			if c.Retry != nil && c.Retry.Inline != nil {
				s.retry(c.Retry.Inline, ptr+"/catch/retry", in)
			}
			s.list(c.Do, ptr+"/catch/do", in)
		}
	case KindSwitch:
		for i, c := range t.Switch {
			if c.When != "" {
				s.value(c.When, fmt.Sprintf("%s/switch/%d/%s/when", ptr, i, EscapeToken(c.Name)), in, in, true)
			}
		}
	case KindEmit:
		if t.Emit != nil {
			s.value(t.Emit.Event.With, ptr+"/emit/event/with", in, in, false)
		}
	case KindListen:
		// Filters read events; a correlation's expect and until read the
		// task's input, known here as $input only.
		s.generic(t.Listen, ptr+"/listen", unknownPath, in)
		if t.Listen != nil && len(t.Listen.To.Until) > 0 {
			var until string
			if json.Unmarshal(t.Listen.To.Until, &until) == nil && !IsExpression(until) {
				s.value(until, ptr+"/listen/to/until", unknownPath, in, true)
			}
		}
	case KindRaise:
		s.generic(t.Raise, ptr+"/raise", in, in)
	case KindWait:
		s.generic(t.Wait, ptr+"/wait", in, in)
	case KindRun:
		if t.Run != nil && t.Run.Workflow != nil {
			s.value(t.Run.Workflow.Input, ptr+"/run/workflow/input", in, in, false)
		}
	}
	if t.Output != nil && t.Output.As != nil {
		s.value(t.Output.As, ptr+"/output/as", unknownPath, in, true)
	}
	if t.Export != nil && t.Export.As != nil {
		s.value(t.Export.As, ptr+"/export/as", unknownPath, in, true)
	}
}

// forkBranches reads each branch: every branch takes the fork's input.
func (s *startReads) forkBranches(answerBranches TaskList, ptr string, in knownPath) {
	for i, b := range answerBranches {
		s.task(b.Task, fmt.Sprintf("%s/%d/%s", ptr, i, EscapeToken(b.Name)), in)
	}
}

func (s *startReads) call(t *Task, ptr string, in knownPath) {
	with := t.With
	switch t.Call {
	case FuncLookup:
		rest := map[string]any{}
		for k, v := range with {
			if k != "filter" {
				rest[k] = v
			}
		}
		s.value(rest, ptr+"/with", in, in, false)
		if f, ok := with["filter"].(string); ok {
			s.value(f, ptr+"/with/filter", unknownPath, in, true) // . is each item
		}
	case FuncUserTask:
		s.value(with, ptr+"/with", in, in, false)
		if show, ok := with["show"].([]any); ok {
			for i, p := range show {
				if ptrText, ok := p.(string); ok {
					s.showPointer(ptrText, fmt.Sprintf("%s/with/show/%d", ptr, i))
				}
			}
		}
	default:
		s.value(with, ptr+"/with", in, in, false)
	}
}

func (s *startReads) retry(r *RetryPolicy, ptr string, in knownPath) {
	if r == nil {
		return
	}
	if r.When != "" {
		s.value(r.When, ptr+"/when", unknownPath, in, true)
	}
	if r.ExceptWhen != "" {
		s.value(r.ExceptWhen, ptr+"/exceptWhen", unknownPath, in, true)
	}
	s.generic(map[string]any{"delay": r.Delay, "limit": r.Limit, "jitter": r.Jitter}, ptr, in, in)
}

// generic reads every `${ }` string in a part of the document.
func (s *startReads) generic(v any, ptr string, dot, input knownPath) {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return
	}
	var doc any
	if json.Unmarshal(b, &doc) == nil {
		s.value(doc, ptr, dot, input, false)
	}
}

func isStringValue(v any) bool { _, ok := v.(string); return ok }

// value reads the expressions in v: v itself when always (a field that
// is always an expression), else every `${ }` string inside it.
func (s *startReads) value(v any, ptr string, dot, input knownPath, always bool) {
	switch x := v.(type) {
	case string:
		if always || IsExpression(x) {
			s.expr(x, ptr, dot, input)
		}
	case map[string]any:
		for _, k := range sortedKeys(x) {
			s.value(x[k], ptr+"/"+EscapeToken(k), dot, input, false)
		}
	case []any:
		for i, item := range x {
			s.value(item, fmt.Sprintf("%s/%d", ptr, i), dot, input, false)
		}
	}
}

func (s *startReads) expr(src, ptr string, dot, input knownPath) {
	q, err := gojq.Parse(ExpressionBody(src))
	if err != nil {
		return // Check reports it
	}
	r := &exprReads{env: map[string]knownPath{"$input": input}, read: func(k knownPath, written string, from int) {
		s.read(k, written, from, ptr)
	}}
	r.query(q, dot)
}

// read checks a path read from a value: when it goes into the start
// form's answers, each name must be one of the form's.
func (s *startReads) read(k knownPath, written string, from int, ptr string) {
	path, skip := k.path, 0
	if len(path) > 0 && path[0].name == workflowStep {
		if len(path) < 2 || path[1].name != "input" || path[1].index {
			return
		}
		path, skip = path[2:], 2
	}
	if len(path) < 3 || path[0].name != "submission" || path[0].index || path[1].name != "data" || path[1].index {
		return
	}
	bad, names := s.lookup(path[2:])
	if bad < 0 {
		return
	}
	at := skip + 2 + bad // in k.path
	if at < from {
		return // the mistake is where the path was made: warned there
	}
	shown := written
	for _, st := range k.path[from : at+1] {
		shown += st.text
	}
	msg := fmt.Sprintf("%s is not an answer of start form %s %s", shown, s.form.Name, s.form.Version)
	if near := closestName(k.path[at].name, names); near != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", near)
	}
	s.warn(ptr, "warning: %s", msg)
}

// showPointer checks a userTask's show pointer into the answers.
func (s *startReads) showPointer(p, ptr string) {
	tokens, ok := forms.SplitPointer(p)
	if !ok {
		return
	}
	var steps []pathStep
	n := s.form.Tree
	for _, tok := range tokens {
		if items := answerItems(n); items != nil && isArrayToken(tok) {
			steps = append(steps, pathStep{index: true})
			n = items
			continue
		}
		steps = append(steps, pathStep{name: tok})
		n = answerProperty(n, tok)
	}
	bad, names := s.lookup(steps)
	if bad < 0 {
		return
	}
	shown := "/" + strings.Join(tokens[:bad+1], "/")
	msg := fmt.Sprintf("%s is not an answer of start form %s %s", shown, s.form.Name, s.form.Version)
	if near := closestName(steps[bad].name, names); near != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", near)
	}
	s.warn(ptr, "warning: %s", msg)
}

func isArrayToken(tok string) bool {
	if tok == "-" || tok == "*" {
		return true
	}
	_, err := strconv.Atoi(tok)
	return err == nil
}

// lookup follows steps through the form's schema and returns the first
// step naming an answer the form does not have, with the names it does
// have there, or -1 when every step is an answer or cannot be judged.
func (s *startReads) lookup(steps []pathStep) (int, []string) {
	n := s.form.Tree
	for i, st := range steps {
		if st.index {
			if n = answerItems(n); n == nil {
				return -1, nil
			}
			continue
		}
		names, open := answerNames(n)
		if open || len(names) == 0 {
			return -1, nil
		}
		child := answerProperty(n, st.name)
		if child == nil {
			return i, names
		}
		n = child
	}
	return -1, nil
}

// answerBranches are the subschemas that describe the same value as n, whose
// properties are answers too (as forms.Node.Lookup searches them).
func answerBranches(n *forms.Node) []*forms.Node {
	var out []*forms.Node
	for _, b := range []*forms.Node{n.Then, n.Else} {
		if b != nil {
			out = append(out, b)
		}
	}
	out = append(out, n.AllOf...)
	for _, d := range n.DependentSchemas {
		out = append(out, d.Schema)
	}
	out = append(out, n.OneOf...)
	return append(out, n.AnyOf...)
}

func answerProperty(n *forms.Node, name string) *forms.Node {
	if n == nil {
		return nil
	}
	for _, p := range n.Properties {
		if p.Name == name {
			return p.Schema
		}
	}
	for _, b := range answerBranches(n) {
		if c := answerProperty(b, name); c != nil {
			return c
		}
	}
	return nil
}

func answerItems(n *forms.Node) *forms.Node {
	if n == nil {
		return nil
	}
	if n.Items != nil {
		return n.Items
	}
	for _, b := range answerBranches(n) {
		if c := answerItems(b); c != nil {
			return c
		}
	}
	return nil
}

// answerNames lists the names n and its branches give, in document
// order; open is set when n allows names it does not list.
func answerNames(n *forms.Node) (names []string, open bool) {
	seen := map[string]bool{}
	var walk func(n *forms.Node)
	walk = func(n *forms.Node) {
		if n == nil {
			return
		}
		if ap, ok := n.Raw["additionalProperties"]; ok && ap != false {
			open = true
		}
		if _, ok := n.Raw["patternProperties"]; ok {
			open = true
		}
		for _, p := range n.Properties {
			if !seen[p.Name] {
				seen[p.Name] = true
				names = append(names, p.Name)
			}
		}
		for _, b := range answerBranches(n) {
			walk(b)
		}
	}
	walk(n)
	return names, open
}

// closestName is the name nearest to name, at most 2 edits away, or "".
func closestName(name string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if d := editDistance(name, n); d < bestD && d < len([]rune(n)) {
			best, bestD = n, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// exprReads finds the paths an expression reads from values it knows:
// . where the expression's input is known, $input, $workflow, and
// variables bound to such paths (`.submission as $s | $s.data.port`).
type exprReads struct {
	env  map[string]knownPath
	read func(k knownPath, written string, from int)
}

func (r *exprReads) with(name string, k knownPath) *exprReads {
	env := make(map[string]knownPath, len(r.env)+1)
	for n, v := range r.env {
		env[n] = v
	}
	env[name] = k
	return &exprReads{env: env, read: r.read}
}

// sameInput are the builtins whose arguments are evaluated on the call's
// own input (select(.x), has(.k), test(.re)…); others (map, sort_by,
// with_entries…) evaluate theirs on parts of it, unknown here.
var sameInput = map[string]bool{
	"select": true, "has": true, "in": true, "inside": true, "contains": true, "startswith": true,
	"endswith": true, "ltrimstr": true, "rtrimstr": true, "trimstr": true, "test": true, "match": true,
	"capture": true, "scan": true, "split": true, "splits": true, "join": true, "index": true,
	"rindex": true, "indices": true, "first": true, "last": true, "nth": true, "limit": true,
	"isempty": true, "error": true, "add": true, "getpath": true, "setpath": true, "delpaths": true,
	"del": true, "path": true, "pick": true, "range": true, "strftime": true, "strptime": true,
	"IN": true, "isvalid": true, "flatten": true, "format": true, "halt_error": true, "pow": true,
	"ldexp": true, "tojson": true, "ascii": true, "implode": true,
}

// argOnInput says whether argument i of a call to name is evaluated on
// the call's own input.
func argOnInput(name string, i, n int) bool {
	switch name {
	case "any", "all": // any(generator; condition): the condition runs on each item
		return n == 2 && i == 0
	case "sub", "gsub": // sub(regex; replacement; flags): the replacement runs on each match
		return i != 1
	}
	return sameInput[name]
}

// query reads q, evaluated on dot.
func (r *exprReads) query(q *gojq.Query, dot knownPath) { r.queryPath(q, dot) }

// queryPath reads q, evaluated on dot, and returns what q gives when it
// is a path (.a.b, $x.a), else unknown.
func (r *exprReads) queryPath(q *gojq.Query, dot knownPath) knownPath {
	if q == nil {
		return unknownPath
	}
	for _, fd := range q.FuncDefs {
		inner := r
		for _, a := range fd.Args {
			if strings.HasPrefix(a, "$") {
				inner = inner.with(a, unknownPath)
			}
		}
		inner.query(fd.Body, unknownPath)
	}
	if q.Term != nil {
		k, pure := r.termPath(q.Term, dot)
		if !pure || len(q.FuncDefs) > 0 {
			return unknownPath
		}
		return k
	}
	switch {
	case q.Op == gojq.OpPipe && len(q.Patterns) > 0: // Left as $x | Right: Right sees dot
		left := r.queryPath(q.Left, dot)
		bound := r
		for _, name := range patternNames(q.Patterns) {
			bound = bound.with(name, unknownPath)
		}
		if len(q.Patterns) == 1 && q.Patterns[0].Name != "" {
			bound = bound.with(q.Patterns[0].Name, left)
		}
		bound.query(q.Right, dot)
	case q.Op == gojq.OpPipe || q.Op == gojq.OpModify: // Right sees what Left gives
		left := r.queryPath(q.Left, dot)
		r.query(q.Right, left)
	default:
		r.query(q.Left, dot)
		r.query(q.Right, dot)
	}
	return unknownPath
}

func patternNames(ps []*gojq.Pattern) []string {
	var out []string
	var walk func(p *gojq.Pattern)
	walk = func(p *gojq.Pattern) {
		if p == nil {
			return
		}
		if p.Name != "" {
			out = append(out, p.Name)
		}
		for _, a := range p.Array {
			walk(a)
		}
		for _, o := range p.Object {
			if strings.HasPrefix(o.Key, "$") {
				out = append(out, o.Key)
			}
			walk(o.Val)
		}
	}
	for _, p := range ps {
		walk(p)
	}
	return out
}

var jqIdentifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func namePathStep(name string) pathStep {
	if jqIdentifier.MatchString(name) {
		return pathStep{name: name, text: "." + name}
	}
	return pathStep{name: name, text: "[" + jqQuoted(name) + "]"}
}

func jqQuoted(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// indexPathStep is a constant index of .[…]: a name or an array index.
func indexPathStep(ix *gojq.Index) (pathStep, bool) {
	switch {
	case ix.Name != "":
		return namePathStep(ix.Name), true
	case ix.Str != nil && len(ix.Str.Queries) == 0:
		st := namePathStep(ix.Str.Str)
		st.text = "." + jqQuoted(ix.Str.Str)
		return st, true
	case ix.IsSlice || ix.Start == nil || ix.Start.Term == nil || len(ix.Start.Term.SuffixList) > 0:
		return pathStep{}, false
	}
	t := ix.Start.Term
	switch t.Type {
	case gojq.TermTypeString:
		if t.Str != nil && len(t.Str.Queries) == 0 {
			st := namePathStep(t.Str.Str)
			st.text = "[" + jqQuoted(t.Str.Str) + "]"
			return st, true
		}
	case gojq.TermTypeNumber:
		return pathStep{index: true, text: "[" + t.Number + "]"}, true
	}
	return pathStep{}, false
}

// termPath is the path t reads and whether t is only that path; it reads
// what t holds on the way.
func (r *exprReads) termPath(t *gojq.Term, dot knownPath) (knownPath, bool) {
	var base knownPath
	written := ""
	pure := true
	switch t.Type {
	case gojq.TermTypeIdentity:
		base, written = dot, "."
	case gojq.TermTypeIndex:
		base = dot
	case gojq.TermTypeFunc:
		name := t.Func.Name
		switch {
		case name == "$workflow":
			base, written = knownPath{ok: true, path: []pathStep{{name: workflowStep}}}, "$workflow"
		case strings.HasPrefix(name, "$"):
			base, written = r.env[name], name
		default:
			for i, a := range t.Func.Args {
				if argOnInput(name, i, len(t.Func.Args)) {
					r.query(a, dot)
				} else {
					r.query(a, unknownPath)
				}
			}
			base, pure = unknownPath, false
		}
	case gojq.TermTypeQuery:
		base = r.queryPath(t.Query, dot)
		pure = base.ok
		written = "(" + t.Query.String() + ")"
	default:
		r.others(t, dot)
		base, pure = unknownPath, false
	}
	from := len(base.path) // where this term's own steps begin
	k := base
	suffixes := t.SuffixList
	if t.Type == gojq.TermTypeIndex {
		suffixes = append([]*gojq.Suffix{{Index: t.Index}}, suffixes...)
	}
	for _, sfx := range suffixes {
		switch {
		case sfx.Index != nil:
			if st, ok := indexPathStep(sfx.Index); ok && k.ok {
				k = k.then(st)
				continue
			}
			r.index(sfx.Index, dot)
			if len(k.path) > from {
				r.report(k, written, from)
			}
			k, pure = unknownPath, false
		case sfx.Iter:
			k = k.then(pathStep{index: true, text: "[]"})
		case sfx.Optional:
		}
	}
	if len(k.path) > from || t.Type != gojq.TermTypeQuery {
		r.report(k, written, from)
	}
	return k, pure
}

func (r *exprReads) report(k knownPath, written string, from int) {
	if !k.ok || r.read == nil {
		return
	}
	if written == "." && len(k.path) > from && strings.HasPrefix(k.path[from].text, ".") {
		written = "" // .["a b"] stays, .a is not ..a
	}
	r.read(k, written, from)
}

// index reads the queries of a computed index (.[expr], .[a:b]), which
// run on the term's input.
func (r *exprReads) index(ix *gojq.Index, dot knownPath) {
	if ix == nil {
		return
	}
	if ix.Str != nil {
		for _, q := range ix.Str.Queries {
			r.query(q, dot)
		}
	}
	r.query(ix.Start, dot)
	r.query(ix.End, dot)
}

func (r *exprReads) term(t *gojq.Term, dot knownPath) { r.termPath(t, dot) }

// others reads the terms that are not paths: objects, arrays, strings,
// if, try, reduce, foreach, label.
func (r *exprReads) others(t *gojq.Term, dot knownPath) {
	str := func(s *gojq.String) {
		if s != nil {
			for _, q := range s.Queries {
				r.query(q, dot)
			}
		}
	}
	switch t.Type {
	case gojq.TermTypeObject:
		for _, kv := range t.Object.KeyVals {
			str(kv.KeyString)
			r.query(kv.KeyQuery, dot)
			switch {
			case kv.Val != nil:
				r.query(kv.Val, dot)
			case kv.KeyQuery == nil && kv.KeyString == nil && strings.HasPrefix(kv.Key, "$"):
				// {$x} is {x: $x}
				if k := r.env[kv.Key]; k.ok && kv.Key != "$workflow" {
					r.report(k, kv.Key, len(k.path))
				}
			case kv.KeyQuery == nil && kv.KeyString == nil && kv.Key != "":
				r.report(dot.then(namePathStep(kv.Key)), "", len(dot.path)) // {x} is {x: .x}
			case kv.KeyString != nil && len(kv.KeyString.Queries) == 0:
				r.report(dot.then(namePathStep(kv.KeyString.Str)), "", len(dot.path)) // {"x"} is {"x": .x}
			}
		}
	case gojq.TermTypeArray:
		if t.Array != nil {
			r.query(t.Array.Query, dot)
		}
	case gojq.TermTypeUnary:
		r.term(t.Unary.Term, dot)
	case gojq.TermTypeString, gojq.TermTypeFormat:
		str(t.Str)
	case gojq.TermTypeIf:
		r.query(t.If.Cond, dot)
		r.query(t.If.Then, dot)
		for _, e := range t.If.Elif {
			r.query(e.Cond, dot)
			r.query(e.Then, dot)
		}
		r.query(t.If.Else, dot)
	case gojq.TermTypeTry:
		r.query(t.Try.Body, dot)
		r.query(t.Try.Catch, unknownPath)
	case gojq.TermTypeReduce:
		r.query(t.Reduce.Query, dot)
		r.query(t.Reduce.Start, dot)
		inner := r
		for _, n := range patternNames(t.Reduce.Patterns) {
			inner = inner.with(n, unknownPath)
		}
		inner.query(t.Reduce.Update, unknownPath)
	case gojq.TermTypeForeach:
		r.query(t.Foreach.Query, dot)
		r.query(t.Foreach.Start, dot)
		inner := r
		for _, n := range patternNames(t.Foreach.Patterns) {
			inner = inner.with(n, unknownPath)
		}
		inner.query(t.Foreach.Update, unknownPath)
		inner.query(t.Foreach.Extract, unknownPath)
	case gojq.TermTypeLabel:
		r.query(t.Label.Body, dot)
	}
}
