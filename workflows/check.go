package workflows

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/itchyny/gojq"
	"github.com/santhosh-tekuri/jsonschema/v5"
)

// Platform functions: called as `call: NAME` without a use.functions entry.
const (
	FuncUserTask = "userTask"
	FuncNotify   = "notify"
	FuncLookup   = "lookup"
)

var httpMethods = map[string]bool{"get": true, "post": true, "put": true, "patch": true, "delete": true, "head": true, "options": true}

var secretName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Check applies COP's rules to a document that already fits the
// specification's schema: the supported subset, flow targets, expressions,
// and references to the document's own reusable components.
func Check(w *Workflow) Problems {
	c := &checker{w: w, use: w.Use}
	if c.use == nil {
		c.use = &Use{}
	}
	c.workflowLevel()
	c.taskList(w.Do, "/do", nil)
	c.translations(w.Document.Metadata) // after the walk that finds the texts
	sort.SliceStable(c.problems, func(i, j int) bool { return c.problems[i].Pointer < c.problems[j].Pointer })
	return c.problems
}

type checker struct {
	w        *Workflow
	use      *Use
	problems Problems
	// texts are the officers' texts translations may name: user task
	// titles, notification titles and bodies, with the variables in scope.
	texts map[string][]string
}

func (c *checker) add(ptr, format string, args ...any) {
	c.problems = append(c.problems, Problem{Pointer: ptr, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) unsupported(ptr, what, hint string) {
	msg := what + " is not supported"
	if hint != "" {
		msg += ": " + hint
	}
	c.add(ptr, "%s", msg)
}

func (c *checker) workflowLevel() {
	w := c.w
	if len(w.Schedule) > 0 {
		c.schedule(w.Schedule)
	}
	if e := w.Evaluate; e != nil {
		if e.Language != "" && e.Language != "jq" {
			c.unsupported("/evaluate/language", "evaluate.language "+e.Language, "expressions are jq")
		}
		if e.Mode != "" && e.Mode != "strict" {
			c.unsupported("/evaluate/mode", "evaluate.mode "+e.Mode, "write expressions as ${ … } (strict mode)")
		}
	}
	if len(c.use.Extensions) > 0 {
		c.unsupported("/use/extensions", "use.extensions", "")
	}
	if len(c.use.Catalogs) > 0 {
		c.unsupported("/use/catalogs", "use.catalogs", "declare functions in use.functions")
	}
	for i, s := range c.use.Secrets {
		if !secretName.MatchString(s) {
			c.add(fmt.Sprintf("/use/secrets/%d", i), "secret name %q must be letters, digits and underscores (it is read from COP_SECRET_%s)", s, strings.ToUpper(s))
		}
	}
	for _, name := range sortedKeys(c.use.Authentications) {
		c.authPolicy(c.use.Authentications[name], "/use/authentications/"+EscapeToken(name), false)
	}
	for _, name := range sortedKeys(c.use.Errors) {
		c.errorDef(c.use.Errors[name], "/use/errors/"+EscapeToken(name), nil)
	}
	for _, name := range sortedKeys(c.use.Retries) {
		c.retryPolicy(c.use.Retries[name], "/use/retries/"+EscapeToken(name), nil)
	}
	for _, name := range sortedKeys(c.use.Timeouts) {
		c.duration(&c.use.Timeouts[name].After, "/use/timeouts/"+EscapeToken(name)+"/after", nil)
	}
	for _, name := range sortedKeys(c.use.Functions) {
		ptr := "/use/functions/" + EscapeToken(name)
		if isPlatformFunction(name) || callBuiltin(name) {
			c.add(ptr, "%q is a built-in function: give yours another name", name)
		}
		f := c.use.Functions[name]
		if f.Kind == KindCall && c.use.Functions[f.Call] != nil {
			c.add(ptr+"/call", "a function may not call another function from use.functions")
		}
		if f.Then != "" {
			c.add(ptr+"/then", "then is not supported in a function: a function is one task, with nowhere to go next; put then on the task that calls it")
		}
		c.task(f, ptr, nil, nil, []string{"arguments"})
	}
	if w.Input != nil {
		c.dataIO(w.Input.From, w.Input.Schema, "/input", "from", nil)
	}
	if w.Output != nil {
		c.dataIO(w.Output.As, w.Output.Schema, "/output", "as", nil)
	}
	c.timeoutRef(w.Timeout, "/timeout", nil)
	c.metadata(w.Document.Metadata)
}

func isPlatformFunction(name string) bool {
	return name == FuncUserTask || name == FuncNotify || name == FuncLookup
}

func callBuiltin(name string) bool {
	switch name {
	case "http", "openapi", "grpc", "asyncapi", "a2a", "mcp":
		return true
	}
	return false
}

func (c *checker) taskList(list TaskList, ptr string, scope []string) {
	seen := map[string]bool{}
	for i, nt := range list {
		p := fmt.Sprintf("%s/%d/%s", ptr, i, EscapeToken(nt.Name))
		if seen[nt.Name] {
			c.add(p, "another task in this list is already named %q: names must be unique so then can find them", nt.Name)
		}
		seen[nt.Name] = true
		c.task(nt.Task, p, list, scope, nil)
	}
}

// task checks one task; siblings are the list its then may jump within.
func (c *checker) task(t *Task, ptr string, siblings TaskList, scope, fnScope []string) {
	scope = append(scope, fnScope...)
	if t.If != "" {
		c.expr(t.If, ptr+"/if", scope)
	}
	if t.Input != nil {
		c.dataIO(t.Input.From, t.Input.Schema, ptr+"/input", "from", scope)
	}
	if t.Output != nil {
		c.dataIO(t.Output.As, t.Output.Schema, ptr+"/output", "as", scope)
	}
	if t.Export != nil {
		c.dataIO(t.Export.As, t.Export.Schema, ptr+"/export", "as", scope)
	}
	c.timeoutRef(t.Timeout, ptr+"/timeout", scope)
	if t.Then != "" {
		c.flow(t.Then, ptr+"/then", siblings)
	}
	if len(t.Foreach) > 0 {
		c.unsupported(ptr+"/foreach", "listen.foreach", "handle each event in the tasks after the listen")
	}
	switch t.Kind {
	case KindCall:
		c.call(t, ptr, scope)
	case KindDo:
		c.taskList(t.Do, ptr+"/do", scope)
	case KindFor:
		c.expr(t.For.In, ptr+"/for/in", scope)
		inner := append(append([]string(nil), scope...), t.For.ItemVar(), t.For.IndexVar())
		if t.While != "" {
			c.expr(t.While, ptr+"/while", inner)
		}
		c.taskList(t.Do, ptr+"/do", inner)
	case KindFork:
		c.taskList(t.Fork.Branches, ptr+"/fork/branches", scope)
		for i, b := range t.Fork.Branches {
			if b.Task.Then != "" {
				c.add(fmt.Sprintf("%s/fork/branches/%d/%s/then", ptr, i, EscapeToken(b.Name)),
					"then is not supported on a fork branch: branches run side by side, so there is nowhere to go next; put the branch's steps in a do, or the flow after the fork")
			}
		}
	case KindTry:
		c.taskList(t.Try, ptr+"/try", scope)
		c.catch(t.Catch, ptr+"/catch", scope)
	case KindRaise:
		c.raise(t.Raise, ptr+"/raise", scope)
	case KindWait:
		c.duration(t.Wait, ptr+"/wait", scope)
	case KindSet:
		c.exprs(t.Set, ptr+"/set", scope)
	case KindSwitch:
		c.switchCases(t.Switch, ptr+"/switch", siblings, scope)
	case KindEmit:
		c.exprs(t.Emit.Event.With, ptr+"/emit/event/with", scope)
		c.emitType(t.Emit.Event.With["type"], ptr+"/emit/event/with/type")
	case KindListen:
		c.listen(t.Listen, ptr+"/listen", scope)
	case KindRun:
		c.run(t.Run, ptr+"/run", scope)
	default:
		c.add(ptr, "the task has no kind: give it one of call, do, emit, for, fork, listen, raise, run, set, switch, try, wait")
	}
}

func (c *checker) flow(then, ptr string, siblings TaskList) {
	switch then {
	case "continue", "exit", "end":
		return
	}
	if siblings.Index(then) < 0 {
		names := make([]string, 0, len(siblings))
		for _, s := range siblings {
			names = append(names, s.Name)
		}
		c.add(ptr, "then %q names no task in this list (tasks here: %s; or continue, exit, end)", then, strings.Join(names, ", "))
	}
}

func (c *checker) switchCases(cases []*SwitchCase, ptr string, siblings TaskList, scope []string) {
	defaults := 0
	for i, sc := range cases {
		p := fmt.Sprintf("%s/%d/%s", ptr, i, EscapeToken(sc.Name))
		if sc.When == "" {
			defaults++
			if defaults > 1 {
				c.add(p, "a switch has at most one default case (a case without when)")
			}
		} else {
			c.expr(sc.When, p+"/when", scope)
		}
		c.flow(sc.Then, p+"/then", siblings)
	}
}

func (c *checker) catch(k *Catch, ptr string, scope []string) {
	if k == nil {
		return
	}
	if k.Errors != nil {
		for _, key := range k.Errors.unknown {
			c.add(ptr+"/errors/"+EscapeToken(key), "unknown field %q: catch.errors has only with, an error filter", key)
		}
		if f := k.Errors.With; f != nil {
			for _, key := range f.unknown {
				msg := fmt.Sprintf("unknown field %q: an error filter matches on type, status, instance, title and details", key)
				if key == "detail" {
					msg += " (did you mean details?)"
				}
				c.add(ptr+"/errors/with/"+EscapeToken(key), "%s", msg)
			}
		}
	}
	inner := append(append([]string(nil), scope...), k.ErrorVar())
	if k.When != "" {
		c.expr(k.When, ptr+"/when", inner)
	}
	if k.ExceptWhen != "" {
		c.expr(k.ExceptWhen, ptr+"/exceptWhen", inner)
	}
	if k.Retry != nil {
		if k.Retry.Inline != nil {
			c.retryPolicy(k.Retry.Inline, ptr+"/retry", inner)
		} else if c.use.Retries[k.Retry.Name] == nil {
			c.add(ptr+"/retry", "retry policy %q is not defined in use.retries", k.Retry.Name)
		}
	}
	c.taskList(k.Do, ptr+"/do", inner)
}

func (c *checker) retryPolicy(r *RetryPolicy, ptr string, scope []string) {
	inner := append(append([]string(nil), scope...), "error")
	if r.When != "" {
		c.expr(r.When, ptr+"/when", inner)
	}
	if r.ExceptWhen != "" {
		c.expr(r.ExceptWhen, ptr+"/exceptWhen", inner)
	}
	if r.Delay != nil {
		c.duration(r.Delay, ptr+"/delay", scope)
	}
	if r.Limit != nil {
		if r.Limit.Attempt != nil && r.Limit.Attempt.Duration != nil {
			c.duration(r.Limit.Attempt.Duration, ptr+"/limit/attempt/duration", scope)
		}
		if r.Limit.Duration != nil {
			c.duration(r.Limit.Duration, ptr+"/limit/duration", scope)
		}
		if r.Limit.Attempt != nil && r.Limit.Attempt.Count != nil && *r.Limit.Attempt.Count < 0 {
			c.add(ptr+"/limit/attempt/count", "count must be at least 0")
		}
	}
	if r.Jitter != nil {
		c.duration(&r.Jitter.From, ptr+"/jitter/from", scope)
		c.duration(&r.Jitter.To, ptr+"/jitter/to", scope)
	}
	if b := r.Backoff; b != nil {
		for name, settings := range map[string]map[string]any{"constant": b.Constant, "exponential": b.Exponential, "linear": b.Linear} {
			for _, k := range sortedKeys(settings) {
				c.add(ptr+"/backoff/"+name+"/"+EscapeToken(k), "unknown field %q: COP's %s backoff takes no settings (constant keeps the delay, linear multiplies it by the attempt, exponential doubles it each attempt)", k, name)
			}
		}
	}
	if retriesAtOnceForever(r) {
		c.add(ptr, "this retry has no delay and no attempt limit, so it would run the try block again at once, for ever (time does not pass between attempts, so limit.duration cannot stop it): give it a delay (delay: PT1S) or limit.attempt.count")
	}
}

// retriesAtOnceForever reports a policy that retries without waiting and
// without a count: nothing would ever stop it. A delay or jitter written
// as an expression may wait, so it is left to the runaway guard.
func retriesAtOnceForever(r *RetryPolicy) bool {
	if r.Limit != nil && r.Limit.Attempt != nil && r.Limit.Attempt.Count != nil {
		return false
	}
	return isZeroDuration(r.Delay) && (r.Jitter == nil || isZeroDuration(&r.Jitter.To))
}

func isZeroDuration(d *Duration) bool {
	if d == nil {
		return true
	}
	if d.Expr != "" {
		return false
	}
	v, err := d.Static()
	return err == nil && v == 0
}

func (c *checker) raise(r *Raise, ptr string, scope []string) {
	if r.Error.Inline != nil {
		c.errorDef(r.Error.Inline, ptr+"/error", scope)
		return
	}
	if c.use.Errors[r.Error.Name] == nil {
		c.add(ptr+"/error", "error %q is not defined in use.errors", r.Error.Name)
	}
}

func (c *checker) errorDef(e *Error, ptr string, scope []string) {
	c.exprs(e.Type, ptr+"/type", scope)
	c.exprs(e.Title, ptr+"/title", scope)
	c.exprs(e.Detail, ptr+"/detail", scope)
	c.exprs(e.Instance, ptr+"/instance", scope)
}

func (c *checker) listen(l *Listen, ptr string, scope []string) {
	switch l.Read {
	case "", "data", "envelope", "raw":
	default:
		c.add(ptr+"/read", "read must be data, envelope or raw")
	}
	to := l.To
	if to.All != nil && len(to.All) == 0 {
		c.add(ptr+"/to/all", "all needs at least one event filter: with none, the task would wait for ever (use any: [] to take the next event of any kind)")
	}
	var filters []*EventFilter
	switch {
	case to.One != nil:
		filters = []*EventFilter{to.One}
	case to.All != nil:
		filters = to.All
	case to.Any != nil:
		filters = to.Any
	}
	for i, f := range filters {
		p := ptr + "/to"
		switch {
		case to.One != nil:
			p += "/one"
		case to.All != nil:
			p += fmt.Sprintf("/all/%d", i)
		default:
			p += fmt.Sprintf("/any/%d", i)
		}
		c.correlate(f.Correlate, p+"/correlate", scope)
		c.exprs(f.With, p+"/with", scope)
	}
	if len(to.Until) > 0 {
		var s string
		if err := json.Unmarshal(to.Until, &s); err != nil {
			c.unsupported(ptr+"/to/until", "an event strategy in until", "give until a runtime expression")
		} else {
			c.expr(s, ptr+"/to/until", scope)
		}
	}
}

func (c *checker) run(r *Run, ptr string, scope []string) {
	switch {
	case len(r.Container) > 0:
		c.unsupported(ptr+"/container", "run.container", "call a service with call: http instead")
	case len(r.Script) > 0:
		c.unsupported(ptr+"/script", "run.script", "use set with jq expressions, or call a service")
	case len(r.Shell) > 0:
		c.unsupported(ptr+"/shell", "run.shell", "call a service with call: http instead")
	case r.Workflow != nil:
		c.exprs(r.Workflow.Input, ptr+"/workflow/input", scope)
	}
	switch r.Return {
	case "", "stdout", "all", "none":
	default:
		c.unsupported(ptr+"/return", "return: "+r.Return, "a workflow has no exit code or standard error: return stdout (its output, the default), all ({code, stdout, stderr}) or none")
	}
}

func (c *checker) call(t *Task, ptr string, scope []string) {
	with := t.With
	wp := ptr + "/with"
	switch t.Call {
	case "http":
		c.httpCall(with, wp, scope)
	case "openapi":
		c.openAPICall(with, wp, scope)
	case FuncUserTask:
		c.userTask(with, wp, scope)
	case FuncNotify:
		c.notify(with, wp, scope)
	case FuncLookup:
		c.lookup(with, wp, scope)
	case "grpc", "asyncapi", "a2a", "mcp":
		c.unsupported(ptr+"/call", "call: "+t.Call, "call services with http or openapi")
	default:
		if strings.Contains(t.Call, "@") {
			c.unsupported(ptr+"/call", "a catalog function ("+t.Call+")", "declare the function in use.functions")
			return
		}
		if c.use.Functions[t.Call] == nil {
			c.add(ptr+"/call", "function %q is not defined: declare it in use.functions, or call http, openapi, %s, %s or %s", t.Call, FuncUserTask, FuncNotify, FuncLookup)
			return
		}
		c.exprs(with, wp, scope)
	}
}

func (c *checker) httpCall(with map[string]any, ptr string, scope []string) {
	method, _ := with["method"].(string)
	if !httpMethods[strings.ToLower(method)] {
		c.add(ptr+"/method", "method %q is not an HTTP method: use get, post, put, patch, delete, head or options", method)
	}
	c.endpoint(with["endpoint"], ptr+"/endpoint", scope)
	for _, k := range []string{"headers", "query", "body"} {
		if v, ok := with[k]; ok {
			c.exprs(v, ptr+"/"+k, scope)
		}
	}
}

func (c *checker) openAPICall(with map[string]any, ptr string, scope []string) {
	if doc, ok := with["document"].(map[string]any); ok {
		c.endpoint(doc["endpoint"], ptr+"/document/endpoint", scope)
	}
	if v, ok := with["parameters"]; ok {
		c.exprs(v, ptr+"/parameters", scope)
	}
	if a, ok := with["authentication"]; ok {
		c.authValue(a, ptr+"/authentication", scope)
	}
}

func (c *checker) endpoint(v any, ptr string, scope []string) {
	switch e := v.(type) {
	case string:
		c.exprs(e, ptr, scope)
	case map[string]any:
		c.exprs(e["uri"], ptr+"/uri", scope)
		if a, ok := e["authentication"]; ok {
			c.authValue(a, ptr+"/authentication", scope)
		}
	}
}

func (c *checker) authValue(v any, ptr string, scope []string) {
	var a Authentication
	b, _ := json.Marshal(v)
	if err := json.Unmarshal(b, &a); err != nil {
		c.add(ptr, "authentication does not fit the DSL: %v", err)
		return
	}
	c.authPolicy(&a, ptr, true, scope...)
}

// authPolicy checks a policy; inTask allows `use: NAME` naming a policy of
// use.authentications.
func (c *checker) authPolicy(a *Authentication, ptr string, inTask bool, scope ...string) {
	switch {
	case a.Use != "":
		if !inTask || c.use.Authentications[a.Use] == nil {
			c.add(ptr+"/use", "authentication %q is not defined in use.authentications", a.Use)
		}
	case a.Basic != nil:
		c.secretOrFields(a.Basic, ptr+"/basic", scope, "username", "password")
	case a.Bearer != nil:
		c.secretOrFields(a.Bearer, ptr+"/bearer", scope, "token")
	case a.Digest != nil:
		c.unsupported(ptr+"/digest", "digest authentication", "use basic or bearer")
	case a.OAuth2 != nil:
		c.unsupported(ptr+"/oauth2", "oauth2 authentication", "use bearer with a token from use.secrets")
	case a.OIDC != nil:
		c.unsupported(ptr+"/oidc", "oidc authentication", "use bearer with a token from use.secrets")
	}
}

func (c *checker) secretOrFields(m map[string]any, ptr string, scope []string, fields ...string) {
	if use, ok := m["use"].(string); ok {
		if !c.hasSecret(use) {
			c.add(ptr+"/use", "secret %q is not listed in use.secrets", use)
		}
		return
	}
	for _, f := range fields {
		c.exprs(m[f], ptr+"/"+f, scope)
	}
}

func (c *checker) hasSecret(name string) bool {
	for _, s := range c.use.Secrets {
		if s == name {
			return true
		}
	}
	return false
}

var groupEntry = regexp.MustCompile(`^(team|role):[A-Za-z0-9_.-]+$`)
var recipientEntry = regexp.MustCompile(`^(user|team|role):[^\s]+$`)

func (c *checker) userTask(with map[string]any, ptr string, scope []string) {
	c.knownArgs(with, ptr, "form", "title", "candidateGroups", "assignee", "priority", "reason", "due", "escalation", "show", "amend")
	c.taskShow(with["show"], ptr+"/show")
	if _, amend := with["amend"]; amend {
		c.amendTask(with, ptr)
	} else if f, _ := with["form"].(string); f == "" {
		c.add(ptr+"/form", "userTask needs the form the officer fills in: form: NAME or NAME@VERSION")
	}
	c.exprs(with["title"], ptr+"/title", scope)
	c.text(with["title"], ptr+"/title", scope)
	c.exprs(with["reason"], ptr+"/reason", scope)
	c.exprs(with["assignee"], ptr+"/assignee", scope)
	groups, hasGroups := with["candidateGroups"]
	if hasGroups {
		list, ok := groups.([]any)
		if !ok {
			c.add(ptr+"/candidateGroups", "candidateGroups is a list of team:NAME or role:NAME entries")
		}
		c.entries(list, ptr+"/candidateGroups", groupEntry, "team:NAME or role:NAME", scope)
	}
	if _, hasAssignee := with["assignee"]; !hasGroups && !hasAssignee && with["amend"] == nil {
		c.add(ptr, "userTask needs candidateGroups or an assignee, or nobody could see the task")
	}
	c.priority(with["priority"], ptr+"/priority", scope)
	if d, ok := with["due"]; ok {
		c.durationValue(d, ptr+"/due", scope)
	}
	if e, ok := with["escalation"]; ok {
		esc, isObj := e.(map[string]any)
		if !isObj {
			c.add(ptr+"/escalation", "escalation is an object: {after, to, priority}")
			return
		}
		c.knownArgs(esc, ptr+"/escalation", "after", "to", "priority")
		if _, ok := esc["after"]; !ok {
			c.add(ptr+"/escalation/after", "escalation needs after, the duration before it happens")
		} else {
			c.durationValue(esc["after"], ptr+"/escalation/after", scope)
		}
		c.recipients(esc["to"], ptr+"/escalation/to", false, scope)
		c.priority(esc["priority"], ptr+"/escalation/priority", scope)
	}
}

// amendTask checks a userTask that returns the submission that started
// the instance to whoever submitted it, to correct: its form is that
// submission's form and version and its assignee the submitter, so the
// task names neither.
func (c *checker) amendTask(with map[string]any, ptr string) {
	if with["amend"] != "submission" {
		c.add(ptr+"/amend", "amend takes one value, submission (the answers that started this instance), not %v", with["amend"])
	}
	for _, k := range []string{"form", "assignee", "candidateGroups"} {
		if _, ok := with[k]; ok {
			c.add(ptr+"/"+k, "an amend task has no %s: its form is the submission's own, and it goes to whoever submitted it", k)
		}
	}
	if _, ok := with["show"]; ok {
		c.add(ptr+"/show", "an amend task has no show: its page shows the answers to correct, all of them")
	}
	if sf, _ := c.w.Document.Metadata["startForm"].(string); sf == "" {
		c.add(ptr+"/amend", "amend: submission needs a submission to amend: name the form that starts this workflow in document.metadata.startForm")
	}
}

// taskShow checks what a task's page shows beside its form: "case" (every
// submission on the case the reader may read: the default), "submission"
// (the one that started the instance), or a list of JSON pointers (only
// those answers of it).
func (c *checker) taskShow(v any, ptr string) {
	switch show := v.(type) {
	case nil:
	case string:
		if show != "case" && show != "submission" {
			c.add(ptr, "show is case, submission, or a list of JSON pointers into the submission's answers, not %q", show)
		}
	case []any:
		if len(show) == 0 {
			c.add(ptr, "show lists at least one JSON pointer, like /port")
		}
		for i, x := range show {
			if p, ok := x.(string); !ok || !strings.HasPrefix(p, "/") {
				c.add(fmt.Sprintf("%s/%d", ptr, i), "%v is not a JSON pointer into the submission's answers, like /port", x)
			}
		}
	default:
		c.add(ptr, "show is case, submission, or a list of JSON pointers into the submission's answers")
	}
}

func (c *checker) priority(v any, ptr string, scope []string) {
	switch p := v.(type) {
	case nil:
	case float64:
		if p < 1 || p > 5 || p != float64(int(p)) {
			c.add(ptr, "priority is a whole number from 1 (first) to 5")
		}
	case string:
		if !IsExpression(p) {
			c.add(ptr, "priority is a whole number from 1 (first) to 5, or a ${ } expression")
			return
		}
		c.exprs(p, ptr, scope)
	default:
		c.add(ptr, "priority is a whole number from 1 (first) to 5")
	}
}

func (c *checker) notify(with map[string]any, ptr string, scope []string) {
	c.knownArgs(with, ptr, "to", "title", "body", "link", "channels")
	c.recipients(with["to"], ptr+"/to", true, scope)
	if t, ok := with["title"].(string); !ok || t == "" {
		c.add(ptr+"/title", "notify needs a title")
	}
	c.text(with["title"], ptr+"/title", scope)
	c.text(with["body"], ptr+"/body", scope)
	c.channels(with["channels"], ptr+"/channels")
	c.exprs(with, ptr, scope)
}

// Channels are the ways notify reaches people: in COP's pages (the
// default) and by email to each recipient's address in the directory.
var Channels = []string{"inapp", "email"}

// channels checks notify's channels: a list, written out, of distinct
// entries of Channels.
func (c *checker) channels(v any, ptr string) {
	if v == nil {
		return
	}
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		c.add(ptr, "channels is a list of one or both of inapp and email, written out (not an expression)")
		return
	}
	seen := map[string]bool{}
	for i, x := range list {
		s, _ := x.(string)
		switch {
		case !slices.Contains(Channels, s):
			c.add(fmt.Sprintf("%s/%d", ptr, i), "%v is not a channel: use inapp or email", x)
		case seen[s]:
			c.add(fmt.Sprintf("%s/%d", ptr, i), "%s is listed twice", s)
		}
		seen[s] = true
	}
}

func (c *checker) recipients(v any, ptr string, required bool, scope []string) {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		if v != nil || required {
			c.add(ptr, "to is a list of user:SUB, team:NAME or role:NAME entries")
		}
		return
	}
	c.entries(list, ptr, recipientEntry, "user:SUB, team:NAME or role:NAME", scope)
}

// entries checks a list of groups or recipients: each is one (what
// matches re) or an expression, compiled here and checked when it runs.
func (c *checker) entries(list []any, ptr string, re *regexp.Regexp, want string, scope []string) {
	for i, x := range list {
		p := fmt.Sprintf("%s/%d", ptr, i)
		s, _ := x.(string)
		switch {
		case IsExpression(s):
			c.expr(s, p, scope)
		case !re.MatchString(s):
			c.add(p, "%v is not %s", x, want)
		}
	}
}

// IsGroupEntry reports whether s is team:NAME or role:NAME, as a
// candidate group must be (also when an expression computed it).
func IsGroupEntry(s string) bool { return groupEntry.MatchString(s) }

// IsRecipientEntry reports whether s is user:SUB, team:NAME or role:NAME.
func IsRecipientEntry(s string) bool { return recipientEntry.MatchString(s) }

func (c *checker) lookup(with map[string]any, ptr string, scope []string) {
	c.knownArgs(with, ptr, "refdata", "key", "filter", "on")
	if r, _ := with["refdata"].(string); r == "" {
		c.add(ptr+"/refdata", "lookup needs refdata, the name of a reference data set")
	}
	_, hasKey := with["key"]
	_, hasFilter := with["filter"]
	if hasKey == hasFilter {
		c.add(ptr, "lookup needs exactly one of key (one item's code) or filter (a jq condition on each item)")
	}
	if hasFilter {
		if f, ok := with["filter"].(string); ok {
			c.expr(f, ptr+"/filter", append(append([]string(nil), scope...), "item"))
		} else {
			c.add(ptr+"/filter", "filter is a jq condition on each item, such as .attributes.region == \"south\"")
		}
	}
	c.exprs(with["key"], ptr+"/key", scope)
	c.exprs(with["on"], ptr+"/on", scope)
}

func (c *checker) knownArgs(with map[string]any, ptr string, known ...string) {
	for _, k := range sortedKeys(with) {
		found := false
		for _, n := range known {
			found = found || n == k
		}
		if !found {
			c.add(ptr+"/"+EscapeToken(k), "unknown argument %q (this function takes %s)", k, strings.Join(known, ", "))
		}
	}
}

func (c *checker) timeoutRef(t *TimeoutRef, ptr string, scope []string) {
	if t == nil {
		return
	}
	if t.Inline != nil {
		c.duration(&t.Inline.After, ptr+"/after", scope)
		return
	}
	if c.use.Timeouts[t.Name] == nil {
		c.add(ptr, "timeout %q is not defined in use.timeouts", t.Name)
	}
}

func (c *checker) duration(d *Duration, ptr string, scope []string) {
	if d == nil {
		return
	}
	if d.Expr != "" {
		c.expr(d.Expr, ptr, scope)
		return
	}
	if _, err := d.Static(); err != nil {
		c.add(ptr, "%v", err)
	}
}

func (c *checker) durationValue(v any, ptr string, scope []string) {
	b, _ := json.Marshal(v)
	var d Duration
	if err := json.Unmarshal(b, &d); err != nil {
		c.add(ptr, "%v", err)
		return
	}
	c.duration(&d, ptr, scope)
}

// dataIO checks input.from, output.as or export.as (always expressions when
// strings) and the optional schema.
func (c *checker) dataIO(v any, s *Schema, ptr, field string, scope []string) {
	switch x := v.(type) {
	case nil:
	case string:
		c.expr(x, ptr+"/"+field, scope)
	default:
		c.exprs(x, ptr+"/"+field, scope)
	}
	if s == nil {
		return
	}
	if len(s.Resource) > 0 {
		c.unsupported(ptr+"/schema/resource", "a schema resource", "give the schema inline as schema.document")
		return
	}
	if s.Format != "" && s.Format != "json" && !strings.HasPrefix(s.Format, "json:") {
		c.unsupported(ptr+"/schema/format", "schema format "+s.Format, "use json (JSON Schema)")
		return
	}
	if _, err := CompileDataSchema(s.Document); err != nil {
		c.add(ptr+"/schema/document", "%v", err)
	}
}

// expr checks a field that is always an expression.
func (c *checker) expr(src, ptr string, scope []string) {
	if strings.TrimSpace(src) == "" {
		c.add(ptr, "the expression is empty")
		return
	}
	if _, err := CompileExpr(src, scope...); err != nil {
		c.add(ptr, "%v", err)
	}
}

// exprs checks every `${ … }` string inside a value.
func (c *checker) exprs(v any, ptr string, scope []string) {
	switch x := v.(type) {
	case string:
		if IsExpression(x) {
			c.expr(x, ptr, scope)
		}
	case map[string]any:
		for _, k := range sortedKeys(x) {
			c.exprs(x[k], ptr+"/"+EscapeToken(k), scope)
		}
	case []any:
		for i, item := range x {
			c.exprs(item, fmt.Sprintf("%s/%d", ptr, i), scope)
		}
	}
}

// dataSchemas are the process's compiled inline data schemas by their
// text: a compiled schema is read-only and safe to use at once from many
// goroutines, and compiling one again for each submission a workflow
// starts cost more than the rest of its start. Bounded, so that many
// definitions (or drafts) cannot grow a replica without end.
var dataSchemas = func() *lru.Cache[string, *jsonschema.Schema] {
	c, _ := lru.New[string, *jsonschema.Schema](1024)
	return c
}()

// DataSchema is CompileDataSchema's result for doc, compiled once per
// distinct text.
func DataSchema(doc json.RawMessage) (*jsonschema.Schema, error) {
	if s, ok := dataSchemas.Get(string(doc)); ok {
		return s, nil
	}
	s, err := CompileDataSchema(doc)
	if err != nil {
		return nil, err
	}
	dataSchemas.Add(string(doc), s)
	return s, nil
}

// CompileDataSchema compiles an inline JSON Schema used by input.schema,
// output.schema or export.schema. Nothing is ever fetched.
func CompileDataSchema(doc json.RawMessage) (*jsonschema.Schema, error) {
	if len(doc) == 0 {
		return nil, fmt.Errorf("the schema document is empty")
	}
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.LoadURL = func(u string) (io.ReadCloser, error) {
		return nil, fmt.Errorf("schemas may not refer to %s: give everything inline", u)
	}
	const url = "https://cop.invalid/workflow-data.json"
	if err := c.AddResource(url, strings.NewReader(string(doc))); err != nil {
		return nil, fmt.Errorf("the schema is not valid: %w", err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("the schema is not valid JSON Schema: %w", err)
	}
	return s, nil
}

// EscapeToken escapes a name for use as one JSON pointer token.
func EscapeToken(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// ReservedEventPrefix begins the types of the events COP itself announces
// (cop.submission.created, ...); a workflow may not emit one.
const ReservedEventPrefix = "cop."

// ReservedEventType says whether a workflow may not emit an event type.
func ReservedEventType(eventType string) bool {
	return strings.HasPrefix(eventType, ReservedEventPrefix)
}

// emitType refuses an event type a workflow may not emit; one computed by
// an expression is checked when the event is emitted.
func (c *checker) emitType(v any, ptr string) {
	eventType, ok := v.(string)
	if !ok || IsExpression(eventType) {
		return
	}
	if ReservedEventType(eventType) {
		c.add(ptr, "event type %q begins with %q, which only COP's own events may: name your events after your service (gov.uk.border.seizure.recorded)", eventType, ReservedEventPrefix)
	}
}

// Schedule is a workflow's schedule: COP starts instances on events
// (on), one per event or per correlation.
type Schedule struct {
	On *EventConsumption `json:"on,omitempty"`
}

// ScheduleOf reads a workflow's schedule; Check has refused what COP does
// not run.
func ScheduleOf(w *Workflow) Schedule {
	var s Schedule
	if len(w.Schedule) > 0 {
		_ = json.Unmarshal(w.Schedule, &s)
	}
	return s
}

// schedule checks schedule: on one event, started per event or per
// correlation; time schedules are COP's to refuse (no scheduler runs
// them).
func (c *checker) schedule(raw json.RawMessage) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		c.add("/schedule", "schedule must be an object")
		return
	}
	for _, k := range sortedKeys(m) {
		if k != "on" {
			c.unsupported("/schedule/"+EscapeToken(k), "schedule."+k, "start instances through the API, a start form or an event (schedule.on)")
		}
	}
	s := ScheduleOf(c.w)
	if s.On == nil {
		return
	}
	to, ptr := s.On, "/schedule/on"
	switch {
	case to.All != nil:
		c.unsupported(ptr+"/all", "schedule.on.all", "start on one event (one), and listen for the others inside the workflow")
	case to.Any != nil:
		c.unsupported(ptr+"/any", "schedule.on.any", "start on one event (one), and listen for the others inside the workflow")
	case len(to.Until) > 0:
		c.unsupported(ptr+"/until", "schedule.on.until", "")
	case to.One == nil:
		c.add(ptr, "on needs one: the event filter that starts an instance")
	default:
		c.startFilter(to.One, ptr+"/one")
	}
}

// startFilter checks the filter that starts instances: what it compares
// is written as constants (there is no workflow data yet), data may be a
// predicate on the event's data, and each correlation reads the event.
func (c *checker) startFilter(f *EventFilter, ptr string) {
	for _, k := range sortedKeys(f.With) {
		v := f.With[k]
		if s, ok := v.(string); ok && k == "data" && IsExpression(s) {
			c.expr(s, ptr+"/with/data", nil)
			continue
		}
		if hasExpression(v) {
			c.add(ptr+"/with/"+EscapeToken(k), "an instance started by an event has no data yet to evaluate %s against: write it as a constant (data may be an expression: a predicate on the event's data)", k)
		}
	}
	c.correlate(f.Correlate, ptr+"/correlate", nil)
	for _, name := range sortedKeys(f.Correlate) {
		var k Correlation
		if json.Unmarshal(f.Correlate[name], &k) == nil {
			if e, ok := k.Expect.(string); ok && IsExpression(e) {
				c.add(ptr+"/correlate/"+EscapeToken(name)+"/expect", "an instance started by an event has no data yet to expect a value from: leave expect out (each value starts its own instance) or write a constant")
			}
		}
	}
}

// hasExpression reports whether v holds a ${ } expression anywhere.
func hasExpression(v any) bool {
	switch v := v.(type) {
	case string:
		return IsExpression(v)
	case map[string]any:
		for _, x := range v {
			if hasExpression(x) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if hasExpression(x) {
				return true
			}
		}
	}
	return false
}

// Correlation is one entry of a listen filter's correlate: from reads a
// value off the event; expect is what it must be (a constant, or an
// expression on the task's input), or, left out, the first value an event
// of this listen gives. The DSL's schema makes both strings.
type Correlation struct {
	From   string `json:"from"`
	Expect any    `json:"expect,omitempty"`
}

// FromExpr is From as an expression: from may be written with or
// without ${ }.
func (c Correlation) FromExpr() string {
	if IsExpression(c.From) {
		return c.From
	}
	return "${ " + c.From + " }"
}

// correlate checks a filter's correlate entries, each at its pointer.
func (c *checker) correlate(entries map[string]json.RawMessage, ptr string, scope []string) {
	for _, name := range sortedKeys(entries) {
		p := ptr + "/" + EscapeToken(name)
		var k Correlation
		if err := decodeStrictJSON(entries[name], &k); err != nil {
			c.add(p, "a correlation is {from, expect}: %v", err)
			continue
		}
		if strings.TrimSpace(k.From) == "" {
			c.add(p+"/from", "from is required: an expression reading the value off the event, such as ${ .data.targetRef }")
		} else if _, err := CompileExpr(k.From); err != nil {
			c.add(p+"/from", "%v", err)
		} else if v := ReadsVariables(k.From); v != "" {
			c.add(p+"/from", "from reads the event (.), and an event has no %s: put what the workflow knows in expect", v)
		}
		// The DSL's schema has refused an expect that is not a string.
		if e, ok := k.Expect.(string); ok && IsExpression(e) {
			c.expr(e, p+"/expect", scope)
		}
	}
}

// ReadsVariables names the first of the workflow's variables ($context,
// $input…) an expression reads, or "" (its own, bound with as, are its
// business).
func ReadsVariables(src string) string {
	q, err := gojq.Parse(ExpressionBody(src))
	if err != nil {
		return ""
	}
	found := ""
	walkQueries(q, func(q *gojq.Query) {
		if found == "" && q.Term != nil && q.Term.Type == gojq.TermTypeFunc && q.Term.Func != nil && slices.Contains(baseVariables, q.Term.Func.Name) {
			found = q.Term.Func.Name
		}
	})
	return found
}

// decodeStrictJSON decodes one JSON object, refusing a key v has no field for.
func decodeStrictJSON(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}
