// Package examples is the example pack `cop dev` loads: ISO 3166 countries
// and a sample of UK ports as reference data, shared data terms (country,
// port, person, passport, vessel) and a worked example form. Authors copy
// from it; tests use it as a form "from another team" would be used.
package examples

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"

	"cop/forms"
)

//go:embed refdata/*.json terms/*.json forms/*.json
var files embed.FS

// File is one example definition.
type File struct {
	Kind    string // "refdata", "terms" or "forms": the API collection it is posted to
	Name    string // file name
	Content []byte
}

// Kinds in the order they must be registered: terms use reference data,
// forms use terms.
var Kinds = []string{"refdata", "terms", "forms"}

// All returns every example in registration order; within a kind, terms
// used by other terms come first (country before person).
func All() []File {
	var out []File
	for _, kind := range Kinds {
		names, _ := fs.Glob(files, kind+"/*.json")
		sort.SliceStable(names, func(i, j int) bool { return rank(names[i]) < rank(names[j]) })
		for _, n := range names {
			b, _ := files.ReadFile(n)
			out = append(out, File{Kind: kind, Name: path.Base(n), Content: b})
		}
	}
	return out
}

// rank puts the terms other terms refer to first.
func rank(name string) int {
	switch path.Base(name) {
	case "country.json", "port.json":
		return 0
	}
	return 1
}

// Compile compiles the pack as the registry would, in order: reference
// data, then terms, then forms. It returns the library and the forms.
func Compile() (*forms.Library, []*forms.Form, error) {
	lib := forms.NewLibrary()
	var compiled []*forms.Form
	for _, f := range All() {
		switch f.Kind {
		case "refdata":
			d, err := forms.ParseRefData(f.Content)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", f.Name, err)
			}
			lib.AddRefData(d)
		case "terms":
			term, err := forms.ParseTerm(f.Content)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", f.Name, err)
			}
			if _, err := forms.CompileTerm(term, lib); err != nil {
				return nil, nil, fmt.Errorf("%s: %w", f.Name, err)
			}
			lib.AddTerm(term)
		case "forms":
			def, err := forms.ParseForm(f.Content)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", f.Name, err)
			}
			form, err := forms.CompileForm(def, lib)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", f.Name, err)
			}
			compiled = append(compiled, form)
		}
	}
	return lib, compiled, nil
}
