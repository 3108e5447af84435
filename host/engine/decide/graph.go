package decide

// findBackEdges marks the edges that close a cycle: a depth-first walk
// from the entry nodes (targets of entry edges, and nodes no edge enters),
// in definition order, then from any node not reached yet; an edge into a
// node on the walk's current path is a back edge. The walk is iterative,
// so a chain of any length cannot exhaust the stack.
func (p *Plan) findBackEdges() {
	n := len(p.Flow.Nodes)
	const (
		unseen = iota
		onPath
		done
	)
	mark := make([]int, n)
	type frame struct{ node, next int }
	walk := func(root int) {
		if mark[root] != unseen {
			return
		}
		stack := []frame{{node: root}}
		mark[root] = onPath
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			if top.next == len(p.Outgoing[top.node]) {
				mark[top.node] = done
				stack = stack[:len(stack)-1]
				continue
			}
			ei := p.Outgoing[top.node][top.next]
			top.next++
			t := p.EdgeTarget[ei]
			switch mark[t] {
			case onPath:
				p.Back[ei] = true
				p.Cyclic = true
			case unseen:
				mark[t] = onPath
				stack = append(stack, frame{node: t})
			}
		}
	}
	for i := range n {
		if p.isEntry(i) {
			walk(i)
		}
	}
	for i := range n {
		walk(i)
	}
}

// isEntry reports whether node i is where a run starts: an entry edge
// targets it, or no edge does.
func (p *Plan) isEntry(i int) bool {
	if len(p.Incoming[i]) == 0 {
		return true
	}
	for _, ei := range p.Incoming[i] {
		if p.EdgeSource[ei] < 0 {
			return true
		}
	}
	return false
}

// sortForward orders the nodes so every forward edge goes forward (Kahn's
// algorithm over the non-back edges, stable in definition order).
func (p *Plan) sortForward() {
	n := len(p.Flow.Nodes)
	indegree := make([]int, n)
	for ei := range p.Flow.Edges {
		if p.EdgeSource[ei] >= 0 && !p.Back[ei] {
			indegree[p.EdgeTarget[ei]]++
		}
	}
	ready := make([]int, 0, n)
	for i := range n {
		if indegree[i] == 0 {
			ready = append(ready, i)
		}
	}
	p.Order = make([]int, 0, n)
	for k := 0; k < len(ready); k++ {
		i := ready[k]
		p.Order = append(p.Order, i)
		for _, ei := range p.Outgoing[i] {
			if p.Back[ei] {
				continue
			}
			t := p.EdgeTarget[ei]
			if indegree[t]--; indegree[t] == 0 {
				ready = append(ready, t)
			}
		}
	}
}

// downstream marks node n and every node a forward path leads to from it.
func (p *Plan) downstream(n int, mark []bool) {
	clear(mark)
	mark[n] = true
	stack := []int{n}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, ei := range p.Outgoing[i] {
			if p.Back[ei] {
				continue
			}
			if t := p.EdgeTarget[ei]; !mark[t] {
				mark[t] = true
				stack = append(stack, t)
			}
		}
	}
}

// reaches reports whether node target can be reached from a node in from,
// over edges of any kind, without passing through a blocked node (blocked
// nodes in from do not count either).
func (p *Plan) reaches(from []int, target int, blocked, seen []bool) bool {
	clear(seen)
	stack := make([]int, 0, len(from))
	for _, f := range from {
		if !blocked[f] && !seen[f] {
			seen[f] = true
			stack = append(stack, f)
		}
	}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if i == target {
			return true
		}
		for _, ei := range p.Outgoing[i] {
			t := p.EdgeTarget[ei]
			if !blocked[t] && !seen[t] {
				seen[t] = true
				stack = append(stack, t)
			}
		}
	}
	return false
}
