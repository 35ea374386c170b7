package forms

import (
	"fmt"
	"strconv"
	"strings"
)

// Library is a Resolver over definitions held in memory: what `cop forms
// validate` checks against without a server (files given with --with and
// the example pack). References resolve as an upload's do: an unversioned
// one to the highest version held.
type Library struct {
	terms   map[string][]TermDefinition
	refdata map[string][]RefData
}

// NewLibrary returns an empty library.
func NewLibrary() *Library {
	return &Library{terms: map[string][]TermDefinition{}, refdata: map[string][]RefData{}}
}

// AddTerm holds a term version, replacing one of the same version.
func (l *Library) AddTerm(t TermDefinition) {
	l.terms[t.Name] = replaceVersion(l.terms[t.Name], t, func(x TermDefinition) string { return x.Version })
}

// AddRefData holds a reference data set version, replacing one of the same version.
func (l *Library) AddRefData(d RefData) {
	l.refdata[d.Name] = replaceVersion(l.refdata[d.Name], d, func(x RefData) string { return x.Version })
}

func replaceVersion[T any](held []T, v T, version func(T) string) []T {
	for i, h := range held {
		if version(h) == version(v) {
			held[i] = v
			return held
		}
	}
	return append(held, v)
}

// Term resolves a term reference.
func (l *Library) Term(ref Reference) (TermDefinition, error) {
	return choose(l.terms[ref.Name], ref, func(t TermDefinition) string { return t.Version })
}

// RefData resolves a reference data reference.
func (l *Library) RefData(ref Reference) (RefData, error) {
	return choose(l.refdata[ref.Name], ref, func(d RefData) string { return d.Version })
}

func choose[T any](held []T, ref Reference, version func(T) string) (T, error) {
	var best T
	found := false
	for _, v := range held {
		switch {
		case ref.Version != "" && version(v) == ref.Version:
			return v, nil
		case ref.Version == "" && (!found || VersionLess(version(best), version(v))):
			best, found = v, true
		}
	}
	if !found {
		return best, fmt.Errorf("%s%s is not among the files given with --with or the example pack (or pass --server URL to check against a running COP)",
			ref.Name, atVersion(ref.Version))
	}
	return best, nil
}

func atVersion(v string) string {
	if v == "" {
		return ""
	}
	return " version " + v
}

// VersionLess orders MAJOR.MINOR.PATCH[-PRE] versions by precedence,
// enough for a local library (the registry orders them in SQL).
func VersionLess(a, b string) bool {
	ar, apre, _ := strings.Cut(a, "-")
	br, bpre, _ := strings.Cut(b, "-")
	as, bs := strings.Split(ar, "."), strings.Split(br, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, _ := strconv.Atoi(as[i])
		y, _ := strconv.Atoi(bs[i])
		if x != y {
			return x < y
		}
	}
	switch {
	case apre == bpre:
		return false
	case apre == "":
		return false
	case bpre == "":
		return true
	}
	return apre < bpre
}
