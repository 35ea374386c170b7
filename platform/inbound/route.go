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

// waitState is a listen's progress while events are offered to it.
type waitState struct {
	w     workflows.Waiting
	taken []int32
	done  bool
}

// offer gives the listen an event: whether it takes it (and then its new
// state), as the listen itself would: the first filter that matches, each
// filter once for all, one event for one and any without until.
func (st *waitState) offer(exprs *workflows.Exprs, ev map[string]any) bool {
	if st.done {
		return false
	}
	if st.w.Seen == nil {
		st.w.Seen = map[string]any{}
	}
	if len(st.w.Filters) == 0 { // any: [], any event
		st.done = st.w.Mode != workflows.WaitUntil
		return true
	}
	for i, f := range st.w.Filters {
		if st.w.Mode == workflows.WaitAll && slices.Contains(st.taken, int32(i)) {
			continue
		}
		first, ok := f.Takes(exprs, ev, st.w.Seen)
		if !ok {
			continue
		}
		maps.Copy(st.w.Seen, first)
		switch st.w.Mode {
		case workflows.WaitAll:
			st.taken = append(st.taken, int32(i))
			st.done = len(st.taken) == len(st.w.Filters)
		case workflows.WaitUntil:
		default:
			st.done = true
		}
		return true
	}
	return false
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

// mayDrive: the sender (its access entries) may drive a listen whose
// workflow allows drivers.
func mayDrive(senderAccess, drivers []string) bool {
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

// Register records that an instance waits in a listen, and hands it the
// kept events it takes (sent before it began to wait, that no listen has
// taken, from senders its workflow allows), oldest first; each is then
// consumed. A retried registration returns the same events.
func (s *Service) Register(ctx context.Context, l Listen) ([]map[string]any, error) {
	waiting, err := json.Marshal(l.Waiting)
	if err != nil {
		return nil, fmt.Errorf("encode the listen of %s: %w", l.Instance, err)
	}
	// Committed before the kept events are read, so an event that arrives
	// meanwhile finds the listen if this does not find the event.
	if _, err := s.pool.Exec(ctx, `INSERT INTO listens (instance, activation, position, types, waiting, drivers)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
		l.Instance, l.Activation, l.Position, typesOf(l.Waiting), waiting, store.TextArray(l.Drivers)); err != nil {
		return nil, fmt.Errorf("record the listen of %s at %s: %w", l.Instance, l.Position, err)
	}
	var out []map[string]any
	err = store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		st, types, drivers, err := lockListen(ctx, tx, l.Instance, l.Activation)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // it ended already
		}
		if err != nil {
			return err
		}
		if err := s.takeKept(ctx, tx, l, st, types, drivers); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+eventColumns+` FROM inbound_routes r
			JOIN inbound_events e USING (sender, source, id)
			WHERE r.instance = $1 AND r.activation = $2 AND r.via = 'listen' ORDER BY e.received_at, e.source, e.id`, l.Instance, l.Activation)
		if err != nil {
			return fmt.Errorf("read the events kept for %s: %w", l.Instance, err)
		}
		list, err := pgx.CollectRows(rows, scanKept)
		if err != nil {
			return err
		}
		out = make([]map[string]any, len(list))
		for i, k := range list {
			out[i] = k.event
		}
		return nil
	})
	return out, err
}

// maxKeptOffered bounds the kept events one registration looks at.
const maxKeptOffered = 500

// takeKept offers the listen the kept events it may take.
func (s *Service) takeKept(ctx context.Context, tx pgx.Tx, l Listen, st *waitState, types, drivers []string) error {
	if st.done {
		return nil
	}
	// Locked events are being routed as they arrive: that routing sees
	// this listen.
	rows, err := tx.Query(ctx, `SELECT `+eventColumns+` FROM inbound_events e
		WHERE NOT e.consumed AND e.expires_at > now() AND (e.type = ANY($1) OR $2)
		ORDER BY e.received_at, e.source, e.id LIMIT $3 FOR UPDATE SKIP LOCKED`,
		types, slices.Contains(types, anyType), maxKeptOffered)
	if err != nil {
		return fmt.Errorf("find events kept for %s: %w", l.Instance, err)
	}
	list, err := pgx.CollectRows(rows, scanKept)
	if err != nil {
		return err
	}
	exprs := &workflows.Exprs{}
	changed := false
	for _, k := range list {
		if st.done {
			break
		}
		if !mayDrive(k.access, drivers) || !st.offer(exprs, k.event) {
			continue
		}
		inserted, err := insertRoute(ctx, tx, k.key, l.Instance, l.Activation, "listen", true)
		if err != nil {
			return err
		}
		if !inserted {
			continue // the instance has it already
		}
		changed = true
		if _, err := tx.Exec(ctx, `UPDATE inbound_events SET consumed = true WHERE sender = $1 AND source = $2 AND id = $3`,
			k.sender, k.source, k.id); err != nil {
			return fmt.Errorf("consume event %s: %w", k.id, err)
		}
	}
	if !changed {
		return nil
	}
	return saveListen(ctx, tx, l.Instance, l.Activation, st)
}

// lockListen reads a waiting listen's state, locked for this transaction.
func lockListen(ctx context.Context, tx pgx.Tx, instance, activation string) (*waitState, []string, []string, error) {
	var st waitState
	var raw []byte
	var types, drivers []string
	err := tx.QueryRow(ctx, `SELECT waiting, taken, done, types, drivers FROM listens WHERE instance = $1 AND activation = $2 FOR UPDATE`,
		instance, activation).Scan(&raw, &st.taken, &st.done, &types, &drivers)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := json.Unmarshal(raw, &st.w); err != nil {
		return nil, nil, nil, fmt.Errorf("read the listen of %s: %w", instance, err)
	}
	return &st, types, drivers, nil
}

func saveListen(ctx context.Context, tx pgx.Tx, instance, activation string, st *waitState) error {
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

// insertRoute gives an event to an instance, once per instance.
func insertRoute(ctx context.Context, tx pgx.Tx, k key, instance, activation, via string, signalled bool) (bool, error) {
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
// input.
func (s *Service) route(ctx context.Context, keys []key, requestID string) (routed, error) {
	var all routed
	for _, k := range keys {
		var one routed
		err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
			var err error
			one, err = s.routeOne(ctx, tx, k, requestID)
			return err
		})
		if err != nil {
			return all, err
		}
		all.delivered += one.delivered
		all.started = append(all.started, one.started...)
		all.refused = append(all.refused, one.refused...)
	}
	if all.delivered > 0 {
		s.wake()
	}
	return all, nil
}

// routeOne routes one event to every waiting listen that takes it, and
// to the workflows it starts.
func (s *Service) routeOne(ctx context.Context, tx pgx.Tx, k key, requestID string) (routed, error) {
	rows, err := tx.Query(ctx, `SELECT `+eventColumns+` FROM inbound_events e
		WHERE sender = $1 AND source = $2 AND id = $3 AND routed_at IS NULL FOR UPDATE`, k.sender, k.source, k.id)
	if err != nil {
		return routed{}, fmt.Errorf("read event %s: %w", k.id, err)
	}
	list, err := pgx.CollectRows(rows, scanKept)
	if err != nil || len(list) == 0 {
		return routed{}, err // routed already, or swept
	}
	ev := list[0]
	type candidate struct {
		instance, activation string
		st                   *waitState
	}
	var cands []candidate
	rows, err = tx.Query(ctx, `SELECT instance, activation, waiting, taken, drivers FROM listens
		WHERE NOT done AND types && ARRAY[$1, '*'] ORDER BY created_at, instance, activation FOR UPDATE`, ev.event["type"])
	if err != nil {
		return routed{}, fmt.Errorf("find listens for event %s: %w", k.id, err)
	}
	for rows.Next() {
		var c candidate
		var raw []byte
		var drivers []string
		c.st = &waitState{}
		if err := rows.Scan(&c.instance, &c.activation, &raw, &c.st.taken, &drivers); err != nil {
			rows.Close()
			return routed{}, fmt.Errorf("read a listen for event %s: %w", k.id, err)
		}
		if !mayDrive(ev.access, drivers) {
			continue
		}
		if err := json.Unmarshal(raw, &c.st.w); err != nil {
			rows.Close()
			return routed{}, fmt.Errorf("read the listen of %s: %w", c.instance, err)
		}
		cands = append(cands, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return routed{}, fmt.Errorf("find listens for event %s: %w", k.id, err)
	}
	exprs := &workflows.Exprs{}
	n := 0
	for _, c := range cands {
		if !c.st.offer(exprs, ev.event) {
			continue
		}
		inserted, err := insertRoute(ctx, tx, k, c.instance, c.activation, "arrival", false)
		if err != nil {
			return routed{}, err
		}
		if !inserted {
			continue
		}
		n++
		if err := saveListen(ctx, tx, c.instance, c.activation, c.st); err != nil {
			return routed{}, err
		}
	}
	res, err := s.startOn(ctx, tx, ev, requestID)
	if err != nil {
		return routed{}, err
	}
	res.delivered += n
	if _, err := tx.Exec(ctx, `UPDATE inbound_events SET routed_at = now(), consumed = consumed OR $4
		WHERE sender = $1 AND source = $2 AND id = $3`, k.sender, k.source, k.id, res.delivered > 0); err != nil {
		return routed{}, fmt.Errorf("mark event %s routed: %w", k.id, err)
	}
	return res, nil
}

// startOn offers the event to the workflows events start: an instance it
// starts has it as input; one it reaches is signalled it.
func (s *Service) startOn(ctx context.Context, tx pgx.Tx, ev kept, requestID string) (routed, error) {
	var res routed
	if s.Starters == nil {
		return res, nil
	}
	st, err := s.Starters.StartOnEvent(ctx, tx, StartEvent{Sender: ev.sender, Source: ev.source, ID: ev.id, Access: ev.access,
		Event: ev.event, RequestID: requestID})
	if err != nil {
		return res, err
	}
	res.refused = st.Refused
	for _, instance := range st.Started {
		if _, err := insertRoute(ctx, tx, ev.key, instance, "", "start", true); err != nil {
			return res, err
		}
		res.started = append(res.started, instance)
		res.delivered++
	}
	for _, instance := range st.Reached {
		inserted, err := insertRoute(ctx, tx, ev.key, instance, "", "start", false)
		if err != nil {
			return res, err
		}
		if inserted {
			res.delivered++
		}
	}
	return res, nil
}
