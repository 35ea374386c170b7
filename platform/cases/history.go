package cases

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"cop/forms"
	"cop/forms/imports"
	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/events"
	"cop/platform/problem"
	"cop/platform/registry"
	"cop/platform/store"
)

// HistorySource is the sheet a history import reads, and the form version
// its rows answer.
type HistorySource struct {
	Form, Version string
	File          string // the file's name, for the audit trail
	Checksum      string // the file's SHA-256, hex: with Sheet and a row, the row's key
	Sheet         string // "" for a CSV
}

// HistoricalRow is one row of the sheet as a past submission.
type HistoricalRow struct {
	Row         int            // the sheet's row number
	SubmittedBy string         // as the sheet recorded it: a name, not a sign-in
	SubmittedAt time.Time      // when the sheet says it was recorded
	Data        map[string]any // the answers
}

// HistoryResult is what an import did with each row.
type HistoryResult struct {
	Imported int          `json:"imported"`
	Already  int          `json:"alreadyImported"` // keyed rows a previous import stored
	Refused  []RefusedRow `json:"refused"`
}

// RefusedRow is a row whose answers the form refused: it is not stored.
type RefusedRow struct {
	Row    int        `json:"row"`
	Errors []RowError `json:"errors"`
}

// RowError is what is wrong with a refused row: at the question's pointer
// and, read from a sheet, the cell ("log.csv row 42, column B").
type RowError struct {
	Pointer string `json:"pointer"`
	Where   string `json:"where,omitempty"`
	Message string `json:"message"`
}

func rowErrors(errs []forms.FieldError) []RowError {
	out := make([]RowError, len(errs))
	for i, e := range errs {
		out[i] = RowError{Pointer: e.Pointer, Message: e.Message}
	}
	return out
}

// ImportedFrom is where an imported submission came from.
type ImportedFrom struct {
	File     string `json:"file"`
	Checksum string `json:"checksum"`
	Sheet    string `json:"sheet,omitempty"`
	Row      int    `json:"row"`
}

// historyChunk is how many rows one transaction stores.
const historyChunk = 500

// ImportHistory stores each valid row as a past submission of the form
// version, each in a case of its own dated by when the row was recorded,
// and announces it as cop.submission.imported: it starts no workflow.
// A row is keyed by (form, file checksum, sheet, row) and by what it says
// (answers, who, when): one a previous import stored is counted, not
// stored again (a corrected file adds only its corrections), and two
// imports of the same file at once store each row once. Admins and the
// form's authors may import.
func (s *Service) ImportHistory(ctx context.Context, p *auth.Principal, who audit.Who, src HistorySource, rows []HistoricalRow) (HistoryResult, error) {
	f, def, err := s.importable(ctx, p, src.Form, src.Version)
	if err != nil {
		return HistoryResult{}, err
	}
	return s.importHistory(ctx, p, who, f, def, src, rows)
}

// importable is the form version a history import goes into, when p may
// import into it.
func (s *Service) importable(ctx context.Context, p *auth.Principal, form, version string) (*forms.Form, registry.Definition, error) {
	f, def, err := s.defs.Form(ctx, form, version)
	if err != nil {
		if version == "" {
			return nil, def, fmt.Errorf("form %s: %w", form, err)
		}
		return nil, def, fmt.Errorf("form %s version %s: %w", form, version, err)
	}
	return f, def, s.mayImport(ctx, p, form)
}

func (s *Service) importHistory(ctx context.Context, p *auth.Principal, who audit.Who, f *forms.Form, def registry.Definition,
	src HistorySource, rows []HistoricalRow) (HistoryResult, error) {
	if len(src.Checksum) != 64 {
		return HistoryResult{}, problem.Invalidf(nil, "a history import needs the file's SHA-256 checksum, to key its rows")
	}
	var result HistoryResult
	valid := make([]historical, 0, len(rows))
	for _, r := range rows {
		h, errs := readHistorical(f, r)
		if len(errs) > 0 {
			result.Refused = append(result.Refused, RefusedRow{Row: r.Row, Errors: rowErrors(errs)})
			continue
		}
		valid = append(valid, h)
	}
	readers := nonNil(f.Def.Access.Read)
	prefix := CasePrefix(f.Def)
	for chunk := range slices.Chunk(valid, historyChunk) {
		imported, already, err := s.importChunk(ctx, p, who, src, def.Version, prefix, readers, chunk)
		if err != nil {
			return result, fmt.Errorf("import rows %d to %d: %w", chunk[0].row.Row, chunk[len(chunk)-1].row.Row, err)
		}
		result.Imported += imported
		result.Already += already
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		return audit.Record(ctx, tx, who.Entry("form.history.import", "form:"+src.Form, audit.OK, map[string]any{
			"version": def.Version, "file": src.File, "checksum": src.Checksum, "sheet": src.Sheet,
			"imported": result.Imported, "alreadyImported": result.Already, "refused": len(result.Refused)}))
	})
	return result, err
}

// mayImport allows admins and the authors of any version of the form.
func (s *Service) mayImport(ctx context.Context, p *auth.Principal, form string) error {
	if p.HasRole(auth.RoleAdmin) {
		return nil
	}
	if p.HasRole(auth.RoleAuthor) {
		versions, err := s.defs.Versions(ctx, "form", form)
		if err != nil {
			return err
		}
		for _, v := range versions {
			if v.UploadedBy == p.Subject {
				return nil
			}
		}
	}
	return problem.Forbiddenf("only an admin or an author of form %s may import its history", form)
}

// historical is a row whose answers the form accepts.
type historical struct {
	row    HistoricalRow
	data   json.RawMessage
	digest string // of what the row says: its answers, who and when
}

// readHistorical checks a row as a submission on the day it was recorded
// (a rule relative to today, such as "not in the future", is applied as of
// then).
func readHistorical(f *forms.Form, r HistoricalRow) (historical, []forms.FieldError) {
	if r.SubmittedAt.IsZero() {
		return historical{}, []forms.FieldError{{Pointer: "", Message: "The row does not say when it was recorded"}}
	}
	if r.SubmittedBy == "" {
		return historical{}, []forms.FieldError{{Pointer: "", Message: "The row does not say who recorded it"}}
	}
	raw, err := json.Marshal(r.Data)
	if err != nil {
		return historical{}, []forms.FieldError{{Pointer: "", Message: "The answers cannot be stored: " + err.Error()}}
	}
	data, errs := decodeAnswers(raw)
	if errs != nil {
		return historical{}, errs
	}
	if errs := f.Validate(data, r.SubmittedAt); len(errs) > 0 {
		return historical{}, errs
	}
	compact := compactJSON(raw) // json.Marshal sorts keys: the same answers, the same text
	sum := sha256.Sum256([]byte(r.SubmittedBy + "\n" + r.SubmittedAt.UTC().Format(time.RFC3339Nano) + "\n" + string(compact)))
	return historical{row: r, data: compact, digest: hex.EncodeToString(sum[:])}, nil
}

// importChunk stores one transaction's rows. Rows an earlier import stored
// (by key or by what they say) are left out first, the rest numbered a day
// at a time, then claimed in the transaction: a row another import claims
// at the same moment is left to it (its case number is a gap).
func (s *Service) importChunk(ctx context.Context, p *auth.Principal, who audit.Who, src HistorySource, version, prefix string,
	readers []string, chunk []historical) (int, int, error) {
	fresh, err := s.notImported(ctx, src, chunk)
	if err != nil {
		return 0, 0, err
	}
	byDay := map[string][]int{}
	var days []string
	for i, h := range fresh {
		d := h.row.SubmittedAt.UTC().Format(time.DateOnly)
		if byDay[d] == nil {
			days = append(days, d)
		}
		byDay[d] = append(byDay[d], i)
	}
	opened := make([]newCase, len(fresh))
	for _, d := range days {
		idx := byDay[d]
		cs, err := s.nextBusinessKeys(ctx, prefix, fresh[idx[0]].row.SubmittedAt, len(idx))
		if err != nil {
			return 0, 0, err
		}
		for j, i := range idx {
			opened[i] = cs[j]
		}
	}
	ids := make([]string, len(fresh))
	numbers := make([]int32, len(fresh))
	digests := make([]string, len(fresh))
	byRow := map[int]int{}
	for i, h := range fresh {
		ids[i], numbers[i], digests[i] = uuid.NewString(), int32(h.row.Row), h.digest
		byRow[h.row.Row] = i
	}
	imported := 0
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `INSERT INTO submission_imports (submission_id, form_name, file_name, file_checksum, sheet, row_number, row_digest, imported_by)
			SELECT id, $4, $8, $5, $6, n, d, $7 FROM unnest($1::uuid[], $2::int[], $3::text[]) AS r (id, n, d)
			ON CONFLICT DO NOTHING
			RETURNING submission_id::text, row_number`, ids, numbers, digests, src.Form, src.Checksum, src.Sheet, p.Subject, src.File)
		if err != nil {
			return fmt.Errorf("claim the rows: %w", err)
		}
		type claim struct {
			id  string
			row int
		}
		claims, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (claim, error) {
			var c claim
			return c, r.Scan(&c.id, &c.row)
		})
		if err != nil {
			return fmt.Errorf("claim the rows: %w", err)
		}
		imported = len(claims)
		for _, c := range claims {
			i := byRow[c.row]
			if err := s.storeHistorical(ctx, tx, p, who, src, version, readers, c.id, opened[i], fresh[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	return imported, len(chunk) - imported, nil
}

// notImported are the chunk's rows no earlier import stored: not by this
// file's key, nor a row saying the same.
func (s *Service) notImported(ctx context.Context, src HistorySource, chunk []historical) ([]historical, error) {
	numbers := make([]int32, len(chunk))
	digests := make([]string, len(chunk))
	for i, h := range chunk {
		numbers[i], digests[i] = int32(h.row.Row), h.digest
	}
	rows, err := s.pool.Query(ctx, `SELECT row_number, row_digest, file_checksum = $2 AND sheet = $3 FROM submission_imports
		WHERE form_name = $1 AND ((file_checksum = $2 AND sheet = $3 AND row_number = ANY($4)) OR row_digest = ANY($5))`,
		src.Form, src.Checksum, src.Sheet, numbers, digests)
	if err != nil {
		return nil, fmt.Errorf("find the rows imported before: %w", err)
	}
	keyed, said := map[int]bool{}, map[string]bool{}
	for rows.Next() {
		var n int
		var d string
		var sameFile bool
		if err := rows.Scan(&n, &d, &sameFile); err != nil {
			rows.Close()
			return nil, fmt.Errorf("find the rows imported before: %w", err)
		}
		said[d] = true
		if sameFile {
			keyed[n] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find the rows imported before: %w", err)
	}
	var fresh []historical
	for _, h := range chunk {
		if !keyed[h.row.Row] && !said[h.digest] {
			fresh = append(fresh, h)
		}
	}
	return fresh, nil
}

// storeHistorical writes one row's case, submission, audit row and event.
func (s *Service) storeHistorical(ctx context.Context, tx pgx.Tx, p *auth.Principal, who audit.Who, src HistorySource, version string,
	readers []string, id string, opened newCase, h historical) error {
	at := h.row.SubmittedAt.UTC()
	if err := store.Later(ctx, tx, "create case "+opened.key, `INSERT INTO cases (id, business_key, created_by, created_at) VALUES ($1, $2, $3, $4)`,
		opened.id, opened.key, h.row.SubmittedBy, at); err != nil {
		return err
	}
	if err := store.Later(ctx, tx, "store imported submission", `INSERT INTO submissions (id, case_id, form_name, form_version, data, submitted_by, read_access, teams, submitted_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		id, opened.id, src.Form, version, string(h.data), h.row.SubmittedBy, readers, nonNil(p.Teams), at); err != nil {
		return err
	}
	from := ImportedFrom{File: src.File, Checksum: src.Checksum, Sheet: src.Sheet, Row: h.row.Row}
	if err := audit.Record(ctx, tx, who.Entry("submission.import", "submission:"+id, audit.OK, map[string]any{
		"form": src.Form, "version": version, "case": opened.key, "imported": from})); err != nil {
		return err
	}
	sub := Submission{ID: id, Form: src.Form, FormVersion: version, BusinessKey: opened.key, Data: h.data,
		SubmittedBy: h.row.SubmittedBy, SubmittedAt: at, Imported: &from}
	return events.Publish(ctx, tx, events.New{Type: events.SubmissionImported, Subject: opened.key, Data: sub})
}

// HistoryFile is a spreadsheet uploaded to import as a form's history.
type HistoryFile struct {
	Form, Version string // version "": the latest
	Name          string // the file's name: .csv or .xlsx
	Content       []byte
	Sheet         string // "": a workbook's first
	// SubmittedBy and SubmittedAt are the headers of the columns that say
	// who recorded each row, and when.
	SubmittedBy, SubmittedAt string
}

// HistoryFileResult is what an import did with each row, and what in the
// sheet it could not read.
type HistoryFileResult struct {
	HistoryResult
	Rows     int            `json:"rows"`     // the rows under the header, blank ones left out
	Unmapped []imports.Item `json:"unmapped"` // columns the form does not ask
}

// ImportHistoryFile reads a sheet's rows as answers to the form (columns
// by the questions their headers name) and imports them as its history
// (ImportHistory). A file that cannot be read, or a column named for who or
// when that is not there, is refused whole, and nothing is stored.
func (s *Service) ImportHistoryFile(ctx context.Context, p *auth.Principal, who audit.Who, hf HistoryFile) (HistoryFileResult, error) {
	f, def, err := s.importable(ctx, p, hf.Form, hf.Version)
	if err != nil {
		return HistoryFileResult{}, err
	}
	tbl, err := imports.Read(hf.Name, hf.Content, hf.Sheet, imports.DefaultLimits)
	if err != nil {
		return HistoryFileResult{}, problem.Invalidf([]problem.Field{{Pointer: "/file", Message: err.Error()}}, "the file cannot be imported; see errors")
	}
	byCol, atCol, problems := historyColumns(tbl, hf)
	if len(problems) > 0 {
		return HistoryFileResult{}, problem.Invalidf(problems, "%s has no column for who recorded each row or when; see errors", hf.Name)
	}
	cols, unmapped := imports.Columns(tbl, f)
	out := HistoryFileResult{Unmapped: nonNilItems(unmapped), Rows: len(tbl.Rows)}
	var rows []HistoricalRow
	var unreadable []RefusedRow
	for i, r := range tbl.Rows {
		at, ok := imports.Moment(r[atCol], imports.UKTime)
		if !ok {
			unreadable = append(unreadable, RefusedRow{Row: tbl.RowNumber(i), Errors: []RowError{{Where: tbl.Cell(atCol, tbl.RowNumber(i)),
				Message: fmt.Sprintf("%q is not a date, or a date and time, saying when the row was recorded", r[atCol])}}})
			continue
		}
		rows = append(rows, HistoricalRow{Row: tbl.RowNumber(i), SubmittedBy: strings.TrimSpace(r[byCol]), SubmittedAt: at,
			Data: imports.Answers(tbl, f, cols, i)})
	}
	sum := sha256.Sum256(hf.Content)
	res, err := s.importHistory(ctx, p, who, f, def, HistorySource{Form: hf.Form, Version: def.Version, File: hf.Name,
		Checksum: hex.EncodeToString(sum[:]), Sheet: tbl.Sheet}, rows)
	if err != nil {
		return HistoryFileResult{}, err
	}
	colOf := map[string]int{}
	for col, name := range cols {
		colOf[name] = col
	}
	for i, r := range res.Refused {
		for j, e := range r.Errors {
			tokens, _ := forms.SplitPointer(e.Pointer)
			if col, ok := colOf[firstToken(tokens)]; ok && e.Where == "" {
				res.Refused[i].Errors[j].Where = tbl.Cell(col, r.Row)
			}
		}
	}
	res.Refused = append(res.Refused, unreadable...)
	slices.SortFunc(res.Refused, func(a, b RefusedRow) int { return a.Row - b.Row })
	if res.Refused == nil {
		res.Refused = []RefusedRow{}
	}
	out.HistoryResult = res
	return out, nil
}

// historyColumns finds the columns for who and when by their headers.
func historyColumns(tbl imports.Table, hf HistoryFile) (int, int, []problem.Field) {
	var problems []problem.Field
	cols := [2]int{}
	for i, c := range []struct{ header, ptr, what string }{
		{hf.SubmittedBy, "/submittedBy", "who recorded each row"},
		{hf.SubmittedAt, "/submittedAt", "when each row was recorded"},
	} {
		if c.header == "" {
			problems = append(problems, problem.Field{Pointer: c.ptr, Message: "Name the column that says " + c.what})
			continue
		}
		if cols[i] = tbl.Find(c.header); cols[i] < 0 {
			problems = append(problems, problem.Field{Pointer: c.ptr, Message: fmt.Sprintf("%q is not a column header of %s; its headers are %s",
				c.header, tbl.File, strings.Join(tbl.Header, ", "))})
		}
	}
	return cols[0], cols[1], problems
}

func nonNilItems(items []imports.Item) []imports.Item {
	if items == nil {
		return []imports.Item{}
	}
	return items
}

func firstToken(tokens []string) string {
	if len(tokens) == 0 {
		return ""
	}
	return tokens[0]
}
