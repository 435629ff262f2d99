package tasks

import (
	"fmt"
	"math/rand"
	"testing"
	"time"
)

// weightTask is a task for priority tests: id, upstream ids, priority_weight, weight_rule.
type weightTask struct {
	id   string
	up   []string
	w    int
	rule string
}

// weightDAG builds a DAG the way the parser leaves it: byID set, Downstream filled from Upstream.
func weightDAG(ts []weightTask) *DAG {
	d := &DAG{DagID: "weights", byID: map[string]*Task{}}
	for _, wt := range ts {
		t := &Task{TaskID: wt.id, Upstream: wt.up, PriorityWeight: wt.w, WeightRule: wt.rule}
		d.Tasks = append(d.Tasks, t)
		d.byID[t.TaskID] = t
	}
	for _, t := range d.Tasks {
		for _, u := range t.Upstream {
			d.byID[u].Downstream = append(d.byID[u].Downstream, t.TaskID)
		}
	}
	return d
}

func TestPriorityWeightsDiamond(t *testing.T) {
	diamond := func(rule string) *DAG {
		return weightDAG([]weightTask{
			{"a", nil, 1, rule},
			{"b", []string{"a"}, 2, rule},
			{"c", []string{"a"}, 3, rule},
			{"d", []string{"b", "c"}, 4, rule},
		})
	}
	cases := []struct {
		rule string
		want map[string]int
	}{
		// d is a descendant of a through b and through c, and counts once: 1+2+3+4.
		{"downstream", map[string]int{"a": 10, "b": 6, "c": 7, "d": 4}},
		{"", map[string]int{"a": 10, "b": 6, "c": 7, "d": 4}}, // Airflow's else branch: downstream
		{"upstream", map[string]int{"a": 1, "b": 3, "c": 4, "d": 10}},
		{"absolute", map[string]int{"a": 1, "b": 2, "c": 3, "d": 4}},
	}
	for _, tc := range cases {
		got := diamond(tc.rule).PriorityWeights()
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("rule %q: %v, want %v", tc.rule, got, tc.want)
		}
	}
}

func TestPriorityWeightsMixedRules(t *testing.T) {
	// Each task sums the OWN weights of its relatives, whatever their rules (Airflow sums
	// dag.task_dict[id].priority_weight, not priority_weight_total).
	d := weightDAG([]weightTask{
		{"extract", nil, 5, "downstream"},
		{"transform", []string{"extract"}, 10, "absolute"},
		{"check", []string{"extract"}, 1, "upstream"},
		{"load", []string{"transform", "check"}, 100, "upstream"},
		{"report", []string{"load"}, 7, "downstream"},
	})
	want := map[string]int{"extract": 123, "transform": 10, "check": 6, "load": 116, "report": 7}
	if got := d.PriorityWeights(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestPriorityWeightsClampToInt32(t *testing.T) {
	d := weightDAG([]weightTask{
		{"a", nil, 1 << 30, "downstream"},
		{"b", []string{"a"}, 1 << 30, "downstream"},
		{"c", []string{"b"}, 1 << 30, "downstream"},
		{"n", nil, -1 << 40, "absolute"},
	})
	got := d.PriorityWeights()
	if got["a"] != 1<<31-1 || got["b"] != 1<<31-1 || got["c"] != 1<<30 || got["n"] != -1<<31 {
		t.Errorf("got %v, want a and b at 2147483647, c at 1073741824, n at -2147483648", got)
	}
}

// TestPriorityWeightsMatchBruteForce compares with own weight + the sum over Descendants or
// Ancestors on random DAGs with negative, zero and large weights and every rule.
func TestPriorityWeightsMatchBruteForce(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	rules := []string{"downstream", "upstream", "absolute", ""}
	for round := 0; round < 40; round++ {
		n := 1 + rng.Intn(150)
		density := rng.Float64() * 0.2
		var ts []weightTask
		for i := 0; i < n; i++ {
			wt := weightTask{id: fmt.Sprintf("t%03d", i), w: rng.Intn(2000) - 500, rule: rules[rng.Intn(len(rules))]}
			if round%4 == 0 {
				wt.w = 1 // the common case: every weight the default
			}
			for j := 0; j < i; j++ {
				if rng.Float64() < density {
					wt.up = append(wt.up, fmt.Sprintf("t%03d", j))
				}
			}
			ts = append(ts, wt)
		}
		rng.Shuffle(len(ts), func(i, j int) { ts[i], ts[j] = ts[j], ts[i] }) // file order is not topological
		d := weightDAG(ts)
		got := d.PriorityWeights()
		for _, task := range d.Tasks {
			want := task.PriorityWeight
			var rel []string
			switch task.WeightRule {
			case "absolute":
			case "upstream":
				rel = d.Ancestors(task.TaskID)
			default:
				rel = d.Descendants(task.TaskID)
			}
			for _, id := range rel {
				want += d.Task(id).PriorityWeight
			}
			if got[task.TaskID] != want {
				t.Fatalf("round %d, %s (%s): %d, want %d", round, task.TaskID, task.WeightRule, got[task.TaskID], want)
			}
		}
		if len(got) != len(d.Tasks) {
			t.Fatalf("round %d: %d weights for %d tasks", round, len(got), len(d.Tasks))
		}
	}
}

// priorityChain is t0 -> t1 -> ... -> t(n-1), every weight 1.
func priorityChain(n int, rule string) *DAG {
	ts := make([]weightTask, n)
	for i := range ts {
		ts[i] = weightTask{id: fmt.Sprintf("t%d", i), w: 1, rule: rule}
		if i > 0 {
			ts[i].up = []string{fmt.Sprintf("t%d", i-1)}
		}
	}
	return weightDAG(ts)
}

// priorityLadder has layers of width 3, each task downstream of every task of the layer above: every
// task has several children and parents, and about n descendants.
func priorityLadder(n int) *DAG {
	ts := make([]weightTask, n)
	for i := range ts {
		ts[i] = weightTask{id: fmt.Sprintf("t%d", i), w: 1 + i%5, rule: "downstream"}
		if layer := i / 3; layer > 0 {
			for j := 0; j < 3; j++ {
				ts[i].up = append(ts[i].up, fmt.Sprintf("t%d", (layer-1)*3+j))
			}
		}
	}
	return weightDAG(ts)
}

func TestPriorityWeightsLargeDAGs(t *testing.T) {
	const n = 10_000
	for _, rule := range []string{"downstream", "upstream"} {
		start := time.Now()
		got := priorityChain(n, rule).PriorityWeights()
		elapsed := time.Since(start)
		for i := 0; i < n; i++ {
			want := n - i // t_i and its n-1-i descendants
			if rule == "upstream" {
				want = i + 1
			}
			if got[fmt.Sprintf("t%d", i)] != want {
				t.Fatalf("%s chain t%d = %d, want %d", rule, i, got[fmt.Sprintf("t%d", i)], want)
			}
		}
		t.Logf("%d-task %s chain: %v", n, rule, elapsed)
	}
	start := time.Now()
	got := priorityLadder(n).PriorityWeights()
	t.Logf("%d-task ladder: %v", n, time.Since(start))
	// The top task's descendants are every task but its own layer.
	want := 0
	for i := 3; i < n; i++ {
		want += 1 + i%5
	}
	if got["t0"] != 1+want {
		t.Errorf("ladder t0 = %d, want %d", got["t0"], 1+want)
	}
}

func BenchmarkPriorityWeightsChain10k(b *testing.B) {
	d := priorityChain(10_000, "downstream")
	for b.Loop() {
		d.PriorityWeights()
	}
}

func BenchmarkPriorityWeightsLadder10k(b *testing.B) {
	d := priorityLadder(10_000)
	for b.Loop() {
		d.PriorityWeights()
	}
}
