package workflows

import (
	"reflect"
	"testing"
)

// The router decides outside the instance what the listen would take, and
// says when it cannot.
func TestWaitingFilterTakes(t *testing.T) {
	ev := map[string]any{"type": "gov.uk.border.target.outcome", "source": "/analytics",
		"data": map[string]any{"targetRef": "TGT-1", "value": 50.0}}
	target := WaitingCorrelation{Name: "target", From: "${ .data.targetRef }"}
	pinned := target
	pinned.Expect, pinned.Known = "TGT-1", true
	other := target
	other.Expect, other.Known = "TGT-2", true
	cases := []struct {
		name     string
		f        WaitingFilter
		seen     map[string]any
		ok, sure bool
		first    map[string]any
	}{
		{"type and pattern", WaitingFilter{With: map[string]any{"type": `gov\.uk\.border\..*`}}, nil, true, true, map[string]any{}},
		{"another type", WaitingFilter{With: map[string]any{"type": "gov.uk.border.target.raised"}}, nil, false, false, nil},
		{"data fields", WaitingFilter{With: map[string]any{"data": map[string]any{"targetRef": "TGT-1"}}}, nil, true, true, map[string]any{}},
		{"a condition on the data", WaitingFilter{Data: "${ .value > 10 }"}, nil, true, true, map[string]any{}},
		{"a condition that fails", WaitingFilter{Data: "${ .value > 100 }"}, nil, false, false, nil},
		{"a condition on workflow data", WaitingFilter{Data: "${ .value > $input.threshold }"}, nil, true, false, map[string]any{}},
		{"expected value", WaitingFilter{Correlate: []WaitingCorrelation{pinned}}, nil, true, true, map[string]any{"target": "TGT-1"}},
		{"another expected value", WaitingFilter{Correlate: []WaitingCorrelation{other}}, nil, false, false, nil},
		{"first value", WaitingFilter{Correlate: []WaitingCorrelation{target}}, nil, true, true, map[string]any{"target": "TGT-1"}},
		{"the value seen first", WaitingFilter{Correlate: []WaitingCorrelation{target}}, map[string]any{"target": "TGT-1"}, true, true, map[string]any{}},
		{"another value seen first", WaitingFilter{Correlate: []WaitingCorrelation{target}}, map[string]any{"target": "TGT-9"}, false, false, nil},
		{"a value the event lacks", WaitingFilter{Correlate: []WaitingCorrelation{{Name: "m", From: "${ .data.movement }"}}}, nil, false, false, nil},
	}
	for _, c := range cases {
		first, ok, sure := c.f.Takes(NewEventMatcher(ev), c.seen)
		if ok != c.ok || sure != c.sure || (ok && !reflect.DeepEqual(first, c.first)) {
			t.Errorf("%s: ok %v sure %v first %v; want %v %v %v", c.name, ok, sure, first, c.ok, c.sure, c.first)
		}
	}
}
