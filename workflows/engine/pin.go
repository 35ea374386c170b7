package engine

import (
	"encoding/json"
	"fmt"

	"cop/workflows"
)

// Resolver finds the registry versions an instance pins when it starts.
type Resolver interface {
	// Form returns a form version ("" = latest active) with its own pins.
	Form(name, version string) (PinnedForm, error)
	// Workflow returns a workflow version ("latest" = latest active) as
	// stored JSON.
	Workflow(namespace, name, version string) (json.RawMessage, error)
}

// Pin fills start.Forms and start.Workflows with every form and
// sub-workflow the definition (and its sub-workflows, transitively) uses,
// so the instance never reads the registry again.
func Pin(w *workflows.Workflow, r Resolver, start *Start) error {
	if start.Forms == nil {
		start.Forms = map[string]PinnedForm{}
	}
	if start.Workflows == nil {
		start.Workflows = map[string]json.RawMessage{}
	}
	refs := workflows.Refs(w)
	for _, f := range refs.Forms {
		if _, done := start.Forms[f]; done {
			continue
		}
		name, version := workflows.SplitFormRef(f)
		pf, err := r.Form(name, version)
		if err != nil {
			return fmt.Errorf("form %s: %w", f, err)
		}
		start.Forms[f] = pf
	}
	for _, s := range refs.Workflows {
		key := SubWorkflowKey(s.Namespace, s.Name, s.Version)
		if _, done := start.Workflows[key]; done {
			continue
		}
		js, err := r.Workflow(s.Namespace, s.Name, s.Version)
		if err != nil {
			return fmt.Errorf("workflow %s: %w", key, err)
		}
		start.Workflows[key] = js
		sub, err := workflows.Decode(js)
		if err != nil {
			return fmt.Errorf("workflow %s: %w", key, err)
		}
		if err := Pin(sub, r, start); err != nil {
			return err
		}
	}
	return nil
}
