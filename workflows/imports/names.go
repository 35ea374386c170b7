package imports

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// dnsLabel is what a workflow namespace and name must be.
var dnsLabel = regexp.MustCompile(`^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$`)

// words splits an id or name into words: at anything not a letter or
// digit, and where a lower-case letter or digit meets a capital
// (approveClaim, UserTask_1, XMLParser → XML Parser).
func words(s string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, string(cur))
			cur = nil
		}
	}
	rs := []rune(s)
	for i, r := range rs {
		if r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
			flush()
			continue
		}
		if unicode.IsUpper(r) && len(cur) > 0 {
			prev := cur[len(cur)-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				flush()
			}
		}
		cur = append(cur, r)
	}
	flush()
	return out
}

// camel makes a task name of an id: UserTask_1 → userTask1,
// publish_announcement_website → publishAnnouncementWebsite.
func camel(s string) string {
	var b strings.Builder
	for i, w := range words(s) {
		w = strings.ToLower(w)
		if i > 0 {
			w = strings.ToUpper(w[:1]) + w[1:]
		}
		b.WriteString(w)
	}
	name := b.String()
	if name == "" {
		return "task"
	}
	if unicode.IsDigit(rune(name[0])) {
		name = "task" + name
	}
	return name
}

// kebab makes a registry name (workflow, form) of an id or key:
// approveClaim → approve-claim, fox-invoice_en → fox-invoice-en. It is
// cut at max characters, at a word boundary where it can be.
func kebab(s string, max int) string {
	var parts []string
	n := 0
	for _, w := range words(s) {
		w = strings.ToLower(w)
		if n+len(w)+len(parts) > max {
			if len(parts) == 0 {
				parts = append(parts, w[:max])
			}
			break
		}
		parts = append(parts, w)
		n += len(w)
	}
	return strings.Join(parts, "-")
}

// names hands out task names unique across the workflow, so a name in a
// trace or a report points at one task.
type names struct {
	used map[string]bool
	next map[string]int // the next number to try after base, so many alike stay cheap
}

// reservedNames are then's keywords, which a task may not be called.
var reservedNames = map[string]bool{"continue": true, "exit": true, "end": true}

func (ns *names) unique(base string) string {
	if ns.used == nil {
		ns.used, ns.next = map[string]bool{}, map[string]int{}
	}
	if reservedNames[base] {
		base += "Task"
	}
	name := base
	i := max(ns.next[base], 2)
	for ; ns.used[name]; i++ {
		name = base + strconv.Itoa(i)
	}
	ns.next[base] = i
	ns.used[name] = true
	return name
}
