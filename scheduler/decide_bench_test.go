package scheduler

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/tasks"
)

// BenchmarkDecide15k is `make bench`'s dependency-decision figure: the scheduler's own pass
// over a run of 15,000 task instances (150 layers of 100, each task with two upstreams in
// the layer before), every one of them decided from its upstreams' states. The baseline,
// in the same run, is the bare trigger-rule evaluation of the same counts.
// Target: at least 50,000 decisions per second.
func BenchmarkDecide15k(b *testing.B) {
	// 15,000 tasks in flow style stay under the 1 MiB a DAG file may have (tasks.MaxFileBytes).
	const layers, width = 150, 100
	var src strings.Builder
	src.WriteString("dag_id: big\ntasks:\n")
	for l := 0; l < layers; l++ {
		for i := 0; i < width; i++ {
			if l == 0 {
				fmt.Fprintf(&src, "  - {id: t%d_%d, sensor: 'true'}\n", l, i)
				continue
			}
			fmt.Fprintf(&src, "  - {id: t%d_%d, sensor: 'true', upstream: [t%d_%d, t%d_%d]}\n", l, i, l-1, i, l-1, (i+1)%width)
		}
	}
	d, err := tasks.Parse("big.yaml", []byte(src.String()))
	if err != nil {
		b.Fatal(err)
	}
	// Every even layer succeeded: each of the 7,500 task instances of the odd layers is
	// decided from its upstreams' states (and may start).
	states := func() []TaskInstance {
		tis := make([]TaskInstance, 0, layers*width)
		for l := 0; l < layers; l++ {
			for i := 0; i < width; i++ {
				st := tasks.StateNone
				if l%2 == 0 {
					st = tasks.StateSuccess
				}
				tis = append(tis, TaskInstance{DagID: "big", RunID: "r", TaskID: fmt.Sprintf("t%d_%d", l, i), MapIndex: -1, State: st, MaxTries: 1})
			}
		}
		return tis
	}
	s := New(Config{Log: slog.New(slog.DiscardHandler), Dags: func() map[string]*tasks.DAG { return nil }})
	var sched, bare time.Duration
	decisions := 0
	for n := 0; n < b.N; n++ {
		r := newActiveRun(DagRun{DagID: "big", RunID: "r", State: tasks.RunRunning}, d, states())
		undecided := make([]*tasks.Task, 0, layers*width/2)
		for _, t := range r.order {
			if r.tis[t.TaskID][0].State == tasks.StateNone {
				undecided = append(undecided, t)
			}
		}
		start := time.Now()
		s.decideOnly(r)
		sched += time.Since(start)
		decisions += layers * width / 2 // the task instances in none
		start = time.Now()
		for _, t := range undecided {
			t.TriggerRule.Evaluate(r.upstreamCounts(t))
		}
		bare += time.Since(start)
		s.changes = newChangeSet()
	}
	b.ReportMetric(float64(decisions)/sched.Seconds(), "decisions/s")
	b.ReportMetric(float64(sched)/float64(bare), "x_bare_evaluate")
	b.ReportMetric(0, "ns/op")
}
