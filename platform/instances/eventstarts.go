package instances

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"cop/forms"
	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/cases"
	"cop/platform/inbound"
	"cop/platform/problem"
	"cop/platform/registry"
	"cop/platform/store"
	"cop/workflows"
	"cop/workflows/engine"
)

// PlanEventStarts reads what starting instances on an event needs: each
// active workflow whose schedule.on takes the event and whose
// access.events admits its sender (admins always), pinned, with the key
// one instance runs per. Nil when the event starts nothing.
func (s *Service) PlanEventStarts(ctx context.Context, e inbound.StartEvent) (inbound.StartPlan, error) {
	defs, err := s.defs.EventStartedWorkflows(ctx)
	if err != nil {
		return nil, err
	}
	plan := &eventPlan{s: s, e: e}
	m := workflows.NewEventMatcher(e.Event)
	for _, def := range defs {
		w, err := s.defs.DecodedWorkflow(def)
		if err != nil {
			continue // stored before a model change; it cannot be run either
		}
		if !inbound.MayDrive(e.Access, workflows.AccessOf(w).Events) {
			continue
		}
		values, ok, sure := startFilter(w).Takes(m, nil)
		if !ok || !sure {
			continue // the check refused conditions on workflow data here
		}
		key, err := startKey(values, e)
		if err != nil {
			return nil, err
		}
		p, err := s.prepareEventStart(ctx, def, w, key, e)
		var refused *startRefused
		if errors.As(err, &refused) {
			plan.refused = append(plan.refused, refused.Error())
			continue
		}
		if err != nil {
			return nil, err
		}
		plan.starts = append(plan.starts, p)
	}
	if len(plan.starts) == 0 && len(plan.refused) == 0 {
		return nil, nil
	}
	return plan, nil
}

// eventPlan is what an event starts, read before its transaction.
type eventPlan struct {
	s       *Service
	e       inbound.StartEvent
	starts  []eventStart
	refused []string
}

// eventStart is one workflow's instance for an event, ready to write.
type eventStart struct {
	def   registry.Definition
	w     *workflows.Workflow
	key   string
	in    Instance
	start engine.Start
	// caseID and the instance's BusinessKey: the case the event's subject
	// names; 0 opens a new one with prefix.
	caseID int64
	prefix string
}

// Apply starts, in tx, each planned instance, or reaches the one an
// earlier event with the same key started that has not ended. One that
// this very event already reached (a listen took it) and that ended on it
// is not started again.
func (p *eventPlan) Apply(ctx context.Context, tx pgx.Tx, reached []string) (inbound.Started, error) {
	res := inbound.Started{Refused: p.refused}
	for _, st := range p.starts {
		latest, live, err := startedFor(ctx, tx, st.def, st.key)
		if err != nil {
			return res, err
		}
		if live {
			res.Reached = append(res.Reached, latest)
			continue
		}
		if latest != "" && slices.Contains(reached, latest) {
			continue // it took this event through a listen, and ended on it
		}
		if err := p.s.startForEvent(ctx, tx, st, p.e); err != nil {
			return res, err
		}
		res.Started = append(res.Started, st.in.ID)
	}
	return res, nil
}

// startFilter is a workflow's schedule.on filter as the router matches it.
func startFilter(w *workflows.Workflow) workflows.WaitingFilter {
	one := workflows.ScheduleOf(w).On.One
	f := workflows.WaitingFilter{With: one.With}
	if d, ok := one.With["data"].(string); ok && workflows.IsExpression(d) {
		f.With, f.Data = maps.Clone(one.With), d
		delete(f.With, "data")
	}
	for _, name := range slices.Sorted(maps.Keys(one.Correlate)) {
		var c workflows.Correlation
		_ = json.Unmarshal(one.Correlate[name], &c) // the check refused anything else
		f.Correlate = append(f.Correlate, workflows.WaitingCorrelation{Name: name, From: c.FromExpr(), Expect: c.Expect, Known: c.Expect != nil})
	}
	return f
}

// startKey is what one instance is started per: the correlation values,
// or without correlations the event itself.
func startKey(values map[string]any, e inbound.StartEvent) (string, error) {
	if len(values) == 0 {
		return "event:" + e.Sender + "\n" + e.Source + "\n" + e.ID, nil
	}
	b, err := json.Marshal(values) // keys sorted
	if err != nil {
		return "", fmt.Errorf("encode correlation values: %w", err)
	}
	return "values:" + string(b), nil
}

// startedFor finds the latest instance an earlier event started for the
// same key, and whether it has not ended (live), holding the key for this
// transaction so two events for one key at once start one instance.
func startedFor(ctx context.Context, tx pgx.Tx, def registry.Definition, key string) (id string, live bool, err error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 17))`, def.Namespace+"/"+def.Name+"\n"+key); err != nil {
		return "", false, fmt.Errorf("hold the start of %s/%s: %w", def.Namespace, def.Name, err)
	}
	err = tx.QueryRow(ctx, `SELECT es.instance, i.status IN ('starting', 'running') FROM event_starts es JOIN instances i ON i.id = es.instance
		WHERE es.namespace = $1 AND es.name = $2 AND es.key = $3
		ORDER BY i.status IN ('starting', 'running') DESC, es.created_at DESC LIMIT 1`, def.Namespace, def.Name, key).Scan(&id, &live)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("find the instance of %s/%s for an event: %w", def.Namespace, def.Name, err)
	}
	return id, live, nil
}

type startRefused struct{ msg string }

func (e *startRefused) Error() string { return e.msg }

// prepareEventStart is the instance an event starts: {"event": the
// CloudEvent} as its input (refused when the input schema refuses it),
// pinned, in the case the event's subject names when the sender may see
// it, else a new one.
func (s *Service) prepareEventStart(ctx context.Context, def registry.Definition, w *workflows.Workflow, key string, e inbound.StartEvent) (eventStart, error) {
	name := describe(def.Namespace, def.Name, def.Version)
	input := map[string]any{"event": e.Event}
	if err := checkInput(w, input); err != nil {
		return eventStart{}, &startRefused{fmt.Sprintf("%s: the event is not the input it takes: %s", name, fieldsOf(err))}
	}
	sender := senderPrincipal(e)
	start := engine.Start{Definition: def.Content, Input: input, StartedBy: e.Sender, Tracked: true}
	if err := engine.Pin(w, &resolver{ctx: ctx, defs: s.defs}, &start); err != nil {
		return eventStart{}, &startRefused{fmt.Sprintf("%s: cannot pin what it uses: %v", name, err)}
	}
	st := eventStart{def: def, w: w, key: key, start: start,
		prefix: cases.CasePrefix(forms.Definition{Name: def.Name, CasePrefix: workflows.CasePrefixOf(w)})}
	if subject, _ := e.Event["subject"].(string); subject != "" {
		id, err := s.cases.JoinCase(ctx, sender, subject)
		switch {
		case err == nil:
			st.caseID, st.in.BusinessKey = id, subject
		case !errors.Is(err, cases.ErrNotFound):
			return eventStart{}, err
		}
	}
	sum := sha256.Sum256([]byte(def.Namespace + "/" + def.Name + "\n" + key + "\n" + e.Sender + "\n" + e.Source + "\n" + e.ID))
	st.in = Instance{ID: "ev-" + hex.EncodeToString(sum[:16]), Workflow: WorkflowRef{def.Namespace, def.Name, def.Version}, BusinessKey: st.in.BusinessKey,
		Status: StatusStarting, Trace: []engine.TraceEntry{}, StartedBy: e.Sender, StartedAt: time.Now().UTC(),
		readAccess: store.TextArray(workflows.AccessOf(w).Read), teams: store.TextArray(sender.Teams)}
	return st, nil
}

// startForEvent records, in tx, a new instance an event starts, as
// 'starting' (the outbox starts it), opening its case if it joins none.
func (s *Service) startForEvent(ctx context.Context, tx pgx.Tx, st eventStart, e inbound.StartEvent) error {
	if st.caseID == 0 {
		id, key, err := s.cases.OpenCaseIn(ctx, tx, st.prefix, e.Sender)
		if err != nil {
			return err
		}
		st.caseID, st.in.BusinessKey = id, key
	}
	st.start.CaseKey = st.in.BusinessKey
	who := audit.Who{Actor: e.Sender, RequestID: e.RequestID}
	if err := reserve(ctx, tx, who, st.in, st.start, "", st.caseID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO event_starts (instance, namespace, name, key) VALUES ($1, $2, $3, $4)`,
		st.in.ID, st.def.Namespace, st.def.Name, st.key); err != nil {
		return fmt.Errorf("record what started %s: %w", st.in.ID, err)
	}
	return nil
}

// fieldsOf says what a refused input has wrong, each at its pointer.
func fieldsOf(err error) string {
	var pe *problem.Error
	if !errors.As(err, &pe) || len(pe.Fields) == 0 {
		return err.Error()
	}
	parts := make([]string, len(pe.Fields))
	for i, f := range pe.Fields {
		parts[i] = f.Pointer + ": " + f.Message
	}
	return strings.Join(parts, "; ")
}

// senderPrincipal is the sender as its access entries describe it.
func senderPrincipal(e inbound.StartEvent) *auth.Principal {
	p := &auth.Principal{Subject: e.Sender, Roles: []string{}, Teams: []string{}, Via: "event"}
	for _, a := range e.Access {
		kind, name, _ := strings.Cut(a, ":")
		switch kind {
		case "role":
			p.Roles = append(p.Roles, name)
		case "team":
			p.Teams = append(p.Teams, name)
		}
	}
	return p
}
