package workflows

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// Workflow is a Serverless Workflow 1.0 document, typed after the
// specification's schema (schema/workflow.yaml). Only what COP runs is typed
// in detail; the rest is kept raw so validation can name it.
type Workflow struct {
	Document Document        `json:"document"`
	Input    *Input          `json:"input,omitempty"`
	Use      *Use            `json:"use,omitempty"`
	Do       TaskList        `json:"do"`
	Timeout  *TimeoutRef     `json:"timeout,omitempty"`
	Output   *Output         `json:"output,omitempty"`
	Schedule json.RawMessage `json:"schedule,omitempty"`
	// Evaluate is in the prose specification but not its 1.0.3 schema.
	Evaluate *struct {
		Language string `json:"language,omitempty"`
		Mode     string `json:"mode,omitempty"`
	} `json:"evaluate,omitempty"`
}

// Decode reads a document that Parse accepted earlier (a stored or pinned
// definition) without validating it again.
func Decode(js []byte) (*Workflow, error) {
	var w Workflow
	if err := json.Unmarshal(js, &w); err != nil {
		return nil, fmt.Errorf("decode workflow: %w", err)
	}
	return &w, nil
}

// Document identifies a workflow.
type Document struct {
	DSL       string         `json:"dsl"`
	Namespace string         `json:"namespace"`
	Name      string         `json:"name"`
	Version   string         `json:"version"`
	Title     string         `json:"title,omitempty"`
	Summary   string         `json:"summary,omitempty"`
	Tags      map[string]any `json:"tags,omitempty"`
	Metadata  map[string]any `json:"metadata,omitempty"`
}

// Use holds a workflow's reusable components.
type Use struct {
	Authentications map[string]*Authentication `json:"authentications,omitempty"`
	Errors          map[string]*Error          `json:"errors,omitempty"`
	Extensions      json.RawMessage            `json:"extensions,omitempty"`
	Functions       map[string]*Task           `json:"functions,omitempty"`
	Retries         map[string]*RetryPolicy    `json:"retries,omitempty"`
	Secrets         []string                   `json:"secrets,omitempty"`
	Timeouts        map[string]*Timeout        `json:"timeouts,omitempty"`
	Catalogs        json.RawMessage            `json:"catalogs,omitempty"`
}

// TaskList is an ordered list of named tasks; in the document each item is
// an object with exactly one key, the task's name.
type TaskList []*NamedTask

// NamedTask is one item of a TaskList.
type NamedTask struct {
	Name string
	Task *Task
}

// UnmarshalJSON reads `[{name: task}, ...]`.
func (l *TaskList) UnmarshalJSON(b []byte) error {
	var items []map[string]*Task
	if err := json.Unmarshal(b, &items); err != nil {
		return err
	}
	out := make(TaskList, 0, len(items))
	for i, item := range items {
		if len(item) != 1 {
			return fmt.Errorf("item %d must have exactly one key, the task's name", i)
		}
		for name, t := range item {
			if t == nil {
				t = &Task{}
			}
			out = append(out, &NamedTask{Name: name, Task: t})
		}
	}
	*l = out
	return nil
}

// MarshalJSON writes the list back in the document's shape.
func (l TaskList) MarshalJSON() ([]byte, error) {
	items := make([]map[string]*Task, len(l))
	for i, nt := range l {
		items[i] = map[string]*Task{nt.Name: nt.Task}
	}
	return json.Marshal(items)
}

// Index returns the position of the task named name, or -1.
func (l TaskList) Index(name string) int {
	for i, nt := range l {
		if nt.Name == name {
			return i
		}
	}
	return -1
}

// Task kinds, named as the document spells them.
const (
	KindCall   = "call"
	KindDo     = "do"
	KindFork   = "fork"
	KindEmit   = "emit"
	KindFor    = "for"
	KindListen = "listen"
	KindRaise  = "raise"
	KindRun    = "run"
	KindSet    = "set"
	KindSwitch = "switch"
	KindTry    = "try"
	KindWait   = "wait"
)

// kindKeys lists the keys that decide a task's kind, in the order they are
// tried: `for` and `try` come before `do` because a for task has a `do`.
var kindKeys = []string{KindCall, KindFor, KindTry, KindDo, KindFork, KindEmit, KindListen, KindRaise, KindRun, KindSet, KindSwitch, KindWait}

// Task is any task; Kind says which of the kind-specific fields apply.
type Task struct {
	Kind string `json:"-"`

	If       string         `json:"if,omitempty"`
	Input    *Input         `json:"input,omitempty"`
	Output   *Output        `json:"output,omitempty"`
	Export   *Export        `json:"export,omitempty"`
	Timeout  *TimeoutRef    `json:"timeout,omitempty"`
	Then     string         `json:"then,omitempty"`
	Metadata map[string]any `json:"metadata,omitempty"`

	Call    string          `json:"call,omitempty"`
	With    map[string]any  `json:"with,omitempty"`
	Do      TaskList        `json:"do,omitempty"`
	Fork    *Fork           `json:"fork,omitempty"`
	Emit    *Emit           `json:"emit,omitempty"`
	For     *For            `json:"for,omitempty"`
	While   string          `json:"while,omitempty"`
	Listen  *Listen         `json:"listen,omitempty"`
	Foreach json.RawMessage `json:"foreach,omitempty"`
	Raise   *Raise          `json:"raise,omitempty"`
	Run     *Run            `json:"run,omitempty"`
	Set     any             `json:"set,omitempty"`
	Switch  []*SwitchCase   `json:"switch,omitempty"`
	Try     TaskList        `json:"try,omitempty"`
	Catch   *Catch          `json:"catch,omitempty"`
	Wait    *Duration       `json:"wait,omitempty"`
}

// UnmarshalJSON decodes a task and records its kind.
func (t *Task) UnmarshalJSON(b []byte) error {
	type plain Task
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return err
	}
	if err := json.Unmarshal(b, (*plain)(t)); err != nil {
		return err
	}
	t.Kind = taskKind(keys)
	return nil
}

func taskKind(keys map[string]json.RawMessage) string {
	for _, k := range kindKeys {
		if _, ok := keys[k]; ok {
			return k
		}
	}
	return ""
}

// Input configures the data a task or workflow receives.
type Input struct {
	Schema *Schema `json:"schema,omitempty"`
	From   any     `json:"from,omitempty"`
}

// Output configures what a task or workflow produces.
type Output struct {
	Schema *Schema `json:"schema,omitempty"`
	As     any     `json:"as,omitempty"`
}

// Export configures what a task adds to the workflow's $context.
type Export struct {
	Schema *Schema `json:"schema,omitempty"`
	As     any     `json:"as,omitempty"`
}

// Schema is a JSON Schema given inline (document) or by reference.
type Schema struct {
	Format   string          `json:"format,omitempty"`
	Document json.RawMessage `json:"document,omitempty"`
	Resource json.RawMessage `json:"resource,omitempty"`
}

// Timeout ends a task or workflow that runs longer than After.
type Timeout struct {
	After Duration `json:"after"`
}

// TimeoutRef is an inline timeout or the name of one in use.timeouts.
type TimeoutRef struct {
	Name   string
	Inline *Timeout
}

// UnmarshalJSON reads a string (a name) or an object.
func (r *TimeoutRef) UnmarshalJSON(b []byte) error {
	if isJSONString(b) {
		return json.Unmarshal(b, &r.Name)
	}
	r.Inline = &Timeout{}
	return json.Unmarshal(b, r.Inline)
}

// MarshalJSON writes the form it was read in.
func (r TimeoutRef) MarshalJSON() ([]byte, error) {
	if r.Inline != nil {
		return json.Marshal(r.Inline)
	}
	return json.Marshal(r.Name)
}

// Error is the specification's error object (RFC 7807 shaped). Its fields
// may be runtime expressions.
type Error struct {
	Type     string `json:"type"`
	Status   any    `json:"status"`
	Instance string `json:"instance,omitempty"`
	Title    string `json:"title,omitempty"`
	Detail   string `json:"detail,omitempty"`
}

// ErrorFilter is catch.errors.with.
type ErrorFilter struct {
	Type     string `json:"type,omitempty"`
	Status   int    `json:"status,omitempty"`
	Instance string `json:"instance,omitempty"`
	Title    string `json:"title,omitempty"`
	Details  string `json:"details,omitempty"`

	unknown []string // keys the filter does not have; Check refuses them
}

// UnmarshalJSON reads the filter and notes keys it does not know: the
// specification's schema leaves the filter open, and a misspelt key would
// otherwise make it catch every error.
func (f *ErrorFilter) UnmarshalJSON(b []byte) error {
	type plain ErrorFilter
	if err := json.Unmarshal(b, (*plain)(f)); err != nil {
		return err
	}
	f.unknown = unknownKeys(b, "type", "status", "instance", "title", "details")
	return nil
}

// CatchErrors is catch.errors.
type CatchErrors struct {
	With *ErrorFilter `json:"with,omitempty"`

	unknown []string
}

// UnmarshalJSON reads catch.errors and notes keys other than with.
func (e *CatchErrors) UnmarshalJSON(b []byte) error {
	type plain CatchErrors
	if err := json.Unmarshal(b, (*plain)(e)); err != nil {
		return err
	}
	e.unknown = unknownKeys(b, "with")
	return nil
}

// unknownKeys lists, sorted, the keys of a JSON object not in known.
func unknownKeys(b []byte, known ...string) []string {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	var out []string
	for _, k := range sortedKeys(m) {
		found := false
		for _, n := range known {
			found = found || n == k
		}
		if !found {
			out = append(out, k)
		}
	}
	return out
}

// Fork runs branches concurrently.
type Fork struct {
	Branches TaskList `json:"branches"`
	Compete  bool     `json:"compete,omitempty"`
}

// Emit publishes an event.
type Emit struct {
	Event struct {
		With map[string]any `json:"with"`
	} `json:"event"`
}

// For iterates over a collection.
type For struct {
	Each string `json:"each,omitempty"`
	In   string `json:"in"`
	At   string `json:"at,omitempty"`
}

// ItemVar is the loop variable's name, `item` unless given.
func (f *For) ItemVar() string { return orDefault(f.Each, "item") }

// IndexVar is the index variable's name, `index` unless given.
func (f *For) IndexVar() string { return orDefault(f.At, "index") }

// Listen waits for events.
type Listen struct {
	To   EventConsumption `json:"to"`
	Read string           `json:"read,omitempty"`
}

// EventConsumption says which events complete a listen.
type EventConsumption struct {
	One   *EventFilter    `json:"one,omitempty"`
	All   []*EventFilter  `json:"all,omitempty"`
	Any   []*EventFilter  `json:"any,omitempty"`
	Until json.RawMessage `json:"until,omitempty"`
}

// EventFilter matches an event by its attributes.
type EventFilter struct {
	With      map[string]any             `json:"with"`
	Correlate map[string]json.RawMessage `json:"correlate,omitempty"`
}

// Raise raises an error, inline or named in use.errors.
type Raise struct {
	Error ErrorRef `json:"error"`
}

// ErrorRef is an inline error or the name of one in use.errors.
type ErrorRef struct {
	Name   string
	Inline *Error
}

// UnmarshalJSON reads a string (a name) or an object.
func (r *ErrorRef) UnmarshalJSON(b []byte) error {
	if isJSONString(b) {
		return json.Unmarshal(b, &r.Name)
	}
	r.Inline = &Error{}
	return json.Unmarshal(b, r.Inline)
}

// MarshalJSON writes the form it was read in.
func (r ErrorRef) MarshalJSON() ([]byte, error) {
	if r.Inline != nil {
		return json.Marshal(r.Inline)
	}
	return json.Marshal(r.Name)
}

// Run runs a process; COP runs only workflows.
type Run struct {
	Await     *bool           `json:"await,omitempty"`
	Return    string          `json:"return,omitempty"`
	Workflow  *SubWorkflow    `json:"workflow,omitempty"`
	Container json.RawMessage `json:"container,omitempty"`
	Script    json.RawMessage `json:"script,omitempty"`
	Shell     json.RawMessage `json:"shell,omitempty"`
}

// SubWorkflow names the workflow a run task starts.
type SubWorkflow struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Version   string `json:"version"`
	Input     any    `json:"input,omitempty"`
}

// SwitchCase is one named case of a switch.
type SwitchCase struct {
	Name string
	When string
	Then string
}

// UnmarshalJSON reads `{name: {when, then}}`.
func (c *SwitchCase) UnmarshalJSON(b []byte) error {
	var item map[string]struct {
		When string `json:"when"`
		Then string `json:"then"`
	}
	if err := json.Unmarshal(b, &item); err != nil {
		return err
	}
	if len(item) != 1 {
		return fmt.Errorf("a switch case must have exactly one key, its name")
	}
	for name, v := range item {
		c.Name, c.When, c.Then = name, v.When, v.Then
	}
	return nil
}

// MarshalJSON writes the document's shape.
func (c SwitchCase) MarshalJSON() ([]byte, error) {
	body := map[string]string{"then": c.Then}
	if c.When != "" {
		body["when"] = c.When
	}
	return json.Marshal(map[string]any{c.Name: body})
}

// Catch says which errors a try task handles and how.
type Catch struct {
	Errors     *CatchErrors `json:"errors,omitempty"`
	As         string       `json:"as,omitempty"`
	When       string       `json:"when,omitempty"`
	ExceptWhen string       `json:"exceptWhen,omitempty"`
	Retry      *RetryRef    `json:"retry,omitempty"`
	Do         TaskList     `json:"do,omitempty"`
}

// ErrorVar is the name the caught error is bound to, `error` unless given.
func (c *Catch) ErrorVar() string { return orDefault(c.As, "error") }

// RetryPolicy says when and how often a try block runs again.
type RetryPolicy struct {
	When       string    `json:"when,omitempty"`
	ExceptWhen string    `json:"exceptWhen,omitempty"`
	Delay      *Duration `json:"delay,omitempty"`
	Backoff    *struct {
		Constant    map[string]any `json:"constant,omitempty"`
		Exponential map[string]any `json:"exponential,omitempty"`
		Linear      map[string]any `json:"linear,omitempty"`
	} `json:"backoff,omitempty"`
	Limit *struct {
		Attempt *struct {
			Count    *int      `json:"count,omitempty"`
			Duration *Duration `json:"duration,omitempty"`
		} `json:"attempt,omitempty"`
		Duration *Duration `json:"duration,omitempty"`
	} `json:"limit,omitempty"`
	Jitter *struct {
		From Duration `json:"from"`
		To   Duration `json:"to"`
	} `json:"jitter,omitempty"`
}

// RetryRef is an inline retry policy or the name of one in use.retries.
type RetryRef struct {
	Name   string
	Inline *RetryPolicy
}

// UnmarshalJSON reads a string (a name) or an object.
func (r *RetryRef) UnmarshalJSON(b []byte) error {
	if isJSONString(b) {
		return json.Unmarshal(b, &r.Name)
	}
	r.Inline = &RetryPolicy{}
	return json.Unmarshal(b, r.Inline)
}

// MarshalJSON writes the form it was read in.
func (r RetryRef) MarshalJSON() ([]byte, error) {
	if r.Inline != nil {
		return json.Marshal(r.Inline)
	}
	return json.Marshal(r.Name)
}

// Authentication is an authentication policy, inline or `use: NAME` (a
// policy in use.authentications, or a secret).
type Authentication struct {
	Use    string         `json:"use,omitempty"`
	Basic  map[string]any `json:"basic,omitempty"`
	Bearer map[string]any `json:"bearer,omitempty"`
	Digest map[string]any `json:"digest,omitempty"`
	OAuth2 map[string]any `json:"oauth2,omitempty"`
	OIDC   map[string]any `json:"oidc,omitempty"`
}

func isJSONString(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '"'
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
