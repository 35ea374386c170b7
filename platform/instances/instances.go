// Package instances runs workflows for the platform: it starts instances of
// registered (or draft) definitions on Temporal with every form and
// sub-workflow they use pinned, keeps a row per instance in its case, and
// answers for them (status, output, trace, cancel, events). A start form's
// instances are decided in the submission's transaction and started by the
// outbox (starts.go). Store is the interpreter's engine.Platform: the
// instance's end, trace and emitted events here, the inbox through the
// tasks package. Every statement on the instances table is in this file;
// store.go holds those on instance_trace and emitted_events.
package instances

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/santhosh-tekuri/jsonschema/v5"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"cop/forms"
	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/cases"
	"cop/platform/definitions"
	"cop/platform/events"
	"cop/platform/problem"
	"cop/platform/registry"
	"cop/platform/store"
	"cop/workflows"
	"cop/workflows/engine"
)

// Service starts and answers for workflow instances.
type Service struct {
	pool      *pgxpool.Pool
	defs      *definitions.Service
	cases     *cases.Service
	temporal  client.Client
	taskQueue string
	// Log takes what the service copes with on its own (a start left to
	// the outbox); nil is slog's default.
	Log *slog.Logger
	// StartFallback is how long the outbox leaves a direct start to the
	// request that made it before starting it itself (zero: 30 s).
	StartFallback time.Duration
	// Namespace is the Temporal namespace instances run in (default
	// "default"), for the calls the SDK's client makes without it.
	Namespace string
	// Senders, when set, gives running instances' listens the senders of
	// their workflow's latest version (access.events).
	Senders interface {
		SetDrivers(ctx context.Context, instances, drivers []string) error
	}
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// New returns the service.
func New(pool *pgxpool.Pool, defs *definitions.Service, cs *cases.Service, tc client.Client, taskQueue string) *Service {
	return &Service{pool: pool, defs: defs, cases: cs, temporal: tc, taskQueue: taskQueue}
}

// ErrNotFound is an instance (or workflow) the caller may not see, or
// that is not there.
var ErrNotFound = problem.ErrNotFound

// ended refuses what only a running instance accepts (what: "it can be
// cancelled", "events are accepted").
func ended(id, status, what string) error {
	if status == StatusStarting {
		return problem.Conflictf("instance %s is still starting; %s once it runs", id, what)
	}
	return problem.Conflictf("instance %s has %s; %s only while it runs", id, status, what)
}

// invalid refuses a request that does not fit, with where.
func invalid(msg string, errs ...forms.FieldError) error {
	return problem.Invalidf(errs, "%s", msg)
}

// Instance is an instance as the API shows it.
type Instance struct {
	ID          string                  `json:"id"`
	Workflow    WorkflowRef             `json:"workflow"`
	Draft       bool                    `json:"draft"`
	BusinessKey string                  `json:"businessKey,omitempty"`
	Status      string                  `json:"status"`
	Output      any                     `json:"output"`
	Error       *workflows.RuntimeError `json:"error"`
	Trace       []engine.TraceEntry     `json:"trace"`
	StartedBy   string                  `json:"startedBy"`
	StartedAt   time.Time               `json:"startedAt"`
	EndedAt     *time.Time              `json:"endedAt,omitempty"`
	// Submission is the submission of a start form that started it.
	Submission string `json:"submission,omitempty"`
	// Retries counts the times an operator retried it after it faulted.
	Retries int `json:"retries,omitempty"`

	readAccess, teams []string
	requestHash       []byte
}

// WorkflowRef names the definition version an instance runs.
type WorkflowRef struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Version   string `json:"version"`
}

// StartRequest starts an instance of a registered workflow.
type StartRequest struct {
	Namespace, Name string
	Version         string // "" = latest active
	Input           json.RawMessage
	BusinessKey     string // join this case; "" opens a new one
	IdempotencyKey  string
}

// StartResult is a started (or, for a repeated Idempotency-Key, the
// earlier) instance.
type StartResult struct {
	Instance
	Replayed bool `json:"-"`
}

// Start pins the workflow version and every form and sub-workflow it uses,
// records the instance in its case and starts it on Temporal.
func (s *Service) Start(ctx context.Context, p *auth.Principal, who audit.Who, req StartRequest) (StartResult, error) {
	def, err := s.startable(ctx, req.Namespace, req.Name, req.Version)
	if err != nil {
		return StartResult{}, err
	}
	w, err := s.defs.DecodedWorkflow(def)
	if err != nil {
		return StartResult{}, err
	}
	if start := workflows.AccessOf(w).Start; len(start) > 0 && !p.Matches(start) {
		return StartResult{}, problem.Forbiddenf("workflow %s/%s can be started only by %s", req.Namespace, req.Name, strings.Join(start, ", "))
	}
	return s.launch(ctx, p, who, launch{def: def, w: w, input: req.Input, businessKey: req.BusinessKey,
		idempotencyKey: req.IdempotencyKey, requestedVersion: req.Version})
}

// checkInput validates the input against the workflow's input.schema
// before anything starts, so a bad start is a 422 rather than an instance
// that faults at once.
func checkInput(w *workflows.Workflow, input any) error {
	if w.Input == nil || w.Input.Schema == nil || len(w.Input.Schema.Document) == 0 {
		return nil
	}
	schema, err := workflows.DataSchema(w.Input.Schema.Document)
	if err != nil {
		return fmt.Errorf("compile the input schema of %s: %w", w.Document.Name, err)
	}
	verr := schema.Validate(input)
	if verr == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(verr, &ve) {
		return invalid("the input does not fit the workflow's input schema: " + verr.Error())
	}
	var errs []forms.FieldError
	for _, e := range ve.BasicOutput().Errors {
		if e.Error == "" || strings.HasPrefix(e.Error, "doesn't validate with") {
			continue // the summary lines; the leaves say what is wrong
		}
		errs = append(errs, forms.FieldError{Pointer: "/input" + e.InstanceLocation, Message: e.Error})
	}
	return invalid(fmt.Sprintf("the input does not fit workflow %s/%s's input schema; see errors", w.Document.Namespace, w.Document.Name), errs...)
}

// DraftRequest runs a definition that is not registered: how authors try
// one, and how the conformance kit runs through the API.
type DraftRequest struct {
	Definition     []byte // YAML or JSON
	Input          json.RawMessage
	BusinessKey    string
	IdempotencyKey string
}

// StartDraft checks a definition as an upload would (schema, rules, the
// registry's forms and sub-workflows) and runs it, marked draft.
func (s *Service) StartDraft(ctx context.Context, p *auth.Principal, who audit.Who, req DraftRequest) (StartResult, error) {
	w, js, err := workflows.Parse(req.Definition)
	if err != nil {
		return StartResult{}, invalidDraft(err)
	}
	if problems := s.defs.WorkflowRefProblems(ctx, w); len(problems) > 0 {
		return StartResult{}, invalidDraft(problems)
	}
	d := w.Document
	def := registry.Definition{Kind: definitions.KindWorkflow, Namespace: d.Namespace, Name: d.Name, Version: d.Version, Content: js}
	return s.launch(ctx, p, who, launch{def: def, w: w, draft: true, input: req.Input, businessKey: req.BusinessKey, idempotencyKey: req.IdempotencyKey})
}

// invalidDraft refuses a draft's definition, its problems located inside
// the request's definition field.
func invalidDraft(err error) error {
	var ps forms.Problems
	if !errors.As(err, &ps) {
		return err
	}
	located := make(forms.Problems, len(ps))
	for i, p := range ps {
		located[i] = forms.Problem{Pointer: "/definition" + p.Pointer, Message: p.Message}
	}
	return definitions.Invalid(definitions.KindWorkflow, located)
}

type launch struct {
	def            registry.Definition
	w              *workflows.Workflow
	draft          bool
	input          json.RawMessage
	businessKey    string
	idempotencyKey string
	// requestedVersion is the version the caller asked for ("" = latest).
	requestedVersion string
}

// launch does what registered and draft starts share.
func (s *Service) launch(ctx context.Context, p *auth.Principal, who audit.Who, l launch) (StartResult, error) {
	input, err := decodeInput(l.input)
	if err != nil {
		return StartResult{}, err
	}
	if err := checkInput(l.w, input); err != nil {
		return StartResult{}, err
	}
	id, hash, err := instanceID(p, l)
	if err != nil {
		return StartResult{}, err
	}
	if hash != nil {
		if r, ok, err := s.replay(ctx, p, id, hash); ok || err != nil {
			return r, err
		}
	}
	start := engine.Start{Definition: l.def.Content, Input: input, StartedBy: p.Subject, Tracked: true}
	if err := engine.Pin(l.w, &resolver{ctx: ctx, defs: s.defs}, &start); err != nil {
		return StartResult{}, invalid(fmt.Sprintf("cannot pin what %s uses: %v", describe(l.def.Namespace, l.def.Name, l.def.Version), err))
	}
	caseID, key, err := s.caseFor(ctx, p, l)
	if err != nil {
		return StartResult{}, err
	}
	start.CaseKey = key
	in := Instance{ID: id, Workflow: WorkflowRef{l.def.Namespace, l.def.Name, l.def.Version}, Draft: l.draft, BusinessKey: key,
		Status: StatusStarting, Trace: []engine.TraceEntry{}, StartedBy: p.Subject, StartedAt: time.Now().UTC(),
		readAccess: store.TextArray(workflows.AccessOf(l.w).Read), teams: store.TextArray(p.Teams), requestHash: hash}
	pending, err := json.Marshal(start)
	if err != nil {
		return StartResult{}, fmt.Errorf("encode the start of %s: %w", in.ID, err)
	}
	err = store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		inserted, err := insertStarting(ctx, tx, in, caseID, "", pending)
		if err != nil {
			return err
		}
		if !inserted {
			return errReplayed // a concurrent retry with the same key won
		}
		detail := map[string]any{"workflow": describe(in.Workflow.Namespace, in.Workflow.Name, in.Workflow.Version), "draft": in.Draft, "case": key}
		if err := audit.Record(ctx, tx, who.Entry("instance.start", "instance:"+in.ID, audit.OK, detail)); err != nil {
			return err
		}
		// The request starts it at once, below; the outbox is the fallback
		// should this process die first, or Temporal be out of reach.
		err = events.Publish(ctx, tx, events.New{ID: events.IDFor(in.ID, events.InstanceStarting), Type: events.InstanceStarting,
			Subject: key, Instance: in.ID, Draft: in.Draft, Data: in, After: cmp.Or(s.StartFallback, 30*time.Second)})
		return err
	})
	if errors.Is(err, errReplayed) {
		r, _, err := s.replay(ctx, p, id, hash)
		return r, err
	}
	if err != nil {
		return StartResult{}, err
	}
	// A Temporal out of reach would hold the request until the client
	// gives up: a few seconds, then the outbox takes over.
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.startOne(sctx, in.ID, in.Workflow.Namespace, in.Workflow.Name, start); err != nil {
		// Acknowledged all the same: it is stored, and the outbox starts it
		// when Temporal can be reached (it reads "starting" until then).
		s.log().Warn("instance left to the outbox to start", "instance", in.ID, "err", err)
		return StartResult{Instance: in}, nil
	}
	in.Status = engine.StatusRunning
	return StartResult{Instance: in}, nil
}

var errReplayed = errors.New("replayed")

// startable is the version an instance would run: ErrNotFound when there
// is no such workflow or version, a Gone problem when it is retired.
func (s *Service) startable(ctx context.Context, namespace, name, version string) (registry.Definition, error) {
	def, err := s.defs.Workflow(ctx, namespace, name, version)
	if errors.Is(err, registry.ErrNotFound) {
		if version == "" {
			if versions, verr := s.defs.WorkflowVersions(ctx, namespace, name); verr == nil && len(versions) > 0 {
				return def, problem.Gonef("workflow %s/%s: every version is retired; start an active version", namespace, name)
			}
			return def, fmt.Errorf("workflow %s/%s: %w", namespace, name, ErrNotFound)
		}
		return def, fmt.Errorf("workflow %s/%s version %s: %w", namespace, name, version, ErrNotFound)
	}
	if err != nil {
		return def, err
	}
	if def.Status == registry.Retired {
		return def, problem.Gonef("workflow %s/%s version %s is retired; start an active version", namespace, name, version)
	}
	return def, nil
}

// caseFor joins the named case or opens one; a draft without a business
// key runs outside any case.
func (s *Service) caseFor(ctx context.Context, p *auth.Principal, l launch) (int64, string, error) {
	if l.businessKey != "" {
		id, err := s.cases.JoinCase(ctx, p, l.businessKey)
		if errors.Is(err, cases.ErrNotFound) {
			return 0, "", invalid(fmt.Sprintf("no case %s that you can see", l.businessKey),
				forms.FieldError{Pointer: "/businessKey", Message: "no such case"})
		}
		return id, l.businessKey, err
	}
	if l.draft {
		return 0, "", nil
	}
	prefix := cases.CasePrefix(forms.Definition{Name: l.def.Name, CasePrefix: workflows.CasePrefixOf(l.w)})
	return s.cases.OpenCase(ctx, prefix, p.Subject)
}

// instanceID is a new random id, or with an Idempotency-Key one derived
// from the caller and key (so Temporal itself refuses a second start) and
// the hash of the request a retry must repeat.
func instanceID(p *auth.Principal, l launch) (string, []byte, error) {
	prefix := "wf-"
	if l.draft {
		prefix = engine.DraftPrefix
	}
	if l.idempotencyKey == "" {
		return prefix + uuid.NewString(), nil, nil
	}
	if err := store.CheckIdempotencyKey(l.idempotencyKey); err != nil {
		return "", nil, err // refused at /Idempotency-Key
	}
	k := sha256.Sum256([]byte(p.Subject + "\n" + l.idempotencyKey))
	// The request as sent: a retry without a version still matches after
	// a newer version is published (and gets the instance it started).
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%s\n", l.def.Namespace, l.def.Name, l.requestedVersion, l.businessKey)
	h.Write(compact(l.input))
	if l.draft {
		h.Write(l.def.Content)
	}
	return prefix + hex.EncodeToString(k[:16]), h.Sum(nil), nil
}

// replay returns the instance an earlier request with the same key started.
func (s *Service) replay(ctx context.Context, p *auth.Principal, id string, hash []byte) (StartResult, bool, error) {
	in, err := s.row(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return StartResult{}, false, nil
	}
	if err != nil {
		return StartResult{}, false, err
	}
	if string(in.requestHash) != string(hash) {
		return StartResult{}, false, invalid("this Idempotency-Key was already used for a different request; use a new key for a new instance",
			forms.FieldError{Pointer: "/Idempotency-Key", Message: "already used for a different request"})
	}
	return StartResult{Instance: in, Replayed: true}, true, nil
}

func decodeInput(raw json.RawMessage) (any, error) {
	if len(raw) == 0 {
		return map[string]any{}, nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, invalid("input is not valid JSON: "+err.Error(), forms.FieldError{Pointer: "/input", Message: "not valid JSON"})
	}
	if v == nil {
		return map[string]any{}, nil
	}
	return v, nil
}

func compact(raw json.RawMessage) []byte {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return raw
	}
	b, _ := json.Marshal(v)
	return b
}

func describe(namespace, name, version string) string {
	return fmt.Sprintf("%s/%s@%s", namespace, name, version)
}

const instanceColumns = `i.id, i.namespace, i.name, i.version, i.draft, i.case_key, i.status, i.output, i.error,
	i.started_by, i.started_at, i.ended_at, i.read_access, i.teams, i.request_hash, coalesce(i.submission_id::text, ''), i.retries`

func scanInstance(row pgx.CollectableRow) (Instance, error) {
	var in Instance
	var output, rerr []byte
	err := row.Scan(&in.ID, &in.Workflow.Namespace, &in.Workflow.Name, &in.Workflow.Version, &in.Draft, &in.BusinessKey, &in.Status,
		&output, &rerr, &in.StartedBy, &in.StartedAt, &in.EndedAt, &in.readAccess, &in.teams, &in.requestHash, &in.Submission, &in.Retries)
	if err != nil {
		return in, err
	}
	in.StartedAt = in.StartedAt.UTC()
	if in.EndedAt != nil {
		t := in.EndedAt.UTC()
		in.EndedAt = &t
	}
	if len(output) > 0 {
		_ = json.Unmarshal(output, &in.Output)
	}
	if len(rerr) > 0 {
		_ = json.Unmarshal(rerr, &in.Error)
	}
	in.Trace = []engine.TraceEntry{}
	return in, nil
}

func (s *Service) row(ctx context.Context, id string) (Instance, error) {
	return readRow(ctx, s.pool, id)
}

// readRow reads an instance's row (no trace) through q.
func readRow(ctx context.Context, q store.Querier, id string) (Instance, error) {
	rows, err := q.Query(ctx, `SELECT `+instanceColumns+` FROM instances i WHERE i.id = $1`, id)
	if err != nil {
		return Instance{}, fmt.Errorf("read instance %s: %w", id, err)
	}
	in, err := pgx.CollectExactlyOneRow(rows, scanInstance)
	if errors.Is(err, pgx.ErrNoRows) {
		return Instance{}, ErrNotFound
	}
	if err != nil {
		return Instance{}, fmt.Errorf("read instance %s: %w", id, err)
	}
	return in, nil
}

// visible reads an instance the caller may see; anyone else is told it
// does not exist.
func (s *Service) visible(ctx context.Context, p *auth.Principal, id string) (Instance, error) {
	in, err := s.row(ctx, id)
	if err != nil {
		return Instance{}, err
	}
	if !auth.CanRead(p, in.StartedBy, in.readAccess, in.teams) && !p.HasRole(auth.RoleOperator) {
		return Instance{}, ErrNotFound
	}
	return in, nil
}

// Get returns an instance with its status, output, error and task trace,
// as Temporal has them now.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id string) (Instance, error) {
	in, err := s.visible(ctx, p, id)
	if err != nil {
		return Instance{}, err
	}
	return s.withOutcome(ctx, in)
}

// History is what an instance the caller may read was started with (its
// current run's definition and input) and the events it received, as
// Temporal keeps them.
func (s *Service) History(ctx context.Context, p *auth.Principal, id string) (engine.History, error) {
	if _, err := s.visible(ctx, p, id); err != nil {
		return engine.History{}, err
	}
	return engine.HistoryOf(ctx, s.temporal, id)
}

// withOutcome fills in the trace (and, for a row still marked running
// whose instance has ended, the outcome) from Temporal.
func (s *Service) withOutcome(ctx context.Context, in Instance) (Instance, error) {
	// The trace is what the instance handed over to the store, joined
	// with what it still holds (or held when it ended).
	recorded, err := recordedTrace(ctx, s.pool, in.ID)
	if err != nil {
		return Instance{}, err
	}
	in.Trace = engine.MergeTrace(recorded, nil)
	desc, err := s.temporal.DescribeWorkflowExecution(ctx, in.ID, "")
	var nf *serviceerror.NotFound
	switch {
	case in.Status == StatusStarting && err != nil:
		return in, nil // Temporal does not have it yet (or cannot be asked)
	case in.Status == StatusStarting:
		// Started, but the process that started it did not get to say so.
		if err := markStarted(ctx, s.pool, in.ID); err != nil {
			return Instance{}, err
		}
		in.Status = engine.StatusRunning
	case errors.As(err, &nf):
		return in, nil // past Temporal's retention: the row is what is left
	case err != nil:
		return Instance{}, fmt.Errorf("describe instance %s: %w", in.ID, err)
	}
	if desc.WorkflowExecutionInfo.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		// A query needs a worker; when none answers soon, the status and
		// output still come back, with the trace the store has.
		qctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		var trace []engine.TraceEntry
		if v, err := s.temporal.QueryWorkflow(qctx, in.ID, "", engine.QueryTrace); err == nil && v.Get(&trace) == nil && trace != nil {
			in.Trace = engine.MergeTrace(recorded, trace)
		}
		return in, nil
	}
	var res engine.Result
	runErr := s.temporal.GetWorkflow(ctx, in.ID, "").Get(ctx, &res)
	o := engine.OutcomeOf(&res, runErr)
	if desc.WorkflowExecutionInfo.GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED {
		o.Status = engine.StatusFaulted
		o.Error = workflows.NewError(workflows.ErrRuntime, "Terminated", "%s", engine.TerminationReason(ctx, s.temporal, in.ID))
	}
	in.Trace, in.Output, in.Error = engine.MergeTrace(recorded, o.Trace), o.Output, o.Error
	if in.Status == engine.StatusRunning {
		// The end report has not arrived (or never will: a terminated
		// instance sends none); record what Temporal says.
		in.Status = o.Status
		at := desc.WorkflowExecutionInfo.GetCloseTime().AsTime().UTC()
		in.EndedAt = &at
		if err := recordEnd(ctx, s.pool, engine.InstanceEnd{Instance: in.ID, Status: o.Status, Output: o.Output, Error: o.Error, At: at}); err != nil {
			return Instance{}, err
		}
	}
	return in, nil
}

// ListFilter narrows GET /instances.
type ListFilter struct {
	Namespace, Name, Version string
	Status                   string
	BusinessKey              string
	Draft                    *bool
	// From and To bound when instances started (To excluded); zero: open.
	From, To time.Time
	Limit    int
	Cursor   string
}

// listWhere is ListFilter's condition but the cursor's: $1-$7 as List
// gives them, $8 and $9 From and To (NULL when open), then the readers'
// arguments from $10.
const listWhere = `($1 = '' OR i.namespace = $1) AND ($2 = '' OR i.name = $2) AND ($3 = '' OR i.version = $3)
	AND ($4 = '' OR i.status = $4) AND ($5 = '' OR i.case_key = $5) AND ($7 OR i.draft = $6)
	AND ($8::timestamptz IS NULL OR i.started_at >= $8) AND ($9::timestamptz IS NULL OR i.started_at < $9)`

func (f ListFilter) args(p *auth.Principal) []any {
	return append([]any{f.Namespace, f.Name, f.Version, f.Status, f.BusinessKey, f.Draft != nil && *f.Draft, f.Draft == nil,
		nullTime(f.From), nullTime(f.To)}, readableArgs(p)...)
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// Counts are how many instances the caller may see match f, whatever
// their status, by status.
func (s *Service) Counts(ctx context.Context, p *auth.Principal, f ListFilter) (map[string]int, error) {
	f.Status = ""
	rows, err := s.pool.Query(ctx, `SELECT i.status, count(*) FROM instances i WHERE `+listWhere+`
		AND `+auth.ReadableSQL("i.started_by", 10)+` GROUP BY i.status`, f.args(p)...)
	if err != nil {
		return nil, fmt.Errorf("count instances: %w", err)
	}
	out := map[string]int{}
	var status string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&status, &n}, func() error {
		out[status] = n
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("count instances: %w", err)
	}
	return out, nil
}

// List pages through the instances the caller may see, newest first. It
// reads the rows only (no trace); each row's status follows its instance.
func (s *Service) List(ctx context.Context, p *auth.Principal, f ListFilter) ([]Instance, string, error) {
	afterAt, afterID, err := store.NewestFirstAfter(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	args := append(f.args(p), afterAt, afterID, f.Limit+1)
	rows, err := s.pool.Query(ctx, `SELECT `+instanceColumns+` FROM instances i WHERE `+listWhere+`
		  AND `+auth.ReadableSQL("i.started_by", 10)+`
		  AND (i.started_at, i.id) < ($15::timestamptz, $16)
		ORDER BY i.started_at DESC, i.id DESC LIMIT $17`, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list instances: %w", err)
	}
	items, err := pgx.CollectRows(rows, scanInstance)
	if err != nil {
		return nil, "", fmt.Errorf("list instances: %w", err)
	}
	items, next := store.Page(items, f.Limit, func(in Instance) []string { return store.NewestFirstKey(in.StartedAt, in.ID) })
	return items, next, nil
}

// readableArgs are auth.ReadableArgs for instances, which operators all
// see, as admins do.
func readableArgs(p *auth.Principal) []any {
	args := auth.ReadableArgs(p)
	args[3] = p.HasRole(auth.RoleAdmin) || p.HasRole(auth.RoleOperator)
	return args
}

// Cancel asks a running instance to stop: its starter, or an operator,
// supervisor or admin who can see it; reason, when given, is audited. It ends as cancelled once the interpreter has
// unwound (open tasks are closed then).
func (s *Service) Cancel(ctx context.Context, p *auth.Principal, who audit.Who, id, reason string) (Instance, error) {
	in, err := s.visible(ctx, p, id)
	if err != nil {
		return Instance{}, err
	}
	if p.Subject != in.StartedBy && !mayOperate(p) {
		return Instance{}, problem.Forbiddenf("only whoever started an instance, an operator, a supervisor or an admin may cancel it")
	}
	if reason, err = checkReason(reason, false); err != nil {
		return Instance{}, err
	}
	if in, err = s.withOutcome(ctx, in); err != nil {
		return Instance{}, err
	}
	if in.Status != engine.StatusRunning {
		return Instance{}, ended(id, in.Status, "it can be cancelled")
	}
	if err := s.temporal.CancelWorkflow(ctx, id, ""); err != nil {
		return Instance{}, fmt.Errorf("cancel instance %s: %w", id, err)
	}
	var detail map[string]any
	if reason != "" {
		detail = map[string]any{"reason": reason}
	}
	if err := audit.Record(ctx, s.pool, who.Entry("instance.cancel", "instance:"+id, audit.OK, detail)); err != nil {
		return Instance{}, err
	}
	return in, nil
}

// MaxReasonLength bounds the reason an operator gives for a retry or a
// cancel.
const MaxReasonLength = 1000

// checkReason trims an operator's reason and refuses it at /reason when it
// is too long, or missing where one is required (a retry).
func checkReason(reason string, required bool) (string, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case required && reason == "":
		return "", invalid("say why the instance is retried", forms.FieldError{Pointer: "/reason", Message: "Enter why you are retrying it"})
	case len([]rune(reason)) > MaxReasonLength:
		return "", invalid("the reason is too long", forms.FieldError{Pointer: "/reason", Message: fmt.Sprintf("The reason must be %d characters or fewer", MaxReasonLength)})
	}
	return reason, nil
}

// mayOperate: operators and admins mend any instance they can see,
// supervisors those of their teams (which are what they can see).
func mayOperate(p *auth.Principal) bool {
	return p.HasRole(auth.RoleOperator) || p.HasRole(auth.RoleAdmin) || p.HasRole(auth.RoleSupervisor)
}

// Retry resumes a faulted instance from the task it faulted in: Temporal
// resets its run there (engine.Retry), so the tasks that completed are not
// run again and their calls are not made again; the failed call is made
// again with its Idempotency-Key unchanged. The row goes back to running
// and cop.instance.retried is announced; how the new run ends is
// announced as for any run. A reason is required and audited.
func (s *Service) Retry(ctx context.Context, p *auth.Principal, who audit.Who, id, reason string) (Instance, error) {
	in, err := s.visible(ctx, p, id)
	if err != nil {
		return Instance{}, err
	}
	if !mayOperate(p) {
		return Instance{}, problem.Forbiddenf("only an operator, an admin or a supervisor of its team may retry an instance")
	}
	if reason, err = checkReason(reason, true); err != nil {
		return Instance{}, err
	}
	if in, err = s.withOutcome(ctx, in); err != nil {
		return Instance{}, err
	}
	if in.Status != engine.StatusFaulted {
		return Instance{}, problem.Conflictf("instance %s is %s: only a faulted instance can be retried", id, in.Status)
	}
	err = store.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		// The row's lock makes two retries at once one: the second finds
		// it running.
		var retries int
		err := tx.QueryRow(ctx, `SELECT retries FROM instances WHERE id = $1 AND status = 'faulted' FOR UPDATE`, id).Scan(&retries)
		if errors.Is(err, pgx.ErrNoRows) {
			return problem.Conflictf("instance %s is no longer faulted: it was retried at the same time", id)
		}
		if err != nil {
			return fmt.Errorf("lock instance %s: %w", id, err)
		}
		runID, err := engine.Retry(ctx, s.temporal, cmp.Or(s.Namespace, "default"), id, reason, events.IDFor(id, "retry", strconv.Itoa(retries+1)))
		if errors.Is(err, engine.ErrNotRetryable) {
			return problem.Conflictf("instance %s did not fault in Temporal: there is nothing to retry", id)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE instances SET status = 'running', output = NULL, error = NULL, ended_at = NULL, retries = retries + 1
			WHERE id = $1`, id); err != nil {
			return fmt.Errorf("mark instance %s running again: %w", id, err)
		}
		if err := audit.Record(ctx, tx, who.Entry("instance.retry", "instance:"+id, audit.OK, map[string]any{"reason": reason, "run": runID})); err != nil {
			return err
		}
		return publishInstance(ctx, tx, id, events.InstanceRetried)
	})
	if err != nil {
		return Instance{}, err
	}
	return s.Get(ctx, p, id)
}

// Event delivers a CloudEvent to a running instance's listen tasks.
func (s *Service) Event(ctx context.Context, p *auth.Principal, who audit.Who, id string, raw []byte) error {
	in, err := s.visible(ctx, p, id) // first: a stranger learns nothing from a bad event
	if err != nil {
		return err
	}
	event, err := decodeCloudEvent(raw)
	if err != nil {
		return err
	}
	if in, err = s.withOutcome(ctx, in); err != nil {
		return err
	}
	if in.Status != engine.StatusRunning {
		return ended(id, in.Status, "events are accepted")
	}
	if err := engine.SendEvent(ctx, s.temporal, id, event); err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return ended(id, "ended", "events are accepted")
		}
		return fmt.Errorf("deliver event to %s: %w", id, err)
	}
	return audit.Record(ctx, s.pool, who.Entry("instance.event", "instance:"+id, audit.OK,
		map[string]any{"type": event["type"], "source": event["source"], "id": event["id"]}))
}

// SignalEvent hands an event routed by COP's event router to a running
// instance, once per request id.
func (s *Service) SignalEvent(ctx context.Context, instance, requestID string, event map[string]any) error {
	return engine.SendEventOnce(ctx, s.temporal, cmp.Or(s.Namespace, "default"), instance, requestID, event)
}

// Starting reports whether an instance is recorded but not yet started in
// Temporal (the outbox starts it).
func (s *Service) Starting(ctx context.Context, instance string) (bool, error) {
	in, err := s.row(ctx, instance)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil && in.Status == StatusStarting, err
}

// decodeCloudEvent reads the event an instance is sent.
func decodeCloudEvent(raw []byte) (map[string]any, error) {
	event, errs := workflows.DecodeCloudEvent(raw)
	if len(errs) == 1 && errs[0].Pointer == "" {
		return nil, invalid("the event must be one CloudEvent as a JSON object: "+errs[0].Message, errs...)
	}
	if len(errs) > 0 {
		return nil, invalid("the event is not a CloudEvent: see errors", errs...)
	}
	return event, nil
}

// CaseInstances are a case's workflow instances the caller may read, oldest
// first, for its timeline (cases.InstanceTimeline).
func (s *Service) CaseInstances(ctx context.Context, p *auth.Principal, caseID int64) ([]cases.InstanceInfo, error) {
	args := append([]any{caseID}, auth.ReadableArgs(p)...)
	rows, err := s.pool.Query(ctx, `SELECT id, namespace, name, version, status, started_by, started_at, ended_at
		FROM instances WHERE case_id = $1 AND `+auth.ReadableSQL("started_by", 2)+` ORDER BY started_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read the instances of case %d: %w", caseID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (cases.InstanceInfo, error) {
		var i cases.InstanceInfo
		err := row.Scan(&i.ID, &i.Namespace, &i.Name, &i.Version, &i.Status, &i.StartedBy, &i.StartedAt, &i.EndedAt)
		i.StartedAt = i.StartedAt.UTC()
		return i, err
	})
	if out == nil {
		out = []cases.InstanceInfo{}
	}
	return out, err
}

// insertStarting writes an instance decided but not yet on Temporal, with
// the start Temporal will be asked for (a submission's start, or a direct
// start the request makes at once). false: an instance with its id is
// there already (a retry with the same key won the race).
func insertStarting(ctx context.Context, tx pgx.Tx, in Instance, caseID int64, submission string, pending []byte) (bool, error) {
	tag, err := tx.Exec(ctx, `INSERT INTO instances (id, namespace, name, version, draft, case_id, case_key, started_by, read_access, teams,
			request_hash, started_at, status, submission_id, pending_start)
		VALUES ($1, $2, $3, $4, $5, NULLIF($6, 0), $7, $8, $9, $10, $11, $12, 'starting', NULLIF($13, '')::uuid, $14)
		ON CONFLICT (id) DO NOTHING`,
		in.ID, in.Workflow.Namespace, in.Workflow.Name, in.Workflow.Version, in.Draft, caseID, in.BusinessKey, in.StartedBy, in.readAccess, in.teams,
		in.requestHash, in.StartedAt, submission, string(pending))
	if err != nil {
		return false, fmt.Errorf("record instance %s: %w", in.ID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// pendingStart reads the start of an instance still starting; pending is
// nil when it is not (started already, ended or cancelled).
func pendingStart(ctx context.Context, q store.Querier, id string) (namespace, name string, pending json.RawMessage, err error) {
	err = q.QueryRow(ctx, `SELECT namespace, name, pending_start FROM instances WHERE id = $1 AND status = 'starting'`, id).
		Scan(&namespace, &name, &pending)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", nil, nil
	}
	if err != nil {
		return "", "", nil, fmt.Errorf("read instance %s: %w", id, err)
	}
	return namespace, name, pending, nil
}

// markRunning marks a starting instance running; false when it was not
// starting.
func markRunning(ctx context.Context, tx pgx.Tx, id string) (bool, error) {
	tag, err := tx.Exec(ctx, `UPDATE instances SET status = 'running', pending_start = NULL WHERE id = $1 AND status = 'starting'`, id)
	return tag.RowsAffected() > 0, err
}

// writeEndRow writes how an instance ended; store.ErrAlreadyApplied when it
// had ended already. 'starting' too: an instance may end before its starter
// marks it running.
func writeEndRow(ctx context.Context, tx pgx.Tx, e engine.InstanceEnd, output, rerr any) error {
	tag, err := tx.Exec(ctx, `UPDATE instances SET status = $2, output = $3, error = $4, ended_at = $5, pending_start = NULL
		WHERE id = $1 AND status IN ('starting', 'running')`,
		e.Instance, e.Status, output, rerr, e.At)
	if err != nil {
		return fmt.Errorf("record the end of instance %s: %w", e.Instance, err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrAlreadyApplied
	}
	return nil
}

// OpenCaseSQL: the case has an instance starting or running
// (cases.InstanceTimeline).
func (s *Service) OpenCaseSQL(key string) string {
	return `EXISTS (SELECT 1 FROM instances i WHERE i.case_key = ` + key + ` AND i.status IN ('starting', 'running'))`
}

// AccessSubscriber keeps who may read a workflow's instances in step with
// the workflow: when a version is published or retired, every instance of
// it takes the access.read of its latest active version, and each running
// one's listens its access.events. When every
// version is retired, the instances keep the last readers.
func (s *Service) AccessSubscriber() events.Subscriber {
	return events.Subscriber{Name: "instance-access", Types: []string{events.DefinitionPublished, events.DefinitionRetired},
		Handle: s.followWorkflowAccess}
}

func (s *Service) followWorkflowAccess(ctx context.Context, e events.Event) error {
	var d registry.Definition
	if err := json.Unmarshal(e.Data, &d); err != nil {
		return fmt.Errorf("event %s: read the definition: %w", e.ID, err)
	}
	if d.Kind != definitions.KindWorkflow {
		return nil
	}
	latest, err := s.defs.Workflow(ctx, d.Namespace, d.Name, "latest")
	if errors.Is(err, registry.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read the latest active version of workflow %s/%s: %w", d.Namespace, d.Name, err)
	}
	w, err := s.defs.DecodedWorkflow(latest)
	if err != nil {
		return err
	}
	access := workflows.AccessOf(w)
	readers := store.TextArray(access.Read)
	if _, err := s.pool.Exec(ctx, `UPDATE instances SET read_access = $3 WHERE namespace = $1 AND name = $2 AND read_access <> $3`,
		d.Namespace, d.Name, readers); err != nil {
		return fmt.Errorf("give the instances of workflow %s/%s the readers of its latest version: %w", d.Namespace, d.Name, err)
	}
	if s.Senders == nil {
		return nil
	}
	rows, err := s.pool.Query(ctx, `SELECT id FROM instances WHERE namespace = $1 AND name = $2 AND status = 'running'`, d.Namespace, d.Name)
	if err != nil {
		return fmt.Errorf("find the running instances of workflow %s/%s: %w", d.Namespace, d.Name, err)
	}
	running, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(running) == 0 {
		return err
	}
	return s.Senders.SetDrivers(ctx, running, access.Events)
}

// MayRead reports whether p may read an instance (false for one that does
// not exist): for outside systems deciding whom to tell.
func (s *Service) MayRead(ctx context.Context, p *auth.Principal, id string) (bool, error) {
	_, err := s.visible(ctx, p, id)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// MaxWait is the longest a caller may wait for an instance to end (run
// and wait): longer holds a connection and a replica's attention for a
// workflow that should be started and read back instead.
const MaxWait = 60 * time.Second

// Wait waits up to d for an instance the caller may read to end, and
// returns it as Get does: ended, or still running when d ran out.
func (s *Service) Wait(ctx context.Context, p *auth.Principal, id string, d time.Duration) (Instance, error) {
	in, err := s.visible(ctx, p, id)
	if err != nil {
		return Instance{}, err
	}
	if in.Status == engine.StatusRunning {
		wctx, cancel := context.WithTimeout(ctx, d)
		// The run's own result is read back through Get below; Get here
		// only waits for the workflow to close.
		_ = s.temporal.GetWorkflow(wctx, id, "").Get(wctx, nil)
		cancel()
		if ctx.Err() != nil {
			return Instance{}, ctx.Err()
		}
	}
	return s.Get(ctx, p, id)
}
