package forms

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"regexp/syntax"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"cop/forms/lang"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// Draft202012 is the only JSON Schema dialect forms and terms may use.
const Draft202012 = "https://json-schema.org/draft/2020-12/schema"

// Limits on a schema's shape, so no upload can make compiling or rendering
// expensive.
const (
	MaxSchemaDepth = 32    // nested schema levels
	MaxSchemaNodes = 20000 // schema objects in one document
	// DefaultMaxFileSize applies to a file field without maxFileSize;
	// MaxFileSize is the most any field may allow (request bodies are 8 MiB).
	DefaultMaxFileSize = 5 << 20
	MaxFileSize        = 7 << 20
)

// ErrNotRegistered is what a Resolver returns for a term or reference data
// set (or version) that does not exist or is retired.
var ErrNotRegistered = errors.New("not registered")

// Reference is one reference a definition makes to a term ("$ref":
// "term:NAME[@VERSION]") or a reference data set ("refdata": "NAME[@VERSION]").
type Reference struct {
	// In is the term whose document holds the reference ("term:NAME@VERSION"),
	// "" for the definition being compiled: a term's own references were
	// frozen when the term was uploaded.
	In      string `json:"in,omitempty"`
	Kind    string `json:"kind"` // "term" or "refdata"
	Name    string `json:"name"`
	Version string `json:"requested,omitempty"` // as written; "" means the latest active version
}

func (r Reference) key() string { return r.In + "|" + r.Kind + "|" + r.Name + "@" + r.Version }

// Resolver supplies the registered terms and reference data a definition
// names. Uploading resolves an unversioned reference to the latest active
// version; recompiling a stored definition resolves it to its pin.
type Resolver interface {
	Term(ref Reference) (TermDefinition, error)
	RefData(ref Reference) (RefData, error)
}

// Pin is the exact version a reference resolved to, frozen when the
// definition was uploaded.
type Pin struct {
	Reference
	Resolved string `json:"resolved"` // the version used
}

func (p Pin) String() string { return p.Kind + ":" + p.Name + "@" + p.Resolved }

// Form is a compiled form version: its validator, its schema tree for the
// rendering model, and the pins it was compiled with.
type Form struct {
	Def  Definition
	Pins []Pin
	Tree *Node
	// Lang is the language its texts and messages are in ("en" unless
	// LocalizeForm made it).
	Lang string

	schema     *jsonschema.Schema
	docs       map[string]any // resource URL → the document the validator compiled
	dated      []datedField   // fields whose reference data items have validity periods
	fileFields [][]string     // paths of file fields
	rankOnce   sync.Once
	rank       map[string]int
}

// CompiledTerm is a compiled data term.
type CompiledTerm struct {
	Def  TermDefinition
	Pins []Pin
}

// ParseForm decodes an uploaded form definition, refusing unknown top-level
// fields (a misspelt "titel" would otherwise vanish silently).
func ParseForm(raw []byte) (Definition, error) {
	var d Definition
	if err := decodeStrict(raw, &d); err != nil {
		return Definition{}, locateUnknownField(raw, err)
	}
	var p Problems
	p = append(p, requireText("/name", d.Name)...)
	p = append(p, requireText("/version", d.Version)...)
	p = append(p, requireText("/title", d.Title)...)
	if d.CasePrefix != "" && !casePrefixRE.MatchString(d.CasePrefix) {
		p = append(p, Problem{"/casePrefix", fmt.Sprintf("%q must be 2-12 capital letters or digits, starting with a letter", d.CasePrefix)})
	}
	p = append(p, checkAccess(d.Access)...)
	if len(bytes.TrimSpace(d.Schema)) == 0 {
		p = append(p, Problem{"/schema", "a form needs a schema (a JSON Schema 2020-12 object)"})
	}
	if len(p) > 0 {
		return Definition{}, p
	}
	return d, nil
}

// locateUnknownField turns the decoder's "unknown field" (which says no
// more than the name) into the field's pointer inside access or ui.
func locateUnknownField(raw []byte, err error) error {
	var p Problems
	if !errors.As(err, &p) || len(p) != 1 || !strings.HasSuffix(p[0].Message, "is not a field of this document") {
		return err
	}
	var top struct {
		Access json.RawMessage `json:"access"`
		UI     struct {
			Pages  []json.RawMessage          `json:"pages"`
			Fields map[string]json.RawMessage `json:"fields"`
		} `json:"ui"`
	}
	_ = json.Unmarshal(raw, &top)
	where := func(ptr string, part []byte, into any) bool {
		if len(part) == 0 || decodeStrict(part, into) == nil {
			return false
		}
		p[0].Pointer = ptr + p[0].Pointer
		return true
	}
	if where("/access", top.Access, new(Access)) {
		return p
	}
	for i, page := range top.UI.Pages {
		if where(fmt.Sprintf("/ui/pages/%d", i), page, new(UIPage)) {
			return p
		}
	}
	for key, field := range top.UI.Fields {
		if where("/ui/fields/"+escapePointer(key), field, new(UIField)) {
			return p
		}
	}
	return p
}

var casePrefixRE = regexp.MustCompile(`^[A-Z][A-Z0-9]{1,11}$`)

// CompileForm checks an uploaded form definition and compiles its
// validator, resolving and pinning the terms and reference data it names.
// The error is Problems when the definition is refused.
func CompileForm(d Definition, r Resolver) (*Form, error) {
	return compileForm(d, r, true)
}

// CompileStoredForm compiles a version stored earlier. The checks added
// to uploads since (unknown keywords, impossible required names, messages
// for absent keywords: see keywords.go) are not applied, so a version an
// older COP accepted keeps working.
func CompileStoredForm(d Definition, r Resolver) (*Form, error) {
	return compileForm(d, r, false)
}

func compileForm(d Definition, r Resolver, upload bool) (*Form, error) {
	c := newCompilation(r)
	c.upload = upload
	root := c.prepare(formURL(d.Name, d.Version), "", "/schema", d.Schema)
	if len(c.problems) > 0 {
		return nil, c.sortedProblems()
	}
	tree, err := buildTree(d.Schema, c)
	if err != nil {
		return nil, asProblems(err, "/schema")
	}
	if p := validateUI(tree, d.UI); len(p) > 0 {
		return nil, p
	}
	if upload {
		if p := checkFormTranslations(d, tree); len(p) > 0 {
			return nil, p
		}
	}
	schema, err := c.compile(root)
	if err != nil {
		return nil, err
	}
	if upload {
		if p := c.untranslated(d.Languages); len(p) > 0 {
			return nil, p
		}
	}
	return &Form{Def: d, Pins: c.pinList(), Tree: tree, Lang: lang.English, schema: schema, docs: c.docs,
		dated: datedFields(tree, c.refdata), fileFields: fieldPaths(tree, func(n *Node) bool { return n.Format == FileFormat })}, nil
}

// CompileTerm checks a data term and the terms it refers to.
func CompileTerm(t TermDefinition, r Resolver) (*CompiledTerm, error) {
	c := newCompilation(r)
	c.upload = true
	root := c.prepare(termURL(t.Name, t.Version), "", "/schema", t.Schema)
	if len(c.problems) > 0 {
		return nil, c.sortedProblems()
	}
	if _, err := buildTree(t.Schema, c); err != nil {
		return nil, asProblems(err, "/schema")
	}
	if _, err := c.compile(root); err != nil {
		return nil, err
	}
	return &CompiledTerm{Def: t, Pins: c.pinList()}, nil
}

// compilation gathers, for one upload, the documents the validator needs,
// the versions pinned and the problems found.
type compilation struct {
	resolver Resolver
	docs     map[string]any
	pins     map[Pin]bool
	terms    map[string]termDoc        // refKey(in, "term:NAME[@VERSION]") → resolved
	refdata  map[string]RefData        // refKey(in, "NAME[@VERSION]") → resolved
	termDefs map[string]TermDefinition // by id, for their translations
	problems Problems
	// upload: the document is being uploaded, so it gets the checks that
	// only the upload's own document gets (keywords.go), not the stored
	// terms it refers to.
	upload bool
}

type termDoc struct {
	id  string // "term:NAME@VERSION": the context of the references inside it
	url string
	raw json.RawMessage
}

// refKey names a reference as written in one document.
func refKey(in, ref string) string { return in + "|" + ref }

func newCompilation(r Resolver) *compilation {
	return &compilation{resolver: r, docs: map[string]any{}, pins: map[Pin]bool{},
		terms: map[string]termDoc{}, refdata: map[string]RefData{}, termDefs: map[string]TermDefinition{}}
}

const baseURL = "https://cop.invalid/" // .invalid never resolves; nothing is fetched anyway

func formURL(name, version string) string {
	return baseURL + "forms/" + url.PathEscape(name) + "/" + url.PathEscape(version) + ".json"
}

func termURL(name, version string) string {
	return baseURL + "terms/" + url.PathEscape(name) + "/" + url.PathEscape(version) + ".json"
}

// prepare decodes one schema document, checks it (problems located under
// at), resolves what it names, and registers the rewritten copy the
// validator compiles under url. It returns url.
func (c *compilation) prepare(url, in, at string, raw json.RawMessage) string {
	if _, done := c.docs[url]; done {
		return url
	}
	doc, err := decodeJSON(raw)
	if err != nil {
		c.problems = append(c.problems, Problem{at, "the schema is not valid JSON: " + err.Error()})
		return url
	}
	switch doc.(type) {
	case map[string]any, bool:
	default:
		c.problems = append(c.problems, Problem{at, "a schema must be a JSON object (or true/false)"})
		return url
	}
	c.docs[url] = doc // before walking, so a term that refers back to itself is not walked twice
	w := &walker{c: c, in: in, at: at, lint: c.upload && in == ""}
	c.docs[url] = w.schema(doc, "", 0, true)
	if w.lint {
		for _, p := range requiredProblems(doc, "", nil) {
			c.problems = append(c.problems, Problem{at + p.Pointer, p.Message})
		}
	}
	return url
}

// walker checks one schema document and rewrites it for the validator:
// term references become the pinned term's URL, refdata becomes an enum.
type walker struct {
	c     *compilation
	in    string // the document's context: "" or "term:NAME@VERSION"
	at    string // where the document sits in the upload
	nodes int
	lint  bool // the upload's own document: keywords.go's checks too
}

func (w *walker) problem(ptr, format string, args ...any) {
	w.c.problems = append(w.c.problems, Problem{w.at + ptr, fmt.Sprintf(format, args...)})
}

// Keywords whose value is a schema, an array of schemas, or an object of schemas.
var (
	schemaKeywords       = []string{"additionalProperties", "unevaluatedProperties", "items", "contains", "not", "if", "then", "else", "propertyNames", "unevaluatedItems", "contentSchema"}
	schemaListKeywords   = []string{"allOf", "anyOf", "oneOf", "prefixItems"}
	schemaMapKeywords    = []string{"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
	disallowedRefSchemes = []string{"http:", "https:", "file:", "ftp:", "data:", "urn:"}
)

// schema walks one schema node at ptr (relative to the document) and
// returns its rewritten copy.
func (w *walker) schema(v any, ptr string, depth int, root bool) any {
	node, ok := v.(map[string]any)
	if !ok {
		if _, isBool := v.(bool); !isBool {
			w.problem(ptr, "a schema must be a JSON object (or true/false), found %s", jsonType(v))
		}
		return v
	}
	w.nodes++
	if w.nodes == MaxSchemaNodes+1 {
		w.problem(ptr, "the schema has more than %d schema objects; split it into data terms", MaxSchemaNodes)
	}
	if depth > MaxSchemaDepth {
		w.problem(ptr, "the schema nests deeper than %d levels; flatten it or split it into data terms", MaxSchemaDepth)
		return v
	}
	out := make(map[string]any, len(node))
	for k, val := range node {
		out[k] = val
	}
	w.checkIdentity(out, ptr, root)
	w.rewriteRef(out, ptr, "$ref")
	w.rewriteRef(out, ptr, "$dynamicRef")
	w.checkPatterns(out, ptr)
	w.checkFormat(out, ptr)
	w.expandRefData(out, ptr)
	if w.lint {
		w.checkKeywords(out, ptr)
	}
	for _, k := range schemaKeywords {
		if sub, ok := out[k]; ok {
			out[k] = w.schema(sub, ptr+"/"+k, depth+1, false)
		}
	}
	for _, k := range schemaListKeywords {
		if list, ok := out[k].([]any); ok {
			copied := make([]any, len(list))
			for i, sub := range list {
				copied[i] = w.schema(sub, fmt.Sprintf("%s/%s/%d", ptr, k, i), depth+1, false)
			}
			out[k] = copied
		}
	}
	for _, k := range schemaMapKeywords {
		if m, ok := out[k].(map[string]any); ok {
			copied := make(map[string]any, len(m))
			for name, sub := range m {
				copied[name] = w.schema(sub, ptr+"/"+k+"/"+escapePointer(name), depth+1, false)
			}
			out[k] = copied
		}
	}
	return out
}

// checkIdentity enforces the dialect and keeps the document's own URL as
// its identity, so nothing an author writes can make a reference leave it.
func (w *walker) checkIdentity(node map[string]any, ptr string, root bool) {
	if s, ok := node["$schema"]; ok {
		switch {
		case !root:
			w.problem(ptr+"/$schema", "$schema may only appear at the top of the schema")
		case strings.TrimSuffix(fmt.Sprint(s), "#") != Draft202012:
			w.problem(ptr+"/$schema", "%v is not supported: COP accepts JSON Schema 2020-12 only (\"$schema\": %q, or leave $schema out)", s, Draft202012)
		}
	}
	if _, ok := node["$id"]; ok {
		if root {
			delete(node, "$id") // the platform names the document; the author's $id stays in the stored upload
		} else {
			w.problem(ptr+"/$id", "$id is not allowed inside a schema: name shared parts with $defs or register them as data terms")
		}
	}
}

// rewriteRef allows "#…" (this document) and "term:NAME[@VERSION]"
// (registered data terms), and nothing else: no schema makes COP fetch a URL.
func (w *walker) rewriteRef(node map[string]any, ptr, key string) {
	v, ok := node[key]
	if !ok {
		return
	}
	ref, isString := v.(string)
	switch {
	case !isString:
		w.problem(ptr+"/"+key, "%s must be a string", key)
	case strings.HasPrefix(ref, "#"):
	case strings.HasPrefix(ref, "term:"):
		if doc, ok := w.c.term(w.in, ref, w.at+ptr+"/"+key); ok {
			node[key] = doc.url
		}
	default:
		why := "a schema may refer only to its own definitions (\"#/$defs/NAME\") and to registered data terms (\"term:NAME\" or \"term:NAME@VERSION\")"
		for _, scheme := range disallowedRefSchemes {
			if strings.HasPrefix(strings.ToLower(ref), scheme) {
				why += "; COP never fetches a schema from a URL or file"
			}
		}
		w.problem(ptr+"/"+key, "%s %q is not allowed: %s", key, ref, why)
	}
}

// term resolves and pins a term reference, preparing its document too.
func (c *compilation) term(in, ref, at string) (termDoc, bool) {
	if doc, ok := c.terms[refKey(in, ref)]; ok {
		return doc, true
	}
	name, version, _ := strings.Cut(strings.TrimPrefix(ref, "term:"), "@")
	if name == "" {
		c.problems = append(c.problems, Problem{at, fmt.Sprintf("%q names no term: write term:NAME or term:NAME@VERSION", ref)})
		return termDoc{}, false
	}
	r := Reference{In: in, Kind: "term", Name: name, Version: version}
	t, err := c.resolver.Term(r)
	if err != nil {
		c.problems = append(c.problems, Problem{at, unresolved("term", name, version, err)})
		return termDoc{}, false
	}
	id := "term:" + t.Name + "@" + t.Version
	doc := termDoc{id: id, url: termURL(t.Name, t.Version), raw: t.Schema}
	c.terms[refKey(in, ref)] = doc
	c.termDefs[id] = t
	c.pins[Pin{Reference: r, Resolved: t.Version}] = true
	c.prepare(doc.url, id, at+" (in "+id+")", t.Schema)
	return doc, true
}

func unresolved(kind, name, version string, err error) string {
	what := fmt.Sprintf("%s %q", kind, name)
	if version != "" {
		what = fmt.Sprintf("%s %q version %s", kind, name, version)
	}
	if errors.Is(err, ErrNotRegistered) {
		if kind == "term" {
			return what + " is not registered (or is retired): register it at /api/v1/terms first"
		}
		return what + " is not registered (or is retired): register it at /api/v1/refdata first"
	}
	return fmt.Sprintf("cannot read %s: %v", what, err)
}

// checkPatterns compiles every pattern as Go's RE2 will, where the validator
// would otherwise panic or report it far from its source.
func (w *walker) checkPatterns(node map[string]any, ptr string) {
	if p, ok := node["pattern"].(string); ok {
		if _, err := regexp.Compile(p); err != nil {
			w.problem(ptr+"/pattern", "pattern %q is not a regular expression Go (RE2) can use: %s; lookarounds and backreferences are not supported", p, reason(err))
		}
	}
	if props, ok := node["patternProperties"].(map[string]any); ok {
		for p := range props {
			if _, err := regexp.Compile(p); err != nil {
				w.problem(ptr+"/patternProperties/"+escapePointer(p), "pattern %q is not a regular expression Go (RE2) can use: %s", p, reason(err))
			}
		}
	}
}

func reason(err error) string {
	var re *syntax.Error
	if errors.As(err, &re) {
		return re.Code.String() + " " + fmt.Sprintf("%q", re.Expr)
	}
	return err.Error()
}

// checkFormat refuses formats the validator would silently ignore, and
// checks a file field's limits.
func (w *walker) checkFormat(node map[string]any, ptr string) {
	f, ok := node["format"]
	if !ok {
		return
	}
	name, _ := f.(string)
	if !slices.Contains(knownFormats, name) {
		w.problem(ptr+"/format", "format %v is not one COP checks; use one of %s", jsonValue(f), strings.Join(knownFormats, ", "))
		return
	}
	if name != FileFormat {
		return
	}
	if mt, ok := node["contentMediaType"]; ok {
		if s, isString := mt.(string); !isString || !mediaTypeRE.MatchString(s) {
			w.problem(ptr+"/contentMediaType", "contentMediaType must be a media type such as \"application/pdf\" or \"image/*\"")
		}
	}
	if size, ok := node["maxFileSize"]; ok {
		n, isNumber := size.(json.Number)
		bytes, err := n.Int64()
		if !isNumber || err != nil || bytes < 1 || bytes > MaxFileSize {
			w.problem(ptr+"/maxFileSize", "maxFileSize must be a whole number of bytes from 1 to %d", MaxFileSize)
		}
	}
}

var mediaTypeRE = regexp.MustCompile(`^[a-z0-9][a-z0-9!#$&^_.+-]*/(\*|[a-z0-9][a-z0-9!#$&^_.+-]*)$`)

// expandRefData turns "refdata": "NAME[@VERSION]" into the enum of the
// set's codes, pinning the version.
func (w *walker) expandRefData(node map[string]any, ptr string) {
	v, ok := node["refdata"]
	if !ok {
		return
	}
	ref, isString := v.(string)
	if !isString || ref == "" {
		w.problem(ptr+"/refdata", "refdata must name a reference data set: \"NAME\" or \"NAME@VERSION\"")
		return
	}
	if _, hasEnum := node["enum"]; hasEnum {
		w.problem(ptr+"/refdata", "use either refdata or enum, not both")
		return
	}
	set, ok := w.c.refData(w.in, ref, w.at+ptr+"/refdata")
	if !ok {
		return
	}
	codes := make([]any, len(set.Items))
	for i, it := range set.Items {
		codes[i] = it.Code
	}
	node["enum"] = codes
}

func (c *compilation) refData(in, ref, at string) (RefData, bool) {
	if set, ok := c.refdata[refKey(in, ref)]; ok {
		return set, true
	}
	name, version, _ := strings.Cut(ref, "@")
	r := Reference{In: in, Kind: "refdata", Name: name, Version: version}
	set, err := c.resolver.RefData(r)
	if err != nil {
		c.problems = append(c.problems, Problem{at, unresolved("reference data set", name, version, err)})
		return RefData{}, false
	}
	c.refdata[refKey(in, ref)] = set
	c.pins[Pin{Reference: r, Resolved: set.Version}] = true
	return set, true
}

// Ref and RefData make the compilation the tree builder's source, so the
// rendering model sees exactly the versions the validator pinned.
func (c *compilation) Ref(in, ref string) (string, json.RawMessage, error) {
	doc, ok := c.terms[refKey(in, ref)]
	if !ok {
		return "", nil, fmt.Errorf("%s was not resolved", ref)
	}
	return doc.id, doc.raw, nil
}

func (c *compilation) RefData(in, name string) ([]Option, error) {
	set, ok := c.refdata[refKey(in, name)]
	if !ok {
		return nil, fmt.Errorf("reference data %s was not resolved", name)
	}
	opts := make([]Option, len(set.Items))
	for i, it := range set.Items {
		opts[i] = Option{Value: it.Code, Label: it.Label}
	}
	return opts, nil
}

// compile builds the validator from the prepared documents. Nothing is
// ever loaded from outside: every document was registered by prepare.
func (c *compilation) compile(rootURL string) (*jsonschema.Schema, error) {
	jc := jsonschema.NewCompiler()
	jc.Draft = jsonschema.Draft2020
	jc.AssertFormat = true
	jc.Formats[FileFormat] = isFileID
	jc.LoadURL = func(u string) (io.ReadCloser, error) {
		return nil, fmt.Errorf("%s is not a registered term; COP never fetches schemas", u)
	}
	for url, doc := range c.docs {
		b, err := json.Marshal(doc)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", url, err)
		}
		if err := jc.AddResource(url, bytes.NewReader(b)); err != nil {
			return nil, fmt.Errorf("add %s: %w", url, err)
		}
	}
	var schema *jsonschema.Schema
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("%v", r)
			}
		}()
		schema, err = jc.Compile(rootURL)
	}()
	if err != nil {
		return nil, c.schemaProblems(err)
	}
	return schema, nil
}

// schemaProblems turns the validator's refusal into problems located in the
// upload: a meta-schema failure names the offending keyword's pointer.
func (c *compilation) schemaProblems(err error) Problems {
	var ve *jsonschema.ValidationError
	if errors.As(err, &ve) {
		var p Problems
		for _, leaf := range leaves(ve) {
			p = append(p, Problem{"/schema" + leaf.InstanceLocation, "not valid JSON Schema 2020-12: " + leaf.Message})
		}
		// One mistake per keyword: the meta-schema's other alternatives
		// for it ("expected array" beside "must be one of …" for a misspelt
		// type) are follow-ons that would only confuse.
		sort.SliceStable(p, func(i, j int) bool { return p[i].Pointer < p[j].Pointer })
		return slices.CompactFunc(p, func(a, b Problem) bool { return a.Pointer == b.Pointer })
	}
	var loop jsonschema.InfiniteLoopError
	if errors.As(err, &loop) {
		return Problems{{"/schema", "the schema refers to itself in a loop that never reaches a value (" + string(loop) + ")"}}
	}
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "jsonschema: ")
	return Problems{{"/schema", "the schema cannot be compiled: " + msg}}
}

// sortedProblems orders problems by where they are (the walk visits object
// keys in no particular order).
func (c *compilation) sortedProblems() Problems {
	sort.SliceStable(c.problems, func(i, j int) bool { return c.problems[i].Pointer < c.problems[j].Pointer })
	return c.problems
}

func (c *compilation) pinList() []Pin {
	out := make([]Pin, 0, len(c.pins))
	for p := range c.pins {
		out = append(out, p)
	}
	SortPins(out)
	return out
}

// SortPins orders pins the one way COP lists them.
func SortPins(pins []Pin) {
	sort.Slice(pins, func(i, j int) bool { return pins[i].key() < pins[j].key() })
}

// asProblems keeps Problems as they are and locates any other error at ptr.
func asProblems(err error, ptr string) Problems {
	var p Problems
	if errors.As(err, &p) {
		return p
	}
	return Problems{{ptr, err.Error()}}
}

func requireText(ptr, v string) Problems {
	if strings.TrimSpace(v) == "" {
		return Problems{{ptr, strings.TrimPrefix(ptr, "/") + " is required"}}
	}
	return nil
}

func checkAccess(a Access) Problems {
	var p Problems
	for list, entries := range map[string][]string{"start": a.Start, "read": a.Read} {
		for i, e := range entries {
			kind, name, ok := strings.Cut(e, ":")
			if !ok || (kind != "role" && kind != "team") || name == "" {
				p = append(p, Problem{fmt.Sprintf("/access/%s/%d", list, i), fmt.Sprintf("%q must be role:NAME or team:NAME", e)})
			}
		}
	}
	sort.Slice(p, func(i, j int) bool { return p[i].Pointer < p[j].Pointer })
	return p
}

// decodeStrict decodes one JSON object into v, refusing unknown fields and
// trailing data, with the error located.
func decodeStrict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return Problems{jsonProblem(raw, err)}
	}
	if dec.More() {
		return Problems{{"", "the body must hold one JSON object, with nothing after it"}}
	}
	return nil
}

// jsonProblem describes a decoding error of raw as a person would need
// it: where in their file (line and column), not at which byte.
func jsonProblem(raw []byte, err error) Problem {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		line, col := LineAndColumn(raw, syntax.Offset-1) // the offending byte is the last one read
		return Problem{"", fmt.Sprintf("the body is not valid JSON: %s (line %d, column %d)", syntax.Error(), line, col)}
	case errors.As(err, &typ):
		if typ.Field == "" {
			return Problem{"", "the body must be a JSON object, not " + typ.Value}
		}
		ptr := "/" + strings.ReplaceAll(typ.Field, ".", "/")
		return Problem{ptr, fmt.Sprintf("must be %s, not %s", describeGoType(typ.Type.String()), typ.Value)}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return Problem{"/" + field, fmt.Sprintf("%q is not a field of this document", field)}
	case errors.Is(err, io.EOF):
		return Problem{"", "the body is empty; send a JSON object"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Problem{"", "the body is not valid JSON: it ends too soon"}
	}
	return Problem{"", "the body is not valid JSON: " + err.Error()}
}

// LineAndColumn is where the byte after offset bytes of raw stands, both
// counted from 1 (a column counts characters, not bytes).
func LineAndColumn(raw []byte, offset int64) (int, int) {
	offset = min(max(offset, 0), int64(len(raw)))
	before := raw[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	lineStart := bytes.LastIndexByte(before, '\n') + 1
	return line, utf8.RuneCount(before[lineStart:]) + 1
}

func describeGoType(t string) string {
	switch {
	case t == "string":
		return "a string"
	case strings.HasPrefix(t, "[]"):
		return "an array"
	case strings.HasPrefix(t, "map[") || strings.Contains(t, "."):
		return "an object"
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "float"):
		return "a number"
	case t == "bool":
		return "true or false"
	}
	return t
}

// decodeJSON decodes a document keeping numbers exact.
func decodeJSON(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	case bool:
		return "true/false"
	}
	return fmt.Sprintf("%T", v)
}

func jsonValue(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
