package webtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"cop/platform/web/route"
)

// Scenario is one row of a resource's API test: who sends what, and what
// they get back. Each row runs as its own subtest, so one that fails does
// not hide the rest; rows that change something act on their own fixture.
type Scenario struct {
	Name   string
	As     string // the demo user whose access token is sent; "" sends none
	Method string
	Path   string
	Body   any // JSON-encoded, unless a string (sent as it is)
	Header []string
	Status int
	// Want are strings the answer must contain.
	Want []string
	// Pointers are the JSON pointers a problem's errors must name, in order.
	Pointers []string
}

// Scenarios runs the rows against the env, each as a subtest.
func (e *Env) Scenarios(t *testing.T, rows []Scenario) {
	t.Helper()
	tokens := map[string]string{}
	for _, r := range rows {
		if _, ok := tokens[r.As]; !ok && r.As != "" {
			tokens[r.As] = e.Token(r.As) // in the parent: Token fails the test itself
		}
	}
	for _, r := range rows {
		t.Run(r.Name, func(t *testing.T) {
			status, body := e.call(t, r, tokens[r.As])
			if status != r.Status {
				t.Fatalf("%s %s as %q: %d, want %d: %s", r.Method, r.Path, r.As, status, r.Status, body)
			}
			for _, w := range r.Want {
				if !strings.Contains(body, w) {
					t.Errorf("%s %s: the answer lacks %s: %s", r.Method, r.Path, w, body)
				}
			}
			if r.Pointers != nil {
				var p route.Problem
				_ = json.Unmarshal([]byte(body), &p)
				var got []string
				for _, f := range p.Errors {
					got = append(got, f.Pointer)
				}
				if !slices.Equal(got, r.Pointers) {
					t.Errorf("%s %s: errors at %v, want %v: %s", r.Method, r.Path, got, r.Pointers, body)
				}
			}
		})
	}
}

// call sends one row's request.
func (e *Env) call(t *testing.T, r Scenario, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(r.Method, e.Base+r.Path, bytes.NewReader(bodyOf(t, r.Body)))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if r.Method != http.MethodGet {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(r.Header); i += 2 {
		req.Header.Set(r.Header[i], r.Header[i+1])
	}
	resp, err := NoRedirects().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// JSONString reads a top-level string field of a JSON answer.
func JSONString(t *testing.T, body, field string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	s, _ := m[field].(string)
	return s
}
