package ui

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Chart is a bar, stacked bar or line chart drawn on the server as SVG:
// values along Categories, one Series each (a bar of each, stacked, or a
// line). It is an image with a title and a description; the data table
// beside it on the page is its accessible equivalent.
type Chart struct {
	ID         string // unique on the page, for aria-labelledby
	Kind       string // bar, stacked bar, line
	Title      string
	XLabel     string
	YLabel     string
	Categories []string
	Series     []Series
	// Format writes a value for the axis (durations as "2 h 5 min").
	Format func(float64) string
	// Whole: the values are counts, so the axis steps by whole numbers.
	Whole bool
	// Legend names the series under the chart even when there is one
	// (the series are a second dimension's values).
	Legend bool
}

// Series is one set of values, one per category (NaN: none).
type Series struct {
	Name   string
	Values []float64
}

// The GOV.UK colour palette, in an order that keeps neighbours apart.
var palette = []string{"#1d70b8", "#f47738", "#00703c", "#4c2c92", "#d53880", "#28a197", "#b58840", "#5694ca", "#d4351c", "#85994b"}

const (
	chartW, chartH           = 760, 380
	padL, padR, padT, padB   = 90, 20, 20, 70
	plotW, plotH             = chartW - padL - padR, chartH - padT - padB
	legendRow                = 22
	maxCategoryLabelChars    = 16
	maxLegendEntries         = 12
	legendColumns            = 3
	legendColumnWidth        = chartW / legendColumns
	axisTicks                = 5
	maxBar                   = 90.0
	strokeText               = `font-family="GDS Transport, arial, sans-serif"`
	fontSmall, fontAxisLabel = 14, 16
)

// SVG draws the chart.
func (c Chart) SVG() template.HTML {
	format := c.Format
	if format == nil {
		format = plainNumber
	}
	top := c.top()
	legend := c.legendHeight()
	h := chartH + legend
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="cop-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="100%%" role="img" aria-labelledby="%s-title %s-desc" %s>`,
		chartW, h, c.ID, c.ID, strokeText)
	fmt.Fprintf(&b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, c.ID, esc(c.Title), c.ID, esc(c.describe()))
	// Axes, gridlines and tick labels.
	for i := 0; i <= axisTicks; i++ {
		v := top * float64(i) / axisTicks
		y := padT + plotH - int(math.Round(float64(plotH)*float64(i)/axisTicks))
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#b1b4b6" stroke-width="1"/>`, padL, y, padL+plotW, y)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="%d" text-anchor="end" fill="#0b0c0c">%s</text>`, padL-8, y+5, fontSmall, esc(format(v)))
	}
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#0b0c0c" stroke-width="2"/>`, padL, padT+plotH, padL+plotW, padT+plotH)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="%d" text-anchor="middle" fill="#0b0c0c">%s</text>`,
		padL+plotW/2, chartH-12, fontAxisLabel, esc(c.XLabel))
	fmt.Fprintf(&b, `<text transform="translate(18 %d) rotate(-90)" font-size="%d" text-anchor="middle" fill="#0b0c0c">%s</text>`,
		padT+plotH/2, fontAxisLabel, esc(c.YLabel))
	n := len(c.Categories)
	if n == 0 {
		b.WriteString(`</svg>`)
		return template.HTML(b.String())
	}
	slot := float64(plotW) / float64(n)
	scale := func(v float64) float64 { return float64(plotH) * v / top }
	for i, cat := range c.Categories {
		x := float64(padL) + slot*float64(i)
		if n <= 24 || i%int(math.Ceil(float64(n)/24)) == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="%d" text-anchor="middle" fill="#0b0c0c">%s</text>`,
				x+slot/2, padT+plotH+20, fontSmall, esc(shorten(cat, maxCategoryLabelChars)))
		}
	}
	switch c.Kind {
	case "line":
		for s, ser := range c.Series {
			colour := palette[s%len(palette)]
			var pts []string
			for i, v := range ser.Values {
				if math.IsNaN(v) {
					continue
				}
				x := float64(padL) + slot*float64(i) + slot/2
				y := float64(padT+plotH) - scale(v)
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="4" fill="%s"/>`, x, y, colour)
			}
			if len(pts) > 1 {
				fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="3"/>`, strings.Join(pts, " "), colour)
			}
		}
	case "stacked bar":
		w := math.Min(slot*0.7, maxBar)
		for i := range c.Categories {
			base := 0.0
			for s, ser := range c.Series {
				v := ser.Values[i]
				if math.IsNaN(v) || v <= 0 {
					continue
				}
				x := float64(padL) + slot*float64(i) + (slot-w)/2
				y := float64(padT+plotH) - scale(base+v)
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, x, y, w, scale(v), palette[s%len(palette)])
				base += v
			}
		}
	default: // bar: the series side by side
		w := math.Min(slot*0.8/float64(len(c.Series)), maxBar)
		group := w * float64(len(c.Series))
		for i := range c.Categories {
			for s, ser := range c.Series {
				v := ser.Values[i]
				if math.IsNaN(v) || v <= 0 {
					continue
				}
				x := float64(padL) + slot*float64(i) + (slot-group)/2 + w*float64(s)
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`,
					x, float64(padT+plotH)-scale(v), w, scale(v), palette[s%len(palette)])
			}
		}
	}
	c.drawLegend(&b)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// top is the axis's highest value: a round number at or above the largest
// bar (or stack).
func (c Chart) top() float64 {
	most := 0.0
	for i := range c.Categories {
		stack := 0.0
		for _, s := range c.Series {
			if v := s.Values[i]; !math.IsNaN(v) && v > 0 {
				if c.Kind == "stacked bar" {
					stack += v
				} else {
					stack = math.Max(stack, v)
				}
			}
		}
		most = math.Max(most, stack)
	}
	if most <= 0 {
		return 1
	}
	step := math.Pow(10, math.Floor(math.Log10(most/axisTicks)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if c.Whole && step*m < 1 {
			continue // no ticks at half a seizure
		}
		if step*m*axisTicks >= most {
			return step * m * axisTicks
		}
	}
	return most
}

// drawLegend names the series under the chart (not by colour alone: each
// swatch has its name beside it), when there is more than one.
func (c Chart) drawLegend(b *strings.Builder) {
	if len(c.Series) < 2 && !c.Legend {
		return
	}
	for s, ser := range c.Series {
		if s == maxLegendEntries {
			fmt.Fprintf(b, `<text x="%d" y="%d" font-size="%d" fill="#0b0c0c">and %d more (see the table)</text>`,
				20, chartH+legendRow*(s/legendColumns)+14, fontSmall, len(c.Series)-s)
			break
		}
		x := 20 + legendColumnWidth*(s%legendColumns)
		y := chartH + legendRow*(s/legendColumns)
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="16" height="16" fill="%s"/>`, x, y, palette[s%len(palette)])
		fmt.Fprintf(b, `<text x="%d" y="%d" font-size="%d" fill="#0b0c0c">%s</text>`, x+22, y+13, fontSmall, esc(shorten(ser.Name, 28)))
	}
}

func (c Chart) legendHeight() int {
	if len(c.Series) < 2 && !c.Legend {
		return 0
	}
	rows := (min(len(c.Series), maxLegendEntries+1) + legendColumns - 1) / legendColumns
	return rows*legendRow + 10
}

// describe says in words what the chart shows, for screen readers.
func (c Chart) describe() string {
	what := map[string]string{"line": "Line chart", "stacked bar": "Stacked bar chart"}[c.Kind]
	if what == "" {
		what = "Bar chart"
	}
	d := fmt.Sprintf("%s of %s by %s, %d %s", what, strings.ToLower(c.YLabel), strings.ToLower(c.XLabel), len(c.Categories),
		map[bool]string{true: "value", false: "values"}[len(c.Categories) == 1])
	if len(c.Series) > 1 {
		var names []string
		for _, s := range c.Series {
			names = append(names, s.Name)
		}
		d += ", for each of " + strings.Join(names, ", ")
	}
	return d + ". The table below gives every value."
}

func plainNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func esc(s string) string { return html.EscapeString(s) }
