package forms

import (
	"slices"
	"strings"
	"unicode"
)

// FieldLabel is the label a person sees for the field at an instance
// pointer: the ui label for the field (keyed by the pointer without array
// indices), else the schema's title, else the property name in words.
// Validation messages use it so that they name fields as the form does.
func FieldLabel(root *Node, ui *UI, pointer string) string {
	node, key := root.locate(pointer)
	if node == nil {
		// Nothing describes it: guess that numeric tokens are indices.
		tokens, _ := SplitPointer(pointer)
		key = slices.DeleteFunc(tokens, isIndexToken)
	}
	name := ""
	if len(key) > 0 {
		name = key[len(key)-1]
	}
	return fieldLabel(uiHints(ui, joinPointer(key)), node, name)
}

// fieldLabel is the label of the field named name, described by node (which
// may be nil), with ui hints h.
func fieldLabel(h UIField, node *Node, name string) string {
	switch {
	case h.Label != "":
		return h.Label
	case node != nil && node.Title != "":
		return node.Title
	}
	return Humanise(name)
}

// uiHints returns the hints for a ui key; none when ui is nil.
func uiHints(ui *UI, key string) UIField {
	if ui == nil {
		return UIField{}
	}
	return ui.Fields[key]
}

// Humanise turns a property name into words: "arrivalDate" and
// "arrival_date" become "Arrival date", "IMONumber" becomes "IMO number".
func Humanise(name string) string {
	var words []string
	var word []rune
	flush := func() {
		if len(word) > 0 {
			words = append(words, string(word))
			word = nil
		}
	}
	runes := []rune(name)
	for i, r := range runes {
		switch {
		case r == '_' || r == '-' || r == '.' || unicode.IsSpace(r):
			flush()
			continue
		case len(word) > 0:
			prev := word[len(word)-1]
			lowerToUpper := unicode.IsUpper(r) && !unicode.IsUpper(prev)
			// The last capital of a run of capitals starts the next
			// word: "IMONumber" is "IMO" "Number".
			acronymEnd := unicode.IsUpper(r) && unicode.IsUpper(prev) && i+1 < len(runes) && unicode.IsLower(runes[i+1])
			digitEdge := unicode.IsDigit(r) != unicode.IsDigit(prev)
			if lowerToUpper || acronymEnd || digitEdge {
				flush()
			}
		}
		word = append(word, r)
	}
	flush()
	for i, w := range words {
		// Acronyms keep their capitals; other words are lower case.
		if !isAcronym(w) {
			w = strings.ToLower(w)
		}
		if i == 0 {
			r := []rune(w)
			r[0] = unicode.ToUpper(r[0])
			w = string(r)
		}
		words[i] = w
	}
	return strings.Join(words, " ")
}

func isAcronym(w string) bool {
	n := 0
	for _, r := range w {
		if !unicode.IsUpper(r) {
			return false
		}
		n++
	}
	return n > 1
}
