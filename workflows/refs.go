package workflows

import (
	"fmt"
	"strings"
)

// References lists what a definition needs from the registry: the forms its
// userTask calls fill in (NAME or NAME@VERSION, as written), the form that
// starts it, and the sub-workflows its run tasks start. At holds the JSON
// pointer of each reference's first use, keyed "form:REF" or
// "workflow:NS/NAME@VERSION", so a registry check can say where it is.
type References struct {
	Forms     []string
	StartForm string
	Workflows []SubWorkflow
	At        map[string]string
	// Amends says a userTask returns the starting submission to be
	// corrected (amend: submission): the instance pins that submission's
	// form version too.
	Amends bool
}

// Refs walks the definition for its registry references.
func Refs(w *Workflow) References {
	refs := References{At: map[string]string{}}
	var walk func(list TaskList, ptr string)
	visit := func(t *Task, ptr string) {
		switch t.Kind {
		case KindCall:
			if t.Call == FuncUserTask {
				if f, _ := t.With["form"].(string); f != "" && refs.At["form:"+f] == "" {
					refs.At["form:"+f] = ptr + "/with/form"
					refs.Forms = append(refs.Forms, f)
				}
				refs.Amends = refs.Amends || t.With["amend"] != nil
			}
		case KindRun:
			if s := t.Run.Workflow; s != nil {
				key := "workflow:" + s.Namespace + "/" + s.Name + "@" + s.Version
				if refs.At[key] == "" {
					refs.At[key] = ptr + "/run/workflow"
					refs.Workflows = append(refs.Workflows, *s)
				}
			}
		}
		walk(t.Do, ptr+"/do")
		walk(t.Try, ptr+"/try")
		if t.Fork != nil {
			walk(t.Fork.Branches, ptr+"/fork/branches")
		}
		if t.Catch != nil {
			walk(t.Catch.Do, ptr+"/catch/do")
		}
	}
	walk = func(list TaskList, ptr string) {
		for i, nt := range list {
			visit(nt.Task, fmt.Sprintf("%s/%d/%s", ptr, i, EscapeToken(nt.Name)))
		}
	}
	walk(w.Do, "/do")
	if w.Use != nil {
		for _, name := range sortedKeys(w.Use.Functions) {
			visit(w.Use.Functions[name], "/use/functions/"+EscapeToken(name))
		}
	}
	if sf, ok := w.Document.Metadata["startForm"].(string); ok {
		refs.StartForm = sf
		refs.At["startForm:"+sf] = "/document/metadata/startForm"
	}
	return refs
}

// SplitFormRef splits "NAME@VERSION" (the version may be absent: latest).
func SplitFormRef(ref string) (name, version string) {
	name, version, _ = strings.Cut(ref, "@")
	return name, version
}
