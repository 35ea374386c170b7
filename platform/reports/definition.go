// Package reports registers report definitions (kind "report") and runs
// them: COP builds parameterised SQL from a definition over the read
// views the owning services publish (report_submissions, report_tasks,
// report_instances, report_cases), runs it in a read-only transaction with
// a statement timeout and a row cap, and answers rows with their columns'
// types and labels, as JSON or CSV. Authors never write SQL.
package reports

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"cop/forms"
	"cop/workflows"
)

// Kind is the registry kind of report definitions.
const Kind = "report"

// Sources a report reads.
const (
	SourceSubmissions = "submissions"
	SourceTasks       = "tasks"
	SourceInstances   = "instances"
	SourceCases       = "cases"
)

// Chart types.
const (
	ChartBar        = "bar"
	ChartStackedBar = "stacked bar"
	ChartLine       = "line"
	ChartTable      = "table"
)

// Report is a parsed report definition.
type Report struct {
	Name        string
	Version     string
	Title       string
	Description string
	Source      Source
	Params      []Param
	Filters     []Filter
	GroupBy     []Dimension
	Measures    []Measure
	// Columns are what a list report (no groupBy) shows of each row.
	Columns []Column
	// Sort orders the rows by column names, "-name" for descending.
	Sort          []string
	Chart         string
	Read          []string // access.read
	SuppressBelow int
}

// Grouped says whether the report aggregates (groupBy or measures) rather
// than listing rows.
func (r *Report) Grouped() bool { return len(r.GroupBy) > 0 || len(r.Measures) > 0 }

// Source is what a report reads: the submissions of one form, or the
// tasks or instances of one workflow, or the cases holding either.
type Source struct {
	Kind     string
	Form     string // submissions, cases
	Workflow string // tasks, instances, cases: "namespace/name"
}

// Param is one typed parameter, answered like a form's question.
type Param struct {
	Name     string
	Title    string
	Hint     string
	Type     string // string, integer, number, date, boolean
	Options  []forms.Option
	Refdata  string
	Minimum  *float64
	Maximum  *float64
	Multiple bool
	Default  any
	HasDflt  bool
}

// Filter narrows the rows: Field Op Value, where Value is a literal, a
// list (in, between) or "$param" (also inside the list).
type Filter struct {
	Field string
	Op    string
	Value any
	At    string // the filter's pointer
}

// Dimension is one groupBy entry: a field, bucketed by day, isoWeek or
// month when it is a date.
type Dimension struct {
	Field  string
	Bucket string
	Label  string
	Name   string // the column's name
	At     string
	// FieldAt is where the field is named: the entry itself when it is
	// written as a plain string.
	FieldAt string
}

// Measure is one aggregate: count, countDistinct, sum, avg, min, max,
// median, p90, p95.
type Measure struct {
	Op    string
	Field string
	Label string
	Name  string
	At    string
}

// Column is one field a list report shows.
type Column struct {
	Field   string
	Label   string
	Name    string
	At      string
	FieldAt string
}

// Operators, buckets and measure ops, as authors write them.
var (
	operators = []string{"=", "!=", "in", "<", "<=", ">", ">=", "between", "exists"}
	buckets   = []string{"day", "isoWeek", "month"}
	ops       = []string{"count", "countDistinct", "sum", "avg", "min", "max", "median", "p90", "p95"}
	charts    = []string{ChartBar, ChartStackedBar, ChartLine, ChartTable}
	// Parameter names the result's URL uses itself.
	reservedParams = []string{"format", "version"}
	namePattern    = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	identPattern   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,62}$`)
)

// limits bound each list a report has: enough for any report a person
// reads, and a bound on the SQL one upload can make COP write.
var limits = map[string]int{"params": 20, "filters": 50, "groupBy": 4, "measures": 20, "columns": 50, "sort": 10}

// Parse reads a report definition (YAML or JSON) and checks its shape:
// every key known, every value of the right type, every problem at its
// pointer. What the definition names (fields, the source) is checked by
// Check, against the registry.
func Parse(raw []byte) (*Report, error) {
	js, err := workflows.YAMLToJSON(raw)
	if err != nil {
		return nil, forms.Problems{{Pointer: "", Message: err.Error()}}
	}
	var doc any
	if err := json.Unmarshal(js, &doc); err != nil {
		return nil, forms.Problems{{Pointer: "", Message: "the report is not valid JSON: " + err.Error()}}
	}
	p := &parser{}
	r := p.report(doc)
	if len(p.problems) > 0 {
		return nil, p.problems
	}
	return r, nil
}

// JSON is the definition as stored: the upload read as YAML or JSON and
// written as compact JSON.
func JSON(raw []byte) (json.RawMessage, error) { return workflows.YAMLToJSON(raw) }

type parser struct{ problems forms.Problems }

func (p *parser) fail(at, format string, args ...any) {
	p.problems = append(p.problems, forms.Problem{Pointer: at, Message: fmt.Sprintf(format, args...)})
}

// object reads an object and refuses keys outside known.
func (p *parser) object(v any, at, what string, known ...string) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		p.fail(at, "%s must be an object", what)
		return nil, false
	}
	for k := range m {
		if !contains(known, k) {
			p.fail(at+"/"+escape(k), "%q is not a field of %s (known: %s)", k, what, strings.Join(known, ", "))
		}
	}
	return m, true
}

func (p *parser) str(m map[string]any, key, at string, required bool) string {
	v, ok := m[key]
	if !ok {
		if required {
			p.fail(at, "%s is required", key)
		}
		return ""
	}
	s, ok := v.(string)
	if !ok {
		p.fail(at+"/"+key, "%s must be a string", key)
		return ""
	}
	if required && strings.TrimSpace(s) == "" {
		p.fail(at+"/"+key, "%s must not be empty", key)
	}
	return s
}

func (p *parser) list(m map[string]any, key, at string) []any {
	v, ok := m[key]
	if !ok {
		return nil
	}
	l, ok := v.([]any)
	if !ok {
		p.fail(at+"/"+key, "%s must be a list", key)
		return nil
	}
	return l
}

func (p *parser) report(doc any) *Report {
	m, ok := p.object(doc, "", "a report", "name", "version", "title", "description", "source", "params", "filters",
		"groupBy", "measures", "columns", "sort", "chart", "access", "suppressBelow")
	if !ok {
		return nil
	}
	r := &Report{
		Name:        p.str(m, "name", "", true),
		Version:     p.str(m, "version", "", true),
		Title:       p.str(m, "title", "", true),
		Description: p.str(m, "description", "", false),
		Chart:       p.str(m, "chart", "", false),
	}
	if r.Name != "" && !namePattern.MatchString(r.Name) {
		p.fail("/name", "name %q must be lower-case words joined by hyphens, such as seizures-by-port", r.Name)
	}
	if src, ok := m["source"]; ok {
		r.Source = p.source(src)
	} else {
		p.fail("", "source is required: {kind: submissions, form: NAME}, or tasks, instances or cases")
	}
	for key, most := range limits {
		if l, ok := m[key].([]any); ok && len(l) > most {
			p.fail("/"+key, "a report has at most %d %s; this one has %d", most, key, len(l))
			delete(m, key)
		}
	}
	for i, v := range p.list(m, "params", "") {
		r.Params = append(r.Params, p.param(v, fmt.Sprintf("/params/%d", i)))
	}
	for i, v := range p.list(m, "filters", "") {
		r.Filters = append(r.Filters, p.filter(v, fmt.Sprintf("/filters/%d", i)))
	}
	for i, v := range p.list(m, "groupBy", "") {
		r.GroupBy = append(r.GroupBy, p.dimension(v, fmt.Sprintf("/groupBy/%d", i)))
	}
	for i, v := range p.list(m, "measures", "") {
		r.Measures = append(r.Measures, p.measure(v, fmt.Sprintf("/measures/%d", i)))
	}
	for i, v := range p.list(m, "columns", "") {
		r.Columns = append(r.Columns, p.column(v, fmt.Sprintf("/columns/%d", i)))
	}
	for i, v := range p.list(m, "sort", "") {
		s, ok := v.(string)
		if !ok || strings.TrimPrefix(s, "-") == "" {
			p.fail(fmt.Sprintf("/sort/%d", i), "a sort entry is a column name, with - before it for descending")
			continue
		}
		r.Sort = append(r.Sort, s)
	}
	if r.Chart == "" {
		r.Chart = ChartTable
	} else if !contains(charts, r.Chart) {
		p.fail("/chart", "chart %q is not one of: %s", r.Chart, strings.Join(charts, ", "))
	}
	if a, ok := m["access"]; ok {
		if am, ok := p.object(a, "/access", "access", "read"); ok {
			for i, v := range p.list(am, "read", "/access") {
				s, ok := v.(string)
				if !ok || !validEntry(s) {
					p.fail(fmt.Sprintf("/access/read/%d", i), "an access entry is role:NAME or team:NAME")
					continue
				}
				r.Read = append(r.Read, s)
			}
		}
	}
	if len(r.Read) == 0 {
		p.fail("/access", "access.read is required: the roles and teams who read this report (role:NAME, team:NAME)")
	}
	if v, ok := m["suppressBelow"]; ok {
		n, isNum := v.(float64)
		if !isNum || n != float64(int(n)) || n < 1 || n > 1000 {
			p.fail("/suppressBelow", "suppressBelow must be a whole number from 1 to 1000")
		} else {
			r.SuppressBelow = int(n)
		}
	}
	return r
}

func validEntry(s string) bool {
	kind, name, ok := strings.Cut(s, ":")
	return ok && (kind == "role" || kind == "team") && name != "" && !strings.ContainsAny(name, " \t\n")
}

func (p *parser) source(v any) Source {
	m, ok := p.object(v, "/source", "source", "kind", "form", "workflow")
	if !ok {
		return Source{}
	}
	s := Source{Kind: p.str(m, "kind", "/source", true), Form: p.str(m, "form", "/source", false), Workflow: p.str(m, "workflow", "/source", false)}
	switch s.Kind {
	case SourceSubmissions:
		if s.Form == "" {
			p.fail("/source", "a submissions report names its form: {kind: submissions, form: NAME}")
		}
		if s.Workflow != "" {
			p.fail("/source/workflow", "a submissions report reads a form's submissions; workflow does not apply")
		}
	case SourceTasks, SourceInstances:
		if s.Workflow == "" {
			p.fail("/source", "a %s report names its workflow: {kind: %s, workflow: NAMESPACE/NAME}", s.Kind, s.Kind)
		}
		if s.Form != "" {
			p.fail("/source/form", "a %s report reads a workflow's %s; form does not apply", s.Kind, s.Kind)
		}
	case SourceCases:
		if (s.Form == "") == (s.Workflow == "") {
			p.fail("/source", "a cases report names either the form or the workflow whose cases it reads")
		}
	case "":
	default:
		p.fail("/source/kind", "source kind %q is not one of: submissions, tasks, instances, cases", s.Kind)
	}
	if s.Workflow != "" && strings.Count(s.Workflow, "/") != 1 {
		p.fail("/source/workflow", "workflow %q must be NAMESPACE/NAME, such as border-force/seizure-approval", s.Workflow)
	}
	return s
}

func (p *parser) param(v any, at string) Param {
	m, ok := p.object(v, at, "a parameter", "name", "title", "hint", "type", "options", "refdata", "minimum", "maximum", "multiple", "default")
	if !ok {
		return Param{}
	}
	pr := Param{Name: p.str(m, "name", at, true), Title: p.str(m, "title", at, false), Hint: p.str(m, "hint", at, false),
		Type: p.str(m, "type", at, true), Refdata: p.str(m, "refdata", at, false)}
	if pr.Name != "" && !identPattern.MatchString(pr.Name) {
		p.fail(at+"/name", "parameter name %q must be a letter then letters, digits or _", pr.Name)
	}
	if contains(reservedParams, pr.Name) {
		p.fail(at+"/name", "parameter name %q is the result's own query parameter; choose another", pr.Name)
	}
	if pr.Type != "" && !contains([]string{"string", "integer", "number", "date", "boolean"}, pr.Type) {
		p.fail(at+"/type", "parameter type %q is not one of: string, integer, number, date, boolean", pr.Type)
	}
	pr.Minimum = p.number(m, "minimum", at)
	pr.Maximum = p.number(m, "maximum", at)
	if (pr.Minimum != nil || pr.Maximum != nil) && pr.Type != "integer" && pr.Type != "number" {
		p.fail(at, "minimum and maximum apply to integer and number parameters")
	}
	if mv, ok := m["multiple"]; ok {
		b, isBool := mv.(bool)
		if !isBool {
			p.fail(at+"/multiple", "multiple must be true or false")
		}
		pr.Multiple = b
	}
	for i, o := range p.list(m, "options", at) {
		oat := fmt.Sprintf("%s/options/%d", at, i)
		om, ok := p.object(o, oat, "an option", "value", "label")
		if !ok {
			continue
		}
		val, has := om["value"]
		if !has {
			p.fail(oat, "value is required")
		}
		pr.Options = append(pr.Options, forms.Option{Value: val, Label: p.str(om, "label", oat, false)})
	}
	if len(pr.Options) > 0 && pr.Refdata != "" {
		p.fail(at, "a parameter takes its choices from options or from refdata, not both")
	}
	if pr.Multiple && len(pr.Options) == 0 && pr.Refdata == "" {
		p.fail(at+"/multiple", "a parameter with multiple values needs its choices (options or refdata), which the page offers as checkboxes")
	}
	if pr.Title == "" {
		pr.Title = forms.Humanise(pr.Name)
	}
	pr.Default, pr.HasDflt = m["default"]
	return pr
}

func (p *parser) number(m map[string]any, key, at string) *float64 {
	v, ok := m[key]
	if !ok {
		return nil
	}
	n, ok := v.(float64)
	if !ok {
		p.fail(at+"/"+key, "%s must be a number", key)
		return nil
	}
	return &n
}

func (p *parser) filter(v any, at string) Filter {
	m, ok := p.object(v, at, "a filter", "field", "op", "value")
	if !ok {
		return Filter{At: at}
	}
	f := Filter{Field: p.str(m, "field", at, true), Op: p.str(m, "op", at, true), At: at}
	if f.Op != "" && !contains(operators, f.Op) {
		p.fail(at+"/op", "operator %q is not one of: %s", f.Op, strings.Join(operators, " "))
	}
	val, has := m["value"]
	f.Value = val
	switch {
	case f.Op == "exists":
		if has {
			if _, ok := val.(bool); !ok {
				p.fail(at+"/value", "exists takes true (the default) or false")
			}
		} else {
			f.Value = true
		}
	case !has:
		p.fail(at, "value is required: a value, or $name of a parameter")
	case f.Op == "between":
		if l, ok := val.([]any); !ok || len(l) != 2 {
			p.fail(at+"/value", "between takes a list of two values: [low, high]")
		}
	case f.Op == "in":
		if _, isList := val.([]any); !isList && !isParamRef(val) {
			p.fail(at+"/value", "in takes a list of values, or $name of a parameter with multiple: true")
		}
	}
	return f
}

func (p *parser) dimension(v any, at string) Dimension {
	if s, ok := v.(string); ok {
		return Dimension{Field: s, At: at, FieldAt: at}
	}
	m, ok := p.object(v, at, "a groupBy entry", "field", "bucket", "label", "name")
	if !ok {
		return Dimension{At: at}
	}
	d := Dimension{Field: p.str(m, "field", at, true), Bucket: p.str(m, "bucket", at, false),
		Label: p.str(m, "label", at, false), Name: p.str(m, "name", at, false), At: at, FieldAt: at + "/field"}
	if d.Bucket != "" && !contains(buckets, d.Bucket) {
		p.fail(at+"/bucket", "bucket %q is not one of: %s", d.Bucket, strings.Join(buckets, ", "))
	}
	p.columnName(d.Name, at)
	return d
}

func (p *parser) measure(v any, at string) Measure {
	m, ok := p.object(v, at, "a measure", "op", "field", "label", "name")
	if !ok {
		return Measure{At: at}
	}
	ms := Measure{Op: p.str(m, "op", at, true), Field: p.str(m, "field", at, false),
		Label: p.str(m, "label", at, false), Name: p.str(m, "name", at, false), At: at}
	if ms.Op != "" && !contains(ops, ms.Op) {
		p.fail(at+"/op", "measure %q is not one of: %s", ms.Op, strings.Join(ops, ", "))
	}
	if ms.Op != "count" && ms.Op != "" && ms.Field == "" {
		p.fail(at, "%s needs the field it measures", ms.Op)
	}
	if ms.Op == "count" && ms.Field != "" {
		p.fail(at+"/field", "count counts rows; use countDistinct to count a field's distinct values")
	}
	p.columnName(ms.Name, at)
	return ms
}

func (p *parser) column(v any, at string) Column {
	if s, ok := v.(string); ok {
		return Column{Field: s, At: at, FieldAt: at}
	}
	m, ok := p.object(v, at, "a column", "field", "label", "name")
	if !ok {
		return Column{At: at}
	}
	c := Column{Field: p.str(m, "field", at, true), Label: p.str(m, "label", at, false), Name: p.str(m, "name", at, false), At: at, FieldAt: at + "/field"}
	p.columnName(c.Name, at)
	return c
}

func (p *parser) columnName(name, at string) {
	if name != "" && !identPattern.MatchString(name) {
		p.fail(at+"/name", "column name %q must be a letter then letters, digits or _", name)
	}
}

// isParamRef says whether v is "$name", a parameter's value.
func isParamRef(v any) bool {
	s, ok := v.(string)
	return ok && len(s) > 1 && s[0] == '$' && identPattern.MatchString(s[1:])
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func escape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
