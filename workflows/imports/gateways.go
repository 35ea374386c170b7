package imports

import (
	"fmt"
	"strings"
)

// exclusive translates a deciding exclusive gateway as a switch: one case
// per outgoing flow, in order, the default flow last without when. A
// gateway with no default and no unconditional flow gets a default case
// that faults, as Camunda does when no condition holds: the switch must
// never fall through to whatever task happens to follow it.
func (b *builder) exclusive(l *list, n *flowNode) {
	t := b.newTask(n)
	b.extensions(n, t)
	l.add(t)
	var def *switchCase
	always := false
	caseNames := map[string]bool{}
	for _, f := range n.out {
		c := &switchCase{name: caseName(f, caseNames), next: b.follow(l, f)}
		switch {
		case f.id != "" && f.id == n.el.attr("", "default"):
			def = c
			continue
		case f.cond == nil:
			c.when = "${ true }" // Camunda takes a flow without a condition when it comes to it
			always = true
			if f != n.out[len(n.out)-1] {
				b.rep.add(f.id, "the flow has no condition and is not the gateway's default, so (as in Camunda) it is taken whenever the gateway comes to it, before the flows after it: make it the default flow if that is what it means")
			}
		default:
			c.when = b.conditionOf(f)
		}
		t.cases = append(t.cases, c)
	}
	var noPath *task
	switch {
	case def != nil:
		t.cases = append(t.cases, def)
	case !always:
		noPath = b.noPathTask(n)
		t.cases = append(t.cases, &switchCase{name: uniqueIn("noConditionHolds", caseNames), next: &target{kind: toTask, task: noPath}})
	}
	for _, c := range t.cases {
		b.visit(l, c.next)
	}
	if noPath != nil {
		l.add(noPath)
	}
}

// noPathTask faults when none of a gateway's conditions holds.
func (b *builder) noPathTask(n *flowNode) *task {
	t := b.helperTask(n, "NoPath")
	t.body = obj{{"raise", obj{{"error", obj{
		{"type", errNoPath},
		{"status", 500},
		{"title", "No outgoing flow of " + n.label() + " can be taken"},
		{"detail", "None of the conditions of BPMN gateway " + n.id + " holds, and it has no default flow."},
	}}}}}
	return t
}

// caseName names a switch case after its flow: its name (yes, no) when it
// has one, else its id.
func caseName(f *seqFlow, used map[string]bool) string {
	base := camel(f.name)
	if f.name == "" {
		base = camel(f.id)
	}
	return uniqueIn(base, used)
}

func uniqueIn(base string, used map[string]bool) string {
	name := base
	for i := 2; used[name]; i++ {
		name = fmt.Sprintf("%s%d", base, i)
	}
	used[name] = true
	return name
}

// conditionOf translates a sequence flow's condition; one that does not
// translate becomes a loud fault and a report item.
func (b *builder) conditionOf(f *seqFlow) string {
	src := f.cond.trimmed()
	lang := strings.ToLower(f.cond.attr("", "language"))
	if res := f.cond.cam("resource"); res != "" {
		b.rep.add(f.id, "the condition is a script read from %s, which COP cannot run: write it as a jq condition (when: ${ … }); until then the instance faults when the gateway evaluates it", res)
		return faultExpr(fmt.Sprintf("condition of %s was not translated from BPMN: script %s", f.id, res))
	}
	if lang != "" && lang != "juel" && lang != "el" {
		b.rep.add(f.id, "the condition is a %s script (%s), which COP cannot run: write it as a jq condition (when: ${ … }); until then the instance faults when the gateway evaluates it", lang, clip(src))
		return faultExpr(fmt.Sprintf("condition of %s was not translated from BPMN (%s): %s", f.id, lang, clip(src)))
	}
	when, ok := condition(f.id, src)
	if !ok {
		_, err := juelToJQ(src)
		b.rep.add(f.id, "the condition %s was not translated (%v): write it as a jq condition (when: ${ … }); until then the instance faults when the gateway evaluates it", clip(src), err)
	}
	return when
}

// clip shortens text quoted in a message.
func clip(s string) string {
	s = oneLine(s)
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// fork translates a parallel or inclusive split (or an activity several
// flows leave) as a fork whose branches run side by side. Each branch runs
// up to the join the split's flows meet at; after the fork the flow goes
// on from the join. A conditional flow's branch runs only when its
// condition holds (an inclusive split); an inclusive default flow's when
// none does. The branches' outputs are merged back into one object, so
// the variables stay flat.
func (b *builder) fork(l *list, from *flowNode, flows []*seqFlow, self bool) *task {
	var t *task
	if self {
		t = b.newTask(from)
		b.extensions(from, t)
	} else {
		t = b.helperTask(from, "Split")
	}
	l.add(t)
	join := b.findJoin(from, flows)
	var branches []*task
	var conds []string
	defaultFlow := from.el.attr("", "default")
	conditional := func(f *seqFlow) bool { return f.cond != nil && f.id != defaultFlow }
	if from.kind == "parallelGateway" {
		// Camunda ignores the conditions of a parallel gateway's flows.
		conditional = func(f *seqFlow) bool {
			if f.cond != nil {
				b.rep.add(f.id, "the flow leaves a parallel gateway, so (as in Camunda) its condition %s is ignored: the branch always runs; use an inclusive gateway if the condition should decide", clip(f.cond.trimmed()))
			}
			return false
		}
	}
	for _, f := range flows {
		if conditional(f) {
			conds = append(conds, strings.TrimSuffix(strings.TrimPrefix(b.conditionOf(f), "${ "), " }"))
		}
	}
	used := map[string]bool{}
	for _, f := range flows {
		bl := b.newList(l.scope, l, join)
		bl.branch = true
		entry := b.follow(bl, f)
		cond := ""
		switch {
		case f.id == defaultFlow && len(conds) > 0 && from.kind != "parallelGateway":
			cond = "${ ((" + strings.Join(conds, ") or (") + ")) | not }"
		case from.kind != "parallelGateway" && conditional(f):
			cond = b.conditionOf(f)
		}
		b.visit(bl, entry)
		if entry.kind == toTerminate {
			nt := nothing(b.names.unique("terminate"))
			nt.next = entry
			bl.add(nt)
		}
		if len(bl.tasks) == 0 && cond == "" {
			continue // the flow goes straight to the join: nothing to run
		}
		br := &task{name: uniqueIn(branchName(f, entry), used), body: obj{{"do", bl}}}
		if cond != "" {
			br.pre = obj{{"if", cond}}
		}
		branches = append(branches, br)
	}
	if len(branches) == 0 {
		t.body = obj{{"set", "${ . }"}}
	} else {
		t.body = obj{{"fork", obj{{"compete", false}, {"branches", branches}}}}
		t.post = obj{{"output", obj{{"as", mergeBranches}}}}
	}
	t.next = b.afterJoin(l, join)
	b.visit(l, t.next)
	return t
}

// mergeBranches folds a fork's outputs (a list, one per branch) back into
// one object of variables, on top of the fork's input. Each branch brings
// only the variables it changed (set or changed from the fork's input), so
// a later branch's unchanged copy of a variable never undoes an earlier
// branch's change, and a skipped branch (its input passed through) changes
// nothing. A variable a branch removed stays.
const mergeBranches = "${ reduce (.[] | objects) as $b ($input; . + ($b | with_entries(select(.value != $input[.key])))) }"

// branchName names a fork branch after the node it starts with, else
// its flow.
func branchName(f *seqFlow, entry *target) string {
	if entry.kind == toNode {
		return camel(entry.node.id)
	}
	return camel(f.id)
}

// afterJoin is where the flow goes once a fork's branches have joined: on
// from the join, or, when the join splits again, to its own fork (a node
// like any other, so a join met twice is jumped to, not forked twice).
func (b *builder) afterJoin(l *list, join *flowNode) *target {
	if join == nil {
		return &target{kind: toEnd}
	}
	b.reached[join] = true
	switch len(join.out) {
	case 0:
		return &target{kind: toEnd}
	case 1:
		return b.follow(l, join.out[0])
	}
	return &target{kind: toNode, node: join}
}

// findJoin finds the gateway a split's branches meet at: the joining
// gateway (of the split's kind, or parallel or inclusive for an activity's
// implicit split) that every branch reaches, the nearest first; failing
// that, the one most branches reach. The branches are walked side by side,
// a step at a time, and the walk stops at the first join they all reach,
// so a split costs what lies between it and its join. A split whose
// branches never meet (each ends on its own) has none, and the fork
// simply waits for them all.
func (b *builder) findJoin(from *flowNode, flows []*seqFlow) *flowNode {
	isJoin := func(n *flowNode) bool {
		if len(n.in) < 2 {
			return false
		}
		if strings.HasSuffix(from.kind, "Gateway") {
			return n.kind == from.kind
		}
		return n.kind == "parallelGateway" || n.kind == "inclusiveGateway"
	}
	reach := map[*flowNode]int{}
	dist := map[*flowNode]int{}
	walks := make([]*walk, len(flows))
	for i, f := range flows {
		walks[i] = &walk{seen: map[*flowNode]bool{from: true, f.dst: true}, frontier: []*flowNode{f.dst}}
		if isJoin(f.dst) {
			reach[f.dst]++
		}
	}
	for depth := 1; ; depth++ {
		if best := bestJoin(reach, dist, len(flows)); best != nil {
			return best
		}
		moved := false
		for _, w := range walks {
			for _, n := range w.step(&b.work) {
				if isJoin(n) {
					reach[n]++
					dist[n] += depth
				}
			}
			moved = moved || len(w.frontier) > 0
		}
		if b.work < 0 {
			b.rep.once("work", from.id, "the process is too large for the import to match every split to its join: from here on, forks wait for all their branches and the flow goes on only where a branch ends; check the joins")
			return nil
		}
		if !moved {
			break
		}
	}
	best := bestJoin(reach, dist, 2)
	if best != nil {
		b.rep.add(from.id, "not every branch of this split reaches the join %s: the fork waits for every branch before going on from the join, where Camunda goes on as soon as the join's own flows arrive", best.id)
	} else {
		b.rep.add(from.id, "the branches of this split never meet at a join: each runs to its own end, and what follows the fork runs (or the workflow ends) once all have; check that is what the process means")
	}
	return best
}

// bestJoin is the join reached by the most branches (at least need), the
// nearest on a tie, the first in the file on a tie again.
func bestJoin(reach, dist map[*flowNode]int, need int) *flowNode {
	var best *flowNode
	for n, r := range reach {
		switch {
		case r < need:
		case best == nil, r > reach[best]:
			best = n
		case r == reach[best] && (dist[n] < dist[best] || dist[n] == dist[best] && n.idx < best.idx):
			best = n
		}
	}
	return best
}

// walk is a breadth-first walk forward from one branch of a split.
type walk struct {
	seen     map[*flowNode]bool
	frontier []*flowNode
}

// step takes the walk one flow further, boundary events' flows included,
// and returns the nodes it reached. Each node spends budget: a hostile
// file of thousands of splits cannot make the import walk for minutes.
func (w *walk) step(budget *int) []*flowNode {
	var next []*flowNode
	for _, n := range w.frontier {
		*budget -= 1 + len(n.out)
		var to []*flowNode
		for _, f := range n.out {
			to = append(to, f.dst)
		}
		for _, bnd := range n.boundaries {
			for _, f := range bnd.out {
				to = append(to, f.dst)
			}
		}
		for _, m := range to {
			if !w.seen[m] {
				w.seen[m] = true
				next = append(next, m)
			}
		}
	}
	w.frontier = next
	return next
}
