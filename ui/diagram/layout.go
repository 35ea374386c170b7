package diagram

import "math"

// shape is how a task's box is drawn.
type shape int

const (
	shapeBox    shape = iota // a plain task: set, call, wait, raise…
	shapeUser                // a user task: blue border with a bar down its left
	shapeSwitch              // a switch: a pointed header over its cases
	shapeListen              // a listen: notched on the left, as an event comes in
	shapeEmit                // an emit: pointed on the right, as an event goes out
	shapeRun                 // a run: double sides, another workflow inside
	shapeDo                  // the containers, which draw nested lists inside them
	shapeFor
	shapeTry
	shapeFork
)

func (s shape) container() bool { return s >= shapeDo }

type rect struct{ x, y, w, h float64 }

// Measurements, in viewBox units (px at full size).
const (
	margin   = 8.0
	gap      = 28.0 // between tasks: an arrow's length
	lineH    = 20.0 // a line of text in a box
	boxPad   = 8.0  // above and below a box's lines
	rowH     = 26.0 // a switch's case
	pillH    = 28.0 // the Start and End terminals
	exitH    = 24.0 // an Exit terminal
	endLaneX = Width - 6.0
	topRight = Width - 16.0 // the right of the workflow's list, left of the End lane
	minInner = 150.0        // the narrowest column of boxes a nested list is drawn in
	laneRoom = 14.0         // from a box to its list's first lane: room for an arrowhead
	laneStep = 8.0
	forkRail = 18.0 // left of a fork's branches: the line they hang from
	tip      = 12.0 // the depth of a switch's, emit's or listen's point
)

// layout places every task: Start at the top, the workflow's tasks
// below it in one column, End at the bottom.
func (b *builder) layout(top *list) {
	y := margin
	startY := y
	y += pillH + gap
	if len(top.nodes) == 0 {
		y -= gap
	}
	y = b.layoutList(top, margin, topRight, y)
	cx := (top.bx0 + top.bx1) / 2
	b.start = rect{cx - 40, startY, 80, pillH}
	y += gap
	b.finish = rect{cx - 40, y, 80, pillH}
	b.height = y + pillH + margin
}

// layoutList places l's tasks in the region from x0 to x1, from y down,
// and returns the y below them. Its lanes, for arrows that jump, take the
// right of the region.
func (b *builder) layoutList(l *list, x0, x1, y float64) float64 {
	l.x0, l.x1 = x0, x1
	lw := l.laneWidth(x1 - x0)
	if l.lanes > 0 {
		k := min(l.lanes, maxLanes)
		room := math.Min(laneRoom, lw/2)
		step := 0.0
		if k > 1 {
			step = (lw - room - 6) / float64(k-1)
		}
		l.lanePos = make([]float64, k)
		for j := range l.lanePos {
			l.lanePos[j] = x1 - lw + room + step*float64(j)
		}
	}
	l.bx0, l.bx1 = x0, x1-lw
	g := gap
	if l.fork {
		l.bx0 += math.Min(forkRail, (l.bx1-x0)/4)
		g = 10
	}
	for i, n := range l.nodes {
		if i > 0 {
			y += g
		}
		b.layoutNode(n, l.bx0, l.bx1, y)
		y += n.h
	}
	if l.pill {
		if len(l.nodes) > 0 {
			y += gap
		}
		cx := (l.bx0 + l.bx1) / 2
		l.pillRect = rect{cx - 26, y, 52, exitH}
		y += exitH
	}
	return y
}

// laneWidth is the width l's lanes take of a region width wide.
func (l *list) laneWidth(width float64) float64 {
	if l.lanes == 0 {
		return 0
	}
	k := min(l.lanes, maxLanes)
	return math.Min(laneRoom+6+laneStep*float64(k-1), width/3)
}

// laneX is the x of lane k of l.
func (l *list) laneX(k int) float64 {
	if len(l.lanePos) == 0 {
		return l.x1
	}
	return l.lanePos[k%len(l.lanePos)]
}

// textLines is how many lines a box's header holds: name, kind, its
// further lines and "Faulted here".
func (n *node) textLines() int {
	k := 2 + len(n.lines)
	if n.hl || n.faultInside != "" {
		k++
	}
	return k
}

// collapse draws a container whose nested lists are too deep to draw as
// one box, which sends the reader to the list (and says so if the fault is
// inside it).
func (n *node) collapse() {
	n.collapsed = true
	count := 0
	var walk func(ls []*list)
	walk = func(ls []*list) {
		for _, l := range ls {
			for _, c := range l.nodes {
				count++
				if c.hl {
					n.faultInside = c.num
				}
				walk(c.lists)
			}
		}
	}
	walk(n.lists)
	n.lines = append(n.lines, plural(count, "step", "steps")+" inside:", "see the list")
}

func (b *builder) layoutNode(n *node, x0, x1, y float64) {
	n.x, n.y, n.w = x0, y, x1-x0
	head := 2*boxPad + lineH*float64(n.textLines())
	switch {
	case n.shape == shapeSwitch:
		n.headH = head
		n.h = head + rowH*float64(len(n.rows))
	case !n.shape.container():
		n.h = head
	default:
		pl, pr := 12.0, 8.0
		if n.shape == shapeFor {
			pl = 24 // room for the arrow that loops back
		}
		inner := n.w - pl - pr
		col := inner
		for _, c := range n.lists {
			cw := inner - c.laneWidth(inner)
			if c.fork {
				cw -= math.Min(forkRail, cw/4)
			}
			col = math.Min(col, cw)
		}
		if col < minInner {
			// Too deep to draw inside: one box, its steps in the list.
			n.collapse()
			n.h = 2*boxPad + lineH*float64(n.textLines())
			n.headH = n.h
			return
		}
		n.headH = head
		ix0, ix1 := x0+pl, x1-pr
		yy := y + head
		if n.shape == shapeTry {
			yy = b.layoutList(n.lists[0], ix0, ix1, yy)
			yy += 10
			n.catchY = yy
			yy += boxPad + lineH*float64(len(n.catchLines))
			if c := n.lists[1]; len(c.nodes) > 0 || c.pill {
				yy = b.layoutList(c, ix0, ix1, yy+4)
			}
		} else {
			for _, c := range n.lists {
				yy = b.layoutList(c, ix0, ix1, yy)
			}
		}
		n.h = yy + 12 - y
	}
}

// rightAt is the x of the box's right edge at height y.
func (n *node) rightAt(y float64) float64 {
	switch n.shape {
	case shapeEmit:
		return n.x + n.w - tip + tip*pointAt(y, n.y, n.h)
	case shapeSwitch:
		if y <= n.y+n.headH {
			return n.x + n.w - tip + tip*pointAt(y, n.y, n.headH)
		}
	}
	return n.x + n.w
}

// leftAt is the x of the box's left edge at height y.
func (n *node) leftAt(y float64) float64 {
	switch n.shape {
	case shapeListen:
		return n.x + tip*pointAt(y, n.y, n.h)
	case shapeSwitch:
		if y <= n.y+n.headH {
			return n.x + tip - tip*pointAt(y, n.y, n.headH)
		}
	}
	return n.x
}

// pointAt is, for a side pointed at its middle, how far toward the point
// y is: 1 at the middle, 0 at the top and bottom.
func pointAt(y, top, h float64) float64 {
	if h <= 0 {
		return 0
	}
	return math.Max(0, 1-math.Abs(y-(top+h/2))/(h/2))
}

// exitPoint is where arrows leave a task: its right side, a switch's from
// its rows, a nested list's task from low down.
func (n *node) exitPoint(row int) (float64, float64) {
	switch {
	case row >= 0:
		return n.x + n.w, n.y + n.headH + rowH*(float64(row)+0.5)
	case n.shape.container():
		return n.x + n.w, n.y + n.h - 14
	}
	y := n.y + n.h/2
	return n.rightAt(y), y
}

// entryPoint is where arrows that jump come into a task: its right side,
// near the top.
func (n *node) entryPoint() (float64, float64) {
	y := n.y + 14
	return n.rightAt(y), y
}
