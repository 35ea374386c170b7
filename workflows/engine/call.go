package engine

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"cop/workflows"
)

// HTTPRequest is what the workflow hands the HTTP activity: every
// expression already evaluated, except secrets, which the activity reads.
type HTTPRequest struct {
	Method   string            `json:"method"`
	URI      string            `json:"uri"`
	Headers  map[string]string `json:"headers,omitempty"`
	Query    map[string]string `json:"query,omitempty"`
	Body     any               `json:"body,omitempty"`
	Output   string            `json:"output,omitempty"` // content (default), response, raw
	Redirect bool              `json:"redirect,omitempty"`
	Auth     *Auth             `json:"auth,omitempty"`
	// IdempotencyKey goes out as the Idempotency-Key header unless the
	// definition sets one (callKey).
	IdempotencyKey string `json:"idempotencyKey,omitempty"`
}

// OpenAPIRequest calls an operation of an OpenAPI (3.x) or Swagger (2.0)
// document.
type OpenAPIRequest struct {
	Document string `json:"document"`
	// DocumentAuth authenticates the fetch of the document itself
	// (document.endpoint.authentication).
	DocumentAuth *Auth          `json:"documentAuth,omitempty"`
	OperationID  string         `json:"operationId"`
	Parameters   map[string]any `json:"parameters,omitempty"`
	Output       string         `json:"output,omitempty"`
	Redirect     bool           `json:"redirect,omitempty"`
	Auth         *Auth          `json:"auth,omitempty"`
	// IdempotencyKey goes out as the Idempotency-Key header (callKey).
	IdempotencyKey string `json:"idempotencyKey,omitempty"`
}

// Auth is an evaluated authentication policy. Secret names a use.secrets
// entry the activity resolves (COP_SECRET_<NAME>), so secret values never
// enter workflow history.
type Auth struct {
	Scheme   string `json:"scheme"` // basic, bearer
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	Token    string `json:"token,omitempty"`
	Secret   string `json:"secret,omitempty"`
}

// EmitRequest hands an emitted event to the platform.
type EmitRequest struct {
	Instance string         `json:"instance"`
	CaseKey  string         `json:"caseKey,omitempty"`
	Event    map[string]any `json:"event"`
}

const activityEmit = "cop.emit"

// call dispatches a call task: http, openapi, a platform function or a
// function from use.functions.
func (r *run) call(ctx workflow.Context, t *workflows.Task, ptr string, in any, vars, scope workflows.Vars) (any, error) {
	switch t.Call {
	case "http":
		req, err := r.httpRequest(t.With, ptr, in, vars)
		if err != nil {
			return nil, err
		}
		req.IdempotencyKey = r.callKey(ptr)
		var out any
		err = r.activity(ctx, activityHTTP, callOptions(), req, &out)
		return out, err
	case "openapi":
		req, err := r.openAPIRequest(t.With, ptr, in, vars)
		if err != nil {
			return nil, err
		}
		req.IdempotencyKey = r.callKey(ptr)
		var out any
		err = r.activity(ctx, activityAPI, callOptions(), req, &out)
		return out, err
	case workflows.FuncUserTask:
		return r.userTask(ctx, t.With, ptr, in, vars)
	case workflows.FuncNotify:
		return r.notify(ctx, t.With, ptr, in, vars)
	case workflows.FuncLookup:
		return r.lookup(ctx, t.With, ptr, in, vars)
	}
	fn := r.use().Functions[t.Call]
	if fn == nil {
		return nil, workflows.NewError(workflows.ErrConfiguration, "Unknown function", "function %q is not defined in use.functions", t.Call)
	}
	// The function runs as a task whose input is its evaluated arguments,
	// which its expressions also see as $arguments.
	fin := in
	if t.With != nil {
		args, err := r.eval(t.With, in, vars, ptr+"/with", false)
		if err != nil {
			return nil, err
		}
		fin = args
	}
	fnScope := workflows.Vars{}
	for k, v := range scope {
		fnScope[k] = v
	}
	fnScope["arguments"] = fin
	out, _, err := r.runTask(noContinue(ctx), &workflows.NamedTask{Name: t.Call, Task: fn}, "/use/functions/"+workflows.EscapeToken(t.Call), fin, fnScope)
	return out, err
}

func callOptions() *workflow.ActivityOptions {
	// Retries after an answer are the definition's business
	// (try/catch/retry): every outcome of a call is a non-retryable fault.
	// Temporal retries only what never got an answer: a worker stopped by
	// a deploy or killed mid-call. The Idempotency-Key the retry carries
	// is the first attempt's, so the server can tell.
	// A call heartbeats while in flight, so one on a worker that died is
	// given to another within callHeartbeatTimeout, not five minutes.
	return &workflow.ActivityOptions{StartToCloseTimeout: 5 * time.Minute, HeartbeatTimeout: callHeartbeatTimeout, RetryPolicy: &temporal.RetryPolicy{
		InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second, MaximumAttempts: 5}}
}

// callKey is the Idempotency-Key of a call at ptr: the same for the
// instance, the task's position and the iteration of the loops around
// it, whatever retries it (an activity retry, a try's retry, an operator
// later), so a server can apply the call once.
func (r *run) callKey(ptr string) string {
	r.visits[ptr]++
	h := sha256.Sum256([]byte(workflow.GetInfo(r.root).WorkflowExecution.ID + "\n" + ptr + "\n" + strconv.Itoa(r.visits[ptr])))
	return "cop-" + hex.EncodeToString(h[:16])
}

func platformOptions() workflow.ActivityOptions {
	// Platform writes (tasks, notifications) retry until PostgreSQL answers.
	return workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second, RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute}}
}

// activity runs an activity and counts as waiting.
func (r *run) activity(ctx workflow.Context, name string, opts *workflow.ActivityOptions, req, out any) error {
	o := platformOptions()
	if opts != nil {
		o = *opts
	}
	if err := checkPayload("the input of "+name, req); err != nil {
		return err
	}
	before := r.waiting(ctx)
	var err error
	if opts == nil && workflow.GetVersion(ctx, changeLocalPlatform, workflow.DefaultVersion, 1) >= 1 {
		err = workflow.ExecuteLocalActivity(workflow.WithLocalActivityOptions(ctx, localPlatformOptions()), name, req).Get(ctx, out)
	} else {
		err = workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, o), name, req).Get(ctx, out)
	}
	r.waited(before)
	return err
}

// localPlatformOptions run a platform write in the worker that runs the
// workflow task, its result recorded with the task's completion: no
// activity task through Temporal's matching service and three fewer
// history events a write. The writes are short and idempotent (a worker
// that dies mid-write has the workflow task, and so the write, run again),
// and retry as platformOptions' do, with a timer between attempts once the
// wait grows past a few seconds.
func localPlatformOptions() workflow.LocalActivityOptions {
	p := platformOptions()
	return workflow.LocalActivityOptions{StartToCloseTimeout: p.StartToCloseTimeout, RetryPolicy: p.RetryPolicy}
}

func (r *run) httpRequest(with map[string]any, ptr string, in any, vars workflows.Vars) (*HTTPRequest, error) {
	req := &HTTPRequest{}
	req.Method = strings.ToUpper(fmt.Sprint(with["method"]))
	uri, auth, err := r.endpoint(with["endpoint"], ptr+"/with/endpoint", in, vars)
	if err != nil {
		return nil, err
	}
	req.URI, req.Auth = uri, auth
	if h, ok := with["headers"]; ok {
		if req.Headers, err = r.stringMap(h, ptr+"/with/headers", in, vars); err != nil {
			return nil, err
		}
	}
	if q, ok := with["query"]; ok {
		if req.Query, err = r.stringMap(q, ptr+"/with/query", in, vars); err != nil {
			return nil, err
		}
	}
	if b, ok := with["body"]; ok {
		if req.Body, err = r.eval(b, in, vars, ptr+"/with/body", false); err != nil {
			return nil, err
		}
	}
	req.Output, _ = with["output"].(string)
	req.Redirect, _ = with["redirect"].(bool)
	return req, nil
}

func (r *run) openAPIRequest(with map[string]any, ptr string, in any, vars workflows.Vars) (*OpenAPIRequest, error) {
	req := &OpenAPIRequest{}
	doc, _ := with["document"].(map[string]any)
	uri, docAuth, err := r.endpoint(doc["endpoint"], ptr+"/with/document/endpoint", in, vars)
	if err != nil {
		return nil, err
	}
	req.Document, req.DocumentAuth = uri, docAuth
	req.OperationID, _ = with["operationId"].(string)
	if p, ok := with["parameters"]; ok {
		v, err := r.eval(p, in, vars, ptr+"/with/parameters", false)
		if err != nil {
			return nil, err
		}
		req.Parameters, _ = v.(map[string]any)
	}
	if a, ok := with["authentication"]; ok {
		if req.Auth, err = r.auth(a, ptr+"/with/authentication", in, vars); err != nil {
			return nil, err
		}
	}
	req.Output, _ = with["output"].(string)
	req.Redirect, _ = with["redirect"].(bool)
	return req, nil
}

// endpoint resolves a string (URI template or expression) or
// {uri, authentication}.
func (r *run) endpoint(v any, ptr string, in any, vars workflows.Vars) (string, *Auth, error) {
	var auth *Auth
	if m, ok := v.(map[string]any); ok {
		if a, has := m["authentication"]; has {
			var err error
			if auth, err = r.auth(a, ptr+"/authentication", in, vars); err != nil {
				return "", nil, err
			}
		}
		v, ptr = m["uri"], ptr+"/uri"
	}
	s, _ := v.(string)
	if workflows.IsExpression(s) {
		out, err := r.eval(s, in, vars, ptr, false)
		if err != nil {
			return "", nil, err
		}
		str, ok := out.(string)
		if !ok {
			e := workflows.NewError(workflows.ErrExpression, "Invalid endpoint", "the endpoint expression gave %T, not a URI", out)
			e.Instance = ptr
			return "", nil, e
		}
		return str, auth, nil
	}
	uri, err := expandTemplate(s, in)
	if err != nil {
		e := workflows.NewError(workflows.ErrExpression, "Invalid endpoint", "%v", err)
		e.Instance = ptr
		return "", nil, e
	}
	return uri, auth, nil
}

var templateVar = regexp.MustCompile(`\{([^{}]+)\}`)

// expandTemplate fills `{name}` from the task input's top-level fields
// (RFC 6570 simple expansion); a missing one becomes empty.
func expandTemplate(tpl string, in any) (string, error) {
	obj, _ := in.(map[string]any)
	var bad error
	out := templateVar.ReplaceAllStringFunc(tpl, func(m string) string {
		name := m[1 : len(m)-1]
		switch v := obj[name].(type) {
		case nil:
			return ""
		case string:
			return escapeURIValue(v)
		case float64, int, bool:
			return escapeURIValue(strings.TrimSuffix(fmt.Sprint(v), ".0"))
		default:
			bad = fmt.Errorf("{%s} is %T in the task input; a URI template takes text or numbers", name, v)
			return ""
		}
	})
	return out, bad
}

func escapeURIValue(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// auth evaluates an authentication policy, following `use: NAME` to
// use.authentications.
func (r *run) auth(v any, ptr string, in any, vars workflows.Vars) (*Auth, error) {
	m, _ := v.(map[string]any)
	if name, ok := m["use"].(string); ok {
		p := r.use().Authentications[name]
		if p == nil {
			return nil, workflows.NewError(workflows.ErrConfiguration, "Unknown authentication", "authentication %q is not defined in use.authentications", name)
		}
		b, _ := json.Marshal(p)
		m = nil
		_ = json.Unmarshal(b, &m)
	}
	for _, scheme := range []string{"basic", "bearer"} {
		body, ok := m[scheme].(map[string]any)
		if !ok {
			continue
		}
		a := &Auth{Scheme: scheme}
		if s, ok := body["use"].(string); ok {
			a.Secret = s
			return a, nil
		}
		ev, err := r.eval(body, in, vars, ptr+"/"+scheme, false)
		if err != nil {
			return nil, err
		}
		em, _ := ev.(map[string]any)
		a.Username, _ = em["username"].(string)
		a.Password, _ = em["password"].(string)
		a.Token, _ = em["token"].(string)
		return a, nil
	}
	return nil, workflows.NewError(workflows.ErrConfiguration, "Unsupported authentication", "COP calls with basic or bearer authentication")
}

// stringMap evaluates headers or query: an object of strings, or an
// expression giving one.
func (r *run) stringMap(v any, ptr string, in any, vars workflows.Vars) (map[string]string, error) {
	ev, err := r.eval(v, in, vars, ptr, false)
	if err != nil {
		return nil, err
	}
	m, ok := ev.(map[string]any)
	if !ok {
		e := workflows.NewError(workflows.ErrExpression, "Invalid value", "expected an object of strings, got %T", ev)
		e.Instance = ptr
		return nil, e
	}
	out := make(map[string]string, len(m))
	for k, val := range m {
		if s, ok := val.(string); ok {
			out[k] = s
		} else {
			b, _ := json.Marshal(val)
			out[k] = string(b)
		}
	}
	return out, nil
}

// newID returns a random identifier (used inside SideEffect only).
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
