package tasks

import (
	"path/filepath"
	"testing"
)

// TestDependsOnPastAndLatestOnly reads the flags from a task and from default_args, and
// wait_for_downstream turning depends_on_past on as Airflow's does.
func TestDependsOnPastAndLatestOnly(t *testing.T) {
	yaml := `dag_id: x
schedule: "@daily"
start_date: 2024-01-01
default_args:
  depends_on_past: true
tasks:
  - id: inherits
    module: testdata/modules/noop.wasm
  - id: opts_out
    module: testdata/modules/noop.wasm
    depends_on_past: false
  - id: waits
    module: testdata/modules/noop.wasm
    depends_on_past: false
    wait_for_downstream: true
  - id: latest
    module: testdata/modules/noop.wasm
    latest_only: true
`
	d, err := Parse(filepath.Join(".", "x.yaml"), []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][3]bool{
		"inherits": {true, false, false}, "opts_out": {false, false, false},
		"waits": {true, true, false}, "latest": {true, false, true},
	}
	for id, w := range want {
		task := d.Task(id)
		if got := [3]bool{task.DependsOnPast, task.WaitForDownstream, task.LatestOnly}; got != w {
			t.Errorf("%s: depends_on_past, wait_for_downstream, latest_only = %v, want %v", id, got, w)
		}
	}
}

func TestContinuousSchedule(t *testing.T) {
	yaml := "dag_id: x\nschedule: '@continuous'\nstart_date: 2024-01-01\nmax_active_runs: 1\n" +
		"tasks:\n  - id: a\n    module: testdata/modules/noop.wasm\n"
	d, err := Parse(filepath.Join(".", "x.yaml"), []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	if d.Schedule.Kind != ScheduleContinuous || d.MaxActiveRuns != 1 {
		t.Errorf("schedule %s, max_active_runs %d", d.Schedule.Kind, d.MaxActiveRuns)
	}
}
