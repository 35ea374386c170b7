package inbound

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cop/platform/store"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.temporal.io/api/serviceerror"
)

// Run signals routed events to their instances until ctx ends: every
// replica runs it, each route claimed by one at a time. It also routes
// events a request kept but died before routing.
func (s *Service) Run(ctx context.Context) {
	poll := s.Poll
	if poll <= 0 {
		poll = time.Second
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if err := s.routeLeftovers(ctx); err != nil && ctx.Err() == nil {
			s.log().Warn("route events left unrouted", "err", err)
		}
		for {
			n, err := s.signalDue(ctx)
			if err != nil && ctx.Err() == nil {
				s.log().Warn("signal routed events", "err", err)
			}
			if n < signalBatch || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wakeCh:
		}
	}
}

// wake tells this process's router a route was committed.
func (s *Service) wake() {
	select {
	case s.wakeCh <- struct{}{}:
	default:
	}
}

// leftoverAge is how long an unrouted event is left to the request that
// kept it before the router routes it.
const leftoverAge = 10 * time.Second

// routeLeftovers routes kept events whose request died before routing them.
func (s *Service) routeLeftovers(ctx context.Context) error {
	rows, err := s.pool.Query(ctx, `SELECT sender, source, id FROM inbound_events
		WHERE routed_at IS NULL AND received_at < now() - make_interval(secs => $1) ORDER BY received_at LIMIT 100`, leftoverAge.Seconds())
	if err != nil {
		return fmt.Errorf("find unrouted events: %w", err)
	}
	keys, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (key, error) {
		var k key
		return k, row.Scan(&k.sender, &k.source, &k.id)
	})
	if err != nil || len(keys) == 0 {
		return err
	}
	_, err = s.route(ctx, keys, "")
	return err
}

const (
	signalBatch = 20
	signalLease = 30 * time.Second
)

// routeSpace derives the request id a route is signalled with.
var routeSpace = uuid.MustParse("5b0c6f4e-3c1d-4f7a-9e55-2a7d8c9b1e03")

// signalDue claims due routes and signals each to its instance. The
// request id is derived from the route, so a signal repeated after a
// crash reaches the instance once.
func (s *Service) signalDue(ctx context.Context) (int, error) {
	if s.Instances == nil {
		return 0, nil
	}
	rows, err := s.pool.Query(ctx, `UPDATE inbound_routes r SET lease_until = now() + make_interval(secs => $1), attempts = r.attempts + 1
		FROM (SELECT sender, source, id, instance FROM inbound_routes
			WHERE signalled_at IS NULL AND (lease_until IS NULL OR lease_until < now())
			ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED) due, inbound_events e
		WHERE (r.sender, r.source, r.id, r.instance) = (due.sender, due.source, due.id, due.instance)
			AND (e.sender, e.source, e.id) = (r.sender, r.source, r.id)
		RETURNING r.instance, r.attempts, `+eventColumns, signalLease.Seconds(), signalBatch)
	if err != nil {
		return 0, fmt.Errorf("claim routes: %w", err)
	}
	type due struct {
		instance string
		attempts int
		kept
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (due, error) {
		var d due
		var extra [2]any
		extra[0], extra[1] = &d.instance, &d.attempts
		k, err := scanKept(prefixed{row, extra[:]})
		d.kept = k
		return d, err
	})
	if err != nil {
		return 0, err
	}
	for _, d := range list {
		s.settle(ctx, d.key, d.instance, d.attempts, s.signal(ctx, d.key, d.instance, d.event))
	}
	return len(list), nil
}

// signal hands one routed event to its instance: nil once delivered or
// when there is no one to deliver it to (errGone); otherwise an error to
// retry on.
func (s *Service) signal(ctx context.Context, k key, instance string, ev map[string]any) error {
	id := uuid.NewSHA1(routeSpace, []byte(k.sender+"\n"+k.source+"\n"+k.id+"\n"+instance)).String()
	err := s.Instances.SignalEvent(ctx, instance, id, ev)
	var nf *serviceerror.NotFound
	if !errors.As(err, &nf) {
		return err
	}
	starting, serr := s.Instances.Starting(ctx, instance)
	if serr != nil {
		return serr
	}
	if starting {
		return fmt.Errorf("instance %s is not running in Temporal yet", instance)
	}
	return errGone
}

var errGone = errors.New("the instance has ended")

// settle records how a signal went: done, gone, or due again after a
// backoff.
func (s *Service) settle(ctx context.Context, k key, instance string, attempts int, err error) {
	var q string
	args := []any{k.sender, k.source, k.id, instance}
	switch {
	case err == nil:
		q = `UPDATE inbound_routes SET signalled_at = now(), last_error = '' WHERE sender = $1 AND source = $2 AND id = $3 AND instance = $4`
	case errors.Is(err, errGone):
		// An instance that ended without saying so (terminated): its
		// listens go, and the event is kept for others if none took it.
		if gerr := s.forgetGone(ctx, k, instance); gerr != nil && ctx.Err() == nil {
			s.log().Warn("forget an ended instance's listens", "instance", instance, "err", gerr)
		}
		return
	default:
		q = `UPDATE inbound_routes SET lease_until = now() + make_interval(secs => $6), last_error = $5
			WHERE sender = $1 AND source = $2 AND id = $3 AND instance = $4`
		args = append(args, err.Error(), backoff(attempts).Seconds())
		s.log().Warn("event not signalled; retrying", "instance", instance, "event", k.id, "source", k.source, "attempt", attempts, "err", err)
	}
	if _, uerr := s.pool.Exec(ctx, q, args...); uerr != nil && ctx.Err() == nil {
		s.log().Warn("record a signalled event", "instance", instance, "event", k.id, "err", uerr)
	}
}

// forgetGone drops a route to an instance that no longer runs, and its
// listens; the event waits for a later listen again if no other instance
// took it.
func (s *Service) forgetGone(ctx context.Context, k key, instance string) error {
	return store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		// The event first, then listens, as routing locks them.
		if _, err := tx.Exec(ctx, `SELECT 1 FROM inbound_events WHERE sender = $1 AND source = $2 AND id = $3 FOR UPDATE`,
			k.sender, k.source, k.id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM inbound_routes WHERE sender = $1 AND source = $2 AND id = $3 AND instance = $4`,
			k.sender, k.source, k.id, instance); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM listens WHERE instance = $1`, instance); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE inbound_events e SET consumed = EXISTS (SELECT 1 FROM inbound_routes r
			WHERE (r.sender, r.source, r.id) = (e.sender, e.source, e.id)) WHERE (sender, source, id) = ($1, $2, $3)`, k.sender, k.source, k.id)
		return err
	})
}

// backoff is the wait before a route is tried again: 1s doubling to 5m.
func backoff(attempt int) time.Duration {
	d := time.Second << min(max(attempt-1, 0), 9)
	return min(d, 5*time.Minute)
}

// prefixed scans a row's first columns into extra and hands the rest to
// a kept event's scan.
type prefixed struct {
	pgx.CollectableRow
	extra []any
}

func (p prefixed) Scan(dest ...any) error {
	return p.CollectableRow.Scan(append(p.extra, dest...)...)
}
