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
	walkText(v, "", &out)
	return out
}

func walkText(v any, ptr string, out *[]FieldError) {
	switch x := v.(type) {
	case string:
		if r, ok := controlRune(x); ok {
			*out = append(*out, FieldError{Pointer: ptr, Message: fmt.Sprintf("The answer contains the control character %U, which is not text; remove it", r)})
		}
	case []any:
		for i, item := range x {
			walkText(item, ptr+"/"+strconv.Itoa(i), out)
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := ptr + "/" + escapePointer(k)
			if r, ok := controlRune(k); ok {
				*out = append(*out, FieldError{Pointer: p, Message: fmt.Sprintf("The field name contains the control character %U", r)})
				continue
			}
			walkText(x[k], p, out)
		}
	}
}

// controlRune is the first C0 or C1 control character in s other than
// tab, line feed and carriage return, or DEL.
func controlRune(s string) (rune, bool) {
	i := strings.IndexFunc(s, func(r rune) bool {
		return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || (r >= 0x7f && r <= 0x9f)
	})
	if i < 0 {
		return 0, false
	}
	return []rune(s[i:])[0], true
}
