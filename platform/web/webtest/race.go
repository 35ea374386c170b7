package webtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
)

// OneTaskWorkflow asks one user task of candidates and outputs its data.
func OneTaskWorkflow(name, groups string) string {
	return `document: {dsl: '1.0.0', namespace: border-force, name: ` + name + `, version: '1.0.0', metadata: {casePrefix: RACE}}
do:
  - approve:
      call: userTask
      with: {form: seizure-approval, title: Approve seizure, candidateGroups: ` + groups + `}
      output: {as: '${ .data }'}
`
}

// Raced is one response of a request sent at the same moment as others.
type Raced struct {
	Status int
	Body   string
	Err    error
}

// Race sends every request at once, released together behind a barrier,
// and returns the responses in the order given.
func (e *Env) Race(reqs ...*http.Request) []Raced {
	e.T.Helper()
	out := make([]Raced, len(reqs))
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for i, r := range reqs {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			resp, err := NoRedirects().Do(r)
			if err != nil {
				out[i].Err = err
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			out[i] = Raced{Status: resp.StatusCode, Body: string(b)}
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	for i, r := range out {
		if r.Err != nil {
			e.T.Fatalf("request %d: %v", i, r.Err)
		}
	}
	return out
}

// Request builds an API request with a JSON body.
func (e *Env) Request(method, path, token string, body any, header ...string) *http.Request {
	e.T.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.Base+path, r)
	if err != nil {
		e.T.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return req
}

// Statuses lists the responses' statuses, for a failure's message.
func Statuses(rs []Raced) string {
	var s []string
	for _, r := range rs {
		s = append(s, http.StatusText(r.Status))
	}
	sort.Strings(s)
	return strings.Join(s, ",")
}

// StartOneTask publishes a one-task workflow, starts it and waits for its task.
func (e *Env) StartOneTask(name, groups, candidate string) (InstanceBody, TaskBody) {
	e.T.Helper()
	author, integrator := e.Token("author"), e.Token("integrator")
	e.Send("POST", "/api/v1/forms", author, ApprovalForm) // 201, or 200 when a test before published it
	if resp, body := e.PublishYAML(author, OneTaskWorkflow(name, groups)); resp.StatusCode != 201 && resp.StatusCode != 200 {
		e.T.Fatalf("publish: %d %s", resp.StatusCode, body)
	}
	var in InstanceBody
	e.Must(201, "POST", "/api/v1/workflows/border-force/"+name+"/instances", integrator, map[string]any{"input": map[string]any{}}, &in)
	return in, e.WaitTask(candidate, in.ID)
}
