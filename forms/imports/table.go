// Package imports turns what teams kept outside COP (grey-IT spreadsheets)
// into COP form definitions, with a report of everything that could not be
// mapped and where it came from. It is pure: it reads bytes and writes
// definitions, with no HTTP, SQL or Temporal.
package imports

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Limits bound what a spreadsheet may hold, so that a hostile or mistaken
// upload cannot take a replica's memory: each is checked before the
// content it bounds is read, and named in the error when exceeded.
type Limits struct {
	MaxBytes     int64 // the file as uploaded
	MaxUnzipped  int64 // an .xlsx's parts once unzipped (a zip bomb stops here)
	MaxRows      int   // data rows, the header not counted
	MaxColumns   int
	MaxCellChars int
}

// DefaultLimits suit a team's register: a year or several of rows.
var DefaultLimits = Limits{MaxBytes: 20 << 20, MaxUnzipped: 200 << 20, MaxRows: 100_000, MaxColumns: 200, MaxCellChars: 32_767}

// Table is one sheet of a spreadsheet: a header row and the rows under it,
// each cell as the spreadsheet shows it.
type Table struct {
	File   string // the file's name, for the report
	Sheet  string // "" for a CSV
	Header []string
	// Rows are the rows under the header with anything in them (blank
	// ones are left out: they are no record), each as long as Header.
	Rows [][]string
	// HeaderRow is the spreadsheet row (or CSV line) of the header, and
	// Numbers each row's, 1-based.
	HeaderRow int
	Numbers   []int
}

// Cell names a cell as a spreadsheet user finds it: "Seizures!C7", or
// "log.csv row 7, column C".
func (t Table) Cell(col, row int) string {
	name, _ := excelize.ColumnNumberToName(col + 1)
	if t.Sheet == "" {
		return fmt.Sprintf("%s row %d, column %s", t.File, row, name)
	}
	return fmt.Sprintf("%s!%s%d", t.Sheet, name, row)
}

// Column names a whole column the same way.
func (t Table) Column(col int) string {
	name, _ := excelize.ColumnNumberToName(col + 1)
	if t.Sheet == "" {
		return fmt.Sprintf("%s column %s", t.File, name)
	}
	return fmt.Sprintf("%s!%s:%s", t.Sheet, name, name)
}

// Find is the column whose header is header (spaces and case aside), or
// -1.
func (t Table) Find(header string) int {
	want := strings.Join(strings.Fields(header), " ")
	for i, h := range t.Header {
		if strings.EqualFold(strings.Join(strings.Fields(h), " "), want) {
			return i
		}
	}
	return -1
}

// RowNumber is the spreadsheet row (or CSV line) of Rows[i].
func (t Table) RowNumber(i int) int {
	if i < len(t.Numbers) {
		return t.Numbers[i]
	}
	return t.HeaderRow + 1 + i
}

// Read reads the sheet of a .csv or .xlsx file (by its name's extension);
// sheet "" is an .xlsx's first sheet.
func Read(name string, content []byte, sheet string, lim Limits) (Table, error) {
	if int64(len(content)) > lim.MaxBytes {
		return Table{}, fmt.Errorf("%s is %d bytes; an import takes at most %d (the file size limit)", name, len(content), lim.MaxBytes)
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		if sheet != "" {
			return Table{}, fmt.Errorf("%s is a CSV file, which has no sheets; leave --sheet out", name)
		}
		return readCSV(name, content, lim)
	case ".xlsx":
		return readXLSX(name, content, sheet, lim)
	default:
		return Table{}, fmt.Errorf("%s: import a .csv or .xlsx file (an .xls or .ods file can be saved as .xlsx)", name)
	}
}

func readCSV(name string, content []byte, lim Limits) (Table, error) {
	if !utf8.Valid(content) {
		return Table{}, fmt.Errorf("%s is not UTF-8 text: save it as \"CSV UTF-8\"", name)
	}
	content = bytes.TrimPrefix(content, []byte("\uFEFF")) // Excel's UTF-8 byte order mark
	r := csv.NewReader(bytes.NewReader(content))
	r.FieldsPerRecord = -1 // checked below, once the header is known
	t := Table{File: name}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return Table{}, fmt.Errorf("%s row %d: %v", name, pe.StartLine, pe.Err)
			}
			return Table{}, fmt.Errorf("read %s: %w", name, err)
		}
		line, _ := r.FieldPos(0) // the record's first line: encoding/csv skips empty lines
		if blankRow(rec) {
			continue // blank lines above the header, or between records
		}
		if t.Header == nil {
			if len(rec) > lim.MaxColumns {
				return Table{}, fmt.Errorf("%s has %d columns; an import takes at most %d (the column limit)", name, len(rec), lim.MaxColumns)
			}
			t.Header, t.HeaderRow = rec, line
			continue
		}
		if len(rec) != len(t.Header) {
			return Table{}, fmt.Errorf("%s row %d has %d cells where the header row has %d: every row needs one cell for each column",
				name, line, len(rec), len(t.Header))
		}
		if err := t.add(rec, line, lim); err != nil {
			return Table{}, err
		}
	}
	if t.Header == nil {
		return Table{}, fmt.Errorf("%s is empty: it needs a header row naming each column", name)
	}
	return t, nil
}

func readXLSX(name string, content []byte, sheet string, lim Limits) (Table, error) {
	f, err := excelize.OpenReader(bytes.NewReader(content), excelize.Options{
		UnzipSizeLimit: lim.MaxUnzipped, UnzipXMLSizeLimit: min(lim.MaxUnzipped, 16<<20),
		// Dates in the locale's short form are shown as ISO dates, which
		// are read as dates whatever the sheet's locale was.
		ShortDatePattern: "yyyy-mm-dd",
	})
	if err != nil {
		// excelize says these in words only.
		switch msg := err.Error(); {
		case strings.HasPrefix(msg, "unzip size exceeds"):
			return Table{}, fmt.Errorf("%s unzips to more than %d bytes; an import takes at most that (the unzipped size limit)", name, lim.MaxUnzipped)
		case errors.Is(err, excelize.ErrWorkbookFileFormat) || strings.Contains(msg, "zip"):
			return Table{}, fmt.Errorf("%s is not an .xlsx workbook (an .xlsx file is a zip archive): %v", name, err)
		}
		return Table{}, fmt.Errorf("open %s: %w", name, err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if sheet == "" {
		if len(sheets) == 0 {
			return Table{}, fmt.Errorf("%s has no sheets", name)
		}
		sheet = sheets[0]
	} else if idx, _ := f.GetSheetIndex(sheet); idx < 0 {
		return Table{}, fmt.Errorf("%s has no sheet %q; its sheets are %s", name, sheet, strings.Join(sheets, ", "))
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		return Table{}, fmt.Errorf("read %s sheet %s: %w", name, sheet, err)
	}
	defer rows.Close()
	t := Table{File: name, Sheet: sheet}
	for n := 1; rows.Next(); n++ {
		cells, err := rows.Columns()
		if err != nil {
			return Table{}, fmt.Errorf("read %s!%d: %w", sheet, n, err)
		}
		if t.Header == nil {
			if blankRow(cells) {
				continue // blank rows above the header
			}
			if len(cells) > lim.MaxColumns {
				return Table{}, fmt.Errorf("%s sheet %s has %d columns; an import takes at most %d (the column limit)", name, sheet, len(cells), lim.MaxColumns)
			}
			t.Header, t.HeaderRow = trimTrailingBlanks(cells), n
			continue
		}
		if blankRow(cells) {
			continue // no record; formatting alone makes rows far below the data
		}
		if len(cells) > len(t.Header) {
			if !blankRow(cells[len(t.Header):]) {
				return Table{}, fmt.Errorf("%s has a value beyond the last headed column, at %s: give the column a header or clear it",
					name, t.Cell(firstFilled(cells, len(t.Header)), n))
			}
			cells = cells[:len(t.Header)]
		}
		if err := t.add(cells, n, lim); err != nil {
			return Table{}, err
		}
	}
	if err := rows.Error(); err != nil {
		return Table{}, fmt.Errorf("read %s sheet %s: %w", name, sheet, err)
	}
	if t.Header == nil {
		return Table{}, fmt.Errorf("%s sheet %s is empty: it needs a header row naming each column", name, sheet)
	}
	return t, nil
}

// add appends row number n, padded to the header's width.
func (t *Table) add(cells []string, n int, lim Limits) error {
	if len(t.Rows) >= lim.MaxRows {
		return fmt.Errorf("%s has more than %d rows under its header; an import takes at most %d (the row limit): split it", t.where(), lim.MaxRows, lim.MaxRows)
	}
	row := make([]string, len(t.Header))
	for i, c := range cells {
		if utf8.RuneCountInString(c) > lim.MaxCellChars {
			return fmt.Errorf("%s holds %d characters; a cell may hold at most %d (the cell limit)", t.Cell(i, n), utf8.RuneCountInString(c), lim.MaxCellChars)
		}
		row[i] = c
	}
	t.Rows = append(t.Rows, row)
	t.Numbers = append(t.Numbers, n)
	return nil
}

func (t Table) where() string {
	if t.Sheet == "" {
		return t.File
	}
	return t.File + " sheet " + t.Sheet
}

func blankRow(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func firstFilled(cells []string, from int) int {
	for i := from; i < len(cells); i++ {
		if strings.TrimSpace(cells[i]) != "" {
			return i
		}
	}
	return from
}

func trimTrailingBlanks(cells []string) []string {
	n := len(cells)
	for n > 0 && strings.TrimSpace(cells[n-1]) == "" {
		n--
	}
	return cells[:n]
}
