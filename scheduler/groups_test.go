package scheduler_test

import (
	"context"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// groupsDAG has a nested group (outer.inner) whose slowest task sleeps, and tasks downstream of
// each group: after_outer must wait for every task of outer, the nested ones included.
const groupsDAG = `dag_id: grouped
groups:
  - id: outer
    default_args: {retries: 0}
  - id: inner
    parent_group: outer
tasks:
  - id: first
    module: modules/sum.wasm
    args: ["1", "2"]
    group: outer
  - id: slow
    module: modules/sleep.wasm
    args: ["0.3"]
    group: inner
  - id: fails
    module: modules/exit.wasm
    args: ["{{ params.code }}"]
    group: inner
    upstream: [outer.first]
  - id: after_first
    module: modules/echo.wasm
    args: ["got {{ xcom(\"outer.first\") }}"]
    upstream: [outer.first]
  - id: after_outer
    module: modules/echo.wasm
    args: ["all of outer"]
    upstream: [outer]
params: {code: "0"}
`

func TestNestedGroupUpstreamRun(t *testing.T) {
	rg := newRig(t, map[string]string{"grouped": groupsDAG})

	run, tis := rg.trigger("grouped", nil)
	if run.State != tasks.RunSuccess {
		t.Fatalf("run = %s, want success: %v", run.State, stateMap(tis))
	}
	after := tis["after_outer"]
	for _, id := range []string{"outer.first", "outer.inner.slow", "outer.inner.fails"} {
		ti, ok := tis[id]
		if !ok || ti.EndDate == nil {
			t.Fatalf("no ended task instance %q: %v", id, stateMap(tis))
		}
		if after.StartDate == nil || after.StartDate.Before(*ti.EndDate) {
			t.Errorf("after_outer started at %v, before %s ended at %v: a group upstream waits for all its tasks", after.StartDate, id, ti.EndDate)
		}
	}

	// One task of the nested group fails: the group's downstream does not run; a task that
	// waits only for another task of the group does.
	second, err := rg.sched.Trigger(context.Background(), "grouped", scheduler.TriggerOptions{
		Conf: map[string]any{"code": "1"}, LogicalDate: time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	run, tis = rg.wait(second)
	want := map[string]string{"outer.first": "success", "outer.inner.slow": "success", "outer.inner.fails": "failed",
		"after_first": "success", "after_outer": "upstream_failed"}
	got := stateMap(tis)
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s = %s, want %s", id, got[id], w)
		}
	}
	if run.State != tasks.RunFailed {
		t.Errorf("run = %s, want failed", run.State)
	}
}
