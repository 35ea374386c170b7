package workflows

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// nestedDocument is a workflow whose tasks nest depth deep, taking turns
// of do, fork, try and for, with leaf as the innermost task.
func nestedDocument(depth int, leaf string) (string, string) {
	inner, ptr := "- leaf:\n    "+leaf+"\n", ""
	var ptrs []string
	for i := depth - 1; i >= 0; i-- {
		name := fmt.Sprintf("t%d", i)
		var wrap, step string
		switch i % 4 {
		case 0:
			wrap, step = "- "+name+":\n    do:\n"+indented(inner, "      "), "/"+name+"/do/0"
		case 1:
			wrap, step = "- "+name+":\n    fork:\n      branches:\n"+indented(inner, "        "), "/"+name+"/fork/branches/0"
		case 2:
			wrap, step = "- "+name+":\n    try:\n"+indented(inner, "      ")+"    catch:\n      do:\n        - again: {set: {a: 1}}\n", "/"+name+"/try/0"
		default:
			wrap, step = "- "+name+":\n    for: {each: x, in: '${ [1] }'}\n    do:\n"+indented(inner, "      "), "/"+name+"/do/0"
		}
		inner = wrap
		ptrs = append([]string{step}, ptrs...)
	}
	ptr = "/do/0" + strings.Join(ptrs, "") + "/leaf"
	return "document: {dsl: '1.0.3', namespace: n, name: deep, version: '1.0.0'}\ndo:\n" + indented(inner, "  "), ptr
}

func indented(s, by string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = by + lines[i]
	}
	return strings.Join(lines, "\n") + "\n"
}

// A small document nested deep is checked in time that grows with its
// size, not with its depth: the schema's oneOf over task kinds would
// otherwise check each nested list once per kind at every level (twelve
// levels took minutes). A mistake at the bottom is still found, at its
// pointer.
func TestDeepNestingIsCheckedQuickly(t *testing.T) {
	if _, err := SpecSchema(); err != nil { // compiled once, outside the timing
		t.Fatal(err)
	}
	for _, depth := range []int{12, 24} {
		doc, _ := nestedDocument(depth, "set: {a: 1}")
		start := time.Now()
		if _, _, err := Parse([]byte(doc)); err != nil {
			t.Fatalf("depth %d: %v", depth, err)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("depth %d took %s", depth, took)
		}
		bad, ptr := nestedDocument(depth, "set: {a: 1}\n    tiemout: PT1S")
		start = time.Now()
		_, _, err := Parse([]byte(bad))
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("depth %d with a mistake took %s", depth, took)
		}
		ps, ok := err.(Problems)
		if !ok || len(ps) != 1 || ps[0].Pointer != ptr+"/tiemout" {
			t.Errorf("depth %d: %v, want one problem at %s", depth, err, ptr)
		}
	}
}
