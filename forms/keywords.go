package forms

import (
	"fmt"
	"slices"
	"strings"
)

// knownKeywords are the keywords of JSON Schema 2020-12 and COP's own
// (refdata, errorMessage, maxFileSize). Anything else in a schema object is
// a mistake COP would otherwise ignore: "maxLenght" lets any length
// through, and "label" on an option makes the question a text box.
var knownKeywords = map[string]bool{}

func init() {
	for _, k := range strings.Fields(`$schema $id $ref $dynamicRef $defs definitions $anchor $dynamicAnchor $comment $vocabulary
		allOf anyOf oneOf not if then else dependentSchemas prefixItems items contains properties patternProperties
		additionalProperties propertyNames unevaluatedItems unevaluatedProperties
		type enum const multipleOf maximum exclusiveMaximum minimum exclusiveMinimum maxLength minLength pattern
		maxItems minItems uniqueItems maxContains minContains maxProperties minProperties required dependentRequired
		title description default deprecated readOnly writeOnly examples format contentEncoding contentMediaType contentSchema
		refdata errorMessage maxFileSize`) {
		knownKeywords[k] = true
	}
}

// misspelt is what an author most likely meant by a keyword COP does not
// know, or "".
func misspelt(k string) string {
	switch strings.ToLower(k) {
	case "label", "text", "name", "caption":
		return "title"
	case "hint", "help":
		return "description"
	case "options", "choices", "values":
		return "oneOf (of {\"const\": …, \"title\": …}) or enum"
	}
	best, bestDistance := "", 3
	for known := range knownKeywords {
		if d := editDistance(strings.ToLower(k), strings.ToLower(known)); d < bestDistance || d == bestDistance && known < best {
			best, bestDistance = known, d
		}
	}
	return best
}

// checkKeywords refuses keywords COP does not know, and an errorMessage
// for a keyword the field does not have (it could never be shown; where
// the field takes its schema from a term, the term may have it).
func (w *walker) checkKeywords(node map[string]any, ptr string) {
	keys := make([]string, 0, len(node))
	for k := range node {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if knownKeywords[k] {
			continue
		}
		if guess := misspelt(k); guess != "" {
			w.problem(ptr+"/"+escapePointer(k), "%q is not a JSON Schema keyword, so COP would ignore it; did you mean %s?", k, guess)
		} else {
			w.problem(ptr+"/"+escapePointer(k), "%q is not a JSON Schema keyword, so COP would ignore it; take it out", k)
		}
	}
	messages, _ := node["errorMessage"].(map[string]any)
	if refersOut(node) {
		return // the keywords may be in the schema it refers to (a term)
	}
	keys = keys[:0]
	for k := range messages {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if _, has := node[k]; !has && k != "required" {
			w.problem(ptr+"/errorMessage/"+escapePointer(k), "this field has no %q, so this message could never be shown", k)
		}
	}
}

// requiredProblems finds names in "required" that are not properties of
// the object they are required of: no answer could ever satisfy them. A
// branch (allOf, if/then/else, …) requires of the same object as its
// parent; an object that takes its properties from a data term ($ref) is
// not checked here.
func requiredProblems(v any, ptr string, props map[string]bool) Problems {
	node, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	if own, ok := node["properties"].(map[string]any); ok {
		merged := make(map[string]bool, len(props)+len(own))
		for k := range props {
			merged[k] = true
		}
		for k := range own {
			merged[k] = true
		}
		props = merged
	}
	if refersOut(node) {
		props = nil // the properties come partly from elsewhere
	}
	var p Problems
	if names, ok := node["required"].([]any); ok && props != nil && !takesOtherProperties(node) {
		for i, n := range names {
			if name, ok := n.(string); ok && !props[name] {
				p = append(p, Problem{fmt.Sprintf("%s/required/%d", ptr, i),
					fmt.Sprintf("%q is required but is not a property here, so the form could never be submitted; add it to properties or take it out of required", name)})
			}
		}
	}
	for _, k := range []string{"if", "then", "else", "not"} {
		p = append(p, requiredProblems(node[k], ptr+"/"+k, props)...)
	}
	for _, k := range []string{"allOf", "anyOf", "oneOf"} {
		list, _ := node[k].([]any)
		for i, sub := range list {
			p = append(p, requiredProblems(sub, fmt.Sprintf("%s/%s/%d", ptr, k, i), props)...)
		}
	}
	if m, ok := node["dependentSchemas"].(map[string]any); ok {
		for name, sub := range m {
			p = append(p, requiredProblems(sub, ptr+"/dependentSchemas/"+escapePointer(name), props)...)
		}
	}
	// Below here each schema is of another value, with properties of its own.
	for _, k := range []string{"properties", "$defs", "definitions"} {
		if m, ok := node[k].(map[string]any); ok {
			for name, sub := range m {
				p = append(p, requiredProblems(sub, ptr+"/"+k+"/"+escapePointer(name), nil)...)
			}
		}
	}
	for _, k := range []string{"items", "additionalProperties", "contains"} {
		p = append(p, requiredProblems(node[k], ptr+"/"+k, nil)...)
	}
	if list, ok := node["prefixItems"].([]any); ok {
		for i, sub := range list {
			p = append(p, requiredProblems(sub, fmt.Sprintf("%s/prefixItems/%d", ptr, i), nil)...)
		}
	}
	return p
}

// takesOtherProperties: the object accepts properties it does not name
// (patternProperties, or an additionalProperties schema), so a required
// name may be one of those.
func takesOtherProperties(node map[string]any) bool {
	if _, ok := node["patternProperties"]; ok {
		return true
	}
	_, isSchema := node["additionalProperties"].(map[string]any)
	return isSchema
}

// refersOut: the schema, or a branch of it about the same value, takes
// part of its shape from a $ref.
func refersOut(node map[string]any) bool {
	if _, ok := node["$ref"]; ok {
		return true
	}
	if _, ok := node["$dynamicRef"]; ok {
		return true
	}
	for _, k := range []string{"allOf", "anyOf", "oneOf"} {
		list, _ := node[k].([]any)
		for _, sub := range list {
			if m, ok := sub.(map[string]any); ok && refersOut(m) {
				return true
			}
		}
	}
	return false
}

// editDistance is the Levenshtein distance between two short words.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
