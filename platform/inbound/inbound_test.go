package inbound_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/jackc/pgx/v5"

	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/inbound"
	"cop/platform/problem"
	"cop/platform/testenv"
	"cop/workflows"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// ev is a target event from the analytics system, with this id.
func ev(id string) event.Event {
	e := event.New()
	e.SetID(id)
	e.SetSource("/analytics")
	e.SetType("gov.uk.border.target.raised")
	return e
}

// An event is kept for its retention and no longer: the sweep deletes it
// once it has expired, and leaves a fresh one.
func TestEventsAreKeptForTheirRetention(t *testing.T) {
	pool := testenv.Pool(t)
	ctx := context.Background()
	p := &auth.Principal{Subject: "analytics"}
	who := audit.Who{Actor: "analytics", RequestID: "test"}
	short := inbound.New(pool, time.Millisecond)
	if r, err := short.Receive(ctx, p, who, []event.Event{ev("old")}); err != nil || r.Accepted != 1 {
		t.Fatalf("receive: %+v %v", r, err)
	}
	long := inbound.New(pool, 0) // a day
	if r, err := long.Receive(ctx, p, who, []event.Event{ev("new")}); err != nil || r.Accepted != 1 {
		t.Fatalf("receive: %+v %v", r, err)
	}
	time.Sleep(20 * time.Millisecond)
	if n, err := long.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("swept %d (%v), want the expired one", n, err)
	}
	var left []string
	rows, _ := pool.Query(ctx, `SELECT id FROM inbound_events`)
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		left = append(left, id)
	}
	if len(left) != 1 || left[0] != "new" {
		t.Errorf("kept %v, want [new]", left)
	}
}

// A sender may keep so many events that nothing has taken; a request
// that would pass that is refused whole, and room comes back as events
// are taken or expire.
func TestASendersWaitingEventsAreBounded(t *testing.T) {
	pool := testenv.Pool(t)
	ctx := context.Background()
	svc := inbound.New(pool, time.Hour)
	svc.MaxWaiting = 3
	p := &auth.Principal{Subject: "analytics"}
	who := audit.Who{Actor: "analytics"}
	if r, err := svc.Receive(ctx, p, who, []event.Event{ev("a"), ev("b")}); err != nil || r.Accepted != 2 {
		t.Fatalf("two events: %+v %v", r, err)
	}
	var pe *problem.Error
	if _, err := svc.Receive(ctx, p, who, []event.Event{ev("c"), ev("d")}); !errors.As(err, &pe) || pe.Kind != problem.Conflict || !strings.Contains(err.Error(), "at most 3") {
		t.Fatalf("a batch past the quota: %v", err)
	}
	var kept int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM inbound_events WHERE id IN ('c', 'd')`).Scan(&kept); err != nil || kept != 0 {
		t.Errorf("the refused batch kept %d events (%v)", kept, err)
	}
	if _, err := svc.Receive(ctx, &auth.Principal{Subject: "casework"}, who, []event.Event{ev("c"), ev("d")}); err != nil {
		t.Errorf("another sender has its own quota: %v", err)
	}
	if _, err := pool.Exec(ctx, `UPDATE inbound_events SET consumed = true WHERE sender = 'analytics' AND id = 'a'`); err != nil {
		t.Fatal(err)
	}
	if r, err := svc.Receive(ctx, p, who, []event.Event{ev("c"), ev("d")}); err != nil || r.Accepted != 2 {
		t.Errorf("room again once one was taken: %+v %v", r, err)
	}
}

// A listen that begins between an event being kept and being routed takes
// it itself; the sender is still told the event reached that instance.
func TestAnEventTakenAsItArrivesCountsAsDelivered(t *testing.T) {
	pool := testenv.Pool(t)
	ctx := context.Background()
	p := &auth.Principal{Subject: "analytics", Roles: []string{"integrator"}}
	who := audit.Who{Actor: "analytics", RequestID: "test"}
	s := inbound.New(pool, 0)
	inbound.AfterKeep(s, func() {
		err := s.Register(ctx, inbound.Listen{Instance: "wf-1", Activation: "a1", Position: "/do/0/wait",
			Waiting: workflows.Waiting{Mode: "one", Filters: []workflows.WaitingFilter{{With: map[string]any{"type": "gov.uk.border.target.raised"}}}},
			Drivers: []string{"role:integrator"}})
		if err != nil {
			t.Error(err)
		}
	})
	r, err := s.Receive(ctx, p, who, []event.Event{ev("raced")})
	if err != nil || r.Accepted != 1 || r.Delivered != 1 {
		t.Errorf("received %+v (%v), want it delivered to the listen that took it", r, err)
	}
	var via string
	if err := pool.QueryRow(ctx, `SELECT via FROM inbound_routes WHERE id = 'raced' AND instance = 'wf-1'`).Scan(&via); err != nil || via != "listen" {
		t.Errorf("the route: %q %v, want the listen's own", via, err)
	}
}

// The workflows an event starts are told which instances it has reached
// already, so one that took the event through a listen that began as it
// arrived, and ended on it, is not started again (as it once was, under
// load, when the instance ended before the event was routed).
func TestAStartPlanKnowsWhereTheEventWentAlready(t *testing.T) {
	pool := testenv.Pool(t)
	ctx := context.Background()
	p := &auth.Principal{Subject: "analytics", Roles: []string{"integrator"}}
	who := audit.Who{Actor: "analytics", RequestID: "test"}
	s := inbound.New(pool, 0)
	var told []string
	s.Starters = planStarts{recordingPlan{&told}}
	inbound.AfterKeep(s, func() {
		err := s.Register(ctx, inbound.Listen{Instance: "wf-2", Activation: "a1", Position: "/do/0/wait",
			Waiting: workflows.Waiting{Mode: "one", Filters: []workflows.WaitingFilter{{With: map[string]any{"type": "gov.uk.border.target.raised"}}}},
			Drivers: []string{"role:integrator"}})
		if err != nil {
			t.Error(err)
		}
	})
	if _, err := s.Receive(ctx, p, who, []event.Event{ev("taken-then-started")}); err != nil {
		t.Fatal(err)
	}
	if len(told) != 1 || told[0] != "wf-2" {
		t.Errorf("the start plan was told the event reached %v, want [wf-2]", told)
	}
}

type planStarts struct{ plan inbound.StartPlan }

func (s planStarts) PlanEventStarts(context.Context, inbound.StartEvent) (inbound.StartPlan, error) {
	return s.plan, nil
}

type recordingPlan struct{ reached *[]string }

func (p recordingPlan) Apply(_ context.Context, _ pgx.Tx, reached []string) (inbound.Started, error) {
	*p.reached = reached
	return inbound.Started{}, nil
}
