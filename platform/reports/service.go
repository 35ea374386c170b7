package reports

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"cop/forms"
	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/definitions"
	"cop/platform/problem"
	"cop/platform/registry"
	"cop/workflows"
)

// Defaults for running a report.
const (
	DefaultTimeout = 10 * time.Second
	DefaultMaxRows = 10000
)

// Reserved are the result's own query parameters.
var Reserved = reservedParams

// Service publishes report definitions and runs them.
type Service struct {
	pool     *pgxpool.Pool
	defs     *definitions.Service
	registry registry.Service
	// Timeout bounds each report's query; MaxRows its rows.
	Timeout time.Duration
	MaxRows int
	params  *lru.Cache[string, compiledParams]
	readers readersCache
}

// New returns the service over a pool, reading sources' definitions from defs.
func New(pool *pgxpool.Pool, defs *definitions.Service) *Service {
	cache, _ := lru.New[string, compiledParams](256)
	return &Service{pool: pool, defs: defs, registry: registry.Service{Pool: pool},
		Timeout: DefaultTimeout, MaxRows: DefaultMaxRows, params: cache}
}

// compiledParams is a report version's parameters' form, compiled against
// the reference data of the moment: kept a minute, so new ports are offered
// without a restart.
type compiledParams struct {
	form *forms.Form
	at   time.Time
}

const paramsTTL = time.Minute

// Published is the result of an upload.
type Published struct {
	Definition registry.Definition
	Created    bool
}

func invalid(ps forms.Problems) error {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Pointer < ps[j].Pointer })
	return problem.Invalidf(ps, "the report is not valid: %s", ps.Error())
}

// Publish checks a report definition (YAML or JSON) against the registry
// as it is (its source, the fields and answers it names, who it grants)
// and stores it as JSON. With dryRun nothing is stored.
func (s *Service) Publish(ctx context.Context, who audit.Who, raw []byte, dryRun bool) (Published, error) {
	r, err := Parse(raw)
	if err != nil {
		var ps forms.Problems
		if errors.As(err, &ps) {
			return Published{}, invalid(ps)
		}
		return Published{}, err
	}
	js, err := JSON(raw)
	if err != nil {
		return Published{}, invalid(forms.Problems{{Pointer: "", Message: err.Error()}})
	}
	ref := registry.Ref{Kind: Kind, Namespace: registry.GlobalNamespace, Name: r.Name, Version: r.Version}
	if err := registry.CheckRef(ref); err != nil {
		return Published{}, err
	}
	check := func(pgx.Tx) error {
		_, ps, err := s.prepare(ctx, r, true)
		if err != nil {
			return err
		}
		if len(ps) > 0 {
			return invalid(ps)
		}
		return nil
	}
	draft := registry.Definition{Kind: Kind, Namespace: ref.Namespace, Name: r.Name, Version: r.Version, Content: js}
	if dryRun {
		return Published{Definition: draft}, check(nil)
	}
	def, created, err := s.registry.PublishWith(ctx, who, ref, js, check, nil)
	if err != nil {
		return Published{}, err
	}
	return Published{Definition: def, Created: created}, nil
}

// prepared is a report ready to run: its plan and its parameters' form.
type prepared struct {
	plan   *Plan
	params *forms.Form
}

// prepare resolves a report against the registry: its source's fields,
// who may read the source, and its parameters' form. Problems are the
// author's (at their pointers); an error is anything else. upload checks
// what only an upload must: that the report grants no one its source does
// not, and that each default is valid.
func (s *Service) prepare(ctx context.Context, r *Report, upload bool) (*prepared, forms.Problems, error) {
	cat, readers, ps, err := s.source(ctx, r.Source)
	if err != nil || len(ps) > 0 {
		return nil, ps, err
	}
	plan, ps := Check(r, cat)
	if upload {
		ps = append(ps, grantProblems(r, readers)...)
	}
	pf, fps, err := s.paramsForm(ctx, r, upload)
	if err != nil {
		return nil, nil, err
	}
	ps = append(ps, fps...)
	if upload && pf != nil {
		ps = append(ps, CheckDefaults(r, pf, time.Now())...)
	}
	if len(ps) > 0 {
		return nil, ps, nil
	}
	return &prepared{plan: plan, params: pf}, nil, nil
}

// source is the catalogue of a report's source and who reads it: the
// latest active version of its form or workflow.
func (s *Service) source(ctx context.Context, src Source) (*Catalogue, []string, forms.Problems, error) {
	if src.Form != "" {
		f, _, err := s.defs.Form(ctx, src.Form, "")
		if errors.Is(err, registry.ErrNotFound) {
			return nil, nil, forms.Problems{{Pointer: "/source/form", Message: fmt.Sprintf("form %q has no active version", src.Form)}}, nil
		}
		if err != nil {
			return nil, nil, nil, fmt.Errorf("load form %q: %w", src.Form, err)
		}
		readers := f.Def.Access.Read
		if src.Kind == SourceCases {
			return NewCatalogue(src.Kind, nil), readers, nil, nil // a cases report reads cases, not answers
		}
		others, err := s.otherVersions(ctx, f)
		if err != nil {
			return nil, nil, nil, err
		}
		return NewCatalogue(src.Kind, f, others...), readers, nil, nil
	}
	readers, err := s.workflowReaders(ctx, src.Workflow)
	if errors.Is(err, registry.ErrNotFound) {
		return nil, nil, forms.Problems{{Pointer: "/source/workflow", Message: fmt.Sprintf("workflow %q has no active version", src.Workflow)}}, nil
	}
	if err != nil {
		return nil, nil, nil, err
	}
	return NewCatalogue(src.Kind, nil), readers, nil, nil
}

// workflowReaders is the access.read of a workflow's latest active version.
func (s *Service) workflowReaders(ctx context.Context, ref string) ([]string, error) {
	ns, name, _ := strings.Cut(ref, "/")
	d, err := s.defs.Workflow(ctx, ns, name, "")
	if err != nil {
		return nil, fmt.Errorf("load workflow %q: %w", ref, err)
	}
	w, _, err := workflows.Parse(d.Content)
	if err != nil {
		return nil, fmt.Errorf("parse workflow %s@%s: %w", ref, d.Version, err)
	}
	return workflows.AccessOf(w).Read, nil
}

// otherVersions are the form's versions but latest, active or retired:
// submissions to each are read by the report.
func (s *Service) otherVersions(ctx context.Context, latest *forms.Form) ([]*forms.Form, error) {
	all, err := s.defs.Versions(ctx, definitions.KindForm, latest.Def.Name)
	if err != nil {
		return nil, fmt.Errorf("list the versions of form %s: %w", latest.Def.Name, err)
	}
	var out []*forms.Form
	for _, d := range all {
		if d.Version == latest.Def.Version {
			continue
		}
		f, err := s.defs.Compiled(ctx, d)
		if err != nil {
			return nil, fmt.Errorf("compile form %s@%s: %w", d.Name, d.Version, err)
		}
		out = append(out, f)
	}
	return out, nil
}

// grantProblems refuses a reader the source does not already have: a
// report shows what its form's or workflow's readers may read, to no one
// else (admins read everything).
func grantProblems(r *Report, readers []string) forms.Problems {
	var ps forms.Problems
	what := "form " + r.Source.Form
	if r.Source.Form == "" {
		what = "workflow " + r.Source.Workflow
	}
	for i, e := range r.Read {
		if e == "role:"+auth.RoleAdmin || contains(readers, e) {
			continue
		}
		have := "none but admins"
		if len(readers) > 0 {
			have = strings.Join(readers, ", ")
		}
		ps = append(ps, forms.Problem{Pointer: fmt.Sprintf("/access/read/%d", i),
			Message: fmt.Sprintf("%s does not read %s (its readers: %s); a report may grant only those who already read its source", e, what, have)})
	}
	return ps
}

// granted are the entries of read the source's readers still have.
func granted(read, readers []string) []string {
	var out []string
	for _, e := range read {
		if contains(readers, e) {
			out = append(out, e)
		}
	}
	return out
}

// paramsForm compiles the parameters' form against the latest reference
// data, cached per report version once compiled for a run.
func (s *Service) paramsForm(ctx context.Context, r *Report, upload bool) (*forms.Form, forms.Problems, error) {
	key := r.Name + "@" + r.Version
	if !upload {
		if c, ok := s.params.Get(key); ok && time.Since(c.at) < paramsTTL {
			return c.form, nil, nil
		}
	}
	def, err := ParamsForm(r)
	if err != nil {
		return nil, nil, err
	}
	f, err := s.defs.CompileUnstored(ctx, def)
	if err != nil {
		var ps forms.Problems
		if errors.As(err, &ps) {
			return nil, paramProblems(r, ps), nil
		}
		return nil, nil, fmt.Errorf("compile the parameters of report %s: %w", key, err)
	}
	if !upload {
		s.params.Add(key, compiledParams{form: f, at: time.Now()})
	}
	return f, nil, nil
}

// MayManage says whether p sees every report's definition: authors and admins.
func MayManage(p *auth.Principal) bool {
	return p.HasRole(auth.RoleAuthor) || p.HasRole(auth.RoleAdmin)
}

// Get returns a version (version "" = latest active) that p may read or
// manage; a report p may not read is not found, so its existence does not
// leak.
func (s *Service) Get(ctx context.Context, p *auth.Principal, name, version string) (registry.Definition, *Report, error) {
	var d registry.Definition
	var err error
	if version == "" {
		d, err = registry.Latest(ctx, s.pool, Kind, registry.GlobalNamespace, name)
	} else {
		d, err = registry.Get(ctx, s.pool, registry.Ref{Kind: Kind, Namespace: registry.GlobalNamespace, Name: name, Version: version})
	}
	if errors.Is(err, registry.ErrNotFound) {
		return registry.Definition{}, nil, notFound(name, version)
	}
	if err != nil {
		return registry.Definition{}, nil, err
	}
	r, err := Parse(d.Content)
	if err != nil {
		return registry.Definition{}, nil, fmt.Errorf("parse stored report %s@%s: %w", d.Name, d.Version, err)
	}
	if !MayManage(p) && !s.Reads(ctx, p, r) {
		return registry.Definition{}, nil, notFound(name, version)
	}
	return d, r, nil
}

// Reads says whether p reads (runs) a report now: named by its access.read, and
// still a reader of its source (a form's author who withdraws a reader
// withdraws them from its reports too); admins read every report.
func (s *Service) Reads(ctx context.Context, p *auth.Principal, r *Report) bool {
	if p.HasRole(auth.RoleAdmin) {
		return true
	}
	if !p.Matches(r.Read) {
		return false
	}
	readers, err := s.sourceReaders(ctx, r.Source)
	if err != nil {
		return false // a source gone: nobody but authors and admins
	}
	return p.Matches(granted(r.Read, readers))
}

// sourceReaders are who reads a report's source now: its form's or its
// workflow's latest active version's access.read.
func (s *Service) sourceReaders(ctx context.Context, src Source) ([]string, error) {
	if src.Form != "" {
		f, _, err := s.defs.Form(ctx, src.Form, "")
		if err != nil {
			return nil, err
		}
		return f.Def.Access.Read, nil
	}
	return s.workflowReaders(ctx, src.Workflow)
}

func notFound(name, version string) error {
	if version != "" {
		return problem.NotFoundf("no report %q version %s", name, version)
	}
	return problem.NotFoundf("no report %q (or no active version of it)", name)
}

// Readable lists the latest active version of each report p may read, by
// name; with manage, every one for authors and admins (who read every
// definition, not only those they run).
func (s *Service) Readable(ctx context.Context, p *auth.Principal, manage bool) ([]registry.Definition, []*Report, error) {
	var defs []registry.Definition
	var reports []*Report
	cursor := ""
	for {
		page, next, err := registry.List(ctx, s.pool, Kind, registry.ListOptions{Namespace: registry.GlobalNamespace, Limit: 500, Cursor: cursor})
		if err != nil {
			return nil, nil, fmt.Errorf("list reports: %w", err)
		}
		for _, d := range page {
			r, err := Parse(d.Content)
			if err != nil {
				return nil, nil, fmt.Errorf("parse stored report %s@%s: %w", d.Name, d.Version, err)
			}
			if (manage && MayManage(p)) || s.Reads(ctx, p, r) {
				defs, reports = append(defs, d), append(reports, r)
			}
		}
		if next == "" {
			return defs, reports, nil
		}
		cursor = next
	}
}

// Versions lists every version of a report p may see, highest first.
func (s *Service) Versions(ctx context.Context, p *auth.Principal, name string) ([]registry.Definition, error) {
	if _, _, err := s.latestOrAny(ctx, p, name); err != nil {
		return nil, err
	}
	return registry.Versions(ctx, s.pool, Kind, registry.GlobalNamespace, name)
}

// latestOrAny checks p may see a report by its highest version, active or not.
func (s *Service) latestOrAny(ctx context.Context, p *auth.Principal, name string) (registry.Definition, *Report, error) {
	all, err := registry.Versions(ctx, s.pool, Kind, registry.GlobalNamespace, name)
	if err != nil {
		return registry.Definition{}, nil, err
	}
	if len(all) == 0 {
		return registry.Definition{}, nil, problem.NotFoundf("no report %q", name)
	}
	r, err := Parse(all[0].Content)
	if err != nil {
		return registry.Definition{}, nil, err
	}
	if !MayManage(p) && !s.Reads(ctx, p, r) {
		return registry.Definition{}, nil, problem.NotFoundf("no report %q", name)
	}
	return all[0], r, nil
}

// Retire retires a version.
func (s *Service) Retire(ctx context.Context, who audit.Who, name, version string) (registry.Definition, error) {
	d, err := s.registry.Retire(ctx, who, registry.Ref{Kind: Kind, Namespace: registry.GlobalNamespace, Name: name, Version: version})
	if errors.Is(err, registry.ErrNotFound) {
		return d, notFound(name, version)
	}
	return d, err
}

// Prepared is a report ready to run for one reader.
type Prepared struct {
	Definition registry.Definition
	Report     *Report
	Params     *forms.Form
	plan       *Plan
}

// Prepare loads a version p may read (version "" = latest active) with its
// parameters' form, for a page to ask for them.
func (s *Service) Prepare(ctx context.Context, p *auth.Principal, name, version string) (*Prepared, error) {
	d, r, err := s.Get(ctx, p, name, version)
	if err != nil {
		return nil, err
	}
	// Only its readers run it: Get let authors through to read any
	// definition, so they are asked again.
	if MayManage(p) && !s.Reads(ctx, p, r) {
		return nil, notFound(name, version)
	}
	// A retired version answers only those who manage reports: retiring
	// one, or narrowing who reads the next, stops it answering the rest.
	if d.Status != registry.Active && !MayManage(p) {
		return nil, notFound(name, version)
	}
	pr, ps, err := s.prepare(ctx, r, false)
	if err != nil {
		return nil, err
	}
	if len(ps) > 0 {
		// The registry changed under the report (an answer gone from the
		// latest version of its form, a type changed).
		return nil, problem.Conflictf("report %s@%s cannot run as the registry stands: %s", d.Name, d.Version, ps.Error())
	}
	return &Prepared{Definition: d, Report: r, Params: pr.params, plan: pr.plan}, nil
}

// Run answers a prepared report for the parameters in q: 422 with each
// wrong parameter at its pointer (/name); the query runs read-only, within
// Timeout, and is refused whole past MaxRows.
func (s *Service) Run(ctx context.Context, p *auth.Principal, pr *Prepared, q url.Values) (*Result, error) {
	values, ps := Values(pr.Report, pr.Params, q, Reserved, time.Now())
	if len(ps) > 0 {
		return nil, problem.Invalidf(ps, "the parameters are not valid: %s", ps.Error())
	}
	query := pr.plan.Build(values, p, s.MaxRows)
	var asOf time.Time
	var raw [][]any
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		// Groups are counted in memory rather than sorted on disk: the
		// planner cannot know how few groups an answer has. JIT compiling
		// cost more than it saved at a million rows (docs/benchmarks.md).
		if _, err := tx.Exec(ctx, fmt.Sprintf("SET LOCAL statement_timeout = %d; SET LOCAL work_mem = '64MB'; SET LOCAL jit = off", max(1, s.Timeout.Milliseconds()))); err != nil {
			return err
		}
		// The snapshot is taken by this statement: everything committed
		// before it began is in the answer.
		if err := tx.QueryRow(ctx, "SELECT statement_timestamp()").Scan(&asOf); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, query.SQL, query.Args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if len(raw) == s.MaxRows {
				return errTooManyRows
			}
			vals, err := rows.Values()
			if err != nil {
				return err
			}
			raw = append(raw, vals)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, s.runError(ctx, pr, err)
	}
	res := NewResult(pr.plan, raw)
	res.Report.Version = pr.Definition.Version
	res.AsOf, res.Params = asOf.UTC(), values
	return res, nil
}

var errTooManyRows = errors.New("too many rows")

func (s *Service) runError(ctx context.Context, pr *Prepared, err error) error {
	var pg *pgconn.PgError
	switch {
	case errors.Is(err, errTooManyRows):
		return (&problem.Error{Kind: problem.Invalid, Detail: fmt.Sprintf(
			"report %s has more than %d rows for these parameters; narrow the parameters (a shorter date range, one port)", pr.Definition.Name, s.MaxRows)}).Because("rows")
	case ctx.Err() != nil:
		return fmt.Errorf("run report %s@%s: %w", pr.Definition.Name, pr.Definition.Version, ctx.Err())
	case errors.As(err, &pg) && pg.Code == "57014":
		return (&problem.Error{Kind: problem.Unavailable, Detail: fmt.Sprintf(
			"report %s took longer than %s for these parameters; narrow the parameters (a shorter date range, one port)", pr.Definition.Name, s.Timeout)}).Because("timeout")
	}
	return fmt.Errorf("run report %s@%s: %w", pr.Definition.Name, pr.Definition.Version, err)
}

func cell(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]string, 0, len(x))
		for _, it := range x {
			if it != nil {
				out = append(out, fmt.Sprint(it))
			}
		}
		return out
	case int32:
		return int64(x)
	case int16:
		return int64(x)
	case float32:
		return float64(x)
	case time.Time:
		return x.UTC()
	}
	return v
}

// AnyReadable says whether p may read at least one report (the navigation
// links Reports for them). The reports' readers are read at most every
// few seconds, not on every page.
func (s *Service) AnyReadable(ctx context.Context, p *auth.Principal) (bool, error) {
	readers, err := s.readers.get(ctx, func(ctx context.Context) ([][]string, error) {
		defs, err := registry.LatestHaving(ctx, s.pool, Kind, []string{"access", "read"})
		if err != nil {
			return nil, err
		}
		out := make([][]string, 0, len(defs))
		for _, d := range defs {
			r, err := Parse(d.Content)
			if err != nil {
				return nil, fmt.Errorf("read report %s@%s: %w", d.Name, d.Version, err)
			}
			// Those it names who still read its source (as reads decides).
			readers, err := s.sourceReaders(ctx, r.Source)
			if err != nil {
				readers = nil // a source gone: only admins
			}
			out = append(out, granted(r.Read, readers))
		}
		return out, nil
	})
	if err != nil {
		return false, err
	}
	if p.HasRole(auth.RoleAdmin) {
		return len(readers) > 0, nil
	}
	for _, read := range readers {
		if p.Matches(read) {
			return true, nil
		}
	}
	return false, nil
}

// readersCache keeps the latest reports' readers for a few seconds.
type readersCache struct {
	mu      sync.Mutex
	at      time.Time
	readers [][]string
}

const readersTTL = 5 * time.Second

func (c *readersCache) get(ctx context.Context, load func(context.Context) ([][]string, error)) ([][]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && time.Since(c.at) < readersTTL {
		return c.readers, nil
	}
	r, err := load(ctx)
	if err != nil {
		return nil, err
	}
	c.readers, c.at = r, time.Now()
	return r, nil
}
