// Package examples is the example pack of workflow definitions: worked
// Border Force examples that authors copy from (docs/workflows.md walks
// through them). They use the forms of cop/forms/examples, so register that
// pack first.
package examples

import (
	"embed"
	"io/fs"
	"sort"
)

//go:embed *.yaml
var files embed.FS

// File is one example definition.
type File struct {
	Name    string // file name, such as seizure-approval.yaml
	Content []byte // the definition as written (YAML)
}

// All returns every example, by file name.
func All() []File {
	names, _ := fs.Glob(files, "*.yaml")
	sort.Strings(names)
	out := make([]File, 0, len(names))
	for _, n := range names {
		b, _ := files.ReadFile(n)
		out = append(out, File{Name: n, Content: b})
	}
	return out
}
