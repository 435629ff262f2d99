package scheduler_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// A try still running when the scheduler's shutdown grace is over is stopped, recorded as
// failed with why, and leaves nothing running: its task instance runs again at the next start
// without using a retry (it has none here), and the run succeeds.
func TestShutdownInterruptsWithoutUsingARetry(t *testing.T) {
	rg := newRig(t, map[string]string{"long": `dag_id: long
tasks:
  - {id: work, module: modules/sleep.wasm, args: ["{{ try_number == 1 ? '60' : '0.05' }}"], retries: 0}
  - {id: after, module: modules/echo.wasm, upstream: [work]}
`})
	run, err := rg.sched.Trigger(context.Background(), "long", scheduler.TriggerOptions{LogicalDate: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	rg.until(run, func(tis map[string]scheduler.TaskInstance) bool { return tis["work"].State == tasks.StateRunning })
	rg.stop() // the rig's grace is 5 s; the try sleeps 60

	tis := rg.states(run)
	if st := tis["work"].State; st == tasks.StateRunning || st == tasks.StateQueued || st.Finished() {
		t.Fatalf("after shutdown, work is %s (%s); want it waiting to run again", st, tis["work"].Reason)
	}
	if tis["work"].MaxTries != 2 {
		t.Errorf("max_tries %d, want 2: the interrupted try must not use up the (zero) retries", tis["work"].MaxTries)
	}
	tries, err := rg.store.ListTaskTries(context.Background(), "long", run.RunID, "work")
	if err != nil || len(tries) != 1 || tries[0].State != tasks.StateFailed || !strings.Contains(tries[0].Reason, "shut down") {
		t.Fatalf("recorded tries: %+v, %v", tries, err)
	}
	if tries[0].Duration < 1 {
		t.Errorf("the interrupted try lasted %.3f s; it ran for the 5 s grace", tries[0].Duration)
	}
	if !strings.Contains(tis["work"].Reason, "interrupted") {
		t.Errorf("the task instance does not say why it waits: %q", tis["work"].Reason)
	}

	rg.start()
	ended, tis := rg.wait(run)
	if ended.State != tasks.RunSuccess || tis["work"].TryNumber != 2 || tis["after"].State != tasks.StateSuccess {
		t.Errorf("after the restart: run %s, work try %d, %v", ended.State, tis["work"].TryNumber, stateMap(tis))
	}
}
