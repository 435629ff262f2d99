package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/scheduler/schedulertest"
	"github.com/wasmflow/wasmflow/tasks"
)

// whyNot polls the scheduler's reasons for a run until taskID's contains want.
func whyNot(t *testing.T, rg *rig, run scheduler.DagRun, taskID, want string) string {
	t.Helper()
	var why map[string]string
	var err error
	if !eventually(10*time.Second, func() bool {
		why, err = rg.sched.WhyNotRunning(context.Background(), run.DagID, run.RunID)
		return err != nil || strings.Contains(why[taskID], want)
	}) {
		t.Fatalf("%s of %s never waited for %q: reasons %v, states %v", taskID, run.RunID, want, why, stateMap(rg.states(run)))
	}
	if err != nil {
		t.Fatal(err)
	}
	return why[taskID]
}

func triggerAt(t *testing.T, rg *rig, dagID string, date time.Time) scheduler.DagRun {
	t.Helper()
	run, err := rg.sched.Trigger(context.Background(), dagID, scheduler.TriggerOptions{LogicalDate: date})
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// depends_on_past: a failure in the previous run holds the task back in the next one (the rest
// of that run goes on, and it is not taken for deadlocked); once the previous one is cleared
// and succeeds, it runs.
func TestDependsOnPastWaitsForThePreviousRun(t *testing.T) {
	rg := newRig(t, map[string]string{"dop": `dag_id: dop
tasks:
  - id: need
    sensor: 'file_exists("/in/ok")'
    mounts: ["in:/in"]
    poke_interval: 50ms
    timeout: 100ms
    depends_on_past: true
  - id: free
    module: modules/echo.wasm
    args: ["free"]
`})
	day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	first, tis := rg.wait(triggerAt(t, rg, "dop", day))
	if first.State != tasks.RunFailed || tis["need"].State != tasks.StateFailed {
		t.Fatalf("first run (never held back): %s %v", first.State, stateMap(tis))
	}
	write(t, filepath.Join(rg.dir, "in", "ok"), "")

	second := triggerAt(t, rg, "dop", day.AddDate(0, 0, 1))
	why := whyNot(t, rg, second, "need", first.RunID)
	if !strings.Contains(why, "depends_on_past") || !strings.Contains(why, "failed") {
		t.Errorf("reason = %q, want depends_on_past naming the failed task of %s", why, first.RunID)
	}
	rg.until(second, func(tis map[string]scheduler.TaskInstance) bool { return tis["free"].State == tasks.StateSuccess })
	if got, _ := rg.store.GetDagRun(context.Background(), "dop", second.RunID); got.State != tasks.RunRunning || rg.states(second)["need"].State != tasks.StateNone {
		t.Fatalf("held run: %s %v, want running with need in none", got.State, stateMap(rg.states(second)))
	}

	if _, err := rg.sched.Clear(context.Background(), scheduler.ClearRequest{DagID: "dop", RunID: first.RunID, TaskIDs: []string{"need"}}); err != nil {
		t.Fatal(err)
	}
	first, tis = rg.wait(first)
	if first.State != tasks.RunSuccess {
		t.Fatalf("first run after clear: %s %v", first.State, stateMap(tis))
	}
	second, after := rg.wait(second)
	if second.State != tasks.RunSuccess || after["need"].State != tasks.StateSuccess {
		t.Fatalf("second run once the first succeeded: %s %v", second.State, stateMap(after))
	}
	if after["need"].StartDate.Before(*tis["need"].EndDate) {
		t.Errorf("need started at %v in the second run, before it ended (%v) in the first", after["need"].StartDate, tis["need"].EndDate)
	}
}

// latest_only: the scheduled run of the latest interval runs the task; backfill runs of older
// intervals skip it (its all_success downstream follows; other tasks run); a manual run of an
// old date runs it.
func TestLatestOnlySkipsOlderIntervals(t *testing.T) {
	hour := time.Now().UTC().Truncate(time.Hour)
	if time.Until(hour.Add(time.Hour)) < 30*time.Second {
		t.Skip("the hour turns in a moment: the latest interval would move during the test")
	}
	start := hour.Add(-3 * time.Hour)
	rg := newRig(t, map[string]string{"lo": `dag_id: lo
schedule: "@hourly"
start_date: ` + start.Format(time.RFC3339) + `
max_active_runs: 3
is_paused_upon_creation: false
tasks:
  - id: fresh
    module: modules/echo.wasm
    args: ["fresh"]
    latest_only: true
  - id: after
    module: modules/echo.wasm
    args: ["after"]
    upstream: [fresh]
  - id: always
    module: modules/echo.wasm
    args: ["always"]
`})
	ctx := context.Background()
	var latest scheduler.DagRun
	if !eventually(10*time.Second, func() bool {
		runs, _ := rg.store.ListDagRuns(ctx, "lo", "", 0)
		if len(runs) > 0 {
			latest = runs[0]
		}
		return len(runs) > 0
	}) {
		t.Fatal("no scheduled run of the latest interval")
	}
	latest, tis := rg.wait(latest)
	if !latest.LogicalDate.Equal(hour.Add(-time.Hour)) || tis["fresh"].State != tasks.StateSuccess || tis["after"].State != tasks.StateSuccess {
		t.Errorf("latest run %s: %v, want every task success", latest.RunID, stateMap(tis))
	}

	backfill, err := rg.sched.Backfill(ctx, "lo", start, start.Add(time.Hour), "test")
	if err != nil || len(backfill) != 2 {
		t.Fatalf("backfill made %d runs, %v", len(backfill), err)
	}
	for _, r := range backfill {
		r, tis := rg.wait(r)
		if r.State != tasks.RunSuccess || tis["fresh"].State != tasks.StateSkipped || tis["after"].State != tasks.StateSkipped || tis["always"].State != tasks.StateSuccess {
			t.Errorf("backfill %s: %s %v, want fresh and after skipped, always success", r.RunID, r.State, stateMap(tis))
		}
		if !strings.Contains(tis["fresh"].Reason, "latest_only") {
			t.Errorf("backfill %s: fresh skipped for %q, want latest_only", r.RunID, tis["fresh"].Reason)
		}
	}

	manual, tis := rg.wait(triggerAt(t, rg, "lo", start.Add(-24*time.Hour)))
	if manual.State != tasks.RunSuccess || tis["fresh"].State != tasks.StateSuccess {
		t.Errorf("manual run of an old date: %s %v, want fresh success", manual.State, stateMap(tis))
	}
}

// A mapped task depends on the same map_index of the previous run: the instance that
// succeeded there runs, the one that failed waits until it is cleared there and succeeds.
func TestDependsOnPastPerMapIndex(t *testing.T) {
	rg := newRig(t, map[string]string{"dopm": `dag_id: dopm
tasks:
  - id: need
    expand: ["a", "b"]
    module: modules/file_exists.wasm
    args: ["/in/{{ item }}"]
    mounts: ["in:/in"]
    depends_on_past: true
`})
	if err := os.MkdirAll(filepath.Join(rg.dir, "in"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(rg.dir, "in", "a"), "")
	day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	first, _ := rg.wait(triggerAt(t, rg, "dopm", day))
	if got := mappedStates(t, rg, first); got != "[success failed]" {
		t.Fatalf("first run: %s %s", first.State, got)
	}
	second := triggerAt(t, rg, "dopm", day.AddDate(0, 0, 1))
	whyNot(t, rg, second, "need", "need[1] of the previous run "+first.RunID+" is failed")
	rg.until(second, func(map[string]scheduler.TaskInstance) bool { return mappedStates(t, rg, second) == "[success none]" })

	write(t, filepath.Join(rg.dir, "in", "b"), "")
	if _, err := rg.sched.Clear(context.Background(), scheduler.ClearRequest{DagID: "dopm", RunID: first.RunID, TaskIDs: []string{"need"},
		MapIndexes: map[string][]int{"need": {1}}}); err != nil {
		t.Fatal(err)
	}
	if first, _ = rg.wait(first); first.State != tasks.RunSuccess {
		t.Fatalf("first run after clear: %s %s", first.State, mappedStates(t, rg, first))
	}
	if second, _ = rg.wait(second); second.State != tasks.RunSuccess || mappedStates(t, rg, second) != "[success success]" {
		t.Fatalf("second run: %s %s", second.State, mappedStates(t, rg, second))
	}
}

// mappedStates lists the states of a run's task instances of "need" in map_index order.
func mappedStates(t *testing.T, rg *rig, run scheduler.DagRun) string {
	t.Helper()
	tis, err := rg.store.ListTaskInstances(context.Background(), run.DagID, run.RunID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ti := range tis {
		if ti.TaskID == "need" && ti.MapIndex >= 0 {
			for len(out) <= ti.MapIndex {
				out = append(out, "")
			}
			out[ti.MapIndex] = string(ti.State)
			if ti.State == tasks.StateNone {
				out[ti.MapIndex] = "none"
			}
		}
	}
	return fmt.Sprint(out)
}

// wait_for_downstream: the task waits until its direct downstream in the previous run ended
// success or skipped, not only itself.
func TestWaitForDownstream(t *testing.T) {
	rg := newRig(t, map[string]string{"wfd": `dag_id: wfd
tasks:
  - id: up
    module: modules/echo.wasm
    args: [up]
    wait_for_downstream: true
  - id: down
    sensor: 'file_exists("/in/ok")'
    mounts: ["in:/in"]
    poke_interval: 50ms
    timeout: 100ms
    upstream: [up]
`})
	day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	first, tis := rg.wait(triggerAt(t, rg, "wfd", day))
	if tis["up"].State != tasks.StateSuccess || tis["down"].State != tasks.StateFailed {
		t.Fatalf("first run: %v", stateMap(tis))
	}
	second := triggerAt(t, rg, "wfd", day.AddDate(0, 0, 1))
	whyNot(t, rg, second, "up", "wait_for_downstream: the downstream of up in the previous run "+first.RunID+" has not ended success or skipped: down=failed")
	write(t, filepath.Join(rg.dir, "in", "ok"), "")
	if _, err := rg.sched.Clear(context.Background(), scheduler.ClearRequest{DagID: "wfd", RunID: first.RunID, TaskIDs: []string{"down"}}); err != nil {
		t.Fatal(err)
	}
	rg.wait(first)
	if second, tis = rg.wait(second); second.State != tasks.RunSuccess {
		t.Fatalf("second run: %s %v", second.State, stateMap(tis))
	}
}

// A previous run changed in the metastore by another process (the CLI's mark, with no
// scheduler to ask) releases the task held back by it.
func TestDependsOnPastSeesAMarkMadeElsewhere(t *testing.T) {
	rg := newRig(t, map[string]string{"dopx": `dag_id: dopx
tasks:
  - id: need
    sensor: 'file_exists("/in/ok")'
    mounts: ["in:/in"]
    poke_interval: 50ms
    timeout: 100ms
    depends_on_past: true
`})
	day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	first, _ := rg.wait(triggerAt(t, rg, "dopx", day))
	write(t, filepath.Join(rg.dir, "in", "ok"), "")
	second := triggerAt(t, rg, "dopx", day.AddDate(0, 0, 1))
	whyNot(t, rg, second, "need", first.RunID+" is failed")
	if err := scheduler.MarkInStore(context.Background(), rg.store, first, scheduler.NewTIKey(first.DagID, first.RunID, "need"), tasks.StateSuccess, "elsewhere"); err != nil {
		t.Fatal(err)
	}
	if second, tis := rg.wait(second); second.State != tasks.RunSuccess {
		t.Fatalf("second run after the first was marked success: %s %v", second.State, stateMap(tis))
	}
}

// pastReads counts what depends_on_past reads of the metastore, and fails the first lookups
// of a previous run when told to.
type pastReads struct {
	*schedulertest.Store
	mu            sync.Mutex
	previous, tis int
	failFirst     int
}

func newPastReads(base scheduler.RunStore, failFirst int) *pastReads {
	s := &pastReads{Store: &schedulertest.Store{Base: base}, failFirst: failFirst}
	s.PreviousDagRunFunc = func(ctx context.Context, dagID string, logicalDate time.Time) (scheduler.DagRun, error) {
		s.mu.Lock()
		s.previous++
		fail := s.previous <= s.failFirst
		s.mu.Unlock()
		if fail {
			return scheduler.DagRun{}, errors.New("the metastore is away")
		}
		return base.PreviousDagRun(ctx, dagID, logicalDate)
	}
	s.ListTaskInstancesFunc = func(ctx context.Context, dagID, runID string) ([]scheduler.TaskInstance, error) {
		s.mu.Lock()
		s.tis++
		s.mu.Unlock()
		return base.ListTaskInstances(ctx, dagID, runID)
	}
	return s
}

// Forty depends_on_past tasks cost a run one lookup of its previous run, not one per task
// instance; a lookup that fails holds them back, saying so, until one succeeds.
func TestDependsOnPastReadsThePreviousRunOnce(t *testing.T) {
	var src strings.Builder
	src.WriteString("dag_id: many\ndefault_args: {depends_on_past: true}\ntasks:\n")
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&src, "  - {id: t%d, module: modules/echo.wasm, args: [x]}\n", i)
	}
	rg := newRig(t, map[string]string{"many": src.String()})
	day := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	if first, _ := rg.wait(triggerAt(t, rg, "many", day)); first.State != tasks.RunSuccess {
		t.Fatalf("first run: %s", first.State)
	}
	store := newPastReads(rg.store, 1)
	rg.restartWith(50*time.Millisecond, store)
	second := triggerAt(t, rg, "many", day.AddDate(0, 0, 1))
	whyNot(t, rg, second, "t0", "the previous run could not be read: the metastore is away")
	if second, tis := rg.wait(second); second.State != tasks.RunSuccess {
		t.Fatalf("second run: %s %v", second.State, stateMap(tis))
	}
	store.mu.Lock()
	defer store.mu.Unlock()
	// One failed lookup and one that succeeded; the previous run's task instances once, and
	// the run's own (created, and read back) a few times.
	if store.previous != 2 || store.tis > 4 {
		t.Errorf("%d lookups of the previous run and %d reads of task instances, for 40 tasks", store.previous, store.tis)
	}
}
