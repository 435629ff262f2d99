package scheduler_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/cluster"
	"github.com/wasmflow/wasmflow/runtime"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// Through a DAG file, on the standalone path (the local executor): two tasks whose
// memory_limit add up past core.max_task_memory run one after the other, the waiting one
// queued with why (what the UI shows), and a task whose memory_limit alone is over the cap
// fails at once, saying so.
func TestMaxTaskMemoryFromADag(t *testing.T) {
	rg := newRig(t, map[string]string{"mem": `dag_id: mem
tasks:
  - {id: a, module: modules/sleep.wasm, args: ["1"], memory_limit: 2MiB}
  - {id: b, module: modules/sleep.wasm, args: ["1"], memory_limit: 2MiB}
  - {id: huge, module: modules/echo.wasm, memory_limit: 4MiB}
`})
	rg.stop()
	r, err := runtime.New(context.Background(), runtime.Config{CacheDir: filepath.Join(rg.dir, ".cache"), MaxTaskMemory: 3 << 20})
	if err != nil {
		t.Fatal(err)
	}
	rg.sched = scheduler.New(scheduler.Config{
		Store: rg.store, Executor: &cluster.LocalExecutor{Runner: r, LogsFolder: filepath.Join(rg.dir, ".logs")},
		Dags: rg.sync.Dags, Parallelism: 8, Poll: 50 * time.Millisecond,
		OnRunFinished: func(run scheduler.DagRun) {
			rg.mu.Lock()
			defer rg.mu.Unlock()
			rg.ch(run.DagID + "/" + run.RunID) <- run
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	rg.cancel, rg.done = cancel, make(chan error, 1)
	go func() { rg.done <- rg.sched.Run(ctx, 5*time.Second); r.Close(context.Background()) }()

	run, err := rg.sched.Trigger(context.Background(), "mem", scheduler.TriggerOptions{LogicalDate: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	// While one sleeps, the other is queued, saying why.
	const why = "waiting for memory: its memory_limit 2 MiB does not fit next to the 2 MiB of the tries running here (core.max_task_memory 3 MiB)"
	var tis map[string]scheduler.TaskInstance
	if !eventually(10*time.Second, func() bool {
		tis = rg.states(run)
		for _, pair := range [][2]string{{"a", "b"}, {"b", "a"}} {
			q, r := tis[pair[0]], tis[pair[1]]
			if q.State == tasks.StateQueued && q.Reason == why && r.State == tasks.StateRunning {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("never saw one task queued for memory while the other ran: %v", stateMap(tis))
	}
	_, tis = rg.wait(run)
	a, b := tis["a"], tis["b"]
	if a.State != tasks.StateSuccess || b.State != tasks.StateSuccess {
		t.Fatalf("a %s %s, b %s %s", a.State, a.Reason, b.State, b.Reason)
	}
	first, second := a, b
	if b.StartDate.Before(*a.StartDate) {
		first, second = b, a
	}
	// The first sleeps a second before it gives its memory back: the second cannot start sooner.
	if second.StartDate.Before(first.StartDate.Add(time.Second)) {
		t.Errorf("%s started %s after %s: they ran together, past the cap", second.TaskID, second.StartDate.Sub(*first.StartDate), first.TaskID)
	}
	huge := tis["huge"]
	if huge.State != tasks.StateFailed || !strings.HasPrefix(huge.Reason, "memory_cap: memory_limit 4 MiB is over core.max_task_memory 3 MiB") {
		t.Errorf("huge: %s %q, want failed over the cap", huge.State, huge.Reason)
	}
}
