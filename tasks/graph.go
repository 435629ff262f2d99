package tasks

import (
	"sort"
)

// TopologicalOrder returns the tasks so that every task comes after all its upstreams; among
// tasks whose upstreams are done, file order is kept. Iterative, so a 10,000-task chain is fine.
// The DAG is acyclic once parsed; on a cyclic graph the tasks on cycles are left out.
func (d *DAG) TopologicalOrder() []*Task {
	order, _ := topoOrder(d.Tasks, d.byID)
	return order
}

// Layers groups tasks by depth: layer 0 has no upstream, layer n's tasks have their deepest
// upstream in layer n-1. The UI's graph and `tasks list --tree` draw from them.
func (d *DAG) Layers() [][]*Task {
	depth := map[string]int{}
	var layers [][]*Task
	for _, t := range d.TopologicalOrder() {
		n := 0
		for _, u := range t.Upstream {
			if depth[u]+1 > n {
				n = depth[u] + 1
			}
		}
		depth[t.TaskID] = n
		for len(layers) <= n {
			layers = append(layers, nil)
		}
		layers[n] = append(layers[n], t)
	}
	return layers
}

// Roots returns the tasks with no upstream, in file order.
func (d *DAG) Roots() []*Task {
	var out []*Task
	for _, t := range d.Tasks {
		if len(t.Upstream) == 0 {
			out = append(out, t)
		}
	}
	return out
}

// Leaves returns the tasks with no downstream, in file order: the run's state comes from them.
func (d *DAG) Leaves() []*Task {
	var out []*Task
	for _, t := range d.Tasks {
		if len(t.Downstream) == 0 {
			out = append(out, t)
		}
	}
	return out
}

// Descendants returns the ids of every task downstream of id, transitively, sorted.
func (d *DAG) Descendants(id string) []string {
	return d.reach(id, func(t *Task) []string { return t.Downstream })
}

// Ancestors returns the ids of every task upstream of id, transitively, sorted.
func (d *DAG) Ancestors(id string) []string {
	return d.reach(id, func(t *Task) []string { return t.Upstream })
}

func (d *DAG) reach(id string, next func(*Task) []string) []string {
	seen := map[string]bool{}
	stack := []string{id}
	for len(stack) > 0 {
		cur := d.byID[stack[len(stack)-1]]
		stack = stack[:len(stack)-1]
		if cur == nil {
			continue
		}
		for _, n := range next(cur) {
			if !seen[n] {
				seen[n] = true
				stack = append(stack, n)
			}
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// topoOrder is Kahn's algorithm over tasks whose Upstream ids all exist in byID. It returns
// the order and the tasks that could not be ordered (those on or behind a cycle).
func topoOrder(list []*Task, byID map[string]*Task) (order, stuck []*Task) {
	indeg := make(map[string]int, len(list))
	down := make(map[string][]*Task, len(list))
	for _, t := range list {
		for _, u := range t.Upstream {
			if byID[u] != nil {
				indeg[t.TaskID]++
				down[u] = append(down[u], t)
			}
		}
	}
	queue := make([]*Task, 0, len(list))
	for _, t := range list {
		if indeg[t.TaskID] == 0 {
			queue = append(queue, t)
		}
	}
	for len(queue) > 0 {
		t := queue[0]
		queue = queue[1:]
		order = append(order, t)
		for _, n := range down[t.TaskID] {
			indeg[n.TaskID]--
			if indeg[n.TaskID] == 0 {
				queue = append(queue, n)
			}
		}
	}
	if len(order) == len(list) {
		return order, nil
	}
	placed := make(map[string]bool, len(order))
	for _, t := range order {
		placed[t.TaskID] = true
	}
	for _, t := range list {
		if !placed[t.TaskID] {
			stuck = append(stuck, t)
		}
	}
	return order, stuck
}

// findCycle returns one cycle among stuck tasks as a list of ids, first id repeated at the end
// ("a -> b -> c -> a"), walking upstream edges iteratively.
func findCycle(stuck []*Task, byID map[string]*Task) []string {
	inStuck := make(map[string]bool, len(stuck))
	for _, t := range stuck {
		inStuck[t.TaskID] = true
	}
	// Every stuck task has a stuck upstream (else it would have been placed), so following
	// stuck upstreams from any stuck task must revisit a task: that loop is a cycle.
	seenAt := map[string]int{}
	var path []string
	cur := stuck[0].TaskID
	for {
		if i, ok := seenAt[cur]; ok {
			cycle := append([]string{}, path[i:]...)
			// path follows upstream edges; reverse it so it reads in dependency order.
			for l, r := 0, len(cycle)-1; l < r; l, r = l+1, r-1 {
				cycle[l], cycle[r] = cycle[r], cycle[l]
			}
			return append(cycle, cycle[0])
		}
		seenAt[cur] = len(path)
		path = append(path, cur)
		next := ""
		for _, u := range byID[cur].Upstream {
			if inStuck[u] {
				next = u
				break
			}
		}
		if next == "" {
			return nil
		}
		cur = next
	}
}
