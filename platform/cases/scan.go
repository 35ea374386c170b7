package cases

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"cop/forms"
	"cop/forms/lang"
	"cop/platform/audit"
	"cop/platform/malware"
	"cop/platform/problem"
)

// Scanner decides whether bytes carry malware: *malware.Clamd. Its errors
// are malware.ErrTooLarge (the file's fault) or anything else (the
// scanner's: the upload is refused, to be tried again).
type Scanner interface {
	Scan(ctx context.Context, r io.Reader) (malware.Verdict, error)
}

// The scan states of a stored file (files.scan).
const (
	FilePending     = "pending"     // stored before scanning existed; readable meanwhile
	FileClean       = "clean"       // the scanner found nothing
	FileInfected    = "infected"    // withheld: the scanner found malware
	FileUnscannable = "unscannable" // withheld: the scanner could not read it
)

// Limits on what a ZIP-based upload (an archive, a Word or Excel file)
// may unpack to, read from its central directory before any scanner sees
// it: an archive built to unpack to gigabytes ("a zip bomb") is refused
// here rather than tying up the scanner.
const (
	MaxArchiveExpandedBytes = 100 << 20
	MaxArchiveEntries       = 1000
	// MaxCompressionRatio applies to archives expanding past
	// ratioFloorBytes: a small file compressed well is no threat.
	MaxCompressionRatio = 100
	ratioFloorBytes     = 1 << 20
)

// Why a scanner's verdict or failure refuses an upload: the message ids of
// the officer's words (forms/lang), in the language the request is in.
const (
	refusedUnreadable  = "upload.unreadable"
	refusedTooLarge    = "upload.tooLargeToScan"
	refusedPastLimits  = "upload.pastScanLimits"
	scannerUnavailable = "upload.scannerDown"
)

func refusedInfected(signature string, w lang.Words) string {
	if strings.HasPrefix(signature, "Heuristics.") {
		// A heuristic (phishing, a damaged program) is suspicion, not a
		// named virus: the officer is not told it is one.
		return w.T("upload.suspicious", "Signature", signature)
	}
	return w.T("upload.virus", "Signature", signature)
}

// noScanner refuses every upload where no scanner is configured: an
// unscanned file is never kept.
func noScanner(w lang.Words) error {
	return &problem.Error{Kind: problem.Unavailable, Detail: w.T("upload.noScanner")}
}

// scannerDown refuses an upload while the scanner is down or slow.
func scannerDown(w lang.Words) error {
	return &problem.Error{Kind: problem.Unavailable, Detail: w.T(scannerUnavailable)}
}

// scanOutcome is the scanner's word on an upload: refused says why it is
// not kept ("" when clean), signature what was found.
type scanOutcome struct {
	refused, signature string
	state              string // FileClean, FileInfected or FileUnscannable
}

// scan asks the scanner about content. Its error is the scanner's
// failure; a file it will not pass is an outcome.
func (s *Service) scan(ctx context.Context, content []byte) (scanOutcome, error) {
	w := lang.For(lang.FromContext(ctx))
	if s.Scanner == nil {
		return scanOutcome{}, noScanner(w)
	}
	v, err := s.Scanner.Scan(ctx, bytes.NewReader(content))
	switch {
	case errors.Is(err, malware.ErrTooLarge):
		return scanOutcome{refused: w.T(refusedTooLarge), signature: "INSTREAM size limit exceeded", state: FileUnscannable}, nil
	case err != nil:
		if s.Log != nil {
			s.Log.Error("the virus scanner failed; the file is refused, not stored", "err", err)
		}
		return scanOutcome{}, fmt.Errorf("scan: %w: %w", err, scannerDown(w))
	case v.Clean():
		return scanOutcome{state: FileClean}, nil
	case v.Encrypted():
		return scanOutcome{refused: w.T(refusedUnreadable), signature: v.Signature, state: FileUnscannable}, nil
	case v.LimitsExceeded():
		return scanOutcome{refused: w.T(refusedPastLimits), signature: v.Signature, state: FileUnscannable}, nil
	}
	return scanOutcome{refused: refusedInfected(v.Signature, w), signature: v.Signature, state: FileInfected}, nil
}

// scanUpload scans a file Upload is about to keep. A refusal is an
// invalid answer at /file, audited in a transaction of its own since
// nothing else of the upload is written.
func (s *Service) scanUpload(ctx context.Context, who audit.Who, file File, content []byte) error {
	out, err := s.scan(ctx, content)
	if err != nil {
		return err
	}
	if out.refused == "" {
		return nil
	}
	entry := who.Entry("file.upload", "file:"+file.ID, audit.Rejected, map[string]any{"reason": "malware scan", "scan": out.state,
		"signature": out.signature, "form": file.Form, "field": file.Field, "size": file.Size, "contentType": file.ContentType, "sha256": file.SHA256})
	if err := audit.Record(ctx, s.pool, entry); err != nil {
		return fmt.Errorf("audit a refused upload: %w", err)
	}
	return invalidAnswers(file.Form, file.FormVersion, "the file", problem.At("/file", out.refused))
}

// checkArchive reads a ZIP-based file's central directory (not its
// contents) for what the scanner cannot be trusted with: entries
// encrypted, and expansion past the limits. It answers the refusal, ""
// when there is none or the file is no ZIP.
func checkArchive(content []byte, w lang.Words) string {
	if !bytes.HasPrefix(content, []byte("PK\x03\x04")) && !bytes.HasPrefix(content, []byte("PK\x05\x06")) {
		return ""
	}
	zr, err := zip.NewReader(bytes.NewReader(content), int64(len(content)))
	if err != nil {
		return w.T("upload.damagedZip")
	}
	if len(zr.File) > MaxArchiveEntries {
		return w.T("upload.tooManyEntries", "Entries", len(zr.File), "Max", MaxArchiveEntries)
	}
	var expanded, compressed uint64
	for _, f := range zr.File {
		if f.Flags&0x1 != 0 {
			return w.T(refusedUnreadable)
		}
		expanded += f.UncompressedSize64
		compressed += f.CompressedSize64
		if expanded > MaxArchiveExpandedBytes {
			return w.T("upload.unpacksTooLarge", "Max", forms.ByteSize(MaxArchiveExpandedBytes))
		}
	}
	if expanded > ratioFloorBytes && expanded > compressed*MaxCompressionRatio {
		return w.T("upload.ratio", "Max", MaxCompressionRatio)
	}
	return ""
}

// Scanned counts what one background scan decided.
type Scanned struct{ Clean, Infected, Unscannable int }

// scanBatch is how many pending files one transaction holds: each is
// locked while it is scanned, so replicas share the work.
const scanBatch = 10

// scannerWho is the actor of the background scan's audit rows.
var scannerWho = audit.Who{Actor: "cop-scanner"}

// PendingFiles says which of the files (by id) were stored before
// uploads were scanned and are not yet scanned: the pages tag them.
func (s *Service) PendingFiles(ctx context.Context, ids []string) (map[string]bool, error) {
	var valid []string
	for _, id := range ids {
		if _, err := uuid.Parse(id); err == nil {
			valid = append(valid, id)
		}
	}
	out := map[string]bool{}
	if len(valid) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT id::text FROM files WHERE id = ANY($1::uuid[]) AND scan = $2`, valid, FilePending)
	if err != nil {
		return nil, fmt.Errorf("read files' scans: %w", err)
	}
	pending, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("read files' scans: %w", err)
	}
	for _, id := range pending {
		out[id] = true
	}
	return out, nil
}

// ScanPending scans up to limit files stored before scanning existed,
// oldest first, marking each clean, or infected or unscannable (withheld
// from then on, and audited). Every replica may run it: a file is taken
// by one (FOR UPDATE SKIP LOCKED). When the scanner fails, the files not
// reached stay pending for the next run and the failure is returned.
func (s *Service) ScanPending(ctx context.Context, limit int) (Scanned, error) {
	var done Scanned
	if s.Scanner == nil {
		return done, noScanner(lang.For(lang.English))
	}
	for limit > 0 {
		n, err := s.scanPendingBatch(ctx, min(limit, scanBatch), &done)
		if err != nil || n == 0 {
			return done, err
		}
		limit -= n
	}
	return done, nil
}

// scanPendingBatch scans one batch, returning how many files it decided.
func (s *Service) scanPendingBatch(ctx context.Context, n int, done *Scanned) (int, error) {
	decided := 0
	var scanErr error
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id::text, form_name, field, coalesce(submission_id::text, ''), content FROM files
			WHERE scan = 'pending' ORDER BY created_at, id LIMIT $1 FOR UPDATE SKIP LOCKED`, n)
		if err != nil {
			return fmt.Errorf("take pending files: %w", err)
		}
		type pending struct {
			id, form, field, submission string
			content                     []byte
		}
		var batch []pending
		for rows.Next() {
			var p pending
			if err := rows.Scan(&p.id, &p.form, &p.field, &p.submission, &p.content); err != nil {
				rows.Close()
				return fmt.Errorf("read pending file: %w", err)
			}
			batch = append(batch, p)
		}
		rows.Close() // the transaction's connection is needed again
		if err := rows.Err(); err != nil {
			return fmt.Errorf("take pending files: %w", err)
		}
		for _, p := range batch {
			out, err := s.scan(ctx, p.content)
			if err != nil {
				scanErr = fmt.Errorf("scan file %s: %w", p.id, err)
				return nil // keep what was decided; the rest stay pending
			}
			if err := markScanned(ctx, tx, p.id, out); err != nil {
				return err
			}
			decided++
			switch out.state {
			case FileClean:
				done.Clean++
				continue
			case FileInfected:
				done.Infected++
			default:
				done.Unscannable++
			}
			detail := map[string]any{"scan": out.state, "signature": out.signature, "form": p.form, "field": p.field}
			if p.submission != "" {
				detail["submission"] = p.submission
			}
			if err := audit.Record(ctx, tx, scannerWho.Entry("file.scan", "file:"+p.id, audit.Rejected, detail)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return decided, err
	}
	return decided, scanErr
}

func markScanned(ctx context.Context, tx pgx.Tx, id string, out scanOutcome) error {
	var signature *string
	if out.signature != "" {
		signature = &out.signature
	}
	if _, err := tx.Exec(ctx, `UPDATE files SET scan = $2, scan_signature = $3, scanned_at = now() WHERE id = $1`, id, out.state, signature); err != nil {
		return fmt.Errorf("record the scan of file %s: %w", id, err)
	}
	return nil
}
