package workflows

import "strings"

// References lists what a definition needs from the registry: the forms its
// userTask calls fill in (NAME or NAME@VERSION, as written), the form that
// starts it, and the sub-workflows its run tasks start.
type References struct {
	Forms     []string
	StartForm string
	Workflows []SubWorkflow
}

// Refs walks the definition for its registry references.
func Refs(w *Workflow) References {
	var refs References
	seenForm := map[string]bool{}
	seenWF := map[string]bool{}
	var walk func(list TaskList)
	visit := func(t *Task) {
		switch t.Kind {
		case KindCall:
			if t.Call == FuncUserTask {
				if f, _ := t.With["form"].(string); f != "" && !seenForm[f] {
					seenForm[f] = true
					refs.Forms = append(refs.Forms, f)
				}
			}
		case KindRun:
			if s := t.Run.Workflow; s != nil {
				key := s.Namespace + "/" + s.Name + "@" + s.Version
				if !seenWF[key] {
					seenWF[key] = true
					refs.Workflows = append(refs.Workflows, *s)
				}
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
	walk = func(list TaskList) {
		for _, nt := range list {
			visit(nt.Task)
		}
	}
	walk(w.Do)
	if w.Use != nil {
		for _, name := range sortedKeys(w.Use.Functions) {
			visit(w.Use.Functions[name])
		}
	}
	if sf, ok := w.Document.Metadata["startForm"].(string); ok {
		refs.StartForm = sf
	}
	return refs
}

// SplitFormRef splits "NAME@VERSION" (the version may be absent: latest).
func SplitFormRef(ref string) (name, version string) {
	name, version, _ = strings.Cut(ref, "@")
	return name, version
}
