package workflows

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
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

var (
	listOnce      sync.Once
	listSchema    *jsonschema.Schema
	listSchemaErr error
)

// taskListSchema is the specification schema's taskList.
func taskListSchema() (*jsonschema.Schema, error) {
	listOnce.Do(func() { listSchema, listSchemaErr = compileSpecSchemaAt("#/$defs/taskList") })
	return listSchema, listSchemaErr
}

// SpecSchema returns the compiled specification schema.
func SpecSchema() (*jsonschema.Schema, error) {
	schemaOnce.Do(func() { compiledSchema, schemaErr = compileSpecSchema() })
	return compiledSchema, schemaErr
}

func compileSpecSchema() (*jsonschema.Schema, error) { return compileSpecSchemaAt("") }

// compileSpecSchemaAt compiles the specification schema, or the part of it
// at fragment ("#/$defs/taskList").
func compileSpecSchemaAt(fragment string) (*jsonschema.Schema, error) {
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
	s, err := c.Compile(specSchemaURL + fragment)
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
	lists, err := taskListSchema()
	if err != nil {
		return Problems{{Pointer: "", Message: err.Error()}}
	}
	// Each task list inside a task is checked on its own, against the
	// schema's taskList, and left empty where it sits: the task's oneOf
	// over twelve kinds, with unevaluatedProperties, would otherwise
	// check a nested list once per kind that has a do, at every level,
	// and a few hundred bytes nested a dozen deep would take minutes.
	var nested []nestedList
	out := problemsAgainst(s, shallowDocument(doc, &nested), "")
	for len(nested) > 0 {
		l := nested[0]
		nested = nested[1:]
		out = append(out, problemsAgainst(lists, stubList(l.list, l.pointer, &nested), l.pointer)...)
	}
	seen := map[string]bool{}
	out = slices.DeleteFunc(out, func(p Problem) bool {
		key := p.Pointer + "\x00" + p.Message
		dup := seen[key]
		seen[key] = true
		return dup
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Pointer < out[j].Pointer })
	return out
}

// problemsAgainst validates value against schema, each problem at its
// pointer in the whole document (prefix is where value sits in it).
func problemsAgainst(s *jsonschema.Schema, value any, prefix string) Problems {
	err := s.Validate(value)
	if err == nil {
		return nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return Problems{{Pointer: prefix, Message: err.Error()}}
	}
	var out Problems
	leaves := bestLeaves(ve, value)
	for _, leaf := range leaves {
		if isUnevaluated(leaf) && failsInside(leaf, leaves) {
			continue // the field is known; its value is what is wrong
		}
		p := describeLeaf(leaf)
		p.Pointer = prefix + p.Pointer
		out = append(out, p)
	}
	return out
}

// nestedList is a task list inside a task, checked on its own.
type nestedList struct {
	pointer string
	list    []any
}

// shallowDocument is the document with the task lists inside its tasks
// (those of do, use.functions and use.extensions) emptied, and collected.
func shallowDocument(doc any, nested *[]nestedList) any {
	m, ok := doc.(map[string]any)
	if !ok {
		return doc
	}
	out := maps.Clone(m)
	if list, ok := m["do"].([]any); ok {
		out["do"] = stubList(list, "/do", nested)
	}
	use, ok := m["use"].(map[string]any)
	if !ok {
		return out
	}
	use = maps.Clone(use)
	out["use"] = use
	if fns, ok := use["functions"].(map[string]any); ok {
		fns = maps.Clone(fns)
		for name, fn := range fns {
			fns[name] = stubTask(fn, "/use/functions/"+EscapeToken(name), nested)
		}
		use["functions"] = fns
	}
	if exts, ok := use["extensions"].([]any); ok {
		exts = slices.Clone(exts)
		for i, item := range exts {
			named, ok := item.(map[string]any)
			if !ok {
				continue
			}
			named = maps.Clone(named)
			for name, ext := range named {
				named[name] = emptyLists(ext, fmt.Sprintf("/use/extensions/%d/%s", i, EscapeToken(name)), nested, "before", "after")
			}
			exts[i] = named
		}
		use["extensions"] = exts
	}
	return out
}

// stubList is a task list with the lists inside its tasks emptied.
func stubList(list []any, pointer string, nested *[]nestedList) []any {
	out := slices.Clone(list)
	for i, item := range list {
		named, ok := item.(map[string]any)
		if !ok {
			continue
		}
		named = maps.Clone(named)
		for name, task := range named {
			named[name] = stubTask(task, fmt.Sprintf("%s/%d/%s", pointer, i, EscapeToken(name)), nested)
		}
		out[i] = named
	}
	return out
}

// stubTask is a task with its own task lists emptied: do (do, for), try
// and catch.do (try), fork.branches and foreach.do (listen).
func stubTask(task any, pointer string, nested *[]nestedList) any {
	t := emptyLists(task, pointer, nested, "do", "try")
	m, ok := t.(map[string]any)
	if !ok {
		return t
	}
	for key, inner := range map[string]string{"catch": "do", "fork": "branches", "foreach": "do"} {
		if _, ok := m[key].(map[string]any); ok {
			m[key] = emptyLists(m[key], pointer+"/"+key, nested, inner)
		}
	}
	return m
}

// emptyLists is v (an object) with the lists at keys emptied and collected.
func emptyLists(v any, pointer string, nested *[]nestedList, keys ...string) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	m = maps.Clone(m)
	for _, k := range keys {
		if list, ok := m[k].([]any); ok && len(list) > 0 {
			*nested = append(*nested, nestedList{pointer: pointer + "/" + k, list: list})
			m[k] = []any{}
		}
	}
	return m
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
