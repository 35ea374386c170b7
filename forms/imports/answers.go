package imports

import (
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // UK time wherever COP runs (its container image has no zone files)

	"cop/forms"
)

// UKTime is the zone a UK team's sheet records its moments in.
var UKTime = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err) // embedded above
	}
	return loc
}()

// Columns maps a table's columns onto a form's top-level questions: a
// column fills the question its header names, as an import named it
// ("Date of seizure" → dateOfSeizure) or by the question's title. A
// column that names no question is reported, and its cells are not read.
func Columns(t Table, f *forms.Form) (map[int]string, []Item) {
	byTitle := map[string]string{}
	names := map[string]bool{}
	for name, n := range topLevel(f) {
		names[name] = true
		if n.Title != "" {
			byTitle[strings.ToLower(strings.Join(strings.Fields(n.Title), " "))] = name
		}
	}
	cols := map[int]string{}
	taken := map[string]int{}
	var items []Item
	labels, props := columnNames(t.Header)
	for col := range t.Header {
		label, name := labels[col], props[col]
		if !names[name] {
			name = byTitle[strings.ToLower(label)]
		}
		switch prev, dup := taken[name]; {
		case name == "":
			items = append(items, Item{t.Column(col), fmt.Sprintf("%q names no question of form %s, so its cells are not imported", label, f.Def.Name)})
		case dup:
			items = append(items, Item{t.Column(col), fmt.Sprintf("%q fills %s, which column %s fills already, so its cells are not imported", label, name, columnName(prev))})
		default:
			cols[col], taken[name] = name, col
		}
	}
	return cols, items
}

// Answers reads row i as answers: each mapped, non-blank cell read as its
// question's type (a date in a UK form as YYYY-MM-DD, a whole or decimal
// number, yes or no). A cell that does not read as its type is kept as
// written, so that the form's validation says what is wrong with it; text
// is kept exactly, a leading = included.
func Answers(t Table, f *forms.Form, cols map[int]string, i int) map[string]any {
	nodes := topLevel(f)
	out := map[string]any{}
	for col, name := range cols {
		v := strings.TrimSpace(t.Rows[i][col])
		if v == "" {
			continue
		}
		out[name] = typed(nodes[name], v)
	}
	return out
}

func typed(n *forms.Node, v string) any {
	if n == nil {
		return v
	}
	switch {
	case slices.Contains(n.Types, "boolean"):
		if b, ok := YesNo(v); ok {
			return b
		}
	case slices.Contains(n.Types, "integer"):
		if x, ok := Integer(v); ok {
			return x
		}
	case slices.Contains(n.Types, "number"):
		if x, ok := Number(v); ok {
			return x
		}
	case n.Format == "date":
		if d, ok := Date(v); ok {
			return d
		}
	}
	return v
}

// topLevel are the form's top-level questions by property name.
func topLevel(f *forms.Form) map[string]*forms.Node {
	out := map[string]*forms.Node{}
	for _, p := range f.Tree.Properties {
		out[p.Name] = p.Schema
	}
	return out
}

// timeLayouts are the moments UK spreadsheets hold, day first, then ISO.
var timeLayouts = []string{"2/1/2006 15:04:05", "2/1/2006 15:04", "2/1/2006", "2-1-2006 15:04", "2 Jan 2006 15:04", "2 January 2006 15:04",
	time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"}

// Moment reads when something happened, as a sheet records it: a date,
// or a date and time, in a UK form or ISO 8601; one without a zone is
// read in loc (the UK's, for a UK team's sheet).
func Moment(v string, loc *time.Location) (time.Time, bool) {
	v = strings.TrimSpace(v)
	for _, layout := range timeLayouts {
		if m, err := time.ParseInLocation(layout, v, loc); err == nil {
			return m, true
		}
	}
	return time.Time{}, false
}
