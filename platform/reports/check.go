package reports

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"cop/forms"
)

// Plan is a checked report: each field it names resolved in its source's
// catalogue, and the columns its result has.
type Plan struct {
	Report   *Report
	Filters  []planFilter
	Dims     []planDim
	Measures []planMeasure
	Shown    []planColumn // list reports
	Columns  []OutColumn
	params   map[string]*Param
}

type planFilter struct {
	Filter
	field Field
}

type planDim struct {
	Dimension
	field Field
}

type planMeasure struct {
	Measure
	field Field // zero for count
}

type planColumn struct {
	Column
	field Field
}

// OutColumn is one column of a result.
type OutColumn struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	Type  string `json:"type"`
	// Labels names the coded values of an answer or status column
	// (GBDVR: Dover), for those who show them.
	Labels  map[string]string `json:"labels,omitempty"`
	Measure bool              `json:"measure,omitempty"`
}

// Check resolves what the report names against its source's catalogue:
// an unknown field or answer pointer, a measure of the wrong type, an
// operator the field's type cannot take, an undeclared parameter. Every
// problem is at its pointer.
func Check(r *Report, cat *Catalogue) (*Plan, forms.Problems) {
	c := &checker{plan: &Plan{Report: r, params: map[string]*Param{}}, cat: cat, used: map[string]bool{}}
	c.params()
	for _, f := range r.Filters {
		c.filter(f)
	}
	if r.Grouped() {
		for _, d := range r.GroupBy {
			c.dimension(d)
		}
		for _, m := range r.Measures {
			c.measure(m)
		}
		if len(r.Measures) == 0 {
			c.fail("/measures", "a report that groups rows needs at least one measure, such as {op: count}")
		}
		if len(r.Columns) > 0 {
			c.fail("/columns", "columns are what a list report shows of each row; a report with groupBy or measures shows its groups")
		}
	} else {
		if len(r.Columns) == 0 {
			c.fail("", "a report either groups rows (groupBy and measures) or lists them (columns)")
		}
		for _, col := range r.Columns {
			c.column(col)
		}
		if r.SuppressBelow > 0 {
			c.fail("/suppressBelow", "suppressBelow hides small groups; a list report has none")
		}
	}
	c.sort()
	c.chart()
	for _, p := range r.Params {
		if p.Name != "" && !c.used[p.Name] {
			c.fail(c.paramAt[p.Name], "parameter %q is declared but no filter uses it", p.Name)
		}
	}
	if len(c.problems) > 0 {
		return nil, c.problems
	}
	return c.plan, nil
}

type checker struct {
	plan     *Plan
	cat      *Catalogue
	problems forms.Problems
	used     map[string]bool
	paramAt  map[string]string
	names    map[string]string // column name → where it was named
}

func (c *checker) fail(at, format string, args ...any) {
	c.problems = append(c.problems, forms.Problem{Pointer: at, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) params() {
	c.paramAt = map[string]string{}
	for i := range c.plan.Report.Params {
		p := &c.plan.Report.Params[i]
		at := fmt.Sprintf("/params/%d", i)
		if prev, dup := c.paramAt[p.Name]; dup {
			c.fail(at+"/name", "parameter %q is declared twice (also at %s)", p.Name, prev)
			continue
		}
		c.paramAt[p.Name] = at
		c.plan.params[p.Name] = p
	}
}

func (c *checker) lookup(name, at string) (Field, bool) {
	if name == "" {
		return Field{}, false
	}
	f, err := c.cat.Lookup(name)
	if err != nil {
		c.fail(at, "%s", err.Error())
		return Field{}, false
	}
	return f, true
}

// filter checks that the field takes the operator and each value fits the
// field's type.
func (c *checker) filter(f Filter) {
	field, ok := c.lookup(f.Field, f.At+"/field")
	if !ok || f.Op == "" {
		return
	}
	switch f.Op {
	case "<", "<=", ">", ">=", "between":
		if !isNumeric(field.Type) && !isDated(field.Type) && field.Type != TypeDuration {
			c.fail(f.At+"/op", "%s compares numbers and dates; %s is %s", f.Op, f.Field, article(field.Type))
			return
		}
	case "=", "!=", "in":
		if field.Type == TypeTimestamp || field.Type == TypeDuration {
			c.fail(f.At+"/op", "%s is %s: compare it with <, <=, >, >= or between", f.Field, article(field.Type))
			return
		}
	}
	switch v := f.Value.(type) {
	case []any:
		if f.Op != "in" && f.Op != "between" {
			c.fail(f.At+"/value", "%s takes one value, not a list", f.Op)
			return
		}
		for i, x := range v {
			c.value(x, field, f.At+fmt.Sprintf("/value/%d", i), false)
		}
	default:
		if f.Op != "exists" {
			c.value(v, field, f.At+"/value", f.Op == "in")
		}
	}
	c.plan.Filters = append(c.plan.Filters, planFilter{Filter: f, field: field})
}

// value checks one filter value, a literal or $param, against the field.
func (c *checker) value(v any, field Field, at string, list bool) {
	if isParamRef(v) {
		name := v.(string)[1:]
		p, ok := c.plan.params[name]
		if !ok {
			c.fail(at, "parameter %q is used but not declared in params", name)
			return
		}
		c.used[name] = true
		if list != p.Multiple {
			if list {
				c.fail(at, "in takes a list: parameter %q needs multiple: true", name)
			} else {
				c.fail(at, "parameter %q has multiple values; use it with in", name)
			}
			return
		}
		if !fits(p.Type, field.Type) {
			c.fail(at, "parameter %q is %s, and %s is %s", name, article(p.Type), field.Name, article(field.Type))
		}
		return
	}
	if list {
		c.fail(at, "in takes a list of values, or a parameter with multiple: true")
		return
	}
	if err := literalFits(v, field.Type); err != nil {
		c.fail(at, "%s", err)
		return
	}
	if len(field.Options) > 0 && !hasOption(field.Options, v) {
		var values []string
		for _, o := range field.Options {
			values = append(values, fmt.Sprint(o.Value))
		}
		if len(values) > 12 {
			values = append(values[:12], "…")
		}
		c.fail(at, "%v is not one of the values of %s (%s)", v, field.Name, strings.Join(values, ", "))
	}
}

func hasOption(opts []forms.Option, v any) bool {
	for _, o := range opts {
		if fmt.Sprint(o.Value) == fmt.Sprint(v) {
			return true
		}
	}
	return false
}

// fits says whether a parameter of type param can be compared with a field.
func fits(param, field string) bool {
	switch {
	case param == field:
		return true
	case isNumeric(param):
		return isNumeric(field) || field == TypeDuration
	case param == TypeDate:
		return field == TypeTimestamp
	}
	return false
}

func literalFits(v any, typ string) error {
	switch typ {
	case TypeString:
		if _, ok := v.(string); ok {
			return nil
		}
		return fmt.Errorf("the value must be text")
	case TypeInteger, TypeNumber, TypeDuration:
		n, ok := v.(float64)
		if ok && (typ != TypeInteger || n == float64(int64(n))) {
			return nil
		}
		return fmt.Errorf("the value must be %s", article(typ))
	case TypeBoolean:
		if _, ok := v.(bool); ok {
			return nil
		}
		return fmt.Errorf("the value must be true or false")
	case TypeDate, TypeTimestamp:
		s, _ := v.(string)
		if _, err := time.Parse(time.DateOnly, s); err == nil {
			return nil
		}
		if _, err := time.Parse(time.RFC3339, s); err == nil && typ == TypeTimestamp {
			return nil
		}
		return fmt.Errorf("the value must be a date, such as 2026-01-31")
	}
	return fmt.Errorf("the value cannot be compared")
}

func (c *checker) dimension(d Dimension) {
	field, ok := c.lookup(d.Field, d.FieldAt)
	if !ok {
		return
	}
	switch {
	case field.Type == TypeDuration:
		c.fail(d.At, "%s is a duration: measure it (median, p90, p95), do not group by it", d.Field)
		return
	case field.Type == TypeTimestamp && d.Bucket == "":
		c.fail(d.At, "%s is a point in time: group it by a bucket (day, isoWeek, month)", d.Field)
		return
	case d.Bucket != "" && !isDated(field.Type):
		c.fail(d.At+"/bucket", "%s is %s; only dates are bucketed", d.Field, article(field.Type))
		return
	}
	out := OutColumn{Name: d.Name, Label: d.Label, Type: field.Type, Labels: labels(field.Options)}
	if out.Type == TypeTimestamp || d.Bucket == "day" {
		out.Type = TypeDate
	}
	switch d.Bucket {
	case "isoWeek":
		out.Type = TypeWeek
	case "month":
		out.Type = TypeMonth
	}
	if out.Name == "" {
		out.Name = defaultName(field.Name) + upperFirst(d.Bucket)
	}
	if out.Label == "" {
		out.Label = field.Label
		if d.Bucket != "" {
			out.Label += " (" + map[string]string{"day": "day", "isoWeek": "week", "month": "month"}[d.Bucket] + ")"
		}
	}
	c.name(out.Name, d.At)
	c.plan.Dims = append(c.plan.Dims, planDim{Dimension: d, field: field})
	c.plan.Columns = append(c.plan.Columns, out)
}

func (c *checker) measure(m Measure) {
	var field Field
	if m.Op != "count" {
		var ok bool
		if field, ok = c.lookup(m.Field, m.At+"/field"); !ok {
			return
		}
		if field.Multi {
			c.fail(m.At+"/field", "%s has several values per row; group by it instead", m.Field)
			return
		}
	}
	out := OutColumn{Name: m.Name, Label: m.Label, Measure: true}
	switch m.Op {
	case "count", "countDistinct":
		out.Type = TypeInteger
	case "sum", "avg":
		if !isNumeric(field.Type) && !(m.Op == "avg" && field.Type == TypeDuration) {
			c.fail(m.At+"/field", "%s adds numbers, and %s is %s", m.Op, m.Field, article(field.Type))
			return
		}
		out.Type = field.Type
		if m.Op == "avg" && field.Type == TypeInteger {
			out.Type = TypeNumber
		}
	case "min", "max":
		if !isNumeric(field.Type) && !isDated(field.Type) && field.Type != TypeDuration {
			c.fail(m.At+"/field", "%s takes numbers, dates or durations, and %s is %s", m.Op, m.Field, article(field.Type))
			return
		}
		out.Type = field.Type
	case "median", "p90", "p95":
		if !isNumeric(field.Type) && field.Type != TypeDuration {
			c.fail(m.At+"/field", "%s takes numbers or durations, and %s is %s", m.Op, m.Field, article(field.Type))
			return
		}
		out.Type = field.Type
		if field.Type == TypeInteger {
			out.Type = TypeNumber
		}
	default:
		return
	}
	if out.Name == "" {
		out.Name = m.Op + upperFirst(defaultName(field.Name))
	}
	if out.Label == "" {
		out.Label = measureLabel(m.Op, field.Label)
	}
	c.name(out.Name, m.At)
	c.plan.Measures = append(c.plan.Measures, planMeasure{Measure: m, field: field})
	c.plan.Columns = append(c.plan.Columns, out)
}

func measureLabel(op, label string) string {
	l := strings.ToLower(label[:min(1, len(label))]) + label[min(1, len(label)):]
	switch op {
	case "count":
		return "Count"
	case "countDistinct":
		return "Number of distinct " + l
	case "sum":
		return "Total " + l
	case "avg":
		return "Average " + l
	case "min":
		return "Lowest " + l
	case "max":
		return "Highest " + l
	case "median":
		return "Median " + l
	}
	return strings.ToUpper(op[:1]) + op[1:] + " " + l // p90, p95
}

func (c *checker) column(col Column) {
	field, ok := c.lookup(col.Field, col.FieldAt)
	if !ok {
		return
	}
	out := OutColumn{Name: col.Name, Label: col.Label, Type: field.Type, Labels: labels(field.Options)}
	if field.Multi {
		out.Type = TypeList // its values, read joined: "Cash, Controlled drugs"
	}
	if out.Name == "" {
		out.Name = defaultName(field.Name)
	}
	if out.Label == "" {
		out.Label = field.Label
	}
	c.name(out.Name, col.At)
	c.plan.Shown = append(c.plan.Shown, planColumn{Column: col, field: field})
	c.plan.Columns = append(c.plan.Columns, out)
}

func (c *checker) name(name, at string) {
	if c.names == nil {
		c.names = map[string]string{}
	}
	if prev, dup := c.names[name]; dup {
		c.fail(at, "two columns are named %q (also %s); give one a name", name, prev)
		return
	}
	c.names[name] = at
}

func (c *checker) sort() {
	r := c.plan.Report
	for i, s := range r.Sort {
		name := strings.TrimPrefix(s, "-")
		if _, ok := c.names[name]; !ok {
			c.fail(fmt.Sprintf("/sort/%d", i), "%q is not a column of this report (columns: %s)", name, c.columnNames())
			continue
		}
		// Ordered by a measure, the suppressed groups would still stand
		// where their hidden figures put them.
		for _, col := range c.plan.Columns {
			if col.Name == name && col.Measure && r.SuppressBelow > 0 {
				c.fail(fmt.Sprintf("/sort/%d", i), "a report with suppressBelow cannot be sorted by a measure (%s): the order would tell what it hides", name)
			}
		}
	}
}

func (c *checker) columnNames() string {
	var names []string
	for _, col := range c.plan.Columns {
		names = append(names, col.Name)
	}
	return strings.Join(names, ", ")
}

// chart checks the chart can be drawn from the groups: bars and lines
// plot the first measure along the first dimension, split by a second.
func (c *checker) chart() {
	r := c.plan.Report
	switch r.Chart {
	case ChartBar, ChartLine:
		if len(r.GroupBy) == 0 || len(r.GroupBy) > 2 {
			c.fail("/chart", "a %s chart plots a measure along one dimension (and splits it by a second): groupBy needs one or two entries", r.Chart)
		}
	case ChartStackedBar:
		if len(r.GroupBy) != 2 {
			c.fail("/chart", "a stacked bar chart needs two groupBy entries: the bars, and what each is stacked by")
		}
	}
}

// defaultName is a column name from a field name: an answer's last token.
func defaultName(field string) string {
	if !strings.HasPrefix(field, "/") {
		return field
	}
	tokens, _ := forms.SplitPointer(field)
	var b strings.Builder
	for i, t := range tokens {
		if i > 0 {
			t = upperFirst(t)
		}
		for _, r := range t {
			if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' {
				b.WriteRune(r)
			}
		}
	}
	name := b.String()
	if name == "" || !unicode.IsLetter(rune(name[0])) {
		name = "answer" + upperFirst(name)
	}
	return name
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func article(t string) string {
	switch t {
	case TypeInteger:
		return "a whole number"
	case TypeTimestamp:
		return "a point in time"
	case TypeString:
		return "text"
	case TypeBoolean:
		return "true or false"
	}
	return "a " + t
}

func labels(opts []forms.Option) map[string]string {
	if len(opts) == 0 {
		return nil
	}
	m := make(map[string]string, len(opts))
	for _, o := range opts {
		if o.Label != "" {
			m[fmt.Sprint(o.Value)] = o.Label
		}
	}
	return m
}
