package tasks

import "math/bits"

// Weight rules of a task's priority, Airflow's WeightRule (Task.WeightRule holds the string).
const (
	weightUpstream = "upstream" // own weight + every ancestor's
	weightAbsolute = "absolute" // own weight; "downstream" and anything else: + every descendant's
)

// Airflow keeps effective priorities in a 32-bit column (utils/weight_rule.py db_safe_priority).
const (
	minPriority = -1 << 31
	maxPriority = 1<<31 - 1
)

// PriorityWeights returns each task's effective priority, Airflow's priority_weight_total: by its
// WeightRule, its own priority_weight plus the own weights of all its descendants (downstream,
// also for an empty or unknown rule), of all its ancestors (upstream), or nothing more
// (absolute). A task reachable by several paths counts once. Like Airflow's db_safe_priority the
// result is clamped to the int32 range, and so, to keep the sums exact in int64, is each weight.
//
// It runs in one pass over the topological order. A task with a single child (or parent, for
// upstream) adds that one's total to its weight; only a task with several needs the set of its
// descendants, kept as a bitset that a single-parent child hands on instead of copying. So a
// 10,000-task chain or tree costs O(n), and the worst case (wide, densely linked layers) about
// n²/64 word operations.
func (d *DAG) PriorityWeights() map[string]int {
	order := d.TopologicalOrder()
	n := len(order)
	index := make(map[string]int32, n)
	for i, t := range order {
		index[t.TaskID] = int32(i)
	}
	w := make([]int64, n)
	up := make([][]int32, n)
	down := make([][]int32, n)
	var needDown, needUp bool
	mark := make([]int32, n) // mark[u] == i+1: u is already an upstream of task i
	for i, t := range order {
		w[i] = int64(clampPriority(int64(t.PriorityWeight)))
		for _, id := range t.Upstream {
			if u, ok := index[id]; ok && mark[u] != int32(i+1) {
				mark[u] = int32(i + 1)
				up[i] = append(up[i], u)
				down[u] = append(down[u], int32(i))
			}
		}
		switch t.WeightRule {
		case weightAbsolute:
		case weightUpstream:
			needUp = true
		default:
			needDown = true
		}
	}
	// Descendants: children come later in order, so walk it backwards; ancestors: forwards.
	var below, above []int64
	if needDown {
		seq := make([]int32, n)
		for i := range seq {
			seq[i] = int32(n - 1 - i)
		}
		below = relativeWeights(seq, down, up, w)
	}
	if needUp {
		seq := make([]int32, n)
		for i := range seq {
			seq[i] = int32(i)
		}
		above = relativeWeights(seq, up, down, w)
	}
	out := make(map[string]int, len(d.Tasks))
	for _, t := range d.Tasks { // tasks on a cycle (never in a parsed DAG) keep their own weight
		out[t.TaskID] = clampPriority(int64(t.PriorityWeight))
	}
	for i, t := range order {
		switch t.WeightRule {
		case weightAbsolute:
		case weightUpstream:
			out[t.TaskID] = clampPriority(w[i] + above[i])
		default:
			out[t.TaskID] = clampPriority(w[i] + below[i])
		}
	}
	return out
}

// relativeWeights returns, for every node, the sum of w over the nodes reachable from it through
// next (each counted once). seq lists the nodes so that next[v] all come before v; prev is the
// reverse of next. Weights are within int32, so sums of up to 2^31 of them fit in int64.
func relativeWeights(seq []int32, next, prev [][]int32, w []int64) []int64 {
	n := len(seq)
	sum := make([]int64, n)
	sets := make([]taskSet, n) // reach(v) without v; nil when empty or handed on
	pending := make([]int, n)  // how many nodes still have to read sets[v]
	for v := range n {
		pending[v] = len(prev[v])
	}
	planes := newWeightPlanes(w)
	for _, v := range seq {
		kids := next[v]
		// The set is needed to sum several children, or for a parent to read later.
		needSet := len(kids) > 1 || pending[v] > 0
		var set taskSet
		for _, c := range kids {
			pending[c]--
			if needSet {
				switch {
				case set == nil && pending[c] == 0 && sets[c] != nil:
					set = sets[c] // the last reader takes the set instead of copying it
				case set == nil:
					set = newTaskSet(n)
					set.or(sets[c])
				default:
					set.or(sets[c])
				}
				set.add(c)
			}
			if pending[c] == 0 {
				sets[c] = nil
			}
		}
		switch len(kids) {
		case 0:
		case 1: // reach(v) = {c} ∪ reach(c), disjoint in a DAG
			sum[v] = w[kids[0]] + sum[kids[0]]
		default:
			sum[v] = planes.sum(set)
		}
		if pending[v] > 0 {
			sets[v] = set
		}
	}
	return sum
}

// taskSet is a bitset over positions in the topological order.
type taskSet []uint64

func newTaskSet(n int) taskSet { return make(taskSet, (n+63)/64) }

func (b taskSet) add(i int32) { b[i/64] |= 1 << (uint(i) % 64) }

func (b taskSet) or(o taskSet) {
	for i, x := range o {
		b[i] |= x
	}
}

// weightPlanes sums weights over a taskSet with popcounts: every weight is base plus a
// non-negative offset, and plane k marks the nodes whose offset has bit k.
type weightPlanes struct {
	base   int64
	planes []taskSet
	shifts []uint
}

func newWeightPlanes(w []int64) weightPlanes {
	p := weightPlanes{}
	if len(w) == 0 {
		return p
	}
	p.base = w[0]
	for _, x := range w {
		p.base = min(p.base, x)
	}
	var all uint64
	for _, x := range w {
		all |= uint64(x - p.base)
	}
	for k := uint(0); all>>k != 0; k++ {
		if all>>k&1 == 0 {
			continue
		}
		plane := newTaskSet(len(w))
		for i, x := range w {
			if uint64(x-p.base)>>k&1 == 1 {
				plane.add(int32(i))
			}
		}
		p.planes, p.shifts = append(p.planes, plane), append(p.shifts, k)
	}
	return p
}

func (p weightPlanes) sum(set taskSet) int64 {
	var count int64
	for _, x := range set {
		count += int64(bits.OnesCount64(x))
	}
	total := p.base * count
	for j, plane := range p.planes {
		var c int64
		for i, x := range set {
			c += int64(bits.OnesCount64(x & plane[i]))
		}
		total += c << p.shifts[j]
	}
	return total
}

func clampPriority(x int64) int {
	return int(max(min(x, maxPriority), minPriority))
}
