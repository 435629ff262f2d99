package scheduler_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/scheduler/schedulertest"
	"github.com/wasmflow/wasmflow/tasks"
)

// instantQueuer is a Queuer whose tries start and end at once: Submit, called on the
// scheduler's own goroutine, puts the "running" report and the end on the channel together,
// so they always arrive in one burst.
func instantQueuer() *schedulertest.Queuer {
	var results chan<- scheduler.TryResult
	return &schedulertest.Queuer{Executor: schedulertest.Executor{
		StartFunc: func(_ context.Context, r chan<- scheduler.TryResult) error { results = r; return nil },
		SubmitFunc: func(w scheduler.Workload, _ func(string, string) ([]byte, bool)) {
			key := w.Key()
			now := time.Now().UTC()
			results <- scheduler.TryResult{Key: key, TryNumber: w.TryNumber, State: tasks.StateRunning, StartDate: now, Hostname: "fast"}
			results <- scheduler.TryResult{Key: key, TryNumber: w.TryNumber, State: tasks.StateSuccess, StartDate: now, EndDate: now}
		},
		KillFunc: func(scheduler.TIKey, int) {},
		StopFunc: func(context.Context) error { return nil },
	}}
}

// A try reported running and ended in the same burst is written running first, so the UI
// and the event stream see it run however fast it is (the burst is otherwise one write).
func TestRunningWrittenBeforeAFastEnd(t *testing.T) {
	rg := newRig(t, map[string]string{"fast": "dag_id: fast\ntasks:\n  - {id: a, module: modules/echo.wasm}\n  - {id: b, module: modules/echo.wasm, upstream: [a]}\n"})
	rg.stop()
	// every state each task instance was written with
	var mu sync.Mutex
	states := map[string][]tasks.TaskInstanceState{}
	store := &schedulertest.Store{Base: rg.store, SaveFunc: func(ctx context.Context, c scheduler.Changes) error {
		mu.Lock()
		for _, ti := range c.TaskInstances {
			states[ti.TaskID] = append(states[ti.TaskID], ti.State)
		}
		mu.Unlock()
		return rg.store.Save(ctx, c)
	}}
	ended := make(chan scheduler.DagRun, 1)
	sched := scheduler.New(scheduler.Config{Store: store, Executor: instantQueuer(), Dags: rg.sync.Dags, Parallelism: 8,
		Poll: time.Hour, OnRunFinished: func(r scheduler.DagRun) { ended <- r }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sched.Run(ctx, time.Second) }()
	defer func() { cancel(); <-done }()
	if _, err := sched.Trigger(ctx, "fast", scheduler.TriggerOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-ended:
		if r.State != tasks.RunSuccess {
			t.Fatalf("run ended %s", r.State)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the run did not end")
	}
	mu.Lock()
	defer mu.Unlock()
	for _, id := range []string{"a", "b"} {
		seen := states[id]
		i := indexOf(seen, tasks.StateRunning)
		if i < 0 || indexOf(seen[i:], tasks.StateSuccess) < 0 {
			t.Errorf("task %s was written %v: want running, then success", id, seen)
		}
	}
}

func indexOf(states []tasks.TaskInstanceState, s tasks.TaskInstanceState) int {
	for i, v := range states {
		if v == s {
			return i
		}
	}
	return -1
}
