package imports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"cop/forms"
)

// FormioOptions say how a Form.io form is imported.
type FormioOptions struct {
	// Name is the form's name; default: the Form.io form's name, else its
	// path, else the file's name, made a form name.
	Name string
	// Title is the form's title; default: the Form.io form's title.
	Title string
	// Form picks one form of a project export (a file listing forms by
	// name under "forms").
	Form string
	// RefData says whether COP has a reference data set of that name: a
	// select that loads its options from a URL becomes a refdata question
	// when a segment of the URL names one.
	RefData func(name string) bool
}

// Limits on a Form.io form beyond the file's size: a form is a tree of
// components, and a hostile one could be a very deep or very wide tree.
const (
	maxFormioComponents = 5000
	maxFormioDepth      = 32
)

// Formio reads a Form.io form (its JSON export: title, name, display and
// components) into a form definition. What it translates is in
// docs/migration.md; everything else is in the report, by the
// component's JSON path and key.
func Formio(file string, content []byte, opt FormioOptions, lim Limits) (Form, error) {
	if int64(len(content)) > lim.MaxBytes {
		return Form{}, fmt.Errorf("%s is %d bytes; an import takes at most %d (the file size limit)", file, len(content), lim.MaxBytes)
	}
	doc, err := decodeFormio(file, content, opt.Form)
	if err != nil {
		return Form{}, err
	}
	x := &formio{file: file, opt: opt, uiFields: object{}}
	return x.build(doc)
}

// decodeFormio reads the file's form: the document itself, or, in a
// project export, the form opt names.
func decodeFormio(file string, content []byte, pick string) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(content))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line, col := forms.LineAndColumn(content, se.Offset-1) // the offending byte is the last one read
			return nil, fmt.Errorf("%s line %d column %d is not JSON: %v", file, line, col, err)
		}
		return nil, fmt.Errorf("%s is not JSON: %v", file, err)
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s is not a Form.io form: a form is a JSON object with its questions under components", file)
	}
	if forms, ok := doc["forms"].(map[string]any); ok && doc["components"] == nil {
		names := make([]string, 0, len(forms))
		for n := range forms {
			names = append(names, n)
		}
		slices.Sort(names)
		if pick == "" {
			return nil, fmt.Errorf("%s is a Form.io project export of %d forms (%s): name the one to import (--form NAME)", file, len(forms), strings.Join(names, ", "))
		}
		f, ok := forms[pick].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s has no form %q; its forms are %s", file, pick, strings.Join(names, ", "))
		}
		doc = f
	} else if pick != "" {
		return nil, fmt.Errorf("%s is one form, not a project export: leave out --form", file)
	}
	if _, ok := doc["components"].([]any); !ok {
		return nil, fmt.Errorf("%s is not a Form.io form: it has no components list (Form.io forms list their questions under components)", file)
	}
	return doc, nil
}

// formio is the translation under way.
type formio struct {
	file     string
	opt      FormioOptions
	report   []Item
	fields   []Field
	uiFields object
	pages    []page
	notes    []string // content outside any page: the form's description
	count    int      // components read, against maxFormioComponents
	wizard   bool
	inPage   bool           // reading a wizard panel's components
	pageIDs  map[string]int // page ids given, and the last number a repeat took
}

// scope is a data object being filled: the form, a container, or one
// entry of a data grid.
type scope struct {
	props    object
	required []string
	allOf    []object
	ptr      string // "" for the form; "/crew" for a grid's entries
	kinds    map[string]string
	revealed map[string]string // a revealed question's controlling question
	pending  []reveal
	taken    map[string]int // keys used, and the last number a repeat took
	reveals  map[string]int // an if's JSON → its allOf entry
}

// A condition a component is shown on, from its own conditional or a
// layout component's around it.
type condition struct {
	show  bool
	when  string
	eq    string
	where string // the component whose conditional it is
	// rootData: the condition reads the form's own data (data.x), so it
	// holds only for questions of the form's top level.
	rootData bool
	// outer is the condition of the layout around it, which must hold too.
	outer *condition
	// untranslated: it has a condition COP cannot translate.
	untranslated bool
	layout       string // the layout component's key, when inherited
}

type reveal struct {
	key      string
	required bool
	cond     condition
}

// Kinds of controlling question a condition can depend on.
const (
	ctlChoice   = "choice"
	ctlBoolean  = "boolean"
	ctlMultiple = "multiple"
	ctlNumber   = "number"
	ctlOther    = "other"
)

func (x *formio) note(where, format string, args ...any) {
	x.report = append(x.report, Item{Where: x.file + " " + where, Why: fmt.Sprintf(format, args...)})
}

func (x *formio) build(doc map[string]any) (Form, error) {
	name, err := x.formName(doc)
	if err != nil {
		return Form{}, err
	}
	title := cmpOr(strings.TrimSpace(x.opt.Title), strings.TrimSpace(str(doc["title"])))
	if title == "" {
		title = words(name)
	}
	x.wizard = str(doc["display"]) == "wizard"
	if d := str(doc["display"]); d != "" && d != "form" && d != "wizard" {
		x.note("$.display", "display %q is not translated: the form is asked as a one-page form", d)
	}
	root := &scope{props: object{}}
	comps, _ := doc["components"].([]any)
	if x.wizard {
		err = x.wizardPages(comps, root)
	} else {
		var order []string
		err = x.walk(comps, "$.components", root, &order, nil, 1)
		if err == nil && len(order) > 0 {
			x.pages = []page{{fields: order}}
		}
	}
	if err != nil {
		return Form{}, err
	}
	x.settle(root)
	def := object{{"name", name}, {"version", "1.0.0"}, {"title", title}}
	desc := "Imported from the Form.io form " + x.file + "."
	if len(x.notes) > 0 {
		desc = strings.Join(x.notes, " ")
	}
	def = append(def, member{"description", desc}, member{"schema", x.schema(root)})
	if ui := x.ui(root); len(ui) > 0 {
		def = append(def, member{"ui", ui})
	}
	b, err := jsonIndent(def)
	if err != nil {
		return Form{}, err
	}
	return Form{Definition: b, Fields: x.fields, Report: x.report}, nil
}

// formName is the option's name, else the form's own made a form name.
func (x *formio) formName(doc map[string]any) (string, error) {
	if x.opt.Name != "" {
		if !formNameRE.MatchString(x.opt.Name) {
			return "", fmt.Errorf("form name %q: use lower-case letters, digits, '.', '_' and '-', starting and ending with a letter or digit", x.opt.Name)
		}
		return x.opt.Name, nil
	}
	stem := strings.TrimSuffix(filepath.Base(x.file), filepath.Ext(x.file))
	for _, c := range []string{str(doc["name"]), str(doc["path"]), stem} {
		if n := FormName(c); n != "" {
			return n, nil
		}
	}
	return "imported-form", nil
}

var (
	camelBoundary   = regexp.MustCompile(`([a-z0-9])([A-Z])`)
	acronymBoundary = regexp.MustCompile(`([A-Z]+)([A-Z][a-z])`)
	notNameChars    = regexp.MustCompile(`[^a-z0-9]+`)
)

// FormName makes a Form.io form's name or path, or a BPMN task's form
// key, a COP form name: "approveClaim", "forms/approve_claim.json" and
// "embedded:app:forms/approve-claim.html" are all "approve-claim", so a
// process imported from BPMN names the form its Form.io import makes.
// It is "" when nothing is left.
func FormName(s string) string {
	s = s[strings.LastIndexAny(s, "/:\\")+1:]
	s = strings.TrimSuffix(s, filepath.Ext(s))
	s = acronymBoundary.ReplaceAllString(camelBoundary.ReplaceAllString(s, "$1-$2"), "$1-$2")
	s = strings.ToLower(s)
	s = strings.Trim(notNameChars.ReplaceAllString(s, "-"), "-")
	if len(s) > 100 {
		s = strings.Trim(s[:100], "-")
	}
	return s
}

// wizardPages reads a wizard: each top-level panel is a page; questions
// outside any panel are asked on a first page of their own.
func (x *formio) wizardPages(comps []any, root *scope) error {
	var loose []string
	for i, raw := range comps {
		c, ok := raw.(map[string]any)
		path := fmt.Sprintf("$.components[%d]", i)
		if !ok {
			x.note(path, "is not a component (an object): left out")
			continue
		}
		if str(c["type"]) != "panel" {
			if err := x.walk([]any{c}, "", root, &loose, nil, 1, path); err != nil {
				return err
			}
			continue
		}
		x.count++
		if x.count > maxFormioComponents {
			return fmt.Errorf("%s has more than %d components; an import takes at most that", x.file, maxFormioComponents)
		}
		key := str(c["key"])
		if truthy(c["hidden"]) {
			x.note(path, "page %q is hidden in Form.io: it and its questions are left out", key)
			continue
		}
		p := page{id: x.uniquePageID(pageID(key, len(x.pages)+1)), title: cmpOr(plain(str(c["title"])), cmpOr(plain(str(c["label"])), words(key)))}
		x.pages = append(x.pages, p)
		idx := len(x.pages) - 1
		x.scriptKeys(c, path, key)
		cond, ok := x.conditionOf(c, path, key)
		var inherit *condition
		if ok {
			cond.layout = key
			inherit = &cond
			x.note(path, "page %q is shown only when %q is %q: COP reveals questions, not pages, so its questions are revealed under that answer where they can be (items below say where not)", key, cond.when, cond.eq)
		}
		children, _ := c["components"].([]any)
		var fields []string
		x.inPage = true
		if err := x.walk(children, path+".components", root, &fields, inherit, 2); err != nil {
			return err
		}
		x.inPage = false
		x.pages[idx].fields = fields
	}
	if len(loose) > 0 {
		x.pages = append([]page{{id: x.uniquePageID("questions"), title: "Questions", fields: loose}}, x.pages...)
	}
	return nil
}

// uniquePageID is id, or id-2, id-3… when an earlier page has it.
func (x *formio) uniquePageID(id string) string {
	if x.pageIDs == nil {
		x.pageIDs = map[string]int{}
	}
	out, n := id, x.pageIDs[id]
	for _, used := x.pageIDs[out]; used; _, used = x.pageIDs[out] {
		n++
		out = fmt.Sprintf("%s-%d", id, n)
	}
	x.pageIDs[id] = max(n, 1)
	x.pageIDs[out] = max(x.pageIDs[out], 1)
	return out
}

func pageID(key string, n int) string {
	if id := FormName(key); id != "" {
		return id
	}
	return fmt.Sprintf("page-%d", n)
}

// walk reads a list of components into sc, listing the top-level
// questions it adds in order (the page's or the form's). inherit is the
// condition of a layout component around them. paths, when given, name
// each component instead of base[i].
func (x *formio) walk(comps []any, base string, sc *scope, order *[]string, inherit *condition, depth int, paths ...string) error {
	if depth > maxFormioDepth {
		return fmt.Errorf("%s %s: components nest more than %d deep; an import takes at most that", x.file, base, maxFormioDepth)
	}
	for i, raw := range comps {
		path := fmt.Sprintf("%s[%d]", base, i)
		if i < len(paths) {
			path = paths[i]
		}
		c, ok := raw.(map[string]any)
		if !ok {
			x.note(path, "is not a component (an object): left out")
			continue
		}
		x.count++
		if x.count > maxFormioComponents {
			return fmt.Errorf("%s has more than %d components; an import takes at most that", x.file, maxFormioComponents)
		}
		if err := x.component(c, path, sc, order, inherit, depth); err != nil {
			return err
		}
	}
	return nil
}

// component reads one component: a layout one's children, a grid or
// container's nested data, a content block's text, or a question.
func (x *formio) component(c map[string]any, path string, sc *scope, order *[]string, inherit *condition, depth int) error {
	typ, key := str(c["type"]), str(c["key"])
	where := fmt.Sprintf("%s (%s)", path, cmpOr(key, typ))
	if typ != "hidden" && typ != "button" && truthy(c["hidden"]) {
		x.note(where, "is hidden in Form.io (a value the form sets, not a question): %q and anything inside it are left out", cmpOr(key, typ))
		return nil
	}
	if p, ok := c["persistent"]; ok && !truthy(p) && truthy(c["input"]) && typ != "button" {
		x.note(where, "is not stored in Form.io (persistent is %v); COP stores every answer, so %q is left out", p, key)
		return nil
	}
	x.scriptKeys(c, where, key)
	cond, has := x.conditionOf(c, where, key)
	if has && inherit != nil {
		// Shown when both hold: COP reveals it on its own condition, which
		// is the same when that condition's question is itself revealed on
		// the outer one (settle checks).
		outer := *inherit
		cond.outer = &outer
	}
	if !has && inherit != nil {
		cond, has = *inherit, true
	}
	var inner *condition
	if has {
		inner = &cond
	}
	switch typ {
	case "panel", "fieldset", "well":
		if has && inherit == nil {
			cond.layout = key
		}
		children, _ := c["components"].([]any)
		return x.walk(children, path+".components", sc, order, inner, depth+1)
	case "columns":
		if has && inherit == nil {
			cond.layout = key
		}
		cols, _ := c["columns"].([]any)
		for j, col := range cols {
			cm, _ := col.(map[string]any)
			children, _ := cm["components"].([]any)
			if err := x.walk(children, fmt.Sprintf("%s.columns[%d].components", path, j), sc, order, inner, depth+1); err != nil {
				return err
			}
		}
		return nil
	case "table":
		if has && inherit == nil {
			cond.layout = key
		}
		rows, _ := c["rows"].([]any)
		for r, row := range rows {
			cells, _ := row.([]any)
			for j, cell := range cells {
				cm, _ := cell.(map[string]any)
				children, _ := cm["components"].([]any)
				if err := x.walk(children, fmt.Sprintf("%s.rows[%d][%d].components", path, r, j), sc, order, inner, depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	case "tabs":
		if has && inherit == nil {
			cond.layout = key
		}
		tabs, _ := c["components"].([]any)
		for j, tab := range tabs {
			tm, _ := tab.(map[string]any)
			children, _ := tm["components"].([]any)
			if err := x.walk(children, fmt.Sprintf("%s.components[%d].components", path, j), sc, order, inner, depth+1); err != nil {
				return err
			}
		}
		return nil
	case "content", "htmlelement":
		x.content(c, where, sc, order)
		return nil
	case "button":
		if a := str(c["action"]); a != "" && a != "submit" {
			x.note(where, "button action %q is not translated: COP's pages have their own Continue and Submit", a)
		}
		return nil
	case "container", "datagrid", "editgrid":
		return x.nested(c, typ, key, path, where, sc, order, cond, has, depth)
	}
	return x.question(c, typ, key, where, sc, order, cond, has)
}

// content keeps a content block's text: as the description of the page
// it is on, or of the form.
func (x *formio) content(c map[string]any, where string, sc *scope, order *[]string) {
	html := cmpOr(str(c["html"]), str(c["content"]))
	text := plain(html)
	if text == "" {
		return
	}
	if lost := richParts.FindAllString(html, -1); len(lost) > 0 {
		x.note(where, "its text is kept as plain text; its %s are not", describeTags(lost))
	}
	if sc.ptr != "" {
		x.note(where, "content inside %q is not kept there: its text goes to the form's description", sc.ptr)
	}
	if x.wizard && x.inPage && order != nil && len(x.pages) > 0 {
		p := &x.pages[len(x.pages)-1]
		p.description = strings.TrimSpace(p.description + " " + text)
		return
	}
	x.notes = append(x.notes, text)
}

var (
	blockRE   = regexp.MustCompile(`(?i)</?(p|div|br|li|ul|ol|h[1-6]|tr|td|th|table|blockquote)\b[^>]*>`)
	tagRE     = regexp.MustCompile(`<[^>]*>`)
	richParts = regexp.MustCompile(`(?i)<(a|img|table|ul|ol|iframe|script)\b`)
	entityMap = strings.NewReplacer("&nbsp;", " ", "&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#39;", "'", "&pound;", "£")
)

// plain is an HTML fragment's text.
func plain(html string) string {
	text := tagRE.ReplaceAllString(blockRE.ReplaceAllString(html, " "), "")
	return strings.Join(strings.Fields(entityMap.Replace(text)), " ")
}

func describeTags(tags []string) string {
	names := map[string]string{"a": "links", "img": "images", "table": "tables", "ul": "lists", "ol": "lists", "iframe": "embedded pages", "script": "scripts"}
	var out []string
	for _, t := range tags {
		n := names[strings.ToLower(strings.TrimPrefix(t, "<"))]
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return strings.Join(out, " and ")
}

// nested reads a container (an object of questions) or a data grid or
// edit grid (a list of entries, each an object of questions).
func (x *formio) nested(c map[string]any, typ, key, path, where string, sc *scope, order *[]string, cond condition, has bool, depth int) error {
	if key == "" {
		x.note(where, "a %s needs a key: it and its questions are left out", typ)
		return nil
	}
	key = x.claim(sc, key, where)
	inner := &scope{props: object{}, ptr: sc.ptr + "/" + escapePointer(key)}
	children, _ := c["components"].([]any)
	if err := x.walk(children, path+".components", inner, nil, nil, depth+1); err != nil {
		return err
	}
	x.settle(inner)
	obj := x.objectSchema(inner)
	label := cmpOr(plain(str(c["label"])), words(key))
	var schema object
	if typ == "container" {
		schema = append(obj, member{"title", label})
	} else {
		schema = object{{"type", "array"}, {"title", label}, {"items", obj}}
		v, _ := c["validate"].(map[string]any)
		if n, ok := count(v["minLength"]); ok && n > 0 {
			schema = append(schema, member{"minItems", n})
		}
		if n, ok := count(v["maxLength"]); ok && n > 0 {
			schema = append(schema, member{"maxItems", n})
		}
		hints := object{}
		if it := plain(cmpOr(str(c["addAnother"]), "")); it != "" && !strings.EqualFold(it, "add another") {
			hints = append(hints, member{"hint", it})
		}
		if len(hints) > 0 {
			x.uiFields = append(x.uiFields, member{inner.ptr, hints})
		}
	}
	if d := plain(cmpOr(str(c["description"]), str(c["tooltip"]))); d != "" {
		x.uiFields = append(x.uiFields, member{inner.ptr, object{{"hint", d}}})
	}
	required := truthy(mapOf(c["validate"])["required"])
	if required && !has && cond.untranslated {
		x.notRequired(reveal{key: key, required: true, cond: condition{where: where}})
		required = false
	}
	sc.props = append(sc.props, member{key, schema})
	x.kind(sc, key, ctlOther)
	x.place(sc, key, required, order, cond, has)
	x.fields = append(x.fields, Field{Column: len(x.fields), Header: label, Property: key, Kind: typ, Required: required})
	return nil
}

// claim is the property a component's key becomes in sc: the key, or,
// when an earlier component of the same object took it, key2.
func (x *formio) claim(sc *scope, key, where string) string {
	if sc.taken == nil {
		sc.taken = map[string]int{}
	}
	if _, ok := sc.taken[key]; !ok {
		sc.taken[key] = 1
		return key
	}
	n := sc.taken[key] + 1
	for {
		if _, ok := sc.taken[fmt.Sprintf("%s%d", key, n)]; !ok {
			break
		}
		n++
	}
	sc.taken[key] = n
	k := fmt.Sprintf("%s%d", key, n)
	sc.taken[k] = 1
	x.note(where, "key %q is used by an earlier component of the same data: this one's answers are stored as %s", key, k)
	return k
}

// place adds a question to its object: required (or required when
// shown), and listed on its page unless a condition reveals it.
func (x *formio) place(sc *scope, key string, required bool, order *[]string, cond condition, has bool) {
	if has {
		sc.pending = append(sc.pending, reveal{key: key, required: required, cond: cond})
	} else if required {
		sc.required = append(sc.required, key)
	}
	if order != nil {
		*order = append(*order, key)
	}
}

func (x *formio) kind(sc *scope, key, kind string) {
	if sc.kinds == nil {
		sc.kinds = map[string]string{}
	}
	sc.kinds[key] = kind
}

// schema is the form's schema: its root object.
func (x *formio) schema(root *scope) object {
	return append(object{{"$schema", "https://json-schema.org/draft/2020-12/schema"}}, x.objectSchema(root)...)
}

func (x *formio) objectSchema(sc *scope) object {
	s := object{{"type", "object"}, {"additionalProperties", false}, {"required", nonNilStrings(sc.required)}, {"properties", sc.props}}
	if len(sc.allOf) > 0 {
		s = append(s, member{"allOf", sc.allOf})
	}
	return s
}

// ui is the form's pages (or order) and hints.
func (x *formio) ui(root *scope) object {
	ui := object{}
	if x.wizard {
		var ps []object
		for _, p := range x.pages {
			fields := slices.DeleteFunc(slices.Clone(p.fields), func(f string) bool { return revealedUnder(root, f) })
			if len(fields) == 0 {
				if p.description != "" || len(p.fields) == 0 {
					x.note("page "+p.id, "the page asks no question of its own, so it is not a page in COP; its text is left out")
				}
				continue
			}
			po := object{{"id", p.id}, {"title", p.title}}
			if p.description != "" {
				po = append(po, member{"description", p.description})
			}
			ps = append(ps, append(po, member{"fields", fields}))
		}
		if len(ps) > 0 {
			ui = append(ui, member{"pages", ps})
		}
	} else if len(x.pages) == 1 {
		order := slices.DeleteFunc(slices.Clone(x.pages[0].fields), func(f string) bool { return revealedUnder(root, f) })
		if len(order) > 0 {
			ui = append(ui, member{"order", order})
		}
	}
	if len(x.uiFields) > 0 {
		ui = append(ui, member{"fields", mergeHints(x.uiFields)})
	}
	return ui
}

// mergeHints joins the hints given for one pointer into one entry.
func mergeHints(fields object) object {
	var out object
	for _, m := range fields {
		i := slices.IndexFunc(out, func(o member) bool { return o.key == m.key })
		if i < 0 {
			out = append(out, member{m.key, slices.Clone(m.value.(object))})
			continue
		}
		entry := out[i].value.(object)
		for _, h := range m.value.(object) {
			if !slices.ContainsFunc(entry, func(e member) bool { return e.key == h.key }) {
				entry = append(entry, h)
			}
		}
		out[i].value = entry
	}
	return out
}

func str(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case json.Number:
		return t.String()
	case bool:
		if t {
			return "true"
		}
		return "false"
	}
	return ""
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// truthy reads Form.io's booleans, which are sometimes strings.
func truthy(v any) bool {
	switch t := v.(type) {
	case bool:
		return t
	case string:
		return t == "true"
	}
	return false
}

// number reads Form.io's numbers, which are often strings ("" for unset).
func number(v any) (float64, bool) {
	switch t := v.(type) {
	case json.Number:
		f, err := t.Float64()
		return f, err == nil && finite(f)
	case string:
		if strings.TrimSpace(t) == "" {
			return 0, false
		}
		f, err := json.Number(strings.TrimSpace(t)).Float64()
		return f, err == nil && finite(f)
	case float64:
		return t, finite(t)
	}
	return 0, false
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) && math.Abs(f) < 1e15 }

// count is a length or count Form.io gives, when it is one: a whole
// number from 0 to a billion.
func count(v any) (int, bool) {
	n, ok := number(v)
	if !ok || n < 0 || n > 1e9 {
		return 0, false
	}
	return int(n), true
}

// escapePointer writes a key as a JSON pointer token.
func escapePointer(key string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(key)
}
