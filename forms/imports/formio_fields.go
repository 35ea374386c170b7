package imports

import (
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"cop/forms"
)

const (
	timePattern  = `^([01][0-9]|2[0-3]):[0-5][0-9]$`
	phonePattern = `^\+?[0-9][0-9 ()-]{5,29}$`
)

// question reads one question component into sc.
func (x *formio) question(c map[string]any, typ, key, where string, sc *scope, order *[]string, cond condition, has bool) error {
	if !truthy(c["input"]) && c["input"] != nil && typ != "checkbox" {
		x.note(where, "component type %q asks nothing (input is false): left out", typ)
		return nil
	}
	if key == "" {
		x.note(where, "a %s needs a key to store its answer under: left out", typ)
		return nil
	}
	label := cmpOr(plain(str(c["label"])), words(key))
	schema, kind, ok := x.fieldSchema(c, typ, key, label, where)
	if !ok {
		return nil
	}
	key = x.claim(sc, key, where)
	x.keyNotes(c, where, typ)
	schema, required := x.validation(c, schema, where, typ)
	if required && !has && cond.untranslated {
		x.notRequired(reveal{key: key, required: true, cond: condition{where: where}})
		required = false
		schema = slices.DeleteFunc(schema, func(m member) bool { return m.key == "const" && typ == "checkbox" })
	}
	hints := object{}
	if d := plain(cmpOr(str(c["description"]), str(c["tooltip"]))); d != "" {
		hints = append(hints, member{"hint", d})
	}
	if typ == "textarea" {
		hints = append(hints, member{"widget", "textarea"})
	}
	if len(hints) > 0 {
		x.uiFields = append(x.uiFields, member{sc.ptr + "/" + escapePointer(key), hints})
	}
	sc.props = append(sc.props, member{key, append(schema, member{"title", label})})
	x.kind(sc, key, kind)
	x.place(sc, key, required, order, cond, has)
	x.fields = append(x.fields, Field{Column: len(x.fields), Header: label, Property: key, Kind: typ, Required: required})
	if typ == "datetime" && timeAsked(c) && dateAsked(c) {
		// COP asks a date; the time of day is its own question beside it.
		tkey := x.claim(sc, key+"Time", where)
		sc.props = append(sc.props, member{tkey, object{{"type", "string"}, {"pattern", timePattern},
			{"errorMessage", object{{"pattern", "Enter a time like 14:30"}}}, {"title", label + " (time)"}}})
		x.uiFields = append(x.uiFields, member{sc.ptr + "/" + escapePointer(tkey), object{{"hint", "24-hour clock, for example 14:30"}, {"width", "5"}}})
		x.kind(sc, tkey, ctlOther)
		x.place(sc, tkey, required, order, cond, has)
		x.fields = append(x.fields, Field{Column: len(x.fields), Header: label + " (time)", Property: tkey, Kind: "time", Required: required})
	}
	return nil
}

func dateAsked(c map[string]any) bool { return c["enableDate"] == nil || truthy(c["enableDate"]) }
func timeAsked(c map[string]any) bool { return c["enableTime"] == nil || truthy(c["enableTime"]) }

// fieldSchema is a question type's schema (without its title) and what
// kind of control it is for conditions; ok is false when the type is not
// translated (and reported).
func (x *formio) fieldSchema(c map[string]any, typ, key, label, where string) (object, string, bool) {
	switch typ {
	case "textfield", "textarea":
		if truthy(c["multiple"]) {
			x.note(where, "takes several values in Form.io (multiple); COP asks for one")
		}
		return object{{"type", "string"}}, ctlOther, true
	case "email":
		return object{{"type", "string"}, {"format", "email"}, {"maxLength", 254}}, ctlOther, true
	case "phoneNumber":
		return object{{"type", "string"}, {"pattern", phonePattern},
			{"errorMessage", object{{"pattern", "Enter a telephone number, like 01632 960 001 or +44 808 157 0192"}}}}, ctlOther, true
	case "number", "currency":
		v := mapOf(c["validate"])
		if truthy(v["integer"]) || str(c["decimalLimit"]) == "0" {
			return object{{"type", "integer"}}, ctlNumber, true
		}
		return object{{"type", "number"}}, ctlNumber, true
	case "checkbox":
		if str(c["inputType"]) == "radio" {
			x.note(where, "is a checkbox used as a radio button (inputType radio, name %q): COP asks it as yes or no", str(c["name"]))
		}
		return object{{"type", "boolean"}}, ctlBoolean, true
	case "radio":
		opts, ok := x.options(c["values"], where)
		if !ok {
			return nil, "", false
		}
		return object{{"type", "string"}, {"oneOf", opts}}, ctlChoice, true
	case "selectboxes":
		opts, ok := x.options(c["values"], where)
		if !ok {
			return nil, "", false
		}
		return object{{"type", "array"}, {"uniqueItems", true}, {"items", object{{"oneOf", opts}}}}, ctlMultiple, true
	case "select":
		return x.selectSchema(c, where)
	case "datetime":
		if !dateAsked(c) {
			return object{{"type", "string"}, {"pattern", timePattern}, {"errorMessage", object{{"pattern", "Enter a time like 14:30"}}}}, ctlOther, true
		}
		return object{{"type", "string"}, {"format", "date"}}, ctlOther, true
	case "day":
		for _, part := range []string{"day", "month", "year"} {
			if truthy(mapOf(mapOf(c["fields"])[part])["hide"]) {
				x.note(where, "hides its %s (a partial date); COP asks a whole date", part)
			}
		}
		return object{{"type", "string"}, {"format", "date"}}, ctlOther, true
	case "time":
		return object{{"type", "string"}, {"pattern", timePattern}, {"errorMessage", object{{"pattern", "Enter a time like 14:30"}}}}, ctlOther, true
	case "file":
		return x.fileSchema(c, where), ctlOther, true
	case "hidden":
		x.note(where, "is a hidden value (set by the form or an integration, not asked): %q is left out; a workflow can set it", key)
		return nil, "", false
	case "password":
		x.note(where, "is a password: COP's forms do not collect passwords, so %q is left out", key)
		return nil, "", false
	}
	x.note(where, "component type %q is not translated (COP has no %s question); %q is left out", typ, typ, key)
	return nil, "", false
}

// options reads Form.io's [{label, value}] as labelled options.
func (x *formio) options(v any, where string) ([]object, bool) {
	list, _ := v.([]any)
	var opts []object
	seen := map[string]bool{}
	for _, raw := range list {
		o := mapOf(raw)
		value := str(o["value"])
		if value == "" {
			if s, ok := raw.(string); ok {
				value = s
			}
		}
		if value == "" || seen[value] {
			continue
		}
		seen[value] = true
		opts = append(opts, object{{"const", value}, {"title", cmpOr(plain(str(o["label"])), value)}})
	}
	if len(opts) == 0 {
		x.note(where, "has no options (values): left out")
		return nil, false
	}
	return opts, true
}

// selectSchema reads a select: fixed values, a JSON list, or a URL that
// names a reference data set; several answers when multiple.
func (x *formio) selectSchema(c map[string]any, where string) (object, string, bool) {
	data := mapOf(c["data"])
	multiple := truthy(c["multiple"])
	var one object
	switch src := cmpOr(str(c["dataSrc"]), "values"); src {
	case "values", "json":
		raw := data["values"]
		if src == "json" {
			raw = data["json"]
			if s, ok := raw.(string); ok {
				x.note(where, "lists its options as JSON text; give them as values instead: left out (%.40q)", s)
				return nil, "", false
			}
			raw = x.jsonOptions(raw, str(c["valueProperty"]))
		}
		opts, ok := x.options(raw, where)
		if !ok {
			return nil, "", false
		}
		one = object{{"oneOf", opts}}
	case "url":
		name := x.refDataFor(str(data["url"]))
		if name == "" {
			x.note(where, "loads its options from %s; COP has no reference data set named after it, so it is asked as free text: publish the list (cop refdata push) and give the question \"refdata\": NAME", str(data["url"]))
			return object{{"type", "string"}, {"maxLength", 200}}, ctlOther, true
		}
		one = object{{"refdata", name}}
	default:
		x.note(where, "takes its options from %q (dataSrc %s), which COP cannot read: asked as free text", cmpOr(str(data["resource"]), src), src)
		return object{{"type", "string"}, {"maxLength", 200}}, ctlOther, true
	}
	if multiple {
		return object{{"type", "array"}, {"uniqueItems", true}, {"items", one}}, ctlMultiple, true
	}
	return append(object{{"type", "string"}}, one...), ctlChoice, true
}

// jsonOptions reads a JSON data source's items as {label, value}:
// strings, or objects with the value property and a label.
func (x *formio) jsonOptions(raw any, valueProperty string) []any {
	list, _ := raw.([]any)
	var out []any
	for _, it := range list {
		switch t := it.(type) {
		case string:
			out = append(out, map[string]any{"value": t, "label": t})
		case map[string]any:
			v := str(t[cmpOr(valueProperty, "value")])
			out = append(out, map[string]any{"value": v, "label": cmpOr(str(t["label"]), cmpOr(str(t["name"]), v))})
		}
	}
	return out
}

// refDataFor is the reference data set a URL names: the last path
// segment or query value that is a set's name.
func (x *formio) refDataFor(raw string) string {
	if x.opt.RefData == nil || raw == "" {
		return ""
	}
	// Form.io URLs template their hosts: {{ data.refDataUrl }}/v2/ports.
	raw = regexp.MustCompile(`\{\{[^}]*\}\}`).ReplaceAllString(raw, "x")
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	var candidates []string
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	for i := len(segs) - 1; i >= 0; i-- {
		candidates = append(candidates, segs[i])
	}
	for _, vs := range u.Query() {
		candidates = append(candidates, vs...)
	}
	for _, c := range candidates {
		for _, n := range []string{c, FormName(c)} {
			if n != "" && formNameRE.MatchString(n) && x.opt.RefData(n) {
				return n
			}
		}
	}
	return ""
}

var sizeRE = regexp.MustCompile(`^\s*([0-9]+(?:\.[0-9]+)?)\s*([KMG]?B)\s*$`)

// fileSchema is a file question: its size limit and media type when
// Form.io's say them as COP can.
func (x *formio) fileSchema(c map[string]any, where string) object {
	s := object{{"type", "string"}, {"format", "cop-file"}}
	if p := strings.TrimSpace(str(c["filePattern"])); p != "" && p != "*" {
		if strings.Contains(p, "/") && !strings.Contains(p, ",") {
			s = append(s, member{"contentMediaType", p})
		} else {
			x.note(where, "accepts files matching %q; COP's file question takes one media type (image/*, application/pdf): any file is accepted", p)
		}
	}
	if m := sizeRE.FindStringSubmatch(strings.ToUpper(str(c["fileMaxSize"]))); m != nil {
		n, _ := strconv.ParseFloat(m[1], 64)
		n *= map[string]float64{"B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}[m[2]]
		size := int64(min(max(n, 1), 1<<40))
		if size > forms.MaxFileSize {
			x.note(where, "takes files up to %s; COP takes at most %d bytes (%d MiB), so that is its limit", str(c["fileMaxSize"]), forms.MaxFileSize, forms.MaxFileSize>>20)
			size = forms.MaxFileSize
		}
		s = append(s, member{"maxFileSize", size})
	}
	if truthy(c["multiple"]) {
		x.note(where, "takes several files in Form.io; COP's file question takes one")
	}
	return s
}

// keyNotes reports what a question's keys ask that COP does not do.
func (x *formio) keyNotes(c map[string]any, where, typ string) {
	if d := c["defaultValue"]; d != nil && str(d) != "" && str(d) != "false" && !isEmptyValue(d) {
		x.note(where, "default value %v is not kept: COP's questions start empty", d)
	}
	if truthy(c["disabled"]) {
		x.note(where, "is read-only in Form.io (disabled): COP asks it like any question")
	}
	if truthy(c["unique"]) {
		x.note(where, "must be unique across submissions in Form.io; COP does not check that")
	}
	if m := str(c["inputMask"]); m != "" && typ != "phoneNumber" {
		x.note(where, "input mask %q is not kept: add a pattern if answers must have that shape", m)
	}
}

func isEmptyValue(v any) bool {
	switch t := v.(type) {
	case []any:
		return len(t) == 0
	case map[string]any:
		for _, e := range t {
			if truthy(e) {
				return false
			}
		}
		return true
	}
	return false
}

// validation translates validate (required, pattern, lengths, range)
// and the custom messages into the question's schema.
func (x *formio) validation(c map[string]any, schema object, where, typ string) (object, bool) {
	v := mapOf(c["validate"])
	required := truthy(v["required"])
	add := func(kw string, val any) {
		i := slices.IndexFunc(schema, func(m member) bool { return m.key == kw })
		if i >= 0 {
			schema[i].value = val
			return
		}
		schema = append(schema, member{kw, val})
	}
	isString := len(schema) > 0 && schema[0].value == "string"
	isNumber := len(schema) > 0 && (schema[0].value == "number" || schema[0].value == "integer")
	isArray := len(schema) > 0 && schema[0].value == "array"
	var added []string
	if p := str(v["pattern"]); p != "" {
		switch {
		case !isString:
			x.note(where, "pattern %q is for text; this question is not text, so it is left out", p)
		case regexpOK(p):
			// Form.io matches the whole answer (^…$); a schema's pattern
			// matches anywhere.
			add("pattern", "^(?:"+p+")$")
			added = append(added, "pattern")
		default:
			x.note(where, "pattern %q is not one Go's RE2 can run (JavaScript's lookaheads and back-references are not): it is left out", p)
		}
	}
	for _, kv := range []struct{ formio, kw string }{{"minLength", "minLength"}, {"maxLength", "maxLength"}} {
		if n, ok := count(v[kv.formio]); ok && isString {
			add(kv.kw, n)
			added = append(added, kv.kw)
		}
	}
	for _, kv := range []struct{ formio, kw string }{{"min", "minimum"}, {"max", "maximum"}} {
		if n, ok := number(v[kv.formio]); ok && isNumber {
			add(kv.kw, n)
			added = append(added, kv.kw)
		}
	}
	for _, kv := range []struct{ formio, kw string }{{"minSelectedCount", "minItems"}, {"maxSelectedCount", "maxItems"}} {
		if n, ok := count(v[kv.formio]); ok && n > 0 && isArray {
			add(kv.kw, n)
			added = append(added, kv.kw)
		}
	}
	for _, k := range []string{"minWords", "maxWords"} {
		if _, ok := number(v[k]); ok {
			x.note(where, "validate.%s is not translated (COP counts characters, not words)", k)
		}
	}
	if required {
		added = append(added, "required")
		switch typ {
		case "checkbox":
			// Form.io's required checkbox must be ticked.
			add("const", true)
			added = append(added, "const")
			if plain(str(v["customMessage"])) == "" {
				schema = withMessage(schema, "const", "Select yes to confirm: "+plain(cmpOr(str(c["label"]), "this")))
			}
		case "selectboxes":
			if !slices.ContainsFunc(schema, func(m member) bool { return m.key == "minItems" }) {
				add("minItems", 1)
				added = append(added, "minItems")
			}
		}
	}
	if msg := plain(str(v["customMessage"])); msg != "" {
		for _, kw := range added {
			schema = withMessage(schema, kw, msg)
		}
	}
	// Form.io's errors object names a message per check.
	errs := mapOf(c["errors"])
	for _, fkw := range slices.Sorted(maps.Keys(errs)) {
		msg := errs[fkw]
		kw := map[string]string{"required": "required", "pattern": "pattern", "minLength": "minLength", "maxLength": "maxLength", "min": "minimum", "max": "maximum"}[fkw]
		if kw == "" || !slices.Contains(added, kw) {
			x.note(where, "error message for %q is not kept (COP has no such check here)", fkw)
			continue
		}
		schema = withMessage(schema, kw, plain(str(msg)))
	}
	return schema, required
}

func regexpOK(p string) bool {
	_, err := regexp.Compile(p)
	return err == nil
}

// scriptKeys reports the JavaScript a component carries: COP runs none.
func (x *formio) scriptKeys(c map[string]any, where, key string) {
	for _, k := range []string{"calculateValue", "customDefaultValue"} {
		if s := strings.TrimSpace(str(c[k])); s != "" {
			x.note(where, "%s is JavaScript (%.60q), which COP does not run: it is not translated", k, s)
		}
	}
	if l, ok := c["logic"].([]any); ok && len(l) > 0 {
		x.note(where, "has %d logic rule(s) (triggers and actions), which COP does not run: not translated", len(l))
	}
	v := mapOf(c["validate"])
	if s := strings.TrimSpace(str(v["custom"])); s != "" {
		x.note(where, "validate.custom is JavaScript (%.60q), which COP does not run: not translated", s)
	}
	if j, ok := v["json"]; ok && j != nil && str(j) != "" && !isEmptyValue(j) {
		x.note(where, "validate.json (JSON Logic) is not translated")
	}
	if j, ok := mapOf(c["conditional"])["json"]; ok && j != nil && str(j) != "" && !isEmptyValue(j) {
		x.note(where, "conditional.json (JSON Logic) is not translated: the question is asked always")
	}
}
