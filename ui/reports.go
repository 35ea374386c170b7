package ui

import (
	"html/template"
	"time"
)

// ReportListData is the reports a reader may run.
type ReportListData struct {
	Reports []ReportLink
}

// ReportLink is one report in the list.
type ReportLink struct {
	Name, Title, Description string
}

// ReportData is a report's page: its parameters as a GOV.UK form (sent by
// GET, so the page is a link), then its chart and the table of its rows.
type ReportData struct {
	Name, Title, Description string
	// Params are the parameters' fields: each a GOV.UK component (Kind is
	// govukInput, govukSelect or govukCheckboxes) and its options.
	Params []ReportParam
	Errors []ReportError
	// Problem says why there is no answer (too many rows, too slow) and
	// to narrow the parameters.
	Problem string
	Ran     bool
	AsOf    time.Time
	// Chart is drawn above the table when the report has one.
	Chart *Chart
	Head  []ReportHead
	Rows  [][]ReportCell
	// Suppressed says small groups are hidden, and below what.
	Suppressed int
	// Shown of Total rows are on the page when there are too many for it.
	Shown, Total int
	CSV          string // the Download CSV link for these parameters
}

// ReportParam is one parameter's field.
type ReportParam struct {
	Kind   string
	Params map[string]any
}

// ReportError is one entry of the error summary.
type ReportError struct{ Text, Href string }

// ReportHead is a column heading; numbers are right-aligned.
type ReportHead struct {
	Text    string
	Numeric bool
}

// ReportCell is one cell as read.
type ReportCell struct {
	Text    string
	Numeric bool
}

// ErrorList is the error summary's list.
func (d ReportData) ErrorList() []any {
	out := make([]any, 0, len(d.Errors))
	for _, e := range d.Errors {
		out = append(out, map[string]any{"text": e.Text, "href": e.Href})
	}
	return out
}

// TableHead is the govukTable head.
func (d ReportData) TableHead() []any {
	out := make([]any, 0, len(d.Head))
	for _, h := range d.Head {
		cell := map[string]any{"text": h.Text}
		if h.Numeric {
			cell["format"] = "numeric"
		}
		out = append(out, cell)
	}
	return out
}

// TableRows are the govukTable rows.
func (d ReportData) TableRows() []any {
	out := make([]any, 0, len(d.Rows))
	for _, r := range d.Rows {
		row := make([]any, 0, len(r))
		for _, c := range r {
			cell := map[string]any{"text": c.Text}
			if c.Numeric {
				cell["format"] = "numeric"
			}
			row = append(row, cell)
		}
		out = append(out, row)
	}
	return out
}

// ChartSVG draws the chart.
func (d ReportData) ChartSVG() template.HTML {
	if d.Chart == nil {
		return ""
	}
	return d.Chart.SVG()
}
