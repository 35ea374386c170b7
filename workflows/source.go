package workflows

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

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
	src = bytes.TrimPrefix(src, bom)
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

// Locator finds where the values a JSON pointer names are written in a
// JSON or YAML text. It reads the text once, so a refusal with thousands of
// problems places them all in one pass.
type Locator struct {
	at   map[string]Position
	root Position
}

// NewLocator reads src (JSON or YAML) for Locate. JSON is read as JSON,
// whose escapes (\/, surrogate pairs) YAML does not take.
func NewLocator(src []byte) *Locator {
	l := &Locator{at: map[string]Position{}, root: Position{Line: 1, Column: 1}}
	src = bytes.TrimPrefix(src, bom)
	if LooksLikeJSON(src) {
		l.readJSON(src)
		return l
	}
	var root yaml.Node
	if yaml.Unmarshal(src, &root) != nil || len(root.Content) == 0 {
		return l
	}
	n := root.Content[0]
	l.root = Position{Line: n.Line, Column: n.Column}
	l.readYAML(n, "", 0)
	return l
}

// Locate is where the value a JSON pointer names is written: its key's
// position inside an object, its own inside an array. A pointer to
// something absent (a required key left out) is placed at the nearest
// thing that is there, its object; the root is the document's start.
func (l *Locator) Locate(pointer string) Position {
	for p := pointer; p != ""; p = p[:max(strings.LastIndex(p, "/"), 0)] {
		if at, ok := l.at[p]; ok {
			return at
		}
	}
	return l.root
}

// Locate is NewLocator(src).Locate(pointer), for one pointer.
func Locate(src []byte, pointer string) Position { return NewLocator(src).Locate(pointer) }

// readYAML records where every value under n is written.
func (l *Locator) readYAML(n *yaml.Node, pointer string, depth int) {
	for n.Kind == yaml.AliasNode && depth < 64 {
		n, depth = n.Alias, depth+1
	}
	if depth > 256 {
		return // an alias loop's guard; such a text is refused anyway
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			p := pointer + "/" + EscapeToken(k.Value)
			if _, seen := l.at[p]; !seen {
				l.at[p] = Position{Line: k.Line, Column: k.Column}
			}
			l.readYAML(n.Content[i+1], p, depth+1)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := pointer + "/" + strconv.Itoa(i)
			l.at[p] = Position{Line: c.Line, Column: c.Column}
			l.readYAML(c, p, depth+1)
		}
	}
}

// readJSON records where every value of a JSON text is written, reading
// its tokens: each starts at the first byte after the last token that is
// not white space or a separator.
func (l *Locator) readJSON(src []byte) {
	dec := json.NewDecoder(bytes.NewReader(src))
	type frame struct {
		pointer string
		array   bool
		index   int
		key     bool // an object expecting a key next
	}
	var stack []frame
	lines := newLineIndex(src)
	for {
		start := int(dec.InputOffset())
		for start < len(src) && strings.IndexByte(" \t\r\n,:", src[start]) >= 0 {
			start++
		}
		tok, err := dec.Token()
		if err != nil {
			return
		}
		here := lines.position(src, start)
		pointer := ""
		if n := len(stack); n > 0 {
			top := &stack[n-1]
			switch {
			case top.array:
				if d, ok := tok.(json.Delim); ok && (d == ']') {
					stack = stack[:n-1]
					continue
				}
				pointer = top.pointer + "/" + strconv.Itoa(top.index)
				top.index++
				l.at[pointer] = here
			case top.key:
				if d, ok := tok.(json.Delim); ok && d == '}' {
					stack = stack[:n-1]
					continue
				}
				key, _ := tok.(string)
				p := top.pointer + "/" + EscapeToken(key)
				if _, seen := l.at[p]; !seen {
					l.at[p] = here
				}
				top.key = false
				stack = append(stack, frame{pointer: p}) // the value's slot
				continue
			default: // the value of the key just read
				pointer = top.pointer
				stack = stack[:n-1]
				if len(stack) > 0 {
					stack[len(stack)-1].key = true
				}
			}
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{':
				stack = append(stack, frame{pointer: pointer, key: true})
			case '[':
				stack = append(stack, frame{pointer: pointer, array: true})
			}
		}
	}
}

// lineIndex turns byte offsets into lines and columns.
type lineIndex []int // the offset each line starts at

func newLineIndex(src []byte) lineIndex {
	idx := lineIndex{0}
	for i, b := range src {
		if b == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

func (idx lineIndex) position(src []byte, offset int) Position {
	line := sort.SearchInts(idx, offset+1) - 1
	line = max(line, 0)
	return Position{Line: line + 1, Column: utf8.RuneCount(src[idx[line]:offset]) + 1}
}

// bom is the byte-order mark some editors put before UTF-8 text.
var bom = []byte("\ufeff")

// jsonErrorPosition is where encoding/json stopped reading a text; a
// text that stops too soon ("unexpected end of JSON input", which carries
// no offset) goes wrong at its end.
func jsonErrorPosition(src []byte, err error) *Position {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case strings.Contains(err.Error(), "unexpected end of JSON input"):
		return positionAt(src, len(bytes.TrimRight(src, " \t\r\n"))) // its last line, not the empty one after it
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
