package diagram

import (
	"fmt"
	"sort"
	"strings"

	"cop/workflows"
)

// targetKind is where a then takes the flow.
type targetKind int

const (
	toTask    targetKind = iota // a task of the same list
	toAfter                     // out of a nested list: its task is done
	toEnd                       // the workflow ends
	toUnknown                   // a name that is no task of the list
)

type target struct {
	kind targetKind
	idx  int
	name string
}

// resolve says where then, on the list's task i, takes the flow, as the
// engine's runList does.
func (l *list) resolve(then string, i int) target {
	switch then {
	case "", "continue":
		if i+1 < len(l.nodes) {
			return target{kind: toTask, idx: i + 1}
		}
		return l.after()
	case "exit":
		return l.after()
	case "end":
		return target{kind: toEnd}
	}
	for j, n := range l.nodes {
		if n.name == then {
			return target{kind: toTask, idx: j}
		}
	}
	return target{kind: toUnknown, name: then}
}

// after is leaving the list: for the workflow's own list, its end.
func (l *list) after() target {
	if l.owner == nil {
		return target{kind: toEnd}
	}
	return target{kind: toAfter}
}

// next says whether tg is where task i's flow goes without a jump: the
// task below it, or the list's end after its last.
func (l *list) next(tg target, i int) bool {
	last := i == len(l.nodes)-1
	switch tg.kind {
	case toTask:
		return tg.idx == i+1
	case toAfter:
		return last
	case toEnd:
		return last && l.owner == nil
	}
	return false
}

// goes says where tg takes the flow, as a verb phrase: "goes to approve
// (step 3)", "ends the workflow".
func (l *list) goes(tg target) string {
	switch tg.kind {
	case toTask:
		n := l.nodes[tg.idx]
		return fmt.Sprintf("goes to %s (step %s)", n.name, n.num)
	case toEnd:
		return "ends the workflow"
	case toAfter:
		o := l.owner
		if o.task.Kind == workflows.KindFor {
			return fmt.Sprintf("finishes this round of %s (step %s)", o.name, o.num)
		}
		return fmt.Sprintf("leaves %s (step %s)", o.name, o.num)
	}
	return fmt.Sprintf("goes to %s, which is not a task in this list", tg.name)
}

// afterSkip says where the flow goes when a task is skipped.
func (l *list) afterSkip(tg target) string {
	if tg.kind == toEnd {
		return "the workflow ends"
	}
	return "the flow " + l.goes(tg)
}

// targetName is the short name of a target, for a switch's row.
func (l *list) targetName(tg target) string {
	switch tg.kind {
	case toTask:
		return l.nodes[tg.idx].name
	case toEnd:
		return "End"
	case toAfter:
		return "Exit"
	}
	return tg.name + " (unknown)"
}

// edgeKind is how an arrow is drawn.
type edgeKind int

const (
	edgeDown edgeKind = iota // straight down to the next task (or the list's end)
	edgeLane                 // to a task of the same list, or its Exit, down a lane on the right
	edgeEnd                  // to the End terminal, down the far right
)

type edge struct {
	kind  edgeKind
	list  *list
	from  int    // the task's index in list
	row   int    // a switch's row the arrow leaves from, or -1
	to    target // edgeLane: the task or toAfter (the Exit)
	label string // edgeDown: "no match", "skipped"
	lane  int
	lo    float64 // the span the arrow runs down, in task indexes
	hi    float64
}

// flow works out, for every task of l and its nested lists, the arrows
// leaving it and the sentences on where the flow goes.
func (b *builder) flow(l *list) {
	for i, n := range l.nodes {
		for _, c := range n.lists {
			b.flow(c)
		}
		t := n.task
		cond := ""
		if t.If != "" {
			cond = exprText(t.If)
		}
		if l.fork {
			// Branches run side by side: no then (refused), no flow between.
			if cond != "" {
				n.ifText = "Runs only if " + cond + "; otherwise this branch is skipped."
			}
			continue
		}
		skip := l.resolve("", i)
		if cond != "" {
			n.ifText = "Runs only if " + cond + "; otherwise it is skipped and " + l.afterSkip(skip) + "."
		}
		var down []string
		straight := false
		if t.Kind == workflows.KindSwitch {
			var def *workflows.SwitchCase
			for _, c := range t.Switch {
				if c == nil {
					continue
				}
				if c.When == "" {
					if def == nil {
						def = c // Check allows one default
					}
					continue
				}
				tg := l.resolve(c.Then, i)
				w := exprText(c.When)
				n.flowText = append(n.flowText, fmt.Sprintf("If %s, %s.", w, l.goes(tg)))
				b.caseRow(l, n, i, row{text: "If " + w, target: l.targetName(tg), name: c.Name}, tg)
			}
			if def != nil {
				tg := l.resolve(def.Then, i)
				n.flowText = append(n.flowText, "Otherwise "+l.goes(tg)+".")
				b.caseRow(l, n, i, row{text: "Otherwise", target: l.targetName(tg), name: def.Name}, tg)
			} else {
				tg := l.resolve(t.Then, i)
				n.flowText = append(n.flowText, "If no case holds, "+l.goes(tg)+".")
				if l.next(tg, i) {
					straight, down = true, append(down, "no match")
				} else {
					b.caseRow(l, n, i, row{text: "No match", target: l.targetName(tg)}, tg)
				}
			}
		} else {
			tg := l.resolve(t.Then, i)
			n.flowText = append(n.flowText, "Then "+l.goes(tg)+".")
			if l.next(tg, i) {
				straight = true
			} else {
				b.jump(l, i, -1, tg)
			}
		}
		if cond != "" && (!straight || len(down) > 0) {
			straight, down = true, append(down, "skipped")
		}
		if straight {
			e := &edge{kind: edgeDown, list: l, from: i, row: -1, label: strings.Join(down, " or ")}
			if e.label != "" && i == len(l.nodes)-1 && l.owner != nil {
				l.pill = true // a labelled way out needs somewhere to point
			}
			l.edges = append(l.edges, e)
		}
	}
	assignLanes(l)
}

func (b *builder) caseRow(l *list, n *node, i int, r row, tg target) {
	n.rows = append(n.rows, r)
	b.jump(l, i, len(n.rows)-1, tg)
}

// jump adds an arrow from task i (or its switch row) to tg, down a lane.
func (b *builder) jump(l *list, i, row int, tg target) {
	e := &edge{kind: edgeLane, list: l, from: i, row: row, to: tg}
	src := float64(i) + 0.6
	if row >= 0 {
		src += 0.01 * float64(row)
	}
	switch tg.kind {
	case toTask:
		dst := float64(tg.idx) + 0.2
		e.lo, e.hi = min(src, dst), max(src, dst)
		l.edges = append(l.edges, e)
	case toAfter:
		l.pill = true
		e.lo, e.hi = src, float64(len(l.nodes))+0.2
		l.edges = append(l.edges, e)
	case toEnd:
		e.kind = edgeEnd
		l.edges = append(l.edges, e)
	}
	// toUnknown: nowhere to draw to; the step's words say so.
}

// maxLanes bounds the lanes a list's arrows use beside it; more share
// them. Beyond maxLaneSearch jumps in one list, they are dealt out to the
// lanes in turn rather than placed (which takes time quadratic in them).
const (
	maxLanes      = 5
	maxLaneSearch = 500
)

// assignLanes gives each lane arrow of l a lane, shortest spans nearest
// the boxes, so that nested jumps do not cross.
func assignLanes(l *list) {
	var es []*edge
	for _, e := range l.edges {
		if e.kind == edgeLane {
			es = append(es, e)
		}
	}
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if a.hi-a.lo != b.hi-b.lo {
			return a.hi-a.lo < b.hi-b.lo
		}
		return a.lo < b.lo
	})
	if len(es) > maxLaneSearch {
		// So many jumps share the lanes anyway: do not search.
		for i, e := range es {
			e.lane = i % maxLanes
		}
		l.lanes = maxLanes
		return
	}
	var lanes [][]*edge
	for _, e := range es {
		k := 0
		for ; k < len(lanes); k++ {
			free := true
			for _, o := range lanes[k] {
				if e.lo < o.hi && o.lo < e.hi {
					free = false
					break
				}
			}
			if free {
				break
			}
		}
		if k == len(lanes) {
			lanes = append(lanes, nil)
		}
		lanes[k] = append(lanes[k], e)
		e.lane = k
	}
	l.lanes = len(lanes)
}
