package forms

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// treeSource supplies what a schema refers to outside itself.
type treeSource interface {
	// Ref returns the document a non-local $ref names (e.g. "term:person" or
	// "term:person@1.0.0") and an id for it, so that "#..." refs inside that
	// document resolve within it. in is the id of the document the $ref is
	// written in ("" for the schema being built), since a term's own
	// references were pinned when it was registered.
	Ref(in, ref string) (id string, doc json.RawMessage, err error)
	// RefData returns the options of the reference data set a "refdata"
	// keyword names, written in the document in.
	RefData(in, name string) ([]Option, error)
}

// buildTree compiles a form's schema into its Node tree, inlining every
// $ref. It refuses recursive schemas, because a form drawn from one would be
// infinite, and $refs or reference data it cannot resolve. Keywords of the
// wrong shape are passed over here: the validator compiler reports them.
// Errors are Problems located under "/schema".
func buildTree(root json.RawMessage, src treeSource) (*Node, error) {
	doc, err := decodeOrdered(root)
	if err != nil {
		return nil, Problems{{Pointer: "/schema", Message: "the schema is not valid JSON: " + err.Error()}}
	}
	b := &treeBuilder{
		src:     src,
		docs:    map[string]any{"": doc},
		done:    map[string]*Node{},
		refdata: map[string]refdataResult{},
		seen:    map[Problem]bool{},
		// The root is being expanded while its subschemas are, so that
		// {"$ref": "#"} inside it is recognised as recursion.
		stack: []string{expansionKey("", "")},
	}
	n := b.build(doc, treePlace{})
	if len(b.problems) == 0 && expandedSize(n, map[*Node]int{}) > maxExpandedNodes {
		b.problem(treePlace{}, "the schema has more than %d schema objects once its $refs are inlined, too many to show as a form; use fewer levels of shared definitions", maxExpandedNodes)
	}
	if len(b.problems) > 0 {
		return nil, b.problems
	}
	return n, nil
}

// maxExpandedNodes bounds the tree with every $ref inlined. A definition
// used twice is shared, not copied, when built, but rendering visits it at
// each place, so a few levels of definitions each using the next twice
// would make the rendering model explode.
const maxExpandedNodes = 50000

// expandedSize counts the nodes of the tree as rendering visits them, each
// shared node once per place; it stops counting past maxExpandedNodes.
func expandedSize(n *Node, memo map[*Node]int) int {
	if n == nil {
		return 0
	}
	if size, ok := memo[n]; ok {
		return size
	}
	size := 1
	var children []*Node
	for _, p := range slices.Concat(n.Properties, n.DependentSchemas) {
		children = append(children, p.Schema)
	}
	children = append(children, n.Items, n.If, n.Then, n.Else, n.Not, n.Contains)
	children = slices.Concat(children, n.AllOf, n.AnyOf, n.OneOf)
	for _, c := range children {
		size += expandedSize(c, memo)
		if size > maxExpandedNodes {
			break
		}
	}
	size = min(size, maxExpandedNodes+1)
	memo[n] = size
	return size
}

// treePlace is where the node being built sits.
type treePlace struct {
	source  string // "" for the form's schema, else a term's id
	pointer string // inside the source document
	formPtr string // inside the form's schema: see Node.SchemaPointer
}

type refdataResult struct {
	options []Option
	err     error
}

type treeBuilder struct {
	src      treeSource
	docs     map[string]any           // decoded documents by source id
	stack    []string                 // expansion keys of the $refs being expanded on this path
	done     map[string]*Node         // expansion key → node, for those built without problems
	refdata  map[string]refdataResult // by source id|refdata name
	problems Problems
	seen     map[Problem]bool
}

// expansionKey names a subschema being inlined: its document and pointer.
func expansionKey(source, pointer string) string { return source + "#" + pointer }

func (b *treeBuilder) problem(at treePlace, format string, args ...any) {
	p := Problem{Pointer: "/schema" + at.formPtr, Message: fmt.Sprintf(format, args...)}
	if b.seen[p] {
		return // the same shared subschema reached from another place
	}
	b.seen[p] = true
	b.problems = append(b.problems, p)
}

// build makes the node for the schema value v found at at.
func (b *treeBuilder) build(v any, at treePlace) *Node {
	n := &Node{
		Pointer: at.pointer, Source: at.source, SchemaPointer: at.formPtr,
		MinItems: -1, MaxItems: -1, MinLength: -1, MaxLength: -1,
		Raw: map[string]any{},
	}
	switch s := v.(type) {
	case bool:
		n.False = !s
		return n
	case *jsonObject:
		n.Raw = plainJSON(s).(map[string]any)
		b.keywords(n, s, at)
		if ref, ok := s.vals["$ref"].(string); ok {
			delete(n.Raw, "$ref")
			if target := b.resolveRef(ref, at); target != nil {
				n = overlay(target, n, ref)
			}
		}
		n.Options = b.options(n, at)
	}
	// Anything else is not a schema; the validator compiler says so.
	return n
}

// keywords fills n from the keywords of obj other than $ref.
func (b *treeBuilder) keywords(n *Node, obj *jsonObject, at treePlace) {
	n.Title, _ = obj.vals["title"].(string)
	n.Description, _ = obj.vals["description"].(string)
	n.Format, _ = obj.vals["format"].(string)
	n.ContentMediaType, _ = obj.vals["contentMediaType"].(string)
	n.Refdata, _ = obj.vals["refdata"].(string)
	switch t := obj.vals["type"].(type) {
	case string:
		n.Types = []string{t}
	case []any:
		n.Types = stringList(t)
	}
	if c, ok := obj.vals["const"]; ok {
		n.Const, n.HasConst = plainJSON(c), true
	}
	if e, ok := obj.vals["enum"].([]any); ok {
		n.Enum = plainJSON(e).([]any)
	}
	if req, ok := obj.vals["required"].([]any); ok {
		n.Required = stringList(req)
	}
	n.MinItems = intKeyword(obj, "minItems")
	n.MaxItems = intKeyword(obj, "maxItems")
	n.MinLength = intKeyword(obj, "minLength")
	n.MaxLength = intKeyword(obj, "maxLength")
	n.Minimum = floatKeyword(obj, "minimum")
	n.Maximum = floatKeyword(obj, "maximum")
	if size := floatKeyword(obj, "maxFileSize"); size != nil && *size > 0 {
		n.MaxFileSize = int64(*size)
	}

	n.Properties = b.schemaMap(obj, "properties", at)
	n.DependentSchemas = b.schemaMap(obj, "dependentSchemas", at)
	n.Items = b.schema(obj, "items", at)
	n.If = b.schema(obj, "if", at)
	n.Then = b.schema(obj, "then", at)
	n.Else = b.schema(obj, "else", at)
	n.Not = b.schema(obj, "not", at)
	n.Contains = b.schema(obj, "contains", at)
	n.AllOf = b.schemaList(obj, "allOf", at)
	n.AnyOf = b.schemaList(obj, "anyOf", at)
	n.OneOf = b.schemaList(obj, "oneOf", at)
}

func (b *treeBuilder) schema(obj *jsonObject, key string, at treePlace) *Node {
	v, ok := obj.vals[key]
	if !ok {
		return nil
	}
	return b.build(v, at.child(key))
}

func (b *treeBuilder) schemaList(obj *jsonObject, key string, at treePlace) []*Node {
	list, _ := obj.vals[key].([]any)
	var out []*Node
	for i, v := range list {
		out = append(out, b.build(v, at.child(key, strconv.Itoa(i))))
	}
	return out
}

func (b *treeBuilder) schemaMap(obj *jsonObject, key string, at treePlace) []Property {
	m, _ := obj.vals[key].(*jsonObject)
	if m == nil {
		return nil
	}
	out := make([]Property, 0, len(m.keys))
	for _, name := range m.keys {
		out = append(out, Property{Name: name, Schema: b.build(m.vals[name], at.child(key, name))})
	}
	return out
}

// resolveRef builds the node a $ref names, or reports why it cannot and
// returns nil. Refs starting with "#" stay in the document they appear in;
// any other ref names a document treeSource supplies, optionally followed by
// "#fragment" inside it.
func (b *treeBuilder) resolveRef(ref string, at treePlace) *Node {
	base, frag, _ := strings.Cut(ref, "#")
	source, doc := at.source, b.docs[at.source]
	if base != "" {
		var ok bool
		if source, doc, ok = b.document(base, ref, at); !ok {
			return nil
		}
	}
	if unescaped, err := url.PathUnescape(frag); err == nil {
		frag = unescaped
	}
	ptr := frag
	if frag != "" && !strings.HasPrefix(frag, "/") {
		p, ok := findAnchor(doc, frag, "")
		if !ok {
			b.problem(at, "$ref %q names an anchor %s does not have", ref, describeSource(source))
			return nil
		}
		ptr = p
	}
	target, ok := resolvePointer(doc, ptr)
	if !ok {
		b.problem(at, "$ref %q names nothing in %s", ref, describeSource(source))
		return nil
	}
	key := expansionKey(source, ptr)
	if slices.Contains(b.stack, key) {
		b.problem(at, "$ref %q refers back to itself, and recursive schemas cannot be shown as a form", ref)
		return nil
	}
	if n, ok := b.done[key]; ok {
		return n
	}
	place := treePlace{source: source, pointer: ptr, formPtr: at.formPtr}
	if source == "" {
		place.formPtr = ptr
	}
	before := len(b.problems)
	b.stack = append(b.stack, key)
	n := b.build(target, place)
	b.stack = b.stack[:len(b.stack)-1]
	// Only a clean result is reused: a failed one is built again where it
	// is next named, so that each place gets its own report.
	if len(b.problems) == before {
		b.done[key] = n
	}
	return n
}

// document loads, once, the document a non-local ref names.
func (b *treeBuilder) document(base, ref string, at treePlace) (string, any, bool) {
	if b.src == nil {
		b.problem(at, "$ref %q names a document outside the form, and none can be looked up here", ref)
		return "", nil, false
	}
	id, raw, err := b.src.Ref(at.source, base)
	if err != nil {
		b.problem(at, "$ref %q cannot be resolved: %v", ref, err)
		return "", nil, false
	}
	if doc, ok := b.docs[id]; ok {
		return id, doc, true
	}
	doc, err := decodeOrdered(raw)
	if err != nil {
		b.problem(at, "$ref %q names %q, which is not valid JSON: %v", ref, id, err)
		return "", nil, false
	}
	b.docs[id] = doc
	return id, doc, true
}

func describeSource(source string) string {
	if source == "" {
		return "the schema"
	}
	return strconv.Quote(source)
}

// overlay is the node for {"$ref": ref, ...siblings}: the referenced node
// with the siblings' keywords on top, so {"$ref": "term:port", "title":
// "Port of arrival"} is a port with its own label. Properties and
// dependentSchemas extend the target's (a sibling of the same name wins),
// required and allOf add to it; any other keyword the siblings give
// replaces the target's.
func overlay(target, site *Node, ref string) *Node {
	m := *target
	m.SchemaPointer, m.Ref = site.SchemaPointer, ref
	m.Raw = make(map[string]any, len(target.Raw)+len(site.Raw))
	for k, v := range target.Raw {
		m.Raw[k] = v
	}
	for k, v := range site.Raw {
		m.Raw[k] = v
	}
	has := func(k string) bool { _, ok := site.Raw[k]; return ok }
	if has("title") {
		m.Title = site.Title
	}
	if has("description") {
		m.Description = site.Description
	}
	if has("type") {
		m.Types = site.Types
	}
	if has("format") {
		m.Format = site.Format
	}
	if has("const") {
		m.Const, m.HasConst = site.Const, site.HasConst
	}
	if has("enum") {
		m.Enum = site.Enum
	}
	if has("items") {
		m.Items = site.Items
	}
	if has("minItems") {
		m.MinItems = site.MinItems
	}
	if has("maxItems") {
		m.MaxItems = site.MaxItems
	}
	if has("minLength") {
		m.MinLength = site.MinLength
	}
	if has("maxLength") {
		m.MaxLength = site.MaxLength
	}
	if has("minimum") {
		m.Minimum = site.Minimum
	}
	if has("maximum") {
		m.Maximum = site.Maximum
	}
	if has("if") {
		m.If = site.If
	}
	if has("then") {
		m.Then = site.Then
	}
	if has("else") {
		m.Else = site.Else
	}
	if has("not") {
		m.Not = site.Not
	}
	if has("contains") {
		m.Contains = site.Contains
	}
	if has("anyOf") {
		m.AnyOf = site.AnyOf
	}
	if has("oneOf") {
		m.OneOf = site.OneOf
	}
	if has("contentMediaType") {
		m.ContentMediaType = site.ContentMediaType
	}
	if has("maxFileSize") {
		m.MaxFileSize = site.MaxFileSize
	}
	if has("refdata") {
		// Reference data is resolved in the document that names it.
		m.Refdata, m.Pointer, m.Source = site.Refdata, site.Pointer, site.Source
	}
	m.Properties = mergeProperties(target.Properties, site.Properties)
	m.DependentSchemas = mergeProperties(target.DependentSchemas, site.DependentSchemas)
	m.AllOf = append(slices.Clip(target.AllOf), site.AllOf...)
	m.Required = slices.Clip(target.Required)
	for _, r := range site.Required {
		if !slices.Contains(m.Required, r) {
			m.Required = append(m.Required, r)
		}
	}
	return &m
}

// mergeProperties keeps base's order, replaces same-named entries with
// over's and appends over's new ones.
func mergeProperties(base, over []Property) []Property {
	if len(over) == 0 {
		return base
	}
	out := slices.Clone(base)
	for _, p := range over {
		if i := slices.IndexFunc(out, func(q Property) bool { return q.Name == p.Name }); i >= 0 {
			out[i] = p
		} else {
			out = append(out, p)
		}
	}
	return out
}

// options derives n's labelled choices; see Node.Options.
func (b *treeBuilder) options(n *Node, at treePlace) []Option {
	if opts := constOptions(n.OneOf); opts != nil {
		return opts
	}
	if opts := constOptions(n.AnyOf); opts != nil {
		return opts
	}
	if len(n.Enum) > 0 {
		var opts []Option
		for _, v := range n.Enum {
			// null in an enum lets the question go unanswered; it is
			// not a choice to offer.
			if v != nil {
				opts = append(opts, Option{Value: v, Label: valueLabel(v)})
			}
		}
		return opts
	}
	if n.Refdata != "" {
		return b.refdataOptions(n.Source, n.Refdata, at)
	}
	if n.Items != nil {
		return n.Items.Options
	}
	return nil
}

// constOptions gives the options of a oneOf/anyOf whose every branch is a
// labelled constant, else nil.
func constOptions(branches []*Node) []Option {
	if len(branches) == 0 {
		return nil
	}
	opts := make([]Option, 0, len(branches))
	for _, br := range branches {
		if !br.HasConst {
			return nil
		}
		for k := range br.Raw {
			switch k {
			case "const", "title", "description", "type", "$comment":
			default:
				return nil
			}
		}
		label := br.Title
		if label == "" {
			label = valueLabel(br.Const)
		}
		opts = append(opts, Option{Value: br.Const, Label: label, Hint: br.Description})
	}
	return opts
}

func (b *treeBuilder) refdataOptions(in, name string, at treePlace) []Option {
	key := in + "|" + name
	res, ok := b.refdata[key]
	if !ok {
		if b.src == nil {
			res.err = errors.New("no reference data can be looked up here")
		} else {
			res.options, res.err = b.src.RefData(in, name)
		}
		b.refdata[key] = res
	}
	if res.err != nil {
		b.problem(at, "reference data %q cannot be used: %v", name, res.err)
		return nil
	}
	return res.options
}

// valueLabel is how an option without a title is labelled.
func valueLabel(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		if x {
			return "Yes"
		}
		return "No"
	case nil:
		return "None"
	}
	raw, _ := json.Marshal(v)
	return string(raw)
}
