package metastore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// PreviousDagRun is the run just before a logical date, of any type but test, of that DAG only.
func TestPreviousDagRun(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	for _, id := range []string{"a", "b"} {
		if err := s.SyncDag(ctx, dag(id, "/dags/"+id+".yaml"), nil, false); err != nil {
			t.Fatal(err)
		}
	}
	day := func(d int) time.Time { return time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC) }
	for _, r := range []struct {
		dag, typ string
		day      int
	}{{"a", "scheduled", 1}, {"a", "manual", 2}, {"a", "test", 3}, {"b", "scheduled", 3}, {"a", "backfill", 5}} {
		run := scheduler.DagRun{DagID: r.dag, RunID: scheduler.RunID(r.typ, day(r.day)), RunType: r.typ, State: tasks.RunSuccess,
			LogicalDate: day(r.day), DataIntervalStart: day(r.day), DataIntervalEnd: day(r.day + 1)}
		if _, err := s.CreateDagRun(ctx, run, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		before int
		want   string
	}{{5, "manual__2024-01-02T00:00:00+00:00"}, {2, "scheduled__2024-01-01T00:00:00+00:00"}, {6, "backfill__2024-01-05T00:00:00+00:00"}} {
		got, err := s.PreviousDagRun(ctx, "a", day(c.before))
		if err != nil || got.RunID != c.want {
			t.Errorf("before day %d: %q, %v; want %s", c.before, got.RunID, err, c.want)
		}
	}
	if _, err := s.PreviousDagRun(ctx, "a", day(1)); !errors.Is(err, scheduler.ErrNotFound) {
		t.Errorf("before the first run: %v, want ErrNotFound", err)
	}
}
