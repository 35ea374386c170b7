package workflows

import (
	"fmt"
	"regexp"
	"strings"
)

// Access is who may start a workflow, who may read its instances and
// which senders' events may drive them (POST /api/v1/events), written in
// document.metadata.access as on forms: role:NAME or team:NAME. Admins
// are on every list.
type Access struct {
	Start  []string
	Read   []string
	Events []string
}

// AccessOf reads document.metadata.access; Check has refused bad shapes.
func AccessOf(w *Workflow) Access {
	m, _ := w.Document.Metadata["access"].(map[string]any)
	return Access{Start: stringList(m["start"]), Read: stringList(m["read"]), Events: stringList(m["events"])}
}

// CasePrefixOf is document.metadata.casePrefix, or "" to derive one.
func CasePrefixOf(w *Workflow) string {
	s, _ := w.Document.Metadata["casePrefix"].(string)
	return s
}

func stringList(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

var casePrefixRE = regexp.MustCompile(`^[A-Z][A-Z0-9]{1,11}$`)

// metadata checks the metadata COP reads: startForm, access, casePrefix.
func (c *checker) metadata(md map[string]any) {
	if sf, ok := md["startForm"]; ok {
		if s, isStr := sf.(string); !isStr || s == "" {
			c.add("/document/metadata/startForm", "startForm must be a form name, or name@version")
		}
	}
	if cp, ok := md["casePrefix"]; ok {
		if s, _ := cp.(string); !casePrefixRE.MatchString(s) {
			c.add("/document/metadata/casePrefix", "casePrefix must be 2-12 capital letters or digits, starting with a letter, like SEIZ")
		}
	}
	a, ok := md["access"]
	if !ok {
		return
	}
	m, isMap := a.(map[string]any)
	if !isMap {
		c.add("/document/metadata/access", "access must be an object with start, read and events lists")
		return
	}
	for _, k := range sortedKeys(m) {
		ptr := "/document/metadata/access/" + EscapeToken(k)
		if k != "start" && k != "read" && k != "events" {
			c.add(ptr, "unknown field %q: access has start, read and events", k)
			continue
		}
		list, isList := m[k].([]any)
		if !isList {
			c.add(ptr, "%s must be a list of role:NAME or team:NAME entries", k)
			continue
		}
		for i, e := range list {
			s, _ := e.(string)
			kind, name, _ := strings.Cut(s, ":")
			if (kind != "role" && kind != "team") || name == "" {
				c.add(fmt.Sprintf("%s/%d", ptr, i), "%v is not role:NAME or team:NAME", e)
			}
		}
	}
}
