package forms

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// TextProblems names each answer, and each field name, that holds a
// control character: one no officer types and no page shows, which
// PostgreSQL cannot store at all when it is U+0000. Tab, line feed and
// carriage return are text.
func TextProblems(v any) []FieldError {
	var out []FieldError
	walkText(v, "", isControl, &out)
	return out
}

// NULProblems names each string, and each key, holding U+0000, which
// PostgreSQL cannot store: the check for JSON bodies that are not answers.
func NULProblems(v any) []FieldError {
	var out []FieldError
	walkText(v, "", func(r rune) bool { return r == 0 }, &out)
	return out
}

func walkText(v any, ptr string, bad func(rune) bool, out *[]FieldError) {
	switch x := v.(type) {
	case string:
		if r, ok := firstRune(x, bad); ok {
			*out = append(*out, FieldError{Pointer: ptr, Message: fmt.Sprintf("The answer contains the control character %U, which is not text; remove it", r)})
		}
	case []any:
		for i, item := range x {
			walkText(item, ptr+"/"+strconv.Itoa(i), bad, out)
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := ptr + "/" + escapePointer(k)
			if r, ok := firstRune(k, bad); ok {
				*out = append(*out, FieldError{Pointer: p, Message: fmt.Sprintf("The field name contains the control character %U", r)})
				continue
			}
			walkText(x[k], p, bad, out)
		}
	}
}

// isControl is a C0 or C1 control character other than tab, line feed
// and carriage return, or DEL.
func isControl(r rune) bool {
	return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || (r >= 0x7f && r <= 0x9f)
}

// firstRune is the first rune of s that bad picks.
func firstRune(s string, bad func(rune) bool) (rune, bool) {
	i := strings.IndexFunc(s, bad)
	if i < 0 {
		return 0, false
	}
	return []rune(s[i:])[0], true
}
