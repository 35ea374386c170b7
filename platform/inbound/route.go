package inbound

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"cop/platform/auth"
	"cop/platform/store"
	"cop/workflows"
)

// Listen is an instance waiting in a listen task, as the router keeps it:
// what it waits for and who may drive it (its workflow's access.events;
// admins always).
type Listen struct {
	Instance   string
	Activation string
	Position   string
	Waiting    workflows.Waiting
	Drivers    []string
}

// key names one kept event.
type key struct{ sender, source, id string }

// anyType marks a listen with a filter that names no event type, or names
// it by a pattern: every event is looked at for it.
const anyType = "*"

// typesOf are the event types a listen's filters name, for finding the
// listens an event may match by its type. A type with no regular
// expression characters but dots is found by equality (its dots match
// dots); any other filter is looked at for every event.
func typesOf(w workflows.Waiting) []string {
	if len(w.Filters) == 0 {
		return []string{anyType}
	}
	var out []string
	for _, f := range w.Filters {
		t, ok := f.With["type"].(string)
		if !ok || regexp.QuoteMeta(t) != strings.ReplaceAll(t, ".", `\.`) {
			t = anyType
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// corrKeys are what finds a listen by the values it expects: each filter's
// correlation froms, and from + US + expected value. Nil keys when a filter
// has no correlation, or one whose value is not known yet: such a listen
// is looked at for every event of its types.
func corrKeys(w workflows.Waiting) (froms, keys []string) {
	if len(w.Filters) == 0 {
		return []string{}, nil
	}
	for _, f := range w.Filters {
		if len(f.Correlate) == 0 {
			return []string{}, nil
		}
		for _, c := range f.Correlate {
			if !c.Known {
				return []string{}, nil
			}
			keys = append(keys, corrKey(c.From, c.Expect))
			if !slices.Contains(froms, c.From) {
				froms = append(froms, c.From)
			}
		}
	}
	return froms, keys
}

// corrKey is from with a value, as the listen expects it or an event
// carries it.
func corrKey(from string, v any) string {
	b, _ := json.Marshal(workflows.NormalJSON(v))
	return from + "\x1f" + string(b)
}

// waitState is a listen's progress while events are offered to it.
type waitState struct {
	w     workflows.Waiting
	taken []int32
	done  bool
}

// offer gives the listen an event, as the listen itself would take it:
// the first filter that matches, each filter once for all, one event for
// one and any without until. It returns whether the listen takes it, its
// state after, and whether the taking is sure. An until listen's taking
// is never sure (only the instance knows when its condition holds), nor is
// one that hangs on a condition only the instance can decide: such an
// event is handed over without being consumed, and the state is kept as
// it was for the latter.
func (st waitState) offer(m *workflows.EventMatcher) (next waitState, take, sure bool) {
	if st.done {
		return st, false, false
	}
	next = waitState{w: st.w, taken: slices.Clone(st.taken)}
	next.w.Seen = maps.Clone(st.w.Seen)
	if next.w.Seen == nil {
		next.w.Seen = map[string]any{}
	}
	until := st.w.Mode == workflows.WaitUntil
	if len(st.w.Filters) == 0 { // any: [], any event
		next.done = !until
		return next, true, !until
	}
	for i, f := range st.w.Filters {
		if st.w.Mode == workflows.WaitAll && slices.Contains(st.taken, int32(i)) {
			continue
		}
		first, ok, decided := f.Takes(m, st.w.Seen)
		if !ok {
			continue
		}
		if !decided {
			return st, true, false
		}
		maps.Copy(next.w.Seen, first)
		switch st.w.Mode {
		case workflows.WaitAll:
			next.taken = append(next.taken, int32(i))
			next.done = len(next.taken) == len(st.w.Filters)
		case workflows.WaitUntil:
		default:
			next.done = true
		}
		return next, true, !until
	}
	return st, false, false
}

// eventColumns are what a kept event is read back from.
const eventColumns = `e.sender, e.source, e.id, e.type, e.subject, e.time, e.datacontenttype, e.data, e.extensions, e.sender_access`

// kept is an event as stored, and as a CloudEvent again.
type kept struct {
	key
	event  map[string]any
	access []string
}

func scanKept(row pgx.CollectableRow) (kept, error) {
	var k kept
	var typ, subject, ct string
	var t *time.Time
	var data, ext []byte
	if err := row.Scan(&k.sender, &k.source, &k.id, &typ, &subject, &t, &ct, &data, &ext, &k.access); err != nil {
		return k, err
	}
	ev := map[string]any{}
	if len(ext) > 0 {
		_ = json.Unmarshal(ext, &ev) // extensions first: the attributes below win
	}
	if ev == nil {
		ev = map[string]any{} // stored as null: none
	}
	ev["specversion"], ev["id"], ev["source"], ev["type"] = "1.0", k.id, k.source, typ
	if subject != "" {
		ev["subject"] = subject
	}
	if t != nil {
		ev["time"] = t.UTC().Format(time.RFC3339Nano)
	}
	if ct != "" {
		ev["datacontenttype"] = ct
	}
	var d any
	if err := json.Unmarshal(data, &d); err != nil {
		return k, fmt.Errorf("read the data of event %s from %s: %w", k.id, k.source, err)
	}
	ev["data"] = d
	k.event = ev
	return k, nil
}

// MayDrive reports whether a sender (its access entries: role:, team:,
// user:) may drive a workflow whose access.events is drivers: admins
// always may.
func MayDrive(senderAccess, drivers []string) bool {
	if slices.Contains(senderAccess, "role:"+auth.RoleAdmin) {
		return true
	}
	for _, d := range drivers {
		if slices.Contains(senderAccess, d) {
			return true
		}
	}
	return false
}

// Register records that an instance waits in a listen, and routes to it
// the kept events it takes (sent before it began to wait, that no listen
// has taken, from senders its workflow allows), oldest first, for the
// router to signal; those it surely takes are consumed.
func (s *Service) Register(ctx context.Context, l Listen) error {
	waiting, err := json.Marshal(l.Waiting)
	if err != nil {
		return fmt.Errorf("encode the listen of %s: %w", l.Instance, err)
	}
	// Committed before the kept events are read, so an event that arrives
	// meanwhile finds the listen if this does not find the event.
	froms, keys := corrKeys(l.Waiting)
	if _, err := s.pool.Exec(ctx, `INSERT INTO listens (instance, activation, position, types, waiting, drivers, corr_froms, corr_keys)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
		l.Instance, l.Activation, l.Position, typesOf(l.Waiting), waiting, store.TextArray(l.Drivers), froms, keys); err != nil {
		return fmt.Errorf("record the listen of %s at %s: %w", l.Instance, l.Position, err)
	}
	routed := 0
	err = store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		routed, err = s.takeKept(ctx, tx, l)
		return err
	})
	if routed > 0 {
		s.wake()
	}
	return err
}

// Limits on the kept events one listen is handed as it begins: what an
// instance keeps for its listens.
const (
	maxKeptEvents = 100
	maxKeptBytes  = 256 << 10
	// maxKeptOffered bounds the kept events one registration looks at.
	maxKeptOffered = 500
)

// takeKept routes the kept events the listen takes to its instance.
// Events are locked before the listen, as routing an arriving event locks
// them, and waited for: an event being routed as it arrives is offered
// here once that routing has committed, if it did not take it.
func (s *Service) takeKept(ctx context.Context, tx pgx.Tx, l Listen) (int, error) {
	types := typesOf(l.Waiting)
	rows, err := tx.Query(ctx, `SELECT `+eventColumns+` FROM inbound_events e
		WHERE NOT e.consumed AND e.expires_at > now() AND (e.type = ANY($1) OR $2)
		ORDER BY e.received_at, e.source, e.id LIMIT $3 FOR UPDATE`,
		types, slices.Contains(types, anyType), maxKeptOffered)
	if err != nil {
		return 0, fmt.Errorf("find events kept for %s: %w", l.Instance, err)
	}
	list, err := pgx.CollectRows(rows, scanKept)
	if err != nil {
		return 0, err
	}
	st, drivers, err := lockListen(ctx, tx, l.Instance, l.Activation)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil // it ended already
	}
	if err != nil {
		return 0, err
	}
	routed, size, changed := 0, 0, false
	for _, k := range list {
		if st.done || routed == maxKeptEvents || size > maxKeptBytes {
			break
		}
		if !MayDrive(k.access, drivers) {
			continue
		}
		next, take, sure := st.offer(workflows.NewEventMatcher(k.event))
		if !take {
			continue
		}
		inserted, err := insertRoute(ctx, tx, k.key, l.Instance, l.Activation, "listen")
		if err != nil {
			return routed, err
		}
		if !inserted {
			continue // the instance has it already
		}
		st, changed = next, true
		routed++
		size += workflows.ApproxSize(k.event, maxKeptBytes)
		if sure {
			if err := consume(ctx, tx, k.key); err != nil {
				return routed, err
			}
		}
	}
	if !changed {
		return routed, nil
	}
	return routed, saveListen(ctx, tx, l.Instance, l.Activation, st)
}

func consume(ctx context.Context, tx pgx.Tx, k key) error {
	if _, err := tx.Exec(ctx, `UPDATE inbound_events SET consumed = true WHERE sender = $1 AND source = $2 AND id = $3`,
		k.sender, k.source, k.id); err != nil {
		return fmt.Errorf("consume event %s: %w", k.id, err)
	}
	return nil
}

// lockListen reads a waiting listen's state, locked for this transaction.
func lockListen(ctx context.Context, tx pgx.Tx, instance, activation string) (waitState, []string, error) {
	var st waitState
	var raw []byte
	var drivers []string
	err := tx.QueryRow(ctx, `SELECT waiting, taken, done, drivers FROM listens WHERE instance = $1 AND activation = $2 FOR UPDATE`,
		instance, activation).Scan(&raw, &st.taken, &st.done, &drivers)
	if err != nil {
		return st, nil, err
	}
	if err := json.Unmarshal(raw, &st.w); err != nil {
		return st, nil, fmt.Errorf("read the listen of %s: %w", instance, err)
	}
	return st, drivers, nil
}

func saveListen(ctx context.Context, tx pgx.Tx, instance, activation string, st waitState) error {
	raw, err := json.Marshal(st.w)
	if err != nil {
		return fmt.Errorf("encode the listen of %s: %w", instance, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE listens SET waiting = $3, taken = $4, done = $5 WHERE instance = $1 AND activation = $2`,
		instance, activation, raw, st.taken, st.done); err != nil {
		return fmt.Errorf("save the listen of %s: %w", instance, err)
	}
	return nil
}

// insertRoute gives an event to an instance, once per instance, for the
// router to signal.
func insertRoute(ctx context.Context, tx pgx.Tx, k key, instance, activation, via string) (bool, error) {
	return insertRouteAs(ctx, tx, k, instance, activation, via, false)
}

// insertRouteAs is insertRoute; a route already signalled is one whose
// event the instance has another way (its input).
func insertRouteAs(ctx context.Context, tx pgx.Tx, k key, instance, activation, via string, signalled bool) (bool, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO inbound_routes (sender, source, id, instance, activation, via, signalled_at)
		VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7 THEN now() END) ON CONFLICT DO NOTHING`,
		k.sender, k.source, k.id, instance, activation, via, signalled)
	if err != nil {
		return false, fmt.Errorf("route event %s to %s: %w", k.id, instance, err)
	}
	return tag.RowsAffected() == 1, nil
}

// EndListen forgets a listen's wait.
func (s *Service) EndListen(ctx context.Context, instance, activation string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM listens WHERE instance = $1 AND activation = $2`, instance, activation); err != nil {
		return fmt.Errorf("end the listen of %s: %w", instance, err)
	}
	return nil
}

// SetDrivers gives the waits of these instances a new list of who may
// drive them (their workflow's latest version's access.events).
func (s *Service) SetDrivers(ctx context.Context, instances, drivers []string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE listens SET drivers = $2 WHERE instance = ANY($1) AND drivers <> $2`,
		instances, store.TextArray(drivers)); err != nil {
		return fmt.Errorf("give %d instances' listens their workflow's senders: %w", len(instances), err)
	}
	return nil
}

// EndInstance forgets every wait of an instance that ended.
func (s *Service) EndInstance(ctx context.Context, instance string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM listens WHERE instance = $1`, instance); err != nil {
		return fmt.Errorf("end the listens of %s: %w", instance, err)
	}
	return nil
}

// routed is what routing some events did.
type routed struct {
	delivered        int
	started, refused []string
}

// route matches newly kept events, in the order they came, with the
// listens waiting now and the workflows events start; each match is a
// route the router signals, or an instance started with the event as its
// input. An event that cannot be routed is left to the router, and the
// others are routed all the same.
func (s *Service) route(ctx context.Context, keys []key, requestID string) (routed, error) {
	var all routed
	var errs []error
	for _, k := range keys {
		one, err := s.routeOne(ctx, k, requestID)
		if err != nil {
			errs = append(errs, fmt.Errorf("route event %s from %s: %w", k.id, k.source, err))
			continue
		}
		all.delivered += one.delivered
		all.started = append(all.started, one.started...)
		all.refused = append(all.refused, one.refused...)
	}
	if all.delivered > 0 {
		s.wake()
	}
	return all, errors.Join(errs...)
}

// routeOne routes one event to every waiting listen that takes it, and
// to the workflows it starts. What starting needs to read is read first,
// outside the transaction, which then holds one connection.
func (s *Service) routeOne(ctx context.Context, k key, requestID string) (routed, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+eventColumns+` FROM inbound_events e
		WHERE sender = $1 AND source = $2 AND id = $3 AND routed_at IS NULL`, k.sender, k.source, k.id)
	if err != nil {
		return routed{}, fmt.Errorf("read event %s: %w", k.id, err)
	}
	list, err := pgx.CollectRows(rows, scanKept)
	if err != nil || len(list) == 0 {
		return routed{}, err // routed already, or swept
	}
	ev := list[0]
	var plan StartPlan
	if s.Starters != nil {
		if plan, err = s.Starters.PlanEventStarts(ctx, StartEvent{Sender: ev.sender, Source: ev.source, ID: ev.id, Access: ev.access,
			Event: ev.event, RequestID: requestID}); err != nil {
			return routed{}, err
		}
	}
	var res routed
	err = store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		res, err = s.routeIn(ctx, tx, ev, plan)
		return err
	})
	return res, err
}

// routeIn routes the event in tx: locked first (before any listen, as a
// listen that begins locks them), then offered to the waiting listens in
// the order they began, then to the workflows it starts.
func (s *Service) routeIn(ctx context.Context, tx pgx.Tx, ev kept, plan StartPlan) (routed, error) {
	var locked bool
	if err := tx.QueryRow(ctx, `SELECT true FROM inbound_events WHERE sender = $1 AND source = $2 AND id = $3 AND routed_at IS NULL FOR UPDATE`,
		ev.sender, ev.source, ev.id).Scan(&locked); errors.Is(err, pgx.ErrNoRows) {
		return routed{}, nil // another replica routed it meanwhile
	} else if err != nil {
		return routed{}, fmt.Errorf("lock event %s: %w", ev.id, err)
	}
	type candidate struct {
		instance, activation string
		st                   waitState
	}
	m := workflows.NewEventMatcher(ev.event)
	keys, err := eventKeys(ctx, tx, ev, m)
	if err != nil {
		return routed{}, err
	}
	// Read without locks; only the listens that take the event are locked
	// and offered it again, as they are now.
	rows, err := tx.Query(ctx, `SELECT instance, activation, waiting, taken, drivers FROM listens
		WHERE NOT done AND types && ARRAY[$1, '*'] AND (corr_keys IS NULL OR corr_keys && $2)
		ORDER BY created_at, instance, activation`, ev.event["type"], keys)
	if err != nil {
		return routed{}, fmt.Errorf("find listens for event %s: %w", ev.id, err)
	}
	var cands []candidate
	for rows.Next() {
		var c candidate
		var raw []byte
		var drivers []string
		if err := rows.Scan(&c.instance, &c.activation, &raw, &c.st.taken, &drivers); err != nil {
			rows.Close()
			return routed{}, fmt.Errorf("read a listen for event %s: %w", ev.id, err)
		}
		if !MayDrive(ev.access, drivers) {
			continue
		}
		if err := json.Unmarshal(raw, &c.st.w); err != nil {
			rows.Close()
			return routed{}, fmt.Errorf("read the listen of %s: %w", c.instance, err)
		}
		if _, take, _ := c.st.offer(m); take {
			cands = append(cands, c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return routed{}, fmt.Errorf("find listens for event %s: %w", ev.id, err)
	}
	var res routed
	consumed := false
	for _, c := range cands {
		st, _, err := lockListen(ctx, tx, c.instance, c.activation)
		if errors.Is(err, pgx.ErrNoRows) {
			continue // it ended meanwhile
		}
		if err != nil {
			return routed{}, err
		}
		next, take, sure := st.offer(m)
		if !take {
			continue // another event filled it meanwhile
		}
		inserted, err := insertRoute(ctx, tx, ev.key, c.instance, c.activation, "arrival")
		if err != nil {
			return routed{}, err
		}
		if !inserted {
			continue
		}
		consumed = consumed || sure
		if err := saveListen(ctx, tx, c.instance, c.activation, next); err != nil {
			return routed{}, err
		}
	}
	if plan != nil {
		reached, err := routedTo(ctx, tx, ev)
		if err != nil {
			return routed{}, err
		}
		st, err := plan.Apply(ctx, tx, reached)
		if err != nil {
			return routed{}, err
		}
		res.refused = st.Refused
		for _, instance := range st.Started {
			if _, err := insertRouteAs(ctx, tx, ev.key, instance, "", "start", true); err != nil {
				return routed{}, err
			}
			res.started = append(res.started, instance)
			consumed = true
		}
		for _, instance := range st.Reached {
			if _, err := insertRoute(ctx, tx, ev.key, instance, "", "start"); err != nil {
				return routed{}, err
			}
			consumed = true
		}
	}
	// Delivered counts each instance the event reached: by a route written
	// here, or by one a listen that began since the event was kept wrote
	// before this transaction (it takes kept events itself).
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM inbound_routes WHERE sender = $1 AND source = $2 AND id = $3`,
		ev.sender, ev.source, ev.id).Scan(&res.delivered); err != nil {
		return routed{}, fmt.Errorf("count the routes of event %s: %w", ev.id, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE inbound_events SET routed_at = now(), consumed = consumed OR $4
		WHERE sender = $1 AND source = $2 AND id = $3`, ev.sender, ev.source, ev.id, consumed); err != nil {
		return routed{}, fmt.Errorf("mark event %s routed: %w", ev.id, err)
	}
	return res, nil
}

// routedTo are the instances the event has reached so far.
func routedTo(ctx context.Context, tx pgx.Tx, ev kept) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT instance FROM inbound_routes WHERE sender = $1 AND source = $2 AND id = $3`, ev.sender, ev.source, ev.id)
	if err != nil {
		return nil, fmt.Errorf("read the routes of event %s: %w", ev.id, err)
	}
	reached, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("read the routes of event %s: %w", ev.id, err)
	}
	return reached, nil
}

// eventKeys are the correlation keys the event carries for the listens
// its type may reach: each from they read, worked out on the event.
func eventKeys(ctx context.Context, tx pgx.Tx, ev kept, m *workflows.EventMatcher) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT DISTINCT f FROM listens, unnest(corr_froms) f
		WHERE NOT done AND types && ARRAY[$1, '*'] AND corr_keys IS NOT NULL`, ev.event["type"])
	if err != nil {
		return nil, fmt.Errorf("find what listens correlate event %s by: %w", ev.id, err)
	}
	froms, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("find what listens correlate event %s by: %w", ev.id, err)
	}
	keys := []string{}
	for _, from := range froms {
		if v, err := m.Read(from); err == nil && v != nil {
			keys = append(keys, corrKey(from, v))
		}
	}
	return keys, nil
}
