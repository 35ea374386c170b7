package cases_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/cases"
	"cop/platform/problem"
)

// The lists show what the reader may read, newest first, a page at a
// time: an officer their own cases, a supervisor their team's, an admin
// all; filters by key, form, date and "mine" narrow them.
func TestCaseAndSubmissionListsShowWhatTheReaderMayRead(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	submit := func(p *auth.Principal, note string) string {
		t.Helper()
		r, err := s.Submit(ctx, p, audit.Who{Actor: p.Subject}, cases.SubmitRequest{Form: "seizure-note", Data: []byte(`{"note": "` + note + `"}`)})
		if err != nil {
			t.Fatal(err)
		}
		return r.BusinessKey
	}
	a1, b1, a2 := submit(ann, "one"), submit(bob, "two"), submit(ann, "three")
	keys := func(p *auth.Principal, f cases.Filter) []string {
		t.Helper()
		if f.Limit == 0 {
			f.Limit = 50
		}
		list, _, err := s.Cases(ctx, p, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range list {
			out = append(out, c.BusinessKey)
		}
		return out
	}
	for _, tc := range []struct {
		who  *auth.Principal
		f    cases.Filter
		want []string
	}{
		{ann, cases.Filter{}, []string{a2, a1}},
		{sue, cases.Filter{}, []string{a2, a1}}, // her team's
		{stranger, cases.Filter{}, []string{b1}},
		{admin, cases.Filter{}, []string{a2, b1, a1}},
		{sue, cases.Filter{Mine: true}, nil},
		{admin, cases.Filter{Key: strings.ToLower(b1[len(b1)-3:])}, []string{b1}},
		{admin, cases.Filter{Form: "nope"}, nil},
		{admin, cases.Filter{From: time.Now().Add(time.Hour)}, nil},
	} {
		if got := keys(tc.who, tc.f); !slices.Equal(got, tc.want) {
			t.Errorf("%s with %+v: %v, want %v", tc.who.Subject, tc.f, got, tc.want)
		}
	}
	first, next, err := s.Cases(ctx, admin, cases.Filter{Limit: 2})
	if err != nil || len(first) != 2 || next == "" {
		t.Fatalf("first page: %v %q %v", first, next, err)
	}
	rest, end, err := s.Cases(ctx, admin, cases.Filter{Limit: 2, Cursor: next})
	if err != nil || len(rest) != 1 || rest[0].BusinessKey != a1 || end != "" {
		t.Errorf("second page: %v %q %v", rest, end, err)
	}
	if _, _, err := s.Cases(ctx, admin, cases.Filter{Limit: 2, Cursor: "nonsense"}); !problem.Is(err, problem.Malformed) {
		t.Errorf("a bad cursor: %v", err)
	}

	subs, _, err := s.Submissions(ctx, sue, cases.Filter{Limit: 50, Form: "seizure-note"})
	if err != nil || len(subs) != 2 || subs[0].BusinessKey != a2 || subs[1].BusinessKey != a1 {
		t.Errorf("sue's submissions: %+v %v", subs, err)
	}
	if _, err := cases.ParseFilterDate("from", "21/11/2026"); !problem.Is(err, problem.Malformed) {
		t.Errorf("a date as 21/11/2026: %v", err)
	} else if p, _ := problem.As(err); len(p.Fields) != 1 || p.Fields[0].Pointer != "/from" {
		t.Errorf("the refusal points at %+v", p)
	}
	if d, err := cases.ParseFilterDate("to", "2026-11-21"); err != nil || !d.Equal(time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("2026-11-21: %v %v", d, err)
	}
}
