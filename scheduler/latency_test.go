package scheduler_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/scheduler/schedulertest"
)

// TestTriggeredRunEndsWithoutPolling: a manual run goes from created to success on events
// alone — created, its first task dispatched at once, each try's end evaluating its downstream
// in the same step, the run's end written with the last task's — so with the poll an hour
// apart a chain of three still ends, and no poll is made from the trigger to the end. (A
// step waiting for the next poll or timer to move on would time out here.)
func TestTriggeredRunEndsWithoutPolling(t *testing.T) {
	rg := newRig(t, map[string]string{"chain": `dag_id: chain
schedule: null
is_paused_upon_creation: false
tasks:
  - {id: a, module: modules/echo.wasm}
  - {id: b, module: modules/echo.wasm, upstream: [a]}
  - {id: c, module: modules/echo.wasm, upstream: [b]}
`})
	// Each poll starts by listing the DAGs, for their paused flags.
	var polls atomic.Int64
	store := &schedulertest.Store{Base: rg.store, ListDagsFunc: func(ctx context.Context, f scheduler.DagFilter) ([]scheduler.Dag, error) {
		polls.Add(1)
		return rg.store.ListDags(ctx, f)
	}}
	rg.restartWith(time.Hour, store)
	// A first run waits for the start's poll (recovery) and compiles the module.
	warm, err := rg.sched.Trigger(context.Background(), "chain", scheduler.TriggerOptions{LogicalDate: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	rg.wait(warm)
	before := polls.Load()
	run, tis := rg.trigger("chain", nil)
	if run.State != "success" || stateMap(tis)["c"] != "success" {
		t.Fatalf("run ended %s, tasks %v", run.State, stateMap(tis))
	}
	if n := polls.Load() - before; n != 0 {
		t.Errorf("the run polled the metastore %d times between its trigger and its end, want none: every step is driven by an event", n)
	}
}
