package definitions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"cop/forms"
	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/problem"
	"cop/platform/registry"
	"cop/platform/store"
	"cop/workflows"
)

// KindWorkflow is the registry kind of workflow definitions, which live in
// their document.namespace.
const KindWorkflow = "workflow"

// PublishWorkflow checks a workflow definition (YAML or JSON), then the
// forms and sub-workflows it names against the registry inside the
// transaction that stores it, and stores it as JSON. With dryRun nothing
// is stored. p is the publisher: binding a form's submissions (startForm)
// needs an admin or the form's own author (mayBind).
func (s *Service) PublishWorkflow(ctx context.Context, p *auth.Principal, who audit.Who, raw []byte, dryRun bool) (Published, error) {
	w, js, err := workflows.Parse(raw)
	if err != nil {
		return Published{}, Invalid(KindWorkflow, err)
	}
	d := w.Document
	ref := registry.Ref{Kind: KindWorkflow, Namespace: d.Namespace, Name: d.Name, Version: d.Version}
	if err := registry.CheckRef(ref); err != nil {
		return Published{}, err
	}
	var bound *boundForm
	check := func(tx pgx.Tx) error {
		problems, startForm := workflowRefProblems(ctx, tx, w)
		if len(problems) > 0 {
			return Invalid(KindWorkflow, problems)
		}
		var err error
		bound, err = mayBind(p, w, startForm)
		return err
	}
	if dryRun {
		err := store.InTx(ctx, s.pool, check)
		return Published{Definition: registry.Definition{Kind: KindWorkflow, Namespace: d.Namespace, Name: d.Name, Version: d.Version, Content: js}, Pins: []forms.Pin{}}, err
	}
	def, created, err := s.registry.PublishWith(ctx, who, ref, js, check, func(tx pgx.Tx, _ registry.Definition) error {
		if bound == nil {
			return nil
		}
		// Who routed a form's submissions into a workflow, on the form's
		// own trail.
		return audit.Record(ctx, tx, who.Entry("workflow.bind-start-form", bound.ref.String(), audit.OK,
			map[string]any{"workflow": ref.String(), "formAuthor": bound.author}))
	})
	if err != nil {
		return Published{}, err
	}
	return Published{Definition: def, Pins: []forms.Pin{}, Created: created}, nil
}

// boundForm is the form version a startForm binds, and who published it.
type boundForm struct {
	ref    registry.Ref
	author string
}

// mayBind decides whether p may route a form's submissions into this
// workflow. The workflow reads every submission of the form, and may show
// them to anyone (its access.read, its tasks' candidate groups, its calls),
// so only those who already decide who reads them may: an admin, or the
// author who published the form version it binds (who could as well
// publish a version with their own access.read).
func mayBind(p *auth.Principal, w *workflows.Workflow, form *registry.Definition) (*boundForm, error) {
	refs := workflows.Refs(w)
	if form == nil {
		return nil, nil // no startForm
	}
	name, _ := workflows.SplitFormRef(refs.StartForm)
	b := &boundForm{ref: registry.Ref{Kind: KindForm, Namespace: registry.GlobalNamespace, Name: name, Version: form.Version}, author: form.UploadedBy}
	if p.HasRole(auth.RoleAdmin) || (p != nil && p.Subject == b.author) {
		return b, nil
	}
	msg := fmt.Sprintf("startForm would send every submission of form %s to this workflow; only an admin or the form's author (%s, who published version %s) may bind it",
		name, b.author, b.ref.Version)
	refused := problem.Forbiddenf("%s", msg)
	refused.Fields = problem.At(refs.At["startForm:"+refs.StartForm], msg)
	return nil, refused
}

// workflowRefProblems names each form and sub-workflow the definition uses
// that the registry cannot give an instance: missing, or (when no version is
// written) with no active version. Each is share-locked like a form's pins,
// so a concurrent retire waits for the upload. It also returns the version
// the startForm binds, when there is one.
func workflowRefProblems(ctx context.Context, q store.Querier, w *workflows.Workflow) (workflows.Problems, *registry.Definition) {
	refs := workflows.Refs(w)
	var problems workflows.Problems
	var startForm *registry.Definition
	need := func(kind, namespace, name, version, key, what string) *registry.Definition {
		dep, err := lockAvailable(ctx, q, kind, namespace, name, version)
		if err == nil {
			return &dep
		}
		msg := fmt.Sprintf("%s is not registered", what)
		if !errors.Is(err, registry.ErrNotFound) {
			msg = fmt.Sprintf("%s cannot be read: %v", what, err)
		} else if version == "" || version == "latest" {
			msg = fmt.Sprintf("%s has no active version in the registry", what)
		}
		problems = append(problems, workflows.Problem{Pointer: refs.At[key], Message: msg})
		return nil
	}
	for _, f := range refs.Forms {
		name, version := workflows.SplitFormRef(f)
		need(KindForm, registry.GlobalNamespace, name, version, "form:"+f, describeFormRef(name, version))
	}
	if refs.StartForm != "" {
		name, version := workflows.SplitFormRef(refs.StartForm)
		startForm = need(KindForm, registry.GlobalNamespace, name, version, "startForm:"+refs.StartForm, "start "+describeFormRef(name, version))
	}
	d := w.Document
	for _, sw := range refs.Workflows {
		if sw.Namespace == d.Namespace && sw.Name == d.Name {
			continue // a workflow may run another version of itself, or recurse
		}
		key := "workflow:" + sw.Namespace + "/" + sw.Name + "@" + sw.Version
		need(KindWorkflow, sw.Namespace, sw.Name, sw.Version, key, fmt.Sprintf("workflow %s/%s version %s", sw.Namespace, sw.Name, sw.Version))
	}
	return problems, startForm
}

func describeFormRef(name, version string) string {
	if version == "" {
		return fmt.Sprintf("form %s", name)
	}
	return fmt.Sprintf("form %s version %s", name, version)
}

// lockAvailable finds the version an instance would use ("" or "latest":
// the latest active; a written version, active or retired) and share-locks it.
func lockAvailable(ctx context.Context, q store.Querier, kind, namespace, name, version string) (registry.Definition, error) {
	if version == "latest" {
		version = ""
	}
	return registry.ForShare(ctx, q, kind, namespace, name, version, version == "")
}

// Workflow returns a workflow version ("" or "latest" = latest active).
func (s *Service) Workflow(ctx context.Context, namespace, name, version string) (registry.Definition, error) {
	if version == "" || version == "latest" {
		return registry.Latest(ctx, s.pool, KindWorkflow, namespace, name)
	}
	return registry.Get(ctx, s.pool, registry.Ref{Kind: KindWorkflow, Namespace: namespace, Name: name, Version: version})
}

// WorkflowVersions lists every version of a workflow, highest first.
func (s *Service) WorkflowVersions(ctx context.Context, namespace, name string) ([]registry.Definition, error) {
	return registry.Versions(ctx, s.pool, KindWorkflow, namespace, name)
}

// Workflows pages through the latest active version of each workflow, in
// one namespace or ("") all.
func (s *Service) Workflows(ctx context.Context, namespace string, limit int, cursor string) ([]registry.Definition, string, error) {
	return registry.List(ctx, s.pool, KindWorkflow, registry.ListOptions{Namespace: namespace, Limit: limit, Cursor: cursor})
}

// RetireWorkflow retires a workflow version. Running instances keep
// running on it (they carry their definition); new ones cannot start.
func (s *Service) RetireWorkflow(ctx context.Context, who audit.Who, namespace, name, version string) (registry.Definition, error) {
	return s.registry.Retire(ctx, who, registry.Ref{Kind: KindWorkflow, Namespace: namespace, Name: name, Version: version})
}

// DecodedWorkflow is a stored workflow version decoded, once per content:
// shared by every caller, who reads it and never changes it.
func (s *Service) DecodedWorkflow(d registry.Definition) (*workflows.Workflow, error) {
	if w, ok := s.workflows.Get(d.Checksum); ok && d.Checksum != "" {
		return w, nil
	}
	w, err := workflows.Decode(d.Content)
	if err != nil {
		return nil, fmt.Errorf("decode stored workflow %s/%s@%s: %w", d.Namespace, d.Name, d.Version, err)
	}
	if d.Checksum != "" {
		s.workflows.Add(d.Checksum, w)
	}
	return w, nil
}

// StartingWorkflows returns the latest active workflows whose
// document.metadata.startForm names a form (as NAME or NAME@VERSION).
func (s *Service) StartingWorkflows(ctx context.Context, form, version string) ([]registry.Definition, error) {
	return registry.LatestWith(ctx, s.pool, KindWorkflow, []string{"document", "metadata", "startForm"}, form, form+"@"+version)
}

// EventStartedWorkflows are the latest active version of each workflow
// that events start (schedule.on).
func (s *Service) EventStartedWorkflows(ctx context.Context) ([]registry.Definition, error) {
	return registry.LatestHaving(ctx, s.pool, KindWorkflow, []string{"schedule", "on"})
}

// WorkflowRefProblems checks a workflow's forms and sub-workflows against
// the registry as it is (for draft runs, which are not stored).
func (s *Service) WorkflowRefProblems(ctx context.Context, w *workflows.Workflow) workflows.Problems {
	problems, _ := workflowRefProblems(ctx, s.pool, w)
	return problems
}

// Pinned reads a version a definition pins (its content, exactly).
func (s *Service) Pinned(ctx context.Context, p forms.Pin) (registry.Definition, error) {
	return registry.Get(ctx, s.pool, registry.Ref{Kind: p.Kind, Namespace: registry.GlobalNamespace, Name: p.Name, Version: p.Resolved})
}

// EmittedEventTypes are the event types any stored workflow version's emit
// tasks name (retired ones too: their running instances still emit), each
// once: the types a webhook subscription may name exactly.
func (s *Service) EmittedEventTypes(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT content FROM definitions WHERE kind = $1`, KindWorkflow)
	if err != nil {
		return nil, fmt.Errorf("read workflows' event types: %w", err)
	}
	contents, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return nil, fmt.Errorf("read workflows' event types: %w", err)
	}
	var types []string
	for _, c := range contents {
		var w workflows.Workflow
		if err := json.Unmarshal(c, &w); err != nil {
			continue // stored before a model change; it cannot be run either
		}
		types = append(types, w.EmittedTypes()...)
	}
	slices.Sort(types)
	return slices.Compact(types), nil
}
