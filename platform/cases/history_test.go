package cases_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"cop/forms/imports"
	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/cases"
	"cop/platform/definitions"
	"cop/platform/events"
	"cop/platform/problem"
	"cop/platform/testenv"
)

var importer = &auth.Principal{Subject: "ivy", Roles: []string{"author"}, Teams: []string{"dover"}}

// seizureLogHistory publishes the form inferred from the sample log (as
// ivy, an author) and reads its rows as history to import.
func seizureLogHistory(t *testing.T, pool *pgxpool.Pool) (*cases.Service, cases.HistorySource, []cases.HistoricalRow) {
	t.Helper()
	ctx := context.Background()
	raw, err := os.ReadFile("../../forms/imports/testdata/seizure-log.csv")
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
	defs := definitions.New(pool)
	if _, err := defs.PublishForm(ctx, audit.Who{Actor: importer.Subject}, inferred.Definition, false); err != nil {
		t.Fatal(err)
	}
	form, _, err := defs.Form(ctx, "seizure-log", "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	cols, _ := imports.Columns(tbl, form)
	var rows []cases.HistoricalRow
	for i, r := range tbl.Rows {
		at, _ := imports.Moment(r[10], imports.UKTime) // Recorded at
		rows = append(rows, cases.HistoricalRow{Row: tbl.RowNumber(i), SubmittedBy: r[9], SubmittedAt: at,
			Data: imports.Answers(tbl, form, cols, i)})
	}
	sum := sha256.Sum256(raw)
	return cases.New(pool, defs), cases.HistorySource{Form: "seizure-log", Version: "1.0.0", File: "seizure-log.csv",
		Checksum: hex.EncodeToString(sum[:])}, rows
}

// A year of a seizure log imported as history: every valid row stored as a
// past submission in a case of its own, dated when the row was recorded
// and kept as recorded by the name the sheet gives; the bad rows refused
// at their questions; announced as imported, never as created; and a
// second import of the same file adds nothing.
func TestASeizureLogsHistoryIsImportedOnce(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Pool(t)
	s, src, rows := seizureLogHistory(t, pool)
	who := audit.Who{Actor: importer.Subject}

	res, err := s.ImportHistory(ctx, importer, who, src, rows)
	if err != nil {
		t.Fatal(err)
	}
	refused := map[int]string{}
	for _, r := range res.Refused {
		refused[r.Row] = r.Errors[0].Pointer
	}
	if res.Imported != 360 || res.Already != 0 || len(refused) != 5 || refused[42] != "/dateOfSeizure" || refused[222] != "/postcode" {
		t.Fatalf("first import: %d imported, %d already, refused %v", res.Imported, res.Already, refused)
	}
	var n, cases_, created, imported int
	var firstBy, firstAt, firstKey string
	if err := pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT case_id) FROM submissions WHERE form_name = 'seizure-log'`).Scan(&n, &cases_); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT s.submitted_by, to_char(s.submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), c.business_key
		FROM submissions s JOIN cases c ON c.id = s.case_id JOIN submission_imports i ON i.submission_id = s.id
		WHERE i.row_number = 2`).Scan(&firstBy, &firstAt, &firstKey); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE type = $1), count(*) FILTER (WHERE type = $2) FROM events`,
		events.SubmissionCreated, events.SubmissionImported).Scan(&created, &imported); err != nil {
		t.Fatal(err)
	}
	if n != 360 || cases_ != 360 || created != 0 || imported != 360 {
		t.Errorf("%d submissions in %d cases; events: %d created, %d imported", n, cases_, created, imported)
	}
	// Row 2 of the sheet: recorded by E. Evans at 12:32 on 1 December 2025.
	if firstBy != "E. Evans" || firstAt != "2025-12-01 12:32" || firstKey != "SL-20251201-1" {
		t.Errorf("row 2 stored as by %q at %s in %s", firstBy, firstAt, firstKey)
	}

	again, err := s.ImportHistory(ctx, importer, who, src, rows)
	if err != nil || again.Imported != 0 || again.Already != 360 || len(again.Refused) != 5 {
		t.Fatalf("second import: %+v %v", again, err)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM submissions WHERE form_name = 'seizure-log'`).Scan(&n); err != nil || n != 360 {
		t.Errorf("after the second import: %d submissions (%v)", n, err)
	}
	var audited int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'form.history.import' AND actor = 'ivy'`).Scan(&audited); err != nil || audited != 2 {
		t.Errorf("%d import audit rows (%v), want one an import", audited, err)
	}
}

// Two imports of the same file at once (a double click) store each row
// once between them.
func TestTwoHistoryImportsAtOnceStoreEachRowOnce(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Pool(t)
	s, src, rows := seizureLogHistory(t, pool)
	var wg sync.WaitGroup
	results := make([]cases.HistoryResult, 2)
	errs := make([]error, 2)
	start := make(chan struct{})
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i], errs[i] = s.ImportHistory(ctx, importer, audit.Who{Actor: importer.Subject}, src, rows)
		}()
	}
	close(start)
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("errors: %v, %v", errs[0], errs[1])
	}
	if got := results[0].Imported + results[1].Imported; got != 360 || results[0].Already+results[1].Already != 360 {
		t.Errorf("imported %d and %d, already %d and %d", results[0].Imported, results[1].Imported, results[0].Already, results[1].Already)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM submissions WHERE form_name = 'seizure-log'`).Scan(&n); err != nil || n != 360 {
		t.Errorf("%d submissions stored (%v), want 360", n, err)
	}
}

// Only an admin or an author of the form may import its history; another
// author or an officer is refused, and nothing is stored.
func TestOnlyTheFormsAuthorsImportItsHistory(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Pool(t)
	s, src, rows := seizureLogHistory(t, pool)
	for _, p := range []*auth.Principal{
		{Subject: "otto", Roles: []string{"author"}},
		{Subject: "olly", Roles: []string{"officer"}},
	} {
		_, err := s.ImportHistory(ctx, p, audit.Who{Actor: p.Subject}, src, rows)
		if pr, ok := problem.As(err); !ok || pr.Kind != problem.Forbidden {
			t.Errorf("%s importing: %v, want forbidden", p.Subject, err)
		}
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM submissions`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d submissions after refused imports (%v)", n, err)
	}
	if res, err := s.ImportHistory(ctx, admin, audit.Who{Actor: admin.Subject}, src, rows[:3]); err != nil || res.Imported != 3 {
		t.Errorf("an admin importing three rows: %+v %v", res, err)
	}
}

// A sheet corrected and imported again adds only the rows it corrected:
// the rest say what they said before (a new file has a new checksum, so
// they are known by what they say).
func TestACorrectedSheetAddsOnlyItsCorrections(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Pool(t)
	s, src, rows := seizureLogHistory(t, pool)
	who := audit.Who{Actor: importer.Subject}
	if res, err := s.ImportHistory(ctx, importer, who, src, rows); err != nil || res.Imported != 360 {
		t.Fatalf("first import: %+v %v", res, err)
	}
	for i, r := range rows {
		if r.Row == 42 {
			rows[i].Data["dateOfSeizure"] = "2026-01-11" // was 31/02/2026
		}
	}
	src.Checksum = strings.Repeat("ab", 32) // the corrected file
	res, err := s.ImportHistory(ctx, importer, who, src, rows)
	if err != nil || res.Imported != 1 || res.Already != 360 || len(res.Refused) != 4 {
		t.Fatalf("the corrected sheet: %+v %v", res, err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM submissions WHERE form_name = 'seizure-log'`).Scan(&n); err != nil || n != 361 {
		t.Errorf("%d submissions (%v), want 361", n, err)
	}
}
