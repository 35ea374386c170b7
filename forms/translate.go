package forms

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"cop/forms/lang"
)

// A definition is written in English. Its text in another language lives
// beside it, never inside the schema (a JSON Schema title must stay one
// string): ui.translations.cy for a form, translations.cy for a term or a
// reference data set, each mapping the JSON pointer of a text in the
// definition to that text in Welsh:
//
//	"/title", "/schema/properties/port/title",
//	"/schema/properties/port/errorMessage/required",
//	"/schema/properties/outcome/oneOf/0/title", "/ui/pages/0/title",
//	"/ui/fields/~1notes/hint", "/items/3/label" (reference data).
//
// A key naming anything else (an enum value, a const, nothing at all) is
// refused at that key. Submissions store answers, not labels, so one
// submission reads in either language.

// Translated is one entry of ui.translations.LANG: a text (the usual
// shape), or a field's label and hint keyed by the field's pointer, as
// COP wrote translations before texts were keyed by pointer; that shape is
// still read, and turned into the pointers of the texts it names.
type Translated struct {
	Text  string
	Field *UIText
}

// UnmarshalJSON takes a string, or a {"label", "hint"} object.
func (t *Translated) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &t.Text); err == nil {
		return nil
	}
	var f UIText
	if err := decodeStrict(b, &f); err != nil {
		return errors.New("a translation is the text in that language (a string)")
	}
	t.Field = &f
	return nil
}

// MarshalJSON writes the shape read.
func (t Translated) MarshalJSON() ([]byte, error) {
	if t.Field != nil {
		return json.Marshal(t.Field)
	}
	return json.Marshal(t.Text)
}

// Offered are the languages a form's pages may be read in: English, and
// those it declares, else those it has translations for.
func (d Definition) Offered() []string {
	out := []string{lang.English}
	add := func(l string) {
		if l != lang.English && slices.Contains(lang.Supported, l) && !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	if len(d.Languages) > 0 {
		for _, l := range d.Languages {
			add(l)
		}
		return out
	}
	if d.UI != nil {
		for _, l := range slices.Sorted(maps.Keys(d.UI.Translations)) {
			add(l)
		}
	}
	return out
}

// languageNames are what a problem calls each language.
var languageNames = map[string]string{lang.English: "English", lang.Welsh: "Welsh"}

// checkLanguages checks a form's languages list: languages COP speaks,
// each once, English among them.
func checkLanguages(langs []string) Problems {
	var p Problems
	seen := map[string]bool{}
	for i, l := range langs {
		at := "/languages/" + strconv.Itoa(i)
		switch {
		case !slices.Contains(lang.Supported, l):
			p = append(p, Problem{at, fmt.Sprintf("language %q is not one COP speaks; use %s", l, strings.Join(lang.Supported, " or "))})
		case seen[l]:
			p = append(p, Problem{at, fmt.Sprintf("language %q is listed twice", l)})
		}
		seen[l] = true
	}
	if len(langs) > 0 && !seen[lang.English] {
		p = append(p, Problem{"/languages", `a form is written in English: list "en" with the languages it is translated into`})
	}
	return p
}

// textPointers are the pointers of every translatable text in a
// definition document (form, term or reference data set).
func textPointers(doc any) map[string]bool {
	out := map[string]bool{}
	top, _ := doc.(map[string]any)
	for _, k := range []string{"title", "description"} {
		if _, ok := top[k].(string); ok {
			out["/"+k] = true
		}
	}
	if s, ok := top["schema"]; ok {
		schemaTexts(s, "/schema", out)
	}
	if items, ok := top["items"].([]any); ok { // reference data
		for i, it := range items {
			if m, ok := it.(map[string]any); ok {
				if _, ok := m["label"].(string); ok {
					out[fmt.Sprintf("/items/%d/label", i)] = true
				}
			}
		}
	}
	if ui, ok := top["ui"].(map[string]any); ok {
		uiTexts(ui, out)
	}
	return out
}

// schemaTexts walks a schema by its keywords, so a property named
// "title" is a question and not a text, and an enum's or a const's
// values are never texts.
func schemaTexts(v any, at string, out map[string]bool) {
	s, ok := v.(map[string]any)
	if !ok {
		return
	}
	for k, val := range s {
		ptr := at + "/" + escapePointer(k)
		switch k {
		case "title", "description":
			if _, ok := val.(string); ok {
				out[ptr] = true
			}
		case "errorMessage":
			switch m := val.(type) {
			case string:
				out[ptr] = true
			case map[string]any:
				for kw, msg := range m {
					if _, ok := msg.(string); ok {
						out[ptr+"/"+escapePointer(kw)] = true
					}
				}
			}
		case "properties", "patternProperties", "$defs", "dependentSchemas":
			if m, ok := val.(map[string]any); ok {
				for name, sub := range m {
					schemaTexts(sub, ptr+"/"+escapePointer(name), out)
				}
			}
		case "allOf", "anyOf", "oneOf", "prefixItems":
			if list, ok := val.([]any); ok {
				for i, sub := range list {
					schemaTexts(sub, ptr+"/"+strconv.Itoa(i), out)
				}
			}
		case "items", "not", "if", "then", "else", "contains", "additionalProperties", "propertyNames",
			"unevaluatedItems", "unevaluatedProperties":
			schemaTexts(val, ptr, out)
		}
	}
}

// uiTexts are the texts of ui: page titles and descriptions, field
// labels, hints and item labels, the confirmation.
func uiTexts(ui map[string]any, out map[string]bool) {
	if _, ok := ui["confirmation"].(string); ok {
		out["/ui/confirmation"] = true
	}
	if pages, ok := ui["pages"].([]any); ok {
		for i, pg := range pages {
			m, _ := pg.(map[string]any)
			for _, k := range []string{"title", "description"} {
				if _, ok := m[k].(string); ok {
					out[fmt.Sprintf("/ui/pages/%d/%s", i, k)] = true
				}
			}
		}
	}
	if fields, ok := ui["fields"].(map[string]any); ok {
		for key, f := range fields {
			m, _ := f.(map[string]any)
			for _, k := range []string{"label", "hint", "itemLabel"} {
				if _, ok := m[k].(string); ok {
					out["/ui/fields/"+escapePointer(key)+"/"+k] = true
				}
			}
		}
	}
}

// checkTextKeys checks one language's translations of a document: each
// key names a text and each value says something.
func checkTextKeys(at string, texts map[string]bool, tr map[string]string) Problems {
	var p Problems
	for _, key := range slices.Sorted(maps.Keys(tr)) {
		where := at + "/" + escapePointer(key)
		switch {
		case !texts[key]:
			p = append(p, Problem{where, fmt.Sprintf("%q names no text of this definition; keys are the JSON pointers of titles, descriptions, hints, labels, error messages and option titles, like \"/schema/properties/port/title\"", key)})
		case strings.TrimSpace(tr[key]) == "":
			p = append(p, Problem{where, "the translation is empty"})
		}
	}
	return p
}

// checkComplete finds each text without a translation into l, at the
// text's own pointer.
func checkComplete(l string, texts map[string]bool, tr map[string]string) Problems {
	var p Problems
	for _, ptr := range slices.Sorted(maps.Keys(texts)) {
		if strings.TrimSpace(tr[ptr]) == "" {
			p = append(p, Problem{ptr, languageNames[l] + " text is missing"})
		}
	}
	return p
}

// formTranslations is a form's translations into l as text pointers, the
// older field-keyed entries turned into the pointers of their texts (edits
// that may add a title beside a $ref, or a hint to ui.fields).
func formTranslations(d Definition, tree *Node, l string) (map[string]string, Problems) {
	if d.UI == nil || len(d.UI.Translations[l]) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	var p Problems
	for _, key := range slices.Sorted(maps.Keys(d.UI.Translations[l])) {
		t := d.UI.Translations[l][key]
		if t.Field == nil {
			out[key] = t.Text
			continue
		}
		at := "/ui/translations/" + escapePointer(l) + "/" + escapePointer(key)
		n := lookupHintKey(tree, key)
		if n == nil {
			p = append(p, Problem{at, fmt.Sprintf("%q names no field of the schema; keys are field pointers without array indices, like \"/crew/name\"", key)})
			continue
		}
		if t.Field.Label != "" {
			if n.Source != "" && n.Ref == "" {
				p = append(p, Problem{at + "/label", fmt.Sprintf("the label of %q is written in a data term: translate it there, or key this text by the pointer of a title in this form", key)})
			} else {
				out["/schema"+n.SchemaPointer+"/title"] = t.Field.Label
			}
		}
		if t.Field.Hint != "" {
			out["/ui/fields/"+escapePointer(key)+"/hint"] = t.Field.Hint
		}
	}
	return out, p
}

// checkFormTranslations checks a form's languages and translations, and,
// for each language it declares, that every text of the form has one.
func checkFormTranslations(d Definition, tree *Node) Problems {
	p := checkLanguages(d.Languages)
	if d.UI == nil && len(d.Languages) < 2 {
		return p
	}
	doc, err := definitionDocument(d)
	if err != nil {
		return append(p, Problem{"/ui/translations", err.Error()})
	}
	texts := textPointers(doc)
	var langs []string
	if d.UI != nil {
		langs = slices.Sorted(maps.Keys(d.UI.Translations))
	}
	for _, l := range langs {
		at := "/ui/translations/" + escapePointer(l)
		if !slices.Contains(lang.Supported, l) || l == lang.English {
			p = append(p, Problem{at, fmt.Sprintf("language %q is not one COP translates into; use %s", l, strings.Join(lang.Supported[1:], ", "))})
			continue
		}
		_, legacy := formTranslations(d, tree, l)
		p = append(p, legacy...)
		plain := map[string]string{}
		for k, t := range d.UI.Translations[l] {
			if t.Field == nil {
				plain[k] = t.Text
			}
		}
		p = append(p, checkTextKeys(at, texts, plain)...)
	}
	for _, l := range d.Languages {
		if l == lang.English || !slices.Contains(lang.Supported, l) {
			continue
		}
		tr, _ := formTranslations(d, tree, l)
		p = append(p, checkComplete(l, texts, tr)...)
	}
	return p
}

// definitionDocument is a form definition as a plain JSON document, for
// pointers into it.
func definitionDocument(d Definition) (any, error) {
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode the form: %w", err)
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("decode the form: %w", err)
	}
	return doc, nil
}

// checkOwnTranslations checks a term's or a reference data set's
// translations: languages COP translates into, keys naming its texts.
func checkOwnTranslations(raw []byte, tr map[string]map[string]string) Problems {
	if len(tr) == 0 {
		return nil
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return Problems{{"/translations", "the definition is not JSON"}}
	}
	texts := textPointers(doc)
	var p Problems
	for _, l := range slices.Sorted(maps.Keys(tr)) {
		at := "/translations/" + escapePointer(l)
		if !slices.Contains(lang.Supported, l) || l == lang.English {
			p = append(p, Problem{at, fmt.Sprintf("language %q is not one COP translates into; use %s", l, strings.Join(lang.Supported[1:], ", "))})
			continue
		}
		p = append(p, checkTextKeys(at, texts, tr[l])...)
	}
	return p
}

// missingIn lists the texts of a term or reference data set with no
// translation into l, for a form that declares l.
func missingIn(raw []byte, tr map[string]map[string]string, l string) []string {
	var doc any
	if json.Unmarshal(raw, &doc) != nil {
		return nil
	}
	var out []string
	for _, p := range checkComplete(l, textPointers(doc), tr[l]) {
		out = append(out, p.Pointer)
	}
	return out
}

// translateDocument returns raw with the text at each pointer of edits
// replaced (or, for the older field-keyed shape, added), key order kept:
// the order of a schema's properties is the order of the questions.
func translateDocument(raw []byte, edits map[string]string) ([]byte, error) {
	if len(edits) == 0 {
		return raw, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	doc, err := decodeOrderedValue(dec) // with UseNumber: numbers kept as written
	if err != nil {
		return nil, fmt.Errorf("decode for translation: %w", err)
	}
	for _, ptr := range slices.Sorted(maps.Keys(edits)) {
		tokens, ok := SplitPointer(ptr)
		if !ok || len(tokens) == 0 {
			continue
		}
		setText(doc, tokens, edits[ptr])
	}
	var b bytes.Buffer
	if err := encodeKept(&b, doc); err != nil {
		return nil, fmt.Errorf("encode the translation: %w", err)
	}
	return b.Bytes(), nil
}

// setText puts text at tokens, making the objects on the way when they
// are missing (a hint added to ui.fields by an older translation).
func setText(v any, tokens []string, text string) {
	for i, tok := range tokens {
		last := i == len(tokens)-1
		switch x := v.(type) {
		case *jsonObject:
			if last {
				if _, ok := x.vals[tok]; !ok {
					x.keys = append(x.keys, tok)
				}
				x.vals[tok] = text
				return
			}
			next, ok := x.vals[tok]
			if !ok {
				next = &jsonObject{vals: map[string]any{}}
				x.keys = append(x.keys, tok)
				x.vals[tok] = next
			}
			v = next
		case []any:
			n, err := strconv.Atoi(tok)
			if err != nil || n < 0 || n >= len(x) {
				return
			}
			if last {
				x[n] = text
				return
			}
			v = x[n]
		default:
			return
		}
	}
}

func encodeKept(w io.Writer, v any) error {
	switch x := v.(type) {
	case *jsonObject:
		if _, err := io.WriteString(w, "{"); err != nil {
			return err
		}
		for i, k := range x.keys {
			if i > 0 {
				io.WriteString(w, ",")
			}
			kb, _ := json.Marshal(k)
			w.Write(kb)
			io.WriteString(w, ":")
			if err := encodeKept(w, x.vals[k]); err != nil {
				return err
			}
		}
		_, err := io.WriteString(w, "}")
		return err
	case []any:
		io.WriteString(w, "[")
		for i, e := range x {
			if i > 0 {
				io.WriteString(w, ",")
			}
			if err := encodeKept(w, e); err != nil {
				return err
			}
		}
		_, err := io.WriteString(w, "]")
		return err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// LocalizeForm is a compiled form in language l: its texts, and those of
// the terms and reference data it uses, in l where they have one, in
// English where they do not. The schema's rules are unchanged (only
// titles, descriptions and messages differ), so it accepts exactly the
// answers the English form accepts, and explains refusals in l. A form
// that does not offer l is returned as it is.
func LocalizeForm(f *Form, l string, r Resolver) (*Form, error) {
	l = lang.Parse(l)
	if l == lang.English || !slices.Contains(f.Def.Offered(), l) {
		return f, nil
	}
	edits, _ := formTranslations(f.Def, f.Tree, l)
	raw, err := json.Marshal(f.Def)
	if err != nil {
		return nil, fmt.Errorf("encode form %s@%s: %w", f.Def.Name, f.Def.Version, err)
	}
	if raw, err = translateDocument(raw, edits); err != nil {
		return nil, fmt.Errorf("translate form %s@%s: %w", f.Def.Name, f.Def.Version, err)
	}
	var d Definition
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("decode form %s@%s in %s: %w", f.Def.Name, f.Def.Version, l, err)
	}
	out, err := compileForm(d, localizing{Resolver: r, lang: l}, false)
	if err != nil {
		return nil, fmt.Errorf("compile form %s@%s in %s: %w", f.Def.Name, f.Def.Version, l, err)
	}
	out.Lang = l
	return out, nil
}

// localizing resolves terms and reference data in one language.
type localizing struct {
	Resolver
	lang string
}

func (r localizing) Term(ref Reference) (TermDefinition, error) {
	t, err := r.Resolver.Term(ref)
	if err != nil || len(t.Translations[r.lang]) == 0 {
		return t, err
	}
	raw, err := json.Marshal(t)
	if err != nil {
		return t, fmt.Errorf("encode term %s: %w", t.Name, err)
	}
	if raw, err = translateDocument(raw, t.Translations[r.lang]); err != nil {
		return t, fmt.Errorf("translate term %s: %w", t.Name, err)
	}
	var out TermDefinition
	if err := json.Unmarshal(raw, &out); err != nil {
		return t, fmt.Errorf("decode term %s in %s: %w", t.Name, r.lang, err)
	}
	return out, nil
}

func (r localizing) RefData(ref Reference) (RefData, error) {
	d, err := r.Resolver.RefData(ref)
	if err != nil || len(d.Translations[r.lang]) == 0 {
		return d, err
	}
	tr := d.Translations[r.lang]
	out := d
	out.Items = slices.Clone(d.Items)
	for i := range out.Items {
		if s := tr[fmt.Sprintf("/items/%d/label", i)]; s != "" {
			out.Items[i].Label = s
		}
	}
	if s := tr["/title"]; s != "" {
		out.Title = s
	}
	if s := tr["/description"]; s != "" {
		out.Description = s
	}
	return out, nil
}

// untranslated finds, for each language a form declares, the texts of the
// terms and reference data it uses that have no translation into it: the
// form's pages would show them in English.
func (c *compilation) untranslated(langs []string) Problems {
	var p Problems
	for i, l := range langs {
		if l == lang.English || !slices.Contains(lang.Supported, l) {
			continue
		}
		at := "/languages/" + strconv.Itoa(i)
		for _, id := range slices.Sorted(maps.Keys(c.termDefs)) {
			t := c.termDefs[id]
			raw, _ := json.Marshal(t)
			for _, ptr := range missingIn(raw, t.Translations, l) {
				if strings.HasPrefix(ptr, "/schema/") {
					p = append(p, Problem{at, fmt.Sprintf("%s text is missing in %s at %s: add it to the term's translations.%s", languageNames[l], id, ptr, l)})
				}
			}
		}
		seen := map[string]bool{}
		for _, key := range slices.Sorted(maps.Keys(c.refdata)) {
			set := c.refdata[key]
			id := "refdata " + set.Name + "@" + set.Version
			if seen[id] {
				continue
			}
			seen[id] = true
			raw, _ := json.Marshal(set)
			for _, ptr := range missingIn(raw, set.Translations, l) {
				if strings.HasPrefix(ptr, "/items/") {
					p = append(p, Problem{at, fmt.Sprintf("%s text is missing in %s at %s: add it to the set's translations.%s", languageNames[l], id, ptr, l)})
				}
			}
		}
	}
	return p
}
