package inbound_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/inbound"
	"cop/platform/testenv"
	"cop/workflows"
)

// BenchmarkRouteEvent compares receiving one outcome event while 1,000
// instances wait for outcomes, each by its own target reference (kept,
// audited, matched against every waiting listen of its type, routed to
// the one whose correlation it carries), with a bare pgx INSERT of the
// same event into a table of the same shape.
func BenchmarkRouteEvent(b *testing.B) {
	ctx := context.Background()
	pool := testenv.Pool(b)
	svc := inbound.New(pool, 0)
	const waiting = 1000
	for i := range waiting {
		w := workflows.Waiting{Mode: workflows.WaitOne, Filters: []workflows.WaitingFilter{{
			With:      map[string]any{"type": "gov.uk.border.target.outcome"},
			Correlate: []workflows.WaitingCorrelation{{Name: "target", From: "${ .data.targetRef }", Expect: fmt.Sprintf("TGT-%d", i), Known: true}},
		}}}
		if err := svc.Register(ctx, inbound.Listen{Instance: fmt.Sprintf("wf-%d", i), Activation: "run/do/0#1", Position: "/do/0/outcome",
			Waiting: w, Drivers: []string{"team:analytics"}}); err != nil {
			b.Fatal(err)
		}
	}
	p := &auth.Principal{Subject: "analytics", Roles: []string{"integrator"}, Teams: []string{"analytics"}}
	data, _ := json.Marshal(map[string]any{"targetRef": "TGT-NONE", "outcome": "seized"})
	b.Run("baseline=raw-pgx-insert", func(b *testing.B) {
		if _, err := pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS bench_raw (LIKE inbound_events INCLUDING DEFAULTS)`); err != nil {
			b.Fatal(err)
		}
		for i := 0; i < b.N; i++ {
			if _, err := pool.Exec(ctx, `INSERT INTO bench_raw (sender, source, id, type, data, expires_at) VALUES ($1, $2, $3, $4, $5, now() + interval '1 day')`,
				p.Subject, "/analytics", fmt.Sprintf("raw-%d", i), "gov.uk.border.target.outcome", string(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cop=receive-and-route", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			e := event.New()
			e.SetID(fmt.Sprintf("ev-%d", i))
			e.SetSource("/analytics")
			e.SetType("gov.uk.border.target.outcome")
			// Every tenth carries a reference some instance waits for.
			ref := "TGT-NONE"
			if i%10 == 0 && i/10 < waiting {
				ref = fmt.Sprintf("TGT-%d", i/10)
			}
			_ = e.SetData("application/json", map[string]any{"targetRef": ref, "outcome": "seized"})
			if _, err := svc.Receive(ctx, p, audit.Who{Actor: p.Subject}, []event.Event{e}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
