package metastore

import (
	"fmt"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// TestViews: the grid's cells (one string-joined row per run, split back), the DAGs list's
// recent runs (the DAG ids as one JSON parameter) and run counts by state and the pools' usage (summed slots) read the
// same on either dialect, each of which spells these queries its own way.
func TestViews(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	if err := s.SyncDag(ctx, dag("g", "/dags/g.yaml"), nil, false); err != nil {
		t.Fatal(err)
	}
	day := func(d int) time.Time { return time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC) }
	ids := map[int]int64{}
	for d := 1; d <= 3; d++ {
		state := tasks.RunSuccess
		if d == 3 {
			state = tasks.RunRunning
		}
		run, err := s.CreateDagRun(ctx, scheduler.DagRun{DagID: "g", RunID: fmt.Sprintf("r%d", d), LogicalDate: day(d), State: state}, []scheduler.TaskInstance{
			{TaskID: "a", State: tasks.StateSuccess, TryNumber: 1, Duration: 1.5},
			{TaskID: "b", State: tasks.StateRunning, TryNumber: 2, Pool: "p", PoolSlots: 2},
			{TaskID: "c", State: tasks.StateQueued, PoolSlots: 3},
		})
		if err != nil {
			t.Fatal(err)
		}
		ids[d] = run.ID
	}

	cells, err := s.GridCells(ctx, "g", day(1), day(2))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]GridCell{}
	for _, c := range cells {
		got[fmt.Sprintf("%d/%s", c.Run, c.TaskID)] = c
	}
	if len(cells) != 6 || len(got) != 6 {
		t.Fatalf("GridCells of days 1-2 = %+v, want 3 cells of each of 2 runs", cells)
	}
	if a := got[fmt.Sprintf("%d/a", ids[2])]; a.State != tasks.StateSuccess || a.TryNumber != 1 || a.Duration != 1.5 {
		t.Errorf("cell a of r2 = %+v", a)
	}
	if b := got[fmt.Sprintf("%d/b", ids[1])]; b.State != tasks.StateRunning || b.TryNumber != 2 || b.Duration != 0 {
		t.Errorf("cell b of r1 = %+v", b)
	}

	recent, err := s.RecentRuns(ctx, []string{"g", "nope"}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if rs := recent["g"]; len(recent) != 1 || len(rs) != 2 || rs[0].RunID != "r3" || rs[1].RunID != "r2" || !rs[0].LogicalDate.Equal(day(3)) {
		t.Errorf("RecentRuns = %+v, want r3 and r2 of g", recent)
	} else if loc := rs[0].LogicalDate.Location(); loc != time.UTC {
		t.Errorf("a logical date reads back in %v, want UTC", loc)
	}

	counts, err := s.RunCounts(ctx, []string{"g", "nope"})
	if err != nil {
		t.Fatal(err)
	}
	if g := counts["g"]; len(counts) != 1 || len(g) != 2 || g["success"] != 2 || g["running"] != 1 {
		t.Errorf("RunCounts = %v, want g: 2 success, 1 running", counts)
	}

	usage, err := s.PoolUsage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if usage["p"] != (PoolUsage{Running: 6}) || usage[scheduler.DefaultPool] != (PoolUsage{Queued: 9}) || len(usage) != 2 {
		t.Errorf("PoolUsage = %+v, want p running 6 slots, default_pool queued 9", usage)
	}
}
