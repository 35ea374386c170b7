package inbound_test

import (
	"context"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/inbound"
	"cop/platform/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// An event is kept for its retention and no longer: the sweep deletes it
// once it has expired, and leaves a fresh one.
func TestEventsAreKeptForTheirRetention(t *testing.T) {
	pool := testenv.Pool(t)
	ctx := context.Background()
	ev := func(id string) event.Event {
		e := event.New()
		e.SetID(id)
		e.SetSource("/analytics")
		e.SetType("gov.uk.border.target.raised")
		return e
	}
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
