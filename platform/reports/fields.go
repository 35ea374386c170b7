package reports

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"cop/forms"
)

// Field types. A timestamp is grouped by a bucket; a duration is measured
// (seconds), never grouped.
const (
	TypeString    = "string"
	TypeInteger   = "integer"
	TypeNumber    = "number"
	TypeBoolean   = "boolean"
	TypeDate      = "date"
	TypeTimestamp = "timestamp"
	TypeDuration  = "duration"
	// Bucketed dates as the result's columns carry them.
	TypeWeek  = "week"
	TypeMonth = "month"
	// TypeList is a list report's column of a field with several values
	// (a team, checkboxes): an array in JSON.
	TypeList = "list"
)

// Field is one thing a report can filter, group, measure or show: a
// column of the source's view, or an answer by JSON pointer.
type Field struct {
	Name    string
	Type    string
	Label   string
	Multi   bool           // an array: a row counts once in each of its values (team)
	Options []forms.Option // coded values and their labels
	// expr is the field's SQL over the view row r; answers bind their
	// pointer as an argument.
	expr func(b *builder) string
	// text is a date answer's SQL as the text it is stored as
	// (YYYY-MM-DD), which days and months are read from without parsing.
	text func(b *builder) string
}

func isNumeric(t string) bool { return t == TypeInteger || t == TypeNumber }
func isDated(t string) bool   { return t == TypeDate || t == TypeTimestamp }

// column is a field that is a plain column of the view.
func column(name, typ, label, sql string) Field {
	return Field{Name: name, Type: typ, Label: label, expr: func(*builder) string { return sql }}
}

var statusOptions = map[string][]forms.Option{
	SourceTasks: {{Value: "open", Label: "Open"}, {Value: "completed", Label: "Completed"}, {Value: "cancelled", Label: "Cancelled"}},
	SourceInstances: {{Value: "running", Label: "Running"}, {Value: "completed", Label: "Completed"},
		{Value: "faulted", Label: "Faulted"}, {Value: "cancelled", Label: "Cancelled"}},
}

// builtins are each source's own fields, over its view.
func builtins(kind string) []Field {
	team := Field{Name: "team", Type: TypeString, Label: "Team", Multi: true, expr: func(*builder) string { return "r.teams" }}
	switch kind {
	case SourceSubmissions:
		return []Field{
			column("id", TypeString, "Submission", "r.id::text"),
			column("case", TypeString, "Case", "r.case_key"),
			column("formVersion", TypeString, "Form version", "r.form_version"),
			column("submittedBy", TypeString, "Submitted by", "r.submitted_by"),
			column("submitted", TypeTimestamp, "Submitted", "r.submitted_at"),
			team,
		}
	case SourceTasks:
		status := column("status", TypeString, "Status", "r.status")
		status.Options = statusOptions[SourceTasks]
		return []Field{
			column("id", TypeString, "Task", "r.id"),
			column("case", TypeString, "Case", "NULLIF(r.case_key, '')"),
			column("title", TypeString, "Task", "r.title"),
			column("form", TypeString, "Form", "r.form_name"),
			status,
			column("priority", TypeInteger, "Priority", "r.priority"),
			column("assignee", TypeString, "Assigned to", "NULLIF(r.assignee, '')"),
			column("claimedBy", TypeString, "Claimed by", "NULLIF(r.claimed_by, '')"),
			column("completedBy", TypeString, "Completed by", "NULLIF(r.completed_by, '')"),
			column("created", TypeTimestamp, "Created", "r.created_at"),
			column("claimed", TypeTimestamp, "Claimed", "r.claimed_at"),
			column("completed", TypeTimestamp, "Completed", "r.completed_at"),
			column("due", TypeTimestamp, "Due", "r.due"),
			column("overdue", TypeBoolean, "Overdue", "(r.status = 'open' AND r.due < now())"),
			column("version", TypeString, "Workflow version", "r.workflow_version"),
			column("definition", TypeString, "Workflow", "r.namespace || '/' || r.workflow || '@' || r.workflow_version"),
			column("timeToClaim", TypeDuration, "Time to claim", "extract(epoch FROM r.claimed_at - r.created_at)"),
			column("timeToComplete", TypeDuration, "Time to complete", "extract(epoch FROM r.completed_at - r.created_at)"),
			team,
		}
	case SourceInstances:
		status := column("status", TypeString, "Status", "r.status")
		status.Options = statusOptions[SourceInstances]
		return []Field{
			column("id", TypeString, "Instance", "r.id"),
			column("case", TypeString, "Case", "NULLIF(r.case_key, '')"),
			status,
			column("startedBy", TypeString, "Started by", "r.started_by"),
			column("started", TypeTimestamp, "Started", "r.started_at"),
			column("ended", TypeTimestamp, "Ended", "r.ended_at"),
			column("version", TypeString, "Workflow version", "r.version"),
			column("definition", TypeString, "Workflow", "r.namespace || '/' || r.name || '@' || r.version"),
			column("duration", TypeDuration, "Duration", "extract(epoch FROM r.ended_at - r.started_at)"),
			team,
		}
	case SourceCases:
		return []Field{
			column("case", TypeString, "Case", "r.case_key"),
			column("prefix", TypeString, "Case prefix", "split_part(r.case_key, '-', 1)"),
			column("createdBy", TypeString, "Opened by", "r.created_by"),
			column("created", TypeTimestamp, "Opened", "r.created_at"),
		}
	}
	return nil
}

// Catalogue is what one report's source offers: its own fields, and for a
// form's submissions, the answers of the form's latest version.
type Catalogue struct {
	Kind   string
	fields map[string]Field
	form   *forms.Form
	others []*forms.Form
}

// NewCatalogue is the catalogue of a source; form is the compiled latest
// version of a submissions report's form (nil otherwise), and others are
// its other versions, whose answers must have the same types.
func NewCatalogue(kind string, form *forms.Form, others ...*forms.Form) *Catalogue {
	c := &Catalogue{Kind: kind, fields: map[string]Field{}, form: form, others: others}
	for _, f := range builtins(kind) {
		c.fields[f.Name] = f
	}
	return c
}

// Names lists the source's own fields, for messages.
func (c *Catalogue) Names() string {
	var names []string
	for n := range c.fields {
		names = append(names, n)
	}
	sort.Strings(names)
	s := strings.Join(names, ", ")
	if c.form != nil {
		s += ", or an answer by JSON pointer (/port)"
	}
	return s
}

// Lookup finds a field by name, or an answer by pointer; the error says
// why a name is not a field.
func (c *Catalogue) Lookup(name string) (Field, error) {
	if !strings.HasPrefix(name, "/") {
		f, ok := c.fields[name]
		if !ok {
			return Field{}, fmt.Errorf("%q is not a field of %s (known: %s)", name, c.Kind, c.Names())
		}
		return f, nil
	}
	if c.form == nil {
		return Field{}, fmt.Errorf("%q is an answer's pointer, and only a submissions report has answers", name)
	}
	return c.answer(name)
}

// answer is the field of the answer at pointer in the form's latest
// version: its type from the schema, its label as the form shows it, and
// the labels of coded values (options, reference data).
func (c *Catalogue) answer(pointer string) (Field, error) {
	tokens, ok := forms.SplitPointer(pointer)
	if !ok || len(tokens) == 0 {
		return Field{}, fmt.Errorf("%q is not a JSON pointer to an answer", pointer)
	}
	node := c.form.Tree.Lookup(pointer)
	if node == nil {
		return Field{}, fmt.Errorf("form %s@%s has no answer at %s", c.form.Def.Name, c.form.Def.Version, pointer)
	}
	typ, multi := answerKind(node)
	if typ == "" {
		return Field{}, fmt.Errorf("the answer at %s of form %s is a group of answers or a list of them; a report reads single answers, or lists of text such as checkboxes (point inside it)",
			pointer, c.form.Def.Name)
	}
	for _, o := range c.others {
		n := o.Tree.Lookup(pointer)
		if n == nil {
			continue
		}
		ot, omulti := answerKind(n)
		if omulti != multi || (ot != typ && !(isNumeric(ot) && isNumeric(typ))) {
			return Field{}, fmt.Errorf("the answer at %s is %s in version %s of form %s and %s in version %s; a report reads answers of one type",
				pointer, kindWords(ot, omulti), o.Def.Version, c.form.Def.Name, kindWords(typ, multi), c.form.Def.Version)
		}
		if isNumeric(ot) && ot != typ {
			typ = TypeNumber // whole numbers in one version, decimals in another
		}
	}
	f := Field{Name: pointer, Type: typ, Label: forms.FieldLabel(c.form.Tree, c.form.Def.UI, pointer), Options: node.Options, Multi: multi}
	if multi {
		// Each chosen value, as text: a submission counts once in each.
		f.expr = func(b *builder) string {
			return "ARRAY(SELECT jsonb_array_elements_text(r.data #> " + b.arg(tokens) + "::text[]))"
		}
		return f, nil
	}
	f.expr = func(b *builder) string { return answerSQL(typ, answerText(b, tokens)) }
	if typ == TypeDate {
		f.text = func(b *builder) string { return answerText(b, tokens) }
	}
	return f, nil
}

// answerKind is an answer's type, and whether it is a list of text (such
// as checkboxes); "" for groups of answers and lists of anything else.
func answerKind(n *forms.Node) (string, bool) {
	if t := answerType(n); t != "" {
		return t, false
	}
	if slices.Contains(n.Types, "array") && n.Items != nil && answerType(n.Items) == TypeString {
		return TypeString, true
	}
	return "", false
}

func kindWords(t string, multi bool) string {
	if multi {
		return "a list of text"
	}
	return article(t)
}

// answerType is the report type of a schema node; "" for lists and objects.
func answerType(n *forms.Node) string {
	types := n.Types
	if len(types) == 0 && len(n.Options) > 0 {
		switch n.Options[0].Value.(type) {
		case string:
			types = []string{"string"}
		case float64:
			types = []string{"number"}
		case bool:
			types = []string{"boolean"}
		}
	}
	var t string
	for _, x := range types {
		if x == "null" {
			continue
		}
		if t != "" && !(isNumeric(t) && isNumeric(x)) {
			return "" // mixed types: not something to aggregate
		}
		if t == "" || x == "number" {
			t = x
		}
	}
	switch t {
	case "string":
		if n.Format == "date" {
			return TypeDate
		}
		if n.Format == "date-time" {
			return TypeTimestamp
		}
		return TypeString
	case "integer", "number", "boolean":
		return t
	case "":
		if len(types) == 0 {
			return TypeString
		}
	}
	return ""
}

// answerText reads an answer as text: data->>'key' for a top-level
// answer (what a hand-written query would write), else by its path.
func answerText(b *builder, tokens []string) string {
	if len(tokens) == 1 {
		return "(r.data ->> " + b.arg(tokens[0]) + "::text)"
	}
	return "(r.data #>> " + b.arg(tokens) + "::text[])"
}

// answerSQL casts an answer's text to its type. The cast is safe: every
// version of the form gives the answer this type (Catalogue.answer checks),
// and each submission was validated against its version.
func answerSQL(typ, text string) string {
	switch typ {
	case TypeInteger, TypeNumber:
		return text + "::numeric"
	case TypeBoolean:
		return text + "::boolean"
	case TypeDate:
		return text + "::date"
	case TypeTimestamp:
		return text + "::timestamptz"
	}
	return text
}
