package engine

import (
	"encoding/json"
	"fmt"
	"sort"

	"cop/forms"
	"cop/workflows"
)

// LocalResolver pins from definitions held in memory (the example pack and
// files given to `cop workflows run --with`), for runs without a registry.
type LocalResolver struct {
	forms     map[string][]PinnedForm
	pins      map[string]json.RawMessage
	refdata   map[string][]map[string]any
	workflows map[string]json.RawMessage
}

// NewLocalResolver returns an empty resolver.
func NewLocalResolver() *LocalResolver {
	return &LocalResolver{forms: map[string][]PinnedForm{}, pins: map[string]json.RawMessage{},
		refdata: map[string][]map[string]any{}, workflows: map[string]json.RawMessage{}}
}

// AddForm holds a form definition.
func (l *LocalResolver) AddForm(raw []byte) error {
	d, err := forms.ParseForm(raw)
	if err != nil {
		return err
	}
	l.forms[d.Name] = append(l.forms[d.Name], PinnedForm{Name: d.Name, Version: d.Version, Content: raw})
	return nil
}

// AddTerm holds a data term.
func (l *LocalResolver) AddTerm(raw []byte) error {
	t, err := forms.ParseTerm(raw)
	if err != nil {
		return err
	}
	l.pins["term:"+t.Name+"@"+t.Version] = raw
	return nil
}

// AddRefData holds a reference data set.
func (l *LocalResolver) AddRefData(raw []byte) error {
	d, err := forms.ParseRefData(raw)
	if err != nil {
		return err
	}
	l.pins["refdata:"+d.Name+"@"+d.Version] = raw
	var items []map[string]any
	b, _ := json.Marshal(d.Items)
	_ = json.Unmarshal(b, &items)
	l.refdata[d.Name] = items
	return nil
}

// AddWorkflow holds a workflow definition others may run.
func (l *LocalResolver) AddWorkflow(raw []byte) error {
	w, js, err := workflows.Parse(raw)
	if err != nil {
		return err
	}
	d := w.Document
	l.workflows[SubWorkflowKey(d.Namespace, d.Name, d.Version)] = js
	l.workflows[SubWorkflowKey(d.Namespace, d.Name, "latest")] = js
	return nil
}

// Form returns the form version (the highest held when version is empty)
// pinned with every term and reference data set held: a local run has one
// version of each.
func (l *LocalResolver) Form(name, version string) (PinnedForm, error) {
	held := append([]PinnedForm(nil), l.forms[name]...) // callers may run concurrently
	sort.Slice(held, func(i, j int) bool { return forms.VersionLess(held[i].Version, held[j].Version) })
	for i := len(held) - 1; i >= 0; i-- {
		if version == "" || held[i].Version == version {
			pf := held[i]
			pf.Pins = l.pins
			return pf, nil
		}
	}
	return PinnedForm{}, fmt.Errorf("no form %s%s is loaded (give it with --with FILE)", name, atVersion(version))
}

// Workflow returns a held workflow.
func (l *LocalResolver) Workflow(namespace, name, version string) (json.RawMessage, error) {
	if js, ok := l.workflows[SubWorkflowKey(namespace, name, version)]; ok {
		return js, nil
	}
	return nil, fmt.Errorf("no workflow %s is loaded (give it with --with FILE)", SubWorkflowKey(namespace, name, version))
}

// RefData returns a held reference data set's items.
func (l *LocalResolver) RefData(name string) ([]map[string]any, error) {
	if items, ok := l.refdata[name]; ok {
		return items, nil
	}
	return nil, fmt.Errorf("no reference data %q is loaded", name)
}

func atVersion(v string) string {
	if v == "" {
		return ""
	}
	return "@" + v
}
