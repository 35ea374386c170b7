package imports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	formsimports "cop/forms/imports"
)

// formSet gathers the forms the workflow names, once each, in first-use
// order.
type formSet struct {
	list   []Form
	byName map[string]int
}

// add keeps the form build writes under name; a different form already
// holding the name makes it name-2, name-3…, but a stub named twice (two
// tasks with one form key) is one form. It returns the name used.
func (fs *formSet) add(name string, stub bool, build func(name string) json.RawMessage) string {
	if fs.byName == nil {
		fs.byName = map[string]int{}
	}
	base, def := name, build(name)
	for i := 2; ; i++ {
		at, taken := fs.byName[name]
		if !taken {
			break
		}
		if stub && fs.list[at].Stub || string(fs.list[at].Definition) == string(def) {
			return name // the same form, named twice (two tasks, one form key)
		}
		name = fmt.Sprintf("%s-%d", base, i)
		def = build(name)
	}
	fs.byName[name] = len(fs.list)
	fs.list = append(fs.list, Form{Name: name, Definition: def, Stub: stub})
	return name
}

// formFor is the form a user task or start event names: generated from
// its camunda:formData, or a stub standing in for its form key (or for no
// form at all), with the report saying so.
func (b *builder) formFor(n *flowNode, taskName, title string, start bool) string {
	el := n.el
	fallback := kebab(b.wfName+"-"+kebab(taskName, 100), 100)
	if start {
		fallback = kebab(b.wfName+"-start", 100)
	}
	if fd := el.extension(nsCamunda, "formData"); fd != nil {
		schema := b.formDataSchema(n, fd)
		desc := fmt.Sprintf("Imported from BPMN %s (%s, camunda:formData). Check each question before publishing.", b.file, n.id)
		return b.forms.add(fallback, false, func(name string) json.RawMessage {
			return formDefinition(name, title, desc, schema, start)
		})
	}
	key, attr := el.cam("formKey"), "camunda:formKey"
	if key == "" {
		key, attr = el.cam("formRef"), "camunda:formRef"
	}
	switch {
	case key == "":
		name := b.stub(fallback, title, n, start)
		b.rep.add(n.id, "names no form (no camunda:formKey, formRef or formData): the stub form %s (one notes field) stands in for one; write the form it needs before publishing", name)
		return name
	case strings.Contains(key, "${") || strings.Contains(key, "#{"):
		name := b.stub(fallback, title, n, start)
		b.rep.add(n.id+"/"+attr, "the form is chosen by an expression (%s), which COP cannot do (a task's form is pinned when the instance starts): the stub form %s stands in; write the form and name it here", key, name)
		return name
	}
	name := b.stub(formKeyName(key, fallback), title, n, start)
	b.rep.add(n.id+"/"+attr, "%s names a form COP does not have: the stub form %s (one notes field) stands in for it; import the real form (cop import formio) or write it before publishing", key, name)
	return name
}

// stub adds a stub form standing in for one the file does not define.
func (b *builder) stub(name, title string, n *flowNode, start bool) string {
	desc := fmt.Sprintf("A stub imported from BPMN %s (%s): replace it with the real form before publishing.", b.file, n.id)
	return b.forms.add(name, true, func(name string) json.RawMessage {
		return formDefinition(name, title, desc, objectSchema(nil, obj{{"notes", notesField}}), start)
	})
}

// formKeyName makes a form name of a form key's last path segment, without
// its extension: embedded:app:forms/approve-invoice.html → approve-invoice,
// camunda-forms:deployment:approve.form → approve, approveClaim →
// approve-claim.
func formKeyName(key, fallback string) string {
	// One naming with the Form.io importer: the form a key names is the
	// one `cop import formio` makes of it.
	if name := formsimports.FormName(key); name != "" {
		return name
	}
	return fallback
}

// formDefinition writes a form definition in COP's shape.
func formDefinition(name, title, description string, schema obj, start bool) json.RawMessage {
	// A form filled in only inside a task is not offered under Start
	// something new. Saying so for a start form too marks the file a form
	// for tools that tell forms from data terms by their ui.
	def := obj{{"name", name}, {"version", "1.0.0"}, {"title", title}, {"description", description}, {"schema", schema},
		{"ui", obj{{"startable", start}}}}
	raw, _ := marshalJSON(def)
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return raw
	}
	return out.Bytes()
}

// notesField is the stub's one question: long text, so a textarea.
var notesField = obj{{"type", "string"}, {"title", "Notes"}, {"maxLength", 2000}}

func objectSchema(required []string, props obj) obj {
	s := obj{{"$schema", "https://json-schema.org/draft/2020-12/schema"}, {"type", "object"}, {"additionalProperties", false}}
	if len(required) > 0 {
		s = s.with("required", required)
	}
	return s.with("properties", props)
}

// formDataSchema is the schema of a form generated from camunda:formData:
// each formField a question, its constraints the schema's.
func (b *builder) formDataSchema(n *flowNode, fd *element) obj {
	var props obj
	var required []string
	for _, f := range fd.all(nsCamunda, "formField") {
		id := f.attr("", "id")
		switch {
		case id == "":
			b.rep.add(n.id+"/camunda:formField", "a form field without an id was left out")
			continue
		case props.get(id) != nil:
			b.rep.add(n.id+"/camunda:formField "+id, "a second form field with this id was left out")
			continue
		}
		schema, req, keep := b.fieldSchema(f, n.id+"/camunda:formField "+id)
		if !keep {
			continue
		}
		props = props.with(id, schema)
		if req {
			required = append(required, id)
		}
	}
	if fd.attr("", "businessKey") != "" {
		b.rep.add(n.id+"/camunda:formData", "businessKey=%q is not translated: COP gives every case its own business key", fd.attr("", "businessKey"))
	}
	if len(props) == 0 {
		props = obj{{"notes", notesField}}
		b.rep.add(n.id+"/camunda:formData", "no form field is left to ask, so the form has one notes field: check what the task needs")
	}
	return objectSchema(required, props)
}

// fieldSchema is one formField's schema, whether it is required, and
// whether it is asked at all (a read-only field is not: the task's page
// shows what the task was given).
func (b *builder) fieldSchema(f *element, where string) (obj, bool, bool) {
	s := obj{}
	label := oneLine(f.attr("", "label"))
	typ := f.attr("", "type")
	switch typ {
	case "string", "":
		s = s.with("type", "string")
	case "long":
		s = s.with("type", "integer")
	case "boolean":
		s = s.with("type", "boolean")
	case "date":
		s = s.with("type", "string").with("format", "date")
		b.rep.once("date-field", where, "date fields are asked as ISO dates (2026-11-21), where Camunda stores a java.util.Date (dd/MM/yyyy by default): check the expressions that read them")
	case "enum":
		s = s.with("type", "string")
		var options []any
		seen := map[string]bool{}
		for _, v := range f.all(nsCamunda, "value") {
			if seen[v.attr("", "id")] {
				continue // a second option with the same value could never be chosen
			}
			seen[v.attr("", "id")] = true
			opt := obj{{"const", v.attr("", "id")}}
			if t := oneLine(v.attr("", "name")); t != "" {
				opt = opt.with("title", t)
			}
			options = append(options, opt)
		}
		if len(options) > 0 {
			s = s.with("oneOf", options)
		} else {
			b.rep.add(where, "the enum field has no camunda:value, so it is asked as text")
		}
	default:
		s = s.with("type", "string")
		b.rep.add(where, "the field type %q is not one COP knows (string, long, boolean, date, enum): it is asked as text", typ)
	}
	if label != "" {
		s = s.with("title", label)
	}
	if d := f.attr("", "defaultValue"); d != "" {
		b.rep.add(where, "defaultValue %q is not translated: COP forms do not prefill answers", d)
	}
	required := false
	if v := f.child(nsCamunda, "validation"); v != nil {
		for _, c := range v.all(nsCamunda, "constraint") {
			cname, config := c.attr("", "name"), c.attr("", "config")
			switch cname {
			case "required":
				required = true
			case "readonly":
				b.rep.add(where, "the field is read-only (it shows a value rather than asking for one), so it is not asked: a task's page shows the data the task was given")
				return nil, false, false
			case "minlength", "maxlength", "min", "max":
				if kw, val, ok := constraintKeyword(cname, config, typ); ok {
					s = s.with(kw, val)
				} else {
					b.rep.add(where, "the constraint %s=%q is not translated (it needs a whole number, on a field of the right type)", cname, config)
				}
			default:
				b.rep.add(where, "the constraint %q is not translated: write it in the form's schema (pattern, minimum…) if it is needed", cname)
			}
		}
	}
	if f.child(nsCamunda, "properties") != nil {
		b.rep.add(where, "camunda:properties on the field are not translated")
	}
	return s, required, true
}

// constraintKeyword maps minlength, maxlength, min and max to JSON Schema.
func constraintKeyword(name, config, typ string) (string, any, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(config), 10, 64)
	if err != nil {
		return "", nil, false
	}
	text := typ == "string" || typ == ""
	switch {
	case name == "minlength" && text && n >= 0:
		return "minLength", n, true
	case name == "maxlength" && text && n >= 0:
		return "maxLength", n, true
	case name == "min" && typ == "long":
		return "minimum", n, true
	case name == "max" && typ == "long":
		return "maximum", n, true
	}
	return "", nil, false
}
