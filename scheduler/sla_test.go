package scheduler_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

const slaDAG = `dag_id: slas
deadline: 90m
sla_miss_callback:
  module: modules/echo.wasm
  args: ["missed {{ task_id }}: {{ reason }}"]
tasks:
  - id: quick
    module: modules/echo.wasm
    sla: 1h
  - id: wait
    sensor: 'var("go", "") == "yes"'
    poke_interval: 1m
    sla: 1h
`

// SLAs on the scheduler's clock: a task still waiting when its sla passes, and the run when
// its deadline passes, each record one SLA miss and call sla_miss_callback once; a task that
// succeeded in time records none; the run goes on and ends as it would have.
func TestSLAMisses(t *testing.T) {
	clock := &testClock{now: time.Date(2024, 3, 1, 6, 0, 0, 0, time.UTC)}
	rg := newRig(t, map[string]string{"slas": slaDAG}, func(rg *rig) { rg.now = clock.Now })
	ctx := context.Background()
	run, err := rg.sched.Trigger(ctx, "slas", scheduler.TriggerOptions{LogicalDate: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "quick to succeed", func() bool { return rg.states(run)["quick"].State == tasks.StateSuccess })

	clock.Add(61 * time.Minute) // wait's sla passed; quick had met its own
	misses := waitSLAMisses(t, rg, 1)
	if m := misses[0]; m.TaskID != "wait" || m.RunID != run.RunID || m.SLA != time.Hour || !strings.Contains(m.Description, "task wait had not succeeded 1h0m0s") {
		t.Errorf("SLA miss = %+v", m)
	}
	clock.Add(30 * time.Minute) // the run's deadline passed
	misses = waitSLAMisses(t, rg, 2)
	if m := misses[0]; m.TaskID != "" || !strings.Contains(m.Description, "deadline 1h30m0s") {
		t.Errorf("newest SLA miss = %+v, want the run's deadline", m)
	}
	reqs := waitCallbacks(t, rg.store, "slas", run.RunID, 2)
	if len(reqs) != 2 {
		t.Fatalf("callback requests = %+v, want one sla_miss_callback per miss", reqs)
	}
	for _, r := range reqs {
		if r.Event != tasks.SLAMissCallback || r.Error != "" {
			t.Errorf("callback = %+v", r)
		}
	}

	rg.store.SetVariable(ctx, scheduler.Variable{Key: "go", Value: "yes"})
	clock.Add(2 * time.Minute)
	ended, tis := rg.wait(run)
	if ended.State != tasks.RunSuccess || tis["wait"].State != tasks.StateSuccess {
		t.Errorf("run %s, wait %s: an SLA miss changes no state", ended.State, tis["wait"].State)
	}
	if misses, _, _ := rg.store.ListSLAMisses(ctx, "slas", 0, 0); len(misses) != 2 {
		t.Errorf("SLA misses = %+v, want still 2", misses)
	}
}

func waitSLAMisses(t *testing.T, rg *rig, n int) []scheduler.SLAMiss {
	t.Helper()
	var misses []scheduler.SLAMiss
	waitFor(t, "the SLA misses", func() bool {
		misses, _, _ = rg.store.ListSLAMisses(context.Background(), "slas", 0, 0)
		return len(misses) >= n
	})
	return misses
}
