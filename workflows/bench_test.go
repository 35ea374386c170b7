package workflows

import (
	"context"
	"encoding/json"
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
