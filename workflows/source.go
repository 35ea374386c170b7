package workflows

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// A definition's source text, as an author wrote it: where a JSON pointer
// is written in it, where it stops being JSON or YAML, and its content as
// JSON in the order it was written. The authoring pages use these for
// every kind of definition, so problems point at the author's own lines.

// Position is a place in a text: line and column, both counted from 1.
type Position struct{ Line, Column int }

// LooksLikeJSON says whether a text is meant as JSON: it opens with an
// object or an array.
func LooksLikeJSON(src []byte) bool {
	t := bytes.TrimLeft(src, " \t\r\n\ufeff")
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

// SourceJSON reads a definition written in JSON or YAML as JSON that keeps
// the order its keys were written in (a form's questions follow it). It
// refuses what is neither, saying where the text goes wrong.
func SourceJSON(src []byte) (json.RawMessage, *Position, error) {
	if len(bytes.TrimSpace(src)) == 0 {
		return nil, nil, errors.New("the text is empty")
	}
	if LooksLikeJSON(src) {
		var v any
		if err := json.Unmarshal(src, &v); err != nil {
			return nil, jsonErrorPosition(src, err), fmt.Errorf("the text is not valid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
		}
		return json.RawMessage(src), nil, nil
	}
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		return nil, yamlErrorPosition(msg), fmt.Errorf("the text is not valid YAML or JSON: %s", msg)
	}
	if len(root.Content) == 0 {
		return nil, nil, errors.New("the text is empty")
	}
	var buf bytes.Buffer
	budget := yamlBudget{nodes: maxYAMLNodes, bytes: MaxExpandedBytes}
	if err := writeOrderedJSON(&buf, root.Content[0], &budget); err != nil {
		return nil, nil, err
	}
	return buf.Bytes(), nil, nil
}

// writeOrderedJSON writes a YAML node as JSON, mappings in their order.
func writeOrderedJSON(buf *bytes.Buffer, n *yaml.Node, budget *yamlBudget) error {
	switch n.Kind {
	case yaml.AliasNode:
		return writeOrderedJSON(buf, n.Alias, budget)
	case yaml.SequenceNode:
		if err := budget.spend(1, 0); err != nil {
			return err
		}
		buf.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeOrderedJSON(buf, c, budget); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
		return nil
	case yaml.MappingNode:
		if err := budget.spend(1, 0); err != nil {
			return err
		}
		buf.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml.AliasNode || k.Tag == "!!merge" {
				return fmt.Errorf("line %d: merge keys (<<) are not supported: write the fields out", k.Line)
			}
			if err := budget.spend(0, len(k.Value)); err != nil {
				return err
			}
			if i > 0 {
				buf.WriteByte(',')
			}
			key, _ := json.Marshal(k.Value)
			buf.Write(key)
			buf.WriteByte(':')
			if err := writeOrderedJSON(buf, n.Content[i+1], budget); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
		return nil
	case yaml.ScalarNode:
		v, err := yamlValue(n, budget)
		if err != nil {
			return err
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("line %d: %w", n.Line, err)
		}
		buf.Write(b)
		return nil
	}
	return fmt.Errorf("line %d: unexpected YAML node", n.Line)
}

// Locate is where the value a JSON pointer names is written in a JSON or
// YAML text: its key's position inside an object, its own inside an array.
// A pointer to something absent (a required key left out) is placed at the
// nearest thing that is there, its object; the root is line 1.
func Locate(src []byte, pointer string) Position {
	var root yaml.Node
	if yaml.Unmarshal(src, &root) != nil || len(root.Content) == 0 {
		return Position{Line: 1, Column: 1}
	}
	n := root.Content[0]
	at := Position{Line: n.Line, Column: n.Column}
	if pointer == "" || !strings.HasPrefix(pointer, "/") {
		return at
	}
	for _, tok := range strings.Split(pointer[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		for n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		next, key := child(n, tok)
		if next == nil {
			return at
		}
		at = Position{Line: next.Line, Column: next.Column}
		if key != nil {
			at = Position{Line: key.Line, Column: key.Column}
		}
		n = next
	}
	return at
}

// child is the node under one pointer token, and its key in a mapping.
func child(n *yaml.Node, tok string) (*yaml.Node, *yaml.Node) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == tok {
				return n.Content[i+1], n.Content[i]
			}
		}
	case yaml.SequenceNode:
		if i, err := strconv.Atoi(tok); err == nil && i >= 0 && i < len(n.Content) {
			return n.Content[i], nil
		}
	}
	return nil, nil
}

// jsonErrorPosition is where encoding/json stopped reading a text; a
// text that stops too soon ("unexpected end of JSON input", which carries
// no offset) goes wrong at its end.
func jsonErrorPosition(src []byte, err error) *Position {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case strings.Contains(err.Error(), "unexpected end of JSON input"):
		return positionAt(src, len(src))
	case errors.As(err, &syntax):
		return positionAt(src, int(syntax.Offset)-1) // the offset is just past the byte it could not read
	case errors.As(err, &typ):
		return positionAt(src, int(typ.Offset)-1)
	}
	return nil
}

// positionAt is the line and column of a byte offset (columns count
// characters, as an editor does).
func positionAt(src []byte, offset int) *Position {
	offset = max(0, min(offset, len(src)))
	before := src[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	start := bytes.LastIndexByte(before, '\n') + 1
	return &Position{Line: line, Column: len([]rune(string(before[start:]))) + 1}
}

var yamlLine = regexp.MustCompile(`^line (\d+):`)

// yamlErrorPosition reads the line a YAML parser's message names.
func yamlErrorPosition(msg string) *Position {
	m := yamlLine.FindStringSubmatch(msg)
	if m == nil {
		return nil
	}
	line, _ := strconv.Atoi(m[1])
	return &Position{Line: line, Column: 1}
}
