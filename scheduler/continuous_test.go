package scheduler_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// @continuous: a run starts as soon as the one before ends, never two at once, each dated
// after the one before ended; it has no intervals to backfill.
func TestContinuousStartsTheNextRunWhenOneEnds(t *testing.T) {
	rg := newRig(t, map[string]string{"cont": `dag_id: cont
schedule: "@continuous"
start_date: 2024-01-01
max_active_runs: 1
is_paused_upon_creation: false
tasks:
  - id: a
    module: modules/echo.wasm
    args: ["{{ ts }}"]
`})
	ctx := context.Background()
	var runs []scheduler.DagRun
	if !eventually(15*time.Second, func() bool {
		runs, _ = rg.store.ListDagRuns(ctx, "cont", tasks.RunSuccess, 0)
		return len(runs) >= 3
	}) {
		t.Fatalf("%d runs of a continuous DAG ended in 15s", len(runs))
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].LogicalDate.Before(runs[j].LogicalDate) })
	for i := 1; i < len(runs); i++ {
		prev, r := runs[i-1], runs[i]
		if r.RunType != "scheduled" || r.StartDate.Before(*prev.EndDate) || r.LogicalDate.Before(*prev.EndDate) || !r.DataIntervalStart.Equal(prev.DataIntervalEnd) {
			t.Errorf("run %s (dated %v, started %v, from %v) after %s (ended %v, to %v): want one after the other",
				r.RunID, r.LogicalDate, r.StartDate, r.DataIntervalStart, prev.RunID, prev.EndDate, prev.DataIntervalEnd)
		}
	}
	if _, err := rg.sched.Backfill(ctx, "cont", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Now(), "test"); err == nil || !strings.Contains(err.Error(), "@continuous") {
		t.Errorf("backfill of a continuous DAG: %v, want it refused", err)
	}
}
