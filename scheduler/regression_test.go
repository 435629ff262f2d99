package scheduler_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/scheduler/schedulertest"
	"github.com/wasmflow/wasmflow/tasks"
)

// dagReads counts a store's GetDag calls, and its ListDags calls (one a poll).
type dagReads struct {
	*schedulertest.Store
	getDag, listDags atomic.Int64
}

// countDagReads wraps base in a fake that counts its DAG reads.
func countDagReads(base scheduler.RunStore) *dagReads {
	c := &dagReads{Store: &schedulertest.Store{Base: base}}
	c.GetDagFunc = func(ctx context.Context, id string) (scheduler.Dag, error) {
		c.getDag.Add(1)
		return base.GetDag(ctx, id)
	}
	c.ListDagsFunc = func(ctx context.Context, f scheduler.DagFilter) ([]scheduler.Dag, error) {
		c.listDags.Add(1)
		return base.ListDags(ctx, f)
	}
	return c
}

// restartWith restarts rg's scheduler with another poll interval / store.
func (rg *rig) restartWith(poll time.Duration, store scheduler.RunStore) {
	rg.stop()
	rg.startWith(poll, store)
}

func (rg *rig) waitFor(run scheduler.DagRun, d time.Duration) (scheduler.DagRun, bool) {
	rg.mu.Lock()
	c := rg.ch(run.DagID + "/" + run.RunID)
	rg.mu.Unlock()
	select {
	case ended := <-c:
		return ended, true
	case <-time.After(d):
		return run, false
	}
}

func (rg *rig) until(run scheduler.DagRun, cond func(map[string]scheduler.TaskInstance) bool) {
	rg.t.Helper()
	if !eventually(10*time.Second, func() bool { return cond(rg.states(run)) }) {
		rg.t.Fatalf("condition never met: %v", stateMap(rg.states(run)))
	}
}

// A retried expression sensor is evaluated again, not dispatched as if it had a module.
func TestExprSensorRetry(t *testing.T) {
	rg := newRig(t, map[string]string{"ra": `dag_id: ra
tasks:
  - id: s
    sensor: 'int(var("x", "abc")) > 0'
    poke_interval: 50ms
    retries: 1
    retry_delay: 500ms
`})
	run, err := rg.sched.Trigger(context.Background(), "ra", scheduler.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rg.until(run, func(m map[string]scheduler.TaskInstance) bool { return m["s"].State == tasks.StateUpForRetry })
	rg.store.SetVariable(context.Background(), scheduler.Variable{Key: "x", Value: "5"})
	ended, tis := rg.wait(run)
	if ended.State != tasks.RunSuccess {
		t.Errorf("run %s; s = %s try %d reason %q", ended.State, tis["s"].State, tis["s"].TryNumber, tis["s"].Reason)
	}
}

// A sensor waiting between pokes keeps poking after the scheduler restarts (the run is
// reloaded from the metastore) and after another task of its run is cleared.
func TestWaitingSensorSurvivesRestartAndClear(t *testing.T) {
	rg := newRig(t, map[string]string{"sb": `dag_id: sb
tasks:
  - id: wait
    sensor: 'file_exists("/in/go")'
    mounts: ["in:/in"]
    poke_interval: 50ms
    mode: reschedule
    timeout: 60s
  - {id: other, module: modules/echo.wasm}
`})
	run, err := rg.sched.Trigger(context.Background(), "sb", scheduler.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rg.until(run, func(m map[string]scheduler.TaskInstance) bool {
		return m["other"].State == tasks.StateSuccess && m["wait"].State == tasks.StateUpForReschedule
	})
	rg.restartWith(50*time.Millisecond, nil)
	if _, err := rg.sched.Clear(context.Background(), scheduler.ClearRequest{DagID: "sb", RunID: run.RunID, TaskIDs: []string{"other"}}); err != nil {
		t.Fatal(err)
	}
	// The file appears once the cleared task ran again beside the rescheduled sensor.
	rg.until(run, func(m map[string]scheduler.TaskInstance) bool {
		return m["other"].State == tasks.StateSuccess && m["other"].TryNumber == 2 && m["wait"].State == tasks.StateUpForReschedule
	})
	write(t, filepath.Join(rg.dir, "in", "go"), "")
	ended, ok := rg.waitFor(run, 5*time.Second)
	if !ok || ended.State != tasks.RunSuccess {
		t.Errorf("run did not end after the file appeared: %v", stateMap(rg.states(run)))
	}
}

// A clear the CLI files while the scheduler drives the run is applied by the scheduler itself,
// so it is never lost, even when the run ends before the next poll reads it.
func TestCLIClearCommandIsNeverLost(t *testing.T) {
	rg := newRig(t, map[string]string{"cd": `dag_id: cd
tasks:
  - {id: a, module: modules/echo.wasm}
  - {id: b, module: modules/sleep.wasm, args: ["0.3"]}
`})
	rg.restartWith(3*time.Second, nil) // a slower poll (the default is 1s) makes the window certain
	if err := scheduler.Started(context.Background(), rg.sched); err != nil {
		t.Fatal(err)
	}
	run, err := rg.sched.Trigger(context.Background(), "cd", scheduler.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rg.until(run, func(m map[string]scheduler.TaskInstance) bool {
		return m["a"].State == tasks.StateSuccess && m["b"].State == tasks.StateRunning
	})
	cmd, err := rg.store.AddCommand(context.Background(), scheduler.Command{Kind: "clear", DagID: "cd", RunID: run.RunID, TaskIDs: []string{"a"}, Owner: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	// The poll applies the command and the run ends (again, if it had ended before the poll).
	var c scheduler.Command
	var r scheduler.DagRun
	if !eventually(20*time.Second, func() bool {
		c, _ = rg.store.GetCommand(context.Background(), cmd.ID)
		r, _ = rg.store.GetDagRun(context.Background(), "cd", run.RunID)
		return c.DoneAt != nil && r.State.Finished()
	}) {
		t.Fatalf("after 20s: command done at %v, run %s, %v", c.DoneAt, r.State, stateMap(rg.states(run)))
	}
	tis := rg.states(run)
	t.Logf("run %s, a=%s try %d", r.State, tis["a"].State, tis["a"].TryNumber)
	if r.State.Finished() && tis["a"].State != tasks.StateSuccess {
		t.Errorf("run is %s but a is %s", r.State, tis["a"].State)
	}
	if tis["a"].TryNumber != 2 {
		t.Errorf("the cleared task did not run again (try %d)", tis["a"].TryNumber)
	}
	if c, err := rg.store.GetCommand(context.Background(), cmd.ID); err != nil || c.DoneAt == nil || c.Result != "cleared [a]" {
		t.Errorf("command = %+v, %v", c, err)
	}
}

// Clearing a finished run restarts its dagrun_timeout clock (Airflow resets start_date). The
// scheduler's clock stands still but for the step past the timeout after the first run.
func TestClearRestartsDagrunTimeout(t *testing.T) {
	clock := &testClock{now: time.Now().UTC()}
	rg := newRig(t, map[string]string{"te": `dag_id: te
dagrun_timeout: 1s
tasks:
  - {id: f, module: modules/flaky.wasm, args: ["2"]}
`}, func(rg *rig) { rg.now = clock.Now })
	run, tis := rg.trigger("te", nil)
	if run.State != tasks.RunFailed {
		t.Fatalf("first run %s %v", run.State, stateMap(tis))
	}
	clock.Add(1200 * time.Millisecond)
	if _, err := rg.sched.Clear(context.Background(), scheduler.ClearRequest{DagID: "te", RunID: run.RunID, TaskIDs: []string{"f"}}); err != nil {
		t.Fatal(err)
	}
	ended, tis := rg.wait(run)
	if ended.State != tasks.RunSuccess {
		t.Errorf("after clear: run %s, f = %s try %d (%s)", ended.State, tis["f"].State, tis["f"].TryNumber, tis["f"].Reason)
	}
}

// The XComs of a failed try are gone before the next try, also with retry_delay 0.
func TestStaleXComWithZeroRetryDelay(t *testing.T) {
	rg := newRig(t, map[string]string{"xf": `dag_id: xf
tasks:
  - id: w
    module: modules/xcom_write.wasm
    args: ['{{ try_number == 1 ? "stale=yes" : "fresh=yes" }}', '{{ try_number == 1 ? "bad" : "also=yes" }}']
    retries: 1
    retry_delay: 0s
`})
	run, tis := rg.trigger("xf", nil)
	if tis["w"].State != tasks.StateSuccess || tis["w"].TryNumber != 2 {
		t.Fatalf("w = %s try %d", tis["w"].State, tis["w"].TryNumber)
	}
	if x, err := rg.store.GetXCom(context.Background(), "xf", run.RunID, "w", "stale"); err == nil {
		t.Errorf("XCom of the failed try 1 is still there after try 2: stale=%q", x.Value)
	}
}

// A task instance whose task left the DAG is removed, and its run ends.
func TestOrphanTaskInstanceRemoved(t *testing.T) {
	rg := newRig(t, map[string]string{"og": `dag_id: og
tasks:
  - {id: t, module: modules/echo.wasm}
`})
	run, err := rg.store.CreateDagRun(context.Background(), scheduler.DagRun{DagID: "og", RunID: "manual__old", RunType: "manual",
		State: tasks.RunQueued, LogicalDate: time.Now().UTC()}, []scheduler.TaskInstance{{TaskID: "t", MaxTries: 1}, {TaskID: "gone_from_dag", MaxTries: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rg.waitFor(run, 3*time.Second); !ok {
		t.Errorf("run never ended: %v", stateMap(rg.states(run)))
	}
	if st := rg.states(run)["gone_from_dag"].State; st != tasks.StateRemoved {
		t.Errorf("gone_from_dag = %s, want removed", st)
	}
}

// A step does not re-plan every scheduled DAG: a busy run costs no query, timer or look at
// the schedules per step. The poll is an hour and the clock stopped, so every look at the
// schedules in the window is one the run caused (its trigger, its end), and the window opens
// and closes on an idle scheduler, so the 20 scheduled DAGs' first runs are not in it.
func TestNoPlanningPerStep(t *testing.T) {
	rg := newRig(t, scheduledDags(20, map[string]string{"busy": busyDag(200)}))
	cs := countDagReads(rg.store)
	rg.now = noonToday()
	rg.restartWith(time.Hour, cs)
	rg.untilIdle()
	for i := 0; i < 20; i++ {
		if d, err := rg.store.GetDag(context.Background(), "daily"+itoa(i)); err != nil || d.NextDagrun == nil {
			t.Fatalf("daily%s has no next run planned when the scheduler is idle: %+v, %v", itoa(i), d, err)
		}
	}
	queries, timers, looks := cs.getDag.Load(), scheduler.TimerLen(context.Background(), rg.sched), rg.dagsCalls.Load()
	run, err := rg.sched.Trigger(context.Background(), "busy", scheduler.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ended, _ := rg.wait(run); ended.State != tasks.RunSuccess {
		t.Fatalf("busy run %s: %v", ended.State, stateMap(rg.states(run)))
	}
	rg.untilIdle()
	queries, looks = cs.getDag.Load()-queries, rg.dagsCalls.Load()-looks
	// 200 tries at parallelism 8 take at least 25 steps. The trigger reads the DagBag once, and
	// the run's creation and its end each ask for one look at the schedules (two reads): 5.
	if queries > 0 || looks > 10 {
		t.Errorf("a 200-task run beside 20 scheduled DAGs cost %d GetDag queries and read the DagBag %d times (at most 10: no look at the schedules per step)", queries, looks)
	}
	if n := scheduler.TimerLen(context.Background(), rg.sched); n > timers {
		t.Errorf("a 200-task run beside 20 scheduled DAGs grew the timer heap %d -> %d", timers, n)
	}
}

// Every poll looks at the DAG schedules; doing so again must not push another timer per
// scheduled DAG, or the heap grows by the number of scheduled DAGs every poll, for ever.
func TestTimersDoNotGrowPerPoll(t *testing.T) {
	rg := newRig(t, scheduledDags(20, nil))
	cs := countDagReads(rg.store)
	rg.now = noonToday()
	rg.restartWith(20*time.Millisecond, cs)
	rg.untilIdle()
	timers, polls := scheduler.TimerLen(context.Background(), rg.sched), cs.listDags.Load()
	rg.untilCount(&cs.listDags, polls+20, "polls")
	n := scheduler.TimerLen(context.Background(), rg.sched)
	if n > timers {
		t.Errorf("20 polls beside 20 scheduled DAGs grew the timer heap %d -> %d", timers, n)
	}
}

// scheduledDags adds to dags n @daily DAGs, daily000 on, unpaused, whose last interval ended
// before now, so each gets a run at start and a next run planned for tomorrow.
func scheduledDags(n int, dags map[string]string) map[string]string {
	if dags == nil {
		dags = map[string]string{}
	}
	start := time.Now().UTC().Add(-48 * time.Hour).Truncate(24 * time.Hour)
	for i := 0; i < n; i++ {
		id := "daily" + itoa(i)
		dags[id] = "dag_id: " + id + "\nschedule: \"@daily\"\nstart_date: " + start.Format(time.RFC3339) + "\nis_paused_upon_creation: false\ntasks:\n  - {id: t, module: modules/echo.wasm}\n"
	}
	return dags
}

// noonToday is a clock stopped at noon UTC today: the @daily DAGs of scheduledDags have had
// their run for yesterday, and none falls due while a test runs, even across midnight.
func noonToday() func() time.Time {
	noon := time.Now().UTC().Truncate(24 * time.Hour).Add(12 * time.Hour)
	return func() time.Time { return noon }
}

// busyDag is the DAG "busy" of n independent echo tasks.
func busyDag(n int) string {
	src := "dag_id: busy\nmax_active_tasks: 100\ntasks:\n"
	for i := 0; i < n; i++ {
		src += "  - {id: t" + itoa(i) + ", module: modules/echo.wasm}\n"
	}
	return src
}

// untilIdle waits until the scheduler has nothing left to do now (scheduler.Idle).
func (rg *rig) untilIdle() {
	rg.t.Helper()
	if !eventually(20*time.Second, func() bool { return scheduler.Idle(context.Background(), rg.sched) }) {
		rg.t.Fatal("the scheduler still has work after 20s")
	}
}

// untilCount waits until counter c reaches n.
func (rg *rig) untilCount(c *atomic.Int64, n int64, what string) {
	rg.t.Helper()
	if !eventually(20*time.Second, func() bool { return c.Load() >= n }) {
		rg.t.Fatalf("%s: %d after 20s, waited for %d", what, c.Load(), n)
	}
}

func itoa(i int) string {
	return string(rune('0'+i/100%10)) + string(rune('0'+i/10%10)) + string(rune('0'+i%10))
}

// Airflow's skip_all_except does not skip a direct downstream that is also downstream of a
// chosen task (the "empty branch" join).
func TestBranchJoin(t *testing.T) {
	rg := newRig(t, map[string]string{"bj": `dag_id: bj
tasks:
  - id: choose
    branch: '["a"]'
  - {id: a, module: modules/echo.wasm, upstream: [choose]}
  - id: join
    module: modules/echo.wasm
    upstream: [choose, a]
    trigger_rule: none_failed_min_one_success
`})
	_, tis := rg.trigger("bj", nil)
	if tis["join"].State != tasks.StateSuccess {
		t.Errorf("join = %s (%s), Airflow runs it", tis["join"].State, tis["join"].Reason)
	}
}

// A try that fails while being dispatched (a template error) still lets its run end.
func TestRenderFailureEndsRun(t *testing.T) {
	rg := newRig(t, map[string]string{"rf": `dag_id: rf
tasks:
  - id: bad
    module: modules/echo.wasm
    args: ['{{ int(var("v", "abc")) }}']
  - {id: after, module: modules/echo.wasm, upstream: [bad]}
`})
	run, err := rg.sched.Trigger(context.Background(), "rf", scheduler.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rg.waitFor(run, 3*time.Second); !ok {
		r, _ := rg.store.GetDagRun(context.Background(), "rf", run.RunID)
		t.Errorf("run is still %s: %v (bad: %q)", r.State, stateMap(rg.states(run)), rg.states(run)["bad"].Reason)
	}
}

// Waiting retries do not push a timer on every evaluation.
func TestTimersDoNotGrowWhileWaiting(t *testing.T) {
	src := "dag_id: tr\nmax_active_tasks: 100\ntasks:\n"
	for i := 0; i < 20; i++ {
		src += "  - {id: f" + itoa(i) + ", module: modules/exit.wasm, args: [\"1\"], retries: 1, retry_delay: 1h}\n"
	}
	for i := 0; i < 200; i++ {
		src += "  - {id: t" + itoa(i) + ", module: modules/echo.wasm}\n"
	}
	rg := newRig(t, map[string]string{"tr": src})
	run, err := rg.sched.Trigger(context.Background(), "tr", scheduler.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rg.until(run, func(m map[string]scheduler.TaskInstance) bool { // every f failed once, every t done
		for id, ti := range m {
			want := tasks.StateSuccess
			if strings.HasPrefix(id, "f") {
				want = tasks.StateUpForRetry
			}
			if ti.State != want {
				return false
			}
		}
		return true
	})
	if n := scheduler.TimerLen(context.Background(), rg.sched); n > 50 {
		t.Errorf("timer heap with 20 retries waiting: %d entries", n)
	}
}

// A run whose DAG was not parsed when the scheduler started has its lost tries failed when
// the DAG comes back.
func TestLostTryFailedWhenDagComesBack(t *testing.T) {
	src := `dag_id: back
tasks:
  - {id: t, module: modules/echo.wasm}
`
	rg := newRig(t, map[string]string{"back": src})
	rg.stop()
	now := time.Now().UTC()
	run, err := rg.store.CreateDagRun(context.Background(), scheduler.DagRun{DagID: "back", RunID: "manual__crash", RunType: "manual",
		State: tasks.RunRunning, LogicalDate: now, StartDate: &now}, []scheduler.TaskInstance{
		{TaskID: "t", State: tasks.StateRunning, TryNumber: 1, MaxTries: 1, StartDate: &now}})
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(rg.dir, "back.yaml"))
	syncOnce(t, rg.sync)
	rg.restartWith(50*time.Millisecond, nil)
	if err := scheduler.Started(context.Background(), rg.sched); err != nil { // it recovered the run without its DAG
		t.Fatal(err)
	}
	write(t, filepath.Join(rg.dir, "back.yaml"), src)
	syncOnce(t, rg.sync)
	rg.sched.Wake()
	if _, ok := rg.waitFor(run, 3*time.Second); !ok {
		t.Errorf("run never ended: %v", stateMap(rg.states(run)))
	}
}

// BenchmarkChain100With50Dags is the chain benchmark beside 50 unpaused @daily DAGs whose next
// run is not due: their presence must not cost every step.
func BenchmarkChain100With50Dags(b *testing.B) {
	dir, module := noopDag(b, 100, true)
	today := time.Now().UTC().Truncate(24 * time.Hour)
	for i := 0; i < 50; i++ {
		id := "daily" + itoa(i)
		os.WriteFile(filepath.Join(dir, id+".yaml"), []byte("dag_id: "+id+"\nschedule: \"@daily\"\nstart_date: "+today.Format(time.RFC3339)+
			"\nis_paused_upon_creation: false\ntasks:\n  - {id: t, module: noop.wasm}\n"), 0o644)
	}
	var sched, bare time.Duration
	for i := 0; i < b.N; i++ {
		sched += runThrough(b, dir, 32)
		bare += bareRuns(b, module, 100)
	}
	n := float64(b.N * 100)
	b.ReportMetric(float64(sched-bare)/n/1e3, "µs_overhead/task")
	b.ReportMetric(0, "ns/op")
}

func BenchmarkIndependent5000(b *testing.B) {
	dir, _ := noopDag(b, 5000, false)
	var sched time.Duration
	for i := 0; i < b.N; i++ {
		sched += runThrough(b, dir, 64)
	}
	b.ReportMetric(float64(b.N*5000)/sched.Seconds(), "tasks/s")
	b.ReportMetric(0, "ns/op")
}

// A DAG file that appears while the scheduler runs is paused until its row says otherwise
// (core.dags_are_paused_at_creation): it must get no scheduled run meanwhile.
func TestNewDagFileStaysPaused(t *testing.T) {
	rg := newRig(t, map[string]string{"first": "dag_id: first\ntasks:\n  - {id: t, module: modules/echo.wasm}\n"})
	rg.sync.PausedAtCreation = true
	write(t, filepath.Join(rg.dir, "late.yaml"), "dag_id: late\nschedule: \"* * * * *\"\nstart_date: 2026-01-01\ncatchup: true\ntasks:\n  - {id: t, module: modules/echo.wasm}\n")
	syncOnce(t, rg.sync)
	rg.sched.Wake()
	// Idle once the wake's look at the schedules is done; a run of "late" would keep it busy.
	if !eventually(20*time.Second, func() bool {
		if runs, _ := rg.store.ListDagRuns(context.Background(), "late", "", 0); len(runs) != 0 {
			t.Fatalf("a paused new DAG got %d runs", len(runs))
		}
		return scheduler.Idle(context.Background(), rg.sched)
	}) {
		t.Fatal("the scheduler still has work after 20s")
	}
	if runs, _ := rg.store.ListDagRuns(context.Background(), "late", "", 0); len(runs) != 0 {
		t.Fatalf("a paused new DAG got %d runs", len(runs))
	}
}

// A task that needs more slots than its pool has waits, and says why on the task instance.
func TestImpossiblePoolSaysWhy(t *testing.T) {
	// The pool is there before the scheduler starts, so its first poll (before any trigger)
	// reads it.
	rg := newRig(t, map[string]string{"big": "dag_id: big\ntasks:\n  - {id: t, module: modules/echo.wasm, pool: small, pool_slots: 2}\n  - {id: u, module: modules/echo.wasm, pool: nowhere}\n"},
		func(rg *rig) { rg.store.SetPool(context.Background(), scheduler.Pool{Name: "small", Slots: 1}) })
	run, err := rg.sched.Trigger(context.Background(), "big", scheduler.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rg.until(run, func(m map[string]scheduler.TaskInstance) bool {
		return m["t"].Reason == "waiting: it needs 2 slots and pool small has only 1; resize the pool" &&
			strings.Contains(m["u"].Reason, `pool "nowhere" does not exist`)
	})
}
