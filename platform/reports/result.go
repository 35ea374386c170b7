package reports

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Result is a report's answer: complete up to AsOf.
type Result struct {
	Report  Heading        `json:"report"`
	AsOf    time.Time      `json:"asOf"`
	Params  map[string]any `json:"params"`
	Columns []OutColumn    `json:"columns"`
	Rows    []Row          `json:"rows"`
	// SuppressBelow hides the measures of groups of fewer rows.
	SuppressBelow int `json:"suppressBelow,omitempty"`
}

// NewResult is a plan's result from its query's rows (a grouped report's
// carry the group's size last): a group smaller than suppressBelow keeps
// its dimensions and loses its measures.
func NewResult(pl *Plan, raw [][]any) *Result {
	r := pl.Report
	res := &Result{Report: Heading{Name: r.Name, Version: r.Version, Title: r.Title, Description: r.Description, Chart: r.Chart},
		Params: map[string]any{}, Columns: pl.Columns, Rows: make([]Row, 0, len(raw)), SuppressBelow: r.SuppressBelow}
	n := len(res.Columns)
	for _, vals := range raw {
		row := Row{Cells: make([]any, n), columns: res.Columns, below: res.SuppressBelow}
		for i := 0; i < n; i++ {
			row.Cells[i] = cell(vals[i])
		}
		if r.Grouped() && res.SuppressBelow > 0 && len(vals) > n {
			if size, _ := vals[n].(int64); size < int64(res.SuppressBelow) {
				row.Suppressed = true
				for i, c := range res.Columns {
					if c.Measure {
						row.Cells[i] = nil
					}
				}
			}
		}
		res.Rows = append(res.Rows, row)
	}
	return res
}

// Heading names the version a result came from.
type Heading struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Chart       string `json:"chart"`
}

// Row is one row's cells in column order. Suppressed rows (a group of
// fewer than SuppressBelow rows) carry no measures.
type Row struct {
	Cells      []any
	Suppressed bool
	columns    []OutColumn
	below      int
}

// MarshalJSON writes a row as an object keyed by column name; a
// suppressed group's measures are null and "_fewerThan" says below what.
func (r Row) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, c := range r.columns {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(c.Name)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(r.Cells[i])
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	if r.Suppressed {
		fmt.Fprintf(&b, `,"_fewerThan":%d`, r.below)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Text is a cell as a person reads it: coded values by their label,
// numbers plainly, a suppressed measure as "fewer than N".
func (res *Result) Text(row Row, i int) string {
	c := res.Columns[i]
	if row.Suppressed && c.Measure {
		return fmt.Sprintf("fewer than %d", res.SuppressBelow)
	}
	v := row.Cells[i]
	if v == nil {
		return ""
	}
	switch x := v.(type) {
	case []string:
		read := make([]string, len(x))
		for i, s := range x {
			read[i] = s
			if l, ok := c.Labels[s]; ok {
				read[i] = l
			}
		}
		return strings.Join(read, ", ")
	case string:
		if l, ok := c.Labels[x]; ok {
			return l
		}
		return x
	case float64:
		if c.Type == TypeDuration {
			return Duration(x)
		}
		s := strconv.FormatFloat(x, 'f', -1, 64)
		if l, ok := c.Labels[s]; ok {
			return l
		}
		return s
	case int64:
		s := strconv.FormatInt(x, 10)
		if l, ok := c.Labels[s]; ok {
			return l
		}
		return s
	case bool:
		if x {
			return "Yes"
		}
		return "No"
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	}
	return fmt.Sprint(v)
}

// Duration is seconds as a person reads them: "2 h 5 min", "40 s".
func Duration(seconds float64) string {
	d := time.Duration(seconds * float64(time.Second)).Round(time.Second)
	days, rest := d/(24*time.Hour), d%(24*time.Hour)
	h, m, s := rest/time.Hour, rest%time.Hour/time.Minute, rest%time.Minute/time.Second
	var parts []string
	if days > 0 {
		parts = append(parts, fmt.Sprintf("%d d", days))
	}
	if h > 0 {
		parts = append(parts, fmt.Sprintf("%d h", h))
	}
	if m > 0 && days == 0 {
		parts = append(parts, fmt.Sprintf("%d min", m))
	}
	if len(parts) == 0 || (s > 0 && days == 0 && h == 0) {
		parts = append(parts, fmt.Sprintf("%d s", s))
	}
	return strings.Join(parts, " ")
}

// CSV writes the result as CSV: a header row of labels, coded values by
// their label, dates and times in ISO 8601, numbers as numbers (durations
// in seconds), a suppressed measure as "fewer than N". A text cell that a
// spreadsheet would read as a formula (=, +, -, @ first) is prefixed with
// an apostrophe.
func (res *Result) CSV() ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	header := make([]string, len(res.Columns))
	for i, c := range res.Columns {
		header[i] = guard(c.Label)
		if c.Type == TypeDuration {
			header[i] += " (seconds)"
		}
	}
	if err := w.Write(header); err != nil {
		return nil, err
	}
	line := make([]string, len(res.Columns))
	for _, row := range res.Rows {
		for i, c := range res.Columns {
			line[i] = res.csvCell(row, i, c)
		}
		if err := w.Write(line); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

func (res *Result) csvCell(row Row, i int, c OutColumn) string {
	if row.Suppressed && c.Measure {
		return fmt.Sprintf("fewer than %d", res.SuppressBelow)
	}
	switch x := row.Cells[i].(type) {
	case nil:
		return ""
	case float64, int64:
		if len(c.Labels) > 0 && !c.Measure {
			return guard(res.Text(row, i)) // a coded value, by its label
		}
		if f, ok := x.(float64); ok {
			return strconv.FormatFloat(f, 'f', -1, 64)
		}
		return strconv.FormatInt(x.(int64), 10)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	}
	return guard(res.Text(row, i))
}

// guard keeps a spreadsheet from running text as a formula.
func guard(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
