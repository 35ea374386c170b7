package instances

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
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

// StartOnEvent starts, in tx (the one that routes the event), an instance
// of each active workflow whose schedule.on takes the event and whose
// access.events admits its sender (admins always); or, when an instance
// an earlier event started with the same correlation values still runs,
// reaches that one instead. A workflow the event cannot start (its input
// schema refuses the event) is named in refused, not started.
func (s *Service) StartOnEvent(ctx context.Context, tx pgx.Tx, e inbound.StartEvent) (inbound.Started, error) {
	var res inbound.Started
	defs, err := s.defs.EventStartedWorkflows(ctx)
	if err != nil {
		return res, err
	}
	exprs := &workflows.Exprs{}
	for _, def := range defs {
		w, err := workflows.Decode(def.Content)
		if err != nil {
			continue // stored before a model change; it cannot be run either
		}
		if !senderMay(e.Access, workflows.AccessOf(w).Events) {
			continue
		}
		values, ok := startFilter(w).Takes(exprs, e.Event, nil)
		if !ok {
			continue
		}
		key, err := startKey(values, e)
		if err != nil {
			return res, err
		}
		running, err := s.startedFor(ctx, tx, def, key)
		if err != nil {
			return res, err
		}
		if running != "" {
			res.Reached = append(res.Reached, running)
			continue
		}
		id, err := s.startForEvent(ctx, tx, def, w, key, e)
		var refused *startRefused
		if errors.As(err, &refused) {
			res.Refused = append(res.Refused, refused.Error())
			continue
		}
		if err != nil {
			return res, err
		}
		res.Started = append(res.Started, id)
	}
	return res, nil
}

// startFilter is a workflow's schedule.on filter as the router matches it.
func startFilter(w *workflows.Workflow) workflows.WaitingFilter {
	one := workflows.ScheduleOf(w).On.One
	f := workflows.WaitingFilter{With: one.With}
	if d, ok := one.With["data"].(string); ok && workflows.IsExpression(d) {
		f.With = map[string]any{}
		for k, v := range one.With {
			if k != "data" {
				f.With[k] = v
			}
		}
		f.Data = d
	}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range one.Correlate {
			if !yield(k) {
				return
			}
		}
	}) {
		var c workflows.Correlation
		_ = json.Unmarshal(one.Correlate[name], &c) // the check refused anything else
		from := c.From
		if !workflows.IsExpression(from) {
			from = "${ " + from + " }"
		}
		f.Correlate = append(f.Correlate, workflows.WaitingCorrelation{Name: name, From: from, Expect: c.Expect, Known: c.Expect != nil})
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

// senderMay: the sender's access entries meet the workflow's events list.
func senderMay(access, events []string) bool {
	if slices.Contains(access, "role:"+auth.RoleAdmin) {
		return true
	}
	for _, e := range events {
		if slices.Contains(access, e) {
			return true
		}
	}
	return false
}

// startedFor finds the instance an earlier event started for the same
// key that has not ended, holding the key for this transaction so two
// events for one key at once start one instance.
func (s *Service) startedFor(ctx context.Context, tx pgx.Tx, def registry.Definition, key string) (string, error) {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 17))`, def.Namespace+"/"+def.Name+"\n"+key); err != nil {
		return "", fmt.Errorf("hold the start of %s/%s: %w", def.Namespace, def.Name, err)
	}
	var id string
	err := tx.QueryRow(ctx, `SELECT es.instance FROM event_starts es JOIN instances i ON i.id = es.instance
		WHERE es.namespace = $1 AND es.name = $2 AND es.key = $3 AND i.status IN ('starting', 'running')
		ORDER BY es.created_at DESC LIMIT 1`, def.Namespace, def.Name, key).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("find the instance of %s/%s for an event: %w", def.Namespace, def.Name, err)
	}
	return id, nil
}

type startRefused struct{ msg string }

func (e *startRefused) Error() string { return e.msg }

// startForEvent records a new instance started by the event, as
// 'starting' (the outbox starts it), with {"event": the CloudEvent} as
// its input, in the case the event's subject names when the sender may
// see it, else a new one.
func (s *Service) startForEvent(ctx context.Context, tx pgx.Tx, def registry.Definition, w *workflows.Workflow, key string, e inbound.StartEvent) (string, error) {
	name := describe(def.Namespace, def.Name, def.Version)
	input := map[string]any{"event": e.Event}
	if err := checkInput(w, input); err != nil {
		return "", &startRefused{fmt.Sprintf("%s: the event is not the input it takes: %s", name, fieldsOf(err))}
	}
	sender := senderPrincipal(e)
	start := engine.Start{Definition: def.Content, Input: input, StartedBy: e.Sender, Tracked: true}
	if err := engine.Pin(w, &resolver{ctx: ctx, defs: s.defs}, &start); err != nil {
		return "", &startRefused{fmt.Sprintf("%s: cannot pin what it uses: %v", name, err)}
	}
	caseID, caseKey, err := s.eventCase(ctx, tx, sender, def, w, e)
	if err != nil {
		return "", err
	}
	start.CaseKey = caseKey
	sum := sha256.Sum256([]byte(def.Namespace + "/" + def.Name + "\n" + key + "\n" + e.Sender + "\n" + e.Source + "\n" + e.ID))
	in := Instance{ID: "ev-" + hex.EncodeToString(sum[:16]), Workflow: WorkflowRef{def.Namespace, def.Name, def.Version}, BusinessKey: caseKey,
		Status: StatusStarting, Trace: []engine.TraceEntry{}, StartedBy: e.Sender, StartedAt: time.Now().UTC(),
		readAccess: store.TextArray(workflows.AccessOf(w).Read), teams: store.TextArray(sender.Teams)}
	who := audit.Who{Actor: e.Sender, RequestID: e.RequestID}
	if err := reserve(ctx, tx, who, in, start, "", caseID); err != nil {
		return "", err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO event_starts (instance, namespace, name, key) VALUES ($1, $2, $3, $4)`,
		in.ID, def.Namespace, def.Name, key); err != nil {
		return "", fmt.Errorf("record what started %s: %w", in.ID, err)
	}
	return in.ID, nil
}

// eventCase is the case an instance an event starts joins: the one the
// event's subject names, if the sender may see it; else a new one.
func (s *Service) eventCase(ctx context.Context, tx pgx.Tx, sender *auth.Principal, def registry.Definition, w *workflows.Workflow, e inbound.StartEvent) (int64, string, error) {
	if subject, _ := e.Event["subject"].(string); subject != "" {
		id, err := s.cases.JoinCase(ctx, sender, subject)
		if err == nil {
			return id, subject, nil
		}
		if !errors.Is(err, cases.ErrNotFound) {
			return 0, "", err
		}
	}
	prefix := cases.CasePrefix(forms.Definition{Name: def.Name, CasePrefix: workflows.CasePrefixOf(w)})
	return s.cases.OpenCaseIn(ctx, tx, prefix, e.Sender)
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
