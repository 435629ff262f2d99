package scheduler_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/cluster"
	"github.com/wasmflow/wasmflow/runtime"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/scheduler/schedulertest"
	"github.com/wasmflow/wasmflow/tasks"
)

// holdingExecutor is a Queuer and Adopter in front of the local executor: it holds every try
// until released, reporting why, and claims the tries it is told a worker still runs.
type holdingExecutor struct {
	*cluster.LocalExecutor
	within time.Duration

	mu      sync.Mutex
	results chan<- scheduler.TryResult
	held    []scheduler.Workload
	release bool
	claimed map[scheduler.TIKey]int
	// polls counts the scheduler's polls (each starts by listing the DAGs).
	polls atomic.Int64
}

func (e *holdingExecutor) QueuesTries()               {}
func (e *holdingExecutor) AdoptWithin() time.Duration { return e.within }

func (e *holdingExecutor) Adopt(key scheduler.TIKey, try int) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.claimed[key] == try
}

func (e *holdingExecutor) Start(ctx context.Context, results chan<- scheduler.TryResult) error {
	e.mu.Lock()
	e.results = results
	e.mu.Unlock()
	return e.LocalExecutor.Start(ctx, results)
}

func (e *holdingExecutor) Submit(w scheduler.Workload, xcom func(taskID, key string) ([]byte, bool)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.release {
		e.held = append(e.held, w)
		key := w.Key()
		go e.send(scheduler.TryResult{Key: key, TryNumber: w.TryNumber, State: tasks.StateQueued, Reason: "no live worker serves queue \"gpu\""})
		return
	}
	e.start(w)
}

// start reports the try started, then runs it. e.mu is held.
func (e *holdingExecutor) start(w scheduler.Workload) {
	key := w.Key()
	res := scheduler.TryResult{Key: key, TryNumber: w.TryNumber, State: tasks.StateRunning, Hostname: "worker-1", StartDate: time.Now()}
	go func() {
		e.send(res)
		e.LocalExecutor.Submit(w, nil)
	}()
}

func (e *holdingExecutor) send(res scheduler.TryResult) {
	e.mu.Lock()
	ch := e.results
	e.mu.Unlock()
	ch <- res
}

func (e *holdingExecutor) releaseAll() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.release = true
	for _, w := range e.held {
		e.start(w)
	}
	e.held = nil
}

// startHolding restarts rg's scheduler on a holdingExecutor.
func (rg *rig) startHolding(e *holdingExecutor) {
	r, err := runtime.New(context.Background(), runtime.Config{CacheDir: filepath.Join(rg.dir, ".cache")})
	if err != nil {
		rg.t.Fatal(err)
	}
	e.LocalExecutor = &cluster.LocalExecutor{Runner: r, LogsFolder: filepath.Join(rg.dir, ".logs")}
	store := &schedulertest.Store{Base: rg.store, ListDagsFunc: func(ctx context.Context, f scheduler.DagFilter) ([]scheduler.Dag, error) {
		e.polls.Add(1)
		return rg.store.ListDags(ctx, f)
	}}
	rg.sched = scheduler.New(scheduler.Config{
		Store: store, Executor: e, Dags: rg.sync.Dags, Parallelism: 8, Poll: 50 * time.Millisecond, Now: rg.now,
		LogsFolder: filepath.Join(rg.dir, ".logs"),
		OnRunFinished: func(run scheduler.DagRun) {
			rg.mu.Lock()
			defer rg.mu.Unlock()
			rg.ch(run.DagID + "/" + run.RunID) <- run
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	rg.cancel, rg.done = cancel, make(chan error, 1)
	go func() { rg.done <- rg.sched.Run(ctx, 5*time.Second); r.Close(context.Background()) }()
}

// A try an executor holds stays queued, with the executor's reason, until it starts.
func TestQueuedUntilTheExecutorStartsIt(t *testing.T) {
	rg := newRig(t, map[string]string{"gpu": `dag_id: gpu
tasks:
  - {id: train, module: modules/sleep.wasm, args: ["0.5"], queue: gpu}
  - {id: report, module: modules/echo.wasm, upstream: [train]}
`})
	rg.stop()
	e := &holdingExecutor{within: time.Second}
	rg.startHolding(e)
	run, err := rg.sched.Trigger(context.Background(), "gpu", scheduler.TriggerOptions{LogicalDate: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	rg.until(run, func(tis map[string]scheduler.TaskInstance) bool {
		return tis["train"].State == tasks.StateQueued && strings.Contains(tis["train"].Reason, `no live worker serves queue "gpu"`)
	})
	// Two polls later (each evaluates the run again) nothing moved.
	rg.untilCount(&e.polls, e.polls.Load()+2, "polls")
	if tis := rg.states(run); tis["train"].State != tasks.StateQueued || tis["report"].State != tasks.StateNone {
		t.Fatalf("while held: %v", stateMap(tis))
	}
	e.releaseAll()
	rg.until(run, func(tis map[string]scheduler.TaskInstance) bool {
		return tis["train"].State == tasks.StateRunning && tis["train"].Hostname == "worker-1" && tis["train"].Reason == ""
	})
	ended, tis := rg.wait(run)
	if ended.State != tasks.RunSuccess || tis["train"].TryNumber != 1 {
		t.Errorf("after release: %s %v, train at try %d", ended.State, stateMap(tis), tis["train"].TryNumber)
	}
}

// After a restart, tries a previous process left in flight wait AdoptWithin for their workers:
// a claimed try and one whose result comes in time keep their try; an unclaimed running try
// is lost; an unclaimed queued try never started and runs again without using a retry.
func TestRestartAdoptsTriesOfWorkers(t *testing.T) {
	rg := newRig(t, map[string]string{"adopt": `dag_id: adopt
tasks:
  - {id: claimed, module: modules/echo.wasm}
  - {id: resent, module: modules/echo.wasm}
  - {id: gone, module: modules/echo.wasm}
  - {id: waiting, module: modules/echo.wasm}
`})
	rg.stop()
	now := time.Now().UTC()
	running := func(id string, state tasks.TaskInstanceState) scheduler.TaskInstance {
		return scheduler.TaskInstance{TaskID: id, State: state, TryNumber: 1, MaxTries: 1, StartDate: &now}
	}
	run, err := rg.store.CreateDagRun(context.Background(), scheduler.DagRun{DagID: "adopt", RunID: "manual__restart", RunType: "manual",
		State: tasks.RunRunning, LogicalDate: now, StartDate: &now}, []scheduler.TaskInstance{
		running("claimed", tasks.StateRunning), running("resent", tasks.StateRunning),
		running("gone", tasks.StateRunning), running("waiting", tasks.StateQueued)})
	if err != nil {
		t.Fatal(err)
	}
	key := func(id string) scheduler.TIKey { return scheduler.NewTIKey("adopt", run.RunID, id) }
	e := &holdingExecutor{within: 700 * time.Millisecond, release: true, claimed: map[scheduler.TIKey]int{key("claimed"): 1}}
	clock := &testClock{now: now}
	rg.now = clock.Now // the window ends when the test says, however slow the machine
	rg.startHolding(e)
	if err := scheduler.Started(context.Background(), rg.sched); err != nil { // the executor has its results channel
		t.Fatal(err)
	}
	// Within the window the workers' held results arrive, and nothing else is decided.
	done := time.Now().UTC()
	e.send(scheduler.TryResult{Key: key("resent"), TryNumber: 1, State: tasks.StateSuccess, StartDate: now, EndDate: done, Hostname: "w2"})
	e.send(scheduler.TryResult{Key: key("claimed"), TryNumber: 1, State: tasks.StateSuccess, StartDate: now, EndDate: done, Hostname: "w1"})
	rg.until(run, func(m map[string]scheduler.TaskInstance) bool {
		return m["resent"].State == tasks.StateSuccess && m["claimed"].State == tasks.StateSuccess
	})
	if tis := rg.states(run); tis["gone"].State != tasks.StateRunning || tis["waiting"].State != tasks.StateQueued {
		t.Fatalf("failed before the adoption window ended: %v", stateMap(tis))
	}
	clock.Add(time.Second)
	ended, tis := rg.wait(run)
	want := map[string]string{"claimed": "success", "resent": "success", "gone": "failed", "waiting": "success"}
	for id, st := range want {
		if string(tis[id].State) != st {
			t.Errorf("%s: %s, want %s (all: %v)", id, tis[id].State, st, stateMap(tis))
		}
	}
	if ended.State != tasks.RunFailed || !strings.HasPrefix(tis["gone"].Reason, "lost: no worker reported") {
		t.Errorf("run %s; gone's reason %q", ended.State, tis["gone"].Reason)
	}
	if tis["claimed"].TryNumber != 1 || tis["resent"].TryNumber != 1 || tis["resent"].Hostname != "w2" {
		t.Errorf("adopted tries ran again or lost their host: claimed try %d, resent try %d on %q", tis["claimed"].TryNumber, tis["resent"].TryNumber, tis["resent"].Hostname)
	}
	if tis["waiting"].TryNumber != 2 || tis["waiting"].MaxTries != 2 {
		t.Errorf("the queued try was not run again without using a retry: try %d of %d", tis["waiting"].TryNumber, tis["waiting"].MaxTries)
	}
}

// testClock is a Config.Now that moves only when told.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
