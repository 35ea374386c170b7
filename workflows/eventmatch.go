package workflows

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"

	lru "github.com/hashicorp/golang-lru/v2"
)

// filterRegexps holds compiled event filter patterns (nil: not a regular
// expression), bounded like every cache a definition can fill.
var filterRegexps = func() *lru.Cache[string, *regexp.Regexp] {
	c, _ := lru.New[string, *regexp.Regexp](1024)
	return c
}()

// EventMatches compares a listen filter's attributes (its with, evaluated)
// with an event's: equal values match, and a string filter also matches
// as a regular expression over the whole attribute; a data filter matches
// when every field it names is equal. The interpreter and COP's event
// router both match with it, so an event routed to an instance is one its
// listen takes.
func EventMatches(ev, filter map[string]any) bool {
	for k, want := range filter {
		got := ev[k]
		if k == "data" {
			if !subset(want, got) {
				return false
			}
			continue
		}
		if reflect.DeepEqual(want, got) {
			continue
		}
		ws, ok1 := want.(string)
		gs, ok2 := got.(string)
		if !ok1 || !ok2 || !FullMatch(ws, gs) {
			return false
		}
	}
	return true
}

// FullMatch reports whether s matches pattern as a regular expression over
// the whole of s; a pattern that does not compile matches nothing.
func FullMatch(pattern, s string) bool {
	c, ok := filterRegexps.Get(pattern)
	if !ok {
		var err error
		if c, err = regexp.Compile("^(?:" + pattern + ")$"); err != nil {
			c = nil
		}
		filterRegexps.Add(pattern, c)
	}
	return c != nil && c.MatchString(s)
}

// CachedPatterns is how many compiled filter patterns are kept.
func CachedPatterns() int { return filterRegexps.Len() }

func subset(want, got any) bool {
	wm, ok := want.(map[string]any)
	if !ok {
		return reflect.DeepEqual(want, got)
	}
	gm, ok := got.(map[string]any)
	if !ok {
		return false
	}
	for k, v := range wm {
		if !subset(v, gm[k]) {
			return false
		}
	}
	return true
}

// NormalJSON makes a value comparable whichever way it was decoded
// (integers and floats, json.Number): as JSON would round-trip it, with
// exact numbers (2^53 + 1 is not 2^53).
func NormalJSON(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	_ = dec.Decode(&out)
	return out
}

// A Waiting listen is what an instance waiting in a listen task tells COP,
// so that events sent to COP find it: its filters with their expressions
// evaluated as the listen began, and the correlation values it already
// knows. COP's event router matches events against it with Takes, as the
// listen itself would.
type Waiting struct {
	// Mode is how many events the listen takes: one (one, or any without
	// until: the first event), all (one per filter), or until (any with
	// until: events until the condition holds).
	Mode    string          `json:"mode"`
	Filters []WaitingFilter `json:"filters"`
	// Seen are correlation values fixed for this listen: expect, or the
	// first value an event gave.
	Seen map[string]any `json:"seen,omitempty"`
}

// The modes of a Waiting listen.
const (
	WaitOne   = "one"
	WaitAll   = "all"
	WaitUntil = "until"
)

// WaitingFilter is one event filter of a waiting listen.
type WaitingFilter struct {
	// With are the filter's attributes, evaluated (EventMatches).
	With map[string]any `json:"with,omitempty"`
	// Data is a predicate on the event's data, when the filter's data was
	// written as an expression.
	Data      string               `json:"data,omitempty"`
	Correlate []WaitingCorrelation `json:"correlate,omitempty"`
}

// WaitingCorrelation is one correlation of a filter: From read off the
// event must equal Expect when Known, else the value the listen saw first.
type WaitingCorrelation struct {
	Name   string `json:"name"`
	From   string `json:"from"`
	Expect any    `json:"expect,omitempty"`
	Known  bool   `json:"known,omitempty"`
}

// Takes reports whether filter f takes the event ev, given the
// correlation values seen so far, and the values ev fixes for the names
// not seen yet. An expression that fails on the event does not match it.
// A data predicate that reads the workflow's variables cannot be decided
// outside the instance: the event may match (ok), but not surely (sure is
// false), and the instance decides.
func (f WaitingFilter) Takes(m *EventMatcher, seen map[string]any) (first map[string]any, ok, sure bool) {
	ev := m.ev
	if !EventMatches(ev, f.With) {
		return nil, false, false
	}
	sure = true
	if f.Data != "" {
		if ReadsVariables(f.Data) != "" {
			sure = false
		} else if v, err := m.run(f.Data, true); err != nil || !truthy(v) {
			return nil, false, false
		}
	}
	first = map[string]any{}
	for _, c := range f.Correlate {
		v, err := m.run(c.From, false)
		if err != nil || v == nil {
			return nil, false, false
		}
		v = NormalJSON(v)
		want, known := seen[c.Name]
		if !known {
			want, known = c.Expect, c.Known
		}
		if known && !reflect.DeepEqual(v, NormalJSON(want)) {
			return nil, false, false
		}
		if _, ok := seen[c.Name]; !ok {
			first[c.Name] = v
		}
	}
	return first, true, sure
}

// EventMatcher offers one event to many filters, working out each
// expression on it once: many instances waiting by the same correlation
// (a target reference) cost one evaluation.
type EventMatcher struct {
	ev    map[string]any
	exprs Exprs
	memo  map[string]evaluated
}

type evaluated struct {
	v   any
	err error
}

// NewEventMatcher returns a matcher for ev.
func NewEventMatcher(ev map[string]any) *EventMatcher {
	return &EventMatcher{ev: ev, memo: map[string]evaluated{}}
}

// Read evaluates an expression on the event (a correlation's from).
func (m *EventMatcher) Read(src string) (any, error) { return m.run(src, false) }

// run evaluates src on the event, or on its data.
func (m *EventMatcher) run(src string, onData bool) (any, error) {
	k := "e\x00" + src
	input := any(m.ev)
	if onData {
		k, input = "d\x00"+src, m.ev["data"]
	}
	if r, ok := m.memo[k]; ok {
		return r.v, r.err
	}
	v, err := m.exprs.Run(src, input, nil)
	if len(m.memo) < 1024 {
		m.memo[k] = evaluated{v, err}
	}
	return v, err
}

func truthy(v any) bool { return v != nil && v != false }
