package instances

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/api/serviceerror"

	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/cases"
	"cop/platform/events"
	"cop/platform/registry"
	"cop/platform/store"
	"cop/workflows"
	"cop/workflows/engine"
)

// StatusStarting is an instance decided at a submission's commit that
// Temporal does not have yet: the workflow-start subscriber starts it.
const StatusStarting = "starting"

// PlanStarts decides, just before a submission's transaction, every
// workflow whose document.metadata.startForm names the submission's form:
// each is pinned (its version, forms and sub-workflows) and given an id
// derived from the submission and the workflow, with the submission as its
// input ({"submission": {...}}) and the submitter as its starter. The
// plan's Reserve writes them, in the submission's transaction, as
// 'starting' instances in its case: what each runs and who started it are
// fixed at the commit, and the workflow-start subscriber asks Temporal
// later. A workflow that cannot start at all (an input its schema
// refuses) is refused in the plan, which does not stop the submission.
func (s *Service) PlanStarts(ctx context.Context, p *auth.Principal, sub cases.Submission) (cases.Starts, error) {
	defs, err := s.defs.StartingWorkflows(ctx, sub.Form, sub.FormVersion)
	if err != nil {
		return nil, err
	}
	plan := &startPlan{submission: sub}
	if len(defs) == 0 {
		return plan, nil
	}
	input, err := json.Marshal(map[string]any{"submission": sub})
	if err != nil {
		return nil, fmt.Errorf("encode submission %s as input: %w", sub.ID, err)
	}
	for _, def := range defs {
		in, start, err := s.prepareStart(ctx, p, def, sub, input)
		if err != nil {
			plan.refused = append(plan.refused, fmt.Sprintf("start %s: %v", describe(def.Namespace, def.Name, def.Version), err))
			continue
		}
		plan.ready = append(plan.ready, planned{in, start})
	}
	return plan, nil
}

type planned struct {
	in    Instance
	start engine.Start
}

// startPlan is what a submission starts.
type startPlan struct {
	submission cases.Submission
	ready      []planned
	refused    []string
}

// Reserve writes the planned instances, as 'starting', in tx.
func (sp *startPlan) Reserve(ctx context.Context, tx pgx.Tx, who audit.Who, caseID int64) ([]string, []string, error) {
	var ids []string
	for _, p := range sp.ready {
		if err := reserve(ctx, tx, who, p.in, p.start, sp.submission.ID, caseID); err != nil {
			return nil, nil, err
		}
		ids = append(ids, p.in.ID)
	}
	return ids, sp.refused, nil
}

// prepareStart is what a start form's workflow will run: checked against
// its input schema and pinned.
func (s *Service) prepareStart(ctx context.Context, p *auth.Principal, def registry.Definition, sub cases.Submission, input json.RawMessage) (Instance, engine.Start, error) {
	w, err := s.defs.DecodedWorkflow(def)
	if err != nil {
		return Instance{}, engine.Start{}, err
	}
	decoded, err := decodeInput(input)
	if err != nil {
		return Instance{}, engine.Start{}, err
	}
	if err := checkInput(w, decoded); err != nil {
		return Instance{}, engine.Start{}, err
	}
	which := sha256.Sum256([]byte(def.Namespace + "/" + def.Name))
	id, hash, err := instanceID(p, launch{def: def, input: input, businessKey: sub.BusinessKey, requestedVersion: def.Version,
		idempotencyKey: "submission:" + sub.ID + ":" + hex.EncodeToString(which[:8])})
	if err != nil {
		return Instance{}, engine.Start{}, err
	}
	start := engine.Start{Definition: def.Content, Input: decoded, StartedBy: p.Subject, CaseKey: sub.BusinessKey, Tracked: true}
	res := &resolver{ctx: ctx, defs: s.defs}
	if err := engine.Pin(w, res, &start); err != nil {
		return Instance{}, engine.Start{}, fmt.Errorf("cannot pin what it uses: %w", err)
	}
	if workflows.Refs(w).Amends {
		// An amend task fills in the submission's own form version.
		pf, err := res.Form(sub.Form, sub.FormVersion)
		if err != nil {
			return Instance{}, engine.Start{}, fmt.Errorf("cannot pin form %s@%s to amend: %w", sub.Form, sub.FormVersion, err)
		}
		start.Forms[engine.AmendFormKey(sub.Form, sub.FormVersion)] = pf
	}
	in := Instance{ID: id, Workflow: WorkflowRef{def.Namespace, def.Name, def.Version}, BusinessKey: sub.BusinessKey,
		Status: StatusStarting, Trace: []engine.TraceEntry{}, StartedBy: p.Subject, StartedAt: sub.SubmittedAt,
		readAccess: store.TextArray(workflows.AccessOf(w).Read), teams: store.TextArray(p.Teams), requestHash: hash}
	return in, start, nil
}

// reserve writes a 'starting' instance and its audit row in tx.
func reserve(ctx context.Context, tx pgx.Tx, who audit.Who, in Instance, start engine.Start, submission string, caseID int64) error {
	pending, err := json.Marshal(start)
	if err != nil {
		return fmt.Errorf("encode the start of %s: %w", in.ID, err)
	}
	if inserted, err := insertStarting(ctx, tx, in, caseID, submission, pending); err != nil || !inserted {
		return cmp.Or(err, fmt.Errorf("instance %s is recorded already", in.ID))
	}
	if err := audit.Record(ctx, tx, who.Entry("instance.start", "instance:"+in.ID, audit.OK, map[string]any{
		"workflow": describe(in.Workflow.Namespace, in.Workflow.Name, in.Workflow.Version), "draft": false,
		"case": in.BusinessKey, "submission": submission})); err != nil {
		return err
	}
	// The outbox hands it to the workflow-starts subscriber.
	err = events.Publish(ctx, tx, events.New{ID: events.IDFor(in.ID, events.InstanceStarting), Type: events.InstanceStarting,
		Subject: in.BusinessKey, Instance: in.ID, Data: in})
	return err
}

// StartSubscriber is the events subscriber that starts the instances a
// submission decided (cop.instance.starting). It is idempotent: an
// instance Temporal already has (a delivery repeated after a crash)
// counts as started, and one no longer starting is left alone.
func (s *Service) StartSubscriber() events.Subscriber {
	return events.Subscriber{Name: "workflow-starts", Types: []string{events.InstanceStarting}, Drafts: true, Handle: s.startReserved}
}

func (s *Service) startReserved(ctx context.Context, e events.Event) error {
	var in struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(e.Data, &in); err != nil || in.ID == "" {
		return fmt.Errorf("event %s names no instance: %v", e.ID, err)
	}
	namespace, name, pending, err := pendingStart(ctx, s.pool, in.ID)
	if err != nil || pending == nil {
		return err // nil: started already (or ended, or cancelled)
	}
	var start engine.Start
	if err := json.Unmarshal(pending, &start); err != nil {
		return fmt.Errorf("decode the start of %s: %w", in.ID, err)
	}
	return s.startOne(ctx, in.ID, namespace, name, start)
}

// startOne asks Temporal to run a reserved instance and marks it running.
func (s *Service) startOne(ctx context.Context, id, namespace, name string, start engine.Start) error {
	_, err := engine.StartInstance(ctx, s.temporal, engine.StartOptions{ID: id, TaskQueue: s.taskQueue, Start: start, Namespace: namespace, Name: name})
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &already) {
		return fmt.Errorf("start instance %s on Temporal: %w", id, err)
	}
	return markStarted(ctx, s.pool, id)
}

// markStarted marks an instance Temporal has as running and announces it,
// once however many deliveries, retries and reads find it started.
func markStarted(ctx context.Context, pool *pgxpool.Pool, id string) error {
	err := store.InTx(ctx, pool, func(tx pgx.Tx) error {
		marked, err := markRunning(ctx, tx, id)
		if err != nil || !marked {
			return err // marked already
		}
		return publishInstance(ctx, tx, id, events.InstanceStarted)
	})
	if err != nil {
		return fmt.Errorf("mark instance %s started: %w", id, err)
	}
	return nil
}

// publishInstance announces what happened to an instance, with the
// instance as the API shows it (without its trace).
func publishInstance(ctx context.Context, q store.Querier, id, eventType string) error {
	in, err := readRow(ctx, q, id)
	if err != nil {
		return err
	}
	// A retried instance's runs each announce how they end: its retries
	// tell one run's faulted from the next's.
	eventID := events.IDFor(id, eventType)
	if in.Retries > 0 {
		eventID = events.IDFor(id, eventType, strconv.Itoa(in.Retries))
	}
	err = events.Publish(ctx, q, events.New{ID: eventID, Type: eventType, Subject: in.BusinessKey, Instance: id, Draft: in.Draft, Data: in})
	return err
}
