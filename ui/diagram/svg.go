package diagram

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"html"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The GOV.UK colour palette. Text is black or dark grey on white (19:1,
// 7:1); borders that tell kinds apart are at least 3:1 against white, as
// are the arrows; the fault's red is 4.5:1, so its words pass as text.
const (
	colText   = "#0b0c0c"
	colSecond = "#505a5f"
	colBlue   = "#1d70b8"
	colPurple = "#4c2c92"
	colPink   = "#912b88"
	colGreen  = "#00703c"
	colRed    = "#d4351c"
	colWhite  = "#ffffff"

	fontName  = 16.0
	fontSmall = 14.0
	fontLabel = 13.0
	fontStack = "GDS Transport, arial, sans-serif"
)

// draw lays the workflow out and writes it as SVG.
func (b *builder) draw(top *list) string {
	b.layout(top)
	id := b.id()
	s := &svg{id: id, current: b.opt.Current}
	title := b.w.Document.Title
	if title == "" {
		title = b.w.Document.Name
	}
	title = "Diagram of workflow " + title
	if d := b.w.Document; d.Name != "" && d.Version != "" {
		title += " (" + d.Name + " " + d.Version + ")"
	}
	s.printf(`<svg xmlns="http://www.w3.org/2000/svg" class="cop-workflow-diagram" viewBox="0 0 %s %s" width="100%%" role="img" aria-labelledby="%s-title" aria-describedby="%s-desc" font-family="%s">`,
		num(Width), num(b.height), id, id, fontStack)
	s.printf(`<title id="%s-title">%s</title>`, id, esc(title))
	s.printf(`<desc id="%s-desc">%s</desc>`, id, esc("Its steps run from top to bottom, from Start to End. The numbered list of steps with this diagram has the same content in words."))
	s.printf(`<defs>`)
	for _, m := range []struct{ name, colour string }{{"next", colText}, {"jump", colBlue}} {
		s.printf(`<marker id="%s-%s" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="9" markerHeight="9" markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="%s"/></marker>`, id, m.name, m.colour)
	}
	s.printf(`</defs>`)

	s.printf(`<g class="terminal" data-terminal="start">`)
	s.pill(b.start, "Start", true)
	s.printf(`</g>`)
	s.printf(`<g class="steps">`)
	s.list(top)
	s.printf(`</g>`)
	s.printf(`<g class="terminal" data-terminal="end">`)
	s.pill(b.finish, "End", true)
	s.printf(`</g>`)

	s.printf(`<g class="arrows" fill="none" stroke-width="2">`)
	cx := b.start.x + b.start.w/2
	first, to := b.finish.y, "end"
	if len(top.nodes) > 0 {
		first, to = top.nodes[0].y, top.nodes[0].pos
	}
	s.arrow("arrow next", "start", to, "", "next", colText, fmt.Sprintf("M%s,%s V%s", num(cx), num(b.start.y+pillH), num(first)))
	s.edges(b, top)
	s.printf(`</g>`)
	s.printf(`</svg>`)
	return s.String()
}

// id is a prefix for the diagram's element ids, derived from the
// workflow, so two diagrams on a page do not share ids and the same
// workflow always draws the same bytes.
func (b *builder) id() string {
	h := fnv.New64a()
	d := b.w.Document
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%t\x00", d.Namespace, d.Name, d.Version, b.opt.Highlight, b.opt.Current)
	if js, err := json.Marshal(b.w); err == nil {
		h.Write(js)
	}
	return fmt.Sprintf("wfd-%016x", h.Sum64())
}

type svg struct {
	strings.Builder
	id      string
	current bool // the mark is where a running instance is, not a fault
}

// markWords and markColour say what the marked task is: where a run
// faulted (red), or where a running instance is now (blue).
func (s *svg) markWords() string {
	if s.current {
		return "Running"
	}
	return "Faulted"
}

func (s *svg) markColour() string {
	if s.current {
		return colBlue
	}
	return colRed
}

func (s *svg) printf(format string, args ...any) { fmt.Fprintf(s, format, args...) }

// pill draws a terminal: Start and End filled black, Exit outlined.
func (s *svg) pill(r rect, text string, filled bool) {
	fill, stroke, ink := colWhite, colText, colText
	if filled {
		fill, ink = colText, colWhite
	}
	s.printf(`<rect x="%s" y="%s" width="%s" height="%s" rx="%s" fill="%s" stroke="%s" stroke-width="2"/>`,
		num(r.x), num(r.y), num(r.w), num(r.h), num(r.h/2), fill, stroke)
	s.printf(`<text x="%s" y="%s" font-size="%s" font-weight="700" text-anchor="middle" fill="%s">%s</text>`,
		num(r.x+r.w/2), num(r.y+r.h/2+5), num(fontSmall), ink, esc(text))
}

func (s *svg) list(l *list) {
	for _, n := range l.nodes {
		s.node(n)
	}
	if l.pill {
		s.printf(`<g class="terminal" data-terminal="exit">`)
		s.pill(l.pillRect, "Exit", false)
		s.printf(`</g>`)
	}
}

// style is a kind's border: colour, width, dashes; mark is the colour of
// the marked task's.
func (n *node) style(mark string) (string, float64, string) {
	colour, width, dash := colSecond, 2.0, ""
	switch n.shape {
	case shapeUser:
		colour, width = colBlue, 3
	case shapeSwitch:
		colour = colPurple
	case shapeListen:
		colour = colText
	case shapeDo:
		width = 1.5
	case shapeFor:
		colour, dash = colBlue, "8 4"
	case shapeTry:
		colour = colGreen
	case shapeFork:
		colour = colPink
	}
	if n.hl || n.faultInside != "" {
		colour, width = mark, 4
	}
	return colour, width, dash
}

// node draws a task's box, its words, and inside it its nested lists.
func (s *svg) node(n *node) {
	s.printf(`<g class="task task-%s" data-position="%s" data-kind="%s"`, n.slug, esc(n.pos), esc(n.kind))
	if n.hl {
		s.printf(` data-highlighted="true"`)
	}
	if n.faultInside != "" {
		s.printf(` data-fault-inside="%s"`, esc(n.faultInside))
	}
	s.printf(`>`)
	colour, width, dash := n.style(s.markColour())
	stroke := fmt.Sprintf(`fill="%s" stroke="%s" stroke-width="%s"`, colWhite, colour, num(width))
	if dash != "" {
		stroke += fmt.Sprintf(` stroke-dasharray="%s"`, dash)
	}
	x, y, w, h := n.x, n.y, n.w, n.h
	padL, padR := 10.0, 10.0
	switch n.shape {
	case shapeUser:
		s.printf(`<rect x="%s" y="%s" width="%s" height="%s" %s/>`, num(x), num(y), num(w), num(h), stroke)
		s.printf(`<rect x="%s" y="%s" width="6" height="%s" fill="%s"/>`, num(x), num(y), num(h), colBlue)
		padL = 16
	case shapeSwitch:
		hh := n.headH
		s.printf(`<polygon points="%s" %s/>`, points(x, y+hh/2, x+tip, y, x+w-tip, y, x+w, y+hh/2, x+w-tip, y+hh, x+tip, y+hh), stroke)
		if len(n.rows) > 0 {
			s.printf(`<rect x="%s" y="%s" width="%s" height="%s" %s/>`, num(x), num(y+hh), num(w), num(h-hh), stroke)
		}
		padL, padR = tip+6, tip+6
	case shapeListen:
		s.printf(`<polygon points="%s" %s/>`, points(x, y, x+w, y, x+w, y+h, x, y+h, x+tip, y+h/2), stroke)
		padL = tip + 10
	case shapeEmit:
		s.printf(`<polygon points="%s" %s/>`, points(x, y, x+w-tip, y, x+w, y+h/2, x+w-tip, y+h, x, y+h), stroke)
		padR = tip + 8
	case shapeRun:
		s.printf(`<rect x="%s" y="%s" width="%s" height="%s" %s/>`, num(x), num(y), num(w), num(h), stroke)
		s.printf(`<path d="M%s,%s V%s M%s,%s V%s" stroke="%s" stroke-width="1.5"/>`, num(x+6), num(y), num(y+h), num(x+w-6), num(y), num(y+h), colour)
		padL, padR = 14, 14
	case shapeTry:
		s.printf(`<rect x="%s" y="%s" width="%s" height="%s" rx="12" %s/>`, num(x), num(y), num(w), num(h), stroke)
	case shapeFork:
		s.printf(`<rect x="%s" y="%s" width="%s" height="%s" %s/>`, num(x), num(y), num(w), num(h), stroke)
		if w > 8 && h > 8 {
			s.printf(`<rect x="%s" y="%s" width="%s" height="%s" fill="none" stroke="%s" stroke-width="1"/>`, num(x+4), num(y+4), num(w-8), num(h-8), colour)
		}
		padL = 12
	case shapeDo:
		s.printf(`<rect x="%s" y="%s" width="%s" height="%s" rx="4" %s/>`, num(x), num(y), num(w), num(h), stroke)
	default:
		s.printf(`<rect x="%s" y="%s" width="%s" height="%s" %s/>`, num(x), num(y), num(w), num(h), stroke)
	}
	avail := w - padL - padR
	tx := x + padL
	line := func(i int) float64 { return y + boxPad + lineH*float64(i) + 15 }
	s.text(tx, line(0), n.name, avail, fontName, true, colText)
	s.text(tx, line(1), n.label, avail, fontSmall, false, colSecond)
	for i, l := range n.lines {
		s.text(tx, line(2+i), l, avail, fontSmall, false, colText)
	}
	switch {
	case n.hl:
		s.text(tx, line(2+len(n.lines)), s.markWords()+" here", avail, fontSmall, true, s.markColour())
	case n.faultInside != "":
		s.text(tx, line(2+len(n.lines)), s.markWords()+" inside, at step "+n.faultInside, avail, fontSmall, true, s.markColour())
	}
	if n.collapsed {
		s.printf(`</g>`)
		return
	}
	switch n.shape {
	case shapeSwitch:
		s.rows(n)
	case shapeTry:
		s.printf(`<path d="M%s,%s H%s" stroke="%s" stroke-width="1.5" stroke-dasharray="6 4"/>`, num(x), num(n.catchY), num(x+w), colGreen)
		for i, l := range n.catchLines {
			word, rest, _ := strings.Cut(l, ": ")
			s.labelled(tx, n.catchY+boxPad+lineH*float64(i)+15, word+":", rest, avail, fontSmall)
		}
	case shapeFor:
		s.loop(n)
	case shapeFork:
		s.rail(n)
	}
	for _, c := range n.lists {
		s.list(c)
	}
	s.printf(`</g>`)
}

// rows draws a switch's cases: each row says when, and where it goes.
func (s *svg) rows(n *node) {
	padL, padR := 10.0, 10.0
	avail := n.w - padL - padR
	for r, row := range n.rows {
		y := n.y + n.headH + rowH*float64(r)
		if r > 0 {
			s.printf(`<path d="M%s,%s H%s" stroke="%s" stroke-width="1"/>`, num(n.x), num(y), num(n.x+n.w), colPurple)
		}
		// The condition and the target share the row: the target keeps at
		// least 45% of it, and more when the condition is short.
		to := "→ " + row.target
		space := textWidth(" ", fontSmall, false)
		room := math.Max(avail*0.45, avail-space-textWidth(row.text, fontSmall, false))
		to = truncate(to, room, fontSmall, false)
		text := truncate(row.text, avail-space-textWidth(to, fontSmall, false), fontSmall, false) + " " + to
		attrs := ""
		if row.name != "" {
			attrs = fmt.Sprintf(` data-case="%s"`, esc(row.name))
		}
		s.printf(`<text x="%s" y="%s" font-size="%s" fill="%s"%s>%s</text>`,
			num(n.x+padL), num(y+18), num(fontSmall), colText, attrs, esc(text))
	}
}

// loop draws a for's arrow from the end of its body back to its start.
func (s *svg) loop(n *node) {
	l := n.lists[0]
	if len(l.nodes) == 0 || l.bx0-n.x < 20 {
		return
	}
	first, last := l.nodes[0], l.nodes[len(l.nodes)-1]
	fy := first.y + 14
	d := fmt.Sprintf("M%s,%s H%s V%s H%s", num(last.leftAt(last.y+last.h-12)), num(last.y+last.h-12), num(n.x+8), num(fy), num(first.leftAt(fy)))
	s.arrow("arrow loop", n.pos, first.pos, "", "next", colText, d)
}

// rail draws the line a fork's branches hang from, one arrow to each.
func (s *svg) rail(n *node) {
	l := n.lists[0]
	if len(l.nodes) == 0 || l.bx0-l.x0 < 12 {
		return
	}
	rx := l.x0 + 3
	last := l.nodes[len(l.nodes)-1]
	s.printf(`<path class="rail" d="M%s,%s V%s" fill="none" stroke="%s" stroke-width="2"/>`, num(rx), num(n.y+n.headH-6), num(last.y+last.h/2), colPink)
	for _, b := range l.nodes {
		y := b.y + b.h/2
		s.arrow("arrow branch", n.pos, b.pos, "", "next", colText, fmt.Sprintf("M%s,%s H%s", num(rx), num(y), num(b.leftAt(y))))
	}
}

// edges draws the arrows leaving the tasks of l and its nested lists.
func (s *svg) edges(b *builder, l *list) {
	for _, e := range l.edges {
		n := l.nodes[e.from]
		caseName := ""
		if e.row >= 0 {
			caseName = n.rows[e.row].name
		}
		class := "arrow"
		if e.row >= 0 {
			class += " case"
		}
		switch e.kind {
		case edgeDown:
			cx := (l.bx0 + l.bx1) / 2
			y1 := n.y + n.h
			var y2 float64
			var to string
			switch {
			case e.from+1 < len(l.nodes):
				y2, to = l.nodes[e.from+1].y, l.nodes[e.from+1].pos
			case l.owner == nil:
				y2, to = b.finish.y, "end"
			case l.pill:
				y2, to = l.pillRect.y, "exit"
			default:
				continue // the nested list is done: its task's own arrows go on
			}
			s.arrow(class+" next", n.pos, to, caseName, "next", colText, fmt.Sprintf("M%s,%s V%s", num(cx), num(y1), num(y2)))
			if e.label != "" {
				s.text(cx+6, y1+(y2-y1)/2+5, e.label, l.bx1-cx-8, fontLabel, false, colText)
			}
		case edgeLane:
			sx, sy := n.exitPoint(e.row)
			var tx, ty float64
			to := "exit"
			if e.to.kind == toTask {
				m := l.nodes[e.to.idx]
				tx, ty = m.entryPoint()
				to = m.pos
			} else {
				p := l.pillRect
				tx, ty = p.x+p.w, p.y+p.h/2
			}
			lx := l.laneX(e.lane)
			s.arrow(class+" jump", n.pos, to, caseName, "jump", colBlue,
				fmt.Sprintf("M%s,%s H%s V%s H%s", num(sx), num(sy), num(lx), num(ty), num(tx)))
		case edgeEnd:
			sx, sy := n.exitPoint(e.row)
			f := b.finish
			s.arrow(class+" end", n.pos, "end", caseName, "jump", colBlue,
				fmt.Sprintf("M%s,%s H%s V%s H%s", num(sx), num(sy), num(endLaneX), num(f.y+f.h/2), num(f.x+f.w)))
		}
	}
	for _, n := range l.nodes {
		if n.collapsed {
			continue
		}
		for _, c := range n.lists {
			s.edges(b, c)
		}
	}
}

// arrow draws one arrow; data-from and data-to name the positions it
// joins ("start", "end" and "exit" for the terminals).
func (s *svg) arrow(class, from, to, caseName, marker, colour, d string) {
	s.printf(`<path class="%s" data-from="%s" data-to="%s"`, class, esc(from), esc(to))
	if caseName != "" {
		s.printf(` data-case="%s"`, esc(caseName))
	}
	s.printf(` d="%s" fill="none" stroke="%s" stroke-width="2" marker-end="url(#%s-%s)"/>`, d, colour, s.id, marker)
}

// text writes one line, cut to fit width.
func (s *svg) text(x, y float64, text string, width, size float64, bold bool, colour string) {
	weight := ""
	if bold {
		weight = ` font-weight="700"`
	}
	s.printf(`<text x="%s" y="%s" font-size="%s"%s fill="%s">%s</text>`,
		num(x), num(y), num(size), weight, colour, esc(truncate(text, width, size, bold)))
}

// labelled writes "Word: rest", the word bold.
func (s *svg) labelled(x, y float64, word, rest string, width, size float64) {
	rest = truncate(rest, width-textWidth(word+" ", size, true), size, false)
	s.printf(`<text x="%s" y="%s" font-size="%s" fill="%s"><tspan font-weight="700">%s</tspan> %s</text>`,
		num(x), num(y), num(size), colText, esc(word), esc(rest))
}

func points(xy ...float64) string {
	parts := make([]string, 0, len(xy)/2)
	for i := 0; i+1 < len(xy); i += 2 {
		parts = append(parts, num(xy[i])+","+num(xy[i+1]))
	}
	return strings.Join(parts, " ")
}

// num writes a coordinate to a tenth.
func num(v float64) string {
	v = math.Round(v*10) / 10
	if v == 0 {
		v = 0 // no "-0"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// esc makes text safe as XML character data or an attribute value.
func esc(s string) string { return html.EscapeString(clean(s)) }

// clean keeps only characters XML allows and that show as they are:
// control characters become spaces, invalid UTF-8 the replacement
// character, and bidirectional controls (which could make a name read as
// another) are dropped.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r < 0x20, r >= 0x7f && r <= 0x9f:
			return ' '
		case r == 0xfffe, r == 0xffff, r == utf8.RuneError:
			return '\ufffd'
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f:
			return -1
		}
		return r
	}, s)
}

// truncate cuts s to fit width at size, ending it with "…".
func truncate(s string, width, size float64, bold bool) string {
	s = clean(s)
	if textWidth(s, size, bold) <= width {
		return s
	}
	room := width - textWidth("…", size, bold)
	used := 0.0
	for i, r := range s {
		used += runeWidth(r, size, bold)
		if used > room {
			return strings.TrimRight(s[:i], " ") + "…"
		}
	}
	return s
}

// textWidth estimates the width of s in Arial-like type at size, on the
// generous side, so that cut text fits.
func textWidth(s string, size float64, bold bool) float64 {
	w := 0.0
	for _, r := range s {
		w += runeWidth(r, size, bold)
	}
	return w
}

func runeWidth(r rune, size float64, bold bool) float64 {
	var em float64
	switch {
	case strings.ContainsRune(" iljI|!.,:;'`", r):
		em = 0.3
	case strings.ContainsRune("frt()[]{}/\\-\"*", r):
		em = 0.38
	case strings.ContainsRune("mwMW@%&", r):
		em = 0.92
	case r >= 'A' && r <= 'Z':
		em = 0.74
	case r < 0x80:
		em = 0.6
	case wide(r):
		em = 1.05
	default:
		em = 0.7
	}
	if bold {
		em *= 1.1
	}
	return em * size * 1.05
}

// wide says whether r is a full-width character (CJK, Hangul, emoji).
func wide(r rune) bool {
	return r >= 0x1100 && r <= 0x115f || r >= 0x2e80 && r <= 0xa4cf || r >= 0xac00 && r <= 0xd7a3 ||
		r >= 0xf900 && r <= 0xfaff || r >= 0xfe30 && r <= 0xfe4f || r >= 0xff00 && r <= 0xff60 ||
		r >= 0xffe0 && r <= 0xffe6 || r >= 0x1f300 && r <= 0x1faff || r >= 0x20000 && r <= 0x3fffd
}
