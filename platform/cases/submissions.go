package cases

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"cop/forms"
	"cop/platform/audit"
	"cop/platform/auth"
	"cop/platform/events"
	"cop/platform/problem"
	"cop/platform/registry"
	"cop/platform/store"
)

// Submission is one validated, stored set of answers.
type Submission struct {
	ID          string          `json:"id"`
	Form        string          `json:"form"`
	FormVersion string          `json:"formVersion"`
	BusinessKey string          `json:"businessKey"`
	Data        json.RawMessage `json:"data"`
	SubmittedBy string          `json:"submittedBy"`
	SubmittedAt time.Time       `json:"submittedAt"`
	// Instances are the workflows this submission started (the workflows
	// whose document.metadata.startForm is its form), in the response to
	// the submission only.
	Instances []string `json:"instances,omitempty"`
	// StartErrors says why a workflow the submission should have started
	// did not start (the submission itself is stored).
	StartErrors []string `json:"startErrors,omitempty"`
	// Corrects is the submission these answers correct, when a workflow
	// returned it to its submitter (an amendment).
	Corrects string `json:"corrects,omitempty"`
	// Imported is where a past submission imported from a team's
	// spreadsheet came from (file, checksum, sheet, row); nil otherwise.
	Imported *ImportedFrom `json:"imported,omitempty"`

	readAccess []string
	teams      []string
}

// Info is the submission without its data.
func (s Submission) Info() SubmissionInfo {
	return SubmissionInfo{ID: s.ID, Form: s.Form, FormVersion: s.FormVersion, SubmittedBy: s.SubmittedBy, SubmittedAt: s.SubmittedAt, Corrects: s.Corrects}
}

const submissionColumns = `s.id::text, s.form_name, s.form_version,
	(SELECT business_key FROM cases c WHERE c.id = s.case_id), s.data, s.submitted_by, s.submitted_at, s.read_access, s.teams,
	coalesce(s.corrects::text, ''),
	(SELECT jsonb_build_object('file', i.file_name, 'checksum', i.file_checksum, 'sheet', i.sheet, 'row', i.row_number)
	   FROM submission_imports i WHERE i.submission_id = s.id)`

func scanSubmission(row pgx.CollectableRow) (Submission, error) {
	var s Submission
	err := row.Scan(&s.ID, &s.Form, &s.FormVersion, &s.BusinessKey, &s.Data, &s.SubmittedBy, &s.SubmittedAt, &s.readAccess, &s.teams, &s.Corrects, &s.Imported)
	s.SubmittedAt = s.SubmittedAt.UTC()
	return s, err
}

// SubmitRequest is one submission.
type SubmitRequest struct {
	Form    string
	Version string // "" = the latest active version
	Case    string // business key of an existing case to join; "" opens a new case
	Data    []byte // the answers: one JSON object
	// IdempotencyKey makes a retry with the same key and request return the
	// first result instead of submitting twice.
	IdempotencyKey string
	draftID        string
}

// SubmitResult is a stored (or replayed) submission.
type SubmitResult struct {
	Submission
	Replayed bool `json:"-"`
}

// Submit validates answers against the form version and stores them in a
// case, with the audit row in the same transaction.
func (s *Service) Submit(ctx context.Context, p *auth.Principal, who audit.Who, req SubmitRequest) (SubmitResult, error) {
	idem, err := s.idempotency(p, "submit:"+req.Form, req.IdempotencyKey, req)
	if err != nil {
		return SubmitResult{}, err
	}
	if idem != nil {
		if r, ok, err := idem.replay(ctx, s.pool); ok || err != nil {
			return r, err
		}
	}
	f, def, err := s.startable(ctx, p, req.Form, req.Version)
	if err != nil {
		return SubmitResult{}, err
	}
	data, ferrs := decodeAnswers(req.Data)
	if ferrs != nil {
		return SubmitResult{}, invalidAnswers(def.Name, def.Version, "", ferrs)
	}
	now := s.now()
	if errs := s.defs.Validate(ctx, f, data, now); len(errs) > 0 {
		return SubmitResult{}, invalidAnswers(def.Name, def.Version, "", errs)
	}
	files := f.Files(data)
	if errs := s.checkFiles(ctx, p, f, files); len(errs) > 0 {
		return SubmitResult{}, invalidAnswers(def.Name, def.Version, "", errs)
	}
	var existingCase int64
	if req.Case != "" {
		if existingCase, err = s.caseID(ctx, p, req.Case); err != nil {
			return SubmitResult{}, fmt.Errorf("case %s: %w", req.Case, err)
		}
	}
	readers := f.Def.Access.Read
	if req.Version != "" {
		if latest, _, err := s.defs.Form(ctx, def.Name, ""); err == nil {
			readers = latest.Def.Access.Read // answers to an older version (a draft's) are read as the form is now
		}
	}
	sub := Submission{ID: uuid.NewString(), Form: def.Name, FormVersion: def.Version, Data: compactJSON(req.Data),
		SubmittedBy: p.Subject, SubmittedAt: now.UTC(), readAccess: nonNil(readers), teams: nonNil(p.Teams),
		BusinessKey: req.Case}
	var opened newCase
	if existingCase == 0 {
		if opened, err = s.nextBusinessKey(ctx, CasePrefix(f.Def), now); err != nil {
			return SubmitResult{}, err
		}
		sub.BusinessKey = opened.key
	}
	var starts Starts
	if s.Starts != nil {
		if starts, err = s.Starts.PlanStarts(ctx, p, sub); err != nil {
			return SubmitResult{}, err
		}
	}
	var result SubmitResult
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if idem != nil {
			if r, replayed, err := idem.claim(ctx, tx); replayed || err != nil {
				result = r
				return err
			}
		}
		caseID := existingCase
		if caseID == 0 {
			if err := createCase(ctx, tx, opened, p.Subject, now); err != nil {
				return err
			}
			caseID = opened.id
		}
		if err := store.Later(ctx, tx, "store submission", `INSERT INTO submissions (id, case_id, form_name, form_version, data, submitted_by, read_access, teams, submitted_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			sub.ID, caseID, sub.Form, sub.FormVersion, string(sub.Data), sub.SubmittedBy, sub.readAccess, sub.teams, now); err != nil {
			return err
		}
		if err := attachFiles(ctx, tx, sub.ID, files); err != nil {
			return err
		}
		if req.draftID != "" {
			if err := removeSubmittedDraft(ctx, tx, req.draftID); err != nil {
				return err
			}
		}
		if err := audit.Record(ctx, tx, who.Entry("submission.create", "submission:"+sub.ID, audit.OK,
			map[string]any{"form": sub.Form, "version": sub.FormVersion, "case": sub.BusinessKey, "newCase": existingCase == 0})); err != nil {
			return err
		}
		if err := events.Publish(ctx, tx, events.New{Type: events.SubmissionCreated, Subject: sub.BusinessKey, Data: sub}); err != nil {
			return err
		}
		result = SubmitResult{Submission: sub}
		if starts != nil {
			// The answers are stored whatever a workflow makes of them: a
			// start refused is said in the answer, not an error (a retry
			// would store the answers twice).
			if result.Instances, result.StartErrors, err = starts.Reserve(ctx, tx, who, caseID); err != nil {
				return err
			}
		}
		if idem != nil {
			return idem.record(ctx, tx, 201, result.Submission)
		}
		return nil
	})
	if errors.Is(err, errReplayed) {
		return result, nil
	}
	if err != nil {
		return SubmitResult{}, err
	}
	return result, nil
}

// startable returns the compiled form version the caller may submit to:
// ErrNotFound when there is no such form or version, ErrRetired when it
// (or, without a version, every version) is retired.
func (s *Service) startable(ctx context.Context, p *auth.Principal, name, version string) (*forms.Form, registry.Definition, error) {
	f, def, err := s.defs.Form(ctx, name, version)
	if errors.Is(err, registry.ErrNotFound) {
		if version == "" {
			versions, verr := s.defs.Versions(ctx, "form", name)
			if verr == nil && len(versions) > 0 {
				return nil, def, problem.Gonef("form %s: every version is retired; submit to an active version", name)
			}
		}
		if version != "" {
			return nil, def, fmt.Errorf("form %s version %s: %w", name, version, ErrNotFound)
		}
		return nil, def, fmt.Errorf("form %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return nil, def, err
	}
	if def.Status == registry.Retired {
		return nil, def, problem.Gonef("form %s version %s is retired; submit to an active version", name, version)
	}
	if start := f.Def.Access.Start; len(start) > 0 && !p.Matches(start) {
		return nil, def, MayNotStart(name, start)
	}
	return f, def, nil
}

// decodeAnswers decodes the answers, keeping numbers exact.
func decodeAnswers(raw []byte) (any, []forms.FieldError) {
	fail := func(msg string) (any, []forms.FieldError) {
		return nil, []forms.FieldError{{Pointer: "", Message: msg}}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return fail("The answers are not valid JSON: " + err.Error())
	}
	if dec.More() {
		return fail("The answers must be one JSON object, with nothing after it")
	}
	if _, ok := v.(map[string]any); !ok {
		return fail("The answers must be a JSON object of field names and values")
	}
	if errs := forms.TextProblems(v); len(errs) > 0 {
		return nil, errs
	}
	return v, nil
}

func compactJSON(raw []byte) json.RawMessage {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return raw
	}
	return b.Bytes()
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Submission returns one submission the caller may read.
func (s *Service) Submission(ctx context.Context, p *auth.Principal, id string) (Submission, error) {
	if _, err := uuid.Parse(id); err != nil {
		return Submission{}, ErrNotFound
	}
	rows, err := s.pool.Query(ctx, `SELECT `+submissionColumns+` FROM submissions s WHERE id = $1`, id)
	if err != nil {
		return Submission{}, fmt.Errorf("read submission %s: %w", id, err)
	}
	sub, err := pgx.CollectExactlyOneRow(rows, scanSubmission)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !canRead(p, sub)) {
		return Submission{}, ErrNotFound
	}
	if err != nil {
		return Submission{}, fmt.Errorf("read submission %s: %w", id, err)
	}
	return sub, nil
}

// ReasonSubmitted names a draft another request submitted first.
const ReasonSubmitted = "submitted"

// reusedKey refuses a key sent again with other data.
const reusedKey = "this Idempotency-Key was already used for a different request; use a new key for new data"

// idempotent is a submission's Idempotency-Key in use.
type idempotent struct{ store.IdempotencyKey }

func (s *Service) idempotency(p *auth.Principal, scope, key string, req SubmitRequest) (*idempotent, error) {
	if key == "" {
		return nil, nil
	}
	if err := store.CheckIdempotencyKey(key); err != nil {
		return nil, err
	}
	h := sha256.New()
	if req.draftID != "" {
		// A draft is submitted once: its id is the request, so a retry
		// after the draft is gone still finds the first result.
		scope = "submit-draft:" + req.draftID
		h.Write([]byte(req.draftID))
	} else {
		fmt.Fprintf(h, "%s\n%s\n%s\n", req.Form, req.Version, req.Case)
		h.Write(compactJSON(req.Data))
	}
	return &idempotent{store.IdempotencyKey{Actor: p.Subject, Scope: scope, Key: key, Hash: h.Sum(nil)}}, nil
}

// replay returns the stored result of an earlier request with the key.
func (i *idempotent) replay(ctx context.Context, q store.Querier) (SubmitResult, bool, error) {
	response, found, err := i.Replay(ctx, q, reusedKey)
	if !found || err != nil {
		return SubmitResult{}, false, err
	}
	return replayed(response)
}

func replayed(response []byte) (SubmitResult, bool, error) {
	var r SubmitResult
	if err := json.Unmarshal(response, &r.Submission); err != nil {
		return SubmitResult{}, false, fmt.Errorf("decode stored response: %w", err)
	}
	r.Replayed = true
	return r, true, nil
}

// claim takes the key inside the submitting transaction. A concurrent
// request with the same key blocks here until the first commits, then
// replays its result (and this transaction rolls back).
func (i *idempotent) claim(ctx context.Context, tx pgx.Tx) (SubmitResult, bool, error) {
	response, taken, err := i.Claim(ctx, tx, reusedKey)
	if !taken || err != nil {
		return SubmitResult{}, taken, err
	}
	r, _, err := replayed(response)
	if err == nil {
		err = errReplayed
	}
	return r, true, err
}

// errReplayed rolls back a transaction that found the key already used.
var errReplayed = errors.New("replayed")

func (i *idempotent) record(ctx context.Context, tx pgx.Tx, status int, response any) error {
	return i.Record(ctx, tx, status, response)
}

// caseSubmissions reads a case's submissions, oldest first.
func caseSubmissions(ctx context.Context, q store.Querier, caseID int64) ([]Submission, error) {
	rows, err := q.Query(ctx, `SELECT `+submissionColumns+` FROM submissions s WHERE case_id = $1 ORDER BY submitted_at, id`, caseID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanSubmission)
}

// readsASubmissionIn reports whether the caller may read a submission of
// the case, without reading them.
func readsASubmissionIn(ctx context.Context, q store.Querier, p *auth.Principal, caseID int64) (bool, error) {
	var readable bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM submissions WHERE case_id = $1 AND `+auth.ReadableSQL("submitted_by", 2)+`)`,
		append([]any{caseID}, auth.ReadableArgs(p)...)...).Scan(&readable)
	return readable, err
}
