package scheduler_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// instantQueuer is a Queuer whose tries start and end at once: Submit, called on the
// scheduler's own goroutine, puts the "running" report and the end on the channel together,
// so they always arrive in one burst.
type instantQueuer struct{ results chan<- scheduler.TryResult }

func (*instantQueuer) QueuesTries() {}
func (e *instantQueuer) Start(_ context.Context, results chan<- scheduler.TryResult) error {
	e.results = results
	return nil
}
func (e *instantQueuer) Submit(w scheduler.Workload, _ func(string, string) ([]byte, bool)) {
	key := w.Key()
	now := time.Now().UTC()
	e.results <- scheduler.TryResult{Key: key, TryNumber: w.TryNumber, State: tasks.StateRunning, StartDate: now, Hostname: "fast"}
	e.results <- scheduler.TryResult{Key: key, TryNumber: w.TryNumber, State: tasks.StateSuccess, StartDate: now, EndDate: now}
}
func (*instantQueuer) Kill(scheduler.TIKey, int)  {}
func (*instantQueuer) Stop(context.Context) error { return nil }

// savedStates records every state each task instance was written with.
type savedStates struct {
	scheduler.RunStore
	mu     sync.Mutex
	states map[string][]tasks.TaskInstanceState
}

func (s *savedStates) Save(ctx context.Context, c scheduler.Changes) error {
	s.mu.Lock()
	for _, ti := range c.TaskInstances {
		s.states[ti.TaskID] = append(s.states[ti.TaskID], ti.State)
	}
	s.mu.Unlock()
	return s.RunStore.Save(ctx, c)
}

// A try reported running and ended in the same burst is written running first, so the UI
// and the event stream see it run however fast it is (the burst is otherwise one write).
func TestRunningWrittenBeforeAFastEnd(t *testing.T) {
	rg := newRig(t, map[string]string{"fast": "dag_id: fast\ntasks:\n  - {id: a, module: modules/echo.wasm}\n  - {id: b, module: modules/echo.wasm, upstream: [a]}\n"})
	rg.stop()
	store := &savedStates{RunStore: rg.store, states: map[string][]tasks.TaskInstanceState{}}
	ended := make(chan scheduler.DagRun, 1)
	sched := scheduler.New(scheduler.Config{Store: store, Executor: &instantQueuer{}, Dags: rg.sync.Dags, Parallelism: 8,
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
	store.mu.Lock()
	defer store.mu.Unlock()
	for _, id := range []string{"a", "b"} {
		seen := store.states[id]
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
