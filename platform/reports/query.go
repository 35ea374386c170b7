package reports

import (
	"fmt"
	"strings"

	"cop/platform/auth"
	"cop/platform/tasks"
)

// Zone is where days, weeks and months begin: reports are read in the
// UK, and a seizure at 00:30 on 1 June BST belongs to June.
const Zone = "Europe/London"

// builder collects a query's arguments; every value a caller or author
// gives is an argument, never SQL text.
type builder struct{ args []any }

func (b *builder) arg(v any) string {
	b.args = append(b.args, v)
	return fmt.Sprintf("$%d", len(b.args))
}

// Query is a report's SQL and its arguments.
type Query struct {
	SQL  string
	Args []any
}

var views = map[string]string{
	SourceSubmissions: "report_submissions", SourceTasks: "report_tasks",
	SourceInstances: "report_instances", SourceCases: "report_cases",
}

// Build writes the plan's SQL for the given parameter values (absent
// ones are nil), reading at most limit rows (one more is asked for, to
// know when there are more). A list report shows only the rows p may see.
func (pl *Plan) Build(values map[string]any, p *auth.Principal, limit int) Query {
	b := &builder{}
	r := pl.Report
	var sel, joins, where, order []string
	where = append(where, pl.sourceWhere(b))
	for _, f := range pl.Filters {
		if cond := pl.filterSQL(b, f, values); cond != "" {
			where = append(where, cond)
		}
	}
	if r.Grouped() {
		for i, d := range pl.Dims {
			expr, join := dimensionSQL(b, d, i)
			if join != "" {
				joins = append(joins, join)
			}
			sel = append(sel, expr)
		}
		for _, m := range pl.Measures {
			sel = append(sel, measureSQL(b, m))
		}
		sel = append(sel, "count(*)") // the group's size, for suppressBelow
	} else {
		for _, c := range pl.Shown {
			sel = append(sel, shownSQL(b, c))
		}
		where = append(where, pl.visibleSQL(b, p))
	}
	if len(r.Sort) > 0 {
		for _, s := range r.Sort {
			desc := strings.HasPrefix(s, "-")
			i := pl.columnIndex(strings.TrimPrefix(s, "-"))
			if desc {
				order = append(order, fmt.Sprintf("%d DESC NULLS LAST", i+1))
			} else {
				order = append(order, fmt.Sprintf("%d ASC NULLS LAST", i+1))
			}
		}
	} else {
		n := len(pl.Dims)
		if !r.Grouped() {
			n = 1
		}
		for i := 0; i < n; i++ {
			order = append(order, fmt.Sprintf("%d ASC NULLS LAST", i+1))
		}
	}
	var q strings.Builder
	fmt.Fprintf(&q, "SELECT %s\nFROM %s r", strings.Join(sel, ",\n  "), views[r.Source.Kind])
	for _, j := range joins {
		q.WriteString("\n" + j)
	}
	fmt.Fprintf(&q, "\nWHERE %s", strings.Join(where, "\n  AND "))
	if r.Grouped() && len(pl.Dims) > 0 {
		var g []string
		for i := range pl.Dims {
			g = append(g, fmt.Sprint(i+1))
		}
		fmt.Fprintf(&q, "\nGROUP BY %s", strings.Join(g, ", "))
	}
	if len(order) > 0 {
		fmt.Fprintf(&q, "\nORDER BY %s", strings.Join(order, ", "))
	}
	fmt.Fprintf(&q, "\nLIMIT %d", limit+1)
	return Query{SQL: q.String(), Args: b.args}
}

func (pl *Plan) columnIndex(name string) int {
	for i, c := range pl.Columns {
		if c.Name == name {
			return i
		}
	}
	panic(fmt.Sprintf("report %s: sort by %q, which Check let through and no column has", pl.Report.Name, name))
}

// sourceWhere keeps the rows of the report's form or workflow.
func (pl *Plan) sourceWhere(b *builder) string {
	s := pl.Report.Source
	ns, name, _ := strings.Cut(s.Workflow, "/")
	switch s.Kind {
	case SourceSubmissions:
		return "r.form_name = " + b.arg(s.Form)
	case SourceTasks:
		return fmt.Sprintf("r.namespace = %s AND r.workflow = %s", b.arg(ns), b.arg(name))
	case SourceInstances:
		return fmt.Sprintf("r.namespace = %s AND r.name = %s", b.arg(ns), b.arg(name))
	}
	if s.Form != "" {
		return "EXISTS (SELECT 1 FROM report_submissions s WHERE s.case_id = r.id AND s.form_name = " + b.arg(s.Form) + ")"
	}
	return fmt.Sprintf("EXISTS (SELECT 1 FROM report_instances i WHERE i.case_id = r.id AND i.namespace = %s AND i.name = %s)", b.arg(ns), b.arg(name))
}

// visibleSQL keeps the rows p may see, by each owner's own rule.
func (pl *Plan) visibleSQL(b *builder, p *auth.Principal) string {
	readable := func(owner string) string {
		n := len(b.args) + 1
		b.args = append(b.args, auth.ReadableArgs(p)...)
		return auth.ReadableSQL(owner, n)
	}
	switch pl.Report.Source.Kind {
	case SourceSubmissions:
		return readable("r.submitted_by")
	case SourceInstances:
		return readable("r.started_by")
	case SourceTasks:
		// A task is seen by those it is offered to, and by those who read
		// its instance.
		n := len(b.args) + 1
		b.args = append(b.args, tasks.VisibleArgs(p)...)
		return "(" + tasks.VisibleSQL("r", n) +
			" OR EXISTS (SELECT 1 FROM report_instances i WHERE i.id = r.instance_id AND " + readable("i.started_by") + "))"
	}
	// A case is seen by those who see something in it.
	s := "(EXISTS (SELECT 1 FROM report_submissions s WHERE s.case_id = r.id AND " + readable("s.submitted_by") + ")"
	return s + " OR EXISTS (SELECT 1 FROM report_instances i WHERE i.case_id = r.id AND " + readable("i.started_by") + "))"
}

// filterSQL is one filter's condition; "" when it names only parameters
// that were not given (an optional filter).
func (pl *Plan) filterSQL(b *builder, f planFilter, values map[string]any) string {
	resolve := func(v any) (any, bool) {
		if isParamRef(v) {
			x := values[v.(string)[1:]]
			return x, x != nil
		}
		return v, true
	}
	if f.Op == "exists" {
		e := f.field.expr(b)
		want, _ := f.Value.(bool)
		if f.field.Multi {
			return fmt.Sprintf("(cardinality(%s) > 0) = %t", e, want)
		}
		if want {
			return e + " IS NOT NULL"
		}
		return e + " IS NULL"
	}
	if f.Op == "between" {
		list, _ := f.Value.([]any)
		var conds []string
		if lo, ok := resolve(list[0]); ok {
			conds = append(conds, compare(b, f.field, ">=", lo))
		}
		if hi, ok := resolve(list[1]); ok {
			conds = append(conds, compare(b, f.field, "<=", hi))
		}
		return strings.Join(conds, " AND ")
	}
	v, ok := resolve(f.Value)
	if !ok {
		return ""
	}
	if f.Op == "in" {
		var items []any
		switch x := v.(type) {
		case []any:
			for _, it := range x {
				if y, ok := resolve(it); ok {
					items = append(items, y)
				}
			}
			if len(items) == 0 && len(x) > 0 {
				return "" // a list of parameters, none given: it does not apply
			}
		default:
			items = asList(x)
		}
		e := f.field.expr(b)
		if f.field.Multi {
			return fmt.Sprintf("%s && %s::text[]", e, b.arg(textList(items)))
		}
		return fmt.Sprintf("%s = ANY(%s::%s[])", e, b.arg(typedList(f.field.Type, items)), sqlType(f.field.Type))
	}
	return compare(b, f.field, f.Op, v)
}

// compare is field op value. A date compared with a point in time stands
// for its whole day in Zone, so "submitted <= 2026-01-31" keeps the 31st.
func compare(b *builder, field Field, op string, v any) string {
	e := field.expr(b)
	if field.Multi {
		x := b.arg(fmt.Sprint(v)) + "::text"
		if op == "!=" {
			return fmt.Sprintf("NOT (%s = ANY(%s))", x, e)
		}
		return fmt.Sprintf("%s = ANY(%s)", x, e)
	}
	if field.Type == TypeTimestamp {
		if s, ok := v.(string); ok && len(s) == len("2006-01-02") {
			start := func() string { return fmt.Sprintf("(%s::date::timestamp AT TIME ZONE '%s')", b.arg(s), Zone) }
			next := func() string { return fmt.Sprintf("((%s::date + 1)::timestamp AT TIME ZONE '%s')", b.arg(s), Zone) }
			switch op {
			case "<":
				return e + " < " + start()
			case "<=":
				return e + " < " + next()
			case ">":
				return e + " >= " + next()
			case ">=":
				return e + " >= " + start()
			}
		}
		return fmt.Sprintf("%s %s %s::timestamptz", e, op, b.arg(fmt.Sprint(v)))
	}
	x := b.arg(typed(field.Type, v)) + "::" + sqlType(field.Type)
	if op == "!=" {
		return fmt.Sprintf("%s IS DISTINCT FROM %s", e, x)
	}
	return fmt.Sprintf("%s %s %s", e, op, x)
}

func sqlType(t string) string {
	switch t {
	case TypeInteger, TypeNumber, TypeDuration:
		return "numeric"
	case TypeBoolean:
		return "boolean"
	case TypeDate:
		return "date"
	}
	return "text"
}

// typed is a value as pgx sends it for the field's type.
func typed(t string, v any) any {
	switch t {
	case TypeInteger, TypeNumber, TypeDuration:
		if f, ok := v.(float64); ok {
			return f
		}
	case TypeBoolean:
		if x, ok := v.(bool); ok {
			return x
		}
	}
	return fmt.Sprint(v)
}

func typedList(t string, items []any) any {
	switch t {
	case TypeInteger, TypeNumber, TypeDuration:
		out := make([]float64, 0, len(items))
		for _, it := range items {
			if f, ok := it.(float64); ok {
				out = append(out, f)
			}
		}
		return out
	case TypeBoolean:
		out := make([]bool, 0, len(items))
		for _, it := range items {
			if x, ok := it.(bool); ok {
				out = append(out, x)
			}
		}
		return out
	case TypeDate:
		return textList(items) // cast by = ANY against a date column
	}
	return textList(items)
}

func textList(items []any) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = fmt.Sprint(it)
	}
	return out
}

func asList(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out
	}
	return []any{v}
}

// dimensionSQL is a groupBy entry's value, and the join a field with
// several values per row needs (each row counts once in each value).
func dimensionSQL(b *builder, d planDim, i int) (string, string) {
	join := ""
	// A date answer is stored as YYYY-MM-DD: its day and month are read
	// from the text, without parsing a date for every row.
	if d.field.text != nil && !d.field.Multi && (d.Bucket == "month" || d.Bucket == "day" || d.Bucket == "") {
		if d.Bucket == "month" {
			return "left(" + d.field.text(b) + ", 7)", join
		}
		return d.field.text(b), join
	}
	e := d.field.expr(b)
	if d.field.Multi {
		alias := fmt.Sprintf("d%d", i)
		join = fmt.Sprintf("LEFT JOIN LATERAL unnest(%s) AS %s(v) ON true", e, alias)
		e = alias + ".v"
	}
	local := e
	if d.field.Type == TypeTimestamp {
		local = fmt.Sprintf("(%s AT TIME ZONE '%s')", e, Zone)
	}
	switch d.Bucket {
	case "month":
		return fmt.Sprintf("to_char(%s, 'YYYY-MM')", local), join
	case "isoWeek":
		return fmt.Sprintf(`to_char(%s, 'IYYY-"W"IW')`, local), join
	case "day":
		return fmt.Sprintf("to_char(%s, 'YYYY-MM-DD')", local), join
	}
	return output(d.field.Type, e), join
}

func measureSQL(b *builder, m planMeasure) string {
	if m.Op == "count" {
		return "count(*)"
	}
	e := m.field.expr(b)
	var agg string
	switch m.Op {
	case "countDistinct":
		return fmt.Sprintf("count(DISTINCT %s)", e)
	case "sum", "avg", "min", "max":
		agg = fmt.Sprintf("%s(%s)", m.Op, e)
	case "median":
		agg = fmt.Sprintf("percentile_cont(0.5) WITHIN GROUP (ORDER BY %s)", e)
	case "p90":
		agg = fmt.Sprintf("percentile_cont(0.9) WITHIN GROUP (ORDER BY %s)", e)
	case "p95":
		agg = fmt.Sprintf("percentile_cont(0.95) WITHIN GROUP (ORDER BY %s)", e)
	}
	t := m.field.Type
	if isNumeric(t) && m.Op != "sum" && m.Op != "min" && m.Op != "max" {
		t = TypeNumber
	}
	return output(t, agg)
}

func shownSQL(b *builder, c planColumn) string {
	e := c.field.expr(b)
	if c.field.Multi {
		return e // text[]
	}
	return output(c.field.Type, e)
}

// output casts a value to what the result carries: whole numbers as
// bigint, numbers and durations (seconds) as double precision, dates as
// ISO text.
func output(t, e string) string {
	switch t {
	case TypeInteger:
		return "(" + e + ")::int8"
	case TypeNumber, TypeDuration:
		return "(" + e + ")::float8"
	case TypeDate:
		return "to_char(" + e + ", 'YYYY-MM-DD')"
	case TypeString:
		return "(" + e + ")::text"
	}
	return e
}
