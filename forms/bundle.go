package forms

import (
	"regexp"
	"strings"
)

// Bundle is the form's answers schema made self-contained for an API
// description: the form's own schema and each data term it uses (as
// compiled: terms pinned, reference data as enums), each under a name,
// with every reference rewritten to prefix+name (and the pointer inside).
// COP's own keywords (errorMessage, refdata) are left out. Root names the
// form's schema among Schemas.
type Bundle struct {
	Root    string
	Schemas map[string]any
}

// copKeywords are keywords only COP reads; an API description leaves them out.
var copKeywords = []string{"errorMessage", "refdata"}

// nameChars is what an OpenAPI components key may hold.
var nameChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Bundle makes the form's Bundle; prefix is where the names live, such as
// "#/components/schemas/".
func (f *Form) Bundle(prefix string) Bundle {
	names := make(map[string]string, len(f.docs))
	for url := range f.docs {
		names[url] = bundleName(url)
	}
	b := Bundle{Root: names[formURL(f.Def.Name, f.Def.Version)], Schemas: make(map[string]any, len(f.docs))}
	for url, doc := range f.docs {
		b.Schemas[names[url]] = rewriteRefs(doc, prefix, names[url], names)
	}
	return b
}

// bundleName turns a resource URL (https://cop.invalid/terms/port/1.0.0.json)
// into a name (term.port.1.0.0).
func bundleName(url string) string {
	rest := strings.TrimSuffix(strings.TrimPrefix(url, baseURL), ".json")
	kind, rest, _ := strings.Cut(rest, "/")
	return strings.TrimSuffix(kind, "s") + "." + nameChars.ReplaceAllString(strings.ReplaceAll(rest, "/", "."), "-")
}

// rewriteRefs copies a schema document, pointing its references at the
// bundle's names: "#/…" at its own, a resource URL at that resource's.
func rewriteRefs(v any, prefix, own string, names map[string]string) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			switch {
			case isCOPKeyword(k):
				continue
			case k == "$ref":
				if s, ok := val.(string); ok {
					out[k] = bundledRef(s, prefix, own, names)
					continue
				}
			}
			out[k] = rewriteRefs(val, prefix, own, names)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = rewriteRefs(val, prefix, own, names)
		}
		return out
	}
	return v
}

func isCOPKeyword(k string) bool {
	for _, c := range copKeywords {
		if k == c {
			return true
		}
	}
	return false
}

func bundledRef(ref, prefix, own string, names map[string]string) string {
	doc, fragment, _ := strings.Cut(ref, "#")
	name := own
	if doc != "" {
		n, ok := names[doc]
		if !ok {
			return ref // not one of the form's resources: left as it is
		}
		name = n
	}
	return prefix + name + fragment
}
