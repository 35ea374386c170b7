package problem_test

import (
	"errors"
	"fmt"
	"testing"

	"cop/platform/problem"
)

func TestEachKindAnswersItsStatus(t *testing.T) {
	for kind, status := range map[problem.Kind]int{problem.Invalid: 422, problem.Malformed: 400, problem.Forbidden: 403,
		problem.NotFound: 404, problem.Conflict: 409, problem.Gone: 410, problem.TooLarge: 413, problem.Unavailable: 503} {
		if got := kind.Status(); got != status {
			t.Errorf("kind %d answers %d, want %d", kind, got, status)
		}
	}
}

// What the caller is told: a problem's own detail however it was wrapped,
// and for a wrapped sentinel the wrapping's words.
func TestDetail(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("submission 42: %w", problem.ErrNotFound), "no such submission 42"},
		{fmt.Errorf("draft 7: %w", fmt.Errorf("form x version 1.0.0: %w", problem.ErrNotFound)), "no such draft 7: form x version 1.0.0"},
		{problem.ErrNotFound, "not found"},
		{fmt.Errorf("task 9: %w", problem.Conflictf("task %s is completed; only open tasks can be acted on", "9")), "task 9 is completed; only open tasks can be acted on"},
		{problem.Invalidf(problem.At("/port", "Select a port"), "the answers do not fit form %s version %s; see errors", "arrival", "1.0.0"),
			"the answers do not fit form arrival version 1.0.0; see errors"},
	} {
		p, ok := problem.As(tc.err)
		if !ok {
			t.Fatalf("%v is not a problem", tc.err)
		}
		if got := problem.Detail(tc.err, p); got != tc.want {
			t.Errorf("detail of %q: %q, want %q", tc.err, got, tc.want)
		}
	}
}

// errors.Is finds any problem of a kind through its sentinel, and only of
// that kind; a plain error is no problem.
func TestSentinelsMatchTheirKind(t *testing.T) {
	gone := fmt.Errorf("start: %w", problem.Gonef("workflow %s is retired", "w"))
	if errors.Is(gone, problem.ErrNotFound) || !problem.Is(gone, problem.Gone) {
		t.Errorf("a wrapped gone problem: Is not found %v, Is gone %v", errors.Is(gone, problem.ErrNotFound), problem.Is(gone, problem.Gone))
	}
	if !errors.Is(fmt.Errorf("case: %w", problem.NotFoundf("no such case")), problem.ErrNotFound) {
		t.Error("a not-found problem does not match the sentinel")
	}
	if _, ok := problem.As(errors.New("connection refused")); ok || problem.Is(errors.New("x"), problem.Conflict) {
		t.Error("a plain error is taken for a refusal")
	}
	quota := problem.Conflictf("you have 200 drafts").Because("quota")
	if p, _ := problem.As(fmt.Errorf("save: %w", quota)); p.Reason != "quota" || p.Kind != problem.Conflict {
		t.Errorf("reason lost: %+v", p)
	}
}
