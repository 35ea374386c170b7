package forms

// Node is one schema node after compilation: $refs inlined, properties in
// document order. The rendering model, the ui checks and validation messages
// read it; nothing changes it after buildTree returns, and nodes a $ref names
// more than once may be shared between places in the tree.
type Node struct {
	// Pointer is the JSON pointer of this node inside its source document
	// and Source the id of that document: "" for the form's own schema,
	// else the id treeSource.Ref returned. A node that inlines a $ref has
	// the place of the node the $ref names, where its keywords (and the
	// refdata they name, resolved within Source) are written, unless the
	// $ref's siblings give refdata themselves; SchemaPointer keeps the
	// place of the $ref.
	Pointer string
	Source  string
	// SchemaPointer is where problems with this node are reported, inside
	// the form's schema: the node's own pointer there, or for a node inside
	// a term, the pointer of the form's $ref that led into the term.
	SchemaPointer string
	// Ref is the $ref this node inlines ("" when none).
	Ref string
	// False is set for the boolean schema false, which no value satisfies;
	// the boolean schema true is a node with no keywords.
	False bool

	Title       string
	Description string
	Types       []string // from "type", a string or an array
	Format      string
	Const       any // valid when HasConst
	HasConst    bool
	Enum        []any
	// Options are the labelled choices for the value: from a oneOf/anyOf
	// whose every branch is a const with an optional title and
	// description, else from enum, else from the refdata keyword. For an
	// array they are the options of its items.
	Options []Option

	Properties []Property // in document order
	Required   []string
	Items      *Node // 2020-12 items
	MinItems   int   // -1 when absent, like the three below
	MaxItems   int
	MinLength  int
	MaxLength  int
	Minimum    *float64
	Maximum    *float64

	If, Then, Else *Node
	AllOf          []*Node
	AnyOf          []*Node
	OneOf          []*Node
	Not            *Node
	Contains       *Node
	// DependentSchemas in document order: Name is the property whose
	// presence applies Schema.
	DependentSchemas []Property

	ContentMediaType string
	MaxFileSize      int64  // custom keyword maxFileSize, in bytes; 0 when absent
	Refdata          string // custom keyword refdata: "name" or "name@version"

	// Raw is the node's own keywords as json.Unmarshal would give them
	// ($refs not inlined; for a node that inlines a $ref, the referenced
	// keywords overlaid with the siblings of the $ref).
	Raw map[string]any
}

// Property is one named subschema, in document order.
type Property struct {
	Name   string
	Schema *Node
}

// Option is one labelled choice a schema allows.
type Option struct {
	Value any // as json.Unmarshal into any gives it: string, float64, bool or nil
	Label string
	Hint  string
}

// child is the place of a subschema under p. Inside a term, problems stay
// reported at the $ref that led there, since the author cannot edit the term.
func (p treePlace) child(tokens ...string) treePlace {
	for _, t := range tokens {
		p.pointer += "/" + escapePointer(t)
		if p.source == "" {
			p.formPtr = p.pointer
		}
	}
	return p
}

// Lookup returns the node that describes the value at an instance JSON
// pointer ("/crew/0/name"; "" is the root), or nil when nothing does. At an
// object a name is looked for among the properties, then in the then/else,
// allOf, dependentSchemas, oneOf and anyOf branches (depth first, in that
// order), so a field a condition adds is found too; at an array any index,
// "-" or "*" goes to the items.
func (n *Node) Lookup(pointer string) *Node {
	node, _ := n.locate(pointer)
	return node
}

// locate is Lookup that also returns the pointer's tokens less those that
// were array indices: the key ui hints use.
func (n *Node) locate(pointer string) (*Node, []string) {
	tokens, ok := SplitPointer(pointer)
	if !ok || n == nil {
		return nil, nil
	}
	cur := n
	var key []string
	for _, tok := range tokens {
		if p := cur.property(tok); p != nil {
			cur = p
			key = append(key, tok)
			continue
		}
		if !isIndexToken(tok) {
			return nil, nil
		}
		if cur = cur.items(); cur == nil {
			return nil, nil
		}
	}
	return cur, key
}

// property finds the schema of a named property of n, own or added by a
// branch.
func (n *Node) property(name string) *Node {
	if n == nil {
		return nil
	}
	for _, p := range n.Properties {
		if p.Name == name {
			return p.Schema
		}
	}
	for _, br := range n.lookupBranches() {
		if s := br.property(name); s != nil {
			return s
		}
	}
	return nil
}

// items finds the schema of n's items, own or given by a branch.
func (n *Node) items() *Node {
	if n == nil {
		return nil
	}
	if n.Items != nil {
		return n.Items
	}
	for _, br := range n.lookupBranches() {
		if s := br.items(); s != nil {
			return s
		}
	}
	return nil
}

// lookupBranches are the subschemas that describe the same value as n
// does: the ones Lookup searches.
func (n *Node) lookupBranches() []*Node {
	var out []*Node
	for _, s := range []*Node{n.Then, n.Else} {
		if s != nil {
			out = append(out, s)
		}
	}
	out = append(out, n.AllOf...)
	for _, d := range n.DependentSchemas {
		out = append(out, d.Schema)
	}
	out = append(out, n.OneOf...)
	return append(out, n.AnyOf...)
}
