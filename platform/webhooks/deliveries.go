package webhooks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/problem"
	"cop/platform/store"
)

// Delivery statuses as the API shows them.
const (
	StatusPending   = "pending"   // due to be sent, or to be tried again
	StatusDelivered = "delivered" // a 2xx answered
	StatusDead      = "dead"      // the schedule ran out, or the receiver answered 410: replayable
)

// Delivery is one event sent (or to be sent) to a subscription, with its
// attempts, oldest first.
type Delivery struct {
	ID            string          `json:"id"`
	EventID       string          `json:"eventId"`
	EventType     string          `json:"eventType"`
	Subject       string          `json:"subject,omitempty"`
	Status        string          `json:"status"`
	Attempts      []AttemptRecord `json:"attempts"`
	NextAttemptAt *time.Time      `json:"nextAttemptAt,omitempty"`
	CreatedAt     time.Time       `json:"createdAt"`
	SettledAt     *time.Time      `json:"settledAt,omitempty"`
}

// AttemptRecord is one attempt as stored: when, the receiver's status (0:
// no answer), how long it took, the start of its answer, and any error.
type AttemptRecord struct {
	At        time.Time `json:"at"`
	Status    int       `json:"status"`
	LatencyMs int64     `json:"latencyMs"`
	Response  string    `json:"response"`
	Error     string    `json:"error,omitempty"`
	Outcome   Outcome   `json:"outcome"`
}

// ErrNoDelivery is a delivery the subscription does not have (or that its
// owner may not see).
var ErrNoDelivery = problem.NotFoundf("no such delivery")

// Deliveries pages through a subscription's deliveries, newest first;
// status, if given, keeps only those (pending, delivered, dead).
func (s *Service) Deliveries(ctx context.Context, p *auth.Principal, id, status string, limit int, cursor string) ([]Delivery, string, error) {
	if _, err := s.managed(ctx, s.pool, p, id, ""); err != nil {
		return nil, "", err
	}
	if status != "" && !slices.Contains([]string{StatusPending, StatusDelivered, StatusDead}, status) {
		return nil, "", problem.Malformedf(problem.At("/status", "status must be pending, delivered or dead"), "status %q is not a delivery status", status)
	}
	afterAt, afterID, err := store.NewestFirstAfter(cursor)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx, `SELECT d.id::text, d.event_id::text, e.type, e.subject, d.status,
			CASE WHEN d.status = 'pending' THEN d.due_at END, d.created_at, d.settled_at
		FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
		WHERE d.subscription_id = $1 AND d.status <> 'withheld' AND ($2 = '' OR d.status = $2)
			AND (d.created_at, d.id::text) < ($3::timestamptz, $4)
		ORDER BY d.created_at DESC, d.id::text DESC LIMIT $5`, id, status, afterAt, afterID, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("list deliveries of %s: %w", id, err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Delivery, error) {
		var d Delivery
		err := row.Scan(&d.ID, &d.EventID, &d.EventType, &d.Subject, &d.Status, &d.NextAttemptAt, &d.CreatedAt, &d.SettledAt)
		d.CreatedAt = d.CreatedAt.UTC()
		d.NextAttemptAt, d.SettledAt = utc(d.NextAttemptAt), utc(d.SettledAt)
		d.Attempts = []AttemptRecord{}
		return d, err
	})
	if err != nil {
		return nil, "", fmt.Errorf("list deliveries of %s: %w", id, err)
	}
	list, next := store.Page(list, limit, func(d Delivery) []string { return store.NewestFirstKey(d.CreatedAt, d.ID) })
	if err := s.attachAttempts(ctx, list); err != nil {
		return nil, "", fmt.Errorf("list deliveries of %s: %w", id, err)
	}
	return list, next, nil
}

// attachAttempts reads the page's attempts in one query.
func (s *Service) attachAttempts(ctx context.Context, list []Delivery) error {
	if len(list) == 0 {
		return nil
	}
	ids := make([]string, len(list))
	index := make(map[string]int, len(list))
	for i, d := range list {
		ids[i], index[d.ID] = d.ID, i
	}
	rows, err := s.pool.Query(ctx, `SELECT delivery_id::text, at, status, latency_ms, response, error, outcome
		FROM webhook_attempts WHERE delivery_id = ANY($1::uuid[]) ORDER BY id`, ids)
	if err != nil {
		return err
	}
	var delivery string
	var a AttemptRecord
	_, err = pgx.ForEachRow(rows, []any{&delivery, &a.At, &a.Status, &a.LatencyMs, &a.Response, &a.Error, &a.Outcome}, func() error {
		a.At = a.At.UTC()
		list[index[delivery]].Attempts = append(list[index[delivery]].Attempts, a)
		return nil
	})
	return err
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Replay sends a delivery again from the start of the schedule, with the
// same webhook-id: a dead one after its receiver is mended, or a
// delivered one the receiver lost.
func (s *Service) Replay(ctx context.Context, p *auth.Principal, who audit.Who, id, deliveryID string) (Delivery, error) {
	if _, err := uuid.Parse(deliveryID); err != nil {
		return Delivery{}, ErrNoDelivery
	}
	err := store.Once(ctx, s.pool, func(tx pgx.Tx) error {
		sub, err := s.managed(ctx, tx, p, id, "FOR UPDATE")
		if err != nil {
			return err
		}
		if !sub.Enabled {
			return problem.Conflictf("the subscription is disabled (%s): enable it first (PATCH it with {\"enabled\": true})", sub.DisabledReason)
		}
		var status string
		err = tx.QueryRow(ctx, `SELECT status FROM webhook_deliveries WHERE id = $1 AND subscription_id = $2 FOR UPDATE`, deliveryID, id).Scan(&status)
		if errors.Is(err, pgx.ErrNoRows) || status == "withheld" {
			return ErrNoDelivery
		}
		if err != nil {
			return err
		}
		if status == StatusPending {
			return problem.Conflictf("the delivery is already pending: it is sent at its next attempt")
		}
		if _, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, due_at = now(), settled_at = NULL
			WHERE id = $1`, deliveryID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, who.Entry("webhook.replay", "webhook:"+id, audit.OK, map[string]any{"delivery": deliveryID, "was": status}))
	})
	if err != nil {
		return Delivery{}, fmt.Errorf("delivery %s of webhook subscription %s: %w", deliveryID, id, err)
	}
	// Read back before the sender is woken, so the answer shows what the
	// replay did (pending, due now) rather than, at times, its outcome.
	d, err := s.delivery(ctx, id, deliveryID)
	s.Wake()
	return d, err
}

// delivery reads one delivery with its attempts.
func (s *Service) delivery(ctx context.Context, id, deliveryID string) (Delivery, error) {
	var d Delivery
	err := s.pool.QueryRow(ctx, `SELECT d.id::text, d.event_id::text, e.type, e.subject, d.status,
			CASE WHEN d.status = 'pending' THEN d.due_at END, d.created_at, d.settled_at
		FROM webhook_deliveries d JOIN events e ON e.id = d.event_id WHERE d.id = $1 AND d.subscription_id = $2`, deliveryID, id).
		Scan(&d.ID, &d.EventID, &d.EventType, &d.Subject, &d.Status, &d.NextAttemptAt, &d.CreatedAt, &d.SettledAt)
	if err != nil {
		return Delivery{}, fmt.Errorf("read delivery %s: %w", deliveryID, err)
	}
	d.CreatedAt, d.NextAttemptAt, d.SettledAt = d.CreatedAt.UTC(), utc(d.NextAttemptAt), utc(d.SettledAt)
	d.Attempts = []AttemptRecord{}
	list := []Delivery{d}
	if err := s.attachAttempts(ctx, list); err != nil {
		return Delivery{}, fmt.Errorf("read delivery %s: %w", deliveryID, err)
	}
	return list[0], nil
}
