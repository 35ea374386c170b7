package api_test

import (
	"testing"

	"cop/platform/web/webtest"
)

func TestFileScenarios(t *testing.T) {
	e := webtest.New(t)
	e.Must(201, "POST", "/api/v1/forms", e.Token("author"), `{"name": "seizure", "version": "1.0.0", "title": "Seizure",
		"schema": {"type": "object", "required": ["photo"], "properties": {
			"photo": {"type": "string", "format": "cop-file", "contentMediaType": "application/pdf", "maxFileSize": 1024, "title": "Evidence"}}}}`, nil)
	resp, body := e.Upload(e.Token("officer"), map[string]string{"form": "seizure", "field": "/photo"}, "evidence.pdf", "application/pdf", webtest.PDF)
	if resp.StatusCode != 201 {
		t.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	id := webtest.JSONString(t, body, "id")
	good, goodType := webtest.MultipartFile(map[string]string{"form": "seizure", "field": "/photo"}, "e.pdf", "application/pdf", webtest.PDF)
	png, pngType := webtest.MultipartFile(map[string]string{"form": "seizure", "field": "/photo"}, "e.png", "image/png", []byte("\x89PNG\r\n\x1a\n0000"))
	noField, noFieldType := webtest.MultipartFile(map[string]string{"form": "seizure", "field": "/nope"}, "e.pdf", "application/pdf", webtest.PDF)
	e.Scenarios(t, []webtest.Scenario{
		{Name: "an officer uploads a file", As: "officer", Method: "POST", Path: "/api/v1/files", Body: good, Header: []string{"Content-Type", goodType},
			Status: 201, Want: []string{`"contentType":"application/pdf"`}},
		{Name: "a file of a type the field does not take", As: "officer", Method: "POST", Path: "/api/v1/files", Body: png,
			Header: []string{"Content-Type", pngType}, Status: 422, Pointers: []string{"/file"}},
		{Name: "a field the form does not have", As: "officer", Method: "POST", Path: "/api/v1/files", Body: noField,
			Header: []string{"Content-Type", noFieldType}, Status: 422, Pointers: []string{"/field"}},
		{Name: "sent as JSON", As: "officer", Method: "POST", Path: "/api/v1/files", Body: "{}", Status: 415},
		{Name: "nobody signed in", Method: "POST", Path: "/api/v1/files", Body: good, Header: []string{"Content-Type", goodType}, Status: 401},
		{Name: "its uploader downloads it", As: "officer", Method: "GET", Path: "/api/v1/files/" + id, Status: 200, Want: []string{"%PDF-1.4"}},
		{Name: "nobody else, until it is in a submission they may read", As: "officer-dover", Method: "GET", Path: "/api/v1/files/" + id, Status: 404},
		{Name: "an unknown file", As: "officer", Method: "GET", Path: "/api/v1/files/0b5f9c3e-3f7d-4d8e-9a8b-5bb5c6a0d1e2", Status: 404},
	})
}
