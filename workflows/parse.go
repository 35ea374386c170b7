package workflows

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// MaxDocumentSize bounds an uploaded workflow document.
const MaxDocumentSize = 1 << 20

// Parse reads a workflow document (YAML or JSON), validates it against the
// specification's schema and then against COP's rules (the supported
// subset, flow targets, expressions, references inside the document). It
// returns the typed workflow and the document as JSON. Registry checks
// (forms and sub-workflows exist) are CheckReferences'.
func Parse(raw []byte) (*Workflow, json.RawMessage, error) {
	if len(raw) > MaxDocumentSize {
		return nil, nil, Problems{{Message: fmt.Sprintf("the document is %d bytes; the limit is %d", len(raw), MaxDocumentSize)}}
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil, Problems{{Message: "the document is empty"}}
	}
	doc, js, err := decodeDocument(raw)
	if err != nil {
		return nil, nil, Problems{{Message: err.Error()}}
	}
	if _, ok := doc.(map[string]any); !ok {
		return nil, nil, Problems{{Message: "a workflow document is an object with document and do, not " + describe(doc)}}
	}
	if p := dslVersionProblem(doc); p != nil {
		return nil, nil, Problems{*p} // another version's shape would only bury this under schema noise
	}
	if ps := schemaProblems(doc); len(ps) > 0 {
		return nil, nil, ps
	}
	var w Workflow
	if err := json.Unmarshal(js, &w); err != nil {
		return nil, nil, Problems{{Message: "the document does not fit the DSL: " + err.Error()}}
	}
	ps := append(unknownTopLevel(doc), Check(&w)...)
	if len(ps) > 0 {
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].Pointer < ps[j].Pointer })
		return nil, nil, ps
	}
	return &w, js, nil
}

// topLevelKeys are the keys a workflow document has. The specification's
// schema leaves the top level open, so a misspelt one (tiemout) would
// otherwise be dropped without a word.
var topLevelKeys = []string{"document", "input", "use", "do", "timeout", "output", "schedule", "evaluate"}

func unknownTopLevel(doc any) Problems {
	m, _ := doc.(map[string]any)
	var out Problems
	for _, k := range sortedKeys(m) {
		known := false
		for _, t := range topLevelKeys {
			known = known || t == k
		}
		if !known {
			out = append(out, Problem{Pointer: "/" + EscapeToken(k), Message: fmt.Sprintf("unknown field %q: a workflow has %s", k, strings.Join(topLevelKeys, ", "))})
		}
	}
	return out
}

// YAMLToJSON reads a YAML 1.2 (or JSON) document, such as an OpenAPI
// document a call fetches, as compact JSON, within the same expansion
// bounds as a workflow.
func YAMLToJSON(raw []byte) (json.RawMessage, error) {
	_, js, err := decodeDocument(raw)
	return js, err
}

// decodeDocument turns YAML (1.2, so `then: y` stays a string) or JSON
// into a generic value and compact JSON.
func decodeDocument(raw []byte) (any, json.RawMessage, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(raw, &root); err != nil {
		return nil, nil, fmt.Errorf("the document is not valid YAML or JSON: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(root.Content) == 0 {
		return nil, nil, fmt.Errorf("the document is empty")
	}
	budget := yamlBudget{nodes: maxYAMLNodes, bytes: MaxExpandedBytes}
	doc, err := yamlValue(root.Content[0], &budget)
	if err != nil {
		return nil, nil, err
	}
	js, err := json.Marshal(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("the document cannot be read as JSON: %w", err)
	}
	var generic any
	if err := json.Unmarshal(js, &generic); err != nil {
		return nil, nil, fmt.Errorf("the document cannot be read as JSON: %w", err)
	}
	return generic, js, nil
}

// maxYAMLNodes and MaxExpandedBytes bound what a document expands to once
// its aliases are followed. Counting values alone is not enough: one large
// anchored string aliased thousands of times is few values but gigabytes
// of JSON, so the text of every key and scalar is counted too, each time
// an alias repeats it.
const (
	maxYAMLNodes     = 100000
	MaxExpandedBytes = 4 << 20
)

// yamlBudget is what is left of both bounds while a document is expanded.
type yamlBudget struct{ nodes, bytes int }

// spend takes values, and their text of n bytes, from the budget.
func (b *yamlBudget) spend(values, n int) error {
	b.nodes -= values
	b.bytes -= n + 2 // quotes or separators, so empty values count too
	switch {
	case b.nodes < 0:
		return fmt.Errorf("the document expands to more than %d values (check its aliases)", maxYAMLNodes)
	case b.bytes < 0:
		return fmt.Errorf("the document expands to more than %d MiB (check its aliases)", MaxExpandedBytes>>20)
	}
	return nil
}

// yamlValue converts a YAML node to a JSON-compatible value. Scalars keep
// their text unless tagged as numbers, booleans or null: a timestamp stays
// the string the author wrote.
func yamlValue(n *yaml.Node, budget *yamlBudget) (any, error) {
	size := 0
	if n.Kind == yaml.ScalarNode {
		size = len(n.Value)
	}
	if err := budget.spend(1, size); err != nil {
		return nil, err
	}
	switch n.Kind {
	case yaml.AliasNode:
		return yamlValue(n.Alias, budget)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := yamlValue(c, budget)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.AliasNode || k.Tag == "!!merge" {
				return nil, fmt.Errorf("line %d: merge keys (<<) are not supported: write the fields out", k.Line)
			}
			if err := budget.spend(0, len(k.Value)); err != nil {
				return nil, err
			}
			val, err := yamlValue(v, budget)
			if err != nil {
				return nil, err
			}
			out[k.Value] = val
		}
		return out, nil
	case yaml.ScalarNode:
		return yamlScalar(n)
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node", n.Line)
}

func yamlScalar(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool", "!!int", "!!float":
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		if f, ok := v.(float64); ok && (math.IsInf(f, 0) || math.IsNaN(f)) {
			return nil, fmt.Errorf("line %d: %s is not a JSON number", n.Line, n.Value)
		}
		return v, nil
	default:
		return n.Value, nil
	}
}

// MustParse parses a document known to be valid (tests, built-ins).
func MustParse(raw []byte) *Workflow {
	w, _, err := Parse(raw)
	if err != nil {
		panic(err)
	}
	return w
}

// describe names a JSON value's type for messages.
func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case float64, int, int64:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// dslVersionRE is the DSL versions COP runs: 1.0.x releases.
var dslVersionRE = regexp.MustCompile(`^1\.0\.\d+$`)

// dslVersionProblem refuses a document written for another version of the
// DSL (a 1.0 pre-release, 0.8's specVersion/states, a later major), which
// the 1.0 schema and interpreter would misread.
func dslVersionProblem(doc any) *Problem {
	m, _ := doc.(map[string]any)
	if _, old := m["specVersion"]; old {
		return &Problem{Pointer: "/specVersion", Message: "this is a pre-1.0 definition (specVersion and states); COP runs DSL 1.0.x documents, with document and do"}
	}
	d, _ := m["document"].(map[string]any)
	v, ok := d["dsl"].(string)
	if !ok || dslVersionRE.MatchString(v) {
		return nil // a missing or non-string dsl is the schema's to report
	}
	return &Problem{Pointer: "/document/dsl", Message: fmt.Sprintf("COP runs DSL 1.0.x documents; this one declares %q", v)}
}
