package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"cop/workflows"
)

// execute runs the task itself on its transformed input and returns its raw
// output and, for switch, the then it chose.
func (r *run) execute(ctx workflow.Context, t *workflows.Task, ptr string, in any, vars, scope workflows.Vars) (any, string, error) {
	switch t.Kind {
	case workflows.KindSet:
		out, err := r.eval(t.Set, in, vars, ptr+"/set", isString(t.Set))
		return out, "", err
	case workflows.KindDo:
		out, end, err := r.runList(ctx, t.Do, ptr+"/do", in, scope)
		return out, endThen(end), err
	case workflows.KindSwitch:
		then, err := r.switchTask(t, ptr, in, vars)
		return in, then, err
	case workflows.KindFor:
		return r.forTask(ctx, t, ptr, in, vars, scope)
	case workflows.KindFork:
		return r.forkTask(ctx, t, ptr, in, scope)
	case workflows.KindTry:
		return r.tryTask(ctx, t, ptr, in, vars, scope)
	case workflows.KindRaise:
		return nil, "", r.raise(t.Raise, ptr, in, vars)
	case workflows.KindWait:
		d, err := r.duration(t.Wait, in, vars)
		if err != nil {
			return nil, "", err
		}
		before := r.waiting(ctx)
		err = workflow.Sleep(ctx, d)
		r.waited(before)
		return in, "", err
	case workflows.KindEmit:
		out, err := r.emit(ctx, t, ptr, in, vars)
		return out, "", err
	case workflows.KindListen:
		out, err := r.listen(ctx, t.Listen, ptr, in, vars)
		return out, "", err
	case workflows.KindRun:
		out, err := r.runWorkflow(ctx, t.Run, ptr, in, vars)
		return out, "", err
	case workflows.KindCall:
		out, err := r.call(ctx, t, ptr, in, vars, scope)
		return out, "", err
	}
	return nil, "", workflows.NewError(workflows.ErrConfiguration, "Unsupported task", "the task has no kind COP runs")
}

func isString(v any) bool { _, ok := v.(string); return ok }

func endThen(end bool) string {
	if end {
		return "end"
	}
	return ""
}

func (r *run) switchTask(t *workflows.Task, ptr string, in any, vars workflows.Vars) (string, error) {
	def := ""
	for i, c := range t.Switch {
		if c.When == "" {
			def = c.Then
			continue
		}
		ok, err := r.eval(c.When, in, vars, fmt.Sprintf("%s/switch/%d/%s/when", ptr, i, workflows.EscapeToken(c.Name)), true)
		if err != nil {
			return "", err
		}
		if truthy(ok) {
			return c.Then, nil
		}
	}
	return def, nil
}

func (r *run) forTask(ctx workflow.Context, t *workflows.Task, ptr string, in any, vars, scope workflows.Vars) (any, string, error) {
	cur, first := in, 0
	var items []any
	resumed := r.resumeFrame(frameFor)
	if resumed != nil {
		items, first, cur = resumed.Items, resumed.Index, resumed.Data
	} else {
		coll, err := r.eval(t.For.In, in, vars, ptr+"/for/in", true)
		if err != nil {
			return nil, "", err
		}
		if items, err = iterable(coll); err != nil {
			e := workflows.NewError(workflows.ErrExpression, "Cannot iterate", "%v", err)
			e.Instance = ptr + "/for/in"
			return nil, "", e
		}
	}
	for i := first; i < len(items); i++ {
		item := items[i]
		inner := workflows.Vars{}
		for k, v := range scope {
			inner[k] = v
		}
		inner[t.For.ItemVar()], inner[t.For.IndexVar()] = item, i
		// A resumed iteration was already admitted by while.
		if t.While != "" && !(resumed != nil && i == first) {
			ok, err := r.eval(t.While, cur, r.vars(vars["task"].(map[string]any), withInput(inner, cur)), ptr+"/while", true)
			if err != nil {
				return nil, "", err
			}
			if !truthy(ok) {
				break
			}
		}
		out, end, err := r.runList(ctx, t.Do, ptr+"/do", cur, inner)
		if err != nil {
			return nil, "", stopped(err, Frame{Kind: frameFor, Index: i, Items: items, Data: cur})
		}
		cur = out
		if end {
			return cur, "end", nil
		}
	}
	return cur, "", nil
}

func iterable(v any) ([]any, error) {
	switch c := v.(type) {
	case nil:
		return nil, nil
	case []any:
		return c, nil
	case map[string]any:
		keys := make([]string, 0, len(c))
		for k := range c {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make([]any, len(keys))
		for i, k := range keys {
			out[i] = c[k]
		}
		return out, nil
	}
	return nil, fmt.Errorf("for.in must give an array, not %T", v)
}

// forkTask runs each branch in its own coroutine. Without compete the
// output is every branch's output in declaration order; with compete it is
// the first branch to complete, and the others are cancelled.
func (r *run) forkTask(ctx workflow.Context, t *workflows.Task, ptr string, in any, scope workflows.Vars) (any, string, error) {
	branches := t.Fork.Branches
	child, cancel := workflow.WithCancel(ctx)
	defer cancel()
	type result struct {
		i   int
		out any
		err error
	}
	done := workflow.NewChannel(ctx)
	child = noContinue(child)
	for i, b := range branches {
		i, b := i, b
		workflow.Go(child, func(c workflow.Context) {
			out, _, err := r.runTask(c, b, fmt.Sprintf("%s/fork/branches/%d/%s", ptr, i, workflows.EscapeToken(b.Name)), in, scope)
			done.Send(c, result{i, out, err})
		})
	}
	outs := make([]any, len(branches))
	var firstErr error
	for range branches {
		var res result
		done.Receive(ctx, &res)
		if res.err != nil && !temporal.IsCanceledError(res.err) && firstErr == nil {
			firstErr = res.err
			cancel()
		}
		if res.err == nil && t.Fork.Compete {
			cancel()
			return res.out, "", nil
		}
		outs[res.i] = res.out
	}
	if firstErr != nil {
		return nil, "", firstErr
	}
	return outs, "", nil
}

// tryTask runs the try list, and on an error the catch selects, retries it
// as the retry policy allows, then runs catch.do.
func (r *run) tryTask(ctx workflow.Context, t *workflows.Task, ptr string, in any, vars, scope workflows.Vars) (any, string, error) {
	c := t.Catch
	started := workflow.Now(ctx)
	var policy *workflows.RetryPolicy
	if c != nil && c.Retry != nil {
		if policy = c.Retry.Inline; policy == nil {
			policy = r.use().Retries[c.Retry.Name]
		}
	}
	attempt := 1
	var deadline *time.Time
	visits := r.visitsUnder(ptr + "/try/") // the call counts every attempt starts from
	if resumed := r.resumeFrame(frameTry); resumed != nil {
		attempt, started, deadline, visits = resumed.Index, resumed.StartedAt, resumed.Deadline, resumed.Visits
		if resumed.InCatch {
			return r.catchDo(ctx, c, ptr, in, scope, resumed.Error, Frame{Kind: frameTry, Index: attempt, StartedAt: started})
		}
	}
	for first := true; ; attempt++ {
		if !first {
			r.restoreVisits(ptr+"/try/", visits) // a retry makes the same calls again
		}
		first = false
		here := Frame{Kind: frameTry, Index: attempt, StartedAt: started, Visits: visits}
		out, end, err := r.attempt(ctx, t, policy, ptr, in, vars, scope, deadline, &here)
		deadline = nil // only the resumed attempt keeps its deadline
		if err == nil {
			return out, endThen(end), nil
		}
		if isContinue(err) {
			return nil, "", stopped(err, here)
		}
		rerr, ok := err.(*workflows.RuntimeError)
		if !ok || c == nil {
			return nil, "", err
		}
		ev := r.vars(vars["task"].(map[string]any), withInput(errorScope(scope, c, rerr), in))
		caught, cerr := r.catches(c, rerr, ev, ptr)
		if cerr != nil {
			return nil, "", cerr
		}
		if !caught {
			return nil, "", err
		}
		if c.Retry != nil {
			delay, again, perr := r.retryDelay(ctx, policy, attempt, started, rerr, ev, in)
			if perr != nil {
				return nil, "", perr
			}
			if again {
				before := r.waiting(ctx)
				if delay > 0 {
					if err := workflow.Sleep(ctx, delay); err != nil {
						return nil, "", err
					}
				}
				r.waited(before)
				continue
			}
			if len(c.Do) == 0 {
				return nil, "", err // retries exhausted and nothing handles it
			}
		}
		if len(c.Do) == 0 {
			return in, "", nil
		}
		return r.catchDo(ctx, c, ptr, in, scope, rerr, Frame{Kind: frameTry, Index: attempt, StartedAt: started})
	}
}

// errorScope is scope with the caught error under catch.as.
func errorScope(scope workflows.Vars, c *workflows.Catch, rerr *workflows.RuntimeError) workflows.Vars {
	out := maps.Clone(scope)
	if out == nil {
		out = workflows.Vars{}
	}
	out[c.ErrorVar()] = rerr.AsMap()
	return out
}

// visitsUnder copies the call counts of the positions under prefix.
func (r *run) visitsUnder(prefix string) map[string]int {
	out := map[string]int{}
	for k, v := range r.visits {
		if strings.HasPrefix(k, prefix) {
			out[k] = v
		}
	}
	return out
}

// restoreVisits sets the call counts under prefix back to saved.
func (r *run) restoreVisits(prefix string, saved map[string]int) {
	for k := range r.visits {
		if strings.HasPrefix(k, prefix) {
			delete(r.visits, k)
		}
	}
	for k, v := range saved {
		r.visits[k] = v
	}
}

// catchDo runs catch.do on the caught error.
func (r *run) catchDo(ctx workflow.Context, c *workflows.Catch, ptr string, in any, scope workflows.Vars, rerr *workflows.RuntimeError, here Frame) (any, string, error) {
	errScope := errorScope(scope, c, rerr)
	// Each task of catch.do has its own $input (its input, as in any
	// list); before changeCatchInput every one saw the try's.
	doScope := errScope
	if workflow.GetVersion(ctx, changeCatchInput, workflow.DefaultVersion, 1) < 1 {
		doScope = withInput(errScope, in)
	}
	out, end, err := r.runList(ctx, c.Do, ptr+"/catch/do", in, doScope)
	if err != nil {
		here.InCatch, here.Error = true, rerr
		return nil, "", stopped(err, here)
	}
	return out, endThen(end), nil
}

// attempt runs the try list once; when the retry policy limits each
// attempt (limit.attempt.duration), an attempt that outlives it ends with
// a timeout error at the try list, which the catch may retry. deadline is
// a resumed attempt's; here records the one used.
func (r *run) attempt(ctx workflow.Context, t *workflows.Task, p *workflows.RetryPolicy, ptr string, in any, vars, scope workflows.Vars, deadline *time.Time, here *Frame) (any, bool, error) {
	var limit *workflows.Duration
	if p != nil && p.Limit != nil && p.Limit.Attempt != nil {
		limit = p.Limit.Attempt.Duration
	}
	if limit == nil || workflow.GetVersion(ctx, changeAttemptDuration, workflow.DefaultVersion, 1) < 1 {
		return r.runList(ctx, t.Try, ptr+"/try", in, scope)
	}
	var d time.Duration
	if deadline != nil {
		d = deadline.Sub(workflow.Now(ctx))
	} else {
		var err error
		if d, err = r.duration(limit, in, vars); err != nil {
			return nil, false, err
		}
	}
	at := workflow.Now(ctx).Add(d)
	here.Deadline = &at
	var out any
	var end bool
	err := r.withTimeout(ctx, d, ptr+"/try", func(ctx workflow.Context) error {
		var err error
		out, end, err = r.runList(ctx, t.Try, ptr+"/try", in, scope)
		return err
	})
	return out, end, err
}

func (r *run) catches(c *workflows.Catch, e *workflows.RuntimeError, vars workflows.Vars, ptr string) (bool, error) {
	if c.Errors != nil && !c.Errors.With.Matches(e) {
		return false, nil
	}
	if c.When != "" {
		ok, err := r.eval(c.When, vars["input"], vars, ptr+"/catch/when", true)
		if err != nil || !truthy(ok) {
			return false, err
		}
	}
	if c.ExceptWhen != "" {
		ok, err := r.eval(c.ExceptWhen, vars["input"], vars, ptr+"/catch/exceptWhen", true)
		if err != nil || truthy(ok) {
			return false, err
		}
	}
	return true, nil
}

// retryDelay decides whether attempt (1 = the first run) may be followed by
// another and after how long. limit.attempt.count counts retries, not the
// first run; backoff multiplies delay by 1 (constant), n (linear) or 2^(n-1)
// (exponential); jitter adds a random duration drawn through SideEffect so
// replay sees the same one.
func (r *run) retryDelay(ctx workflow.Context, p *workflows.RetryPolicy, attempt int, started time.Time, e *workflows.RuntimeError, vars workflows.Vars, in any) (time.Duration, bool, error) {
	if p == nil {
		return 0, false, nil
	}
	rv := workflows.Vars{}
	for k, v := range vars {
		rv[k] = v
	}
	rv["error"] = e.AsMap()
	r.tick()
	if p.When != "" {
		ok, err := r.exprs.Run(p.When, in, rv)
		if err != nil {
			return 0, false, exprFailure(err, "")
		}
		if !truthy(ok) {
			return 0, false, nil
		}
	}
	if p.ExceptWhen != "" {
		ok, err := r.exprs.Run(p.ExceptWhen, in, rv)
		if err != nil {
			return 0, false, exprFailure(err, "")
		}
		if truthy(ok) {
			return 0, false, nil
		}
	}
	if l := p.Limit; l != nil {
		if l.Attempt != nil && l.Attempt.Count != nil && attempt > *l.Attempt.Count {
			return 0, false, nil
		}
		if l.Duration != nil {
			max, err := r.duration(l.Duration, in, vars)
			if err != nil {
				return 0, false, err
			}
			if workflow.Now(ctx).Sub(started) >= max {
				return 0, false, nil
			}
		}
	}
	var delay time.Duration
	if p.Delay != nil {
		d, err := r.duration(p.Delay, in, vars)
		if err != nil {
			return 0, false, err
		}
		delay = d
	}
	if b := p.Backoff; b != nil {
		switch {
		case b.Linear != nil:
			delay *= time.Duration(attempt)
		case b.Exponential != nil:
			delay = time.Duration(float64(delay) * math.Pow(2, float64(attempt-1)))
		}
	}
	if j := p.Jitter; j != nil {
		from, err := r.duration(&j.From, in, vars)
		if err != nil {
			return 0, false, err
		}
		to, err := r.duration(&j.To, in, vars)
		if err != nil {
			return 0, false, err
		}
		if to > from {
			var extra time.Duration
			_ = workflow.SideEffect(ctx, func(workflow.Context) any {
				return from + time.Duration(rand.Int63n(int64(to-from)))
			}).Get(&extra)
			delay += extra
		}
	}
	if delay > workflows.MaxDuration {
		delay = workflows.MaxDuration
	}
	return delay, true, nil
}

func (r *run) raise(rs *workflows.Raise, ptr string, in any, vars workflows.Vars) error {
	def := rs.Error.Inline
	if def == nil {
		def = r.use().Errors[rs.Error.Name]
	}
	if def == nil {
		return workflows.NewError(workflows.ErrConfiguration, "Unknown error", "error %q is not defined in use.errors", rs.Error.Name)
	}
	text := func(v string, field string) (string, error) {
		out, err := r.eval(v, in, vars, ptr+"/raise/error/"+field, false)
		if err != nil {
			return "", err
		}
		if s, ok := out.(string); ok {
			return s, nil
		}
		b, _ := json.Marshal(out)
		return string(b), nil
	}
	e := &workflows.RuntimeError{}
	var err error
	if e.Type, err = text(def.Type, "type"); err != nil {
		return err
	}
	if e.Title, err = text(def.Title, "title"); err != nil {
		return err
	}
	if e.Detail, err = text(def.Detail, "detail"); err != nil {
		return err
	}
	if e.Instance, err = text(def.Instance, "instance"); err != nil {
		return err
	}
	status, err := r.eval(def.Status, in, vars, ptr+"/raise/error/status", false)
	if err != nil {
		return err
	}
	e.Status = toInt(status)
	if e.Instance == "" {
		e.Instance = ptr
	}
	return e
}

func toInt(v any) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case int:
		return n
	case string:
		i, _ := strconv.Atoi(n)
		return i
	}
	return 0
}

// emit builds the CloudEvent (id, time and specversion filled in), hands it
// to the platform, and outputs it.
func (r *run) emit(ctx workflow.Context, t *workflows.Task, ptr string, in any, vars workflows.Vars) (any, error) {
	v, err := r.eval(t.Emit.Event.With, in, vars, ptr+"/emit/event/with", false)
	if err != nil {
		return nil, err
	}
	ev, _ := v.(map[string]any)
	if ev == nil {
		ev = map[string]any{}
	}
	if _, ok := ev["id"]; !ok {
		var id string
		_ = workflow.SideEffect(ctx, func(workflow.Context) any { return newID() }).Get(&id)
		ev["id"] = id
	}
	if _, ok := ev["time"]; !ok {
		ev["time"] = workflow.Now(ctx).UTC().Format(time.RFC3339Nano)
	}
	ev["specversion"] = "1.0"
	if _, ok := ev["datacontenttype"]; !ok && ev["data"] != nil {
		ev["datacontenttype"] = "application/json"
	}
	if err := r.activity(ctx, activityEmit, nil, EmitRequest{Instance: workflow.GetInfo(ctx).WorkflowExecution.ID, CaseKey: r.start.CaseKey, Event: ev}, nil); err != nil {
		return nil, err
	}
	return ev, nil
}

// eventFilter is a listen filter with its expressions evaluated: attrs
// are compared with each event's attributes; data, when the filter's data
// was written as an expression, is a predicate on each event's data.
type eventFilter struct {
	attrs map[string]any
	data  string
	// correlate are the filter's correlations (workflows.Correlation),
	// their expected values evaluated when the listen began.
	correlate []correlation
}

// correlation is one value an event must carry: from, read off the event,
// equal to expect; with no expect, equal to what the first event this
// listen took gave.
type correlation struct {
	name, from string
	expect     any
	known      bool
}

// listen waits for events delivered to the instance (SignalEvent) that
// match the filters; events that arrived earlier wait in a buffer.
func (r *run) listen(ctx workflow.Context, l *workflows.Listen, ptr string, in any, vars workflows.Vars) (any, error) {
	to := l.To
	var filters []eventFilter
	for _, f := range append(append(oneOf(to.One), to.All...), to.Any...) {
		with := f.With
		data, isExpr := with["data"].(string)
		isExpr = isExpr && workflows.IsExpression(data)
		if isExpr && r.listenVersion(ctx) >= 1 {
			with = maps.Clone(with)
			delete(with, "data")
		} else {
			data = ""
		}
		v, err := r.eval(with, in, vars, ptr+"/listen/to", false)
		if err != nil {
			return nil, err
		}
		m, _ := v.(map[string]any)
		cs, err := r.correlations(f.Correlate, in, vars, ptr+"/listen/to")
		if err != nil {
			return nil, err
		}
		filters = append(filters, eventFilter{attrs: m, data: data, correlate: cs})
	}
	var until string
	if len(to.Until) > 0 {
		_ = json.Unmarshal(to.Until, &until)
	}
	read := l.Read
	if read == "raw" && r.listenVersion(ctx) < 1 {
		read = "data" // as instances that ran before changeListenData read it
	}
	// Correlations' values for this listen alone: what expect says from the
	// start, else what the first event taken carried.
	seen := map[string]any{}
	for _, f := range filters {
		for _, c := range f.correlate {
			if _, ok := seen[c.name]; c.known && !ok {
				seen[c.name] = c.expect
			}
		}
	}
	act, err := r.beginWait(ctx, ptr, to, filters, until, seen)
	if err != nil {
		r.endWait(ctx, act) // the wait may be recorded though the listen was cancelled
		return nil, err
	}
	out, err := r.awaitEvents(ctx, to, filters, until, read, seen, vars, ptr)
	r.endWait(ctx, act)
	return out, err
}

// awaitEvents takes buffered and arriving events until the listen's
// strategy is satisfied.
func (r *run) awaitEvents(ctx workflow.Context, to workflows.EventConsumption, filters []eventFilter, until, read string, seen map[string]any, vars workflows.Vars, ptr string) (any, error) {
	var consumed []any
	pending := filters
	for {
		ev, idx, err := r.takeEvent(ctx, pending, to.Any != nil && len(to.Any) == 0, seen, vars, ptr+"/listen/to")
		if err != nil {
			return nil, err
		}
		if ev == nil {
			if err := r.receiveEvent(ctx); err != nil {
				return nil, err
			}
			continue
		}
		consumed = append(consumed, readEvent(ev, read))
		switch {
		case to.All != nil:
			pending = append(pending[:idx:idx], pending[idx+1:]...)
			if len(pending) == 0 {
				return consumed, nil
			}
		case to.Any != nil && until != "":
			ok, err := r.eval(until, consumed, vars, ptr+"/listen/to/until", true)
			if err != nil {
				return nil, err
			}
			if truthy(ok) {
				return consumed[:len(consumed)-1], nil
			}
		default:
			return consumed, nil
		}
	}
}

// beginWait tells the platform that a tracked instance waits in this
// listen, so that events sent to COP find it (and those kept for it are
// sent it). It returns the wait's activation ("" when the instance is not
// tracked, or began before the change), even when telling failed.
func (r *run) beginWait(ctx workflow.Context, ptr string, to workflows.EventConsumption, filters []eventFilter, until string, seen map[string]any) (string, error) {
	if !r.start.Tracked || workflow.GetVersion(ctx, changeListenRoute, workflow.DefaultVersion, 1) < 1 {
		return "", nil
	}
	r.waits++
	act := workflow.GetInfo(ctx).WorkflowExecution.RunID + ptr + "#" + strconv.Itoa(r.waits)
	w := workflows.Waiting{Mode: workflows.WaitOne, Seen: seen}
	switch {
	case to.All != nil:
		w.Mode = workflows.WaitAll
	case to.Any != nil && until != "":
		w.Mode = workflows.WaitUntil
	}
	for _, f := range filters {
		wf := workflows.WaitingFilter{With: f.attrs, Data: f.data}
		for _, c := range f.correlate {
			wf.Correlate = append(wf.Correlate, workflows.WaitingCorrelation{Name: c.name, From: c.from, Expect: c.expect, Known: c.known})
		}
		w.Filters = append(w.Filters, wf)
	}
	req := ListenRequest{Instance: workflow.GetInfo(ctx).WorkflowExecution.ID, Activation: act, Position: ptr, Waiting: w}
	return act, r.activity(ctx, activityListenStarted, nil, req, nil)
}

// endWait tells the platform the listen no longer waits, however it
// ended (a cancelled listen too). A failure is logged: the instance's
// end forgets its waits as well.
func (r *run) endWait(ctx workflow.Context, act string) {
	if act == "" {
		return
	}
	if ctx.Err() != nil {
		ctx, _ = workflow.NewDisconnectedContext(ctx)
	}
	end := ListenEnd{Instance: workflow.GetInfo(ctx).WorkflowExecution.ID, Activation: act}
	if err := r.activity(ctx, activityListenEnded, nil, end, nil); err != nil {
		workflow.GetLogger(ctx).Warn("could not end a listen's wait", "activation", act, "err", err)
	}
}

// listenVersion is changeListenData's version for this run, asked only
// by listen tasks that use what the change altered.
func (r *run) listenVersion(ctx workflow.Context) workflow.Version {
	return workflow.GetVersion(ctx, changeListenData, workflow.DefaultVersion, 1)
}

func oneOf(f *workflows.EventFilter) []*workflows.EventFilter {
	if f == nil {
		return nil
	}
	return []*workflows.EventFilter{f}
}

// receiveEvent blocks until one more event arrives or the task is
// cancelled (a channel's Receive alone would not notice cancellation).
func (r *run) receiveEvent(ctx workflow.Context) error {
	var ev map[string]any
	before := r.waiting(ctx)
	sel := workflow.NewSelector(ctx)
	sel.AddReceive(r.eventsIn, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, &ev) })
	sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {})
	sel.Select(ctx)
	r.waited(before)
	if ctx.Err() != nil {
		return temporal.NewCanceledError()
	}
	if ev != nil {
		r.bufferEvent(ctx, ev)
	}
	return nil
}

func (r *run) drainEvents(ctx workflow.Context) {
	for {
		var ev map[string]any
		if !r.eventsIn.ReceiveAsync(&ev) {
			return
		}
		r.bufferEvent(ctx, ev)
	}
}

// takeEvent removes and returns the first buffered event matching one of
// filters, with the filter's index.
func (r *run) takeEvent(ctx workflow.Context, filters []eventFilter, anyEvent bool, seen map[string]any, vars workflows.Vars, ptr string) (map[string]any, int, error) {
	r.drainEvents(ctx)
	r.pruneEvents(ctx) // what expired while the instance did other things
	for i, b := range r.events {
		ev := b.Event
		if anyEvent {
			r.events = append(r.events[:i:i], r.events[i+1:]...)
			return ev, 0, nil
		}
		for fi, f := range filters {
			ok, err := r.eventMatches(ev, f, vars, ptr)
			if err != nil {
				return nil, 0, err
			}
			if !ok {
				continue
			}
			first, ok, err := r.correlates(ev, f.correlate, seen, vars, ptr)
			if err != nil {
				return nil, 0, err
			}
			if ok {
				maps.Copy(seen, first)
				r.events = append(r.events[:i:i], r.events[i+1:]...)
				return ev, fi, nil
			}
		}
	}
	return nil, -1, nil
}

// eventMatches applies a filter to an event: its attributes, then its
// data predicate on the event's data. A predicate that fails on an event
// (a field of the wrong type) does not match it; running out of the work
// budget still faults.
func (r *run) eventMatches(ev map[string]any, f eventFilter, vars workflows.Vars, ptr string) (bool, error) {
	if !workflows.EventMatches(ev, f.attrs) {
		return false, nil
	}
	if f.data == "" {
		return true, nil
	}
	ok, err := r.eval(f.data, ev["data"], vars, ptr+"/with/data", true)
	var runaway *errRunaway
	if errors.As(err, &runaway) {
		return false, err
	}
	return err == nil && truthy(ok), nil
}

// readEvent reads a consumed event as listen.read says: its data (the
// default), the whole envelope, or its data as sent (raw): the base64 of
// binary data, text as text, and anything else as its JSON text.
func readEvent(ev map[string]any, read string) any {
	switch read {
	case "envelope":
		return ev
	case "raw":
		if b64, ok := ev["data_base64"].(string); ok {
			return b64
		}
		switch d := ev["data"].(type) {
		case nil:
			return nil
		case string:
			return d
		default:
			b, _ := json.Marshal(d)
			return string(b)
		}
	}
	return ev["data"]
}

// runWorkflow starts the pinned sub-workflow as a child workflow.
func (r *run) runWorkflow(ctx workflow.Context, run *workflows.Run, ptr string, in any, vars workflows.Vars) (any, error) {
	sub := run.Workflow
	if sub == nil {
		return nil, workflows.NewError(workflows.ErrConfiguration, "Unsupported process", "COP runs only workflows")
	}
	key := SubWorkflowKey(sub.Namespace, sub.Name, sub.Version)
	def, ok := r.start.Workflows[key]
	if !ok {
		return nil, workflows.NewError(workflows.ErrConfiguration, "Workflow not pinned", "workflow %s was not pinned when this instance started", key)
	}
	input := in
	if sub.Input != nil {
		v, err := r.eval(sub.Input, in, vars, ptr+"/run/workflow/input", false)
		if err != nil {
			return nil, err
		}
		input = v
	}
	childStart := Start{Definition: def, Input: input, CaseKey: r.start.CaseKey, StartedBy: r.start.StartedBy}
	childStart.Workflows, childStart.Forms = r.bundleFor(def)
	if err := checkPayload("the start of workflow "+key, childStart); err != nil {
		return nil, err
	}
	childID := workflow.GetInfo(ctx).WorkflowExecution.ID + "/" + strings.TrimPrefix(ptr, "/")
	if workflow.GetVersion(ctx, changeChildIDs, workflow.DefaultVersion, 1) >= 1 {
		// A run task in a loop may start a child while the last still runs.
		r.children++
		childID += "#" + strconv.Itoa(r.children)
	}
	opts := workflow.ChildWorkflowOptions{WorkflowID: childID}
	await := run.Await == nil || *run.Await
	if !await {
		opts.ParentClosePolicy = enumspb.PARENT_CLOSE_POLICY_ABANDON // the child outlives its parent
	}
	cctx := workflow.WithChildOptions(ctx, opts)
	before := r.waiting(ctx)
	f := workflow.ExecuteChildWorkflow(cctx, WorkflowType(sub.Namespace, sub.Name), childStart)
	if !await {
		err := f.GetChildWorkflowExecution().Get(ctx, nil)
		r.waited(before)
		return in, err
	}
	var res Result
	err := f.Get(ctx, &res)
	r.waited(before)
	if err != nil {
		return nil, childError(err)
	}
	ret := run.Return
	if ret == "all" || ret == "none" {
		if workflow.GetVersion(ctx, changeRunReturn, workflow.DefaultVersion, 1) < 1 {
			ret = "stdout" // as instances that ran before the change read it
		}
	}
	switch ret {
	case "all":
		// A workflow's process result: it ran to completion (code 0), its
		// output is what it wrote, and it writes nothing else.
		return map[string]any{"code": 0, "stdout": res.Output, "stderr": ""}, nil
	case "none":
		return nil, nil
	}
	return res.Output, nil
}

// bundleFor picks, from what this instance pinned, the sub-workflows and
// forms a child with definition def uses, its own children's included:
// a child is sent only what it uses.
func (r *run) bundleFor(def json.RawMessage) (map[string]json.RawMessage, map[string]PinnedForm) {
	subs, forms := map[string]json.RawMessage{}, map[string]PinnedForm{}
	var walk func(def json.RawMessage)
	walk = func(def json.RawMessage) {
		w, err := workflows.Decode(def)
		if err != nil {
			return
		}
		refs := workflows.Refs(w)
		for _, f := range refs.Forms {
			if pf, ok := r.start.Forms[f]; ok {
				forms[f] = pf
			}
		}
		for _, s := range refs.Workflows {
			key := SubWorkflowKey(s.Namespace, s.Name, s.Version)
			if js, ok := r.start.Workflows[key]; ok && subs[key] == nil {
				subs[key] = js
				walk(js)
			}
		}
	}
	walk(def)
	return subs, forms
}

// SubWorkflowKey is how Start.Workflows is keyed.
func SubWorkflowKey(namespace, name, version string) string {
	return namespace + "/" + name + "@" + version
}

// childError unwraps a child's fault into its DSL error.
func childError(err error) error {
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.Type() == FaultType && app.HasDetails() {
		var f Fault
		if app.Details(&f) == nil && f.Error != nil {
			return f.Error
		}
	}
	return err
}

// validateData checks a value against an inline input/output/export schema.
func validateData(s *workflows.Schema, v any, ptr, what string) error {
	if s == nil || len(s.Document) == 0 {
		return nil
	}
	cached, err := workflows.DataSchema(s.Document)
	if err != nil {
		e := workflows.NewError(workflows.ErrConfiguration, "Invalid schema", "%v", err)
		e.Instance = ptr
		return e
	}
	if err := cached.Validate(v); err != nil {
		e := workflows.NewError(workflows.ErrValidation, "Invalid "+what, "%v", err)
		e.Instance = ptr
		return e
	}
	return nil
}

// correlations evaluates a filter's correlations' expected values on the
// task's input, as the listen begins.
func (r *run) correlations(raw map[string]json.RawMessage, in any, vars workflows.Vars, ptr string) ([]correlation, error) {
	var out []correlation
	for _, name := range slices.Sorted(maps.Keys(raw)) {
		var k workflows.Correlation
		_ = json.Unmarshal(raw[name], &k) // the check refused anything else
		c := correlation{name: name, from: k.FromExpr()}
		if k.Expect != nil {
			v, err := r.eval(k.Expect, in, vars, ptr+"/correlate/"+workflows.EscapeToken(name)+"/expect", false)
			if err != nil {
				return nil, err
			}
			c.expect, c.known = workflows.NormalJSON(v), true
		}
		out = append(out, c)
	}
	return out, nil
}

// correlates reports whether an event carries each correlation's value,
// and the values it sets for correlations this listen has not seen yet.
// An event the from expression cannot read does not correlate.
func (r *run) correlates(ev map[string]any, cs []correlation, seen map[string]any, vars workflows.Vars, ptr string) (map[string]any, bool, error) {
	first := map[string]any{}
	for _, c := range cs {
		v, err := r.eval(c.from, ev, vars, ptr+"/correlate/"+workflows.EscapeToken(c.name)+"/from", false)
		var runaway *errRunaway
		if errors.As(err, &runaway) {
			return nil, false, err
		}
		if err != nil || v == nil {
			return nil, false, nil
		}
		v = workflows.NormalJSON(v)
		want, known := seen[c.name]
		if !known {
			want, known = c.expect, c.known
		}
		if known && !reflect.DeepEqual(v, want) {
			return nil, false, nil
		}
		if _, ok := seen[c.name]; !ok {
			first[c.name] = v // the value the rest of this listen must carry
		}
	}
	return first, true, nil
}
