package pages_test

import (
	"context"
	"html"
	"os"
	"regexp"
	"strings"
	"testing"

	"cop/platform/web/webtest"
)

// publishReportFixtures registers the seizure log, four seizures in it
// and two reports over them: by month and port (a stacked bar chart), and
// every seizure (a list).
func publishReportFixtures(e *webtest.Env) {
	e.T.Helper()
	author := e.Token("author")
	e.Must(201, "POST", "/api/v1/refdata", author, webtest.PortsSet, nil)
	form, err := os.ReadFile("testdata/seizure-log.json")
	if err != nil {
		e.T.Fatal(err)
	}
	e.Must(201, "POST", "/api/v1/forms", author, string(form), nil)
	officer := e.Token("officer")
	for _, s := range []map[string]any{
		{"category": "drugs", "value": 100, "seizedOn": "2026-01-05", "port": "GBDVR"},
		{"category": "cash", "value": 50, "seizedOn": "2026-01-20", "port": "GBSOU"},
		{"category": "drugs", "value": 300, "seizedOn": "2026-02-01", "port": "GBDVR"},
		{"category": "tobacco", "value": 10.5, "seizedOn": "2026-02-14", "port": "GBDVR"},
	} {
		e.Must(201, "POST", "/api/v1/forms/seizure-log/submissions", officer, s, nil)
	}
	for _, name := range []string{"seizures-by-month.yaml", "seizure-list.yaml"} {
		raw, err := os.ReadFile("testdata/" + name)
		if err != nil {
			e.T.Fatal(err)
		}
		if resp, body := e.Send("POST", "/api/v1/reports", author, string(raw), "Content-Type", "application/yaml"); resp.StatusCode != 201 {
			e.T.Fatalf("publish %s: %d %s", name, resp.StatusCode, body)
		}
	}
}

var tags = regexp.MustCompile(`<[^>]+>`)

// text is a page's text, its markup gone and its spaces squeezed.
func text(body string) string {
	return strings.Join(strings.Fields(html.UnescapeString(tags.ReplaceAllString(body, " "))), " ")
}

func TestReportPages(t *testing.T) {
	e := webtest.New(t)
	publishReportFixtures(e)
	manager := e.Browser()
	e.SignIn(manager, "manager").Body.Close()
	officer := e.Browser()
	e.SignIn(officer, "officer").Body.Close()

	t.Run("the navigation links Reports for those who may read one", func(t *testing.T) {
		if page := e.Get(manager, "/reports"); page.Status != 200 || !strings.Contains(page.Body, `href="/reports"`) ||
			!strings.Contains(text(page.Body), "Seizures by month and port Seizures in the log, by month of seizure and port.") {
			t.Errorf("the manager's reports: %d %s", page.Status, text(page.Body))
		}
		if page := e.Get(officer, "/"); page.Status != 200 || strings.Contains(page.Body, `href="/reports"`) {
			t.Errorf("an officer, who reads none, is offered Reports: %d", page.Status)
		}
		if page := e.Get(officer, "/reports/seizures-by-month"); page.Status != 404 {
			t.Errorf("an officer opens a manager's report: %d", page.Status)
		}
	})
	t.Run("a chart drawn on the server, its table and a CSV of the same rows", func(t *testing.T) {
		page := e.Get(manager, "/reports/seizures-by-month")
		if page.Status != 200 {
			t.Fatalf("%d %s", page.Status, text(page.Body))
		}
		b := page.Body
		for _, want := range []string{`<svg class="cop-chart"`, `role="img" aria-labelledby="report-chart-title report-chart-desc"`,
			`<title id="report-chart-title">Seizures by month and port</title>`,
			`Stacked bar chart of seizures by month, 2 values, for each of Dover, Southampton.`} {
			if !strings.Contains(b, want) {
				t.Errorf("the chart lacks %q", want)
			}
		}
		// Three stacked segments (January at Dover and Southampton,
		// February at Dover) and two legend swatches.
		if n := strings.Count(b, "<rect "); n != 5 {
			t.Errorf("%d rectangles, want 5", n)
		}
		want := "Month Port Seizures Value (GBP) 2026-01 Dover 1 100 2026-01 Southampton 1 50 2026-02 Dover 2 310.5 Download CSV"
		if !strings.Contains(text(b), want) {
			t.Errorf("the table: want %q in\n%s", want, text(b))
		}
		link := regexp.MustCompile(`href="(/api/v1/reports/seizures-by-month/result\?[^"]*)"`).FindStringSubmatch(b)
		if link == nil {
			t.Fatal("no Download CSV link")
		}
		resp, csv := e.Do(manager, "GET", html.UnescapeString(link[1]), "", nil)
		if resp.StatusCode != 200 || csv != "Month,Port,Seizures,Value (GBP)\n2026-01,Dover,1,100\n2026-01,Southampton,1,50\n2026-02,Dover,2,310.5\n" {
			t.Errorf("the CSV: %d %q", resp.StatusCode, csv)
		}
	})
	t.Run("the parameters narrow it and keep their answers", func(t *testing.T) {
		page := e.Get(manager, "/reports/seizures-by-month?from=2026-02-01&to=&ports=GBDVR")
		if page.Status != 200 || !strings.Contains(text(page.Body), "Value (GBP) 2026-02 Dover 2 310.5 Download CSV") ||
			strings.Contains(text(page.Body), "2026-01 Dover") {
			t.Errorf("February at Dover: %d %s", page.Status, text(page.Body))
		}
		if !regexp.MustCompile(`name="ports" type="checkbox" value="GBDVR" checked`).MatchString(page.Body) ||
			!strings.Contains(page.Body, `value="2026-02-01"`) {
			t.Errorf("the answers were not kept:\n%s", page.Body)
		}
		if !strings.Contains(page.Body, "from=2026-02-01") || !strings.Contains(page.Body, "ports=GBDVR") {
			t.Error("the CSV link does not carry the parameters")
		}
	})
	t.Run("a wrong parameter is an error summary, not an answer", func(t *testing.T) {
		page := e.Get(manager, "/reports/seizures-by-month?from=1/2/2026&ports=XXXXX")
		if page.Status != 422 || !strings.Contains(page.Body, "There is a problem") || !strings.Contains(page.Body, `href="#param-from"`) ||
			!strings.Contains(page.Body, `href="#param-ports"`) || !strings.Contains(page.Body, "govuk-input--error") ||
			strings.Contains(page.Body, "<table") || !strings.HasPrefix(regexp.MustCompile(`<title>([^<]*)`).FindStringSubmatch(page.Body)[1], "Error: ") {
			t.Errorf("%d %s", page.Status, text(page.Body))
		}
	})
	t.Run("a list has no chart", func(t *testing.T) {
		page := e.Get(manager, "/reports/seizure-list")
		if page.Status != 200 || strings.Contains(page.Body, "<svg class=\"cop-chart\"") || strings.Count(page.Body, "<tr class=\"govuk-table__row\">") != 5 ||
			!strings.Contains(text(page.Body), "2026-02-14 Tobacco Dover 10.5") {
			t.Errorf("%d %s", page.Status, text(page.Body))
		}
	})
	t.Run("a long list shows its first rows, and the CSV every one", func(t *testing.T) {
		if _, err := e.Pool.Exec(context.Background(), `INSERT INTO submissions (id, case_id, form_name, form_version, data, submitted_by, read_access, teams)
			SELECT gen_random_uuid(), (SELECT min(id) FROM cases), 'seizure-log', '1.0.0',
				jsonb_build_object('category', 'cash', 'value', n, 'seizedOn', '2025-12-01', 'port', 'GBDVR'),
				'dev-officer', '{role:supervisor,role:manager}', '{heathrow-t5}'
			FROM generate_series(1, 600) n`); err != nil {
			t.Fatal(err)
		}
		defer e.Pool.Exec(context.Background(), `DELETE FROM submissions WHERE data->>'seizedOn' = '2025-12-01'`)
		page := e.Get(manager, "/reports/seizure-list")
		if page.Status != 200 || !strings.Contains(text(page.Body), "This page shows the first 500 of 604 rows; the CSV has every one.") ||
			strings.Count(page.Body, `<tr class="govuk-table__row">`) != 501 {
			t.Errorf("%d, %d rows: %s", page.Status, strings.Count(page.Body, `<tr class="govuk-table__row">`), text(page.Body)[:300])
		}
		resp, csv := e.Do(manager, "GET", "/api/v1/reports/seizure-list/result?format=csv", "", nil)
		if resp.StatusCode != 200 || strings.Count(csv, "\n") != 605 {
			t.Errorf("the CSV: %d, %d lines", resp.StatusCode, strings.Count(csv, "\n"))
		}
	})
	t.Run("too many rows says to narrow the parameters", func(t *testing.T) {
		e.Srv.Deps().Reports.MaxRows = 2
		defer func() { e.Srv.Deps().Reports.MaxRows = 10000 }()
		page := e.Get(manager, "/reports/seizures-by-month")
		if page.Status != 422 || !strings.Contains(text(page.Body), "too many rows to show for these choices. Narrow them") ||
			strings.Contains(page.Body, "<table") {
			t.Errorf("%d %s", page.Status, text(page.Body))
		}
		if resp, body := e.Do(manager, "GET", "/api/v1/reports/seizures-by-month/result?format=csv", "", nil); resp.StatusCode != 422 ||
			strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
			t.Errorf("a capped CSV: %d %s", resp.StatusCode, body)
		}
	})
}
