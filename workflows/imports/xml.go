package imports

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// XML namespaces the import reads.
const (
	nsBPMN    = "http://www.omg.org/spec/BPMN/20100524/MODEL"
	nsCamunda = "http://camunda.org/schema/1.0/bpmn"
	// Camunda 7 still reads files written for Activiti, its ancestor.
	nsActiviti = "http://activiti.org/bpmn"
	nsModeler  = "http://camunda.org/schema/modeler/1.0"
)

// element is one XML element of the file, kept small: the import needs
// names, attributes, children, text and where it was.
type element struct {
	space, local string
	attrs        []xml.Attr
	children     []*element
	text         string
	line         int
	buf          *strings.Builder // the text as it is read
}

// maxText is the most text one element may hold (a script, a
// documentation): beyond, the file is refused rather than read slowly.
const maxText = 64 << 10

// attr is the value of an attribute in a namespace ("" for unprefixed).
func (e *element) attr(space, local string) string {
	v, _ := e.attrOK(space, local)
	return v
}

func (e *element) attrOK(space, local string) (string, bool) {
	for _, a := range e.attrs {
		if a.Name.Space == space && a.Name.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

// cam is a camunda: attribute.
func (e *element) cam(local string) string { return e.attr(nsCamunda, local) }

// is says whether the element is space:local.
func (e *element) is(space, local string) bool { return e.space == space && e.local == local }

// child is the first child space:local, or nil.
func (e *element) child(space, local string) *element {
	for _, c := range e.children {
		if c.is(space, local) {
			return c
		}
	}
	return nil
}

// all lists the children space:local.
func (e *element) all(space, local string) []*element {
	var out []*element
	for _, c := range e.children {
		if c.is(space, local) {
			out = append(out, c)
		}
	}
	return out
}

// extensions lists the children of the element's bpmn:extensionElements.
func (e *element) extensions() []*element {
	if x := e.child(nsBPMN, "extensionElements"); x != nil {
		return x.children
	}
	return nil
}

// extension is the first extension element space:local, or nil.
func (e *element) extension(space, local string) *element {
	for _, c := range e.extensions() {
		if c.is(space, local) {
			return c
		}
	}
	return nil
}

// trimmed is the element's text without surrounding space.
func (e *element) trimmed() string {
	if e == nil {
		return ""
	}
	return strings.TrimSpace(e.text)
}

// readXML reads a BPMN file into elements, refusing a file that is too
// large, not well formed or hostile before it can take memory: elements
// and depth are counted as the tokens arrive.
func readXML(file string, content []byte, lim Limits) (*element, error) {
	if int64(len(content)) > lim.MaxBytes {
		return nil, fmt.Errorf("%s is %d bytes; an import takes at most %d (the file size limit)", file, len(content), lim.MaxBytes)
	}
	d := xml.NewDecoder(bytes.NewReader(content))
	d.Strict = true
	d.CharsetReader = charsetReader
	var root *element
	var stack []*element
	count := 0
	ids := map[string]int{} // the line of each BPMN element id
	for {
		line, col := d.InputPos()
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, syntaxError(file, d, err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			if bytes.HasPrefix(t, []byte("DOCTYPE")) && bytes.Contains(t, []byte("<!ENTITY")) {
				return nil, fmt.Errorf("%s line %d: declares XML entities, which COP refuses (entity expansion)", file, line)
			}
		case xml.StartElement:
			count++
			if count > lim.MaxElements {
				return nil, fmt.Errorf("%s line %d, column %d: the file has more than %d XML elements; an import takes at most %d (the element limit)", file, line, col, lim.MaxElements, lim.MaxElements)
			}
			if len(stack)+1 > lim.MaxDepth {
				return nil, fmt.Errorf("%s line %d, column %d: elements are nested more than %d deep; an import takes at most %d (the depth limit)", file, line, col, lim.MaxDepth, lim.MaxDepth)
			}
			e := &element{space: canonicalSpace(t.Name.Space), local: t.Name.Local, line: line}
			if id, ok := bpmnID(e.space, t.Attr); ok {
				if first, dup := ids[id]; dup {
					return nil, fmt.Errorf("%s: id %s is used by two elements (line %d and line %d); BPMN ids must be unique", file, id, first, line)
				}
				ids[id] = line
			}
			for _, a := range t.Attr {
				a.Name.Space = canonicalSpace(a.Name.Space)
				e.attrs = append(e.attrs, a)
			}
			switch {
			case len(stack) > 0:
				parent := stack[len(stack)-1]
				parent.children = append(parent.children, e)
			case root != nil:
				return nil, fmt.Errorf("%s line %d, column %d: not well-formed XML: a second root element <%s>", file, line, col, t.Name.Local)
			default:
				root = e
			}
			stack = append(stack, e)
		case xml.EndElement:
			if e := stack[len(stack)-1]; e.buf != nil {
				e.text, e.buf = e.buf.String(), nil
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				continue
			}
			e := stack[len(stack)-1]
			if len(e.children) > 0 && len(bytes.TrimSpace(t)) == 0 {
				continue // the layout between child elements
			}
			if e.buf == nil {
				e.buf = &strings.Builder{}
			}
			if e.buf.Len()+len(t) > maxText {
				return nil, fmt.Errorf("%s line %d: the text of <%s> is longer than %d bytes, the most an import takes in one element", file, e.line, e.local, maxText)
			}
			e.buf.Write(t)
		}
	}
	if root == nil {
		return nil, fmt.Errorf("%s: not XML: the file has no root element", file)
	}
	return root, nil
}

// bpmnID is a BPMN element's id. Extension elements' ids (a Camunda form
// field's) are their own and may repeat.
func bpmnID(space string, attrs []xml.Attr) (string, bool) {
	if space != nsBPMN {
		return "", false
	}
	for _, a := range attrs {
		if a.Name.Space == "" && a.Name.Local == "id" && a.Value != "" {
			return a.Value, true
		}
	}
	return "", false
}

// canonicalSpace reads Activiti's namespace as Camunda's, as Camunda does.
func canonicalSpace(space string) string {
	if space == nsActiviti {
		return nsCamunda
	}
	return space
}

// syntaxError names the file, line and column of a well-formedness error.
func syntaxError(file string, d *xml.Decoder, err error) error {
	line, col := d.InputPos()
	msg := err.Error()
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		line, msg = se.Line, se.Msg
	}
	msg = strings.TrimPrefix(msg, "xml: ")
	return fmt.Errorf("%s line %d, column %d: not well-formed XML: %s", file, line, col, msg)
}

// charsetReader reads the encodings other than UTF-8 that BPMN tools have
// been seen to write: ISO-8859-1 (and its ASCII subset).
func charsetReader(charset string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "us-ascii", "ascii":
		return &latin1Reader{r: bufio.NewReader(in)}, nil
	}
	return nil, fmt.Errorf("encoding %q is not supported: save the file as UTF-8", charset)
}

// latin1Reader turns ISO-8859-1 bytes into UTF-8.
type latin1Reader struct {
	r   *bufio.Reader
	buf []byte
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	for len(l.buf) < len(p) {
		c, err := l.r.ReadByte()
		if err != nil {
			if len(l.buf) == 0 {
				return 0, err
			}
			break
		}
		l.buf = utf8.AppendRune(l.buf, rune(c))
	}
	n := copy(p, l.buf)
	l.buf = l.buf[n:]
	return n, nil
}
