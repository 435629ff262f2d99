package scheduler_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

func TestClearFailedTaskRunsAgain(t *testing.T) {
	rg := newRig(t, map[string]string{"c": `dag_id: c
tasks:
  - id: need
    sensor: 'file_exists("/in/ok")'
    mounts: ["in:/in"]
    poke_interval: 50ms
    timeout: 100ms
  - id: after
    module: modules/echo.wasm
    args: ["ran"]
    upstream: [need]
`})
	run, tis := rg.trigger("c", nil)
	if tis["need"].State != tasks.StateFailed || tis["after"].State != tasks.StateUpstreamFailed || run.State != tasks.RunFailed {
		t.Fatalf("first run: %s %v", run.State, stateMap(tis))
	}
	write(t, filepath.Join(rg.dir, "in", "ok"), "")
	cleared, err := rg.sched.Clear(context.Background(), scheduler.ClearRequest{DagID: "c", RunID: run.RunID, TaskIDs: []string{"need", "after"}, OnlyFailed: true})
	if err != nil || fmt.Sprint(cleared) != "[after need]" {
		t.Fatalf("cleared %v, %v", cleared, err)
	}
	run, tis = rg.wait(run)
	if run.State != tasks.RunSuccess || tis["after"].State != tasks.StateSuccess || tis["need"].TryNumber != 2 {
		t.Errorf("after clear: %s %v, need at try %d", run.State, stateMap(tis), tis["need"].TryNumber)
	}
}

func TestBackfillTenDays(t *testing.T) {
	rg := newRig(t, map[string]string{"daily": `dag_id: daily
schedule: "@daily"
start_date: 2024-01-01
max_active_runs: 3
is_paused_upon_creation: true
tasks:
  - id: t
    module: modules/echo.wasm
    args: ["{{ ds }}"]
`})
	from, to := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 1, 10, 0, 0, 0, 0, time.UTC)
	runs, err := rg.sched.Backfill(context.Background(), "daily", from, to, "test")
	if err != nil || len(runs) != 10 {
		t.Fatalf("backfill created %d runs, %v", len(runs), err)
	}
	for _, r := range runs {
		ended, tis := rg.wait(r)
		if ended.State != tasks.RunSuccess || ended.RunType != "backfill" {
			t.Errorf("%s: %s %v", r.RunID, ended.State, stateMap(tis))
		}
		x, _ := rg.store.GetXCom(context.Background(), "daily", r.RunID, "t", "return_value")
		if string(x.Value) != r.LogicalDate.Format("2006-01-02") {
			t.Errorf("%s printed %q", r.RunID, x.Value)
		}
	}
	// A second backfill over the same range creates nothing.
	if again, err := rg.sched.Backfill(context.Background(), "daily", from, to, "test"); err != nil || len(again) != 0 {
		t.Errorf("repeated backfill created %d runs, %v", len(again), err)
	}
}

func TestScheduledRunsWithCatchup(t *testing.T) {
	start := time.Now().UTC().Add(-5 * time.Hour).Truncate(time.Hour)
	rg := newRig(t, map[string]string{"hourly": fmt.Sprintf(`dag_id: hourly
schedule: "@hourly"
start_date: %s
catchup: true
max_active_runs: 2
is_paused_upon_creation: false
tasks:
  - id: t
    module: modules/echo.wasm
`, start.Format(time.RFC3339)), "latest": fmt.Sprintf(`dag_id: latest
schedule: "@hourly"
start_date: %s
is_paused_upon_creation: false
tasks:
  - id: t
    module: modules/echo.wasm
`, start.Format(time.RFC3339)), "paused": fmt.Sprintf(`dag_id: paused
schedule: "@hourly"
start_date: %s
is_paused_upon_creation: true
tasks:
  - id: t
    module: modules/echo.wasm
`, start.Format(time.RFC3339))})
	var runs []scheduler.DagRun
	if !eventually(15*time.Second, func() bool {
		runs, _ = rg.store.ListDagRuns(context.Background(), "hourly", tasks.RunSuccess, 0)
		return len(runs) >= 5
	}) {
		t.Fatalf("catchup made %d successful runs in 15s, want 5", len(runs))
	}
	var ds []string
	for _, r := range runs {
		ds = append(ds, r.LogicalDate.Format("15:04"))
	}
	sort.Strings(ds)
	want := []string{}
	for i := 0; i < 5; i++ {
		want = append(want, start.Add(time.Duration(i)*time.Hour).Format("15:04"))
	}
	if fmt.Sprint(ds) != fmt.Sprint(want) {
		t.Errorf("catchup runs at %v, want %v", ds, want)
	}
	latest, _ := rg.store.ListDagRuns(context.Background(), "latest", "", 0)
	if len(latest) != 1 || !latest[0].LogicalDate.Equal(start.Add(4*time.Hour)) {
		t.Errorf("catchup off: runs %v, want one for the latest complete hour", latest)
	}
	if paused, _ := rg.store.ListDagRuns(context.Background(), "paused", "", 0); len(paused) != 0 {
		t.Errorf("a paused DAG got %d runs", len(paused))
	}
	d, _ := rg.store.GetDag(context.Background(), "hourly")
	if d.NextDagrun == nil || !d.NextDagrun.Equal(start.Add(5*time.Hour)) {
		t.Errorf("next_dagrun = %v, want %v", d.NextDagrun, start.Add(5*time.Hour))
	}
}

func TestPoolsAndMarking(t *testing.T) {
	rg := newRig(t, map[string]string{"p": `dag_id: p
tasks:
  - {id: slow1, module: modules/sleep.wasm, args: ["0.3"], pool: one, priority_weight: 1}
  - {id: slow2, module: modules/sleep.wasm, args: ["0.3"], pool: one, priority_weight: 5}
  - {id: stuck, module: modules/sleep.wasm, args: ["30"]}
  - {id: after_stuck, module: modules/echo.wasm, upstream: [stuck]}
`})
	if err := rg.store.SetPool(context.Background(), scheduler.Pool{Name: "one", Slots: 1}); err != nil {
		t.Fatal(err)
	}
	rg.restartWith(50*time.Millisecond, nil) // a starting scheduler reads the pools before its first step
	run, err := rg.sched.Trigger(context.Background(), "p", scheduler.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rg.until(run, func(m map[string]scheduler.TaskInstance) bool {
		return m["slow1"].State == tasks.StateRunning || m["slow2"].State == tasks.StateRunning
	})
	tis := rg.states(run)
	if tis["slow2"].State != tasks.StateRunning || tis["slow1"].State != tasks.StateScheduled {
		t.Errorf("with one slot, the higher priority runs first: %v", stateMap(tis))
	}
	why, _ := rg.sched.WhyNotRunning(context.Background(), "p", run.RunID)
	if why["slow1"] == "" {
		t.Errorf("no reason given for slow1 waiting: %v", why)
	}
	// Marking a running task failed stops it.
	key := scheduler.NewTIKey("p", run.RunID, "stuck")
	if err := rg.sched.MarkTask(context.Background(), key, tasks.StateFailed, "test"); err != nil {
		t.Fatal(err)
	}
	run, tis = rg.wait(run)
	if tis["stuck"].State != tasks.StateFailed || tis["after_stuck"].State != tasks.StateUpstreamFailed || tis["slow1"].State != tasks.StateSuccess {
		t.Errorf("after marking: %v", stateMap(tis))
	}
	if !tis["slow1"].StartDate.After(*tis["slow2"].StartDate) {
		t.Error("slow1 started before slow2 finished in a one-slot pool")
	}
	// Marking a finished run success sets what did not succeed.
	if err := rg.sched.MarkRun(context.Background(), "p", run.RunID, tasks.RunSuccess, "test"); err != nil {
		t.Fatal(err)
	}
	r, _ := rg.store.GetDagRun(context.Background(), "p", run.RunID)
	if r.State != tasks.RunSuccess {
		t.Errorf("marked run = %s", r.State)
	}
}

func TestDagrunTimeout(t *testing.T) {
	rg := newRig(t, map[string]string{"to": `dag_id: to
dagrun_timeout: 300ms
tasks:
  - {id: long, module: modules/sleep.wasm, args: ["30"]}
  - {id: next, module: modules/echo.wasm, upstream: [long]}
`})
	start := time.Now()
	run, tis := rg.trigger("to", nil)
	if run.State != tasks.RunFailed || tis["long"].State != tasks.StateSkipped || tis["next"].State != tasks.StateSkipped {
		t.Errorf("timed out run: %s %v", run.State, stateMap(tis))
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the run took %s to time out", took)
	}
}

func TestRunCreatedByAnotherProcess(t *testing.T) {
	rg := newRig(t, map[string]string{"ext": `dag_id: ext
tasks:
  - {id: t, module: modules/echo.wasm}
`})
	// The CLI writes a queued run straight into the metastore; the scheduler finds it.
	run, err := rg.store.CreateDagRun(context.Background(), scheduler.DagRun{DagID: "ext", RunID: "manual__cli", RunType: "manual",
		State: tasks.RunQueued, LogicalDate: time.Now().UTC()}, []scheduler.TaskInstance{{TaskID: "t", MaxTries: 1}})
	if err != nil {
		t.Fatal(err)
	}
	ended, tis := rg.wait(run)
	if ended.State != tasks.RunSuccess || tis["t"].State != tasks.StateSuccess {
		t.Errorf("external run: %s %v", ended.State, stateMap(tis))
	}
}

// A try a killed scheduler left running died with it (the local executor runs tries in its
// process): our crash, not the task's, so after the restart it runs again without using a
// retry, with or without retries left, and the lost try is in its history as interrupted.
func TestRecoveryRerunsLostTriesWithoutRetry(t *testing.T) {
	rg := newRig(t, map[string]string{"lost": `dag_id: lost
tasks:
  - {id: retried, module: modules/echo.wasm, retries: 1, retry_delay: 50ms}
  - {id: gone, module: modules/echo.wasm}
`})
	rg.stop()
	// A run as a crashed scheduler left it: both tries "running" with nobody running them.
	now := time.Now().UTC()
	run, err := rg.store.CreateDagRun(context.Background(), scheduler.DagRun{DagID: "lost", RunID: "manual__crash", RunType: "manual",
		State: tasks.RunRunning, LogicalDate: now, StartDate: &now}, []scheduler.TaskInstance{
		{TaskID: "retried", State: tasks.StateRunning, TryNumber: 1, MaxTries: 2, StartDate: &now},
		{TaskID: "gone", State: tasks.StateRunning, TryNumber: 1, MaxTries: 1, StartDate: &now}})
	if err != nil {
		t.Fatal(err)
	}
	rg.start()
	ended, tis := rg.wait(run)
	if ended.State != tasks.RunSuccess {
		t.Errorf("after recovery: run %s, %v", ended.State, stateMap(tis))
	}
	for id, maxTries := range map[string]int{"retried": 3, "gone": 2} {
		// Try 2 ran; the retries are all still there: max_tries grew by the lost try.
		if ti := tis[id]; ti.State != tasks.StateSuccess || ti.TryNumber != 2 || ti.MaxTries != maxTries {
			t.Errorf("%s: %s at try %d of %d, want success at try 2 of %d", id, ti.State, ti.TryNumber, ti.MaxTries, maxTries)
		}
		tries, err := rg.store.ListTaskTries(context.Background(), "lost", run.RunID, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(tries) != 2 || tries[0].State != tasks.StateFailed || !strings.Contains(tries[0].Reason, "the process running this try stopped") {
			t.Errorf("%s's tries: %+v, want try 1 failed as interrupted, then try 2", id, tries)
		}
	}
}
