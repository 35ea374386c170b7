package cases_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/cases"
	"cop/platform/definitions"
	"cop/platform/problem"
	"cop/platform/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// The service against a real PostgreSQL, without HTTP or sign-in.
func newService(t *testing.T) (*cases.Service, *pgxpool.Pool) {
	t.Helper()
	pool := testenv.Pool(t)
	defs := definitions.New(pool)
	form := `{"name": "seizure-note", "version": "1.0.0", "title": "Seizure note", "casePrefix": "SN",
		"schema": {"type": "object", "required": ["note"], "properties": {"note": {"type": "string", "title": "Note"}}}}`
	if _, err := defs.PublishForm(context.Background(), audit.Who{Actor: "author"}, []byte(form), false); err != nil {
		t.Fatal(err)
	}
	return cases.New(pool, defs), pool
}

var (
	ann      = &auth.Principal{Subject: "ann", Roles: []string{"officer"}, Teams: []string{"dover"}}
	bob      = &auth.Principal{Subject: "bob", Roles: []string{"officer"}, Teams: []string{"heathrow"}}
	sue      = &auth.Principal{Subject: "sue", Roles: []string{"supervisor"}, Teams: []string{"dover"}}
	stranger = &auth.Principal{Subject: "sam", Roles: []string{"supervisor"}, Teams: []string{"heathrow"}}
	admin    = &auth.Principal{Subject: "ada", Roles: []string{"admin"}}
)

// Joining a case (a second submission, a workflow) needs sight of
// something in it: the submitter, a supervisor of their team and an admin
// may; another officer or another team's supervisor is told it does not
// exist, exactly as for an unknown key.
func TestJoiningACaseNeedsSightOfIt(t *testing.T) {
	ctx := context.Background()
	s, _ := newService(t)
	first, err := s.Submit(ctx, ann, audit.Who{Actor: ann.Subject}, cases.SubmitRequest{Form: "seizure-note", Data: []byte(`{"note": "held"}`)})
	if err != nil {
		t.Fatal(err)
	}
	key := first.BusinessKey
	for _, tc := range []struct {
		who  *auth.Principal
		join bool
	}{{ann, true}, {sue, true}, {admin, true}, {bob, false}, {stranger, false}} {
		_, err := s.JoinCase(ctx, tc.who, key)
		if tc.join && err != nil {
			t.Errorf("%s cannot join %s: %v", tc.who.Subject, key, err)
		}
		if !tc.join && !errors.Is(err, cases.ErrNotFound) {
			t.Errorf("%s joining %s: %v, want not found", tc.who.Subject, key, err)
		}
	}
	if _, err := s.JoinCase(ctx, admin, "SN-20000101-9"); !errors.Is(err, cases.ErrNotFound) {
		t.Errorf("joining an unknown case: %v", err)
	}
	// Joined, the case shows both submissions to its reader.
	second, err := s.Submit(ctx, sue, audit.Who{Actor: sue.Subject}, cases.SubmitRequest{Form: "seizure-note", Case: key, Data: []byte(`{"note": "checked"}`)})
	if err != nil || second.BusinessKey != key {
		t.Fatalf("supervisor's submission to %s: %+v %v", key, second, err)
	}
	c, err := s.Case(ctx, sue, key)
	if err != nil || len(c.Submissions) != 2 {
		t.Fatalf("case as sue sees it: %+v %v", c, err)
	}
	if _, err := s.Submit(ctx, bob, audit.Who{Actor: bob.Subject}, cases.SubmitRequest{Form: "seizure-note", Case: key, Data: []byte(`{"note": "x"}`)}); !errors.Is(err, cases.ErrNotFound) {
		t.Errorf("bob submitting into %s: %v", key, err)
	}
}

// A submission announces itself and the case it opens in its own
// transaction; one refused announces nothing.
func TestASubmissionIsAnnouncedWithItsCase(t *testing.T) {
	ctx := context.Background()
	s, pool := newService(t)
	_, err := s.Submit(ctx, ann, audit.Who{Actor: ann.Subject}, cases.SubmitRequest{Form: "seizure-note", Data: []byte(`{}`)})
	if p, ok := problem.As(err); !ok || p.Kind != problem.Invalid || len(p.Fields) != 1 || p.Fields[0].Pointer != "/note" {
		t.Fatalf("an empty note: %v", err)
	}
	res, err := s.Submit(ctx, ann, audit.Who{Actor: ann.Subject}, cases.SubmitRequest{Form: "seizure-note", Data: []byte(`{"note": "held"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Submit(ctx, ann, audit.Who{Actor: ann.Subject}, cases.SubmitRequest{Form: "seizure-note", Case: res.BusinessKey, Data: []byte(`{"note": "more"}`)}); err != nil {
		t.Fatal(err)
	}
	rows, err := pool.Query(ctx, `SELECT type, subject FROM events WHERE type IN ('cop.submission.created', 'cop.case.opened') ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var typ, subject string
		if err := rows.Scan(&typ, &subject); err != nil {
			t.Fatal(err)
		}
		got = append(got, typ+" "+subject)
	}
	key := res.BusinessKey
	want := []string{"cop.case.opened " + key, "cop.submission.created " + key, "cop.submission.created " + key}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("events %v, want %v", got, want)
	}
}
