package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"cop/platform/cases"
	"cop/platform/web/webtest"
)

// The sweep removes what nobody finished once its retention has passed:
// drafts nobody saved, files no submission or draft names, and answers
// kept for Idempotency-Key retries; what is younger, or still named by a
// draft, stays.
func TestTheSweepRemovesWhatNobodyFinished(t *testing.T) {
	e := webtest.New(t)
	officer := e.Token("officer")
	e.Must(201, "POST", "/api/v1/forms", e.Token("author"), `{"name": "seizure", "version": "1.0.0", "title": "Seizure",
		"schema": {"type": "object", "properties": {"photo": {"type": "string", "format": "cop-file", "contentMediaType": "application/pdf", "title": "Evidence"}}}}`, nil)
	upload := func() string {
		resp, body := e.Upload(officer, map[string]string{"form": "seizure", "field": "/photo"}, "x.pdf", "application/pdf", webtest.PDF)
		if resp.StatusCode != 201 {
			t.Fatalf("upload: %s", body)
		}
		return strings.Split(strings.Split(body, `"id":"`)[1], `"`)[0]
	}
	stale, named, fresh := upload(), upload(), upload()
	var old, kept struct{ ID string }
	e.Must(201, "POST", "/api/v1/forms/seizure/drafts", officer, map[string]any{"data": map[string]any{}}, &old)
	e.Must(201, "POST", "/api/v1/forms/seizure/drafts", officer, map[string]any{"data": map[string]any{"photo": named}}, &kept)
	e.Send("POST", "/api/v1/forms/seizure/submissions", officer, map[string]any{}, "Idempotency-Key", "old-key")
	age := func(sql string, args ...any) {
		if _, err := e.Pool.Exec(t.Context(), sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	age(`UPDATE files SET created_at = now() - interval '2 days' WHERE id IN ($1, $2)`, stale, named)
	age(`UPDATE drafts SET updated_at = now() - interval '40 days' WHERE id = $1`, old.ID)
	age(`UPDATE idempotency_keys SET created_at = now() - interval '2 days'`)

	n, err := e.Srv.Deps().Cases.Sweep(t.Context(), cases.Retention{Drafts: 30 * 24 * time.Hour, UnattachedFiles: 24 * time.Hour, IdempotencyKeys: 24 * time.Hour})
	if err != nil || n != (cases.Swept{Drafts: 1, Files: 1, IdempotencyKeys: 1}) {
		t.Fatalf("swept %+v (%v), want one of each", n, err)
	}
	for id, want := range map[string]int{stale: 404, named: 200, fresh: 200} {
		if resp, _ := e.Do(nil, "GET", "/api/v1/files/"+id, officer, nil); resp.StatusCode != want {
			t.Errorf("file %s: %d, want %d", id, resp.StatusCode, want)
		}
	}
	e.Must(404, "GET", "/api/v1/drafts/"+old.ID, officer, nil, nil)
	e.Must(200, "GET", "/api/v1/drafts/"+kept.ID, officer, nil, nil)
}

// One person's open drafts and unsubmitted uploads are bounded; the
// refusal says what to do, and nothing is stored.
func TestQuotas(t *testing.T) {
	e := webtest.New(t)
	officer := e.Token("officer")
	e.Must(201, "POST", "/api/v1/forms", e.Token("author"), `{"name": "seizure", "version": "1.0.0", "title": "Seizure",
		"schema": {"type": "object", "properties": {"photo": {"type": "string", "format": "cop-file", "contentMediaType": "application/pdf", "title": "Evidence"}}}}`, nil)
	if _, err := e.Pool.Exec(t.Context(), `INSERT INTO drafts (id, owner, form_name, form_version, data)
		SELECT gen_random_uuid(), 'dev-officer', 'seizure', '1.0.0', '{}' FROM generate_series(1, $1)`, cases.MaxDraftsPerOwner); err != nil {
		t.Fatal(err)
	}
	resp, body := e.Send("POST", "/api/v1/forms/seizure/drafts", officer, map[string]any{"data": map[string]any{}})
	if p := webtest.ProblemOf(t, resp, body, http.StatusConflict); !strings.Contains(p.Detail, fmt.Sprintf("you have %d drafts", cases.MaxDraftsPerOwner)) {
		t.Errorf("draft over quota: %s", body)
	}
	if _, err := e.Pool.Exec(t.Context(), `INSERT INTO files (id, owner, form_name, form_version, field, filename, content_type, size, sha256, content)
		VALUES (gen_random_uuid(), 'dev-officer', 'seizure', '1.0.0', '/photo', 'big.pdf', 'application/pdf', $1, '\x00', '\x00')`, cases.MaxUnattachedBytesPerUser); err != nil {
		t.Fatal(err)
	}
	resp, body = e.Upload(officer, map[string]string{"form": "seizure", "field": "/photo"}, "x.pdf", "application/pdf", webtest.PDF)
	if p := webtest.ProblemOf(t, resp, body, http.StatusConflict); !strings.Contains(p.Detail, "files not yet in a submission") {
		t.Errorf("upload over quota: %s", body)
	}
	// Someone else is not held to the officer's.
	if resp, body := e.Upload(e.Token("officer-dover"), map[string]string{"form": "seizure", "field": "/photo"}, "x.pdf", "application/pdf", webtest.PDF); resp.StatusCode != 201 {
		t.Errorf("another officer's upload: %d %s", resp.StatusCode, body)
	}
}
