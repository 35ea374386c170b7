package webtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"testing"
)

// Send sends a JSON body (a string is sent as it is) and returns the response.
func (e *Env) Send(method, path, token string, body any, header ...string) (*http.Response, string) {
	e.T.Helper()
	return e.Do(nil, method, path, token, bytes.NewReader(bodyOf(e.T, body)), header...)
}

// bodyOf is a request body: a string as it is, anything else as JSON.
func bodyOf(t testing.TB, body any) []byte {
	t.Helper()
	switch b := body.(type) {
	case nil:
		return nil
	case string:
		return []byte(b)
	}
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// Must sends and fails unless the status is want, decoding the body into out.
func (e *Env) Must(want int, method, path, token string, body any, out any) string {
	e.T.Helper()
	resp, b := e.Send(method, path, token, body)
	if resp.StatusCode != want {
		e.T.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(b), out); err != nil {
			e.T.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return b
}

// PortsSet is reference data: the UK ports a form offers.
const PortsSet = `{"name": "uk-ports", "version": "1.0.0", "title": "UK ports", "items": [
	{"code": "GBDVR", "label": "Dover"}, {"code": "GBSOU", "label": "Southampton"},
	{"code": "GBRMG", "label": "Ramsgate", "validTo": "2020-12-31"}]}`

// PortTerm is a data term whose values are PortsSet's codes.
const PortTerm = `{"name": "port", "version": "1.0.0", "title": "Port", "schema": {"type": "string", "title": "Port", "refdata": "uk-ports"}}`

// PersonTerm is a data term for a person, which forms pin by version.
const PersonTerm = `{"name": "person", "version": "1.0.0", "title": "Person", "schema": {"type": "object", "required": ["fullName"],
	"properties": {"fullName": {"type": "string", "title": "Full name", "minLength": 1},
	"dateOfBirth": {"type": "string", "format": "date", "title": "Date of birth"}}}}`

// ArrivalForm is a form an integrator would write: terms, a conditional
// question and a case prefix.
func ArrivalForm(version, extraProperty string) string {
	return `{"name": "arrival-report", "version": "` + version + `", "title": "Arrival report", "casePrefix": "ARR",
	"access": {"read": ["role:supervisor"]},
	"schema": {"type": "object", "additionalProperties": false, "required": ["arrivalDate", "port", "traveller", "searched"],
		"properties": {
			"arrivalDate": {"type": "string", "format": "date", "title": "Date of arrival",
				"errorMessage": {"required": "Enter a date of arrival"}},
			"port": {"$ref": "term:port"},
			"traveller": {"$ref": "term:person"},
			"searched": {"type": "boolean", "title": "Was the traveller searched"},
			"outcome": {"type": "string", "title": "Outcome of the search", "maxLength": 200}` + extraProperty + `
		},
		"if": {"properties": {"searched": {"const": true}}, "required": ["searched"]},
		"then": {"required": ["outcome"]}}}`
}

// RegisterArrival registers the reference data, terms and form as an author.
func RegisterArrival(e *Env, author string) {
	e.T.Helper()
	e.Must(201, "POST", "/api/v1/refdata", author, PortsSet, nil)
	e.Must(201, "POST", "/api/v1/terms", author, PortTerm, nil)
	e.Must(201, "POST", "/api/v1/terms", author, PersonTerm, nil)
	e.Must(201, "POST", "/api/v1/forms", author, ArrivalForm("1.0.0", ""), nil)
}

// ValidArrival are answers ArrivalForm accepts.
var ValidArrival = map[string]any{"arrivalDate": "2026-11-20", "port": "GBDVR",
	"traveller": map[string]any{"fullName": "Ann Example"}, "searched": false}

// Submission is a submission as the API answers it.
type Submission struct {
	ID, Form, FormVersion, BusinessKey, SubmittedBy string
	Data                                            map[string]any
}

// Upload posts a file for a form field as multipart/form-data.
func (e *Env) Upload(token string, fields map[string]string, filename, contentType string, content []byte) (*http.Response, string) {
	e.T.Helper()
	body, bodyType := MultipartFile(fields, filename, contentType, content)
	return e.Do(nil, "POST", "/api/v1/files", token, strings.NewReader(body), "Content-Type", bodyType)
}

// MultipartFile is an upload's body (fields, and the file as "file") and
// its Content-Type.
func MultipartFile(fields map[string]string, filename, contentType string, content []byte) (string, string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		_ = w.WriteField(k, fields[k])
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, filename))
	h.Set("Content-Type", contentType)
	part, _ := w.CreatePart(h)
	_, _ = part.Write(content)
	_ = w.Close()
	return b.String(), w.FormDataContentType()
}

// PDF is the smallest file that passes as a PDF.
var PDF = []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")
