package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"cop/platform/problem"
	"cop/platform/web/api"
	"cop/platform/web/route"
	"cop/platform/web/webtest"
)

func TestAFormGoesLiveAndTakesSubmissions(t *testing.T) {
	e := webtest.New(t)
	author, officer := e.Token("author"), e.Token("officer")
	webtest.RegisterArrival(e, author)

	var form api.DefinitionVersion
	e.Must(200, "GET", "/api/v1/forms/arrival-report", officer, nil, &form)
	if form.Version != "1.0.0" || form.Title != "Arrival report" || form.Status != "active" || form.UploadedBy != "dev-author" {
		t.Errorf("form as read: %+v", form)
	}
	var pins []string
	for _, p := range form.Pins {
		pins = append(pins, fmt.Sprintf("%s %s:%s@%s", p.In, p.Kind, p.Name, p.Resolved))
	}
	sort.Strings(pins)
	if strings.Join(pins, "|") != " term:person@1.0.0| term:port@1.0.0|term:port@1.0.0 refdata:uk-ports@1.0.0" {
		t.Errorf("pins %v", pins)
	}

	var sub webtest.Submission
	e.Must(201, "POST", "/api/v1/forms/arrival-report/submissions", officer, webtest.ValidArrival, &sub)
	today := time.Now().UTC().Format("20060102")
	if sub.Form != "arrival-report" || sub.FormVersion != "1.0.0" || sub.BusinessKey != "ARR-"+today+"-1" || sub.SubmittedBy != "dev-officer" {
		t.Errorf("submission %+v", sub)
	}
	var again webtest.Submission
	e.Must(201, "POST", "/api/v1/forms/arrival-report/submissions", officer, webtest.ValidArrival, &again)
	if again.BusinessKey != "ARR-"+today+"-2" {
		t.Errorf("second case %s", again.BusinessKey)
	}

	// The submitter and the form's readers (supervisors) read it; another
	// officer is told it does not exist.
	var read webtest.Submission
	e.Must(200, "GET", "/api/v1/submissions/"+sub.ID, officer, nil, &read)
	if read.Data["port"] != "GBDVR" || read.BusinessKey != sub.BusinessKey {
		t.Errorf("read back %+v", read)
	}
	e.Must(200, "GET", "/api/v1/submissions/"+sub.ID, e.Token("supervisor"), nil, nil)
	resp, body := e.Send("GET", "/api/v1/submissions/"+sub.ID, e.Token("officer-dover"), nil)
	webtest.ProblemOf(t, resp, body, 404)
	resp, body = e.Send("GET", "/api/v1/cases/"+sub.BusinessKey, e.Token("officer-dover"), nil)
	webtest.ProblemOf(t, resp, body, 404)

	// A later submission joins the case.
	var joined webtest.Submission
	e.Must(201, "POST", "/api/v1/forms/arrival-report/submissions?case="+sub.BusinessKey, officer, webtest.ValidArrival, &joined)
	var cs struct {
		BusinessKey string
		Submissions []struct{ ID, Form, FormVersion, SubmittedBy string }
	}
	e.Must(200, "GET", "/api/v1/cases/"+sub.BusinessKey, officer, nil, &cs)
	if cs.BusinessKey != sub.BusinessKey || len(cs.Submissions) != 2 || cs.Submissions[0].ID != sub.ID || cs.Submissions[1].ID != joined.ID {
		t.Errorf("case %+v", cs)
	}
	resp, body = e.Send("POST", "/api/v1/forms/arrival-report/submissions?case=ARR-19990101-1", officer, webtest.ValidArrival)
	webtest.ProblemOf(t, resp, body, 404)

	// Each submission and publish left its audit row.
	var actions []string
	for _, r := range e.AuditRows() {
		actions = append(actions, r.Action+" "+r.Outcome)
	}
	if got := strings.Join(actions, ","); strings.Count(got, "registry.publish ok") != 4 || strings.Count(got, "submission.create ok") != 3 {
		t.Errorf("audit: %s", got)
	}
}

func TestSubmissionErrorsNameEachField(t *testing.T) {
	e := webtest.New(t)
	webtest.RegisterArrival(e, e.Token("author"))
	officer := e.Token("officer")
	cases := []struct {
		name string
		data any
		want []problem.Field
	}{
		{"nothing", map[string]any{}, []problem.Field{
			{Pointer: "/arrivalDate", Message: "Enter a date of arrival"},
			{Pointer: "/port", Message: "Select port"},
			{Pointer: "/traveller", Message: "Enter traveller"},
			{Pointer: "/searched", Message: "Select was the traveller searched"},
		}},
		{"if/then and nested fields", map[string]any{"arrivalDate": "2026-02-30", "port": "GBXXX",
			"traveller": map[string]any{"dateOfBirth": "yesterday"}, "searched": true}, []problem.Field{
			{Pointer: "/arrivalDate", Message: "Date of arrival must be a real date, like 2026-11-21"},
			{Pointer: "/port", Message: "Port must be one of the listed options"},
			{Pointer: "/traveller/fullName", Message: "Enter full name"},
			{Pointer: "/traveller/dateOfBirth", Message: "Date of birth must be a real date, like 2026-11-21"},
			{Pointer: "/outcome", Message: "Enter outcome of the search"},
		}},
		{"wrong types and unknown fields", map[string]any{"arrivalDate": 20261120, "port": "GBDVR",
			"traveller": "Ann", "searched": "no", "isAdmin": true}, []problem.Field{
			{Pointer: "/arrivalDate", Message: "Date of arrival must be text"},
			{Pointer: "/traveller", Message: "Traveller must be a group of answers"},
			{Pointer: "/searched", Message: "Was the traveller searched must be yes or no (true or false)"},
			{Pointer: "/isAdmin", Message: `"isAdmin" is not a question on this form`},
		}},
		{"a port that has closed", map[string]any{"arrivalDate": "2026-11-20", "port": "GBRMG",
			"traveller": map[string]any{"fullName": "Ann"}, "searched": false}, []problem.Field{
			{Pointer: "/port", Message: "Port cannot be Ramsgate: it is valid only until 2020-12-31"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.Send("POST", "/api/v1/forms/arrival-report/submissions", officer, tc.data)
			p := webtest.ProblemOf(t, resp, body, 422)
			if fmt.Sprint(p.Errors) != fmt.Sprint(tc.want) {
				t.Errorf("errors\n%v\nwant\n%v", p.Errors, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name, path, body, ctype string
		status                  int
		says                    string
	}{
		{"malformed JSON", "/api/v1/forms/arrival-report/submissions", `{"port": `, "application/json", 400, "not valid JSON"},
		{"not an object", "/api/v1/forms/arrival-report/submissions", `["GBDVR"]`, "application/json", 422, "JSON object"},
		{"not JSON at all", "/api/v1/forms/arrival-report/submissions", `port=GBDVR`, "application/x-www-form-urlencoded", 415, "application/json"},
		{"unknown form", "/api/v1/forms/no-such-form/submissions", `{}`, "application/json", 404, "no-such-form"},
		{"unknown version", "/api/v1/forms/arrival-report/submissions?version=9.9.9", `{}`, "application/json", 404, "9.9.9"},
	} {
		resp, body := e.Do(nil, "POST", tc.path, officer, strings.NewReader(tc.body), "Content-Type", tc.ctype)
		if p := webtest.ProblemOf(t, resp, body, tc.status); !strings.Contains(p.Detail+fmt.Sprint(p.Errors), tc.says) {
			t.Errorf("%s: %s", tc.name, body)
		}
	}
	var n int
	if err := e.Pool.QueryRow(t.Context(), `SELECT count(*) FROM submissions`).Scan(&n); err != nil || n != 0 {
		t.Errorf("refused submissions left %d rows (%v)", n, err)
	}
}

func TestBadDefinitionsAreRefused(t *testing.T) {
	e := webtest.New(t)
	author := e.Token("author")
	e.Must(201, "POST", "/api/v1/refdata", author, webtest.PortsSet, nil)
	form := func(schema string) string {
		return `{"name": "bad", "version": "1.0.0", "title": "Bad", "schema": ` + schema + `}`
	}
	for _, tc := range []struct {
		name, body    string
		status        int
		pointer, says string
	}{
		{"malformed JSON", `{"name": "bad",`, 400, "", "not valid JSON"},
		{"not a schema", form(`{"type": "object", "properties": {"a": {"type": 12}}}`), 422, "/schema/properties/a/type", "not valid JSON Schema 2020-12"},
		{"draft-07", form(`{"$schema": "http://json-schema.org/draft-07/schema#"}`), 422, "/schema/$schema", "2020-12 only"},
		{"http $ref", form(`{"$ref": "http://169.254.169.254/latest/meta-data"}`), 422, "/schema/$ref", "never fetches"},
		{"file $ref", form(`{"properties": {"a": {"$ref": "file:///etc/passwd"}}}`), 422, "/schema/properties/a/$ref", "never fetches"},
		{"unregistered term", form(`{"properties": {"v": {"$ref": "term:vessel"}}}`), 422, "/schema/properties/v/$ref", "not registered"},
		{"recursive", form(`{"$defs": {"n": {"properties": {"next": {"$ref": "#/$defs/n"}}}}, "$ref": "#/$defs/n"}`), 422, "/schema", "recursive"},
		{"absurdly deep", form(strings.Repeat(`{"properties": {"a": `, 40) + `{}` + strings.Repeat(`}}`, 40)), 422, "/schema/properties/a", "deeper than"},
		{"RE2-incompatible pattern", form(`{"properties": {"p": {"type": "string", "pattern": "(?<!x)y"}}}`), 422, "/schema/properties/p/pattern", "RE2"},
		{"no name", `{"version": "1.0.0", "title": "x", "schema": {}}`, 422, "/name", "required"},
		{"bad version", `{"name": "bad", "version": "one", "title": "x", "schema": {}}`, 422, "/version", "semantic version"},
		{"bad ui", `{"name": "bad", "version": "1.0.0", "title": "x", "schema": {"properties": {"a": {"type": "string"}}},
			"ui": {"pages": [{"id": "p1", "title": "P", "fields": ["b"]}]}}`, 422, "/ui/pages/0/fields/0", "b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.Send("POST", "/api/v1/forms", author, tc.body)
			p := webtest.ProblemOf(t, resp, body, tc.status)
			if tc.status == 422 {
				for _, fe := range p.Errors {
					if strings.HasPrefix(fe.Pointer, tc.pointer) && strings.Contains(fe.Message, tc.says) {
						return
					}
				}
				t.Errorf("want %s saying %q: %s", tc.pointer, tc.says, body)
			} else if !strings.Contains(p.Detail, tc.says) {
				t.Errorf("detail %q", p.Detail)
			}
		})
	}
	resp, body := e.Send("POST", "/api/v1/forms", e.Token("officer"), form(`{}`))
	webtest.ProblemOf(t, resp, body, 403)
	resp, body = e.Do(nil, "POST", "/api/v1/forms", author, strings.NewReader("name: x"), "Content-Type", "application/yaml")
	webtest.ProblemOf(t, resp, body, 415)
	var n int
	if err := e.Pool.QueryRow(t.Context(), `SELECT count(*) FROM definitions WHERE kind = 'form'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("refused uploads stored %d forms (%v)", n, err)
	}
}

func TestVersionsRetireAndPinning(t *testing.T) {
	e := webtest.New(t)
	author, officer := e.Token("author"), e.Token("officer")
	webtest.RegisterArrival(e, author)

	// Identical re-upload is a no-op; other content under the version is a conflict.
	e.Must(200, "POST", "/api/v1/forms", author, webtest.ArrivalForm("1.0.0", ""), nil)
	resp, body := e.Send("POST", "/api/v1/forms", author, webtest.ArrivalForm("1.0.0", `, "notes": {"type": "string"}`))
	if p := webtest.ProblemOf(t, resp, body, 409); !strings.Contains(p.Detail, "already exists with different content") {
		t.Errorf("conflict: %s", p.Detail)
	}
	// A dry run compiles without storing.
	var dry api.DefinitionVersion
	e.Must(200, "POST", "/api/v1/forms?dryRun=true", author, webtest.ArrivalForm("3.0.0", ""), &dry)
	if dry.Status != "draft" || len(dry.Pins) != 3 {
		t.Errorf("dry run %+v", dry)
	}
	e.Must(404, "GET", "/api/v1/forms/arrival-report/versions/3.0.0", officer, nil, nil)
	resp, body = e.Send("POST", "/api/v1/forms?dryRun=true", author, strings.Replace(webtest.ArrivalForm("3.0.0", ""), `"arrival-report"`, `"Arrival Report"`, 1))
	if p := webtest.ProblemOf(t, resp, body, 422); len(p.Errors) != 1 || p.Errors[0].Pointer != "/name" {
		t.Errorf("a dry run checks the name too: %s", body)
	}

	// Version 2 of the person term; version 1 of the form keeps version 1.
	e.Must(201, "POST", "/api/v1/terms", author, strings.Replace(strings.Replace(webtest.PersonTerm, `"1.0.0"`, `"2.0.0"`, 1),
		`"required": ["fullName"]`, `"required": ["fullName", "dateOfBirth"]`, 1), nil)
	var sub webtest.Submission
	e.Must(201, "POST", "/api/v1/forms/arrival-report/submissions", officer, webtest.ValidArrival, &sub)
	e.Must(201, "POST", "/api/v1/forms", author, webtest.ArrivalForm("2.0.0", `, "notes": {"type": "string"}`), nil)
	resp, body = e.Send("POST", "/api/v1/forms/arrival-report/submissions", officer, webtest.ValidArrival)
	if p := webtest.ProblemOf(t, resp, body, 422); len(p.Errors) != 1 || p.Errors[0].Pointer != "/traveller/dateOfBirth" {
		t.Errorf("version 2 pins person 2.0.0, which needs a date of birth: %s", body)
	}
	e.Must(201, "POST", "/api/v1/forms/arrival-report/submissions?version=1.0.0", officer, webtest.ValidArrival, &sub)
	if sub.FormVersion != "1.0.0" {
		t.Errorf("pinned to %s", sub.FormVersion)
	}

	// Retiring the term that active forms use is refused with their names.
	resp, body = e.Send("POST", "/api/v1/terms/person/versions/1.0.0/retire", author, nil)
	if p := webtest.ProblemOf(t, resp, body, 409); !strings.Contains(p.Detail, "form:arrival-report@1.0.0") {
		t.Errorf("retire in use: %s", p.Detail)
	}
	// Retire form 1.0.0: submissions to it are refused with 410, latest is 2.0.0.
	e.Must(200, "POST", "/api/v1/forms/arrival-report/versions/1.0.0/retire", author, nil, nil)
	resp, body = e.Send("POST", "/api/v1/forms/arrival-report/submissions?version=1.0.0", officer, webtest.ValidArrival)
	webtest.ProblemOf(t, resp, body, 410)
	var latest api.DefinitionVersion
	e.Must(200, "GET", "/api/v1/forms/arrival-report", officer, nil, &latest)
	if latest.Version != "2.0.0" {
		t.Errorf("latest %s", latest.Version)
	}
	// Now nothing active uses person 1.0.0.
	e.Must(200, "POST", "/api/v1/terms/person/versions/1.0.0/retire", author, nil, nil)
	// Submissions pinned to the retired version still read back.
	e.Must(200, "GET", "/api/v1/submissions/"+sub.ID, officer, nil, nil)
	e.Must(200, "POST", "/api/v1/forms/arrival-report/versions/2.0.0/retire", author, nil, nil)
	resp, body = e.Send("POST", "/api/v1/forms/arrival-report/submissions", officer, webtest.ValidArrival)
	if p := webtest.ProblemOf(t, resp, body, 410); !strings.Contains(p.Detail, "every version is retired") {
		t.Errorf("all retired: %s", p.Detail)
	}
	var versions route.List[api.DefinitionVersion]
	e.Must(200, "GET", "/api/v1/forms/arrival-report/versions", officer, nil, &versions)
	if len(versions.Items) != 2 || versions.Items[0].Version != "2.0.0" || versions.Items[1].Status != "retired" {
		t.Errorf("versions %+v", versions.Items)
	}
	// The retired term can no longer be named by a new upload.
	resp, body = e.Send("POST", "/api/v1/forms", author, strings.Replace(webtest.ArrivalForm("4.0.0", ""), "term:person", "term:person@1.0.0", 1))
	if p := webtest.ProblemOf(t, resp, body, 422); !strings.Contains(fmt.Sprint(p.Errors), "retired") {
		t.Errorf("retired term: %s", body)
	}
}

func TestReferenceDataLookups(t *testing.T) {
	e := webtest.New(t)
	author, officer := e.Token("author"), e.Token("officer")
	e.Must(201, "POST", "/api/v1/refdata", author, webtest.PortsSet, nil)
	var got api.RefDataItems
	e.Must(200, "GET", "/api/v1/refdata/uk-ports/items?q=dov", officer, nil, &got)
	if got.Version != "1.0.0" || len(got.Items) != 1 || got.Items[0].Code != "GBDVR" {
		t.Errorf("search: %+v", got)
	}
	e.Must(200, "GET", "/api/v1/refdata/uk-ports/items?on=2026-11-21", officer, nil, &got)
	if len(got.Items) != 2 {
		t.Errorf("valid today: %+v", got.Items)
	}
	e.Must(200, "GET", "/api/v1/refdata/uk-ports/items?code=GBRMG", officer, nil, &got)
	if len(got.Items) != 1 || got.Items[0].ValidTo != "2020-12-31" {
		t.Errorf("by code: %+v", got.Items)
	}
	resp, body := e.Send("GET", "/api/v1/refdata/uk-ports/items?on=tomorrow", officer, nil)
	webtest.ProblemOf(t, resp, body, 400)
	resp, body = e.Send("GET", "/api/v1/refdata/mars-ports/items", officer, nil)
	webtest.ProblemOf(t, resp, body, 404)
	resp, body = e.Send("POST", "/api/v1/refdata", author, `{"name": "x", "version": "1.0.0", "title": "X", "items": [{"code": "A", "label": "A"}, {"code": "A", "label": "B"}]}`)
	if p := webtest.ProblemOf(t, resp, body, 422); len(p.Errors) != 1 || p.Errors[0].Pointer != "/items/1/code" {
		t.Errorf("duplicate code: %s", body)
	}
}

func TestCaseNumbersAreUniqueUnderConcurrency(t *testing.T) {
	e := webtest.New(t)
	webtest.RegisterArrival(e, e.Token("author"))
	officer := e.Token("officer")
	const n = 24
	keys := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, body := e.Send("POST", "/api/v1/forms/arrival-report/submissions", officer, webtest.ValidArrival)
			var sub webtest.Submission
			_ = json.Unmarshal([]byte(body), &sub)
			if resp.StatusCode != 201 {
				t.Errorf("%d %s", resp.StatusCode, body)
			}
			keys[i] = sub.BusinessKey
		}()
	}
	wg.Wait()
	today := time.Now().UTC().Format("20060102")
	seen := map[string]bool{}
	for _, k := range keys {
		seen[k] = true
	}
	for i := 1; i <= n; i++ {
		if !seen[fmt.Sprintf("ARR-%s-%d", today, i)] {
			t.Errorf("ARR-%s-%d missing from %v", today, i, keys)
		}
	}
}

func TestIdempotencyKeyReturnsTheFirstResult(t *testing.T) {
	e := webtest.New(t)
	webtest.RegisterArrival(e, e.Token("author"))
	officer := e.Token("officer")
	path := "/api/v1/forms/arrival-report/submissions"
	resp, body := e.Send("POST", path, officer, webtest.ValidArrival, "Idempotency-Key", "retry-1")
	var first, second webtest.Submission
	_ = json.Unmarshal([]byte(body), &first)
	if resp.StatusCode != 201 || resp.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	resp, body = e.Send("POST", path, officer, webtest.ValidArrival, "Idempotency-Key", "retry-1")
	_ = json.Unmarshal([]byte(body), &second)
	if resp.StatusCode != 201 || resp.Header.Get("Idempotent-Replayed") != "true" || second.ID != first.ID || second.BusinessKey != first.BusinessKey {
		t.Errorf("retry: %d %s", resp.StatusCode, body)
	}
	other := map[string]any{"arrivalDate": "2026-11-21", "port": "GBSOU", "traveller": map[string]any{"fullName": "Bo"}, "searched": false}
	resp, body = e.Send("POST", path, officer, other, "Idempotency-Key", "retry-1")
	if p := webtest.ProblemOf(t, resp, body, 422); !strings.Contains(p.Detail, "different request") {
		t.Errorf("reused key: %s", p.Detail)
	}
	// Another user's key of the same name is theirs alone.
	resp, _ = e.Send("POST", path, e.Token("officer-dover"), webtest.ValidArrival, "Idempotency-Key", "retry-1")
	if resp.StatusCode != 201 || resp.Header.Get("Idempotent-Replayed") != "" {
		t.Errorf("another user's key: %d", resp.StatusCode)
	}
	// Racing retries store one submission.
	var wg sync.WaitGroup
	ids := make([]string, 6)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, body := e.Send("POST", path, officer, webtest.ValidArrival, "Idempotency-Key", "race")
			var s webtest.Submission
			_ = json.Unmarshal([]byte(body), &s)
			ids[i] = s.ID
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id == "" || id != ids[0] {
			t.Fatalf("racing retries got %v", ids)
		}
	}
	var n int
	_ = e.Pool.QueryRow(t.Context(), `SELECT count(*) FROM submissions`).Scan(&n)
	if n != 3 {
		t.Errorf("%d submissions stored, want 3", n)
	}
	resp, body = e.Send("POST", path, officer, webtest.ValidArrival, "Idempotency-Key", strings.Repeat("k", 201))
	webtest.ProblemOf(t, resp, body, 422)
}

func TestAccessDecidesWhoSubmits(t *testing.T) {
	e := webtest.New(t)
	author := e.Token("author")
	e.Must(201, "POST", "/api/v1/forms", author, `{"name": "dover-log", "version": "1.0.0", "title": "Dover log",
		"access": {"start": ["team:dover-east"], "read": ["team:dover-east"]},
		"schema": {"type": "object", "properties": {"note": {"type": "string"}}}}`, nil)
	resp, body := e.Send("POST", "/api/v1/forms/dover-log/submissions", e.Token("officer"), `{"note": "hi"}`)
	if p := webtest.ProblemOf(t, resp, body, 403); !strings.Contains(p.Detail, "team:dover-east") {
		t.Errorf("detail %q", p.Detail)
	}
	var sub webtest.Submission
	e.Must(201, "POST", "/api/v1/forms/dover-log/submissions", e.Token("officer-dover"), `{"note": "hi"}`, &sub)
	if !regexp.MustCompile(`^DL-\d{8}-1$`).MatchString(sub.BusinessKey) {
		t.Errorf("prefix from the name's initials: %s", sub.BusinessKey)
	}
	e.Must(404, "GET", "/api/v1/submissions/"+sub.ID, e.Token("supervisor"), nil, nil)
	e.Must(200, "GET", "/api/v1/submissions/"+sub.ID, e.Token("admin"), nil, nil)
	e.Must(404, "GET", "/api/v1/submissions/not-a-uuid", e.Token("admin"), nil, nil)
}

func TestFilesAreCheckedAndOnlyReadersDownloadThem(t *testing.T) {
	e := webtest.New(t)
	e.Must(201, "POST", "/api/v1/forms", e.Token("author"), `{"name": "seizure", "version": "1.0.0", "title": "Seizure",
		"schema": {"type": "object", "required": ["photo"], "properties": {
			"photo": {"type": "string", "format": "cop-file", "contentMediaType": "application/pdf", "maxFileSize": 1024, "title": "Evidence"}}}}`, nil)
	officer, other := e.Token("officer"), e.Token("officer-dover")
	field := map[string]string{"form": "seizure", "field": "/photo"}
	for _, tc := range []struct {
		name, ctype string
		content     []byte
		says        string
	}{
		{"too big", "application/pdf", append(append([]byte{}, webtest.PDF...), bytes.Repeat([]byte("x"), 2048)...), "smaller than 1 KB"},
		{"wrong type", "image/png", []byte("\x89PNG\r\n\x1a\n0000"), "must be a PDF"},
		{"pretending to be a PDF", "application/pdf", []byte("MZ\x90\x00 this is an executable"), "contents are not"},
		{"empty", "application/pdf", nil, "empty"},
	} {
		resp, body := e.Upload(officer, field, "x.pdf", tc.ctype, tc.content)
		if p := webtest.ProblemOf(t, resp, body, 422); len(p.Errors) != 1 || !strings.Contains(p.Errors[0].Message, tc.says) {
			t.Errorf("%s: %s", tc.name, body)
		}
	}
	resp, body := e.Upload(officer, map[string]string{"form": "seizure", "field": "/nothing"}, "x.pdf", "application/pdf", webtest.PDF)
	if p := webtest.ProblemOf(t, resp, body, 422); p.Errors[0].Pointer != "/field" {
		t.Errorf("no such field: %s", body)
	}
	resp, body = e.Upload(officer, map[string]string{"field": "/photo"}, "x.pdf", "application/pdf", webtest.PDF)
	webtest.ProblemOf(t, resp, body, 400)

	resp, body = e.Upload(officer, field, "../../evidence <1>.pdf", "application/pdf", webtest.PDF)
	var file struct{ ID, Filename, ContentType string }
	_ = json.Unmarshal([]byte(body), &file)
	if resp.StatusCode != 201 || file.Filename != "evidence _1_.pdf" || file.ContentType != "application/pdf" {
		t.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	// A long name in another script is shortened at a letter, keeping its
	// extension, and still read back in the download's header.
	long := strings.Repeat("Протокол изъятия ", 12) + ".pdf"
	resp, body = e.Upload(officer, field, long, "application/pdf", webtest.PDF)
	var cyrillic struct{ ID, Filename string }
	_ = json.Unmarshal([]byte(body), &cyrillic)
	if resp.StatusCode != 201 || !utf8.ValidString(cyrillic.Filename) || len(cyrillic.Filename) > 200 ||
		!strings.HasPrefix(cyrillic.Filename, "Протокол изъятия") || !strings.HasSuffix(cyrillic.Filename, ".pdf") {
		t.Fatalf("a long Cyrillic name: %d %s", resp.StatusCode, body)
	}
	resp, _ = e.Do(nil, "GET", "/api/v1/files/"+cyrillic.ID, officer, nil)
	if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err != nil || params["filename"] != cyrillic.Filename {
		t.Errorf("download header %q (%v)", resp.Header.Get("Content-Disposition"), err)
	}
	// Before submission only its uploader reads it.
	resp, got := e.Do(nil, "GET", "/api/v1/files/"+file.ID, officer, nil)
	if resp.StatusCode != 200 || got != string(webtest.PDF) || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("download: %d %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
	e.Must(404, "GET", "/api/v1/files/"+file.ID, other, nil, nil)
	// Someone else cannot submit it as theirs.
	resp, body = e.Send("POST", "/api/v1/forms/seizure/submissions", other, map[string]any{"photo": file.ID})
	if p := webtest.ProblemOf(t, resp, body, 422); p.Errors[0].Pointer != "/photo" || !strings.Contains(p.Errors[0].Message, "upload it again") {
		t.Errorf("someone else's file: %s", body)
	}
	var sub webtest.Submission
	e.Must(201, "POST", "/api/v1/forms/seizure/submissions", officer, map[string]any{"photo": file.ID}, &sub)
	// Once submitted it is the submission's: readers of it download it, others do not, and it cannot be reused.
	e.Must(200, "GET", "/api/v1/files/"+file.ID, e.Token("supervisor"), nil, nil)
	e.Must(404, "GET", "/api/v1/files/"+file.ID, other, nil, nil)
	resp, body = e.Send("POST", "/api/v1/forms/seizure/submissions", officer, map[string]any{"photo": file.ID})
	if p := webtest.ProblemOf(t, resp, body, 422); !strings.Contains(p.Errors[0].Message, "another submission") {
		t.Errorf("reuse: %s", body)
	}
}

func TestDraftsAreSavedAndResumedByTheirOwner(t *testing.T) {
	e := webtest.New(t)
	webtest.RegisterArrival(e, e.Token("author"))
	officer, other := e.Token("officer"), e.Token("officer-dover")
	var d struct {
		ID, Form, FormVersion, Page string
		Data                        map[string]any
	}
	e.Must(201, "POST", "/api/v1/forms/arrival-report/drafts", officer, map[string]any{"data": map[string]any{"port": "nonsense"}, "page": "arrival"}, &d)
	if d.FormVersion != "1.0.0" || d.Page != "arrival" || d.Data["port"] != "nonsense" {
		t.Errorf("draft %+v", d)
	}
	e.Must(404, "GET", "/api/v1/drafts/"+d.ID, other, nil, nil)
	e.Must(404, "PUT", "/api/v1/drafts/"+d.ID, other, map[string]any{"data": map[string]any{}}, nil)
	e.Must(404, "POST", "/api/v1/drafts/"+d.ID+"/submit", other, nil, nil)
	e.Must(400, "PUT", "/api/v1/drafts/"+d.ID, officer, `{"data": {}, "pgae": "x"}`, nil)
	e.Must(422, "PUT", "/api/v1/drafts/"+d.ID, officer, `{"data": [1]}`, nil)

	// A new form version does not change the draft's.
	e.Must(201, "POST", "/api/v1/forms", e.Token("author"), webtest.ArrivalForm("2.0.0", `, "notes": {"type": "string"}`), nil)
	resp, body := e.Send("POST", "/api/v1/drafts/"+d.ID+"/submit", officer, nil)
	if p := webtest.ProblemOf(t, resp, body, 422); p.Errors[0].Pointer != "/arrivalDate" {
		t.Errorf("submitting an incomplete draft: %s", body)
	}
	e.Must(200, "PUT", "/api/v1/drafts/"+d.ID, officer, map[string]any{"data": webtest.ValidArrival, "page": "check"}, &d)
	var list struct{ Items []struct{ ID string } }
	e.Must(200, "GET", "/api/v1/drafts", officer, nil, &list)
	if len(list.Items) != 1 || list.Items[0].ID != d.ID {
		t.Errorf("list %+v", list)
	}
	e.Must(200, "GET", "/api/v1/drafts", other, nil, &list)
	if len(list.Items) != 0 {
		t.Errorf("another officer's list %+v", list)
	}
	var sub, retried webtest.Submission
	resp, body = e.Send("POST", "/api/v1/drafts/"+d.ID+"/submit", officer, nil, "Idempotency-Key", "submit-draft-1")
	_ = json.Unmarshal([]byte(body), &sub)
	if resp.StatusCode != 201 || sub.FormVersion != "1.0.0" {
		t.Errorf("draft submitted: %d %s", resp.StatusCode, body)
	}
	e.Must(404, "GET", "/api/v1/drafts/"+d.ID, officer, nil, nil)
	// A retry of the submit returns the first result although the draft is gone.
	resp, body = e.Send("POST", "/api/v1/drafts/"+d.ID+"/submit", officer, nil, "Idempotency-Key", "submit-draft-1")
	_ = json.Unmarshal([]byte(body), &retried)
	if resp.StatusCode != 201 || retried.ID != sub.ID || resp.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retried draft submit: %d %s", resp.StatusCode, body)
	}

	e.Must(201, "POST", "/api/v1/forms/arrival-report/drafts", officer, map[string]any{"data": map[string]any{}}, &d)
	e.Must(204, "DELETE", "/api/v1/drafts/"+d.ID, officer, nil, nil)
	e.Must(404, "DELETE", "/api/v1/drafts/"+d.ID, officer, nil, nil)
}
