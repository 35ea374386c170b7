// Package definitions publishes the form-side definitions (forms, shared
// data terms, reference data sets): it parses and compiles each upload with
// forms/, stores it in the registry with the versions it pinned, refuses to
// retire what active definitions still use, and keeps compiled forms cached.
package definitions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"cop/forms"
	"cop/forms/lang"
	"cop/platform/audit"
	"cop/platform/problem"
	"cop/platform/registry"
	"cop/platform/store"
	"cop/workflows"
)

// Kinds in the registry.
const (
	KindForm    = "form"
	KindTerm    = "term"
	KindRefData = "refdata"
)

// Service is the form-side definitions service.
type Service struct {
	pool     *pgxpool.Pool
	registry registry.Service
	// forms are compiled forms by name@version, and workflows decoded
	// workflows by content checksum: versions are immutable, and a compile
	// or decode costs milliseconds each submission would otherwise pay.
	// Both are bounded so that many definitions cannot grow a replica
	// without end.
	forms     *lru.Cache[string, *forms.Form]
	workflows *lru.Cache[string, *workflows.Workflow]
}

// New returns the service over a pool.
func New(pool *pgxpool.Pool) *Service {
	fc, _ := lru.New[string, *forms.Form](512)
	wc, _ := lru.New[string, *workflows.Workflow](512)
	return &Service{pool: pool, registry: registry.Service{Pool: pool}, forms: fc, workflows: wc}
}

// Published is the result of an upload.
type Published struct {
	Definition registry.Definition `json:"definition"`
	Pins       []forms.Pin         `json:"pins"`
	Created    bool                `json:"created"`
}

// inUse refuses to retire a version that active definitions pin (users:
// "form:arrival-report@1.0.0").
func inUse(ref registry.Ref, users []string) error {
	return problem.Conflictf("%s %s@%s is used by active definitions (%s); retire those first or publish them against another version",
		ref.Kind, ref.Name, ref.Version, strings.Join(users, ", "))
}

// Nouns name each kind in messages.
var Nouns = map[string]string{KindForm: "form", KindTerm: "data term", KindRefData: "reference data set", KindWorkflow: "workflow definition"}

// Invalid turns what a compile or parse refused into the refusal the
// caller sees: every problem at its pointer.
func Invalid(kind string, err error) error {
	var ps forms.Problems
	if errors.As(err, &ps) {
		return problem.Invalidf(ps, "the %s is not valid: %s", Nouns[kind], ps.Error())
	}
	return err
}

// PublishForm checks, compiles and stores a form version. With dryRun the
// definition is compiled against the registry as it is but not stored.
func (s *Service) PublishForm(ctx context.Context, who audit.Who, raw []byte, dryRun bool) (Published, error) {
	def, err := forms.ParseForm(raw)
	if err != nil {
		return Published{}, Invalid(KindForm, err)
	}
	return s.publish(ctx, who, KindForm, def.Name, def.Version, raw, dryRun, func(r forms.Resolver) ([]forms.Pin, error) {
		f, err := forms.CompileForm(def, r)
		if err != nil {
			return nil, err
		}
		return f.Pins, nil
	})
}

// PublishTerm checks, compiles and stores a data term version.
func (s *Service) PublishTerm(ctx context.Context, who audit.Who, raw []byte, dryRun bool) (Published, error) {
	t, err := forms.ParseTerm(raw)
	if err != nil {
		return Published{}, Invalid(KindTerm, err)
	}
	return s.publish(ctx, who, KindTerm, t.Name, t.Version, raw, dryRun, func(r forms.Resolver) ([]forms.Pin, error) {
		ct, err := forms.CompileTerm(t, r)
		if err != nil {
			return nil, err
		}
		return ct.Pins, nil
	})
}

// PublishRefData checks and stores a reference data set version.
func (s *Service) PublishRefData(ctx context.Context, who audit.Who, raw []byte, dryRun bool) (Published, error) {
	d, err := forms.ParseRefData(raw)
	if err != nil {
		return Published{}, Invalid(KindRefData, err)
	}
	return s.publish(ctx, who, KindRefData, d.Name, d.Version, raw, dryRun, func(forms.Resolver) ([]forms.Pin, error) {
		return nil, nil
	})
}

// publish compiles the upload inside the transaction that stores it, so the
// terms it pins cannot be retired between the check and the write.
func (s *Service) publish(ctx context.Context, who audit.Who, kind, name, version string, raw []byte, dryRun bool,
	compile func(forms.Resolver) ([]forms.Pin, error)) (Published, error) {
	ref := registry.Ref{Kind: kind, Namespace: registry.GlobalNamespace, Name: name, Version: version}
	if err := registry.CheckRef(ref); err != nil {
		return Published{}, err // before compiling, whose messages would quote the bad name
	}
	var pins []forms.Pin
	check := func(tx pgx.Tx) error {
		var err error
		if pins, err = compile(&uploadResolver{ctx: ctx, q: tx}); err != nil {
			return Invalid(kind, err)
		}
		return nil
	}
	if dryRun {
		err := store.InTx(ctx, s.pool, func(tx pgx.Tx) error { return check(tx) })
		return Published{Definition: registry.Definition{Kind: kind, Namespace: ref.Namespace, Name: name, Version: version, Content: raw}, Pins: nonNil(pins)}, err
	}
	def, created, err := s.registry.PublishWith(ctx, who, ref, raw, check, func(tx pgx.Tx, d registry.Definition) error {
		return storePins(ctx, tx, d, pins)
	})
	if err != nil {
		return Published{}, err
	}
	if !created {
		if pins, err = loadPins(ctx, s.pool, def); err != nil {
			return Published{}, err
		}
	}
	return Published{Definition: def, Pins: nonNil(pins), Created: created}, nil
}

func nonNil(p []forms.Pin) []forms.Pin {
	if p == nil {
		return []forms.Pin{}
	}
	return p
}

func storePins(ctx context.Context, tx pgx.Tx, d registry.Definition, pins []forms.Pin) error {
	for _, p := range pins {
		if _, err := tx.Exec(ctx, `INSERT INTO definition_pins (definition_id, ref_in, kind, name, requested, resolved)
			VALUES ($1, $2, $3, $4, $5, $6)`, d.ID, p.In, p.Kind, p.Name, p.Version, p.Resolved); err != nil {
			return fmt.Errorf("store pin %s of %s %s@%s: %w", p, d.Kind, d.Name, d.Version, err)
		}
	}
	return nil
}

// loadPins reads the pins a stored version was compiled with.
func loadPins(ctx context.Context, q store.Querier, d registry.Definition) ([]forms.Pin, error) {
	ref := refOf(d)
	rows, err := q.Query(ctx, `SELECT ref_in, kind, name, requested, resolved FROM definition_pins
		WHERE definition_id = $1 ORDER BY ref_in, kind, name, requested`, d.ID)
	if err != nil {
		return nil, fmt.Errorf("load pins of %s: %w", ref, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (forms.Pin, error) {
		var p forms.Pin
		err := row.Scan(&p.In, &p.Kind, &p.Name, &p.Version, &p.Resolved)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("load pins of %s: %w", ref, err)
	}
	forms.SortPins(out)
	return nonNil(out), nil
}

// Get returns one version of a definition (version "" = latest active) and
// its pins. ErrNotFound when there is no such version or no active one.
func (s *Service) Get(ctx context.Context, kind, name, version string) (registry.Definition, []forms.Pin, error) {
	d, err := s.get(ctx, s.pool, kind, name, version)
	if err != nil {
		return registry.Definition{}, nil, err
	}
	pins, err := loadPins(ctx, s.pool, d)
	return d, pins, err
}

func (s *Service) get(ctx context.Context, q store.Querier, kind, name, version string) (registry.Definition, error) {
	if version == "" {
		return registry.Latest(ctx, q, kind, registry.GlobalNamespace, name)
	}
	return registry.Get(ctx, q, registry.Ref{Kind: kind, Namespace: registry.GlobalNamespace, Name: name, Version: version})
}

func refOf(d registry.Definition) registry.Ref {
	return registry.Ref{Kind: d.Kind, Namespace: d.Namespace, Name: d.Name, Version: d.Version}
}

// Versions lists every version of a name, highest first.
func (s *Service) Versions(ctx context.Context, kind, name string) ([]registry.Definition, error) {
	return registry.Versions(ctx, s.pool, kind, registry.GlobalNamespace, name)
}

// List pages through the latest active version of each name.
func (s *Service) List(ctx context.Context, kind string, limit int, cursor string) ([]registry.Definition, string, error) {
	return registry.List(ctx, s.pool, kind, registry.ListOptions{Namespace: registry.GlobalNamespace, Limit: limit, Cursor: cursor})
}

// Retire retires a version. A term or reference data set that active
// definitions pin is refused with their names.
func (s *Service) Retire(ctx context.Context, who audit.Who, kind, name, version string) (registry.Definition, error) {
	ref := registry.Ref{Kind: kind, Namespace: registry.GlobalNamespace, Name: name, Version: version}
	return s.registry.Retire(ctx, who, ref, func(tx pgx.Tx) error {
		if kind == KindForm {
			return nil
		}
		// Lock the version first: a publish pinning it holds a share lock
		// until it commits, so its pins are visible to the check below.
		if _, err := registry.ForUpdate(ctx, tx, ref); err != nil {
			return fmt.Errorf("lock %s: %w", ref, err)
		}
		users, err := activeUsers(ctx, tx, kind, name, version)
		if err != nil {
			return err
		}
		if len(users) > 0 {
			return inUse(ref, users)
		}
		return nil
	})
}

// UsedBy names the active definitions that pin a term or reference data
// version ("form:arrival-report@1.0.0"), which keep it from retiring.
func (s *Service) UsedBy(ctx context.Context, kind, name, version string) ([]string, error) {
	return activeUsers(ctx, s.pool, kind, name, version)
}

// activeUsers names the active definitions pinning a version.
func activeUsers(ctx context.Context, q store.Querier, kind, name, version string) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT DISTINCT definition_id FROM definition_pins
		WHERE kind = $1 AND name = $2 AND resolved = $3`, kind, name, version)
	if err != nil {
		return nil, fmt.Errorf("find users of %s %s@%s: %w", kind, name, version, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("find users of %s %s@%s: %w", kind, name, version, err)
	}
	pinning, err := registry.ByIDs(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	var users []string
	for _, d := range pinning {
		if d.Status == registry.Active {
			users = append(users, d.Kind+":"+d.Name+"@"+d.Version)
		}
	}
	sort.Strings(users)
	return users, nil
}

// Form returns a compiled form version (version "" = latest active). Versions
// are immutable, so compiled forms are cached by name and version; each is
// recompiled from the versions it pinned, never from the latest ones.
func (s *Service) Form(ctx context.Context, name, version string) (*forms.Form, registry.Definition, error) {
	d, err := s.get(ctx, s.pool, KindForm, name, version)
	if err != nil {
		return nil, registry.Definition{}, err
	}
	key := d.Name + "@" + d.Version
	if f, ok := s.forms.Get(key); ok {
		return f, d, nil
	}
	f, err := s.compileStored(ctx, d)
	if err != nil {
		return nil, registry.Definition{}, err
	}
	s.forms.Add(key, f)
	return f, d, nil
}

// FormIn is Form in language l: its texts, its terms' and its reference
// data's in l where they are translated, and its validation messages in
// l. A form that does not offer l comes back in English.
func (s *Service) FormIn(ctx context.Context, name, version, l string) (*forms.Form, registry.Definition, error) {
	f, d, err := s.Form(ctx, name, version)
	if err != nil || l == "" || l == f.Lang || !slices.Contains(f.Def.Offered(), l) {
		return f, d, err
	}
	key := d.Name + "@" + d.Version + "#" + l
	if lf, ok := s.forms.Get(key); ok {
		return lf, d, nil
	}
	pins, err := loadPins(ctx, s.pool, d)
	if err != nil {
		return nil, registry.Definition{}, err
	}
	lf, err := forms.LocalizeForm(f, l, &pinnedResolver{ctx: ctx, q: s.pool, pins: pins})
	if err != nil {
		return nil, registry.Definition{}, err
	}
	s.forms.Add(key, lf)
	return lf, d, nil
}

// Validate checks answers against f and explains a refusal in the
// language ctx carries (lang.NewContext): the same answers are refused in
// every language, only the words differ.
func (s *Service) Validate(ctx context.Context, f *forms.Form, data any, at time.Time) []forms.FieldError {
	errs := f.Validate(data, at)
	l := lang.FromContext(ctx)
	if len(errs) == 0 || l == f.Lang {
		return errs
	}
	lf, _, err := s.FormIn(ctx, f.Def.Name, f.Def.Version, l)
	if err != nil || lf == f {
		return errs
	}
	if again := lf.Validate(data, at); len(again) > 0 {
		return again
	}
	return errs
}

// CompileUnstored compiles a form that is not stored (a report's
// parameters) against the registry as it is: the latest active terms and
// reference data it names.
func (s *Service) CompileUnstored(ctx context.Context, def forms.Definition) (*forms.Form, error) {
	return forms.CompileForm(def, &uploadResolver{ctx: ctx, q: s.pool})
}

// Compiled is the compiled form of a stored version already read (a
// list's item): from the cache, without reading the version again.
func (s *Service) Compiled(ctx context.Context, d registry.Definition) (*forms.Form, error) {
	key := d.Name + "@" + d.Version
	if f, ok := s.forms.Get(key); ok {
		return f, nil
	}
	f, err := s.compileStored(ctx, d)
	if err != nil {
		return nil, err
	}
	s.forms.Add(key, f)
	return f, nil
}

func (s *Service) compileStored(ctx context.Context, d registry.Definition) (*forms.Form, error) {
	def, err := forms.ParseForm(d.Content)
	if err != nil {
		return nil, fmt.Errorf("parse stored form %s@%s: %w", d.Name, d.Version, err)
	}
	pins, err := loadPins(ctx, s.pool, d)
	if err != nil {
		return nil, err
	}
	f, err := forms.CompileStoredForm(def, &pinnedResolver{ctx: ctx, q: s.pool, pins: pins})
	if err != nil {
		return nil, fmt.Errorf("compile stored form %s@%s: %w", d.Name, d.Version, err)
	}
	return f, nil
}

// RefDataLookup says, for an import, whether COP has reference data sets
// by name; a failure to read other than "no such set" is kept in Err, so
// the import is refused rather than told the set does not exist.
type RefDataLookup struct {
	ctx context.Context
	s   *Service
	Err error
}

// RefDataLookup starts a lookup in ctx.
func (s *Service) RefDataLookup(ctx context.Context) *RefDataLookup {
	return &RefDataLookup{ctx: ctx, s: s}
}

// Has says whether a set of that name has an active version.
func (l *RefDataLookup) Has(name string) bool {
	if l.Err != nil {
		return false
	}
	_, err := l.s.get(l.ctx, l.s.pool, KindRefData, name, "")
	if err != nil && !errors.Is(err, registry.ErrNotFound) {
		l.Err = fmt.Errorf("look up reference data %q: %w", name, err)
	}
	return err == nil
}

// RefData returns a reference data set version (version "" = latest active).
func (s *Service) RefData(ctx context.Context, name, version string) (forms.RefData, registry.Definition, error) {
	d, err := s.get(ctx, s.pool, KindRefData, name, version)
	if err != nil {
		return forms.RefData{}, registry.Definition{}, err
	}
	var set forms.RefData
	if err := json.Unmarshal(d.Content, &set); err != nil {
		return forms.RefData{}, registry.Definition{}, fmt.Errorf("decode stored reference data %s@%s: %w", d.Name, d.Version, err)
	}
	return set, d, nil
}
