package ui

import "strings"

// Helpers for the page-level components (footer, error summary, summary
// list, button, panel, notification banner, pagination, table, back link,
// warning text, inset text). The macros test options the JavaScript way,
// which Go's templates cannot say on their own: an option set to null is
// not the same as one left out, and an empty list or object is true.
func init() {
	addComponentFuncs(map[string]any{
		"isNull":          isNull,
		"jsTruthy":        truthy,
		"hasSubstring":    hasSubstring,
		"anyRowHasAction": anyRowHasAction,
	})
}

// isNull is `params[key] === null`: given, and given as null, which the
// footer reads as "no content licence" where a missing option means the
// default one.
func isNull(params any, key string) bool {
	m, _ := params.(map[string]any)
	v, ok := m[key]
	return ok && v == nil
}

// hasSubstring is JavaScript's `needle in haystack` for strings, as the
// panel looks for its interruption modifier among the classes.
func hasSubstring(haystack any, needle string) bool {
	s, ok := haystack.(string)
	return ok && strings.Contains(s, needle)
}

// anyRowHasAction says whether a summary list needs its third column: when
// any row has actions, the rows without get a modifier to fill it.
func anyRowHasAction(rows any) bool {
	list, _ := rows.([]any)
	for _, row := range list {
		r, _ := row.(map[string]any)
		actions, _ := r["actions"].(map[string]any)
		if items, _ := actions["items"].([]any); len(items) > 0 {
			return true
		}
	}
	return false
}
