package web

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"testing"
)

func TestDraftScenarios(t *testing.T) {
	e := newEnv(t)
	registerArrival(e, e.token("author"))
	officer := e.token("officer")
	draft := func() string {
		var d struct{ ID string }
		e.must(201, "POST", "/api/v1/forms/arrival-report/drafts", officer, map[string]any{"data": map[string]any{"port": "GBDVR"}}, &d)
		return d.ID
	}
	kept, saved, deleted, submitted, unfinished := draft(), draft(), draft(), draft(), draft()
	e.must(200, "PUT", "/api/v1/drafts/"+submitted, officer, map[string]any{"data": validArrival}, nil)
	e.scenarios(t, []scenario{
		{name: "an officer starts a draft", as: "officer", method: "POST", path: "/api/v1/forms/arrival-report/drafts",
			body: map[string]any{"data": map[string]any{}}, status: 201, want: []string{`"form":"arrival-report"`}},
		{name: "a draft of an unknown form", as: "officer", method: "POST", path: "/api/v1/forms/nope/drafts", body: map[string]any{"data": map[string]any{}}, status: 404},
		{name: "a field the body does not have", as: "officer", method: "POST", path: "/api/v1/forms/arrival-report/drafts",
			body: map[string]any{"data": map[string]any{}, "colour": "red"}, status: 400, pointers: []string{"/colour"}},
		{name: "its owner reads it", as: "officer", method: "GET", path: "/api/v1/drafts/" + kept, status: 200, want: []string{`"GBDVR"`}},
		{name: "its owner lists it", as: "officer", method: "GET", path: "/api/v1/drafts", status: 200, want: []string{kept}},
		{name: "nobody else reads it, an admin neither", as: "admin", method: "GET", path: "/api/v1/drafts/" + kept, status: 404},
		{name: "its owner saves it", as: "officer", method: "PUT", path: "/api/v1/drafts/" + saved,
			body: map[string]any{"data": map[string]any{"port": "GBSOU"}, "page": "travel"}, status: 200, want: []string{`"GBSOU"`}},
		{name: "nobody else saves it", as: "officer-dover", method: "PUT", path: "/api/v1/drafts/" + saved, body: map[string]any{"data": map[string]any{}}, status: 404},
		{name: "its owner deletes it", as: "officer", method: "DELETE", path: "/api/v1/drafts/" + deleted, status: 204},
		{name: "a deleted draft is gone", as: "officer", method: "GET", path: "/api/v1/drafts/" + deleted, status: 404},
		{name: "a finished draft is submitted", as: "officer", method: "POST", path: "/api/v1/drafts/" + submitted + "/submit", body: "{}", status: 201,
			want: []string{`"businessKey":"ARR-`}},
		{name: "an unfinished one is refused with what is missing", as: "officer", method: "POST", path: "/api/v1/drafts/" + unfinished + "/submit", body: "{}",
			status: 422, pointers: []string{"/arrivalDate", "/traveller", "/searched"}},
	})
}

// multipartFile is a file upload body for form field pointer of form.
func multipartFile(form, field, filename, contentType string, content []byte) (string, string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	_ = w.WriteField("form", form)
	_ = w.WriteField("field", field)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, filename))
	h.Set("Content-Type", contentType)
	part, _ := w.CreatePart(h)
	_, _ = part.Write(content)
	_ = w.Close()
	return b.String(), w.FormDataContentType()
}

func TestFileScenarios(t *testing.T) {
	e := newEnv(t)
	e.must(201, "POST", "/api/v1/forms", e.token("author"), `{"name": "seizure", "version": "1.0.0", "title": "Seizure",
		"schema": {"type": "object", "required": ["photo"], "properties": {
			"photo": {"type": "string", "format": "cop-file", "contentMediaType": "application/pdf", "maxFileSize": 1024, "title": "Evidence"}}}}`, nil)
	resp, body := e.upload(e.token("officer"), map[string]string{"form": "seizure", "field": "/photo"}, "evidence.pdf", "application/pdf", pdf)
	if resp.StatusCode != 201 {
		t.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	id := jsonString(t, body, "id")
	good, goodType := multipartFile("seizure", "/photo", "e.pdf", "application/pdf", pdf)
	png, pngType := multipartFile("seizure", "/photo", "e.png", "image/png", []byte("\x89PNG\r\n\x1a\n0000"))
	noField, noFieldType := multipartFile("seizure", "/nope", "e.pdf", "application/pdf", pdf)
	e.scenarios(t, []scenario{
		{name: "an officer uploads a file", as: "officer", method: "POST", path: "/api/v1/files", body: good, header: []string{"Content-Type", goodType},
			status: 201, want: []string{`"contentType":"application/pdf"`}},
		{name: "a file of a type the field does not take", as: "officer", method: "POST", path: "/api/v1/files", body: png,
			header: []string{"Content-Type", pngType}, status: 422, pointers: []string{"/file"}},
		{name: "a field the form does not have", as: "officer", method: "POST", path: "/api/v1/files", body: noField,
			header: []string{"Content-Type", noFieldType}, status: 422, pointers: []string{"/field"}},
		{name: "sent as JSON", as: "officer", method: "POST", path: "/api/v1/files", body: "{}", status: 415},
		{name: "nobody signed in", method: "POST", path: "/api/v1/files", body: good, header: []string{"Content-Type", goodType}, status: 401},
		{name: "its uploader downloads it", as: "officer", method: "GET", path: "/api/v1/files/" + id, status: 200, want: []string{"%PDF-1.4"}},
		{name: "nobody else, until it is in a submission they may read", as: "officer-dover", method: "GET", path: "/api/v1/files/" + id, status: 404},
		{name: "an unknown file", as: "officer", method: "GET", path: "/api/v1/files/0b5f9c3e-3f7d-4d8e-9a8b-5bb5c6a0d1e2", status: 404},
	})
}
