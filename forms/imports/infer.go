package imports

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Item is one thing an import could not map, with where it came from.
type Item struct {
	Where string `json:"where"` // "Seizures!C7", "log.csv column D"
	Why   string `json:"why"`
}

func (i Item) String() string { return i.Where + ": " + i.Why }

// Kinds of answer a column can become.
const (
	KindDate     = "date"
	KindInteger  = "integer"
	KindNumber   = "number"
	KindYesNo    = "yes/no"
	KindEmail    = "email"
	KindPostcode = "postcode"
	KindChoice   = "choice"
	KindText     = "text"
)

// Field is what one column became.
type Field struct {
	Column   int    `json:"column"` // 0-based
	Header   string `json:"header"`
	Property string `json:"property"`
	Kind     string `json:"kind"`
	Required bool   `json:"required"`
	// Options are a choice's values, as the sheet wrote them.
	Options []string `json:"options,omitempty"`
	// MaxLength bounds a text answer.
	MaxLength int `json:"maxLength,omitempty"`
}

// Form is a form inferred from a table.
type Form struct {
	Definition []byte  // the form definition, JSON, as `cop forms validate` reads it
	Fields     []Field // column by column
	Report     []Item  // what could not be mapped
}

// FormOptions name the form an import makes.
type FormOptions struct {
	Name  string // the form's name (lower case, digits, . _ -)
	Title string // default: the name in words
}

// The share of a column's values that must read as a kind for the column
// to take it: one bad cell makes a bad row, not a text column.
const majority = 0.9

// maxOptions is the most distinct values a column of few values becomes a
// choice with; it must also repeat (at most a third as many distinct
// values as filled cells).
const maxOptions = 12

// maxListed is how many cells a report lists for one column before it
// counts the rest.
const maxListed = 20

// pageSize is about how many questions a page holds.
const pageSize = 10

var formNameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9._-]{0,98}[a-z0-9])?$`)

// InferForm infers a form from a table's header and values.
func InferForm(t Table, opt FormOptions) (Form, error) {
	if !formNameRE.MatchString(opt.Name) {
		return Form{}, fmt.Errorf("form name %q: use lower-case letters, digits, '.', '_' and '-', starting and ending with a letter or digit", opt.Name)
	}
	if len(t.Header) == 0 {
		return Form{}, fmt.Errorf("%s has no header row to name the questions", t.where())
	}
	var f Form
	labels, props := columnNames(t.Header)
	for col, header := range t.Header {
		if strings.TrimSpace(header) == "" {
			f.Report = append(f.Report, Item{t.Cell(col, t.HeaderRow), fmt.Sprintf("the header is empty; the question is called %q", labels[col])})
		} else if i := slices.Index(props, propertyName(labels[col], col)); i >= 0 && i < col {
			f.Report = append(f.Report, Item{t.Cell(col, t.HeaderRow), fmt.Sprintf("%q names an earlier column too; this one's answers are stored as %s", labels[col], props[col])})
		}
		field, items := inferColumn(t, col, labels[col], props[col])
		f.Fields = append(f.Fields, field)
		f.Report = append(f.Report, items...)
	}
	if len(t.Rows) == 0 {
		f.Report = append(f.Report, Item{t.where(), "there are no rows under the header, so every question is optional free text: check each one's kind"})
	}
	title := opt.Title
	if title == "" {
		title = words(opt.Name)
	}
	def, err := definition(t, opt.Name, title, f.Fields)
	if err != nil {
		return Form{}, err
	}
	f.Definition = def
	return f, nil
}

// columnNames are each column's question label (its header, or "Column
// C" when it has none) and the property its answers are stored under, made
// unique (a second "Notes" is notes2): the one naming both InferForm and
// Columns use, so a sheet's rows fill the questions its import made.
func columnNames(header []string) (labels, props []string) {
	taken := map[string]bool{}
	for col, h := range header {
		label := strings.Join(strings.Fields(h), " ")
		if label == "" {
			label = "Column " + columnName(col)
		}
		prop := propertyName(label, col)
		if taken[prop] {
			n := 2
			for taken[fmt.Sprintf("%s%d", prop, n)] {
				n++
			}
			prop = fmt.Sprintf("%s%d", prop, n)
		}
		taken[prop] = true
		labels, props = append(labels, label), append(props, prop)
	}
	return labels, props
}

// inferColumn reads one column's kind, and reports its cells that do not
// fit it.
func inferColumn(t Table, col int, label, prop string) (Field, []Item) {
	var items []Item
	field := Field{Column: col, Header: label, Property: prop}

	var values []string
	blanks := 0
	for _, row := range t.Rows {
		v := strings.TrimSpace(row[col])
		if v == "" {
			blanks++
			continue
		}
		values = append(values, v)
	}
	field.Required = len(t.Rows) > 0 && blanks == 0
	if len(values) == 0 {
		field.Kind, field.MaxLength = KindText, textLimit(0)
		if len(t.Rows) > 0 {
			items = append(items, Item{t.Column(col), fmt.Sprintf("%q has no values, so it is optional free text", label)})
		}
		return field, items
	}
	field.Kind = columnKind(values)
	switch field.Kind {
	case KindChoice:
		field.Options = distinct(values)
	case KindText:
		longest := 0
		for _, v := range values {
			longest = max(longest, utf8.RuneCountInString(v))
		}
		field.MaxLength = textLimit(longest)
	default:
		// The few cells that do not read as the column's kind: their rows
		// will fail validation, and are said here.
		listed := 0
		for i, row := range t.Rows {
			v := strings.TrimSpace(row[col])
			if v == "" || fits(field.Kind, v) {
				continue
			}
			if listed < maxListed {
				items = append(items, Item{t.Cell(col, t.RowNumber(i)), fmt.Sprintf("%q is not %s like the rest of %q; this row's answer will be refused until it is corrected", v, article(field.Kind), label)})
			}
			listed++
		}
		if listed > maxListed {
			items = append(items, Item{t.Column(col), fmt.Sprintf("and %d more cells that are not %s", listed-maxListed, article(field.Kind))})
		}
	}
	return field, items
}

// columnKind is the first kind the large majority of values read as; else
// a choice when a few values repeat; else text.
func columnKind(values []string) string {
	for _, kind := range []string{KindYesNo, KindDate, KindInteger, KindNumber, KindEmail, KindPostcode} {
		n := 0
		for _, v := range values {
			if fits(kind, v) {
				n++
			}
		}
		if float64(n) >= majority*float64(len(values)) {
			return kind
		}
	}
	if d := len(distinct(values)); d <= maxOptions && d*3 <= len(values) {
		return KindChoice
	}
	return KindText
}

var (
	integerRE  = regexp.MustCompile(`^[+-]?(0|[1-9][0-9]*|[1-9][0-9]{0,2}(,[0-9]{3})+)$`)
	numberRE   = regexp.MustCompile(`^[+-]?£?(0|[1-9][0-9]*|[1-9][0-9]{0,2}(,[0-9]{3})+)?(\.[0-9]+)?$`)
	emailRE    = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	postcodeRE = regexp.MustCompile(`^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$`)
)

// postcodePattern is the JSON Schema pattern for a UK postcode.
const postcodePattern = `^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$`

// fits says whether a (trimmed, non-empty) value reads as kind.
func fits(kind, v string) bool {
	switch kind {
	case KindYesNo:
		_, ok := YesNo(v)
		return ok
	case KindDate:
		_, ok := Date(v)
		return ok
	case KindInteger:
		_, ok := Integer(v) // within int64 too
		return ok
	case KindNumber:
		return numberRE.MatchString(v) && strings.ContainsAny(v, "0123456789")
	case KindEmail:
		return emailRE.MatchString(v)
	case KindPostcode:
		return postcodeRE.MatchString(v)
	}
	return true
}

// YesNo reads yes/no, y/n and true/false in any case.
func YesNo(v string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "yes", "y", "true":
		return true, true
	case "no", "n", "false":
		return false, true
	}
	return false, false
}

// dateLayouts are the dates UK spreadsheets hold: day first, then ISO.
// A date and time is not a date: read as one, the time would be lost
// (such a column is free text; a history import reads it with Moment).
var dateLayouts = []string{"2/1/2006", "2-1-2006", "2.1.2006", "2/1/06", "2 Jan 2006", "2 January 2006", "2-Jan-2006", "2-Jan-06",
	"2006-01-02"}

// Date reads a date in a common UK form or ISO 8601 as YYYY-MM-DD.
func Date(v string) (string, bool) {
	v = strings.TrimSpace(v)
	for _, layout := range dateLayouts {
		if d, err := time.Parse(layout, v); err == nil {
			return d.Format(time.DateOnly), true
		}
	}
	return "", false
}

// Integer reads a whole number, with or without thousands commas.
func Integer(v string) (int64, bool) {
	v = strings.TrimSpace(v)
	if !integerRE.MatchString(v) {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(v, ",", ""), 10, 64)
	return n, err == nil
}

// Number reads a decimal number, with or without £ and thousands commas.
func Number(v string) (float64, bool) {
	v = strings.TrimSpace(v)
	if !fits(KindNumber, v) {
		return 0, false
	}
	n, err := strconv.ParseFloat(strings.NewReplacer(",", "", "£", "").Replace(v), 64)
	return n, err == nil
}

func distinct(values []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range values {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

// textLimit is the length limit of a text question: the next of a few
// round limits above the longest answer the sheet holds.
func textLimit(longest int) int {
	for _, limit := range []int{100, 500, 2000, 10000} {
		if longest <= limit {
			return limit
		}
	}
	return 32767
}

// propertyName turns a header into an answer's property name:
// "Date of seizure" → "dateOfSeizure".
func propertyName(label string, col int) string {
	parts := strings.FieldsFunc(label, func(r rune) bool { return r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r)) })
	var b strings.Builder
	for i, p := range parts {
		p = strings.ToLower(p)
		if i > 0 {
			p = strings.ToUpper(p[:1]) + p[1:]
		}
		b.WriteString(p)
		if b.Len() >= 60 {
			break
		}
	}
	name := b.String()
	if name == "" {
		return "column" + columnName(col)
	}
	if name[0] >= '0' && name[0] <= '9' {
		name = "q" + name
	}
	return name
}

func columnName(col int) string {
	var s string
	for n := col + 1; n > 0; n = (n - 1) / 26 {
		s = string(rune('A'+(n-1)%26)) + s
	}
	return s
}

// words turns a name into a title: "seizure-log" → "Seizure log".
func words(name string) string {
	s := strings.Join(strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '_' || r == '.' }), " ")
	if s == "" {
		return name
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func article(kind string) string {
	switch kind {
	case KindInteger:
		return "a whole number"
	case KindNumber:
		return "a number"
	case KindYesNo:
		return "yes or no"
	case KindEmail:
		return "an email address"
	case KindPostcode:
		return "a postcode"
	}
	return "a " + kind
}
