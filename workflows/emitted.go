package workflows

import "slices"

// EmittedTypes are the event types the workflow's emit tasks name as
// constants, sorted, each once; a type computed by an expression is known
// only when the task runs and is not among them.
func (w *Workflow) EmittedTypes() []string {
	var types []string
	var walk func(TaskList)
	walk = func(l TaskList) {
		for _, nt := range l {
			t := nt.Task
			if t == nil {
				continue
			}
			if t.Emit != nil {
				if s, ok := t.Emit.Event.With["type"].(string); ok && s != "" && !IsExpression(s) {
					types = append(types, s)
				}
			}
			walk(t.Do)
			walk(t.Try)
			if t.Fork != nil {
				walk(t.Fork.Branches)
			}
			if t.Catch != nil {
				walk(t.Catch.Do)
			}
		}
	}
	walk(w.Do)
	if w.Use != nil {
		for _, f := range w.Use.Functions {
			walk(TaskList{{Task: f}})
		}
	}
	slices.Sort(types)
	return slices.Compact(types)
}
