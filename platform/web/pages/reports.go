package pages

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"cop/forms"
	"cop/platform/auth"
	"cop/platform/problem"
	"cop/platform/reports"
	"cop/platform/web/route"
	"cop/ui"
)

// bindReportPages: the reports a reader may run, and each report's page.
func (pg *Pages) bindReportPages(r *route.Router) {
	r.Add(fiber.MethodGet, "/reports", auth.SignedIn, pg.reportList)
	r.Add(fiber.MethodGet, "/reports/:name", auth.SignedIn, pg.reportPage)
}

// pageRows is the most rows a report's page shows; the CSV has every one.
const pageRows = 500

// reportList lists the reports the reader may run.
func (pg *Pages) reportList(c *fiber.Ctx) error {
	p := route.Principal(c)
	defs, reps, err := pg.Reports.Readable(c.UserContext(), p, false)
	if err != nil {
		return err
	}
	var d ui.ReportListData
	for i, r := range reps {
		d.Reports = append(d.Reports, ui.ReportLink{Name: defs[i].Name, Title: r.Title, Description: r.Description})
	}
	return pg.Render(c, fiber.StatusOK, "reports", d)
}

// reportPage asks for the report's parameters (a GET form, so the page
// with its answer is a link to share) and shows its chart, its table and
// a link to the same rows as CSV. Wrong parameters are an error summary;
// too many rows or too slow a query says to narrow them.
func (pg *Pages) reportPage(c *fiber.Ctx) error {
	ctx, p := c.UserContext(), route.Principal(c)
	name := c.Params("name")
	pr, err := pg.Reports.Prepare(ctx, p, name, "")
	if err != nil {
		return pg.pageError(c, err)
	}
	q, err := url.ParseQuery(string(c.Request().URI().QueryString()))
	if err != nil {
		return refusePage(fiber.StatusBadRequest, "This link is not one COP made", "Start again from the list of reports.")
	}
	d := ui.ReportData{Name: pr.Definition.Name, Title: pr.Report.Title, Description: pr.Report.Description}
	status := fiber.StatusOK
	errs := map[string]string{}
	res, err := pg.Reports.Run(ctx, p, pr, q)
	switch pb, ok := problem.As(err); {
	case err == nil:
		d.Ran, d.AsOf, d.Suppressed = true, res.AsOf, res.SuppressBelow
		d.Head, d.Rows = reportTable(res)
		if len(d.Rows) > pageRows {
			// A page of thousands of rows helps no one: the CSV has them.
			d.Shown, d.Total, d.Rows = pageRows, len(d.Rows), d.Rows[:pageRows]
		}
		d.Chart = reportChart(pr.Report, res)
		csv := url.Values{}
		for k, v := range q {
			if k != "format" {
				csv[k] = v
			}
		}
		csv.Set("format", "csv")
		d.CSV = "/api/v1/reports/" + url.PathEscape(name) + "/result?" + csv.Encode()
	case ok && pb.Kind == problem.Invalid && len(pb.Fields) > 0:
		status = fiber.StatusUnprocessableEntity
		for _, f := range pb.Fields {
			param := firstToken(f.Pointer)
			if _, seen := errs[param]; !seen {
				errs[param] = f.Message
				d.Errors = append(d.Errors, ui.ReportError{Text: f.Message, Href: "#param-" + param})
			}
		}
	case ok && (pb.Reason == "rows" || pb.Reason == "timeout"):
		status = pb.Kind.Status()
		d.Problem = narrowMessage(pb.Reason)
	default:
		return pg.pageError(c, err)
	}
	d.Params = paramFields(pr, q, errs)
	return pg.Render(c, status, "report", d)
}

func narrowMessage(reason string) string {
	if reason == "rows" {
		return "This report has too many rows to show for these choices. Narrow them, for example to a shorter date range, and show the report again."
	}
	return "This report took too long for these choices. Narrow them, for example to a shorter date range, and show the report again."
}

func firstToken(pointer string) string {
	tokens, _ := forms.SplitPointer(pointer)
	if len(tokens) == 0 {
		return ""
	}
	return tokens[0]
}

// paramFields are the parameters as GOV.UK fields, holding what was asked
// (or else each default) and each one's error.
func paramFields(pr *reports.Prepared, q url.Values, errs map[string]string) []ui.ReportParam {
	var out []ui.ReportParam
	for _, prm := range pr.Report.Params {
		values := q[prm.Name]
		if _, asked := q[prm.Name]; !asked && prm.HasDflt {
			values = defaultStrings(prm.Default)
		}
		id := "param-" + prm.Name
		label := map[string]any{"text": prm.Title, "classes": "govuk-label--s"}
		common := map[string]any{"name": prm.Name}
		if prm.Hint != "" {
			common["hint"] = map[string]any{"text": prm.Hint}
		} else if prm.Type == reports.TypeDate {
			common["hint"] = map[string]any{"text": "For example, 2026-03-31"}
		}
		if msg, bad := errs[prm.Name]; bad {
			common["errorMessage"] = map[string]any{"text": msg}
		}
		options := paramOptions(pr, prm)
		switch {
		case prm.Multiple && len(options) > 0:
			common["idPrefix"] = id
			common["fieldset"] = map[string]any{"legend": map[string]any{"text": prm.Title, "classes": "govuk-fieldset__legend--s"}}
			common["classes"] = "govuk-checkboxes--small"
			var items []any
			for _, o := range options {
				v := fmt.Sprint(o.Value)
				items = append(items, map[string]any{"value": v, "text": o.Label, "checked": slices.Contains(values, v)})
			}
			common["items"] = items
			out = append(out, ui.ReportParam{Kind: "govukCheckboxes", Params: common})
		case len(options) > 0 || prm.Type == reports.TypeBoolean:
			if prm.Type == reports.TypeBoolean {
				options = []forms.Option{{Value: "true", Label: "Yes"}, {Value: "false", Label: "No"}}
			}
			common["id"], common["label"] = id, label
			items := []any{map[string]any{"value": "", "text": "Any"}}
			for _, o := range options {
				v := fmt.Sprint(o.Value)
				items = append(items, map[string]any{"value": v, "text": o.Label, "selected": slices.Contains(values, v)})
			}
			common["items"] = items
			out = append(out, ui.ReportParam{Kind: "govukSelect", Params: common})
		default:
			common["id"], common["label"] = id, label
			common["value"] = strings.Join(values, ", ")
			common["classes"] = "govuk-input--width-10"
			if prm.Type == reports.TypeInteger || prm.Type == reports.TypeNumber {
				common["inputmode"] = "decimal"
				common["classes"] = "govuk-input--width-5"
			}
			common["spellcheck"] = false
			out = append(out, ui.ReportParam{Kind: "govukInput", Params: common})
		}
	}
	return out
}

func defaultStrings(v any) []string {
	if list, ok := v.([]any); ok {
		out := make([]string, len(list))
		for i, x := range list {
			out[i] = fmt.Sprint(x)
		}
		return out
	}
	return []string{fmt.Sprint(v)}
}

// paramOptions are a parameter's choices, from its options or its
// reference data, as its form compiled them.
func paramOptions(pr *reports.Prepared, prm reports.Param) []forms.Option {
	node := pr.Params.Tree.Lookup("/" + prm.Name)
	if node == nil {
		return nil
	}
	return node.Options
}

// reportTable is the result as a table: labels as headings, cells as a
// person reads them, numbers right-aligned.
func reportTable(res *reports.Result) ([]ui.ReportHead, [][]ui.ReportCell) {
	head := make([]ui.ReportHead, len(res.Columns))
	for i, c := range res.Columns {
		head[i] = ui.ReportHead{Text: c.Label, Numeric: numericColumn(c)}
	}
	rows := make([][]ui.ReportCell, len(res.Rows))
	for r, row := range res.Rows {
		cells := make([]ui.ReportCell, len(res.Columns))
		for i, c := range res.Columns {
			text := res.Text(row, i)
			if c.Type == reports.TypeTimestamp && row.Cells[i] != nil {
				text = ui.When(row.Cells[i])
			}
			cells[i] = ui.ReportCell{Text: text, Numeric: numericColumn(c)}
		}
		rows[r] = cells
	}
	return head, rows
}

func numericColumn(c reports.OutColumn) bool {
	return c.Type == reports.TypeInteger || c.Type == reports.TypeNumber
}

// reportChart plots the first measure along the first dimension, one
// series for each value of the second (else one series): nil for a table
// or a list.
func reportChart(r *reports.Report, res *reports.Result) *ui.Chart {
	if r.Chart == reports.ChartTable || len(r.GroupBy) == 0 || len(res.Rows) == 0 {
		return nil
	}
	dims := 0
	measure := -1
	for i, c := range res.Columns {
		if c.Measure {
			measure = i
			break
		}
		dims++
	}
	if measure < 0 {
		return nil
	}
	var cats, names []string
	catAt, serAt := map[string]int{}, map[string]int{}
	type point struct {
		cat, ser int
		v        float64
	}
	var points []point
	for _, row := range res.Rows {
		cat := res.Text(row, 0)
		if _, ok := catAt[cat]; !ok {
			catAt[cat] = len(cats)
			cats = append(cats, cat)
		}
		ser := res.Columns[measure].Label
		if dims > 1 {
			ser = res.Text(row, 1)
		}
		if _, ok := serAt[ser]; !ok {
			serAt[ser] = len(names)
			names = append(names, ser)
		}
		v := math.NaN()
		switch x := row.Cells[measure].(type) {
		case int64:
			v = float64(x)
		case float64:
			v = x
		}
		points = append(points, point{catAt[cat], serAt[ser], v})
	}
	series := make([]ui.Series, len(names))
	for s, n := range names {
		series[s] = ui.Series{Name: n, Values: make([]float64, len(cats))}
		for i := range cats {
			series[s].Values[i] = math.NaN()
		}
	}
	for _, pt := range points {
		series[pt.ser].Values[pt.cat] = pt.v
	}
	ch := &ui.Chart{ID: "report-chart", Kind: r.Chart, Title: res.Report.Title, XLabel: res.Columns[0].Label,
		YLabel: res.Columns[measure].Label, Categories: cats, Series: series, Legend: dims > 1,
		Whole: res.Columns[measure].Type == reports.TypeInteger}
	if res.Columns[measure].Type == reports.TypeDuration {
		ch.Format = reports.Duration
	}
	return ch
}
