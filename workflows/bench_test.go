package workflows

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/itchyny/gojq"
)

// benchExpressions are what workflow definitions typically evaluate: a
// field, an object built from the input, string interpolation, arithmetic,
// and a filter and sum over a hundred items.
var benchExpressions = []string{
	`.order.customer`,
	`{customer: .order.customer, count: (.order.items | length), first: .order.items[0].sku}`,
	`"Order \(.order.id) for \(.order.customer): \(.order.items | length) items"`,
	`.order.items | map(select(.qty > 1) | .price * .qty) | add`,
	`[.order.items[] | {sku, total: (.price * .qty)}] | sort_by(.total) | reverse | .[0:3]`,
}

func benchInput(b *testing.B) any {
	b.Helper()
	items := make([]any, 100)
	for i := range items {
		items[i] = map[string]any{"sku": "sku-" + string(rune('a'+i%26)), "price": float64(i%17 + 1), "qty": float64(i % 4)}
	}
	var in any
	raw, _ := json.Marshal(map[string]any{"order": map[string]any{"id": "O-1", "customer": "ACME", "items": items}})
	if err := json.Unmarshal(raw, &in); err != nil {
		b.Fatal(err)
	}
	return in
}

// BenchmarkExpressions evaluates the same expressions on the same input
// as COP does (rewritten with the size guards, operations counted) and
// beside it as gojq does with nothing added (baseline). One operation is
// one evaluation of every expression.
func BenchmarkExpressions(b *testing.B) {
	in := benchInput(b)
	b.Run("baseline=gojq", func(b *testing.B) {
		var codes []*gojq.Code
		for _, src := range benchExpressions {
			q, err := gojq.Parse(src)
			if err != nil {
				b.Fatal(err)
			}
			c, err := gojq.Compile(q)
			if err != nil {
				b.Fatal(err)
			}
			codes = append(codes, c)
		}
		b.ResetTimer()
		for range b.N {
			for _, c := range codes {
				if v, _ := c.RunWithContext(context.Background(), in).Next(); v == nil {
					b.Fatal("no result")
				}
			}
		}
	})
	b.Run("cop=guarded", func(b *testing.B) {
		var exprs []*Expr
		for _, src := range benchExpressions {
			e, err := CompileExpr(src)
			if err != nil {
				b.Fatal(err)
			}
			exprs = append(exprs, e)
		}
		m := &Meter{}
		b.ResetTimer()
		for range b.N {
			for _, e := range exprs {
				if v, err := e.EvalMetered(m, in, nil); err != nil || v == nil {
					b.Fatal(v, err)
				}
			}
		}
	})
}

// BenchmarkParseNested checks a workflow of twelve tasks nested twelve
// deep (a do, a fork, a try and a for in turn, see nestedDocument) beside
// one of the same tasks side by side (baseline): checking grows with a
// document's size, not its depth. Before the schema was checked list by
// list, nine levels took 4 s and twelve minutes.
func BenchmarkParseNested(b *testing.B) {
	if _, err := SpecSchema(); err != nil {
		b.Fatal(err)
	}
	nested, _ := nestedDocument(12, "set: {a: 1}")
	flat := "document: {dsl: '1.0.3', namespace: n, name: flat, version: '1.0.0'}\ndo:\n"
	for i := range 12 {
		flat += fmt.Sprintf("  - t%d:\n      set: {a: %d}\n", i, i)
	}
	for _, leg := range []struct{ name, doc string }{{"baseline=flat-12", flat}, {"cop=nested-12", nested}} {
		b.Run(leg.name, func(b *testing.B) {
			for range b.N {
				if _, _, err := Parse([]byte(leg.doc)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
