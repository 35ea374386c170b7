package web

import (
	"bytes"
	"cop/platform/web/route"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// scenario is one row of a resource's API test: who sends what, and what
// they get back. Each row runs as its own subtest, so one that fails does
// not hide the rest; rows that change something act on their own fixture.
type scenario struct {
	name   string
	as     string // the demo user whose access token is sent; "" sends none
	method string
	path   string
	body   any // JSON-encoded, unless a string (sent as it is)
	header []string
	status int
	// want are strings the answer must contain.
	want []string
	// pointers are the JSON pointers a problem's errors must name, in order.
	pointers []string
}

// scenarios runs the rows against the env, each as a subtest.
func (e *env) scenarios(t *testing.T, rows []scenario) {
	t.Helper()
	tokens := map[string]string{}
	for _, r := range rows {
		if _, ok := tokens[r.as]; !ok && r.as != "" {
			tokens[r.as] = e.token(r.as) // in the parent: token() fails the test itself
		}
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			status, body := e.call(t, r, tokens[r.as])
			if status != r.status {
				t.Fatalf("%s %s as %q: %d, want %d: %s", r.method, r.path, r.as, status, r.status, body)
			}
			for _, w := range r.want {
				if !strings.Contains(body, w) {
					t.Errorf("%s %s: the answer lacks %s: %s", r.method, r.path, w, body)
				}
			}
			if r.pointers != nil {
				var p route.Problem
				_ = json.Unmarshal([]byte(body), &p)
				var got []string
				for _, f := range p.Errors {
					got = append(got, f.Pointer)
				}
				if !slices.Equal(got, r.pointers) {
					t.Errorf("%s %s: errors at %v, want %v: %s", r.method, r.path, got, r.pointers, body)
				}
			}
		})
	}
}

// call sends one row's request.
func (e *env) call(t *testing.T, r scenario, token string) (int, string) {
	t.Helper()
	var raw []byte
	switch b := r.body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(r.method, e.base+r.path, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if r.method != http.MethodGet {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(r.header); i += 2 {
		req.Header.Set(r.header[i], r.header[i+1])
	}
	resp, err := noRedirects().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// jsonString reads a top-level string field of a JSON answer.
func jsonString(t *testing.T, body, field string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	s, _ := m[field].(string)
	return s
}
