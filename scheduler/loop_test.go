package scheduler_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/cluster"
	"github.com/wasmflow/wasmflow/runtime"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/scheduler/metastore"
	"github.com/wasmflow/wasmflow/tasks"
)

// rig is a real scheduler on a real metastore and the local executor, over a DAG folder that
// has the example modules in modules/.
type rig struct {
	t      *testing.T
	dir    string
	store  *metastore.Store
	sync   *scheduler.DagSyncer
	sched  *scheduler.Scheduler
	cancel context.CancelFunc
	done   chan error

	mu       sync.Mutex
	finished map[string]chan scheduler.DagRun
	// dagsCalls counts the scheduler's reads of the DagBag (Config.Dags): a look at the DAG
	// schedules reads it, an ordinary step does not.
	dagsCalls atomic.Int64
	// now, if set, is the clock of the schedulers started next (default: time.Now).
	now func() time.Time
	// cacheDir, if set, is the compilation cache of the runtimes started next (default: one
	// in dir): the operator modules' shared one spares each test a cold compile.
	cacheDir string
}

func newRig(t *testing.T, dags map[string]string, opts ...func(*rig)) *rig {
	t.Helper()
	dir := t.TempDir()
	mods, _ := filepath.Glob(filepath.Join("..", "examples", "dags", "modules", "*.wasm"))
	os.MkdirAll(filepath.Join(dir, "modules"), 0o755)
	for _, m := range mods {
		b, _ := os.ReadFile(m)
		os.WriteFile(filepath.Join(dir, "modules", filepath.Base(m)), b, 0o644)
	}
	for name, src := range dags {
		write(t, filepath.Join(dir, name+".yaml"), src)
	}
	rg := &rig{t: t, dir: dir, store: openStore(t), finished: map[string]chan scheduler.DagRun{}}
	for _, o := range opts {
		o(rg)
	}
	rg.sync = &scheduler.DagSyncer{Store: rg.store, Folders: []string{dir}}
	rep := syncOnce(t, rg.sync)
	if rep.Errors > 0 {
		errs, _ := rg.store.ListImportErrors(context.Background())
		t.Fatalf("DAGs do not parse: %+v", errs)
	}
	rg.start()
	return rg
}

func (rg *rig) start() { rg.startWith(50*time.Millisecond, nil) }

// startWith starts the rig's scheduler with a poll interval and a store (nil: the rig's own).
func (rg *rig) startWith(poll time.Duration, store scheduler.RunStore) {
	cache := rg.cacheDir
	if cache == "" {
		cache = filepath.Join(rg.dir, ".cache")
	}
	r, err := runtime.New(context.Background(), runtime.Config{CacheDir: cache})
	if err != nil {
		rg.t.Fatal(err)
	}
	if store == nil {
		store = rg.store
	}
	rg.sched = scheduler.New(scheduler.Config{
		Store: store, Executor: &cluster.LocalExecutor{Runner: r, LogsFolder: filepath.Join(rg.dir, ".logs")},
		Dags:        func() map[string]*tasks.DAG { rg.dagsCalls.Add(1); return rg.sync.Dags() },
		Parallelism: 8, Poll: poll, Now: rg.now,
		OnRunFinished: func(run scheduler.DagRun) {
			rg.mu.Lock()
			defer rg.mu.Unlock()
			rg.ch(run.DagID + "/" + run.RunID) <- run
			select { // for tests that wait for a run they did not make (dataset-triggered)
			case rg.ch(run.DagID) <- run:
			default:
			}
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	rg.cancel, rg.done = cancel, make(chan error, 1)
	go func() { rg.done <- rg.sched.Run(ctx, 5*time.Second); r.Close(context.Background()) }()
	rg.t.Cleanup(rg.stop)
}

func (rg *rig) stop() {
	if rg.cancel != nil {
		rg.cancel()
		if err := <-rg.done; err != nil {
			rg.t.Errorf("scheduler stopped with %v", err)
		}
		rg.cancel = nil
	}
}

func (rg *rig) ch(key string) chan scheduler.DagRun {
	c := rg.finished[key]
	if c == nil {
		c = make(chan scheduler.DagRun, 4)
		rg.finished[key] = c
	}
	return c
}

// trigger starts a manual run and waits until it ends.
func (rg *rig) trigger(dagID string, conf map[string]any) (scheduler.DagRun, map[string]scheduler.TaskInstance) {
	rg.t.Helper()
	run, err := rg.sched.Trigger(context.Background(), dagID, scheduler.TriggerOptions{Conf: conf,
		LogicalDate: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		rg.t.Fatal(err)
	}
	return rg.wait(run)
}

func (rg *rig) wait(run scheduler.DagRun) (scheduler.DagRun, map[string]scheduler.TaskInstance) {
	rg.t.Helper()
	rg.mu.Lock()
	c := rg.ch(run.DagID + "/" + run.RunID)
	rg.mu.Unlock()
	select {
	case ended := <-c:
		return ended, rg.states(run)
	case <-time.After(20 * time.Second):
		rg.t.Fatalf("run %s did not end; task instances: %v", run.RunID, rg.states(run))
	}
	return run, nil
}

func (rg *rig) states(run scheduler.DagRun) map[string]scheduler.TaskInstance {
	tis, err := rg.store.ListTaskInstances(context.Background(), run.DagID, run.RunID)
	if err != nil {
		rg.t.Fatal(err)
	}
	out := map[string]scheduler.TaskInstance{}
	for _, ti := range tis {
		out[ti.TaskID] = ti
	}
	return out
}

func stateMap(tis map[string]scheduler.TaskInstance) map[string]string {
	out := map[string]string{}
	for id, ti := range tis {
		out[id] = string(ti.State)
	}
	return out
}

func TestTriggerRulesEndToEnd(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "examples", "dags", "example_trigger_rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rg := newRig(t, map[string]string{"rules": string(src)})
	run, tis := rg.trigger("example_trigger_rules", nil)
	// Airflow's outcomes with upstreams success, failed and skipped (AIRFLOW.md's table).
	want := map[string]string{
		"succeeds": "success", "fails": "failed", "skips": "skipped",
		"all_success": "upstream_failed", "all_failed": "skipped", "all_done": "success",
		"all_skipped": "skipped", "one_success": "success", "one_failed": "success",
		"one_done": "success", "none_failed": "upstream_failed",
		"none_failed_min_one_success": "success", "none_skipped": "skipped", "always": "success",
	}
	got := stateMap(tis)
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s = %s, want %s", id, got[id], w)
		}
	}
	if run.State != tasks.RunFailed {
		t.Errorf("run = %s, want failed (leaves upstream_failed)", run.State)
	}
}

const pipeline = `dag_id: pipe
params: {n: 20}
tasks:
  - id: extract
    module: modules/sum.wasm
    args: ["{{ params.n }}", "22"]
  - id: transform
    module: modules/sum.wasm
    args: ["{{ xcom(\"extract\") }}", "{{ xcom(\"extract\") }}"]
    upstream: [extract]
  - id: load
    module: modules/echo.wasm
    args: ["loaded {{ xcom(\"transform\") }} on {{ ds }} try {{ try_number }}"]
    upstream: [transform]
`

func TestPipelineWithXComsAndConf(t *testing.T) {
	rg := newRig(t, map[string]string{"pipe": pipeline})
	run, tis := rg.trigger("pipe", map[string]any{"n": 50})
	if run.State != tasks.RunSuccess {
		t.Fatalf("run %s: %v", run.State, stateMap(tis))
	}
	x, err := rg.store.GetXCom(context.Background(), "pipe", run.RunID, "load", "return_value")
	if err != nil || string(x.Value) != "loaded 144 on 2024-03-01 try 1" {
		t.Errorf("load's return_value = %q, %v; want conf n=50 -> 72 -> 144", x.Value, err)
	}
	for _, ti := range tis {
		if ti.TryNumber != 1 || ti.StartDate == nil || ti.EndDate == nil || ti.EndDate.Before(*ti.StartDate) {
			t.Errorf("%s: try %d, %v..%v", ti.TaskID, ti.TryNumber, ti.StartDate, ti.EndDate)
		}
	}
	tries, _ := rg.store.ListTaskTries(context.Background(), "pipe", run.RunID, "load")
	if len(tries) != 1 || tries[0].State != tasks.StateSuccess {
		t.Errorf("history of load = %+v", tries)
	}
	log, err := os.ReadFile(cluster.LogPath(filepath.Join(rg.dir, ".logs"), scheduler.NewTIKey("pipe", run.RunID, "load"), 1))
	if err != nil || !strings.Contains(string(log), "loaded 144") {
		t.Errorf("log of load: %q, %v", log, err)
	}
}

func TestRetriesUntilSuccess(t *testing.T) {
	rg := newRig(t, map[string]string{"flaky": `dag_id: flaky
tasks:
  - id: flaky
    module: modules/flaky.wasm
    args: ["3"]
    retries: 3
    retry_delay: 100ms
  - id: never_enough
    module: modules/flaky.wasm
    args: ["5"]
    retries: 1
    retry_delay: 100ms
`})
	run, tis := rg.trigger("flaky", nil)
	if tis["flaky"].State != tasks.StateSuccess || tis["flaky"].TryNumber != 3 {
		t.Errorf("flaky = %s after %d tries, want success on the 3rd", tis["flaky"].State, tis["flaky"].TryNumber)
	}
	if tis["never_enough"].State != tasks.StateFailed || tis["never_enough"].TryNumber != 2 {
		t.Errorf("never_enough = %s after %d tries, want failed after 2", tis["never_enough"].State, tis["never_enough"].TryNumber)
	}
	tries, _ := rg.store.ListTaskTries(context.Background(), "flaky", run.RunID, "flaky")
	if len(tries) != 3 || tries[0].State != tasks.StateFailed || tries[2].State != tasks.StateSuccess {
		t.Errorf("history = %+v, want failed, failed, success", tries)
	}
	if run.State != tasks.RunFailed {
		t.Errorf("run = %s, want failed", run.State)
	}
}

func TestSensorBranchRunIfTimeout(t *testing.T) {
	rg := newRig(t, map[string]string{"mix": `dag_id: mix
params: {threshold: 10}
tasks:
  - id: wait
    sensor: 'file_exists("/in/" + ds + ".csv")'
    mounts: ["in:/in:ro"]
    poke_interval: 100ms
    mode: reschedule
  - id: wait_module
    module: modules/file_exists.wasm
    sensor: true
    args: ["/in/{{ ds }}.csv"]
    mounts: ["in:/in:ro"]
    poke_interval: 100ms
  - id: measure
    module: modules/sum.wasm
    args: ["7"]
    upstream: [wait, wait_module]
  - id: choose
    branch: 'int(xcom("measure")) > params.threshold ? "big" : "small"'
    upstream: [measure]
  - {id: big, module: modules/echo.wasm, upstream: [choose]}
  - {id: small, module: modules/echo.wasm, upstream: [choose]}
  - id: after_big
    module: modules/echo.wasm
    upstream: [big]
  - id: not_today
    module: modules/echo.wasm
    run_if: 'ds == "1999-01-01"'
    upstream: [measure]
  - id: too_slow
    module: modules/sleep.wasm
    args: ["5"]
    execution_timeout: 200ms
    upstream: [measure]
  - id: gave_up
    sensor: 'false'
    poke_interval: 50ms
    timeout: 300ms
    soft_fail: true
`})
	run, err := rg.sched.Trigger(context.Background(), "mix", scheduler.TriggerOptions{LogicalDate: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	// Before the file exists the sensor pokes and waits: it gets to up_for_reschedule.
	rg.until(run, func(m map[string]scheduler.TaskInstance) bool { return m["wait"].State == tasks.StateUpForReschedule })
	write(t, filepath.Join(rg.dir, "in", "2024-03-01.csv"), "a,b\n")
	run, tis := rg.wait(run)
	want := map[string]string{"wait": "success", "wait_module": "success", "measure": "success", "choose": "success",
		"big": "skipped", "small": "success", "after_big": "skipped", "not_today": "skipped", "too_slow": "failed", "gave_up": "skipped"}
	if got := stateMap(tis); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("states =\n%v\nwant\n%v", got, want)
	}
	if r := tis["too_slow"].Reason; r != "timeout" {
		t.Errorf("too_slow reason = %q, want timeout", r)
	}
	if r := tis["gave_up"].Reason; !strings.Contains(r, "sensor timed out") {
		t.Errorf("gave_up reason = %q", r)
	}
	if run.State != tasks.RunFailed {
		t.Errorf("run = %s, want failed (too_slow is a failed leaf)", run.State)
	}
}
