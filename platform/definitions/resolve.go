package definitions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"cop/forms"
	"cop/platform/registry"
	"cop/platform/store"
)

// uploadResolver resolves the references of a new upload: an unversioned
// reference to the latest active version, a versioned one to that version
// if it is active, and references inside a term to the versions that term
// pinned. Each version read is share-locked until the upload commits, so a
// concurrent retire waits and then sees the new pins.
type uploadResolver struct {
	ctx context.Context
	q   store.Querier
}

func (r *uploadResolver) Term(ref forms.Reference) (forms.TermDefinition, error) {
	var t forms.TermDefinition
	err := r.resolve(ref, &t)
	return t, err
}

func (r *uploadResolver) RefData(ref forms.Reference) (forms.RefData, error) {
	var d forms.RefData
	err := r.resolve(ref, &d)
	return d, err
}

func (r *uploadResolver) resolve(ref forms.Reference, into any) error {
	version := ref.Version
	active := true
	if ref.In != "" {
		pinned, err := pinnedIn(r.ctx, r.q, ref)
		if err != nil {
			return err
		}
		version, active = pinned, false // a term's own pins hold even once retired
	}
	dep, err := registry.ForShare(r.ctx, r.q, ref.Kind, registry.GlobalNamespace, ref.Name, version, active)
	if errors.Is(err, registry.ErrNotFound) {
		return forms.ErrNotRegistered
	}
	if err != nil {
		return fmt.Errorf("read %s %s: %w", ref.Kind, ref.Name, err)
	}
	return decodeStored(dep.Content, into)
}

// pinnedIn is the version a term's own reference was pinned to.
func pinnedIn(ctx context.Context, q store.Querier, ref forms.Reference) (string, error) {
	spec, ok := strings.CutPrefix(ref.In, "term:")
	name, version, _ := strings.Cut(spec, "@")
	if !ok || name == "" || version == "" {
		return "", fmt.Errorf("bad reference context %q", ref.In)
	}
	term, err := registry.Get(ctx, q, registry.Ref{Kind: KindTerm, Namespace: registry.GlobalNamespace, Name: name, Version: version})
	if err != nil {
		return "", fmt.Errorf("read %s: %w", ref.In, err)
	}
	var resolved string
	err = q.QueryRow(ctx, `SELECT resolved FROM definition_pins
		WHERE definition_id = $1 AND ref_in = '' AND kind = $2 AND name = $3 AND requested = $4`,
		term.ID, ref.Kind, ref.Name, ref.Version).Scan(&resolved)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("%s has no pin for %s %s@%s", ref.In, ref.Kind, ref.Name, ref.Version)
	}
	return resolved, err
}

// pinnedResolver recompiles a stored definition from exactly the versions
// it pinned at upload, retired or not.
type pinnedResolver struct {
	ctx  context.Context
	q    store.Querier
	pins []forms.Pin
}

func (r *pinnedResolver) Term(ref forms.Reference) (forms.TermDefinition, error) {
	var t forms.TermDefinition
	err := r.resolve(ref, &t)
	return t, err
}

func (r *pinnedResolver) RefData(ref forms.Reference) (forms.RefData, error) {
	var d forms.RefData
	err := r.resolve(ref, &d)
	return d, err
}

func (r *pinnedResolver) resolve(ref forms.Reference, into any) error {
	for _, p := range r.pins {
		if p.Reference == ref {
			d, err := registry.Get(r.ctx, r.q, registry.Ref{Kind: ref.Kind, Namespace: registry.GlobalNamespace, Name: ref.Name, Version: p.Resolved})
			if err != nil {
				return fmt.Errorf("read pinned %s: %w", p, err)
			}
			return decodeStored(d.Content, into)
		}
	}
	return fmt.Errorf("no pin for %s %s (in %q)", ref.Kind, ref.Name, ref.In)
}

func decodeStored(content []byte, into any) error {
	if err := json.Unmarshal(content, into); err != nil {
		return fmt.Errorf("decode stored definition: %w", err)
	}
	return nil
}
