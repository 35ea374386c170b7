package conformance

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
)

// The kit calls petstore.swagger.io and httpbin.org. No test reaches the
// internet: a rewriting transport sends every outbound call to this local
// server, which answers by the host the workflow meant, in the same shapes.
type stub struct {
	*httptest.Server
	flaky atomic.Int32 // calls to /flaky still to fail with 503
}

var pets = map[string]map[string]any{
	"1": {"id": 1, "name": "doggie", "status": "available", "category": map[string]any{"id": 1, "name": "Dogs"}},
	"2": {"id": 2, "name": "kitty", "status": "available"},
	"3": {"id": 3, "name": "goldie", "status": "sold"},
}

func newStub() *stub {
	s := &stub{}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

func (s *stub) serve(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	if i := strings.IndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	switch host {
	case "petstore.swagger.io":
		s.petstore(w, r)
	case "httpbin.org":
		s.httpbin(w, r)
	default:
		s.local(w, r)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *stub) petstore(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/v2")
	switch {
	case p == "/swagger.json":
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(swaggerDoc))
	case p == "/pet/findByStatus":
		var out []any
		for _, id := range []string{"1", "2", "3"} {
			for _, st := range r.URL.Query()["status"] {
				if pets[id]["status"] == st {
					out = append(out, pets[id])
				}
			}
		}
		writeJSON(w, 200, out)
	case strings.HasPrefix(p, "/pet/") && r.Method == http.MethodGet:
		if pet, ok := pets[strings.TrimPrefix(p, "/pet/")]; ok {
			writeJSON(w, 200, pet)
			return
		}
		writeJSON(w, 404, map[string]any{"code": 1, "type": "error", "message": "Pet not found"})
	default:
		writeJSON(w, 404, map[string]any{"message": "not found"})
	}
}

func (s *stub) httpbin(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) == 3 && parts[0] == "basic-auth" {
		u, p, ok := r.BasicAuth()
		if ok && u == parts[1] && p == parts[2] {
			writeJSON(w, 200, map[string]any{"authenticated": true, "user": u})
			return
		}
		w.WriteHeader(401)
		return
	}
	writeJSON(w, 404, nil)
}

// local serves COP's own scenarios (host "stub.test").
func (s *stub) local(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/flaky":
		if s.flaky.Add(-1) >= 0 {
			writeJSON(w, 503, map[string]any{"message": "try again"})
			return
		}
		writeJSON(w, 200, map[string]any{"ok": true})
	case "/slow":
		select {
		case <-r.Context().Done():
		}
	case "/private/openapi.json":
		// A document only its owner may read (document.endpoint.authentication).
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			writeJSON(w, 401, map[string]any{"message": "sign in to read this document"})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(privateDoc))
	case "/big":
		// A JSON string of ?bytes= characters (?char=, x by default).
		n, _ := strconv.Atoi(r.URL.Query().Get("bytes"))
		c := r.URL.Query().Get("char")
		if c == "" {
			c = "x"
		}
		writeJSON(w, 200, strings.Repeat(c, n))
	case "/echo":
		var body any
		_ = json.NewDecoder(r.Body).Decode(&body)
		writeJSON(w, 200, map[string]any{"method": r.Method, "query": r.URL.Query(), "body": body, "auth": r.Header.Get("Authorization")})
	default:
		writeJSON(w, 404, nil)
	}
}

// rewrite sends every request to the stub, keeping the Host the workflow
// named.
type rewrite struct{ target *url.URL }

func (rw rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	out := r.Clone(r.Context())
	out.Host = r.URL.Host
	out.URL.Scheme, out.URL.Host = rw.target.Scheme, rw.target.Host
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		return nil, fmt.Errorf("stub: %w", err)
	}
	return resp, nil
}

const swaggerDoc = `{
  "swagger": "2.0",
  "info": {"title": "Swagger Petstore", "version": "1.0.7"},
  "host": "petstore.swagger.io",
  "basePath": "/v2",
  "schemes": ["https", "http"],
  "paths": {
    "/pet/findByStatus": {
      "get": {
        "operationId": "findPetsByStatus",
        "produces": ["application/json"],
        "parameters": [{"name": "status", "in": "query", "required": true, "type": "array",
          "items": {"type": "string", "enum": ["available", "pending", "sold"]}, "collectionFormat": "multi"}],
        "responses": {"200": {"description": "successful operation"}}
      }
    },
    "/pet/{petId}": {
      "get": {
        "operationId": "getPetById",
        "produces": ["application/json"],
        "parameters": [{"name": "petId", "in": "path", "required": true, "type": "integer", "format": "int64"}],
        "responses": {"200": {"description": "successful operation"}, "404": {"description": "Pet not found"}}
      }
    }
  }
}`

const privateDoc = `{
  "openapi": "3.0.3",
  "info": {"title": "Private echo", "version": "1.0.0"},
  "servers": [{"url": "http://stub.test"}],
  "paths": {"/echo": {"get": {"operationId": "echo", "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}}],
    "responses": {"200": {"description": "what was sent"}}}}}
}`
