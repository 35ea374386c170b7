package instances

import (
	"context"
	"encoding/json"
	"fmt"

	"cop/platform/definitions"
	"cop/workflows/engine"
)

// resolver pins from the registry when an instance starts: a form version
// (the latest active when none is written) with the exact terms and
// reference data it was compiled with, and sub-workflow versions.
type resolver struct {
	ctx  context.Context
	defs *definitions.Service
}

func (r *resolver) Form(name, version string) (engine.PinnedForm, error) {
	d, pins, err := r.defs.Get(r.ctx, definitions.KindForm, name, version)
	if err != nil {
		return engine.PinnedForm{}, err
	}
	pf := engine.PinnedForm{Name: d.Name, Version: d.Version, Content: d.Content, Pins: map[string]json.RawMessage{}}
	for _, p := range pins {
		pinned, err := r.defs.Pinned(r.ctx, p)
		if err != nil {
			return engine.PinnedForm{}, fmt.Errorf("read %s pinned by form %s@%s: %w", p, d.Name, d.Version, err)
		}
		pf.Pins[p.String()] = pinned.Content
	}
	return pf, nil
}

func (r *resolver) Workflow(namespace, name, version string) (json.RawMessage, error) {
	d, err := r.defs.Workflow(r.ctx, namespace, name, version)
	if err != nil {
		return nil, err
	}
	return d.Content, nil
}
