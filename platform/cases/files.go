package cases

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"cop/forms"
	"cop/forms/lang"
	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/problem"
	"cop/platform/store"
)

// File is an uploaded file's description (its bytes are read separately).
type File struct {
	ID          string    `json:"id"`
	Form        string    `json:"form"`
	FormVersion string    `json:"formVersion"`
	Field       string    `json:"field"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"contentType"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	UploadedBy  string    `json:"uploadedBy"`
	UploadedAt  time.Time `json:"uploadedAt"`
	Submission  string    `json:"submission,omitempty"`
	// Scan is "clean", or "pending" for a file stored before uploads
	// were scanned and not yet reached by the background scan.
	Scan string `json:"scan"`
}

// NotYetScanned is how the pages and the API describe a pending file.
const NotYetScanned = "not yet scanned"

// UploadRequest is one file for one file field of a form.
type UploadRequest struct {
	Form, Version string
	Field         string // JSON pointer of the field: "/passportScan", "/crew/0/photo"
	Filename      string
	ContentType   string // as the client declared it
	Content       []byte
}

// sniffable are types http.DetectContentType recognises reliably: a file
// claiming one of these must really be one, so an executable cannot pass
// as a PDF by its name.
var sniffable = map[string]bool{"application/pdf": true, "image/png": true, "image/jpeg": true, "image/gif": true,
	"image/webp": true, "image/bmp": true, "application/zip": true}

// Upload checks a file against the field it is for, has the scanner look
// at it and stores it if the scanner passes it: a file is never stored
// unscanned, and the scanner down refuses the upload (try again). The
// scan comes before the type checks, so malware is refused as such, and
// audited, whatever type it claims; only size and archive limits, which
// bound the scanner's work, come first.
func (s *Service) Upload(ctx context.Context, p *auth.Principal, who audit.Who, req UploadRequest) (File, error) {
	f, def, err := s.startable(ctx, p, req.Form, req.Version)
	if err != nil {
		return File{}, err
	}
	rule, ok := f.FileRule(req.Field)
	if !ok {
		return File{}, invalidAnswers(def.Name, def.Version, "the upload", problem.At("/field",
			fmt.Sprintf("form %s version %s has no file field at %q", def.Name, def.Version, req.Field)))
	}
	w := lang.For(lang.FromContext(ctx))
	refused := checkSize(rule, req.Content, w)
	if refused == "" {
		refused = checkArchive(req.Content, w)
	}
	if refused != "" {
		return File{}, invalidAnswers(def.Name, def.Version, "the file", problem.At("/file", refused))
	}
	sum := sha256.Sum256(req.Content)
	file := File{ID: uuid.NewString(), Form: def.Name, FormVersion: def.Version, Field: req.Field, Filename: cleanFilename(req.Filename),
		ContentType: req.ContentType, Size: int64(len(req.Content)), SHA256: fmt.Sprintf("%x", sum), UploadedBy: p.Subject, UploadedAt: s.now().UTC(),
		Scan: FileClean}
	if err := s.scanUpload(ctx, who, file, req.Content); err != nil {
		return File{}, err
	}
	if file.ContentType, refused = checkFile(rule, req, w); refused != "" {
		return File{}, invalidAnswers(def.Name, def.Version, "the file", problem.At("/file", refused))
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if err := checkUploadQuota(ctx, tx, p.Subject, file.Size); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO files (id, owner, form_name, form_version, field, filename, content_type, size, sha256, content, created_at,
			scan, scanned_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'clean', now())`, file.ID, file.UploadedBy, file.Form, file.FormVersion, file.Field,
			file.Filename, file.ContentType, file.Size, sum[:], req.Content, file.UploadedAt); err != nil {
			return fmt.Errorf("store file: %w", err)
		}
		return audit.Record(ctx, tx, who.Entry("file.upload", "file:"+file.ID, audit.OK,
			map[string]any{"form": file.Form, "field": file.Field, "size": file.Size, "contentType": file.ContentType}))
	})
	if err != nil {
		return File{}, err
	}
	return file, nil
}

// CheckFile is what Upload checks of a file, without storing it (an
// author's preview): the refusal in the officer's words, "" when it
// would be taken.
func CheckFile(f *forms.Form, req UploadRequest) string {
	rule, ok := f.FileRule(req.Field)
	if !ok {
		return "This question does not take a file"
	}
	_, refused := checkFile(rule, req, lang.For(lang.English))
	return refused
}

// checkFile returns the file's content type, or what is wrong with it in
// the GOV.UK Design System's words.
func checkFile(rule forms.FileRule, req UploadRequest, w lang.Words) (string, string) {
	if refused := checkSize(rule, req.Content, w); refused != "" {
		return "", refused
	}
	declared, _, err := mime.ParseMediaType(req.ContentType)
	if err != nil || declared == "" {
		declared = "application/octet-stream"
	}
	sniffed, _, _ := mime.ParseMediaType(http.DetectContentType(req.Content))
	if rule.MediaType != "" && !mediaTypeMatches(rule.MediaType, declared) {
		return "", w.T("upload.mustBe", "Kind", describeMediaType(rule.MediaType, w))
	}
	if sniffable[declared] && sniffed != declared {
		return "", w.T("upload.contentsNot", "Kind", describeMediaType(declared, w))
	}
	if rule.MediaType != "" && sniffable[sniffed] && !mediaTypeMatches(rule.MediaType, sniffed) {
		return "", w.T("upload.mustBe", "Kind", describeMediaType(rule.MediaType, w))
	}
	return declared, ""
}

// checkSize refuses an empty file or one larger than its field takes.
func checkSize(rule forms.FileRule, content []byte, w lang.Words) string {
	if len(content) == 0 {
		return w.T("upload.empty")
	}
	if int64(len(content)) > rule.MaxBytes {
		return w.T("upload.tooBig", "Size", forms.ByteSize(rule.MaxBytes))
	}
	return ""
}

func mediaTypeMatches(want, got string) bool {
	if prefix, ok := strings.CutSuffix(want, "/*"); ok {
		return strings.HasPrefix(got, prefix+"/")
	}
	return want == got
}

func describeMediaType(t string, w lang.Words) string {
	ids := map[string]string{"application/pdf": "upload.kind.pdf", "image/png": "upload.kind.png", "image/jpeg": "upload.kind.jpeg",
		"image/*": "upload.kind.image", "text/plain": "upload.kind.text", "text/csv": "upload.kind.csv"}
	if id, ok := ids[t]; ok {
		return w.T(id)
	}
	return w.T("upload.kind.other", "Type", t)
}

var unsafeFilename = regexp.MustCompile(`[^\pL\pN ._()-]+`)

// cleanFilename keeps a name safe to show and to send back in a
// Content-Disposition header.
func cleanFilename(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimSpace(unsafeFilename.ReplaceAllString(name, "_"))
	name = shorten(name, maxFilenameBytes)
	if name == "" || name == "." || name == ".." {
		name = "file"
	}
	return name
}

// maxFilenameBytes bounds a stored file name (in bytes: a name in another
// script takes two or three a letter).
const maxFilenameBytes = 200

// shorten cuts name to at most n bytes at a letter's boundary, keeping a
// short extension, so a long name in any script stays valid UTF-8 and still
// says what kind of file it is.
func shorten(name string, n int) string {
	if len(name) <= n {
		return name
	}
	ext := path.Ext(name)
	if len(ext) > 16 || len(ext) >= n {
		ext = ""
	}
	stem := strings.TrimSuffix(name, ext)
	cut := n - len(ext)
	for cut > 0 && !utf8.RuneStart(stem[cut]) {
		cut--
	}
	return stem[:cut] + ext
}

// FileContent returns a file and its bytes to its uploader or a reader of
// the submission it belongs to; to anyone else it is not found. A file
// the scanner withheld is gone, to those who could read it; one not yet
// scanned is served, its Scan saying so.
func (s *Service) FileContent(ctx context.Context, p *auth.Principal, id string) (File, []byte, error) {
	if _, err := uuid.Parse(id); err != nil {
		return File{}, nil, ErrNotFound
	}
	var f File
	var sum, content []byte
	var submission, signature *string
	// The bytes of a withheld file are never read out of the table.
	err := s.pool.QueryRow(ctx, `SELECT id::text, form_name, form_version, field, filename, content_type, size, sha256, owner, created_at,
		submission_id::text, scan, scan_signature, CASE WHEN scan IN ('clean', 'pending') THEN content END FROM files WHERE id = $1`, id).
		Scan(&f.ID, &f.Form, &f.FormVersion, &f.Field, &f.Filename, &f.ContentType, &f.Size, &sum, &f.UploadedBy, &f.UploadedAt,
			&submission, &f.Scan, &signature, &content)
	if errors.Is(err, pgx.ErrNoRows) {
		return File{}, nil, ErrNotFound
	}
	if err != nil {
		return File{}, nil, fmt.Errorf("read file: %w", err)
	}
	f.SHA256 = fmt.Sprintf("%x", sum)
	f.UploadedAt = f.UploadedAt.UTC()
	if submission != nil {
		f.Submission = *submission
	}
	if submission == nil { // not yet submitted: its uploader's alone
		if p.Subject != f.UploadedBy && !p.HasRole(auth.RoleAdmin) {
			return File{}, nil, ErrNotFound
		}
	} else if _, err := s.Submission(ctx, p, *submission); err != nil {
		// Submitted: whoever may read the submission (its submitter uploaded it).
		return File{}, nil, err
	}
	if err := withheld(f, signature); err != nil {
		return File{}, nil, err
	}
	return f, content, nil
}

// withheld refuses a file the scanner did not pass, saying why.
func withheld(f File, signature *string) error {
	found := ""
	if signature != nil {
		found = " (" + *signature + ")"
	}
	switch f.Scan {
	case FileInfected:
		return problem.Gonef("file %s (%s) contains a virus%s and is withheld; ask the person who uploaded it for a clean copy", f.ID, f.Filename, found)
	case FileUnscannable:
		return problem.Gonef("file %s (%s) could not be checked for viruses%s and is withheld; ask the person who uploaded it for a copy that is not password-protected",
			f.ID, f.Filename, found)
	}
	return nil
}

// checkFiles makes sure every file a submission names was uploaded by the
// submitter for that form and field, belongs to no other submission, and
// was passed by the scanner.
func (s *Service) checkFiles(ctx context.Context, p *auth.Principal, f *forms.Form, files []forms.FileValue) []forms.FieldError {
	var errs []forms.FieldError
	for _, fv := range files {
		var owner, form, field, scan string
		var submission *string
		err := s.pool.QueryRow(ctx, `SELECT owner, form_name, field, submission_id::text, scan FROM files WHERE id = $1`, fv.ID).
			Scan(&owner, &form, &field, &submission, &scan)
		label := forms.FieldLabel(f.Tree, f.Def.UI, fv.Pointer)
		switch {
		case errors.Is(err, pgx.ErrNoRows) || (err == nil && owner != p.Subject):
			errs = append(errs, forms.FieldError{Pointer: fv.Pointer, Message: fmt.Sprintf("%s: no file with this id was uploaded by you; upload it again", label)})
		case err != nil:
			errs = append(errs, forms.FieldError{Pointer: fv.Pointer, Message: fmt.Sprintf("%s cannot be checked just now; try again", label)})
		case form != f.Def.Name || fieldPattern(field) != fieldPattern(fv.Pointer):
			errs = append(errs, forms.FieldError{Pointer: fv.Pointer, Message: fmt.Sprintf("%s: this file was uploaded for another question (%s %s)", label, form, field)})
		case submission != nil:
			errs = append(errs, forms.FieldError{Pointer: fv.Pointer, Message: fmt.Sprintf("%s: this file already belongs to another submission; upload it again", label)})
		case scan == FilePending:
			errs = append(errs, forms.FieldError{Pointer: fv.Pointer, Message: fmt.Sprintf("%s: this file has not yet been checked for viruses; upload it again", label)})
		case scan != FileClean:
			errs = append(errs, forms.FieldError{Pointer: fv.Pointer, Message: fmt.Sprintf("%s: this file did not pass the virus check; upload another", label)})
		}
	}
	return errs
}

var arrayIndex = regexp.MustCompile(`/[0-9]+(/|$)`)

// fieldPattern drops array indices, so a crew member's photo still fits
// after the crew list is reordered.
func fieldPattern(pointer string) string {
	for arrayIndex.MatchString(pointer) {
		pointer = arrayIndex.ReplaceAllString(pointer, "/*$1")
	}
	return pointer
}

// attachFiles gives the files to the submission. A file attached by a
// concurrent submission since checkFiles makes the whole submission fail;
// only a file the scanner passed is ever attached.
func attachFiles(ctx context.Context, tx pgx.Tx, submission string, files []forms.FileValue) error {
	if len(files) == 0 {
		return nil
	}
	ids := make([]string, len(files))
	for i, f := range files {
		ids[i] = f.ID
	}
	tag, err := tx.Exec(ctx, `UPDATE files SET submission_id = $1 WHERE id = ANY($2::uuid[]) AND submission_id IS NULL AND scan = 'clean'`, submission, ids)
	if err != nil {
		return fmt.Errorf("attach files: %w", err)
	}
	if distinct := countDistinct(ids); tag.RowsAffected() != int64(distinct) {
		return invalidAnswers("", "", "", problem.At(files[0].Pointer, "a file in these answers was just submitted elsewhere; upload it again"))
	}
	return nil
}

func countDistinct(ids []string) int {
	seen := map[string]bool{}
	for _, id := range ids {
		seen[id] = true
	}
	return len(seen)
}

// checkUploadQuota runs in the transaction that stores a file of size bytes.
func checkUploadQuota(ctx context.Context, q store.Querier, owner string, size int64) error {
	if err := lockOwner(ctx, q, owner); err != nil {
		return err
	}
	var held int64
	if err := q.QueryRow(ctx, `SELECT coalesce(sum(size), 0) FROM files WHERE owner = $1 AND submission_id IS NULL`, owner).Scan(&held); err != nil {
		return fmt.Errorf("sum uploads: %w", err)
	}
	if held+size > MaxUnattachedBytesPerUser {
		return problem.Conflictf("you have %d MiB of files not yet in a submission; the most is %d MiB: submit them, or wait a day for unused ones to be removed",
			held>>20, MaxUnattachedBytesPerUser>>20).Because(ReasonQuota)
	}
	return nil
}

// sweepFiles removes files older than age that no submission holds and no
// draft of their owner names (a draft keeps its uploads while it lives).
func sweepFiles(ctx context.Context, tx pgx.Tx, age time.Duration) (int64, error) {
	tag, err := tx.Exec(ctx, `DELETE FROM files f WHERE f.submission_id IS NULL AND f.created_at < now() - make_interval(secs => $1)
		AND NOT EXISTS (SELECT 1 FROM drafts d WHERE d.owner = f.owner AND strpos(d.data::text, f.id::text) > 0)`, age.Seconds())
	if err != nil {
		return 0, fmt.Errorf("sweep files: %w", err)
	}
	return tag.RowsAffected(), nil
}
