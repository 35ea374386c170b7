package workflows

import (
	"encoding/json"
	"fmt"
	"testing"
)

// Two runs of a workflow share one compilation of each expression: the
// second gets the first's, so instances in flight do not each hold their
// own compiled code.
func TestRunsShareCompiledExpressions(t *testing.T) {
	var a, b Exprs
	src := `${ .quantity * 2 + ($extra | length) }`
	first, err := a.Get(src, "extra")
	if err != nil {
		t.Fatal(err)
	}
	second, err := b.Get(src, "extra")
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Error("a second run compiled the expression again")
	}
	// Other variables in scope are another compilation.
	other, err := b.Get(src, "extra", "more")
	if err != nil || other == first {
		t.Errorf("the same source with other variables: %v, shared %v", err, other == first)
	}
	got, err := second.Eval(map[string]any{"quantity": 3}, Vars{"extra": []any{1, 2}})
	if err != nil || fmt.Sprint(got) != "8" {
		t.Errorf("evaluated %v, %v; want 8", got, err)
	}
	// An expression that does not compile is not kept.
	if _, err := a.Get(`${ .a | }`); err == nil {
		t.Error("a broken expression compiled")
	}
}

func TestTheSharedCompilationsStayBounded(t *testing.T) {
	c := &exprCache{max: 100}
	for i := range 1000 {
		src := fmt.Sprintf("${ .a + %d }", i)
		if _, err := c.get(src, src, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(c.m); n > 100 {
		t.Errorf("%d compilations kept, more than 100", n)
	}
}

// An inline data schema is compiled once per distinct text and shared; one
// that does not compile is refused each time, not remembered.
func TestDataSchemasAreCompiledOncePerText(t *testing.T) {
	doc := json.RawMessage(`{"type": "object", "required": ["submission"]}`)
	a, err := DataSchema(doc)
	if err != nil {
		t.Fatal(err)
	}
	b, err := DataSchema(json.RawMessage(string(doc)))
	if err != nil || a != b {
		t.Errorf("the same text compiled again (%p, %p, %v)", a, b, err)
	}
	if a.Validate(map[string]any{}) == nil {
		t.Error("the shared schema lets through an input without submission")
	}
	bad := json.RawMessage(`{"type": "no-such-type"}`)
	for i := 0; i < 2; i++ {
		if _, err := DataSchema(bad); err == nil {
			t.Fatalf("attempt %d: an invalid schema compiled", i+1)
		}
	}
}
