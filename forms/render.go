package forms

import (
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"cop/forms/lang"
)

// Field kinds: what control a field is drawn with.
const (
	KindText       = "text"
	KindTextarea   = "textarea"
	KindNumber     = "number"
	KindDate       = "date"
	KindRadios     = "radios"
	KindCheckboxes = "checkboxes"
	KindSelect     = "select"
	KindYesNo      = "yesno"
	KindFile       = "file"
	KindGroup      = "group"
	KindRepeating  = "repeating"
)

// widgets are the kinds ui hints may ask for; groups and repeating groups
// follow from the schema's shape alone.
var widgets = []string{KindText, KindTextarea, KindNumber, KindDate, KindRadios, KindCheckboxes, KindSelect, KindYesNo, KindFile}

const (
	// maxRadios is the most options shown as radios; longer lists are a
	// select, as the GOV.UK Design System advises.
	maxRadios = 10
	// textareaOver is the maxLength above which text gets a textarea.
	textareaOver = 200
	// formatFile marks a string holding an uploaded file's id.
	formatFile = "cop-file"
)

// Page is one page of the form as an officer sees it.
type Page struct {
	ID, Title, Description string
	Fields                 []Field
}

// Field is one question, with everything needed to draw it.
type Field struct {
	Kind     string // one of the Kind constants
	Name     string // property name
	Pointer  string // JSON pointer of the value in data, with real indices: "/crew/0/name"
	Label    string
	Hint     string
	Required bool
	Value    any    // the current value from data (nil when absent)
	Error    string // the first FieldError message for exactly this pointer
	// Options are the choices of radios, checkboxes, select and yesno
	// (values true and false, labelled "Yes" and "No").
	Options []RenderedOption
	// Fields are a group's fields, under the group's pointer.
	Fields []Field
	// Items are a repeating group's existing entries; Template is the fields
	// of a blank new entry, whose pointers use index len(Items).
	Items     []Item
	Template  []Field
	ItemLabel string // what one entry of a repeating group is called
	MinItems  int    // repeating and checkboxes; -1 when absent
	MaxItems  int
	MaxLength int    // text and textarea; -1 when absent (drives the character count)
	Accept    string // file: the accepted media type
	MaxBytes  int64  // file: the schema's maxFileSize, 0 when absent
	Width     string // the GOV.UK width class suffix from ui
	// Messages are the author's errorMessage: by keyword, or under "" one
	// sentence for every keyword.
	Messages map[string]string
	// PageHeading: the page asks only this question, so its label is the
	// page's heading (GOV.UK's one question per page).
	PageHeading bool
}

// Say is the author's message for a failed keyword, else fallback: what
// a page says when it cannot read an answer, in the words the API uses.
func (f Field) Say(keyword, fallback string) string {
	if m, ok := f.Messages[keyword]; ok {
		return m
	}
	if m, ok := f.Messages[""]; ok {
		return m
	}
	return fallback
}

// authorMessages reads a schema's errorMessage.
func authorMessages(raw map[string]any) map[string]string {
	switch m := raw["errorMessage"].(type) {
	case string:
		return map[string]string{"": m}
	case map[string]any:
		out := make(map[string]string, len(m))
		for k, v := range m {
			if s, ok := v.(string); ok {
				out[k] = s
			}
		}
		return out
	}
	return nil
}

// RenderedOption is one choice; Reveals are the conditional questions
// choosing it shows.
type RenderedOption struct {
	Value    any
	Label    string
	Hint     string
	Selected bool
	Reveals  []Field
}

// Item is one existing entry of a repeating group.
type Item struct {
	Index  int
	Fields []Field
}

// Render is the rendering model: the pages of a form, their fields in
// order, each with its current value from data and its error from errs.
// Without ui pages there is one page, "main", whose Title the caller fills.
func Render(root *Node, ui *UI, data any, errs []FieldError) []Page {
	return render(root, ui, data, errs, lang.For(lang.English))
}

func render(root *Node, ui *UI, data any, errs []FieldError, w lang.Words) []Page {
	if root == nil {
		return nil
	}
	r := &renderer{ui: ui, data: data, errs: map[string]string{}, words: w}
	for _, e := range errs {
		if _, dup := r.errs[e.Pointer]; !dup {
			r.errs[e.Pointer] = e.Message
		}
	}
	l := layoutObject(root, ui, "")
	if ui == nil || len(ui.Pages) == 0 {
		return []Page{{ID: "main", Fields: r.fields(l, l.mainOrder(ui), "", "")}}
	}
	pages := make([]Page, 0, len(ui.Pages))
	for _, p := range ui.Pages {
		pages = append(pages, Page{ID: p.ID, Title: p.Title, Description: p.Description,
			Fields: r.fields(l, l.listed(p.Fields), "", "")})
	}
	return pages
}

// PageFields gives, per page id, the top-level property names shown on that
// page, including the fields its conditional questions reveal. Validation
// uses it to validate one page at a time.
func PageFields(root *Node, ui *UI) map[string][]string {
	if root == nil {
		return nil
	}
	l := layoutObject(root, ui, "")
	if ui == nil || len(ui.Pages) == 0 {
		return map[string][]string{"main": l.withReveals(l.mainOrder(ui))}
	}
	out := make(map[string][]string, len(ui.Pages))
	for _, p := range ui.Pages {
		out[p.ID] = append(out[p.ID], l.withReveals(l.listed(p.Fields))...)
	}
	return out
}

// renderer holds what every field of one rendering needs.
type renderer struct {
	ui    *UI
	data  any
	errs  map[string]string // pointer → the first message
	words lang.Words        // COP's own words ("Yes", "No") in the form's language
}

// fields renders the named ordinary properties of the object laid out by l,
// whose value is at ptr and whose ui key is key.
func (r *renderer) fields(l *objectLayout, names []string, ptr, key string) []Field {
	out := make([]Field, 0, len(names))
	for _, name := range names {
		out = append(out, r.property(l, name, l.schemas[name], l.required[name], ptr, key, nil))
	}
	return out
}

// property renders one property of an object with the questions its
// answers reveal. chain holds the properties whose reveals are being drawn,
// so that two questions revealing each other cannot recurse forever.
func (r *renderer) property(l *objectLayout, name string, schema *Node, required bool, ptr, key string, chain []string) Field {
	fptr, fkey := ptr+"/"+escapePointer(name), key+"/"+escapePointer(name)
	f := r.field(name, schema, fptr, fkey, uiHints(r.ui, fkey), required)
	questions := l.questions[name]
	if len(questions) == 0 || slices.Contains(chain, name) {
		return f
	}
	chain = append(chain, name)
	for i := range f.Options {
		opt := &f.Options[i]
		for _, q := range questions {
			for _, rf := range q.revealedBy(opt.Value) {
				if !slices.ContainsFunc(opt.Reveals, func(g Field) bool { return g.Name == rf.name }) {
					opt.Reveals = append(opt.Reveals, r.property(l, rf.name, rf.schema, rf.required, ptr, key, chain))
				}
			}
		}
	}
	return f
}

// field renders the value at ptr described by n, with ui hints h.
func (r *renderer) field(name string, n *Node, ptr, key string, h UIField, required bool) Field {
	if n == nil {
		n = &Node{MinItems: -1, MaxItems: -1, MinLength: -1, MaxLength: -1}
	}
	f := Field{
		Kind:      fieldKind(n, h.Widget),
		Name:      name,
		Pointer:   ptr,
		Label:     fieldLabel(h, n, name),
		Hint:      h.Hint,
		Required:  required,
		Value:     ValueAt(r.data, ptr),
		Error:     r.errs[ptr],
		Width:     h.Width,
		MinItems:  -1,
		MaxItems:  -1,
		MaxLength: -1,
		Messages:  authorMessages(n.Raw),
	}
	if f.Hint == "" {
		f.Hint = n.Description
	}
	switch f.Kind {
	case KindText, KindTextarea:
		f.MaxLength = n.MaxLength
	case KindRadios, KindSelect, KindYesNo:
		f.Options = choices(n, f.Kind, f.Value, r.words)
	case KindCheckboxes:
		f.Options = choices(n, f.Kind, f.Value, r.words)
		f.MinItems, f.MaxItems = n.MinItems, n.MaxItems
	case KindFile:
		f.Accept, f.MaxBytes = n.ContentMediaType, n.MaxFileSize
	case KindGroup:
		l := layoutObject(n, r.ui, key)
		f.Fields = r.fields(l, l.ordinary, ptr, key)
	case KindRepeating:
		r.repeating(&f, n, key, h)
	}
	return f
}

// itemLabel is what one entry of a repeating group labelled label is
// called: the ui hint, else its items' title, else the label made singular.
func itemLabel(h UIField, items *Node, label string) string {
	switch {
	case h.ItemLabel != "":
		return h.ItemLabel
	case items != nil && items.Title != "":
		return items.Title
	}
	return singular(label)
}

// repeating fills in a repeating group: an Item per existing entry and a
// Template for the next.
func (r *renderer) repeating(f *Field, n *Node, key string, h UIField) {
	items := n.items()
	f.MinItems, f.MaxItems = n.MinItems, n.MaxItems
	f.ItemLabel = itemLabel(h, items, f.Label)
	entries, _ := f.Value.([]any)
	for i := range entries {
		f.Items = append(f.Items, Item{Index: i, Fields: r.entry(f.Name, items, f.Pointer+"/"+strconv.Itoa(i), key, f.ItemLabel)})
	}
	f.Template = r.entry(f.Name, items, f.Pointer+"/"+strconv.Itoa(len(entries)), key, f.ItemLabel)
}

// entry renders one entry of a repeating group: the fields of an object,
// or a single field for a list of plain values.
func (r *renderer) entry(name string, items *Node, ptr, key, itemLabel string) []Field {
	if items != nil && fieldKind(items, "") == KindGroup {
		l := layoutObject(items, r.ui, key)
		return r.fields(l, l.ordinary, ptr, key)
	}
	// The list's own hints (its widget, label) are not the entry's.
	return []Field{r.field(name, items, ptr, key, UIField{Label: itemLabel}, false)}
}

// choices are the options of a choice field, marked selected from value.
func choices(n *Node, kind string, value any, w lang.Words) []RenderedOption {
	opts := n.Options
	if len(opts) == 0 && kind == KindCheckboxes {
		if items := n.items(); items != nil {
			opts = items.Options
		}
	}
	if kind == KindYesNo || (len(opts) == 0 && baseType(n) == "boolean") {
		opts = []Option{{Value: true, Label: w.T("answer.yes")}, {Value: false, Label: w.T("answer.no")}}
	}
	out := make([]RenderedOption, len(opts))
	for i, o := range opts {
		out[i] = RenderedOption{Value: o.Value, Label: o.Label, Hint: o.Hint, Selected: isSelected(kind, value, o.Value)}
	}
	return out
}

func isSelected(kind string, value, option any) bool {
	if kind != KindCheckboxes {
		return value != nil && sameJSON(value, option)
	}
	list, _ := value.([]any)
	return slices.ContainsFunc(list, func(v any) bool { return sameJSON(v, option) })
}

// fieldKind infers how a value is drawn; a known ui widget overrides it.
func fieldKind(n *Node, widget string) string {
	if slices.Contains(widgets, widget) {
		return widget
	}
	choice := KindRadios
	if len(n.Options) > maxRadios {
		choice = KindSelect
	}
	switch baseType(n) {
	case "boolean":
		if len(n.Options) > 0 {
			return choice // the author labelled the two answers
		}
		return KindYesNo
	case "number", "integer":
		if len(n.Options) > 0 {
			return choice
		}
		return KindNumber
	case "array":
		if items := n.items(); items != nil && len(items.Options) > 0 {
			return KindCheckboxes
		}
		return KindRepeating
	case "object":
		return KindGroup
	}
	switch {
	case n.Format == "date":
		return KindDate
	case n.Format == formatFile:
		return KindFile
	case len(n.Options) > 0:
		return choice
	case n.MaxLength > textareaOver:
		return KindTextarea
	}
	return KindText
}

// baseType is the JSON type a field holds: its first non-null type, else
// what its other keywords imply, else "" (anything: drawn as text).
func baseType(n *Node) string {
	for _, t := range n.Types {
		if t != "null" {
			return t
		}
	}
	switch {
	case len(n.Properties) > 0:
		return "object"
	case n.Items != nil:
		return "array"
	case n.Format != "":
		return "string"
	case len(n.Options) > 0:
		return jsonTypeOf(n.Options[0].Value)
	case n.HasConst:
		return jsonTypeOf(n.Const)
	}
	return ""
}

func jsonTypeOf(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64, int, int64, json.Number:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return ""
}

// singular makes a list's label name one entry of it, roughly: "Crew
// members" → "Crew member", "Countries" → "Country".
func singular(label string) string {
	lower := strings.ToLower(label)
	switch {
	case strings.HasSuffix(lower, "ies") && len(label) > 3:
		return label[:len(label)-3] + "y"
	case strings.HasSuffix(lower, "sses"), strings.HasSuffix(lower, "xes"),
		strings.HasSuffix(lower, "ches"), strings.HasSuffix(lower, "shes"):
		return label[:len(label)-2]
	case strings.HasSuffix(lower, "s") && !strings.HasSuffix(lower, "ss") && len(label) > 1:
		return label[:len(label)-1]
	}
	return label
}

// sameJSON compares two JSON values, numbers by value whatever Go type
// carries them.
func sameJSON(a, b any) bool {
	fa, aNum := asFloat(a)
	fb, bNum := asFloat(b)
	if aNum || bNum {
		return aNum && bNum && fa == fb
	}
	return reflect.DeepEqual(a, b)
}

func asFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil && !math.IsInf(f, 0)
	}
	return 0, false
}

// objectLayout is how one object's properties become questions: which are
// shown as ordinary fields, which only when an answer reveals them.
type objectLayout struct {
	ordinary  []string         // shown as ordinary fields, in order
	schemas   map[string]*Node // every property shown, ordinary or revealed
	required  map[string]bool  // required by the object (or its allOf)
	questions map[string][]*question
	// revealedBy maps a revealed property to the question that reveals it
	// first.
	revealedBy map[string]string
	// unshaped are the properties only an if/then/else declares whose if
	// is not in the shape that reveals a question: asked as ordinary ones.
	unshaped map[string]bool
}

// question is a conditional question: an if/then/else whose if tests one
// choice field's answer.
type question struct {
	control   string // the property whose answer decides
	values    []any  // the answers that reveal then
	then      []revealedField
	otherwise []revealedField
}

type revealedField struct {
	name     string
	schema   *Node
	required bool
}

// revealedBy is what choosing the option with value v reveals.
func (q *question) revealedBy(v any) []revealedField {
	if slices.ContainsFunc(q.values, func(x any) bool { return sameJSON(x, v) }) {
		return q.then
	}
	return q.otherwise
}

// condition is one if/then/else found at an object.
type condition struct{ ifs, then, otherwise *Node }

// layoutObject lays out the object n, whose ui key is key.
func layoutObject(n *Node, ui *UI, key string) *objectLayout {
	l := &objectLayout{schemas: map[string]*Node{}, required: map[string]bool{},
		questions: map[string][]*question{}, revealedBy: map[string]string{}, unshaped: map[string]bool{}}
	var declared []string
	declare := func(p Property) {
		if _, ok := l.schemas[p.Name]; !ok {
			declared = append(declared, p.Name)
			l.schemas[p.Name] = p.Schema
		}
	}
	var conditions []condition
	var walk func(*Node)
	walk = func(n *Node) {
		for _, p := range n.Properties {
			declare(p)
		}
		for _, r := range n.Required {
			l.required[r] = true
		}
		if n.If != nil {
			conditions = append(conditions, condition{n.If, n.Then, n.Else})
		}
		for _, s := range n.AllOf {
			walk(s)
		}
	}
	walk(n)
	var questions []*question
	var extra []Property // fields only branches declare: shown so they can be answered
	for _, c := range conditions {
		if q := l.asQuestion(c, ui, key); q != nil {
			questions = append(questions, q)
			continue
		}
		for _, p := range slices.Concat(branchProperties(c.then), branchProperties(c.otherwise)) {
			if _, declaredHere := l.schemas[p.Name]; !declaredHere {
				l.unshaped[p.Name] = true
			}
			extra = append(extra, p)
		}
	}
	for _, d := range n.DependentSchemas {
		extra = append(extra, branchProperties(d.Schema)...)
	}
	kept, dropped := rootedQuestions(questions)
	for _, q := range dropped {
		for _, rf := range slices.Concat(q.then, q.otherwise) {
			extra = append(extra, Property{Name: rf.name, Schema: rf.schema})
		}
	}
	for _, q := range kept {
		l.questions[q.control] = append(l.questions[q.control], q)
		for _, rf := range slices.Concat(q.then, q.otherwise) {
			if _, ok := l.revealedBy[rf.name]; !ok {
				l.revealedBy[rf.name] = q.control
			}
			if _, ok := l.schemas[rf.name]; !ok {
				l.schemas[rf.name] = rf.schema
			}
		}
	}
	for _, p := range extra {
		declare(p)
	}
	for _, name := range declared {
		if _, revealed := l.revealedBy[name]; !revealed {
			l.ordinary = append(l.ordinary, name)
		}
	}
	return l
}

// branchProperties are the properties a then/else declares.
func branchProperties(n *Node) []Property {
	if n == nil {
		return nil
	}
	return n.Properties
}

// asQuestion recognises a conditional question: an if of exactly the form
// {"properties": {X: {"const": v}}, "required": [X]} (or "enum": [v...],
// or for checkboxes "contains": {"const": v}) where X is a choice field of
// the object. Any other if only validates, and nil is returned.
func (l *objectLayout) asQuestion(c condition, ui *UI, key string) *question {
	ifs := c.ifs
	if !onlyKeywords(ifs, "properties", "required", "$comment") || len(ifs.Properties) != 1 {
		return nil
	}
	control := ifs.Properties[0].Name
	if len(ifs.Required) != 1 || ifs.Required[0] != control {
		return nil
	}
	schema, declared := l.schemas[control]
	if !declared || schema == nil {
		return nil
	}
	kind := fieldKind(schema, uiHints(ui, key+"/"+escapePointer(control)).Widget)
	test := ifs.Properties[0].Schema
	var values []any
	var ok bool
	switch kind {
	case KindRadios, KindSelect, KindYesNo:
		values, ok = constOrEnum(test)
	case KindCheckboxes:
		if onlyKeywords(test, "contains") && test.Contains != nil {
			values, ok = constOrEnum(test.Contains)
		}
	}
	if !ok {
		return nil
	}
	return &question{control: control, values: values,
		then: l.branchFields(c.then), otherwise: l.branchFields(c.otherwise)}
}

// constOrEnum reads a test of the form {"const": v} or {"enum": [v...]}.
func constOrEnum(n *Node) ([]any, bool) {
	switch {
	case n.HasConst && onlyKeywords(n, "const"):
		return []any{n.Const}, true
	case len(n.Enum) > 0 && onlyKeywords(n, "enum"):
		return n.Enum, true
	}
	return nil, false
}

func onlyKeywords(n *Node, allowed ...string) bool {
	if n == nil || len(n.Raw) == 0 {
		return false
	}
	for k := range n.Raw {
		if !slices.Contains(allowed, k) {
			return false
		}
	}
	return true
}

// branchFields are the fields a then/else adds: its properties, and the
// object's properties it makes required. A property the object declares
// keeps the object's schema, which is where its title and type are.
func (l *objectLayout) branchFields(b *Node) []revealedField {
	if b == nil {
		return nil
	}
	var out []revealedField
	add := func(name string, schema *Node) {
		if slices.ContainsFunc(out, func(rf revealedField) bool { return rf.name == name }) {
			return
		}
		if own, ok := l.schemas[name]; ok && own != nil && len(own.Raw) > 0 {
			schema = own
		}
		out = append(out, revealedField{name: name, schema: schema,
			required: slices.Contains(b.Required, name) || l.required[name]})
	}
	for _, p := range b.Properties {
		add(p.Name, p.Schema)
	}
	for _, name := range b.Required {
		if own, ok := l.schemas[name]; ok {
			add(name, own)
		}
	}
	return out
}

// rootedQuestions keeps the questions an officer can reach: those whose
// control is an ordinary field or revealed by a kept question. Questions
// that only reveal each other in a circle would hide their fields for
// good, so they are dropped and their fields shown as ordinary ones.
func rootedQuestions(qs []*question) (kept, dropped []*question) {
	revealers := map[string][]string{} // field → controls revealing it
	for _, q := range qs {
		for _, rf := range slices.Concat(q.then, q.otherwise) {
			revealers[rf.name] = append(revealers[rf.name], q.control)
		}
	}
	var rooted func(name string, seen []string) bool
	rooted = func(name string, seen []string) bool {
		if slices.Contains(seen, name) {
			return false
		}
		controls, revealed := revealers[name]
		if !revealed {
			return true
		}
		seen = append(seen, name)
		return slices.ContainsFunc(controls, func(c string) bool { return rooted(c, seen) })
	}
	for _, q := range qs {
		if rooted(q.control, nil) {
			kept = append(kept, q)
		} else {
			dropped = append(dropped, q)
		}
	}
	return kept, dropped
}

// mainOrder is the field order of a form without pages: ui.Order first,
// then the fields it leaves out, in schema order.
func (l *objectLayout) mainOrder(ui *UI) []string {
	var order []string
	if ui != nil {
		order = l.listed(ui.Order)
	}
	for _, name := range l.ordinary {
		if !slices.Contains(order, name) {
			order = append(order, name)
		}
	}
	return order
}

// listed keeps the names of a page (or order) that are ordinary fields,
// once each; validateUI reports the rest.
func (l *objectLayout) listed(names []string) []string {
	var out []string
	for _, name := range names {
		if slices.Contains(l.ordinary, name) && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// withReveals adds to names, after each, the fields its answers can reveal.
func (l *objectLayout) withReveals(names []string) []string {
	var out []string
	var add func(string)
	add = func(name string) {
		if slices.Contains(out, name) {
			return
		}
		out = append(out, name)
		for _, q := range l.questions[name] {
			for _, rf := range slices.Concat(q.then, q.otherwise) {
				add(rf.name)
			}
		}
	}
	for _, name := range names {
		add(name)
	}
	return out
}

// WalkFields calls fn for every field of a page, depth first: groups,
// entries of lists (or, with none yet, the template of a list that needs
// some) and revealed questions.
func WalkFields(fs []Field, fn func(*Field)) {
	for i := range fs {
		f := &fs[i]
		fn(f)
		WalkFields(f.Fields, fn)
		for _, item := range f.Items {
			WalkFields(item.Fields, fn)
		}
		if len(f.Items) == 0 && f.MinItems > 0 {
			WalkFields(f.Template, fn)
		}
		for _, opt := range f.Options {
			WalkFields(opt.Reveals, fn)
		}
	}
}

// FindField is the field drawn for a pointer, in groups, entries and
// reveals too; nil when the fields have none.
func FindField(fields []Field, pointer string) *Field {
	var found *Field
	WalkFields(fields, func(f *Field) {
		if found == nil && f.Pointer == pointer {
			found = f
		}
	})
	return found
}
