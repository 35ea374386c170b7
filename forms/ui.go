package forms

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// pageIDRE is what a page id may be: it appears in page addresses.
var pageIDRE = regexp.MustCompile(`^[a-z0-9-]+$`)

// validateUI checks an uploaded definition's ui hints against its schema,
// so that a journey that would lose a question, or a widget that cannot
// hold its field's answer, is refused at upload rather than found by an
// officer. Problems point into the definition ("/ui/pages/1/fields/0");
// nil when the hints are fine.
func validateUI(root *Node, ui *UI) Problems {
	if root == nil || ui == nil {
		return nil
	}
	l := layoutObject(root, ui, "")
	var p Problems
	p = append(p, checkPages(l, ui.Pages)...)
	p = append(p, checkOrder(l, ui.Order)...)
	p = append(p, checkFieldHints(root, ui.Fields)...)
	if n := utf8.RuneCountInString(ui.Confirmation); n > MaxConfirmation {
		p = append(p, Problem{"/ui/confirmation", fmt.Sprintf("the confirmation text is %d characters; at most %d are shown", n, MaxConfirmation)})
	}
	if len(p) == 0 {
		return nil
	}
	return p
}

// checkPages checks page ids and that every question is on exactly one
// page: listed there, or revealed by a question that is.
func checkPages(l *objectLayout, pages []UIPage) Problems {
	var p Problems
	ids := map[string]bool{}
	placed := map[string]string{} // property → the page listing it
	for i, page := range pages {
		at := "/ui/pages/" + strconv.Itoa(i)
		name := pageName(i, page)
		switch {
		case page.ID == "":
			p = append(p, Problem{at + "/id", fmt.Sprintf("%s has no id; give it one of lower-case letters, digits and '-'", name)})
		case !pageIDRE.MatchString(page.ID):
			p = append(p, Problem{at + "/id", fmt.Sprintf("page id %q may use only lower-case letters, digits and '-'", page.ID)})
		case ids[page.ID]:
			p = append(p, Problem{at + "/id", fmt.Sprintf("page id %q is used by an earlier page; each page needs its own id", page.ID)})
		}
		ids[page.ID] = true
		for j, prop := range page.Fields {
			fat := at + "/fields/" + strconv.Itoa(j)
			if msg := l.notAField(prop); msg != "" {
				p = append(p, Problem{fat, msg})
				continue
			}
			if control, ok := l.revealedBy[prop]; ok {
				p = append(p, Problem{fat, fmt.Sprintf("property %q is shown by the answer to %q, on that question's page, so it cannot be listed on a page itself", prop, control)})
				continue
			}
			if first, dup := placed[prop]; dup {
				if first == name {
					p = append(p, Problem{fat, fmt.Sprintf("property %q is listed twice on %s", prop, name)})
				} else {
					p = append(p, Problem{fat, fmt.Sprintf("property %q is already on %s; a question belongs on one page", prop, first)})
				}
				continue
			}
			placed[prop] = name
		}
	}
	if len(pages) == 0 {
		return p
	}
	// Revealed properties are placed with their question, so only the
	// ordinary ones need a page of their own.
	for _, prop := range l.ordinary {
		if _, ok := placed[prop]; ok {
			continue
		}
		if l.unshaped[prop] {
			p = append(p, Problem{"/ui/pages", fmt.Sprintf("property %q is declared only by an if/then/else whose if is not in the shape that reveals a question "+
				`(one choice's answer: {"properties": {"NAME": {"const": VALUE}}, "required": ["NAME"]}, or an enum of values), so it is not asked after that question; `+
				"reshape the if, or list %q on a page", prop, prop)})
			continue
		}
		p = append(p, Problem{"/ui/pages", fmt.Sprintf("property %q is on no page; add it to a page", prop)})
	}
	return p
}

func pageName(i int, page UIPage) string {
	if page.ID == "" {
		return "page " + strconv.Itoa(i+1)
	}
	return strconv.Quote(page.ID)
}

// notAField says why a name listed in ui is not a top-level question, or
// "" when it is one.
func (l *objectLayout) notAField(name string) string {
	if _, ok := l.schemas[name]; ok {
		return ""
	}
	return fmt.Sprintf("%q is not a top-level property of the schema", name)
}

// checkOrder checks that ui.order names top-level properties, once each.
func checkOrder(l *objectLayout, order []string) Problems {
	var p Problems
	for i, prop := range order {
		at := "/ui/order/" + strconv.Itoa(i)
		if msg := l.notAField(prop); msg != "" {
			p = append(p, Problem{at, msg})
		} else if slices.Index(order, prop) < i {
			p = append(p, Problem{at, fmt.Sprintf("property %q is listed twice in order", prop)})
		}
	}
	return p
}

// checkFieldHints checks that each ui.fields key names a field and that its
// widget can hold the field's answer.
func checkFieldHints(root *Node, hints map[string]UIField) Problems {
	keys := make([]string, 0, len(hints))
	for k := range hints {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var p Problems
	for _, key := range keys {
		at := "/ui/fields/" + escapePointer(key)
		n := lookupHintKey(root, key)
		if n == nil {
			p = append(p, Problem{at, fmt.Sprintf("%q names no field of the schema; keys are field pointers without array indices, like \"/crew/name\"", key)})
			continue
		}
		w := hints[key].Widget
		if w == "" {
			continue
		}
		if !slices.Contains(widgets, w) {
			p = append(p, Problem{at + "/widget", fmt.Sprintf("widget %q is not one of %s", w, strings.Join(widgets, ", "))})
			continue
		}
		if msg := widgetMisfit(w, n, key); msg != "" {
			p = append(p, Problem{at + "/widget", msg})
		}
	}
	return p
}

// lookupHintKey finds the field a ui key names: a pointer of property names
// with the array indices left out ("/crew/name"), passing through arrays to
// their items.
func lookupHintKey(root *Node, key string) *Node {
	tokens, ok := SplitPointer(key)
	if !ok || len(tokens) == 0 {
		return nil // the whole form is not a field
	}
	cur := root
	for _, tok := range tokens {
		for {
			if p := cur.property(tok); p != nil {
				cur = p
				break
			}
			if cur = cur.items(); cur == nil {
				return nil
			}
		}
	}
	return cur
}

// widgetMisfit says why widget w cannot hold the answer to the field n at
// key, or "" when it can.
func widgetMisfit(w string, n *Node, key string) string {
	t := baseType(n)
	hasOptions := len(n.Options) > 0
	switch w {
	case KindText, KindTextarea, KindDate, KindFile:
		if t == "" || t == "string" {
			return ""
		}
		return fmt.Sprintf("widget %q needs a text (string) field, but %q holds %s", w, key, describeType(t))
	case KindNumber:
		if t == "number" || t == "integer" {
			return ""
		}
		return fmt.Sprintf("widget %q needs a number or integer field, but %q holds %s", w, key, describeType(t))
	case KindYesNo:
		if t == "boolean" {
			return ""
		}
		return fmt.Sprintf("widget %q needs a boolean field, but %q holds %s", w, key, describeType(t))
	case KindRadios, KindSelect:
		if t != "array" && t != "object" && (hasOptions || t == "boolean") {
			return ""
		}
		if t == "array" || t == "object" {
			return fmt.Sprintf("widget %q chooses one answer, but %q holds %s", w, key, describeType(t))
		}
		return fmt.Sprintf("widget %q needs options, but %q has none: give it an enum, a oneOf of consts or refdata", w, key)
	case KindCheckboxes:
		items := n.items()
		if t == "array" && items != nil && len(items.Options) > 0 {
			return ""
		}
		if t == "array" {
			return fmt.Sprintf("widget %q needs items with options, but the items of %q have none: give them an enum, a oneOf of consts or refdata", w, key)
		}
		return fmt.Sprintf("widget %q needs an array field whose items have options, but %q holds %s", w, key, describeType(t))
	}
	return ""
}

// describeType names a JSON type for an author.
func describeType(t string) string {
	switch t {
	case "string":
		return "text (a string)"
	case "number":
		return "a number"
	case "integer":
		return "an integer"
	case "boolean":
		return "yes or no (a boolean)"
	case "array":
		return "a list (an array)"
	case "object":
		return "a group of fields (an object)"
	case "null":
		return "only null"
	}
	return "values of any type"
}
