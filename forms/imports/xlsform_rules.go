package imports

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

var (
	compareRE  = regexp.MustCompile(`^\.\s*(>=|<=|>|<)\s*(-?[0-9]+(\.[0-9]+)?)$`)
	lengthRE   = regexp.MustCompile(`^string-length\(\s*\.\s*\)\s*(>=|<=|>|<)\s*([0-9]+)$`)
	regexRE    = regexp.MustCompile(`^regex\(\s*\.\s*,\s*'(.*)'\s*\)$`)
	equalsRE   = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}\s*=\s*'([^']*)'$`)
	selectedRE = regexp.MustCompile(`^selected\(\s*\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}\s*,\s*'([^']*)'\s*\)$`)
	andRE      = regexp.MustCompile(`(?i)\s+and\s+`)
)

// constraint translates a simple constraint into schema keywords: a
// comparison with a number, a length, a regex, joined by "and"; anything
// else is reported and left out.
func (x *xlsform) constraint(schema object, c, msg string, col, row int) object {
	if c == "" {
		return schema
	}
	var added object
	for _, part := range andRE.Split(c, -1) {
		part = strings.TrimSpace(part)
		switch {
		case compareRE.MatchString(part):
			m := compareRE.FindStringSubmatch(part)
			n, _ := strconv.ParseFloat(m[2], 64)
			added = append(added, member{map[string]string{">=": "minimum", "<=": "maximum", ">": "exclusiveMinimum", "<": "exclusiveMaximum"}[m[1]], n})
		case lengthRE.MatchString(part):
			m := lengthRE.FindStringSubmatch(part)
			n, _ := strconv.Atoi(m[2])
			switch m[1] {
			case "<=":
				added = append(added, member{"maxLength", n})
			case "<":
				added = append(added, member{"maxLength", max(n-1, 0)})
			case ">=":
				added = append(added, member{"minLength", n})
			case ">":
				added = append(added, member{"minLength", n + 1})
			}
		case regexRE.MatchString(part):
			pat := regexRE.FindStringSubmatch(part)[1]
			if _, err := regexp.Compile(pat); err != nil {
				x.note(x.survey.Table, col, row, fmt.Sprintf("constraint regex %q is not one Go's RE2 can run: it is left out", pat))
				continue
			}
			added = append(added, member{"pattern", pat})
		default:
			x.note(x.survey.Table, col, row, fmt.Sprintf("constraint %q is not translated (COP takes comparisons with a number, string-length and regex, joined by and); it is left out", part))
		}
	}
	if len(added) == 0 {
		return schema
	}
	// The schema's keywords go before its title, a translated one in place
	// of the type's default (a text's maxLength); the message, if any,
	// names each keyword translated.
	var out object
	for _, m := range schema[:len(schema)-1] {
		if !slices.ContainsFunc(added, func(a member) bool { return a.key == m.key }) {
			out = append(out, m)
		}
	}
	out = append(append(out, added...), schema[len(schema)-1])
	if msg != "" {
		for _, m := range added {
			out = withMessage(out, m.key, msg)
		}
	}
	return out
}

// withMessage sets the message said when keyword kw refuses an answer
// (errorMessage, which the form's validation reads), keeping the others.
func withMessage(schema object, kw, msg string) object {
	for i, m := range schema {
		if m.key == "errorMessage" {
			msgs, _ := m.value.(object)
			for j := range msgs {
				if msgs[j].key == kw {
					msgs[j].value = msg
					return schema
				}
			}
			schema[i].value = append(msgs, member{kw, msg})
			return schema
		}
	}
	return append(schema, member{"errorMessage", object{{kw, msg}}})
}

// relevant translates "${q} = 'v'" (q a select_one) and "selected(${q},
// 'v')" (q a select_multiple) into a reveal: an if/then on the
// container; anything else is reported, and the question asked always.
func (x *xlsform) relevant(cur *container, name string, required bool, rel string, col, row int) {
	var q, v string
	var contains bool
	switch {
	case equalsRE.MatchString(rel):
		m := equalsRE.FindStringSubmatch(rel)
		q, v = m[1], m[2]
	case selectedRE.MatchString(rel):
		m := selectedRE.FindStringSubmatch(rel)
		q, v, contains = m[1], m[2], true
	default:
		x.note(x.survey.Table, col, row, fmt.Sprintf("relevant %q is not translated (COP reveals a question on one answer of a choice: ${q} = 'value' or selected(${q}, 'value')); %q is always asked", rel, name))
		return
	}
	var control object
	for _, m := range cur.props {
		if m.key == q {
			control, _ = m.value.(object)
		}
	}
	kind := ""
	for _, m := range control {
		if m.key == "oneOf" {
			kind = "select_one"
		}
		if m.key == "items" {
			kind = "select_multiple"
		}
	}
	if (contains && kind != "select_multiple") || (!contains && kind != "select_one") {
		x.note(x.survey.Table, col, row, fmt.Sprintf("relevant %q depends on %q, which is not an earlier choice question beside it; %q is always asked", rel, q, name))
		return
	}
	if !choiceOf(control, v) {
		x.note(x.survey.Table, col, row, fmt.Sprintf("relevant %q names %q, which is not a choice of %q; %q is always asked", rel, v, q, name))
		return
	}
	cond := object{{"const", v}}
	if contains {
		cond = object{{"contains", object{{"const", v}}}}
	}
	then := object{{"properties", object{{name, object{}}}}}
	if required {
		// Required only when revealed.
		cur.required = removeString(cur.required, name)
		then = object{{"required", []string{name}}}
	}
	if cur.revealed == nil {
		cur.revealed = map[string]bool{}
	}
	cur.revealed[name] = true
	cur.allOf = append(cur.allOf, object{{"if", object{{"properties", object{{q, cond}}}, {"required", []string{q}}}}, {"then", then}})
}

func removeString(list []string, s string) []string {
	out := list[:0:0]
	for _, v := range list {
		if v != s {
			out = append(out, v)
		}
	}
	return out
}

func isYes(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "yes", "true", "true()", "1":
		return true
	}
	return false
}

func isNo(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "no", "false", "false()", "0", "":
		return true
	}
	return false
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func jsonIndent(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("write the definition: %w", err)
	}
	return append(b, '\n'), nil
}

// choiceOf says whether v is one of a choice question's values.
func choiceOf(control object, v string) bool {
	var opts []object
	for _, m := range control {
		switch m.key {
		case "oneOf":
			opts, _ = m.value.([]object)
		case "items":
			if items, ok := m.value.(object); ok {
				for _, im := range items {
					if im.key == "oneOf" {
						opts, _ = im.value.([]object)
					}
				}
			}
		}
	}
	for _, o := range opts {
		for _, m := range o {
			if m.key == "const" && m.value == v {
				return true
			}
		}
	}
	return false
}
