// Package problem is COP's one error language. A service refuses a request
// with a *Error of a small set of kinds (invalid with field errors, not
// found, forbidden, conflict, gone, too large, unavailable, malformed),
// built by the helpers here; the web tier has one mapper to
// application/problem+json for the API and one to the error page for
// pages. Anything that is not a *Error is the platform's own failure (500).
package problem

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"cop/forms"
)

// Kind is what sort of refusal a problem is; each answers one HTTP status.
type Kind uint8

// The kinds.
const (
	// Invalid: the request is understood and wrong (422), with field errors.
	Invalid Kind = iota + 1
	// Malformed: the request cannot be read (400): not JSON, a bad cursor.
	Malformed
	Forbidden
	NotFound
	Conflict
	// Gone: it existed and is retired (410).
	Gone
	TooLarge
	Unavailable
)

var statuses = map[Kind]int{
	Invalid: http.StatusUnprocessableEntity, Malformed: http.StatusBadRequest, Forbidden: http.StatusForbidden,
	NotFound: http.StatusNotFound, Conflict: http.StatusConflict, Gone: http.StatusGone,
	TooLarge: http.StatusRequestEntityTooLarge, Unavailable: http.StatusServiceUnavailable,
}

// Status is the kind's HTTP status.
func (k Kind) Status() int { return statuses[k] }

// Field locates one thing wrong by JSON pointer: the one field-error type
// of forms, services and the web tier.
type Field = forms.FieldError

// Error is a refusal: its kind, what to tell the caller, and where.
type Error struct {
	Kind   Kind
	Detail string
	Fields []Field
	// Reason names the refusal for pages that say it in their own words
	// ("quota", "submitted"); the API shows Detail.
	Reason string
	// sentinel marks a kind's bare sentinel (ErrNotFound): a service wraps
	// it with what was not found, and the message says so.
	sentinel bool
}

func (e *Error) Error() string { return e.Detail }

// Is makes every problem match its kind's sentinel, so
// errors.Is(err, problem.ErrNotFound) holds for any not-found problem.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.sentinel && t.Kind == e.Kind
}

// ErrNotFound is the not-found sentinel, for errors.Is and for wrapping
// with what is meant: fmt.Errorf("form %s: %w", name, problem.ErrNotFound)
// reads "no such form x".
var ErrNotFound = &Error{Kind: NotFound, Detail: "not found", sentinel: true}

func newf(kind Kind, format string, args []any) *Error {
	return &Error{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// Invalidf refuses what does not fit, with where.
func Invalidf(fields []Field, format string, args ...any) *Error {
	e := newf(Invalid, format, args)
	e.Fields = fields
	return e
}

// At is one field error.
func At(pointer, message string) []Field { return []Field{{Pointer: pointer, Message: message}} }

// Malformedf refuses a request that cannot be read.
func Malformedf(fields []Field, format string, args ...any) *Error {
	e := newf(Malformed, format, args)
	e.Fields = fields
	return e
}

// Forbiddenf refuses a caller who may not do this.
func Forbiddenf(format string, args ...any) *Error { return newf(Forbidden, format, args) }

// NotFoundf says there is nothing the caller may see there.
func NotFoundf(format string, args ...any) *Error { return newf(NotFound, format, args) }

// Conflictf refuses what clashes with the resource as it is now.
func Conflictf(format string, args ...any) *Error { return newf(Conflict, format, args) }

// Gonef refuses what has been retired.
func Gonef(format string, args ...any) *Error { return newf(Gone, format, args) }

// Because names the refusal for pages.
func (e *Error) Because(reason string) *Error {
	e.Reason = reason
	return e
}

// As finds the problem in err's chain.
func As(err error) (*Error, bool) {
	var p *Error
	if errors.As(err, &p) {
		return p, true
	}
	return nil, false
}

// Is reports whether err is a problem of kind k.
func Is(err error, k Kind) bool {
	p, ok := As(err)
	return ok && p.Kind == k
}

// Detail is what to tell the caller about err, a problem: its detail, or
// for a wrapped sentinel the wrapping's words ("form x: not found" reads
// "no such form x").
func Detail(err error, p *Error) string {
	if !p.sentinel {
		return p.Detail
	}
	msg := err.Error()
	rest, ok := strings.CutSuffix(msg, ": "+p.Detail)
	if !ok {
		return msg
	}
	if p.Kind == NotFound {
		return "no such " + rest
	}
	return rest
}
