package diagram

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"cop/workflows"
)

// describe sets a node's kind in words, its shape, the lines its box shows
// and the sentences on what it does. depth > 0 describes a function's task
// for the call that uses it (functions do not call functions).
func (b *builder) describe(n *node) { b.describeAt(n, 0) }

func (b *builder) describeAt(n *node, depth int) {
	t := n.task
	n.shape = shapeBox
	switch t.Kind {
	case workflows.KindCall:
		b.describeCall(n, t, depth)
	case workflows.KindDo:
		n.kind, n.slug, n.shape = "Do", "do", shapeDo
		n.does = append(n.does, "Runs "+stepRange(n.num, 0, len(t.Do))+" in order.")
	case workflows.KindFor:
		n.kind, n.slug, n.shape, n.label = "For each", "for", shapeFor, "For each"
		if f := t.For; f != nil {
			in := exprText(f.In)
			n.label = fmt.Sprintf("For each %s in %s", f.ItemVar(), in)
			n.does = append(n.does, fmt.Sprintf("For each item of %s, as $%s (its position as $%s), runs %s; each round's output is the next round's input.",
				in, f.ItemVar(), f.IndexVar(), stepRange(n.num, 0, len(t.Do))))
		}
		if t.While != "" {
			n.does = append(n.does, fmt.Sprintf("Before each round it checks %s, and stops when that is not true.", exprText(t.While)))
		}
	case workflows.KindFork:
		n.kind, n.slug, n.shape, n.label = "Fork", "fork", shapeFork, "Fork"
		if f := t.Fork; f != nil {
			k := len(f.Branches)
			branches := fmt.Sprintf("its %s (%s)", plural(k, "branch", "branches"), stepRange(n.num, 0, k))
			if f.Compete {
				n.label = fmt.Sprintf("Fork: first of %d to finish", k)
				n.does = append(n.does, "Runs "+branches+" at the same time; the first to finish wins and the others are cancelled.")
			} else {
				n.label = fmt.Sprintf("Fork: %s at once", plural(k, "branch", "branches"))
				n.does = append(n.does, "Runs "+branches+" at the same time, and goes on when all have finished.")
			}
		}
	case workflows.KindTry:
		n.kind, n.slug, n.shape, n.label = "Try", "try", shapeTry, "Try"
		b.describeTry(n, t)
	case workflows.KindSwitch:
		n.kind, n.slug, n.shape, n.label = "Switch", "switch", shapeSwitch, "Switch: first case that holds"
	case workflows.KindListen:
		n.kind, n.slug, n.shape = "Listen", "listen", shapeListen
		b.describeListen(n, t)
	case workflows.KindEmit:
		n.kind, n.slug, n.shape = "Emit", "emit", shapeEmit
		if t.Emit != nil {
			if typ, ok := t.Emit.Event.With["type"].(string); ok {
				n.does = append(n.does, "Publishes an event of type "+valueText(typ)+".")
			} else {
				n.does = append(n.does, "Publishes an event.")
			}
		}
	case workflows.KindWait:
		n.kind, n.slug = "Wait", "wait"
		if t.Wait != nil {
			d := durationText(t.Wait.Raw)
			n.label = "Wait " + d
			n.does = append(n.does, "Waits "+d+".")
		}
	case workflows.KindRaise:
		n.kind, n.slug = "Raise", "raise"
		if t.Raise != nil {
			n.does = append(n.does, b.raiseText(t.Raise.Error))
		}
	case workflows.KindRun:
		n.kind, n.slug, n.shape = "Run workflow", "run", shapeRun
		if r := t.Run; r != nil {
			if s := r.Workflow; s != nil {
				n.label = "Run workflow " + s.Name
				text := fmt.Sprintf("Runs workflow %s/%s version %s", s.Namespace, s.Name, s.Version)
				if r.Await != nil && !*r.Await {
					text += " and carries on without waiting for it"
				} else {
					text += " and waits for its output"
				}
				n.does = append(n.does, text+".")
			} else {
				n.does = append(n.does, "Runs a process COP does not run (only workflows).")
			}
		}
	case workflows.KindSet:
		n.kind, n.slug = "Set", "set"
		switch v := t.Set.(type) {
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			n.does = append(n.does, "Sets "+strings.Join(keys, ", ")+".")
		case string:
			n.does = append(n.does, "Sets the data to "+exprText(v)+".")
		default:
			n.does = append(n.does, "Sets the data.")
		}
	default:
		n.kind, n.slug = "Task", "task"
		n.does = append(n.does, "This task has no kind COP runs.")
	}
	if n.label == "" {
		n.label = n.kind
	}
	if t.If != "" {
		n.lines = append(n.lines, "Only if "+exprText(t.If))
	}
	if t.Timeout != nil {
		n.timeout = "If it has not finished after " + b.timeoutText(t.Timeout) + ", it stops with a timeout error."
	}
}

func (b *builder) describeCall(n *node, t *workflows.Task, depth int) {
	with := t.With
	switch t.Call {
	case workflows.FuncUserTask:
		b.userTask(n, with, "")
		return
	case workflows.FuncNotify:
		n.kind, n.slug = "Notify", "notify"
		if to := listText(with["to"]); to != "" {
			n.does = append(n.does, "Notifies "+to+".")
		} else {
			n.does = append(n.does, "Sends a notification.")
		}
		return
	case workflows.FuncLookup:
		n.kind, n.slug = "Look up", "lookup"
		set, key := valueText(with["refdata"]), valueText(with["key"])
		n.does = append(n.does, fmt.Sprintf("Looks up %s in the reference data %s.", orWord(key, "a key"), orWord(set, "(none named)")))
		return
	case "http":
		n.kind, n.slug = "Call HTTP", "http"
		method := strings.ToUpper(valueText(with["method"]))
		n.label = strings.TrimSpace("Call HTTP " + method)
		n.does = append(n.does, strings.Join(strings.Fields("Calls "+method+" "+endpointText(with["endpoint"])), " ")+".")
		return
	case "openapi":
		n.kind, n.slug = "Call OpenAPI", "openapi"
		op := valueText(with["operationId"])
		doc, _ := with["document"].(map[string]any)
		text := "Calls operation " + orWord(op, "(none named)")
		if e := endpointText(doc["endpoint"]); e != "" {
			text += " of the OpenAPI document at " + e
		}
		n.does = append(n.does, text+".")
		return
	}
	if fn := b.function(t.Call); fn != nil && depth == 0 {
		if fn.Kind == workflows.KindCall && fn.Call == workflows.FuncUserTask {
			b.userTask(n, fn.With, t.Call)
			return
		}
		inner := &node{task: fn}
		b.describeAt(inner, depth+1)
		n.kind, n.slug, n.label = "Call function", "function", "Call function "+t.Call
		n.does = append([]string{fmt.Sprintf("Calls function %s (%s).", t.Call, inner.kind)}, inner.does...)
		return
	}
	n.kind, n.slug, n.label = "Call", "call", "Call "+t.Call
	n.does = append(n.does, "Calls "+t.Call+".")
}

// function is the task of use.functions named name, if any.
func (b *builder) function(name string) *workflows.Task {
	if b.w.Use == nil {
		return nil
	}
	return b.w.Use.Functions[name]
}

// userTask describes a userTask call (fn: the function it is called
// through, if any).
func (b *builder) userTask(n *node, with map[string]any, fn string) {
	n.kind, n.slug, n.shape, n.label = "User task", "user-task", shapeUser, "User task"
	if fn != "" {
		n.does = append(n.does, "Calls function "+fn+", a user task.")
	}
	var form string
	if with["amend"] != nil {
		form, _ = b.w.Document.Metadata["startForm"].(string)
		text := "Returns the submission that started the workflow to whoever submitted it, to correct"
		if form != "" {
			text += " (form " + form + ")"
		}
		n.does = append(n.does, text+".")
		n.lines = append(n.lines, "Returns the start form to correct")
	} else if f, _ := with["form"].(string); f != "" {
		form = f
		name, version := workflows.SplitFormRef(f)
		text := "Form " + name + " " + version
		if version == "" {
			text = "Form " + name + " (latest version)"
		}
		var who []string
		if g := listText(with["candidateGroups"]); g != "" {
			who = append(who, "for "+g)
		}
		if a := valueText(with["assignee"]); a != "" {
			who = append(who, "assigned to "+a)
		}
		if len(who) > 0 {
			text += ", " + strings.Join(who, ", ")
		}
		n.does = append(n.does, text+".")
		n.lines = append(n.lines, "Form: "+f)
	}
	if p := valueText(with["priority"]); p != "" {
		n.does = append(n.does, "Priority "+p+".")
	}
	if d, ok := with["due"]; ok {
		n.does = append(n.does, "Due "+durationText(d)+" after it is created.")
	}
	if esc, ok := with["escalation"].(map[string]any); ok {
		text := "If still open after " + durationText(esc["after"]) + ", it is escalated"
		if p := valueText(esc["priority"]); p != "" {
			text += " to priority " + p
		}
		if to := listText(esc["to"]); to != "" {
			text += " and " + to + " are told it is overdue"
		}
		n.does = append(n.does, text+".")
	}
	if form != "" && b.opt.FormLink != nil {
		n.formHref = b.opt.FormLink(form)
	}
}

func (b *builder) describeTry(n *node, t *workflows.Task) {
	n.does = append(n.does, "Runs "+stepRange(n.num, 0, len(t.Try))+".")
	c := t.Catch
	if c == nil {
		n.catchLines = []string{"Catch: nothing"}
		return
	}
	filter := errorFilterText(c)
	n.catchLines = []string{"Catch: " + filter}
	text := "On " + filter
	retry := ""
	if c.Retry != nil {
		retry = b.retryText(c.Retry)
		n.catchLines = append(n.catchLines, "Retry: "+retry)
	}
	handler := stepRange(n.num, len(t.Try), len(c.Do))
	switch {
	case retry != "" && len(c.Do) > 0:
		text += ", the list runs again " + retry + "; if it still fails, runs " + handler + " instead."
	case retry != "":
		text += ", the list runs again " + retry + "; if it still fails, the error goes on up."
	case len(c.Do) > 0:
		text += ", runs " + handler + " instead."
	default:
		text += ", the error is swallowed and the task outputs its input."
	}
	n.does = append(n.does, text)
}

// errorFilterText says which errors a catch handles: "an error with status
// 404", "any error, when $error.status >= 500".
func errorFilterText(c *workflows.Catch) string {
	var parts []string
	if c.Errors != nil && c.Errors.With != nil {
		f := c.Errors.With
		if f.Type != "" {
			parts = append(parts, "of type "+shortErrorType(f.Type))
		}
		if f.Status != 0 {
			parts = append(parts, "with status "+strconv.Itoa(f.Status))
		}
		if f.Instance != "" {
			parts = append(parts, "at "+f.Instance)
		}
		if f.Title != "" {
			parts = append(parts, "titled "+strconv.Quote(f.Title))
		}
		if f.Details != "" {
			parts = append(parts, "with details "+strconv.Quote(f.Details))
		}
	}
	text := "any error"
	if len(parts) > 0 {
		text = "an error " + strings.Join(parts, ", ")
	}
	if c.When != "" {
		text += ", when " + exprText(c.When)
	}
	if c.ExceptWhen != "" {
		text += ", unless " + exprText(c.ExceptWhen)
	}
	return text
}

const (
	errorTypePrefix    = "https://serverlessworkflow.io/spec/1.0.0/errors/"
	altErrorTypePrefix = "https://serverlessworkflow.io/dsl/errors/types/"
)

// shortErrorType names a standard error type by its last word.
func shortErrorType(t string) string {
	for _, p := range []string{errorTypePrefix, altErrorTypePrefix} {
		if rest, ok := strings.CutPrefix(t, p); ok && rest != "" {
			return rest
		}
	}
	return t
}

// retryText says how a try list runs again: "up to 5 more times, 10
// seconds apart".
func (b *builder) retryText(r *workflows.RetryRef) string {
	p := r.Inline
	prefix := ""
	if p == nil {
		prefix = "as retry policy " + r.Name + " says"
		if b.w.Use != nil {
			p = b.w.Use.Retries[r.Name]
		}
		if p == nil {
			return prefix
		}
		prefix += ": "
	}
	var parts []string
	if l := p.Limit; l != nil && l.Attempt != nil && l.Attempt.Count != nil {
		parts = append(parts, "up to "+plural(*l.Attempt.Count, "more time", "more times"))
	}
	if p.Delay != nil {
		d := durationText(p.Delay.Raw) + " apart"
		if bo := p.Backoff; bo != nil {
			switch {
			case bo.Exponential != nil:
				d += " (doubling each time)"
			case bo.Linear != nil:
				d += " (growing each time)"
			}
		}
		parts = append(parts, d)
	}
	if l := p.Limit; l != nil && l.Duration != nil {
		parts = append(parts, "for at most "+durationText(l.Duration.Raw))
	}
	if p.When != "" {
		parts = append(parts, "when "+exprText(p.When))
	}
	if p.ExceptWhen != "" {
		parts = append(parts, "unless "+exprText(p.ExceptWhen))
	}
	if len(parts) == 0 {
		parts = append(parts, "as it is retried")
	}
	return prefix + strings.Join(parts, ", ")
}

func (b *builder) raiseText(e workflows.ErrorRef) string {
	def := e.Inline
	text := "Raises an error"
	if def == nil {
		text = "Raises the error " + e.Name
		if b.w.Use != nil {
			def = b.w.Use.Errors[e.Name]
		}
	}
	if def == nil {
		return text + "."
	}
	var parts []string
	if def.Title != "" {
		parts = append(parts, valueText(def.Title))
	}
	if def.Type != "" {
		parts = append(parts, "type "+shortErrorType(valueText(def.Type)))
	}
	if s := valueText(def.Status); s != "" {
		parts = append(parts, "status "+s)
	}
	if len(parts) == 0 {
		return text + "."
	}
	return text + ": " + strings.Join(parts, ", ") + "."
}

func (b *builder) describeListen(n *node, t *workflows.Task) {
	if t.Listen == nil {
		return
	}
	to := t.Listen.To
	var text string
	switch {
	case to.One != nil:
		n.label = "Listen for one event"
		text = "Waits for one event: " + eventFilterText(to.One) + "."
	case to.All != nil:
		n.label = fmt.Sprintf("Listen for all of %s", plural(len(to.All), "event", "events"))
		text = "Waits for an event matching each of these, in any order: " + eventFiltersText(to.All) + "."
	case to.Any != nil && len(to.Any) == 0:
		n.label = "Listen for any event"
		text = "Waits for the next event of any kind."
	case to.Any != nil:
		n.label = fmt.Sprintf("Listen for any of %s", plural(len(to.Any), "event", "events"))
		text = "Waits for an event matching any of these: " + eventFiltersText(to.Any) + "."
	default:
		text = "Waits for events."
	}
	n.does = append(n.does, text)
	if len(to.Until) > 0 {
		var s string
		if json.Unmarshal(to.Until, &s) == nil {
			n.does = append(n.does, "It goes on taking events until "+exprText(s)+".")
		}
	}
}

func eventFiltersText(fs []*workflows.EventFilter) string {
	parts := make([]string, 0, len(fs))
	for _, f := range fs {
		parts = append(parts, eventFilterText(f))
	}
	return strings.Join(parts, "; ")
}

// eventFilterText says which events a filter matches: "type X, source Y,
// correlated on target".
func eventFilterText(f *workflows.EventFilter) string {
	if f == nil {
		return "any event"
	}
	keys := make([]string, 0, len(f.With))
	for k := range f.With {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		ri, rj := attrRank(keys[i]), attrRank(keys[j])
		if ri != rj {
			return ri < rj
		}
		return keys[i] < keys[j]
	})
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+" "+valueText(f.With[k]))
	}
	if len(f.Correlate) > 0 {
		names := make([]string, 0, len(f.Correlate))
		for k := range f.Correlate {
			names = append(names, k)
		}
		sort.Strings(names)
		parts = append(parts, "correlated on "+strings.Join(names, ", "))
	}
	if len(parts) == 0 {
		return "any event"
	}
	return strings.Join(parts, ", ")
}

// attrRank puts an event's most telling attributes first.
func attrRank(k string) int {
	switch k {
	case "type":
		return 0
	case "source":
		return 1
	case "subject":
		return 2
	}
	return 3
}

func (b *builder) timeoutText(r *workflows.TimeoutRef) string {
	if r.Inline != nil {
		return durationText(r.Inline.After.Raw)
	}
	if b.w.Use != nil {
		if t := b.w.Use.Timeouts[r.Name]; t != nil {
			return durationText(t.After.Raw) + " (timeout " + r.Name + ")"
		}
	}
	return "timeout " + r.Name
}

// stepRange names count steps numbered after from under num: "steps 2.1
// to 2.3", "step 2.1", "no steps".
func stepRange(num string, from, count int) string {
	if num == "" {
		return plural(count, "step", "steps")
	}
	switch count {
	case 0:
		return "no steps"
	case 1:
		return fmt.Sprintf("step %s.%d", num, from+1)
	}
	return fmt.Sprintf("steps %s.%d to %s.%d", num, from+1, num, from+count)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func orWord(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// exprText is an expression as an author reads it: without ${ }.
func exprText(s string) string { return workflows.ExpressionBody(s) }

// valueText writes a value from the document: a string as it is (an
// expression without ${ }), a whole number without a fraction, anything
// else as compact JSON.
func valueText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		if workflows.IsExpression(x) {
			return exprText(x)
		}
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	js, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(js)
}

// listText writes a list of entries "a, b, c" (or one value).
func listText(v any) string {
	items, ok := v.([]any)
	if !ok {
		return valueText(v)
	}
	parts := make([]string, 0, len(items))
	for _, it := range items {
		if s := valueText(it); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ", ")
}

// endpointText is a call's endpoint: a URI, or {uri}.
func endpointText(v any) string {
	if m, ok := v.(map[string]any); ok {
		return valueText(m["uri"])
	}
	return valueText(v)
}

// durationText writes a duration as people say it: "4 hours", "1 day 12
// hours"; an expression as written.
func durationText(v any) string {
	if s, ok := v.(string); ok && workflows.IsExpression(s) {
		return "the duration " + exprText(s)
	}
	d, err := workflows.ParseDuration(v)
	if err != nil {
		return valueText(v)
	}
	return humanDuration(d)
}

func humanDuration(d time.Duration) string {
	if d <= 0 {
		return "no time"
	}
	var parts []string
	for _, u := range []struct {
		d         time.Duration
		one, many string
	}{{24 * time.Hour, "day", "days"}, {time.Hour, "hour", "hours"}, {time.Minute, "minute", "minutes"}} {
		if k := d / u.d; k > 0 {
			parts = append(parts, plural(int(k), u.one, u.many))
			d -= k * u.d
		}
	}
	if d > 0 {
		s := d.Seconds()
		if s == 1 {
			parts = append(parts, "1 second")
		} else {
			parts = append(parts, strconv.FormatFloat(s, 'f', -1, 64)+" seconds")
		}
	}
	return strings.Join(parts, " ")
}
