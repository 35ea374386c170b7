package engine

import (
	"fmt"
	"testing"

	"cop/workflows"
)

// A definition can write any number of distinct event filter patterns;
// the worker keeps at most the cache's size of them compiled, the most
// recently used, and still matches correctly after evicting.
func TestCachesStayBounded(t *testing.T) {
	for i := range 3000 {
		if !workflows.FullMatch(fmt.Sprintf("case-%d-.*", i), fmt.Sprintf("case-%d-x", i)) {
			t.Fatalf("pattern %d did not match", i)
		}
	}
	if n := workflows.CachedPatterns(); n > 1024 {
		t.Errorf("%d patterns kept, want at most 1024", n)
	}
	if !workflows.FullMatch("case-0-.*", "case-0-y") || workflows.FullMatch("case-0-.*", "other") {
		t.Error("an evicted pattern matches wrongly once compiled again")
	}
}
