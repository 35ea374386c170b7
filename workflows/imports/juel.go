package imports

import (
	"fmt"
	"regexp"
	"strings"
)

// JUEL (the expression language of Camunda 7) is translated to jq for the
// simple expressions conditions are usually written in: variables and
// dotted paths, literals, comparisons, and, or, not, empty, arithmetic,
// parentheses and ?:. Anything else (a method or function call, a context
// object such as execution, a composite "text ${x}") is refused with the
// reason, and the caller reports it: a guess would pick the wrong branch
// quietly.

// juelToJQ translates one JUEL expression, written ${…} or #{…} (which
// Camunda evaluates alike), to the body of a jq expression.
func juelToJQ(src string) (string, error) {
	s := strings.TrimSpace(src)
	if len(s) > maxExpr {
		return "", fmt.Errorf("it is %d bytes long; the import translates expressions of at most %d", len(s), maxExpr)
	}
	if len(s) < 3 || (!strings.HasPrefix(s, "${") && !strings.HasPrefix(s, "#{")) || !strings.HasSuffix(s, "}") {
		return "", fmt.Errorf("it is not one ${…} expression")
	}
	toks, err := tokenize(s[2 : len(s)-1])
	if err != nil {
		return "", err
	}
	p := &juelParser{toks: toks}
	e, err := p.ternary()
	if err != nil {
		return "", err
	}
	if t := p.peek(); t.kind != tkEOF {
		return "", fmt.Errorf("unexpected %q", t.text)
	}
	return e.text, nil
}

type tokenKind int

const (
	tkEOF tokenKind = iota
	tkIdent
	tkNumber
	tkString
	tkOp
)

type token struct {
	kind tokenKind
	text string // for strings, the decoded value
}

var juelNumber = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?`)

// juelOps are JUEL's operators, longest first so "<=" is not "<", "=".
var juelOps = []string{"==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "(", ")", ".", "[", "]", "?", ":", "+", "-", "*", "/", "%"}

func tokenize(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '\'' || c == '"':
			str, n, err := juelString(s[i:])
			if err != nil {
				return nil, err
			}
			out = append(out, token{tkString, str})
			i += n
		case c >= '0' && c <= '9':
			m := juelNumber.FindString(s[i:])
			out = append(out, token{tkNumber, m})
			i += len(m)
		case c == '_' || c == '$' || isLetter(c):
			j := i + 1
			for j < len(s) && (s[j] == '_' || s[j] == '$' || isLetter(s[j]) || (s[j] >= '0' && s[j] <= '9')) {
				j++
			}
			out = append(out, token{tkIdent, s[i:j]})
			i = j
		default:
			op := ""
			for _, o := range juelOps {
				if strings.HasPrefix(s[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				return nil, fmt.Errorf("%q is not part of the JUEL COP translates", s[i:i+1])
			}
			out = append(out, token{tkOp, op})
			i += len(op)
		}
	}
	return append(out, token{kind: tkEOF}), nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// juelString reads a quoted literal: \' \" \\ are its only escapes.
func juelString(s string) (string, int, error) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && (s[i+1] == q || s[i+1] == '\\'):
			b.WriteByte(s[i+1])
			i++
		case s[i] == q:
			return b.String(), i + 1, nil
		default:
			b.WriteByte(s[i])
		}
	}
	return "", 0, fmt.Errorf("a string is not closed")
}

// jqExpr is translated jq text and how tightly it binds, so parentheses
// are added only where jq needs them.
type jqExpr struct {
	text string
	prec int
}

// jq precedence, loosest first.
const (
	precOr = iota + 1
	precAnd
	precEqual   // == != eq ne
	precCompare // < > <= >= lt gt le ge: tighter than equality, as in JUEL
	precAdd
	precMul
	precAtom
)

type juelParser struct {
	toks  []token
	pos   int
	depth int
}

// maxNesting bounds how deeply a condition may nest, so a hostile one
// cannot exhaust the stack.
const maxNesting = 100

func (p *juelParser) peek() token { return p.toks[p.pos] }
func (p *juelParser) next() token { t := p.toks[p.pos]; p.pos++; return t }

// accept consumes the next token if it is one of the operators or keywords.
func (p *juelParser) accept(words ...string) (string, bool) {
	t := p.peek()
	if t.kind != tkOp && t.kind != tkIdent {
		return "", false
	}
	for _, w := range words {
		if t.text == w {
			p.pos++
			return w, true
		}
	}
	return "", false
}

func (p *juelParser) expect(op string) error {
	if _, ok := p.accept(op); !ok {
		return fmt.Errorf("expected %q", op)
	}
	return nil
}

// wrap parenthesises e unless it binds at least as tightly as min.
func wrap(e jqExpr, min int) string {
	if e.prec >= min {
		return e.text
	}
	return "(" + e.text + ")"
}

func (p *juelParser) ternary() (jqExpr, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxNesting {
		return jqExpr{}, fmt.Errorf("it nests more than %d deep", maxNesting)
	}
	c, err := p.binary(precOr)
	if err != nil {
		return c, err
	}
	if _, ok := p.accept("?"); !ok {
		return c, nil
	}
	a, err := p.ternary()
	if err != nil {
		return a, err
	}
	if err := p.expect(":"); err != nil {
		return a, err
	}
	b, err := p.ternary()
	if err != nil {
		return b, err
	}
	return jqExpr{"(if " + c.text + " then " + a.text + " else " + b.text + " end)", precAtom}, nil
}

// binaryOps are JUEL's binary operators by level, with their jq spelling.
var binaryOps = map[int]map[string]string{
	precOr:      {"||": "or", "or": "or"},
	precAnd:     {"&&": "and", "and": "and"},
	precEqual:   {"==": "==", "eq": "==", "!=": "!=", "ne": "!="},
	precCompare: {"<": "<", "lt": "<", ">": ">", "gt": ">", "<=": "<=", "le": "<=", ">=": ">=", "ge": ">="},
	precAdd:     {"+": "+", "-": "-"},
	precMul:     {"*": "*", "/": "/", "div": "/", "%": "%", "mod": "%"},
}

// binary parses one level of left-associative operators. jq's comparisons
// do not chain, so a comparison's operands are parenthesised when they are
// comparisons themselves.
func (p *juelParser) binary(level int) (jqExpr, error) {
	operand := func() (jqExpr, error) {
		if level == precMul {
			return p.unary()
		}
		return p.binary(level + 1)
	}
	left, err := operand()
	if err != nil {
		return left, err
	}
	ops := binaryOps[level]
	for {
		t := p.peek()
		jqOp, ok := ops[t.text]
		if !ok || (t.kind != tkOp && t.kind != tkIdent) {
			return left, nil
		}
		p.pos++
		right, err := operand()
		if err != nil {
			return right, err
		}
		leftMin := level
		if level == precEqual || level == precCompare {
			leftMin = precCompare + 1 // jq's comparisons share one level and do not chain
		}
		left = jqExpr{wrap(left, leftMin) + " " + jqOp + " " + wrap(right, max(level+1, leftMin)), level}
	}
}

func (p *juelParser) unary() (jqExpr, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxNesting {
		return jqExpr{}, fmt.Errorf("it nests more than %d deep", maxNesting)
	}
	if _, ok := p.accept("!", "not"); ok {
		e, err := p.unary()
		if err != nil {
			return e, err
		}
		return jqExpr{"(" + e.text + " | not)", precAtom}, nil
	}
	if _, ok := p.accept("empty"); ok {
		e, err := p.unary()
		if err != nil {
			return e, err
		}
		x := wrap(e, precAtom)
		return jqExpr{"(" + x + " == null or " + x + " == \"\" or " + x + " == [] or " + x + " == {})", precAtom}, nil
	}
	if _, ok := p.accept("-"); ok {
		e, err := p.unary()
		if err != nil {
			return e, err
		}
		return jqExpr{"(-" + wrap(e, precAtom) + ")", precAtom}, nil
	}
	return p.primary()
}

// contextObjects are names Camunda binds to engine objects, not variables:
// translating execution.processBusinessKey as a variable path would read
// nothing, quietly.
var contextObjects = map[string]bool{
	"execution": true, "task": true, "authenticatedUserId": true, "connector": true, "externalTask": true,
	"variableScope": true, "S": true, "JSON": true, "XML": true, "dateTime": true, "currentUser": true,
	"currentUserGroups": true, "instanceof": true,
}

func (p *juelParser) primary() (jqExpr, error) {
	t := p.next()
	switch t.kind {
	case tkNumber:
		return jqExpr{t.text, precAtom}, nil
	case tkString:
		b, _ := marshalJSON(t.text)
		return jqExpr{string(b), precAtom}, nil
	case tkOp:
		if t.text != "(" {
			return jqExpr{}, fmt.Errorf("unexpected %q", t.text)
		}
		e, err := p.ternary()
		if err != nil {
			return e, err
		}
		if err := p.expect(")"); err != nil {
			return e, err
		}
		return jqExpr{"(" + e.text + ")", precAtom}, nil
	case tkIdent:
		switch t.text {
		case "true", "false", "null":
			return jqExpr{t.text, precAtom}, nil
		}
		return p.path(t.text)
	}
	return jqExpr{}, fmt.Errorf("the expression ends too soon")
}

// path reads a variable and its properties: a.b, a['b'], a[0].
func (p *juelParser) path(first string) (jqExpr, error) {
	if contextObjects[first] {
		return jqExpr{}, fmt.Errorf("%s is a Camunda engine object, not a process variable", first)
	}
	if p.peek().text == "(" {
		return jqExpr{}, fmt.Errorf("%s(…) calls a function", first)
	}
	out := jqField("", first)
	for {
		if _, ok := p.accept("."); ok {
			t := p.next()
			if t.kind != tkIdent {
				return jqExpr{}, fmt.Errorf("expected a property name after '.'")
			}
			if p.peek().text == "(" {
				if t.text == "equals" {
					return p.equals(out)
				}
				return jqExpr{}, fmt.Errorf(".%s(…) calls a method", t.text)
			}
			out = jqField(out, t.text)
			continue
		}
		if _, ok := p.accept("["); ok {
			t := p.next()
			switch t.kind {
			case tkString:
				out = jqField(out, t.text)
			case tkNumber:
				out += "[" + t.text + "]"
			default:
				return jqExpr{}, fmt.Errorf("only a literal name or number may index a variable")
			}
			if err := p.expect("]"); err != nil {
				return jqExpr{}, err
			}
			continue
		}
		return jqExpr{out, precAtom}, nil
	}
}

// equals reads x.equals(y), Java's equality, which conditions often use
// for strings: x == y.
func (p *juelParser) equals(x string) (jqExpr, error) {
	p.pos++ // (
	y, err := p.ternary()
	if err != nil {
		return y, err
	}
	if err := p.expect(")"); err != nil {
		return y, err
	}
	if t := p.peek(); t.text == "." || t.text == "[" {
		return jqExpr{}, fmt.Errorf("a method is called on the result of equals(…)")
	}
	return jqExpr{x + " == " + wrap(y, precCompare+1), precEqual}, nil
}

var jqIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// jqKeywords may not follow a bare dot.
var jqKeywords = map[string]bool{
	"and": true, "or": true, "not": true, "if": true, "then": true, "elif": true, "else": true, "end": true, "as": true,
	"def": true, "reduce": true, "foreach": true, "try": true, "catch": true, "label": true, "import": true,
	"include": true, "__loc__": true,
}

// jqField appends .name, quoted when jq would read it otherwise.
func jqField(prefix, name string) string {
	if jqIdent.MatchString(name) && !jqKeywords[name] {
		return prefix + "." + name
	}
	b, _ := marshalJSON(name)
	return prefix + "." + string(b)
}

// condition translates a condition for a `when` or `if`: the jq expression,
// or a placeholder that faults the instance with why, and whether it
// translated.
func condition(flowID, src string) (string, bool) {
	jq, err := juelToJQ(src)
	if err == nil {
		return "${ " + jq + " }", true
	}
	text := unwrapped(src)
	if len(text) > maxExpr {
		text = clip(text)
	}
	return faultExpr(fmt.Sprintf("condition of %s was not translated from BPMN: %s", flowID, text)), false
}

// maxExpr is the longest expression (a condition, a service task's) the
// import translates: a longer one is reported and faults loudly, as an
// untranslatable one does.
const maxExpr = 4 << 10

// unwrapped is an expression's text without its ${ }, for messages.
func unwrapped(src string) string {
	s := oneLine(src)
	if (strings.HasPrefix(s, "${") || strings.HasPrefix(s, "#{")) && strings.HasSuffix(s, "}") {
		return strings.TrimSpace(s[2 : len(s)-1])
	}
	return s
}

// faultExpr is an expression that stops the instance with msg when it is
// evaluated: the loud stand-in for a condition COP could not translate.
func faultExpr(msg string) string {
	b, _ := marshalJSON(msg)
	return "${ error(" + string(b) + ") }"
}
