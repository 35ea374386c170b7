package webtest

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"testing"
)

// PageResult is a page the browser ended on.
type PageResult struct {
	Status int
	Path   string // where the redirects ended, with its query
	Body   string
}

// Get loads a page, following redirects.
func (e *Env) Get(b *http.Client, path string) PageResult {
	e.T.Helper()
	resp, body := e.Do(b, "GET", path, "", nil, "Accept", "text/html")
	return PageResult{resp.StatusCode, resp.Request.URL.RequestURI(), body}
}

// Post submits a page form (multipart, as the journey pages do), following
// the redirect after it.
func (e *Env) Post(b *http.Client, path string, form url.Values, files ...FormFile) PageResult {
	e.T.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, vs := range form {
		for _, v := range vs {
			_ = w.WriteField(k, v)
		}
	}
	for _, f := range files {
		h := make(map[string][]string)
		h["Content-Disposition"] = []string{`form-data; name="` + f.Field + `"; filename="` + f.Name + `"`}
		h["Content-Type"] = []string{f.ContentType}
		part, _ := w.CreatePart(h)
		_, _ = part.Write(f.Content)
	}
	_ = w.Close()
	resp, body := e.Do(b, "POST", path, "", &buf, "Content-Type", w.FormDataContentType(), "Accept", "text/html")
	return PageResult{resp.StatusCode, resp.Request.URL.RequestURI(), body}
}

// FormFile is a file a page form posts for a field.
type FormFile struct {
	Field, Name, ContentType string
	Content                  []byte
}

// CSRF is the token the page's forms carry.
func CSRF(t *testing.T, body string) string {
	t.Helper()
	m := CSRFField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token on the page:\n%s", body)
	}
	return m[1]
}
