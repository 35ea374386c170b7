package cases_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"cop/platform/audit"
	"cop/platform/cases"
	"cop/platform/definitions"
	"cop/platform/malware"
	"cop/platform/problem"
	"cop/platform/testenv"
)

// scanned is the service with a real clamd, and a form taking any file.
func scanned(t *testing.T) (*cases.Service, *pgxpool.Pool) {
	t.Helper()
	pool := testenv.Pool(t)
	defs := definitions.New(pool)
	form := `{"name": "seizure-evidence", "version": "1.0.0", "title": "Seizure evidence", "casePrefix": "SE",
		"schema": {"type": "object", "required": ["note"], "properties": {"note": {"type": "string", "title": "Note"},
			"evidence": {"type": "string", "format": "cop-file", "title": "Evidence"}}}}`
	if _, err := defs.PublishForm(context.Background(), audit.Who{Actor: "author"}, []byte(form), false); err != nil {
		t.Fatal(err)
	}
	s := cases.New(pool, defs)
	s.Scanner = testenv.Clamd(t)
	return s, pool
}

func upload(s *cases.Service, name string, content []byte) (cases.File, error) {
	return s.Upload(context.Background(), ann, audit.Who{Actor: ann.Subject, RequestID: "req-" + name}, cases.UploadRequest{
		Form: "seizure-evidence", Field: "/evidence", Filename: name, ContentType: "application/octet-stream", Content: content})
}

// refusedAt is the message of a refusal at /file, failing on anything else.
func refusedAt(t *testing.T, err error) string {
	t.Helper()
	p, ok := problem.As(err)
	if !ok || p.Kind != problem.Invalid || len(p.Fields) != 1 || p.Fields[0].Pointer != "/file" {
		t.Fatalf("got %v, want a refusal at /file", err)
	}
	return p.Fields[0].Message
}

func countFiles(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM files`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// auditRows are the rows of action, oldest first, as "outcome resource detail".
func auditRows(t *testing.T, pool *pgxpool.Pool, action string) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT outcome, resource, detail::text FROM audit_log WHERE action = $1 ORDER BY id`, action)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var outcome, resource, detail string
		if err := rows.Scan(&outcome, &resource, &detail); err != nil {
			t.Fatal(err)
		}
		out = append(out, outcome+" "+resource+" "+detail)
	}
	return out
}

// EICAR is refused with its name, audited with its signature, and not
// kept; a clean file is kept, marked clean, and read back whole.
func TestAnInfectedUploadIsRefusedAndAudited(t *testing.T) {
	ctx := context.Background()
	s, pool := scanned(t)
	_, err := upload(s, "eicar.com", malware.EICAR())
	if msg := refusedAt(t, err); msg != "The selected file contains a virus (Eicar-Test-Signature) and has not been kept" {
		t.Errorf("officer is told %q", msg)
	}
	if n := countFiles(t, pool); n != 0 {
		t.Errorf("%d files stored after a virus was refused", n)
	}
	rows := auditRows(t, pool, "file.upload")
	if len(rows) != 1 || !strings.HasPrefix(rows[0], "rejected file:") || !strings.Contains(rows[0], `"signature": "Eicar-Test-Signature"`) {
		t.Fatalf("audit rows %q, want one rejected with the signature", rows)
	}

	clean := []byte("Two holdalls, 4 kg, sealed in bag 1187.\n")
	f, err := upload(s, "note.txt", clean)
	if err != nil || f.Scan != cases.FileClean {
		t.Fatalf("a clean file: %+v %v", f, err)
	}
	got, content, err := s.FileContent(ctx, ann, f.ID)
	if err != nil || !bytes.Equal(content, clean) || got.Scan != cases.FileClean {
		t.Fatalf("reading it back: %+v %q %v", got, content, err)
	}
	if rows := auditRows(t, pool, "file.upload"); len(rows) != 2 || !strings.HasPrefix(rows[1], "ok file:"+f.ID) {
		t.Errorf("audit rows %q, want the clean upload after the refusal", rows)
	}
}

// With the scanner down, too slow, or not configured, nothing is stored
// and the officer is asked to try again (503), never accepted unscanned.
func TestNoScannerNoUpload(t *testing.T) {
	s, pool := scanned(t)
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() { // accepts and never answers
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	for _, tc := range []struct {
		name    string
		scanner cases.Scanner
		want    string
	}{
		{"clamd stopped", &malware.Clamd{Address: testenv.HangUp(t), Timeout: time.Second}, "The file could not be checked for viruses just now; try again"},
		{"clamd too slow", &malware.Clamd{Address: silent.Addr().String(), Timeout: 300 * time.Millisecond}, "The file could not be checked for viruses just now; try again"},
		{"no scanner configured", nil, "COP_CLAMD_ADDRESS"},
	} {
		s.Scanner = tc.scanner
		_, err := upload(s, "note.txt", []byte("a clean note"))
		p, ok := problem.As(err)
		if !ok || p.Kind != problem.Unavailable || !strings.Contains(p.Detail, tc.want) || p.Kind.Status() != 503 {
			t.Errorf("%s: %v, want 503 saying %q", tc.name, err, tc.want)
		}
	}
	if n := countFiles(t, pool); n != 0 {
		t.Errorf("%d files stored without a scan", n)
	}
}

// What the scanner cannot be trusted with is refused with the reason: a
// password-protected archive, and archives that unpack to too much.
func TestArchivesTheScannerCannotRead(t *testing.T) {
	s, pool := scanned(t)
	encrypted := zipOf(t, func(w *zip.Writer) {
		fw, _ := w.CreateRaw(&zip.FileHeader{Name: "ledger.xlsx", Method: zip.Store, Flags: 0x1, CompressedSize64: 40, UncompressedSize64: 28})
		_, _ = fw.Write(bytes.Repeat([]byte{0xa7}, 40))
	})
	bomb := zipOf(t, func(w *zip.Writer) { // declares 8 GiB inside 1 KiB
		fw, _ := w.CreateRaw(&zip.FileHeader{Name: "huge.bin", Method: zip.Deflate, CompressedSize64: 1024, UncompressedSize64: 8 << 30})
		_, _ = fw.Write(make([]byte, 1024))
	})
	dense := zipOf(t, func(w *zip.Writer) { // 50 MiB of zeros deflate to about 50 KiB
		fw, _ := w.Create("zeros.bin")
		_, _ = fw.Write(make([]byte, 50<<20))
	})
	many := zipOf(t, func(w *zip.Writer) {
		for i := range cases.MaxArchiveEntries + 1 {
			_, _ = w.Create(fmt.Sprintf("f%d.txt", i))
		}
	})
	for _, tc := range []struct {
		name    string
		content []byte
		want    string
	}{
		{"encrypted", encrypted, "The selected file is password-protected, so it cannot be checked for viruses"},
		{"declaring 8 GiB", bomb, "The selected file unpacks to more than 100 MB; an archive may unpack to at most 100 MB"},
		{"compressed a thousand times over", dense, "The selected file unpacks to more than 100 times its size"},
		{"too many files", many, "The selected file holds 1001 files; an archive may hold at most 1000"},
		{"damaged", []byte("PK\x03\x04 but nothing after"), "The selected file is a damaged ZIP archive"},
	} {
		_, err := upload(s, tc.name+".zip", tc.content)
		if msg := refusedAt(t, err); !strings.HasPrefix(msg, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, msg, tc.want)
		}
	}
	ordinary := zipOf(t, func(w *zip.Writer) {
		fw, _ := w.Create("statement.txt")
		_, _ = fw.Write([]byte("I saw the bags loaded at 14:05."))
	})
	if _, err := upload(s, "statement.zip", ordinary); err != nil {
		t.Errorf("an ordinary zip: %v", err)
	}
	if n := countFiles(t, pool); n != 1 {
		t.Errorf("%d files stored, want the ordinary zip alone", n)
	}
}

// An encrypted document the Go check cannot see into (not a ZIP) is
// still refused: clamd reports it, and the officer is told why.
func TestTheScannerReportsWhatItCannotRead(t *testing.T) {
	s, _ := scanned(t)
	s.Scanner = fakeVerdict{v: malware.Verdict{Signature: "Heuristics.Encrypted.PDF"}}
	if msg := refusedAt(t, second(upload(s, "locked.pdf", []byte("%PDF-1.7 encrypted")))); msg != "The selected file is password-protected, so it cannot be checked for viruses" {
		t.Errorf("encrypted PDF: %q", msg)
	}
	s.Scanner = fakeVerdict{v: malware.Verdict{Signature: "Heuristics.Limits.Exceeded.MaxScanSize"}}
	if msg := refusedAt(t, second(upload(s, "deep.7z", []byte("7z archive")))); msg != "The selected file unpacks to more than can be checked for viruses" {
		t.Errorf("past clamd's limits: %q", msg)
	}
	s.Scanner = fakeVerdict{v: malware.Verdict{Signature: "Heuristics.Broken.Executable"}}
	if msg := refusedAt(t, second(upload(s, "tool.exe", []byte("MZ")))); msg != "The selected file failed the virus check (Heuristics.Broken.Executable) and has not been kept" {
		t.Errorf("a heuristic: %q", msg)
	}
	s.Scanner = fakeVerdict{err: fmt.Errorf("clamd: INSTREAM size limit exceeded. ERROR: %w", malware.ErrTooLarge)}
	if msg := refusedAt(t, second(upload(s, "big.bin", []byte("big")))); msg != "The selected file is too large to be checked for viruses" {
		t.Errorf("past clamd's stream limit: %q", msg)
	}
}

type fakeVerdict struct {
	v   malware.Verdict
	err error
}

func (f fakeVerdict) Scan(context.Context, io.Reader) (malware.Verdict, error) {
	return f.v, f.err
}

func second[T any](_ T, err error) error { return err }

func zipOf(t *testing.T, fill func(*zip.Writer)) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	fill(w)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Two officers' uploads at the same moment, one EICAR and one clean: each
// gets its own verdict.
func TestConcurrentUploadsEachGetTheirVerdict(t *testing.T) {
	s, pool := scanned(t)
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			content := []byte(fmt.Sprintf("clean note %d", i))
			if i%2 == 0 {
				content = malware.EICAR()
			}
			<-start
			_, errs[i] = upload(s, fmt.Sprintf("f%d", i), content)
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if i%2 == 0 && !strings.Contains(refusedAt(t, err), "Eicar-Test-Signature") {
			t.Errorf("upload %d (EICAR): %v", i, err)
		}
		if i%2 == 1 && err != nil {
			t.Errorf("upload %d (clean): %v", i, err)
		}
	}
	if n := countFiles(t, pool); n != len(errs)/2 {
		t.Errorf("%d files stored, want the %d clean ones", n, len(errs)/2)
	}
}

// A file stored before scanning existed stays readable, marked pending;
// it cannot join a submission until scanned; the background scan passes
// it, and withholds (and audits) one that is infected.
func TestFilesStoredBeforeScanningAreScannedInTheBackground(t *testing.T) {
	ctx := context.Background()
	s, pool := scanned(t)
	old, err := upload(s, "old-note.txt", []byte("stored in 2025"))
	if err != nil {
		t.Fatal(err)
	}
	infected, err := upload(s, "old-macro.txt", []byte("placeholder"))
	if err != nil {
		t.Fatal(err)
	}
	// As the migration leaves rows stored before it: pending; one of
	// them with EICAR's bytes, as if uploaded before anyone checked.
	if _, err := pool.Exec(ctx, `UPDATE files SET scan = 'pending', scanned_at = NULL`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE files SET content = $2 WHERE id = $1`, infected.ID, malware.EICAR()); err != nil {
		t.Fatal(err)
	}
	f, content, err := s.FileContent(ctx, ann, old.ID)
	if err != nil || f.Scan != cases.FilePending || string(content) != "stored in 2025" {
		t.Fatalf("a pending file: %+v %q %v, want it readable and pending", f, content, err)
	}
	_, err = s.Submit(ctx, ann, audit.Who{Actor: ann.Subject}, cases.SubmitRequest{Form: "seizure-evidence",
		Data: mustJSON(map[string]any{"note": "x", "evidence": old.ID})})
	if p, ok := problem.As(err); !ok || p.Kind != problem.Invalid || !strings.Contains(p.Fields[0].Message, "not yet been checked for viruses") {
		t.Fatalf("submitting a pending file: %v", err)
	}

	// The scanner down: nothing decided, everything still pending.
	s.Scanner = &malware.Clamd{Address: testenv.HangUp(t), Timeout: time.Second}
	if n, err := s.ScanPending(ctx, 100); !errors.Is(err, malware.ErrUnavailable) || n != (cases.Scanned{}) {
		t.Fatalf("scanner down: %+v %v", n, err)
	}
	if f, _, err := s.FileContent(ctx, ann, old.ID); err != nil || f.Scan != cases.FilePending {
		t.Fatalf("after a failed scan: %+v %v", f, err)
	}

	s.Scanner = testenv.Clamd(t)
	n, err := s.ScanPending(ctx, 100)
	if err != nil || n != (cases.Scanned{Clean: 1, Infected: 1}) {
		t.Fatalf("scan pending: %+v %v", n, err)
	}
	if f, _, err := s.FileContent(ctx, ann, old.ID); err != nil || f.Scan != cases.FileClean {
		t.Errorf("the clean one: %+v %v", f, err)
	}
	_, content, err = s.FileContent(ctx, ann, infected.ID)
	if p, ok := problem.As(err); !ok || p.Kind != problem.Gone || !strings.Contains(p.Detail, "contains a virus (Eicar-Test-Signature) and is withheld") || content != nil {
		t.Errorf("the infected one: %v (%d bytes), want gone", err, len(content))
	}
	if _, _, err := s.FileContent(ctx, bob, infected.ID); !errors.Is(err, cases.ErrNotFound) {
		t.Errorf("someone who could never read it: %v, want not found", err)
	}
	rows := auditRows(t, pool, "file.scan")
	if len(rows) != 1 || !strings.HasPrefix(rows[0], "rejected file:"+infected.ID) || !strings.Contains(rows[0], "Eicar-Test-Signature") {
		t.Errorf("audit %q, want the infected file's row", rows)
	}
	_, err = s.Submit(ctx, ann, audit.Who{Actor: ann.Subject}, cases.SubmitRequest{Form: "seizure-evidence",
		Data: mustJSON(map[string]any{"note": "x", "evidence": infected.ID})})
	if p, ok := problem.As(err); !ok || p.Kind != problem.Invalid || !strings.Contains(p.Fields[0].Message, "did not pass the virus check") {
		t.Errorf("submitting an infected file: %v", err)
	}
	if n, err := s.ScanPending(ctx, 100); err != nil || n != (cases.Scanned{}) {
		t.Errorf("nothing left to scan: %+v %v", n, err)
	}
}

// The per-person quota of files not yet in a submission still holds.
func TestUploadQuota(t *testing.T) {
	ctx := context.Background()
	s, pool := scanned(t)
	if _, err := pool.Exec(ctx, `INSERT INTO files (id, owner, form_name, form_version, field, filename, content_type, size, sha256, content, scan)
		VALUES (gen_random_uuid(), $1, 'seizure-evidence', '1.0.0', '/evidence', 'big.bin', 'application/octet-stream', $2, '\x00', '\x00', 'clean')`,
		ann.Subject, cases.MaxUnattachedBytesPerUser-10); err != nil {
		t.Fatal(err)
	}
	_, err := upload(s, "note.txt", []byte("eleven bytes and more"))
	if p, ok := problem.As(err); !ok || p.Kind != problem.Conflict || p.Reason != cases.ReasonQuota || !strings.Contains(p.Detail, "not yet in a submission") {
		t.Fatalf("over the quota: %v", err)
	}
	if _, err := s.Upload(ctx, bob, audit.Who{Actor: bob.Subject}, cases.UploadRequest{Form: "seizure-evidence", Field: "/evidence",
		Filename: "n.txt", Content: []byte("bob's own quota")}); err != nil {
		t.Errorf("another officer: %v", err)
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
