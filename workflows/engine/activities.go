package engine

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi3"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"cop/workflows"
)

// MaxResponseSize bounds what a call reads from a server; responses travel
// through workflow history, where the result as encoded must also stay
// within MaxPayloadBytes (base64 for output: raw adds a third).
const MaxResponseSize = 1 << 20

// Activities are the interpreter's side effects.
type Activities struct {
	// Client makes outbound calls (tests swap its transport for stubs).
	Client *http.Client
	// Allow lists the hosts outbound calls may reach (COP_CALL_ALLOWLIST).
	Allow Allowlist
	// Platform records tasks, notifications and events, and looks up
	// reference data; nil refuses platform functions.
	Platform Platform
	// Secret reads a use.secrets entry; default COP_SECRET_<NAME>.
	Secret func(name string) (string, bool)
	// SecretHosts reads the hosts a secret may be sent to; default
	// COP_SECRET_<NAME>_HOSTS.
	SecretHosts func(name string) (string, bool)

	docsOnce      sync.Once
	docs          *expirable.LRU[string, []byte] // OpenAPI documents by URL (and credentials), five minutes each
	guardOnce     sync.Once
	guardedClient *http.Client
}

// Register adds the interpreter and its activities to a worker.
func (a *Activities) Register(r worker.Registry) {
	Register(r)
	r.RegisterDynamicWorkflow(Interpret, workflow.DynamicRegisterOptions{})
	r.RegisterActivityWithOptions(a.HTTP, activity.RegisterOptions{Name: activityHTTP})
	r.RegisterActivityWithOptions(a.OpenAPI, activity.RegisterOptions{Name: activityAPI})
	r.RegisterActivityWithOptions(a.Emit, activity.RegisterOptions{Name: activityEmit})
	a.registerPlatform(r)
}

// fault is how activities report a DSL error: non-retryable, with the
// error object as its detail.
func fault(e *workflows.RuntimeError) error {
	return temporal.NewNonRetryableApplicationError(e.Error(), FaultType, nil, e)
}

func (a *Activities) checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fault(workflows.NewError(workflows.ErrConfiguration, "Invalid endpoint", "%q is not an http or https URL", raw))
	}
	if !a.Allow.Allows(u) {
		return nil, fault(workflows.NewError(workflows.ErrAuthorization, "Call refused", "%s is not on COP_CALL_ALLOWLIST, so COP will not call it", u.Host))
	}
	return u, nil
}

// HTTP performs a call: http task.
func (a *Activities) HTTP(ctx context.Context, req HTTPRequest) (any, error) {
	u, err := a.checkURL(req.URI)
	if err != nil {
		return nil, err
	}
	if len(req.Query) > 0 {
		q := u.Query()
		for k, v := range req.Query {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
	}
	var body io.Reader
	contentType := ""
	switch b := req.Body.(type) {
	case nil:
	case string:
		body, contentType = strings.NewReader(b), "text/plain; charset=utf-8"
	default:
		js, _ := json.Marshal(b)
		body, contentType = bytes.NewReader(js), "application/json"
	}
	hreq, err := http.NewRequestWithContext(ctx, req.Method, u.String(), body)
	if err != nil {
		return nil, fault(workflows.NewError(workflows.ErrConfiguration, "Invalid request", "%v", err))
	}
	if contentType != "" {
		hreq.Header.Set("Content-Type", contentType)
	}
	hreq.Header.Set("Accept", "application/json, */*;q=0.5")
	if req.IdempotencyKey != "" {
		hreq.Header.Set("Idempotency-Key", req.IdempotencyKey)
	}
	for k, v := range req.Headers {
		hreq.Header.Set(k, v) // the definition's own headers win
	}
	if err := a.authenticate(hreq, req.Auth); err != nil {
		return nil, err
	}
	return a.do(hreq, req.Output, req.Redirect)
}

func (a *Activities) authenticate(r *http.Request, auth *Auth) error {
	if auth == nil {
		return nil
	}
	user, pass, token := auth.Username, auth.Password, auth.Token
	if auth.Secret != "" {
		if err := a.secretMayGo(auth.Secret, r.URL); err != nil {
			return err
		}
		v, ok := a.secret(auth.Secret)
		if !ok {
			return fault(workflows.NewError(workflows.ErrAuthorization, "Missing secret", "secret %q is not set (COP_SECRET_%s)", auth.Secret, strings.ToUpper(auth.Secret)))
		}
		var obj struct{ Username, Password, Token string }
		if json.Unmarshal([]byte(v), &obj) == nil {
			user, pass, token = obj.Username, obj.Password, obj.Token
		} else if auth.Scheme == "basic" {
			user, pass, _ = strings.Cut(v, ":")
		} else {
			token = v
		}
	}
	switch auth.Scheme {
	case "basic":
		r.SetBasicAuth(user, pass)
	case "bearer":
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return nil
}

// secretMayGo refuses to send a secret to a host it is not bound to: each
// COP_SECRET_<NAME> has COP_SECRET_<NAME>_HOSTS, the hosts (host,
// host:port, or an address) it is for, so a definition cannot send the
// casework token to a host of its choosing.
func (a *Activities) secretMayGo(name string, u *url.URL) error {
	env := "COP_SECRET_" + strings.ToUpper(name) + "_HOSTS"
	hosts, ok := a.secretHosts(name)
	if !ok || strings.TrimSpace(hosts) == "" {
		return fault(workflows.NewError(workflows.ErrAuthorization, "Secret not bound to a host",
			"secret %q may not be sent anywhere until %s names the hosts it is for", name, env))
	}
	if !ParseAllowlist(hosts).names(u) {
		return fault(workflows.NewError(workflows.ErrAuthorization, "Secret not for this host",
			"secret %q is for %s (%s), not %s", name, hosts, env, u.Host))
	}
	return nil
}

func (a *Activities) secretHosts(name string) (string, bool) {
	if a.SecretHosts != nil {
		return a.SecretHosts(name)
	}
	return os.LookupEnv("COP_SECRET_" + strings.ToUpper(name) + "_HOSTS")
}

func (a *Activities) secret(name string) (string, bool) {
	if a.Secret != nil {
		return a.Secret(name)
	}
	return os.LookupEnv("COP_SECRET_" + strings.ToUpper(name))
}

func (a *Activities) client(redirect bool) *http.Client {
	c := *a.guarded()
	c.CheckRedirect = func(next *http.Request, via []*http.Request) error {
		if !redirect {
			return http.ErrUseLastResponse
		}
		if len(via) >= 10 {
			return errors.New("more than 10 redirects")
		}
		if !a.Allow.Allows(next.URL) {
			return fmt.Errorf("redirect to %s, which is not on COP_CALL_ALLOWLIST", next.URL.Host)
		}
		if !strings.EqualFold(next.URL.Host, via[0].URL.Host) {
			// Go keeps credentials for a subdomain; a secret is bound to
			// the exact host it was sent to.
			next.Header.Del("Authorization")
		}
		return nil
	}
	return &c
}

// guarded is the Client (default: 60 s timeout) with its transport's dials
// checked against the allow-list after DNS (Allowlist.dial), and no proxy
// from the environment, which would dial on the call's behalf. A transport
// that does not dial (a test's stub) is used as it is.
func (a *Activities) guarded() *http.Client {
	a.guardOnce.Do(func() {
		base := a.Client
		if base == nil {
			base = &http.Client{Timeout: 60 * time.Second}
		}
		c := *base
		var t *http.Transport
		switch rt := base.Transport.(type) {
		case nil:
			t = http.DefaultTransport.(*http.Transport).Clone()
		case *http.Transport:
			t = rt.Clone()
		}
		if t != nil {
			t.Proxy = nil
			t.DialContext = a.Allow.dial
			t.DialTLSContext = nil
			c.Transport = t
		}
		a.guardedClient = &c
	})
	return a.guardedClient
}

// do sends the request and shapes the response as the DSL's output mode
// asks; a status outside 2xx (3xx too with redirect) is a communication
// error whose status is the response's.
func (a *Activities) do(r *http.Request, output string, redirect bool) (any, error) {
	defer heartbeat(r.Context())()
	resp, err := a.client(redirect).Do(r)
	if err != nil && r.Context().Err() != nil {
		// The worker is stopping (a deploy) or the call was abandoned: no
		// answer came, so Temporal may try again, on another worker.
		return nil, temporal.NewApplicationError(fmt.Sprintf("%s %s was cut short: %v", r.Method, r.URL.Redacted(), err), "cop.call-interrupted")
	}
	var refused *AddressRefused
	if errors.As(err, &refused) {
		return nil, fault(workflows.NewError(workflows.ErrAuthorization, "Call refused", "%s %s: %v", r.Method, r.URL.Redacted(), refused))
	}
	if err != nil {
		e := workflows.NewError(workflows.ErrCommunication, "Call failed", "%s %s: %v", r.Method, r.URL.Redacted(), err)
		e.Status = http.StatusServiceUnavailable
		return nil, fault(e)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseSize+1))
	if err != nil {
		return nil, fault(workflows.NewError(workflows.ErrCommunication, "Call failed", "reading the response: %v", err))
	}
	if len(raw) > MaxResponseSize {
		return nil, fault(workflows.NewError(workflows.ErrCommunication, "Response too large", "the response is larger than %d bytes", MaxResponseSize))
	}
	limit := 299
	if redirect {
		limit = 399
	}
	if resp.StatusCode < 200 || resp.StatusCode > limit {
		e := workflows.NewError(workflows.ErrCommunication, fmt.Sprintf("HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode)), "%s %s answered %d: %s", r.Method, r.URL.Redacted(), resp.StatusCode, snippet(raw))
		e.Status = resp.StatusCode
		return nil, fault(e)
	}
	content := decodeContent(raw, resp.Header.Get("Content-Type"))
	var out any = content
	switch output {
	case "raw":
		out = base64.StdEncoding.EncodeToString(raw)
	case "response":
		out = map[string]any{
			"request":    map[string]any{"method": r.Method, "uri": r.URL.Redacted(), "headers": flatHeaders(r.Header, true)},
			"statusCode": resp.StatusCode,
			"headers":    flatHeaders(resp.Header, false),
			"content":    content,
		}
	}
	if err := checkResult(fmt.Sprintf("the response of %s %s", r.Method, r.URL.Redacted()), out); err != nil {
		return nil, err
	}
	return out, nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// decodeContent deserialises JSON, keeps text as text and base64-encodes
// anything else.
func decodeContent(raw []byte, ctype string) any {
	if len(raw) == 0 {
		return nil
	}
	mt, _, _ := mime.ParseMediaType(ctype)
	if mt == "application/json" || strings.HasSuffix(mt, "+json") || (mt == "" && json.Valid(raw)) {
		var v any
		if json.Unmarshal(raw, &v) == nil {
			return v
		}
	}
	if strings.HasPrefix(mt, "text/") || mt == "application/xml" || mt == "" {
		return string(raw)
	}
	return base64.StdEncoding.EncodeToString(raw)
}

func flatHeaders(h http.Header, hideAuth bool) map[string]any {
	out := map[string]any{}
	for k, v := range h {
		if hideAuth && strings.EqualFold(k, "Authorization") {
			out[k] = "(hidden)"
			continue
		}
		out[k] = strings.Join(v, ", ")
	}
	return out
}

// OpenAPI performs a call: openapi task: it reads the document (cached per
// URL for five minutes), finds the operation and builds the request.
func (a *Activities) OpenAPI(ctx context.Context, req OpenAPIRequest) (any, error) {
	docURL, err := a.checkURL(req.Document)
	if err != nil {
		return nil, err
	}
	op, err := a.operation(ctx, docURL, req.DocumentAuth, req.OperationID)
	if err != nil {
		return nil, err
	}
	hreq, err := op.request(ctx, req.Parameters)
	if err != nil {
		return nil, err
	}
	if _, err := a.checkURL(hreq.URL.String()); err != nil {
		return nil, err
	}
	if err := a.authenticate(hreq, req.Auth); err != nil {
		return nil, err
	}
	if req.IdempotencyKey != "" && hreq.Header.Get("Idempotency-Key") == "" {
		hreq.Header.Set("Idempotency-Key", req.IdempotencyKey)
	}
	return a.do(hreq, req.Output, req.Redirect)
}

func (a *Activities) document(ctx context.Context, u *url.URL, auth *Auth) ([]byte, error) {
	// Documents fetched with credentials are cached under them: another
	// definition must not read a document through someone else's.
	key := u.String()
	if auth != nil {
		b, _ := json.Marshal(auth)
		key += "\x00" + string(b)
	}
	a.docsOnce.Do(func() { a.docs = expirable.NewLRU[string, []byte](64, nil, 5*time.Minute) })
	if raw, ok := a.docs.Get(key); ok {
		return raw, nil
	}
	r, _ := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err := a.authenticate(r, auth); err != nil {
		return nil, err
	}
	resp, err := a.client(true).Do(r)
	if err != nil {
		return nil, fault(workflows.NewError(workflows.ErrCommunication, "OpenAPI document unavailable", "%s: %v", u.Redacted(), err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseSize))
	if err != nil || resp.StatusCode != http.StatusOK {
		e := workflows.NewError(workflows.ErrCommunication, "OpenAPI document unavailable", "%s answered %d", u.Redacted(), resp.StatusCode)
		e.Status = resp.StatusCode
		return nil, fault(e)
	}
	a.docs.Add(key, raw)
	return raw, nil
}

// operationSpec is one operation, whichever document version described it.
type operationSpec struct {
	method, base, path string
	params             []paramSpec
	hasBody            bool
	bodyName           string
	formData           bool
}

type paramSpec struct{ in, name string }

func (a *Activities) operation(ctx context.Context, docURL *url.URL, auth *Auth, id string) (*operationSpec, error) {
	raw, err := a.document(ctx, docURL, auth)
	if err != nil {
		return nil, err
	}
	js, err := workflows.YAMLToJSON(raw)
	if err != nil {
		return nil, fault(workflows.NewError(workflows.ErrConfiguration, "Invalid OpenAPI document", "%s: %v", docURL.Redacted(), err))
	}
	var probe struct {
		Swagger string `json:"swagger"`
		OpenAPI string `json:"openapi"`
	}
	_ = json.Unmarshal(js, &probe)
	var op *operationSpec
	switch {
	case strings.HasPrefix(probe.Swagger, "2."):
		op, err = swaggerOperation(js, docURL, id)
	case strings.HasPrefix(probe.OpenAPI, "3."):
		op, err = openAPIOperation(js, docURL, id)
	default:
		err = fmt.Errorf("%s is neither Swagger 2.0 nor OpenAPI 3", docURL.Redacted())
	}
	if err != nil {
		return nil, fault(workflows.NewError(workflows.ErrConfiguration, "OpenAPI operation", "%v", err))
	}
	return op, nil
}

func swaggerOperation(js []byte, docURL *url.URL, id string) (*operationSpec, error) {
	var doc openapi2.T
	if err := json.Unmarshal(js, &doc); err != nil {
		return nil, fmt.Errorf("read Swagger document: %w", err)
	}
	scheme := docURL.Scheme
	if len(doc.Schemes) > 0 && !containsString(doc.Schemes, scheme) {
		scheme = doc.Schemes[0]
	}
	host := doc.Host
	if host == "" {
		host = docURL.Host
	}
	base := scheme + "://" + host + strings.TrimSuffix(doc.BasePath, "/")
	for path, item := range doc.Paths {
		for method, o := range item.Operations() {
			if o.OperationID != id {
				continue
			}
			spec := &operationSpec{method: method, base: base, path: path}
			for _, p := range append(append(openapi2.Parameters{}, item.Parameters...), o.Parameters...) {
				if p.Ref != "" {
					p = doc.Parameters[strings.TrimPrefix(p.Ref, "#/parameters/")]
					if p == nil {
						continue
					}
				}
				switch p.In {
				case "body":
					spec.hasBody, spec.bodyName = true, p.Name
				case "formData":
					spec.formData = true
					spec.params = append(spec.params, paramSpec{p.In, p.Name})
				default:
					spec.params = append(spec.params, paramSpec{p.In, p.Name})
				}
			}
			return spec, nil
		}
	}
	return nil, fmt.Errorf("the document has no operation %q", id)
}

func openAPIOperation(js []byte, docURL *url.URL, id string) (*operationSpec, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(js)
	if err != nil {
		return nil, fmt.Errorf("read OpenAPI document: %w", err)
	}
	base := docURL.Scheme + "://" + docURL.Host
	if len(doc.Servers) > 0 {
		s, err := docURL.Parse(doc.Servers[0].URL)
		if err == nil {
			base = strings.TrimSuffix(s.String(), "/")
		}
	}
	for path, item := range doc.Paths.Map() {
		for method, o := range item.Operations() {
			if o.OperationID != id {
				continue
			}
			spec := &operationSpec{method: method, base: base, path: path, hasBody: o.RequestBody != nil, bodyName: "body"}
			for _, p := range append(append(openapi3.Parameters{}, item.Parameters...), o.Parameters...) {
				if p.Value != nil {
					spec.params = append(spec.params, paramSpec{p.Value.In, p.Value.Name})
				}
			}
			return spec, nil
		}
	}
	return nil, fmt.Errorf("the document has no operation %q", id)
}

// request builds the HTTP request: each parameter goes where the document
// says; the body is the parameter named after the body (or "body"), else
// the parameters no other place took.
func (op *operationSpec) request(ctx context.Context, params map[string]any) (*http.Request, error) {
	used := map[string]bool{}
	path := op.path
	q := url.Values{}
	form := url.Values{}
	headers := http.Header{}
	for _, p := range op.params {
		v, ok := params[p.name]
		if !ok {
			continue
		}
		used[p.name] = true
		switch p.in {
		case "path":
			path = strings.ReplaceAll(path, "{"+p.name+"}", url.PathEscape(paramText(v)))
		case "query":
			if list, isList := v.([]any); isList {
				for _, item := range list {
					q.Add(p.name, paramText(item))
				}
			} else {
				q.Set(p.name, paramText(v))
			}
		case "header":
			headers.Set(p.name, paramText(v))
		case "formData":
			form.Set(p.name, paramText(v))
		}
	}
	var body io.Reader
	ctype := ""
	switch {
	case op.formData:
		body, ctype = strings.NewReader(form.Encode()), "application/x-www-form-urlencoded"
	case op.hasBody:
		var b any
		if v, ok := params[op.bodyName]; ok {
			b = v
		} else {
			rest := map[string]any{}
			for k, v := range params {
				if !used[k] {
					rest[k] = v
				}
			}
			b = rest
		}
		js, _ := json.Marshal(b)
		body, ctype = bytes.NewReader(js), "application/json"
	}
	target := op.base + path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	r, err := http.NewRequestWithContext(ctx, op.method, target, body)
	if err != nil {
		return nil, fault(workflows.NewError(workflows.ErrConfiguration, "Invalid request", "%v", err))
	}
	r.Header = headers
	r.Header.Set("Accept", "application/json, */*;q=0.5")
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	return r, nil
}

func paramText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strings.TrimSuffix(fmt.Sprintf("%v", x), ".0")
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Emit hands an emitted event to the platform (a no-op without one).
func (a *Activities) Emit(ctx context.Context, req EmitRequest) error {
	if a.Platform == nil {
		return nil
	}
	return a.Platform.Emit(ctx, req)
}

// ActivityFault is how a Platform refuses with one of the spec's errors
// (an unknown reference data set, a key with no item): the instance
// faults with it, or a try/catch catches it, and it is not retried.
func ActivityFault(e *workflows.RuntimeError) error { return fault(e) }

// heartbeatEvery is how often a call in flight tells Temporal its worker
// lives; callHeartbeatTimeout (several beats) is how soon Temporal gives
// a killed worker's call to another.
const (
	heartbeatEvery       = 2 * time.Second
	callHeartbeatTimeout = 10 * time.Second
)

// heartbeat beats for the activity of ctx until the returned func is
// called: without it, a call on a worker killed mid-call would wait out
// its whole start-to-close timeout (minutes) before another worker tried
// it again.
func heartbeat(ctx context.Context) (stop func()) {
	if !activity.IsActivity(ctx) {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(heartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return func() { close(done) }
}
