package imports

import (
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// conditionOf reads a component's simple conditional: show it (or hide
// it) when another question's answer equals a value. Form.io writes it
// as {show, when, eq}, or, since version 5, as one isEqual condition.
func (x *formio) conditionOf(c map[string]any, where, key string) (condition, bool) {
	// Form.io runs customConditional in place of a simple conditional
	// beside it.
	if js := strings.TrimSpace(str(c["customConditional"])); js != "" {
		return x.scriptCondition(js, where, key)
	}
	cond := mapOf(c["conditional"])
	when, eq := str(cond["when"]), str(cond["eq"])
	if list, ok := cond["conditions"].([]any); ok && len(list) > 0 {
		first := mapOf(list[0])
		op := str(first["operator"])
		if len(list) > 1 || (op != "isEqual" && op != "") {
			x.note(where, "its condition (%d rule(s), operator %q) is not translated: COP reveals a question on one answer of another; %q is asked always", len(list), op, key)
			return condition{untranslated: true}, false
		}
		when, eq = str(first["component"]), str(first["value"])
	}
	if when == "" {
		if j, ok := cond["json"]; ok && j != nil && str(j) != "" && !isEmptyValue(j) {
			return condition{untranslated: true}, false
		}
		return condition{}, false
	}
	show := str(cond["show"])
	if show != "true" && show != "false" {
		x.note(where, "its conditional names %q but says neither show true nor false: not translated", when)
		return condition{untranslated: true}, false
	}
	return condition{show: show == "true", when: when, eq: eq, where: where}, true
}

// settle turns the conditions of sc's questions into reveals (an if/then
// on the object) once every question of the object is known, since a
// Form.io condition may name a question that comes after it.
func (x *formio) settle(sc *scope) {
	for _, r := range sc.pending {
		ctl := controlKey(sc, r.cond.when)
		if r.cond.rootData && sc.ptr != "" {
			ctl = ""
		}
		kind, ok := sc.kinds[ctl]
		if !ok || ctl == r.key {
			x.note(r.cond.where, "is shown only when %q is %q, which is not a question of the same data: COP asks %q always", r.cond.when, r.cond.eq, r.key)
			x.notRequired(r)
			continue
		}
		if o := r.cond.outer; o != nil && !r.cond.same(*o) && !revealedOn(sc, ctl, *o) {
			x.note(r.cond.where, "is shown only when %q is %q and %q is %q; COP reveals it on %q alone", o.when, o.eq, r.cond.when, r.cond.eq, r.cond.when)
		}
		value, ok := x.conditionValue(sc, ctl, kind, r)
		if !ok {
			x.notRequired(r)
			continue
		}
		test := object{{"const", value}}
		if kind == ctlMultiple {
			test = object{{"contains", test}}
		}
		branch := "then"
		if !r.cond.show {
			branch = "else"
		}
		addReveal(sc, object{{"properties", object{{ctl, test}}}, {"required", []string{ctl}}}, branch, r.key, r.required)
		if kind == ctlChoice || kind == ctlBoolean || kind == ctlMultiple {
			if sc.revealed == nil {
				sc.revealed = map[string]string{}
			}
			sc.revealed[r.key] = ctl
		} else {
			x.note(r.cond.where, "is shown only when %q is %q; %q is not a choice, so COP asks %q always (and requires it only then)", ctl, r.cond.eq, ctl, r.key)
		}
	}
	sc.pending = nil
}

// conditionValue is the answer a condition compares with, typed as the
// controlling question's answers are.
func (x *formio) conditionValue(sc *scope, ctl, kind string, r reveal) (any, bool) {
	eq := r.cond.eq
	switch kind {
	case ctlBoolean:
		if eq == "true" || eq == "false" {
			return eq == "true", true
		}
		x.note(r.cond.where, "is shown when yes/no question %q is %q, which is neither true nor false: COP asks %q always", ctl, eq, r.key)
		return nil, false
	case ctlNumber:
		n, err := strconv.ParseFloat(eq, 64)
		if err != nil {
			x.note(r.cond.where, "is shown when number %q is %q, which is not a number: COP asks %q always", ctl, eq, r.key)
			return nil, false
		}
		return n, true
	case ctlChoice, ctlMultiple:
		if !choiceOf(x.controlSchema(sc, ctl), eq) {
			if schemaHas(x.controlSchema(sc, ctl), "refdata") {
				return eq, true
			}
			x.note(r.cond.where, "is shown when %q is %q, which is not one of its options: COP asks %q always", ctl, eq, r.key)
			return nil, false
		}
	}
	return eq, true
}

func (x *formio) controlSchema(sc *scope, key string) object {
	for _, m := range sc.props {
		if m.key == key {
			o, _ := m.value.(object)
			return o
		}
	}
	return nil
}

func schemaHas(s object, kw string) bool {
	return slices.ContainsFunc(s, func(m member) bool {
		if m.key == kw {
			return true
		}
		if inner, ok := m.value.(object); ok && m.key == "items" {
			return schemaHas(inner, kw)
		}
		return false
	})
}

// controlKey is the key, in sc, of the question a condition names: its
// key, or its data path ("crew.role" in the crew grid's entries).
func controlKey(sc *scope, when string) string {
	if _, ok := sc.kinds[when]; ok || !strings.Contains(when, ".") {
		return when
	}
	i := strings.LastIndex(when, ".")
	if strings.ReplaceAll(strings.TrimPrefix(sc.ptr, "/"), "/", ".") != when[:i] {
		return ""
	}
	return when[i+1:]
}

// addReveal makes key shown (and, if required, required) in the branch
// of the if: in the entry with the same if, so that the questions of a
// layout shown on one answer are revealed together.
func addReveal(sc *scope, cond object, branch, key string, required bool) {
	want, _ := json.Marshal(cond)
	id := branch + string(want)
	i, ok := sc.reveals[id]
	if !ok {
		if sc.reveals == nil {
			sc.reveals = map[string]int{}
		}
		sc.allOf = append(sc.allOf, object{{"if", cond}, {branch, object{{"properties", object{}}}}})
		i = len(sc.allOf) - 1
		sc.reveals[id] = i
	}
	body := sc.allOf[i][1].value.(object)
	body[0].value = append(body[0].value.(object), member{key, object{}})
	if required {
		if len(body) == 1 {
			body = append(body, member{"required", []string{}})
		}
		body[1].value = append(body[1].value.([]string), key)
	}
	sc.allOf[i][1].value = body
}

// The customConditional COP's first generation wrote most: show when one
// answer equals a value, as `show = (data.x === 'yes') ? true : false;`
// or `show = row.x !== 'no'`.
var showScript = regexp.MustCompile(`^show\s*=\s*\(?\s*(data|row)\.([A-Za-z_$][A-Za-z0-9_$]*)\s*(===|==|!==|!=)\s*(?:'([^']*)'|"([^"]*)"|(true|false|-?[0-9]+(?:\.[0-9]+)?))\s*\)?\s*(?:\?\s*(true|false)\s*:\s*(true|false))?\s*;?$`)

// scriptCondition translates a customConditional of that shape; any other
// JavaScript is reported, and the question asked always.
func (x *formio) scriptCondition(js, where, key string) (condition, bool) {
	m := showScript.FindStringSubmatch(strings.Join(strings.Fields(js), " "))
	if m == nil || (m[7] != "" && m[7] == m[8]) {
		x.note(where, "customConditional is JavaScript (%.60q), which COP does not run: this condition of %q is not translated", js, key)
		return condition{untranslated: true}, false
	}
	show := !strings.HasPrefix(m[3], "!")
	if m[7] == "false" {
		show = !show
	}
	return condition{show: show, when: m[2], eq: m[4] + m[5] + m[6], where: where, rootData: m[1] == "data"}, true
}

// revealedOn says whether question key is itself shown on condition c,
// or on a question that is, and so on.
func revealedOn(sc *scope, key string, c condition) bool {
	for range 32 {
		i := slices.IndexFunc(sc.pending, func(p reveal) bool { return p.key == key })
		if i < 0 {
			return false
		}
		p := sc.pending[i].cond
		if p.same(c) || (p.outer != nil && p.outer.same(c)) {
			return true
		}
		key = controlKey(sc, p.when)
	}
	return false
}

func (c condition) same(o condition) bool {
	return c.when == o.when && c.eq == o.eq && c.show == o.show
}

// notRequired says that a question Form.io requires only when shown is
// not required in COP, whose form cannot say when it is shown: required
// always, it would refuse every answer that leaves it out.
func (x *formio) notRequired(r reveal) {
	if r.required {
		x.note(r.cond.where, "is required in Form.io only when shown; COP asks %q always, so it is not required", r.key)
	}
}

// revealedUnder says whether question key is revealed under a question
// that is itself shown: questions that only reveal each other, in a
// circle, would never be seen, so COP shows them as ordinary questions,
// and they stay on their page.
func revealedUnder(sc *scope, key string) bool {
	seen := map[string]bool{}
	for {
		ctl, ok := sc.revealed[key]
		if !ok {
			return len(seen) > 0
		}
		if seen[key] {
			return false
		}
		seen[key] = true
		key = ctl
	}
}
