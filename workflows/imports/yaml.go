package imports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// obj is an object whose keys keep the order they were added in, so the
// workflow reads document, input, do… and each task its kind first.
type obj []kv

type kv struct {
	k string
	v any
}

// with returns o with k set to v (appended; keys are added once).
func (o obj) with(k string, v any) obj { return append(o, kv{k, v}) }

// get is the value of k, or nil.
func (o obj) get(k string) any {
	for _, m := range o {
		if m.k == k {
			return m.v
		}
	}
	return nil
}

// MarshalJSON writes the object in its order (for form definitions).
func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.k)
		b.Write(k)
		b.WriteByte(':')
		v, err := marshalJSON(m.v)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", m.k, err)
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshalJSON encodes without escaping <, > and &, which forms show.
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// quoted is a string written in single quotes whatever it holds: versions,
// so '1.0.0' reads as the string the DSL wants.
type quoted string

// encodeYAML writes the document with a comment above it.
func encodeYAML(doc obj, header string) ([]byte, error) {
	root, err := yamlNode(doc)
	if err != nil {
		return nil, err
	}
	root.HeadComment = header
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// needsQuotes are strings a reader should see quoted: expressions (YAML
// would take `${ {a: 1} }`'s braces or a `: ` inside apart otherwise) and
// anything that looks like a number.
var needsQuotes = regexp.MustCompile(`^\s*\$\{|^[0-9.+-]`)

func yamlNode(v any) (*yaml.Node, error) {
	switch x := v.(type) {
	case obj:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, m := range x {
			val, err := yamlNode(m.v)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", m.k, err)
			}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: m.k}, val)
		}
		return n, nil
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, item := range x {
			val, err := yamlNode(item)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, val)
		}
		return n, nil
	case []string:
		items := make([]any, len(x))
		for i, s := range x {
			items[i] = s
		}
		n, err := yamlNode(items)
		if err == nil && len(x) <= 4 {
			n.Style = yaml.FlowStyle
		}
		return n, err
	case quoted:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: string(x), Style: yaml.SingleQuotedStyle}, nil
	case string:
		n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: x}
		if needsQuotes.MatchString(x) {
			n.Style = yaml.SingleQuotedStyle
		}
		return n, nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(x)}, nil
	case int:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(x)}, nil
	case int64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(x, 10)}, nil
	case float64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: strconv.FormatFloat(x, 'g', -1, 64)}, nil
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	}
	return nil, fmt.Errorf("cannot write %T as YAML", v)
}
