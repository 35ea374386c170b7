package imports_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"cop/forms"
	"cop/forms/imports"
)

// compiles checks a definition as `cop forms validate` does: parsed
// strictly and compiled, with nothing to resolve.
func compiles(t *testing.T, def []byte) *forms.Form {
	t.Helper()
	d, err := forms.ParseForm(def)
	if err != nil {
		t.Fatalf("the definition does not parse: %v\n%s", err, def)
	}
	f, err := forms.CompileForm(d, forms.NewLibrary())
	if err != nil {
		t.Fatalf("the definition does not compile: %v\n%s", err, def)
	}
	return f
}

func fieldsByHeader(f imports.Form) map[string]imports.Field {
	out := map[string]imports.Field{}
	for _, fd := range f.Fields {
		out[fd.Header] = fd
	}
	return out
}

// A year of a grey-IT seizure log (testdata/seizure-log.csv, written for
// these tests) becomes a form: each column's kind from the large majority
// of its values, required where no cell is blank, and each cell that does
// not fit its column reported by row and column.
func TestASeizureLogBecomesAForm(t *testing.T) {
	raw, err := os.ReadFile("testdata/seizure-log.csv")
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := imports.Read("seizure-log.csv", raw, "", imports.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if len(tbl.Rows) != 365 {
		t.Fatalf("%d rows, want 365", len(tbl.Rows))
	}
	f, err := imports.InferForm(tbl, imports.FormOptions{Name: "seizure-log"})
	if err != nil {
		t.Fatal(err)
	}
	byHeader := fieldsByHeader(f)
	for header, want := range map[string]struct {
		prop, kind string
		required   bool
	}{
		"Ref":                 {"ref", imports.KindText, true},
		"Date of seizure":     {"dateOfSeizure", imports.KindDate, true},
		"Port":                {"port", imports.KindChoice, true},
		"Category":            {"category", imports.KindChoice, true},
		"Quantity":            {"quantity", imports.KindInteger, true},
		"Value (£)":           {"value", imports.KindNumber, true},
		"Referred to police?": {"referredToPolice", imports.KindYesNo, true},
		"Postcode":            {"postcode", imports.KindPostcode, false},
		"Seizing officer":     {"seizingOfficer", imports.KindChoice, true},
		"Notes":               {"notes", imports.KindText, false},
	} {
		got := byHeader[header]
		if got.Property != want.prop || got.Kind != want.kind || got.Required != want.required {
			t.Errorf("%s became %+v, want property %s, kind %s, required %v", header, got, want.prop, want.kind, want.required)
		}
	}
	if got := byHeader["Port"].Options; strings.Join(got, ",") != "Dover,Felixstowe,Gatwick,Heathrow,Southampton" {
		t.Errorf("port's options %v", got)
	}
	report := map[string]string{}
	for _, it := range f.Report {
		report[it.Where] = it.Why
	}
	for where, says := range map[string]string{
		"seizure-log.csv row 42, column B":  `"31/02/2026" is not a date`,
		"seizure-log.csv row 99, column F":  `"twelve" is not a whole number`,
		"seizure-log.csv row 302, column F": `"3.5" is not a whole number`,
		"seizure-log.csv row 152, column G": `"1200.5O" is not a number`,
		"seizure-log.csv row 222, column I": `"NOT KNOWN" is not a postcode`,
	} {
		if !strings.Contains(report[where], says) {
			t.Errorf("the report at %s says %q, want %q", where, report[where], says)
		}
	}
	if len(f.Report) != 5 {
		t.Errorf("the report has %d items, want the 5 bad cells: %v", len(f.Report), f.Report)
	}

	form := compiles(t, f.Definition)
	// The form takes a good row and refuses what the sheet got wrong.
	good := map[string]any{"ref": "SL-0001", "dateOfSeizure": "2025-12-01", "port": "Dover", "category": "Cash",
		"goodsDescription": "Cash in a suitcase lining", "quantity": 3, "value": 1200.5, "referredToPolice": true,
		"postcode": "CT16 1JA", "seizingOfficer": "B. Jones", "recordedAt": "01/12/2025 12:32", "notes": "=HYPERLINK(\"x\")"}
	if errs := form.Validate(good, time.Now()); len(errs) > 0 {
		t.Errorf("a good row is refused: %v", errs)
	}
	bad := map[string]any{}
	for k, v := range good {
		bad[k] = v
	}
	bad["postcode"], bad["port"] = "NOT KNOWN", "Narnia"
	errs := form.Validate(bad, time.Now())
	if len(errs) != 2 {
		t.Errorf("a row with a bad postcode and port: %v", errs)
	}
	for _, e := range errs {
		if e.Pointer == "/postcode" && e.Message != "Enter a real postcode, like SW1A 2AA" {
			t.Errorf("the postcode refused with %q", e.Message)
		}
	}
	// The questions stay in the sheet's order, a page of about ten each.
	var def struct {
		UI struct {
			Order []string
			Pages []struct{ Fields []string }
		}
	}
	if err := json.Unmarshal(f.Definition, &def); err != nil {
		t.Fatal(err)
	}
	if len(def.UI.Pages) != 2 || def.UI.Pages[0].Fields[0] != "ref" || def.UI.Pages[1].Fields[len(def.UI.Pages[1].Fields)-1] != "notes" {
		t.Errorf("pages %+v, want the 12 questions on 2 pages in column order", def.UI.Pages)
	}
}

// A sheet's dates are dates whether they are typed as text or stored as
// Excel dates with the locale's short date format, and a header repeated
// or missing is named in the report.
func TestAnXLSXWorkbookBecomesAForm(t *testing.T) {
	x := excelize.NewFile()
	sheet := "Register"
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		t.Fatal(err)
	}
	short, err := x.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		t.Fatal(err)
	}
	rows := [][]any{{"Seized on", "Typed date", "Officer email", "Count", "", "Count"}}
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range 12 {
		rows = append(rows, []any{day.AddDate(0, 0, i), day.AddDate(0, 0, i).Format("02/01/2006"),
			"officer" + string(rune('a'+i)) + "@homeoffice.gov.uk", i + 1, "x", i * 2})
	}
	for r, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, r+1)
		if err := x.SetSheetRow(sheet, cell, &row); err != nil {
			t.Fatal(err)
		}
		if r > 0 {
			a, _ := excelize.CoordinatesToCellName(1, r+1)
			if err := x.SetCellStyle(sheet, a, a, short); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		t.Fatal(err)
	}
	tbl, err := imports.Read("register.xlsx", buf.Bytes(), "", imports.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if tbl.Sheet != sheet || tbl.Rows[0][0] != "2026-03-01" {
		t.Fatalf("sheet %q, first date %q", tbl.Sheet, tbl.Rows[0][0])
	}
	f, err := imports.InferForm(tbl, imports.FormOptions{Name: "register", Title: "Seizure register"})
	if err != nil {
		t.Fatal(err)
	}
	kinds := []string{}
	props := []string{}
	for _, fd := range f.Fields {
		kinds, props = append(kinds, fd.Kind), append(props, fd.Property)
	}
	if strings.Join(kinds, ",") != "date,date,email,integer,choice,integer" {
		t.Errorf("kinds %v", kinds)
	}
	if strings.Join(props, ",") != "seizedOn,typedDate,officerEmail,count,columnE,count2" {
		t.Errorf("properties %v", props)
	}
	var why []string
	for _, it := range f.Report {
		why = append(why, it.String())
	}
	if len(why) != 2 || !strings.Contains(why[0], "Register!E1: the header is empty") || !strings.Contains(why[1], "Register!F1:") || !strings.Contains(why[1], "count2") {
		t.Errorf("report %q", why)
	}
	compiles(t, f.Definition)
}

// What cannot be read is one error naming the file and the place, and
// nothing else.
func TestUnreadableSpreadsheetsAreRefusedWithThePlace(t *testing.T) {
	zipBomb := func() []byte {
		var buf bytes.Buffer
		z := zip.NewWriter(&buf)
		w, _ := z.Create("xl/worksheets/sheet1.xml")
		_, _ = w.Write(bytes.Repeat([]byte(" "), 8<<20))
		_ = z.Close()
		return buf.Bytes()
	}()
	lim := imports.DefaultLimits
	lim.MaxUnzipped = 1 << 20
	for _, tc := range []struct {
		name, file string
		content    []byte
		sheet      string
		lim        imports.Limits
		want       string
	}{
		{"ragged CSV", "log.csv", []byte("a,b,c\n1,2,3\n4,5\n"), "", imports.DefaultLimits, "log.csv row 3 has 2 cells where the header row has 3"},
		{"empty CSV", "log.csv", nil, "", imports.DefaultLimits, "log.csv is empty"},
		{"not UTF-8", "log.csv", []byte("a,b\n\xff\xfe,1\n"), "", imports.DefaultLimits, "not UTF-8"},
		{"not a zip", "log.xlsx", []byte("hello, I am text"), "", imports.DefaultLimits, "log.xlsx is not an .xlsx workbook"},
		{"zip bomb", "bomb.xlsx", zipBomb, "", lim, "bomb.xlsx unzips to more than 1048576 bytes; an import takes at most that (the unzipped size limit)"},
		{"too big", "log.csv", bytes.Repeat([]byte("a\n"), 100), "", imports.Limits{MaxBytes: 50, MaxRows: 10, MaxColumns: 5, MaxCellChars: 5}, "the file size limit"},
		{"too many rows", "log.csv", []byte("a\n1\n2\n3\n"), "", imports.Limits{MaxBytes: 1 << 20, MaxRows: 2, MaxColumns: 5, MaxCellChars: 5}, "the row limit"},
		{"too many columns", "log.csv", []byte("a,b,c\n"), "", imports.Limits{MaxBytes: 1 << 20, MaxRows: 2, MaxColumns: 2, MaxCellChars: 5}, "the column limit"},
		{"a cell too long", "log.csv", []byte("a\nabcdefgh\n"), "", imports.Limits{MaxBytes: 1 << 20, MaxRows: 2, MaxColumns: 2, MaxCellChars: 5}, "log.csv row 2, column A holds 8 characters"},
		{"a sheet on a CSV", "log.csv", []byte("a\n"), "Sheet1", imports.DefaultLimits, "has no sheets"},
		{"another format", "log.ods", []byte("a\n"), "", imports.DefaultLimits, "import a .csv or .xlsx file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := imports.Read(tc.file, tc.content, tc.sheet, tc.lim)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
	x := excelize.NewFile()
	var buf bytes.Buffer
	_ = x.Write(&buf)
	if _, err := imports.Read("book.xlsx", buf.Bytes(), "Seizures", imports.DefaultLimits); err == nil || !strings.Contains(err.Error(), `book.xlsx has no sheet "Seizures"; its sheets are Sheet1`) {
		t.Errorf("a missing sheet: %v", err)
	}
	if _, err := imports.InferForm(imports.Table{File: "a.csv", Header: []string{"a"}}, imports.FormOptions{Name: "Bad Name"}); err == nil || !strings.Contains(err.Error(), `form name "Bad Name"`) {
		t.Errorf("a bad form name: %v", err)
	}
}

// Each row of the log, read as answers to the form inferred from it,
// passes the form's validation, except the five rows with a bad cell,
// which are refused at that cell's question; a column the form does not
// ask is reported, not read.
func TestTheLogsRowsAreAnswersToItsForm(t *testing.T) {
	raw, err := os.ReadFile("testdata/seizure-log.csv")
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := imports.Read("seizure-log.csv", raw, "", imports.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	inferred, err := imports.InferForm(tbl, imports.FormOptions{Name: "seizure-log"})
	if err != nil {
		t.Fatal(err)
	}
	form := compiles(t, inferred.Definition)
	cols, unmapped := imports.Columns(tbl, form)
	if len(cols) != 12 || len(unmapped) != 0 {
		t.Fatalf("columns %v, unmapped %v", cols, unmapped)
	}
	refused := map[int]string{}
	for i := range tbl.Rows {
		answers := imports.Answers(tbl, form, cols, i)
		if errs := form.Validate(answers, time.Now()); len(errs) > 0 {
			refused[tbl.RowNumber(i)] = errs[0].Pointer
		}
	}
	want := map[int]string{42: "/dateOfSeizure", 99: "/quantity", 152: "/value", 222: "/postcode", 302: "/quantity"}
	if len(refused) != len(want) {
		t.Errorf("refused rows %v, want %v", refused, want)
	}
	for row, ptr := range want {
		if refused[row] != ptr {
			t.Errorf("row %d refused at %q, want %q", row, refused[row], ptr)
		}
	}
	first := imports.Answers(tbl, form, cols, 0)
	if first["dateOfSeizure"] != "2025-12-01" || first["referredToPolice"] != true || first["quantity"] != int64(326) {
		t.Errorf("the first row read as %v", first)
	}

	// A column the form does not ask, and one that repeats a question.
	extra := tbl
	extra.Header = append(append([]string{}, tbl.Header...), "Shift", "Port")
	extra.Rows = [][]string{append(append([]string{}, tbl.Rows[0]...), "Night", "Dover")}
	_, unmapped = imports.Columns(extra, form)
	if len(unmapped) != 2 || !strings.Contains(unmapped[0].String(), `seizure-log.csv column M: "Shift" names no question`) ||
		!strings.Contains(unmapped[1].String(), "fills port, which column C fills already") {
		t.Errorf("unmapped %v", unmapped)
	}
}

// When a row says something happened: UK and ISO forms, read in the UK's
// time when they give no zone.
func TestMoments(t *testing.T) {
	london := imports.UKTime
	for v, want := range map[string]string{
		"01/12/2025 12:32":          "2025-12-01T12:32:00Z",
		"1/7/2026 09:05":            "2026-07-01T08:05:00Z", // summer time
		"21/11/2026":                "2026-11-21T00:00:00Z",
		"2026-07-01T09:05:00+01:00": "2026-07-01T08:05:00Z",
		"2026-07-01 09:05":          "2026-07-01T08:05:00Z",
	} {
		m, ok := imports.Moment(v, london)
		if !ok || m.UTC().Format(time.RFC3339) != want {
			t.Errorf("%q read as %v (%v), want %s", v, m.UTC(), ok, want)
		}
	}
	for _, v := range []string{"yesterday", "31/02/2026 10:00", "12:30"} {
		if _, ok := imports.Moment(v, london); ok {
			t.Errorf("%q read as a moment", v)
		}
	}
}

// Codes with leading zeros (telephone numbers, reference numbers) stay
// text: read as numbers they would lose the zero.
func TestCodesWithLeadingZerosStayText(t *testing.T) {
	csv := "Phone,Ref,Amount\n07700900123,0042,0.50\n07700900456,0043,\"£1,250.00\"\n07700900789,0044,12\n"
	tbl, err := imports.Read("contacts.csv", []byte(csv), "", imports.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	f, err := imports.InferForm(tbl, imports.FormOptions{Name: "contacts"})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, fd := range f.Fields {
		kinds = append(kinds, fd.Kind)
	}
	if strings.Join(kinds, ",") != "text,text,number" {
		t.Errorf("kinds %v, want text,text,number", kinds)
	}
}

// Blank lines are no record: they neither make a question optional nor
// shift the rows the report names; a repeated header's second column is
// read into the question the import made for it; a date with a time is
// not a date (its time would be lost).
func TestBlankLinesRepeatedHeadersAndTimes(t *testing.T) {
	csv := ",,\nName,Notes,Notes,Seen at\n\nAnn,a,b,01/12/2025 12:32\nBob,c,d,02/12/2025 09:00\n\nCy,e,zz,03/12/2025 10:15\n,,,\n"
	tbl, err := imports.Read("log.csv", []byte(csv), "", imports.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if tbl.HeaderRow != 2 || len(tbl.Rows) != 3 || tbl.RowNumber(0) != 4 || tbl.RowNumber(2) != 7 {
		t.Fatalf("header row %d, %d rows, numbered %v", tbl.HeaderRow, len(tbl.Rows), tbl.Numbers)
	}
	f, err := imports.InferForm(tbl, imports.FormOptions{Name: "log"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, fd := range f.Fields {
		got = append(got, fmt.Sprintf("%s:%s:%v", fd.Property, fd.Kind, fd.Required))
	}
	if strings.Join(got, " ") != "name:text:true notes:text:true notes2:text:true seenAt:text:true" {
		t.Errorf("fields %v", got)
	}
	form := compiles(t, f.Definition)
	cols, unmapped := imports.Columns(tbl, form)
	if len(unmapped) != 0 || cols[2] != "notes2" {
		t.Errorf("columns %v, unmapped %v", cols, unmapped)
	}
	if a := imports.Answers(tbl, form, cols, 2); a["notes2"] != "zz" || a["seenAt"] != "03/12/2025 10:15" {
		t.Errorf("row 7 read as %v", a)
	}
	// A whole number beyond what a number holds is not one.
	big, err := imports.Read("big.csv", []byte("n\n1\n2\n99999999999999999999\n"), "", imports.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := imports.InferForm(big, imports.FormOptions{Name: "big"}); f.Fields[0].Kind == imports.KindInteger {
		t.Error("a column with a 20-digit number was read as whole numbers")
	}
}
