package workflows

import (
	"fmt"
	"strings"

	"cop/forms"
)

// Problem and Problems are the forms package's: one thing wrong with an
// uploaded document, located by a JSON pointer ("/do/0/getPet/call"), so
// the API reports form and workflow refusals the same way.
type (
	Problem  = forms.Problem
	Problems = forms.Problems
)

// The specification's standard error types. A catch filter may write them
// as …/spec/1.0.0/errors/X (the reference's form) or …/dsl/errors/types/X
// (the conformance kit's form); both match.
const (
	ErrorTypePrefix    = "https://serverlessworkflow.io/spec/1.0.0/errors/"
	altErrorTypePrefix = "https://serverlessworkflow.io/dsl/errors/types/"

	ErrConfiguration  = "configuration"
	ErrValidation     = "validation"
	ErrExpression     = "expression"
	ErrAuthentication = "authentication"
	ErrAuthorization  = "authorization"
	ErrTimeout        = "timeout"
	ErrCommunication  = "communication"
	ErrRuntime        = "runtime"
)

var defaultStatus = map[string]int{
	ErrConfiguration: 400, ErrValidation: 400, ErrExpression: 400,
	ErrAuthentication: 401, ErrAuthorization: 403, ErrTimeout: 408,
	ErrCommunication: 500, ErrRuntime: 500,
}

// RuntimeError is an error as a running workflow sees it: the
// specification's problem object with every field evaluated.
type RuntimeError struct {
	Type     string `json:"type"`
	Status   int    `json:"status"`
	Instance string `json:"instance,omitempty"`
	Title    string `json:"title,omitempty"`
	Detail   string `json:"detail,omitempty"`
}

func (e *RuntimeError) Error() string {
	msg := e.Title
	if msg == "" {
		msg = e.Type
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Instance != "" {
		msg += " (at " + e.Instance + ")"
	}
	return msg
}

// NewError builds a standard error of kind (ErrTimeout, …) with its default
// status.
func NewError(kind, title, detail string, args ...any) *RuntimeError {
	if len(args) > 0 {
		detail = fmt.Sprintf(detail, args...)
	}
	return &RuntimeError{Type: ErrorTypePrefix + kind, Status: defaultStatus[kind], Title: title, Detail: detail}
}

// AsMap returns the error as the object expressions see (`$error`).
func (e *RuntimeError) AsMap() map[string]any {
	m := map[string]any{"type": e.Type, "status": e.Status}
	if e.Instance != "" {
		m["instance"] = e.Instance
	}
	if e.Title != "" {
		m["title"] = e.Title
	}
	if e.Detail != "" {
		m["detail"] = e.Detail
	}
	return m
}

// sameErrorType compares two error types, treating the standard types'
// two spellings as one.
func sameErrorType(a, b string) bool {
	return canonicalErrorType(a) == canonicalErrorType(b)
}

func canonicalErrorType(t string) string {
	if rest, ok := strings.CutPrefix(t, altErrorTypePrefix); ok {
		return ErrorTypePrefix + rest
	}
	return t
}

// Matches reports whether the filter (catch.errors.with) selects e. An
// empty filter matches every error.
func (f *ErrorFilter) Matches(e *RuntimeError) bool {
	if f == nil {
		return true
	}
	return (f.Type == "" || sameErrorType(f.Type, e.Type)) &&
		(f.Status == 0 || f.Status == e.Status) &&
		(f.Instance == "" || f.Instance == e.Instance) &&
		(f.Title == "" || f.Title == e.Title) &&
		(f.Details == "" || f.Details == e.Detail)
}
