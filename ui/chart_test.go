package ui_test

import (
	"math"
	"regexp"
	"strings"
	"testing"

	"cop/ui"
)

// TestChartEscapesWhatAuthorsAndAnswersWrite: a label is text in the SVG,
// never markup.
func TestChartEscapesWhatAuthorsAndAnswersWrite(t *testing.T) {
	c := ui.Chart{ID: "c", Kind: "bar", Title: `<script>alert(1)</script>`, XLabel: "Port", YLabel: "Seizures",
		Categories: []string{`"><img src=x onerror=alert(1)>`}, Series: []ui.Series{{Name: "Seizures", Values: []float64{3}}}}
	svg := string(c.SVG())
	if strings.Contains(svg, "<script>") || strings.Contains(svg, "<img") {
		t.Errorf("markup got through:\n%s", svg)
	}
	if !strings.Contains(svg, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the title is not kept as text:\n%s", svg)
	}
}

// TestChartAxisCountsInWholeNumbers: a count's axis does not step by half
// a seizure, and reaches the tallest stack.
func TestChartAxisCountsInWholeNumbers(t *testing.T) {
	c := ui.Chart{ID: "c", Kind: "stacked bar", Title: "T", XLabel: "Month", YLabel: "Seizures", Whole: true, Legend: true,
		Categories: []string{"2026-01", "2026-02"},
		Series:     []ui.Series{{Name: "Dover", Values: []float64{1, 2}}, {Name: "Southampton", Values: []float64{1, math.NaN()}}}}
	svg := string(c.SVG())
	ticks := regexp.MustCompile(`text-anchor="end" fill="#0b0c0c">([^<]*)<`).FindAllStringSubmatch(svg, -1)
	var got []string
	for _, m := range ticks {
		got = append(got, m[1])
	}
	if strings.Join(got, " ") != "0 1 2 3 4 5" {
		t.Errorf("ticks %v", got)
	}
	// Three segments and two legend swatches, each named in text.
	if n := strings.Count(svg, "<rect "); n != 5 {
		t.Errorf("%d rectangles, want 5", n)
	}
	for _, name := range []string{">Dover<", ">Southampton<", "Stacked bar chart of seizures by month, 2 values, for each of Dover, Southampton."} {
		if !strings.Contains(svg, name) {
			t.Errorf("no %q", name)
		}
	}
}

// TestChartOfNothingIsStillAnImage: no categories draws the axes only.
func TestChartOfNothingIsStillAnImage(t *testing.T) {
	svg := string(ui.Chart{ID: "c", Kind: "line", Title: "T", XLabel: "Day", YLabel: "Count"}.SVG())
	if !strings.HasPrefix(svg, "<svg ") || !strings.HasSuffix(svg, "</svg>") || strings.Contains(svg, "<polyline") {
		t.Errorf("%s", svg)
	}
}

// TestLineChartJoinsEachSeriesPoints: a line for each series, through a
// point at each value it has.
func TestLineChartJoinsEachSeriesPoints(t *testing.T) {
	svg := string(ui.Chart{ID: "c", Kind: "line", Title: "T", XLabel: "Week", YLabel: "Seizures", Legend: true,
		Categories: []string{"2026-W01", "2026-W02", "2026-W03"},
		Series:     []ui.Series{{Name: "Dover", Values: []float64{1, 4, 2}}, {Name: "Hull", Values: []float64{2, math.NaN(), 3}}}}.SVG())
	if n := strings.Count(svg, "<polyline "); n != 2 {
		t.Errorf("%d lines, want 2", n)
	}
	if n := strings.Count(svg, "<circle "); n != 5 {
		t.Errorf("%d points, want 5 (Hull has none in week 2)", n)
	}
	if !strings.Contains(svg, "Line chart of seizures by week, 3 values, for each of Dover, Hull.") {
		t.Errorf("description:\n%s", svg)
	}
}
