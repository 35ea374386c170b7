// Package examples is the example pack of report definitions `cop dev`
// loads: seizures by port and month and their value by category (from the
// seizure-record form), the time to approve a seizure by team and the
// overdue approvals (from the seizure-approval workflow). Register the
// form and workflow packs first.
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
	Name    string // file name, such as seizures-by-port-month.yaml
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
