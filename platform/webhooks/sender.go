package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"cop/platform/auth"
	"cop/platform/directory"
	"cop/platform/events"
	"cop/platform/store"
)

// lease is how long a claimed delivery is held before another replica may
// send it again: an attempt's timeout, and room to record it.
const lease = Timeout + 45*time.Second

// maxRetryAfter caps how long a receiver's Retry-After may hold a
// delivery back.
const maxRetryAfter = 24 * time.Hour

// claimedDelivery is a delivery this replica is sending.
type claimedDelivery struct {
	id, subscription, event string
	attempt                 int
	// claim is the due time the claim set: only this claim may settle
	// the delivery (a replay, or a claim after this one's lease, sets
	// another).
	claim time.Time
}

// Run sends due deliveries until ctx ends, up to Senders at once; every
// replica runs one, and each delivery is claimed by one at a time.
func (s *Service) Run(ctx context.Context) {
	for ctx.Err() == nil {
		err := s.SyncTypes(ctx)
		if err == nil {
			break
		}
		s.cfg.Log.Error("webhooks cannot set the event types they take; retrying", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(s.cfg.Poll):
		}
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	busy := make(chan struct{}, s.cfg.Senders)
	for ctx.Err() == nil {
		free := cap(busy) - len(busy)
		claimed := 0
		if free > 0 {
			batch, err := s.claim(ctx, free)
			if err != nil && ctx.Err() == nil {
				s.cfg.Log.Error("webhook sender cannot read its deliveries; retrying", "err", err)
			}
			for _, d := range batch {
				busy <- struct{}{}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() { <-busy; s.Wake() }()
					s.send(ctx, d)
				}()
			}
			claimed = len(batch)
		}
		if claimed > 0 && claimed == free {
			continue // more may be due once a sender is free; its end wakes us
		}
		select {
		case <-ctx.Done():
		case <-s.wake:
		case <-time.After(s.cfg.Poll):
		}
	}
}

// claim takes up to n due deliveries of enabled subscriptions, pushing
// each one's due time past the lease; rows another replica holds are
// skipped.
func (s *Service) claim(ctx context.Context, n int) ([]claimedDelivery, error) {
	rows, err := s.pool.Query(ctx, `UPDATE webhook_deliveries d SET due_at = now() + make_interval(secs => $2), attempts = d.attempts + 1
		FROM (SELECT d.id FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
			WHERE d.status = 'pending' AND d.due_at <= now() AND s.enabled
			ORDER BY d.due_at LIMIT $1 FOR UPDATE OF d SKIP LOCKED) c
		WHERE d.id = c.id
		RETURNING d.id::text, d.subscription_id::text, d.event_id::text, d.attempts, d.due_at`, n, lease.Seconds())
	if err != nil {
		return nil, fmt.Errorf("claim webhook deliveries: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (claimedDelivery, error) {
		var d claimedDelivery
		err := row.Scan(&d.id, &d.subscription, &d.event, &d.attempt, &d.claim)
		return d, err
	})
}

// target is where and how a delivery is sent.
type target struct {
	url, owner string
	secrets    []string
}

// retryOwnFailure is how soon a delivery is tried again after COP itself
// failed to make the attempt (its database, say): not counted as one.
const retryOwnFailure = 5 * time.Second

// send makes one attempt at a delivery and records it. A delivery whose
// owner may no longer read what the event is about is withheld, unsent.
func (s *Service) send(ctx context.Context, d claimedDelivery) {
	log := s.cfg.Log.With("delivery", d.id, "subscription", d.subscription, "event", d.event, "attempt", d.attempt)
	// COP's own failure: the claim is handed back, uncounted.
	giveBack := func(what string, err error) {
		log.Error(what+"; the delivery is tried again shortly", "err", err)
		if _, err := s.pool.Exec(context.WithoutCancel(ctx), `UPDATE webhook_deliveries SET attempts = attempts - 1,
			due_at = now() + make_interval(secs => $3) WHERE id = $1 AND status = 'pending' AND due_at = $2`,
			d.id, d.claim, retryOwnFailure.Seconds()); err != nil {
			log.Error("hand the delivery back; it is tried again after its lease", "err", err)
		}
	}
	var t target
	err := s.pool.QueryRow(ctx, `SELECT url, owner, `+liveSecretsClause+` FROM webhook_subscriptions WHERE id = $1`, d.subscription).
		Scan(&t.url, &t.owner, &t.secrets)
	if errors.Is(err, pgx.ErrNoRows) {
		return // deleted meanwhile, with its deliveries
	}
	if err != nil {
		giveBack("read the webhook subscription", err)
		return
	}
	e, err := events.Stored(ctx, s.pool, s.cfg.Source, d.event)
	if err != nil {
		giveBack("read the event", err)
		return
	}
	may, err := s.mayReceive(ctx, t.owner, e)
	if err != nil {
		giveBack("check the owner may read the event", err)
		return
	}
	if !may {
		if _, err := s.pool.Exec(ctx, `UPDATE webhook_deliveries SET status = 'withheld', settled_at = now()
			WHERE id = $1 AND status = 'pending' AND due_at = $2`, d.id, d.claim); err != nil {
			log.Error("withhold the delivery", "err", err)
		}
		return
	}
	body, err := json.Marshal(e)
	if err != nil {
		giveBack("encode the event", err)
		return
	}
	var a Attempt
	if msg := s.checkURL(t.url); msg != "" {
		// The allow-list changed since the subscription was made.
		a = Attempt{At: time.Now().UTC(), Outcome: Disable, Error: "not sent: " + msg}
	} else {
		a = Send(ctx, s.cfg.Client, Message{URL: t.url, ID: e.ID, Body: body, Secrets: t.secrets}, time.Now())
	}
	if ctx.Err() != nil {
		return // shutting down: the lease lapses and the delivery is sent again
	}
	if err := s.settle(ctx, d, a); err != nil {
		log.Error("record the attempt; the delivery is retried after its lease", "err", err)
		return
	}
	if a.Outcome != Delivered {
		log.Warn("webhook attempt failed", "url", redactURL(t.url), "status", a.Status, "error", a.Error, "outcome", a.Outcome)
	}
}

// settle records an attempt and what follows from it, in one transaction.
func (s *Service) settle(ctx context.Context, d claimedDelivery, a Attempt) error {
	return store.Once(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO webhook_attempts (delivery_id, at, status, latency_ms, response, error, outcome)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, d.id, a.At, a.Status, a.Latency.Milliseconds(),
			strings.ToValidUTF8(a.Excerpt, "?"), strings.ToValidUTF8(a.Error, "?"), string(a.Outcome)); err != nil {
			return err
		}
		// Only this claim settles the delivery: a replay made while the
		// attempt was on its way began a new round, left to that round.
		const mine = ` WHERE id = $1 AND status = 'pending' AND due_at = $2`
		switch a.Outcome {
		case Delivered:
			_, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = 'delivered', settled_at = now()`+mine, d.id, d.claim)
			return err
		case Disable:
			if _, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = 'dead', settled_at = now()`+mine, d.id, d.claim); err != nil {
				return err
			}
			reason := a.Error // COP may no longer send there
			if a.Status == http.StatusGone {
				reason = "the receiver answered 410 Gone at " + a.At.Format(time.RFC3339)
			}
			if _, err := tx.Exec(ctx, `UPDATE webhook_subscriptions SET enabled = false, updated_at = now(), disabled_reason = $2
				WHERE id = $1`, d.subscription, reason); err != nil {
				return err
			}
			return syncTypes(ctx, tx)
		}
		wait, ok := s.retryWait(d.attempt)
		if !ok {
			_, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET status = 'dead', settled_at = now()`+mine, d.id, d.claim)
			return err
		}
		wait = max(wait, min(a.RetryAfter, maxRetryAfter))
		_, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET due_at = now() + make_interval(secs => $3)`+mine,
			d.id, d.claim, wait.Seconds())
		return err
	})
}

// mayReceive reports whether a subscription's owner, as the user directory
// has them now, may read what the event is about: an integrator or an
// admin who may read its instance, submission or case. Definitions are
// anyone's to read.
func (s *Service) mayReceive(ctx context.Context, owner string, e events.Event) (bool, error) {
	u, err := s.dir.User(ctx, owner)
	if errors.Is(err, directory.ErrUnknown) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	p := u.Principal()
	if !p.HasRole(auth.RoleIntegrator) && !p.HasRole(auth.RoleAdmin) {
		return false, nil
	}
	if e.Instance != "" {
		return s.access.Instance(ctx, p, e.Instance)
	}
	switch e.Type {
	case events.SubmissionCreated, events.SubmissionImported:
		var sub struct{ ID string }
		if err := json.Unmarshal(e.Data, &sub); err != nil || sub.ID == "" {
			return false, nil
		}
		return s.access.Submission(ctx, p, sub.ID)
	case events.CaseOpened:
		return s.access.Case(ctx, p, e.Subject)
	case events.DefinitionPublished, events.DefinitionRetired:
		return true, nil
	}
	return false, nil // about nothing COP can check: sent to nobody
}

// redactURL is a receiver's URL for the logs: without its query, which
// may carry the receiver's own token.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unreadable)"
	}
	u.RawQuery, u.User = "", nil
	return u.String()
}
