package forms

import (
	"strconv"
	"strings"
)

// resolvePointer finds the value at a JSON pointer in an ordered document.
func resolvePointer(doc any, pointer string) (any, bool) {
	tokens, ok := SplitPointer(pointer)
	if !ok {
		return nil, false
	}
	cur := doc
	for _, tok := range tokens {
		switch x := cur.(type) {
		case *jsonObject:
			if cur, ok = x.vals[tok]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) || !isIndexToken(tok) {
				return nil, false
			}
			cur = x[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// findAnchor finds the pointer of the subschema with "$anchor": name.
func findAnchor(v any, name, at string) (string, bool) {
	switch x := v.(type) {
	case *jsonObject:
		if a, _ := x.vals["$anchor"].(string); a == name {
			return at, true
		}
		for _, k := range x.keys {
			if p, ok := findAnchor(x.vals[k], name, at+"/"+escapePointer(k)); ok {
				return p, true
			}
		}
	case []any:
		for i, e := range x {
			if p, ok := findAnchor(e, name, at+"/"+strconv.Itoa(i)); ok {
				return p, true
			}
		}
	}
	return "", false
}

// SplitPointer splits a JSON pointer into unescaped tokens; "" is none.
func SplitPointer(pointer string) ([]string, bool) {
	if pointer == "" {
		return nil, true
	}
	if !strings.HasPrefix(pointer, "/") {
		return nil, false
	}
	tokens := strings.Split(pointer[1:], "/")
	for i, t := range tokens {
		tokens[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return tokens, true
}

// joinPointer builds a JSON pointer from unescaped tokens.
func joinPointer(tokens []string) string {
	var sb strings.Builder
	for _, t := range tokens {
		sb.WriteByte('/')
		sb.WriteString(escapePointer(t))
	}
	return sb.String()
}

// isIndexToken reports whether a pointer token can only address an array
// element: digits without a leading zero, "-" (the end) or "*" (any).
func isIndexToken(tok string) bool {
	if tok == "-" || tok == "*" {
		return true
	}
	if tok == "" || (len(tok) > 1 && tok[0] == '0') {
		return false
	}
	for _, r := range tok {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func unescapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}

func lastSegment(pointer string) string {
	i := strings.LastIndex(pointer, "/")
	return unescapePointer(pointer[i+1:])
}

func firstSegment(pointer string) string {
	seg, _, _ := strings.Cut(strings.TrimPrefix(pointer, "/"), "/")
	return unescapePointer(seg)
}

// ValueAt is the value at an instance pointer in submitted data, nil when
// absent.
func ValueAt(data any, pointer string) any {
	tokens, ok := SplitPointer(pointer)
	if !ok {
		return nil
	}
	cur := data
	for _, tok := range tokens {
		switch x := cur.(type) {
		case map[string]any:
			cur = x[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			cur = x[i]
		default:
			return nil
		}
	}
	return cur
}
