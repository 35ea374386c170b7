package diagram

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"cop/workflows"
	"cop/workflows/examples"
)

// everyKind has a task of each kind the diagram tells apart: a switch
// that jumps back up and to the end, a fork, a try with a catch, a for
// whose body leaves early, a listen, an emit that jumps back, a user task.
const everyKind = `
document:
  dsl: '1.0.3'
  namespace: test
  name: every-kind
  version: '1.0.0'
  title: Every kind of task
use:
  functions:
    tellSupervisors:
      call: notify
      with:
        to: [ role:supervisor ]
        title: ${ .title }
do:
  - prepare:
      set:
        count: 0
  - review:
      call: userTask
      with:
        form: vehicle-check@2.0.0
        candidateGroups: [ role:officer ]
  - route:
      switch:
        - again:
            when: ${ .count < 3 }
            then: review
        - stop:
            when: ${ .stop }
            then: end
        - carryOn:
            then: checks
  - checks:
      fork:
        branches:
          - vessel:
              call: http
              with:
                method: get
                endpoint: https://vessels.example.gov.uk/api/vessels
          - crew:
              do:
                - countCrew:
                    set:
                      crew: ${ .crew | length }
                - tell:
                    call: tellSupervisors
                    with:
                      title: Crew counted
  - guarded:
      try:
        - risky:
            call: http
            with:
              method: post
              endpoint: https://watchlist.example.gov.uk/api/checks
      catch:
        errors:
          with:
            status: 503
        do:
          - fallback:
              set:
                watchlist: unavailable
  - eachItem:
      for:
        each: item
        in: ${ .items }
      do:
        - note:
            set: '${ . + { count: (.count + 1) } }'
        - skipRest:
            if: ${ .count > 5 }
            set:
              big: true
            then: exit
        - last:
            wait: PT1M
  - awaitOutcome:
      listen:
        to:
          one:
            with:
              type: uk.gov.test.outcome
      timeout:
        after: P7D
  - tellEveryone:
      emit:
        event:
          with:
            source: https://cop.example.gov.uk/test
            type: uk.gov.test.done
      then: prepare
`

func draw(t *testing.T, doc string, opt Options) (*workflows.Workflow, Diagram) {
	t.Helper()
	w, _, err := workflows.Parse([]byte(doc))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	d, err := Draw(w, opt)
	if err != nil {
		t.Fatalf("draw: %v", err)
	}
	return w, d
}

func example(t *testing.T, name string) *workflows.Workflow {
	t.Helper()
	for _, f := range examples.All() {
		if f.Name == name {
			return workflows.MustParse(f.Content)
		}
	}
	t.Fatalf("no example %s", name)
	return nil
}

// xnode is an element of the drawn SVG, read back as XML.
type xnode struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Children []*xnode   `xml:",any"`
	Text     string     `xml:",chardata"`
}

func (n *xnode) attr(name string) string {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (n *xnode) walk(f func(*xnode)) {
	f(n)
	for _, c := range n.Children {
		c.walk(f)
	}
}

// content is all the text under n, its tspans included.
func (n *xnode) content() string {
	var b strings.Builder
	n.walk(func(x *xnode) { b.WriteString(x.Text) })
	return b.String()
}

// texts are the lines a task's box shows itself (not those of the tasks
// nested in it).
func (n *xnode) texts() []string {
	var out []string
	for _, c := range n.Children {
		if c.XMLName.Local == "text" {
			out = append(out, c.content())
		}
	}
	return out
}

// parseSVG reads the whole SVG with encoding/xml, failing on any error.
func parseSVG(t *testing.T, svg string) *xnode {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(svg))
	for {
		if _, err := dec.Token(); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("the SVG is not well-formed XML: %v\n%s", err, svg)
		}
	}
	var root xnode
	if err := xml.Unmarshal([]byte(svg), &root); err != nil {
		t.Fatalf("unmarshal SVG: %v", err)
	}
	if root.XMLName.Local != "svg" {
		t.Fatalf("root element is %s, want svg", root.XMLName.Local)
	}
	return &root
}

// tasks are the SVG's task groups, in document order.
func tasks(root *xnode) []*xnode {
	var out []*xnode
	root.walk(func(x *xnode) {
		if x.XMLName.Local == "g" && strings.Contains(" "+x.attr("class")+" ", " task ") {
			out = append(out, x)
		}
	})
	return out
}

type arrow struct{ from, to, class, caseName string }

func arrows(root *xnode) []arrow {
	var out []arrow
	root.walk(func(x *xnode) {
		if x.XMLName.Local == "path" && strings.Contains(x.attr("class"), "arrow") {
			if x.attr("marker-end") == "" {
				return
			}
			out = append(out, arrow{x.attr("data-from"), x.attr("data-to"), x.attr("class"), x.attr("data-case")})
		}
	})
	return out
}

func countArrows(as []arrow, from, to, class string) int {
	k := 0
	for _, a := range as {
		if a.from == from && a.to == to && strings.Contains(" "+a.class+" ", " "+class+" ") {
			k++
		}
	}
	return k
}

// flatten lists steps depth first: the document's order.
func flatten(steps []Step) []Step {
	var out []Step
	for _, s := range steps {
		out = append(out, s)
		out = append(out, flatten(s.Children)...)
	}
	return out
}

// documentTasks walks a definition's tasks in document order, as
// workflows.Refs does: name and JSON pointer.
func documentTasks(w *workflows.Workflow) (names, positions []string) {
	var walk func(l workflows.TaskList, ptr string)
	walk = func(l workflows.TaskList, ptr string) {
		for i, nt := range l {
			p := fmt.Sprintf("%s/%d/%s", ptr, i, workflows.EscapeToken(nt.Name))
			names, positions = append(names, nt.Name), append(positions, p)
			t := nt.Task
			walk(t.Do, p+"/do")
			walk(t.Try, p+"/try")
			if t.Catch != nil {
				walk(t.Catch.Do, p+"/catch/do")
			}
			if t.Fork != nil {
				walk(t.Fork.Branches, p+"/fork/branches")
			}
		}
	}
	walk(w.Do, "/do")
	return names, positions
}

func TestExamplesDrawEveryTaskInOrder(t *testing.T) {
	link := func(form string) string { return "/forms/" + form }
	for _, f := range examples.All() {
		t.Run(f.Name, func(t *testing.T) {
			w := workflows.MustParse(f.Content)
			d, err := Draw(w, Options{FormLink: link})
			if err != nil {
				t.Fatal(err)
			}
			names, positions := documentTasks(w)
			steps := flatten(d.Steps)
			if len(steps) != len(names) {
				t.Fatalf("%d steps, want one for each of the %d tasks", len(steps), len(names))
			}
			root := parseSVG(t, string(d.SVG))
			boxes := tasks(root)
			if len(boxes) != len(names) {
				t.Fatalf("%d boxes in the SVG, want %d", len(boxes), len(names))
			}
			users := 0
			for i, name := range names {
				s := steps[i]
				if s.Name != name || s.Position != positions[i] {
					t.Errorf("step %d is %s at %s, want %s at %s", i, s.Name, s.Position, name, positions[i])
				}
				if boxes[i].attr("data-position") != positions[i] {
					t.Errorf("box %d is at %s, want %s", i, boxes[i].attr("data-position"), positions[i])
				}
				if got := boxes[i].texts(); len(got) < 2 || got[0] != name || !strings.HasPrefix(got[1], s.Kind) {
					t.Errorf("box %d says %q, want its name %q then its kind %q", i, got, name, s.Kind)
				}
				if s.Kind == "" || s.Number == "" || len(s.Detail) == 0 {
					t.Errorf("step %s (%s) has no kind, number or words: %+v", s.Name, s.Position, s)
				}
			}
			for _, s := range steps {
				if s.Kind != "User task" {
					continue
				}
				users++
				if !strings.HasPrefix(s.FormHref, "/forms/") {
					t.Errorf("user task %s links to %q, want its form's page", s.Name, s.FormHref)
				}
				if !strings.HasPrefix(s.Detail[0], "Form ") {
					t.Errorf("user task %s's first sentence is %q, want its form", s.Name, s.Detail[0])
				}
			}
			if users == 0 && f.Name == "seizure-approval.yaml" {
				t.Error("the seizure approval has a user task; none was found")
			}
		})
	}
}

func TestSeizureApprovalReadsAsWritten(t *testing.T) {
	w := example(t, "seizure-approval.yaml")
	d, err := Draw(w, Options{FormLink: func(form string) string { return "/forms/" + form + "/preview" }})
	if err != nil {
		t.Fatal(err)
	}
	var nums []string
	for _, s := range flatten(d.Steps) {
		nums = append(nums, s.Number+" "+s.Name)
	}
	want := []string{"1 recordSeizure", "2 findPort", "2.1 lookUpPort", "2.2 useTheCode", "3 approveSeizure", "4 decide",
		"5 seizureApproved", "5.1 tellOfficer", "5.2 recordOutcome", "6 seizureRefused", "6.1 tellOfficer", "6.2 recordOutcome", "7 announceOutcome"}
	if !reflect.DeepEqual(nums, want) {
		t.Errorf("steps %q, want %q", nums, want)
	}
	approve := d.Steps[2]
	if approve.Kind != "User task" || approve.FormHref != "/forms/seizure-approval/preview" {
		t.Errorf("approveSeizure is %q linking %q", approve.Kind, approve.FormHref)
	}
	if got := approve.Detail[0]; got != "Form seizure-approval (latest version), for role:supervisor." {
		t.Errorf("approveSeizure's form: %q", got)
	}
	decide := d.Steps[3]
	for _, want := range []string{"If .approved, goes to seizureApproved (step 5).", "Otherwise goes to seizureRefused (step 6)."} {
		if !contains(decide.Detail, want) {
			t.Errorf("decide says %q, want %q", decide.Detail, want)
		}
	}
	if got := d.Steps[1].Children[1]; got.Part != "Catch" || d.Steps[1].Children[0].Part != "Try" {
		t.Errorf("findPort's children are parts %q and %q", d.Steps[1].Children[0].Part, got.Part)
	}
	if got := d.Steps[6].Detail; got[len(got)-1] != "Then ends the workflow." {
		t.Errorf("the last step says %q", got)
	}
	root := parseSVG(t, string(d.SVG))
	as := arrows(root)
	for _, c := range []struct{ from, to, class string }{
		{"start", "/do/0/recordSeizure", "next"},
		{"/do/3/decide", "/do/4/seizureApproved", "jump"},
		{"/do/3/decide", "/do/5/seizureRefused", "jump"},
		{"/do/4/seizureApproved", "/do/6/announceOutcome", "jump"},
		{"/do/5/seizureRefused", "/do/6/announceOutcome", "next"},
		{"/do/6/announceOutcome", "end", "next"},
	} {
		if countArrows(as, c.from, c.to, c.class) != 1 {
			t.Errorf("want one %s arrow from %s to %s; arrows: %+v", c.class, c.from, c.to, as)
		}
	}
	// The switch goes nowhere but by its cases.
	if n := countArrows(as, "/do/3/decide", "/do/4/seizureApproved", "next"); n != 0 {
		t.Errorf("the switch has a plain arrow down as well as its cases")
	}
	if !strings.Contains(string(d.SVG), "If .approved") {
		t.Errorf("the switch's case does not show its condition")
	}
}

func TestEveryKindIsToldApart(t *testing.T) {
	_, d := draw(t, everyKind, Options{FormLink: func(form string) string { return "/forms/" + form }})
	root := parseSVG(t, string(d.SVG))
	byPos := map[string]*xnode{}
	for _, g := range tasks(root) {
		byPos[g.attr("data-position")] = g
	}
	steps := map[string]Step{}
	for _, s := range flatten(d.Steps) {
		steps[s.Position] = s
	}
	kinds := map[string]string{
		"/do/0/prepare":                               "Set",
		"/do/1/review":                                "User task",
		"/do/2/route":                                 "Switch",
		"/do/3/checks":                                "Fork",
		"/do/3/checks/fork/branches/0/vessel":         "Call HTTP",
		"/do/3/checks/fork/branches/1/crew":           "Do",
		"/do/3/checks/fork/branches/1/crew/do/1/tell": "Call function",
		"/do/4/guarded":                               "Try",
		"/do/5/eachItem":                              "For each",
		"/do/5/eachItem/do/2/last":                    "Wait",
		"/do/6/awaitOutcome":                          "Listen",
		"/do/7/tellEveryone":                          "Emit",
	}
	for pos, kind := range kinds {
		if steps[pos].Kind != kind {
			t.Errorf("step at %s is %q, want %q", pos, steps[pos].Kind, kind)
		}
		g := byPos[pos]
		if g == nil {
			t.Errorf("no box for %s", pos)
			continue
		}
		if texts := g.texts(); len(texts) < 2 || !strings.HasPrefix(texts[1], kind) {
			t.Errorf("the box of %s says %q, want the kind %q in words", pos, texts, kind)
		}
	}

	// The kinds that shape the flow, and user tasks, look different from
	// a plain task and from each other, not by colour alone: each has its
	// own outline (its elements and their dashes and corners).
	outline := func(g *xnode) string {
		var parts []string
		for _, c := range g.Children {
			switch c.XMLName.Local {
			case "rect", "polygon", "path":
				if strings.Contains(c.attr("class"), "arrow") {
					continue
				}
				parts = append(parts, c.XMLName.Local+"/"+c.attr("stroke-dasharray")+"/"+c.attr("rx"))
			}
		}
		return strings.Join(parts, " ")
	}
	seen := map[string]string{}
	for _, pos := range []string{"/do/0/prepare", "/do/1/review", "/do/2/route", "/do/3/checks", "/do/4/guarded", "/do/5/eachItem", "/do/6/awaitOutcome"} {
		o := outline(byPos[pos])
		if other, dup := seen[o]; dup {
			t.Errorf("%s and %s are drawn alike (%s)", pos, other, o)
		}
		seen[o] = pos
	}

	// Jumps are arrows to their targets: back up, to the end, out of a loop.
	as := arrows(root)
	for _, c := range []struct{ from, to, class string }{
		{"/do/2/route", "/do/1/review", "jump"},         // case again: back up
		{"/do/2/route", "end", "end"},                   // case stop: then end
		{"/do/2/route", "/do/3/checks", "jump"},         // the default
		{"/do/7/tellEveryone", "/do/0/prepare", "jump"}, // then: prepare
		{"/do/5/eachItem/do/1/skipRest", "exit", "jump"},
		{"/do/5/eachItem/do/1/skipRest", "/do/5/eachItem/do/2/last", "next"}, // when skipped
		{"/do/0/prepare", "/do/1/review", "next"},
		{"/do/3/checks", "/do/3/checks/fork/branches/1/crew", "branch"},
		{"/do/5/eachItem", "/do/5/eachItem/do/0/note", "loop"},
	} {
		if n := countArrows(as, c.from, c.to, c.class); n != 1 {
			t.Errorf("%d %s arrows from %s to %s, want 1", n, c.class, c.from, c.to)
		}
	}
	cases := map[string]bool{}
	for _, a := range as {
		if a.from == "/do/2/route" && a.caseName != "" {
			cases[a.caseName] = true
		}
	}
	if len(cases) != 3 {
		t.Errorf("the switch's arrows name cases %v, want again, stop, carryOn", cases)
	}
	// Branches run at once: no arrow from one to the next.
	if countArrows(as, "/do/7/tellEveryone", "end", "next") != 0 {
		t.Error("the last task jumps back, yet an arrow takes it to the end")
	}
	if countArrows(as, "/do/3/checks/fork/branches/0/vessel", "/do/3/checks/fork/branches/1/crew", "next") != 0 {
		t.Error("an arrow joins a fork's branches as if one ran after the other")
	}

	// Nested steps are numbered under their task.
	var nums []string
	for _, s := range flatten(d.Steps) {
		nums = append(nums, s.Number+" "+s.Name+" "+s.Part)
	}
	for _, want := range []string{"4.1 vessel Branch", "4.2 crew Branch", "4.2.1 countCrew ", "4.2.2 tell ",
		"5.1 risky Try", "5.2 fallback Catch", "6.1 note ", "6.2 skipRest ", "6.3 last "} {
		if !contains(nums, want) {
			t.Errorf("no step %q in %q", want, nums)
		}
	}

	// The words say the same as the arrows.
	for pos, want := range map[string]string{
		"/do/2/route":                  "If .count < 3, goes to review (step 2).",
		"/do/7/tellEveryone":           "Then goes to prepare (step 1).",
		"/do/5/eachItem/do/1/skipRest": "Then finishes this round of eachItem (step 6).",
		"/do/1/review":                 "Form vehicle-check 2.0.0, for role:officer.",
		"/do/4/guarded":                "On an error with status 503, runs step 5.2 instead.",
	} {
		if !contains(steps[pos].Detail, want) {
			t.Errorf("%s says %q, want %q", pos, steps[pos].Detail, want)
		}
	}
	if !contains(steps["/do/2/route"].Detail, "If .stop, ends the workflow.") {
		t.Errorf("the switch's case to the end: %q", steps["/do/2/route"].Detail)
	}
	if got := steps["/do/1/review"].FormHref; got != "/forms/vehicle-check@2.0.0" {
		t.Errorf("review links %q", got)
	}
}

func TestHighlightMarksOneTask(t *testing.T) {
	w := example(t, "seizure-approval.yaml")
	for _, pos := range []string{"/do/3/decide", "/do/1/findPort/try/0/lookUpPort", "/do/4/seizureApproved", "/do/5/seizureRefused/do/0/tellOfficer"} {
		d, err := Draw(w, Options{Highlight: pos})
		if err != nil {
			t.Fatal(err)
		}
		var marked []string
		for _, s := range flatten(d.Steps) {
			if s.Highlighted {
				marked = append(marked, s.Position)
			}
		}
		if len(marked) != 1 || marked[0] != pos {
			t.Errorf("highlight %s marks steps %q", pos, marked)
		}
		root := parseSVG(t, string(d.SVG))
		var boxes []string
		for _, g := range tasks(root) {
			if g.attr("data-highlighted") == "true" {
				boxes = append(boxes, g.attr("data-position"))
				if !contains(g.texts(), "Faulted here") {
					t.Errorf("the faulted box says %q, not Faulted here", g.texts())
				}
				red := false
				for _, c := range g.Children {
					if c.attr("stroke") == colRed {
						w, _ := strconv.ParseFloat(c.attr("stroke-width"), 64)
						red = red || w >= 3
					}
				}
				if !red {
					t.Errorf("the faulted box %s has no thick red border", pos)
				}
			}
		}
		if len(boxes) != 1 || boxes[0] != pos {
			t.Errorf("highlight %s marks boxes %q", pos, boxes)
		}
		if n := strings.Count(string(d.SVG), "Faulted here"); n != 1 {
			t.Errorf("Faulted here %d times", n)
		}
	}
	for _, pos := range []string{"", "/do/99/nothing", "/do/3", "/do/3/decide/switch/0/approved/when", "do/3/decide"} {
		d, err := Draw(w, Options{Highlight: pos})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range flatten(d.Steps) {
			if s.Highlighted {
				t.Errorf("highlight %q marks %s", pos, s.Position)
			}
		}
		if strings.Contains(string(d.SVG), "Faulted here") || strings.Contains(string(d.SVG), colRed) {
			t.Errorf("highlight %q marks something in the SVG", pos)
		}
	}
}

func TestHostileTextIsInert(t *testing.T) {
	doc := `{
	  "document": {"dsl": "1.0.3", "namespace": "test", "name": "hostile", "version": "1.0.0",
	               "title": "</title><script>alert(1)</script>"},
	  "do": [
	    {"<script>alert(1)</script>": {"set": {"a": 1}}},
	    {"a&b\"c'd/e~f": {"switch": [
	       {"<img src=x onerror=alert(1)>": {"when": "${ .x < 3 and .y != \"</text>\" }", "then": "<script>alert(1)</script>"}},
	       {"plain": {"then": "end"}}
	    ]}},
	    {"ctl\u0001\u0008\u200ename]]>": {"call": "userTask", "with": {"form": "f<x>&y", "candidateGroups": ["role:a"]}}},
	    {"` + strings.Repeat("averyveryverylongname", 10) + `": {"wait": "PT1S"}}
	  ]
	}`
	w, d := draw(t, doc, Options{Highlight: "/do/1/a&b\"c'd~1e~0f", FormLink: func(f string) string { return "/forms/" + f }})
	svg := string(d.SVG)
	for _, bad := range []string{"<script", "<img", "\u0001", "\u0008", "]]>"} {
		if strings.Contains(svg, bad) {
			t.Errorf("the SVG holds %q raw:\n%s", bad, svg)
		}
	}
	root := parseSVG(t, svg)
	if got := tasks(root)[0].texts()[0]; got != "<script>alert(1)</script>" {
		t.Errorf("the hostile name reads %q, want it shown as text", got)
	}
	// The steps keep the names as written: html/template escapes them.
	steps := flatten(d.Steps)
	if steps[0].Name != "<script>alert(1)</script>" || steps[1].Position != "/do/1/a&b\"c'd~1e~0f" || !steps[1].Highlighted {
		t.Errorf("steps: %+v", steps[:2])
	}
	// A long name is cut in the box, whole in the list.
	long := tasks(root)[3].texts()[0]
	if !strings.HasSuffix(long, "…") || len(long) >= len(steps[3].Name) {
		t.Errorf("the long name shows as %q", long)
	}
	if steps[3].Name != strings.Repeat("averyveryverylongname", 10) {
		t.Errorf("the long step is named %q", steps[3].Name)
	}
	var title string
	root.walk(func(x *xnode) {
		if x.XMLName.Local == "title" {
			title = x.content()
		}
	})
	if title != "Diagram of workflow </title><script>alert(1)</script> (hostile 1.0.0)" {
		t.Errorf("title %q", title)
	}
	_ = w
}

var viewBoxRE = regexp.MustCompile(`^0 0 ([0-9.]+) ([0-9.]+)$`)

// nested builds a definition nesting do, for, try and fork depth deep,
// with a jump back at every level.
func nested(depth int) []byte {
	inner := []any{map[string]any{"leaf" + strings.Repeat("Long", 12): map[string]any{"set": map[string]any{"x": 1}}}}
	for i := depth; i > 0; i-- {
		name := fmt.Sprintf("level%dWithAFairlyLongName", i)
		var task map[string]any
		switch i % 4 {
		case 0:
			task = map[string]any{"do": inner}
		case 1:
			task = map[string]any{"for": map[string]any{"in": "${ .items }"}, "do": inner}
		case 2:
			task = map[string]any{"try": inner, "catch": map[string]any{"do": []any{map[string]any{"recover": map[string]any{"set": map[string]any{"y": 2}}}}}}
		case 3:
			task = map[string]any{"fork": map[string]any{"branches": []any{
				map[string]any{"branchA": map[string]any{"do": inner}},
				map[string]any{"branchB": map[string]any{"wait": "PT1S"}},
			}}}
		}
		inner = []any{
			map[string]any{name: task},
			map[string]any{"check": map[string]any{"switch": []any{
				map[string]any{"again": map[string]any{"when": "${ .again }", "then": name}},
				map[string]any{"out": map[string]any{"when": "${ .out }", "then": "exit"}},
				map[string]any{"stop": map[string]any{"then": "end"}},
			}}},
		}
	}
	js, _ := json.Marshal(map[string]any{
		"document": map[string]any{"dsl": "1.0.3", "namespace": "test", "name": "deep", "version": "1.0.0"},
		"do":       inner,
	})
	return js
}

func TestWidthStaysNarrowHoweverDeep(t *testing.T) {
	for _, depth := range []int{1, 4, 6, 12, 40} {
		t.Run(strconv.Itoa(depth), func(t *testing.T) {
			var d Diagram
			if depth <= 6 {
				_, d = draw(t, string(nested(depth)), Options{})
			} else {
				// Parse's schema validation takes time exponential in
				// the nesting; Decode reads the same document as a stored
				// definition.
				if _, _, err := workflows.Parse(nested(2)); err != nil {
					t.Fatalf("the nested document does not parse: %v", err)
				}
				w, err := workflows.Decode(nested(depth))
				if err != nil {
					t.Fatal(err)
				}
				if d, err = Draw(w, Options{}); err != nil {
					t.Fatal(err)
				}
			}
			root := parseSVG(t, string(d.SVG))
			m := viewBoxRE.FindStringSubmatch(root.attr("viewBox"))
			if m == nil {
				t.Fatalf("viewBox %q", root.attr("viewBox"))
			}
			width, _ := strconv.ParseFloat(m[1], 64)
			if width > 640 || width != Width {
				t.Errorf("viewBox width %v, want %v (at most 640)", width, Width)
			}
			if root.attr("width") != "100%" {
				t.Errorf("width %q, want 100%% so it scales down", root.attr("width"))
			}
			// Nothing is drawn outside the viewBox, so scaling it to the
			// page's width shows all of it.
			root.walk(func(x *xnode) {
				if x.XMLName.Local != "rect" {
					return
				}
				rx, _ := strconv.ParseFloat(x.attr("x"), 64)
				rw, _ := strconv.ParseFloat(x.attr("width"), 64)
				if rx < 0 || rx+rw > width+0.01 {
					t.Errorf("a box from x=%v to %v is outside the width %v", rx, rx+rw, width)
				}
			})
			// Every step has a box, or is inside a box too deep to draw
			// inside, which sends the reader to the list; no box is too
			// narrow to read.
			boxes := map[string]*xnode{}
			for _, g := range tasks(root) {
				boxes[g.attr("data-position")] = g
				if w := boxWidth(g); w < 100 {
					t.Errorf("the box of %s is %v wide", g.attr("data-position"), w)
				}
			}
			var check func(steps []Step, inCollapsed bool)
			check = func(steps []Step, inCollapsed bool) {
				for _, s := range steps {
					g := boxes[s.Position]
					switch {
					case g == nil && !inCollapsed:
						t.Errorf("step %s %s has no box", s.Number, s.Name)
					case g != nil && inCollapsed:
						t.Errorf("step %s %s is drawn inside a box that says it is not", s.Number, s.Name)
					}
					collapsed := inCollapsed || (g != nil && contains(g.texts(), "see the list"))
					check(s.Children, collapsed)
				}
			}
			check(d.Steps, false)
		})
	}
}

// boxWidth is the width of a task's outline.
func boxWidth(g *xnode) float64 {
	for _, c := range g.Children {
		if c.XMLName.Local == "rect" {
			w, _ := strconv.ParseFloat(c.attr("width"), 64)
			return w
		}
		if c.XMLName.Local == "polygon" {
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, p := range strings.Fields(c.attr("points")) {
				x, _ := strconv.ParseFloat(strings.Split(p, ",")[0], 64)
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
			return hi - lo
		}
	}
	return 0
}

func TestFaultDeepInsideIsShown(t *testing.T) {
	w, err := workflows.Decode(nested(12))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := Draw(w, Options{})
	deepest := flatten(plain.Steps)
	var target Step
	for _, s := range deepest {
		if strings.HasPrefix(s.Name, "leaf") {
			target = s
		}
	}
	d, err := Draw(w, Options{Highlight: target.Position})
	if err != nil {
		t.Fatal(err)
	}
	var marked []string
	for _, s := range flatten(d.Steps) {
		if s.Highlighted {
			marked = append(marked, s.Number)
		}
	}
	if len(marked) != 1 || marked[0] != target.Number {
		t.Fatalf("marked steps %q, want %s", marked, target.Number)
	}
	root := parseSVG(t, string(d.SVG))
	var inside []*xnode
	for _, g := range tasks(root) {
		if g.attr("data-fault-inside") != "" || g.attr("data-highlighted") != "" {
			inside = append(inside, g)
		}
	}
	if len(inside) != 1 || inside[0].attr("data-fault-inside") != target.Number {
		t.Fatalf("%d boxes marked", len(inside))
	}
	said := false
	for _, line := range inside[0].texts() {
		said = said || strings.HasPrefix(line, "Faulted inside")
	}
	if !said {
		t.Errorf("the box holding the fault says %q, not that it is faulted inside", inside[0].texts())
	}
}

func TestSVGIsAnAccessibleImage(t *testing.T) {
	w := example(t, "seizure-approval.yaml")
	d, err := Draw(w, Options{})
	if err != nil {
		t.Fatal(err)
	}
	root := parseSVG(t, string(d.SVG))
	if root.attr("role") != "img" {
		t.Errorf("role %q", root.attr("role"))
	}
	if root.attr("style") != "" {
		t.Error("a style attribute: COP's Content-Security-Policy would refuse it")
	}
	ids := map[string]*xnode{}
	root.walk(func(x *xnode) {
		if id := x.attr("id"); id != "" {
			if ids[id] != nil {
				t.Errorf("id %s twice", id)
			}
			ids[id] = x
		}
	})
	title := ids[root.attr("aria-labelledby")]
	if title == nil || title.XMLName.Local != "title" || title.content() != "Diagram of workflow Approve a seizure (seizure-approval 1.2.0)" {
		t.Errorf("aria-labelledby %q names %+v", root.attr("aria-labelledby"), title)
	}
	desc := ids[root.attr("aria-describedby")]
	if desc == nil || desc.XMLName.Local != "desc" || !strings.Contains(desc.content(), "list of steps") {
		t.Errorf("aria-describedby %q names %+v", root.attr("aria-describedby"), desc)
	}
	if root.Children[0].XMLName.Local != "title" {
		t.Error("the title is not the SVG's first child")
	}
	// Another workflow's diagram on the same page has other ids.
	other, _ := Draw(workflows.MustParse([]byte(everyKind)), Options{})
	if strings.Contains(string(other.SVG), `id="`+root.attr("aria-labelledby")+`"`) {
		t.Error("two workflows' diagrams share ids")
	}
}

func TestDrawIsDeterministic(t *testing.T) {
	for _, doc := range []string{everyKind, string(nested(5))} {
		a, _ := Draw(workflows.MustParse([]byte(doc)), Options{Highlight: "/do/2/route"})
		for i := 0; i < 5; i++ {
			b, _ := Draw(workflows.MustParse([]byte(doc)), Options{Highlight: "/do/2/route"})
			if !bytes.Equal([]byte(a.SVG), []byte(b.SVG)) || !reflect.DeepEqual(a.Steps, b.Steps) {
				t.Fatal("the same workflow drew differently")
			}
		}
	}
}

func TestNoFormLinkNoHref(t *testing.T) {
	_, d := draw(t, everyKind, Options{})
	for _, s := range flatten(d.Steps) {
		if s.FormHref != "" {
			t.Errorf("%s links %q without FormLink", s.Name, s.FormHref)
		}
	}
	if _, err := Draw(nil, Options{}); err == nil {
		t.Error("no error drawing no workflow")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// A running instance's place is marked in blue as "Running here", and
// nothing says it faulted.
func TestCurrentMarksWhereARunIs(t *testing.T) {
	w := example(t, "seizure-approval.yaml")
	d, err := Draw(w, Options{Highlight: "/do/2/approveSeizure", Current: true})
	if err != nil {
		t.Fatal(err)
	}
	svg := string(d.SVG)
	if strings.Count(svg, "Running here") != 1 || strings.Contains(svg, "Faulted") || strings.Contains(svg, colRed) {
		t.Errorf("the current task is not marked as running, alone")
	}
	for _, g := range tasks(parseSVG(t, svg)) {
		if g.attr("data-highlighted") == "true" && g.attr("data-position") != "/do/2/approveSeizure" {
			t.Errorf("%s is marked", g.attr("data-position"))
		}
	}
}
