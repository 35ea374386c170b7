package tasks_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"cop/platform/auth"
	"cop/platform/definitions"
	"cop/platform/problem"
	"cop/platform/store"
	"cop/platform/tasks"
	"cop/platform/testenv"
	"cop/workflows/engine"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// The inbox and its service against a real PostgreSQL, without HTTP,
// sign-in or Temporal: what the instances' activities write is what the
// task lists show.
func newInbox(t *testing.T) (*tasks.Service, *tasks.Inbox, *pgxpool.Pool) {
	t.Helper()
	pool := testenv.Pool(t)
	return tasks.New(pool, definitions.New(pool), nil), &tasks.Inbox{Pool: pool}, pool
}

var (
	officer    = &auth.Principal{Subject: "olly", Roles: []string{"officer"}, Teams: []string{"dover"}}
	supervisor = &auth.Principal{Subject: "sue", Roles: []string{"supervisor"}, Teams: []string{"dover"}}
	admin      = &auth.Principal{Subject: "ada", Roles: []string{"admin"}}
)

func task(id string, priority int, groups ...string) engine.TaskRequest {
	return engine.TaskRequest{ID: id, Instance: "wf-1", Position: "/do/0/review", CaseKey: "SEIZ-20261202-1", Form: "review",
		FormVersion: "1.0.0", Title: "Review " + id, CandidateGroups: groups, Priority: priority, CreatedAt: time.Now().UTC()}
}

// A task reaches the lists of its candidate groups (and admins), most
// urgent first; a retried write makes one task and announces it once.
func TestTheInboxShowsEachTaskToItsGroups(t *testing.T) {
	ctx := context.Background()
	s, inbox, pool := newInbox(t)
	for _, req := range []engine.TaskRequest{task("t-low", 4, "role:supervisor"), task("t-high", 1, "role:supervisor"), task("t-team", 3, "team:dover")} {
		for range 2 { // Temporal retries activities
			if err := inbox.Create(ctx, req); err != nil {
				t.Fatal(err)
			}
		}
	}
	ids := func(p *auth.Principal) []string {
		list, _, err := s.Tasks(ctx, p, tasks.TaskFilter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, tk := range list {
			out = append(out, tk.ID)
		}
		return out
	}
	for who, want := range map[*auth.Principal][]string{supervisor: {"t-high", "t-team", "t-low"}, officer: {"t-team"}, admin: {"t-high", "t-team", "t-low"}} {
		if got := ids(who); len(got) != len(want) || got[0] != want[0] || got[len(got)-1] != want[len(want)-1] {
			t.Errorf("%s sees %v, want %v", who.Subject, got, want)
		}
	}
	if _, err := s.Task(ctx, officer, "t-high"); !errors.Is(err, tasks.ErrNotFound) {
		t.Errorf("an officer reads a supervisor's task: %v", err)
	}
	var created int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM events WHERE type = 'cop.task.created'`).Scan(&created); err != nil || created != 3 {
		t.Errorf("%d cop.task.created events for 3 tasks written twice each (%v)", created, err)
	}
	if _, _, err := s.Tasks(ctx, supervisor, tasks.TaskFilter{Status: "done", Limit: 10}); !problem.Is(err, problem.Malformed) {
		t.Errorf("an unknown status filter: %v", err)
	}
}

// A claim changes the row once however often it is retried; an ended
// instance's open tasks are withdrawn in its transaction.
func TestChangesApplyOnceAndEndedInstancesWithdrawTheirTasks(t *testing.T) {
	ctx := context.Background()
	s, inbox, pool := newInbox(t)
	if err := inbox.Create(ctx, task("t-1", 2, "role:supervisor")); err != nil {
		t.Fatal(err)
	}
	claim := engine.TaskChange{ID: "t-1", Kind: engine.TaskClaimed, By: "sue", Assignee: "sue", At: time.Now(), Action: "u-1"}
	for range 2 {
		if err := inbox.Change(ctx, claim); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Task(ctx, supervisor, "t-1")
	if err != nil || got.ClaimedBy != "sue" || got.Status != engine.TaskOpen {
		t.Fatalf("claimed task %+v, %v", got, err)
	}
	if err := inbox.Change(ctx, engine.TaskChange{ID: "t-1", Kind: "archived", At: time.Now()}); err == nil {
		t.Error("an unknown change was applied")
	}
	if err := store.InTx(ctx, pool, func(tx pgx.Tx) error { return tasks.CloseOpen(ctx, tx, "wf-1", time.Now()) }); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Task(ctx, supervisor, "t-1"); got.Status != engine.TaskCancelled {
		t.Errorf("a task of an ended instance is %s", got.Status)
	}
}

// A notification reaches the people, roles and teams it names, once; each
// reader marks it read for themselves; anyone else is told it is not there.
func TestNotificationsReachTheirReaders(t *testing.T) {
	ctx := context.Background()
	s, inbox, _ := newInbox(t)
	n := engine.Notification{ID: "n-1", Instance: "wf-1", CaseKey: "SEIZ-20261202-1", To: []string{"team:dover"}, Title: "Seizure approved", At: time.Now()}
	for range 2 {
		if err := inbox.Notify(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	unread := func(p *auth.Principal) int {
		list, _, err := s.Notifications(ctx, p, true, 10, "")
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	if unread(officer) != 1 || unread(supervisor) != 1 || unread(admin) != 0 {
		t.Fatalf("unread: officer %d, supervisor %d, admin %d", unread(officer), unread(supervisor), unread(admin))
	}
	if err := s.MarkRead(ctx, officer, "n-1"); err != nil {
		t.Fatal(err)
	}
	if unread(officer) != 0 || unread(supervisor) != 1 {
		t.Errorf("after the officer read it: officer %d, supervisor %d", unread(officer), unread(supervisor))
	}
	if err := s.MarkRead(ctx, admin, "n-1"); !errors.Is(err, tasks.ErrNotFound) {
		t.Errorf("someone it is not for marks it read: %v", err)
	}
}
