package workflows

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// The specification's own JSON Schema for workflow documents, copied
// unchanged from github.com/serverlessworkflow/specification (schema/
// workflow.yaml, DSL 1.0.3, Apache License 2.0: see spec/LICENSE).
//
//go:embed spec/workflow.schema.yaml
var specSchema []byte

const specSchemaURL = "https://serverlessworkflow.io/schemas/1.0.3/workflow.yaml"

// re2Rewrites replaces the schema's patterns that Go's RE2 cannot compile
// (lookaheads) with equivalents it can.
var re2Rewrites = map[string]string{
	// The ISO 8601 duration: `P(?!$)` says something follows P, and
	// `T(?=\d)` that a number follows T. Spelled out as alternatives: the
	// first present component starts each branch.
	`^P(?!$)(\d+(?:\.\d+)?Y)?(\d+(?:\.\d+)?M)?(\d+(?:\.\d+)?W)?(\d+(?:\.\d+)?D)?(T(?=\d)(\d+(?:\.\d+)?H)?(\d+(?:\.\d+)?M)?(\d+(?:\.\d+)?S)?)?$`: durationRE2,
}

var durationRE2 = func() string {
	n := `\d+(?:\.\d+)?`
	y, mo, w, d := "(?:"+n+"Y)", "(?:"+n+"M)", "(?:"+n+"W)", "(?:"+n+"D)"
	h, mi, s := "(?:"+n+"H)", "(?:"+n+"M)", "(?:"+n+"S)"
	t := "(?:T(?:" + h + mi + "?" + s + "?|" + mi + s + "?|" + s + "))"
	return "^P(?:" +
		y + mo + "?" + w + "?" + d + "?" + t + "?|" +
		mo + w + "?" + d + "?" + t + "?|" +
		w + d + "?" + t + "?|" +
		d + t + "?|" +
		t + ")$"
}()

var (
	schemaOnce     sync.Once
	compiledSchema *jsonschema.Schema
	schemaErr      error
)

// SpecSchema returns the compiled specification schema.
func SpecSchema() (*jsonschema.Schema, error) {
	schemaOnce.Do(func() { compiledSchema, schemaErr = compileSpecSchema() })
	return compiledSchema, schemaErr
}

func compileSpecSchema() (*jsonschema.Schema, error) {
	// The same YAML 1.2 reading as documents get: a YAML 1.1 reader would
	// turn the schema's `on:` key (schedule.on) into "true".
	doc, _, err := decodeDocument(specSchema)
	if err != nil {
		return nil, fmt.Errorf("read the DSL schema: %w", err)
	}
	rewritePatterns(doc)
	rewritten, _ := json.Marshal(doc)
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.LoadURL = func(u string) (io.ReadCloser, error) {
		return nil, fmt.Errorf("the DSL schema refers to %s, which is not loaded", u)
	}
	if err := c.AddResource(specSchemaURL, bytes.NewReader(rewritten)); err != nil {
		return nil, fmt.Errorf("load the DSL schema: %w", err)
	}
	s, err := c.Compile(specSchemaURL)
	if err != nil {
		return nil, fmt.Errorf("compile the DSL schema: %w", err)
	}
	return s, nil
}

// rewritePatterns swaps every known RE2-incompatible pattern in place.
func rewritePatterns(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if s, ok := child.(string); ok && k == "pattern" {
				if r, found := re2Rewrites[s]; found {
					v[k] = r
				}
				continue
			}
			rewritePatterns(child)
		}
	case []any:
		for _, child := range v {
			rewritePatterns(child)
		}
	}
}

// schemaProblems validates a decoded document against the specification
// schema and turns the validator's error tree into one problem per cause.
func schemaProblems(doc any) Problems {
	s, err := SpecSchema()
	if err != nil {
		return Problems{{Pointer: "", Message: err.Error()}}
	}
	err = s.Validate(doc)
	if err == nil {
		return nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return Problems{{Pointer: "", Message: err.Error()}}
	}
	var out Problems
	seen := map[string]bool{}
	leaves := bestLeaves(ve, doc)
	for _, leaf := range leaves {
		if isUnevaluated(leaf) && failsInside(leaf, leaves) {
			continue // the field is known; its value is what is wrong
		}
		p := describeLeaf(leaf)
		if key := p.Pointer + "\x00" + p.Message; !seen[key] {
			seen[key] = true
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Pointer < out[j].Pointer })
	return out
}

func isUnevaluated(e *jsonschema.ValidationError) bool {
	return e.Message == "not allowed" && strings.HasSuffix(e.KeywordLocation, "Properties")
}

// failsInside reports whether a real failure lies in the same object as an
// unevaluated field: a failing subschema loses its annotations, so its
// known fields then look unknown.
func failsInside(e *jsonschema.ValidationError, all []*jsonschema.ValidationError) bool {
	parent := e.InstanceLocation[:strings.LastIndex(e.InstanceLocation, "/")+1]
	for _, o := range all {
		if o != e && !isUnevaluated(o) && strings.HasPrefix(o.InstanceLocation+"/", parent) {
			return true
		}
	}
	return false
}

// callBranches is the order of callTask's oneOf in the schema.
var callBranches = map[string]int{"asyncapi": 0, "grpc": 1, "http": 2, "openapi": 3, "a2a": 4, "mcp": 5}

// taskBranches is the order of task's oneOf in the schema.
var taskBranches = map[string]int{KindCall: 0, KindDo: 1, KindFork: 2, KindEmit: 3, KindFor: 4, KindListen: 5, KindRaise: 6, KindRun: 7, KindSet: 8, KindSwitch: 9, KindTry: 10, KindWait: 11}

func branch(e *jsonschema.ValidationError, idx int) *jsonschema.ValidationError {
	for _, c := range e.Causes {
		if strings.HasSuffix(c.KeywordLocation, fmt.Sprintf("/oneOf/%d", idx)) || strings.Contains(c.KeywordLocation, fmt.Sprintf("/oneOf/%d/", idx)) {
			return c
		}
	}
	return nil
}

// bestLeaves picks, at each oneOf/anyOf, the branch the author evidently
// meant (for tasks: the one of the task's kind), so a set task with a typo
// is not reported as "missing property call, missing property do, …".
func bestLeaves(e *jsonschema.ValidationError, doc any) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	if strings.HasSuffix(e.KeywordLocation, "/oneOf") || strings.HasSuffix(e.KeywordLocation, "/anyOf") {
		if c := chosenBranch(e, doc); c != nil {
			return bestLeaves(c, doc)
		}
		return bestLeaves(deepestBranch(e, doc), doc)
	}
	// When a oneOf fails, its branches' annotations are lost and an
	// unevaluatedProperties beside it flags every field: noise.
	hasChoice := false
	for _, c := range e.Causes {
		hasChoice = hasChoice || strings.HasSuffix(c.KeywordLocation, "/oneOf") || strings.HasSuffix(c.KeywordLocation, "/anyOf")
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		if hasChoice && strings.HasSuffix(c.KeywordLocation, "/unevaluatedProperties") {
			continue
		}
		out = append(out, bestLeaves(c, doc)...)
	}
	return out
}

func chosenBranch(e *jsonschema.ValidationError, doc any) *jsonschema.ValidationError {
	value := lookupPointer(doc, e.InstanceLocation)
	if strings.HasSuffix(e.AbsoluteKeywordLocation, "#/$defs/duration/oneOf") {
		if s, ok := value.(string); ok && !IsExpression(s) {
			return branch(e, 2)
		}
		return branch(e, 0)
	}
	node, _ := value.(map[string]any)
	if node == nil {
		return nil
	}
	switch {
	case strings.HasSuffix(e.AbsoluteKeywordLocation, "#/$defs/task/oneOf"):
		keys := map[string]json.RawMessage{}
		for k := range node {
			keys[k] = nil
		}
		idx, known := taskBranches[taskKind(keys)]
		if !known {
			return nil
		}
		return branch(e, idx)
	case strings.HasSuffix(e.AbsoluteKeywordLocation, "#/$defs/callTask/oneOf"):
		call, _ := node["call"].(string)
		idx, known := callBranches[call]
		if !known {
			idx = 6
		}
		return branch(e, idx)
	}
	return nil
}

// deepestBranch prefers the branch whose failures lie deepest in the
// document, then the one with fewest failures.
func deepestBranch(e *jsonschema.ValidationError, doc any) *jsonschema.ValidationError {
	best, bestDepth, bestCount := e.Causes[0], -1, 0
	for _, c := range e.Causes {
		leaves := bestLeaves(c, doc)
		depth := 0
		for _, l := range leaves {
			if d := strings.Count(l.InstanceLocation, "/"); d > depth {
				depth = d
			}
		}
		if depth > bestDepth || (depth == bestDepth && len(leaves) < bestCount) {
			best, bestDepth, bestCount = c, depth, len(leaves)
		}
	}
	return best
}

var quotedNames = regexp.MustCompile(`'([^']*)'`)

// describeLeaf rewords the validator's message for a workflow author.
func describeLeaf(e *jsonschema.ValidationError) Problem {
	msg := e.Message
	switch {
	case strings.HasPrefix(msg, "additionalProperties") || strings.HasPrefix(msg, "unevaluatedProperties"):
		names := quotedNames.FindAllStringSubmatch(msg, -1)
		if len(names) > 0 {
			var list []string
			for _, n := range names {
				list = append(list, `"`+n[1]+`"`)
			}
			return Problem{Pointer: e.InstanceLocation, Message: "unknown field " + strings.Join(list, ", ") + " (not part of the Serverless Workflow DSL here)"}
		}
	case isUnevaluated(e):
		tok := e.InstanceLocation[strings.LastIndex(e.InstanceLocation, "/")+1:]
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		return Problem{Pointer: e.InstanceLocation, Message: fmt.Sprintf("unknown field %q (not part of the Serverless Workflow DSL here)", tok)}
	case strings.HasPrefix(msg, "does not match pattern") && strings.Contains(e.AbsoluteKeywordLocation, "/$defs/duration/"):
		return Problem{Pointer: e.InstanceLocation, Message: "not an ISO 8601 duration: write it like PT30S or P1DT4H, or as an object like {minutes: 5}"}
	case strings.HasPrefix(msg, "missing properties:"):
		return Problem{Pointer: e.InstanceLocation, Message: "required field " + strings.TrimSpace(strings.TrimPrefix(msg, "missing properties:")) + " is missing"}
	}
	return Problem{Pointer: e.InstanceLocation, Message: msg}
}

// lookupPointer returns the value at a JSON pointer, or nil.
func lookupPointer(doc any, ptr string) any {
	if ptr == "" {
		return doc
	}
	cur := doc
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case map[string]any:
			cur = c[tok]
		case []any:
			var i int
			if _, err := fmt.Sscanf(tok, "%d", &i); err != nil || i < 0 || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}
