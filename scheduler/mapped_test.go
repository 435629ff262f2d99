package scheduler_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// mappedDAG maps a task over an upstream's list of params.n numbers; a downstream collects the
// mapped instances' values, others check how trigger rules count them.
const mappedDAG = `dag_id: mapped
params: {n: 3}
tasks:
  - id: produce
    module: modules/echo.wasm
    args: ['[{{ join(map(1..params.n, string(#)), ",") }}]']
  - id: per_item
    module: modules/echo.wasm
    expand: 'xcom("produce")'
    args: ["item {{ item }} at {{ map_index }}"]
    upstream: [produce]
  - id: collect
    module: modules/echo.wasm
    args: ['{{ xcom("per_item") }}']
    upstream: [per_item]
  - id: cleanup
    module: modules/echo.wasm
    args: ["done"]
    trigger_rule: all_done
    upstream: [per_item]
  - id: on_failure
    module: modules/echo.wasm
    args: ["alert"]
    trigger_rule: one_failed
    upstream: [per_item]
`

// triggerN starts a run of the mapped DAG with conf n and waits for it to end.
func triggerN(rg *rig, n int) (scheduler.DagRun, []scheduler.TaskInstance) {
	rg.t.Helper()
	run, err := rg.sched.Trigger(context.Background(), "mapped", scheduler.TriggerOptions{Conf: map[string]any{"n": n},
		RunID: fmt.Sprintf("manual__n%d", n), LogicalDate: time.Date(2024, 3, 1, n, 0, 0, 0, time.UTC)})
	if err != nil {
		rg.t.Fatal(err)
	}
	ended, _ := rg.wait(run)
	return ended, mappedTIs(rg, run)
}

func mappedTIs(rg *rig, run scheduler.DagRun) []scheduler.TaskInstance {
	tis, err := rg.store.ListTaskInstances(context.Background(), run.DagID, run.RunID)
	if err != nil {
		rg.t.Fatal(err)
	}
	sort.Slice(tis, func(i, j int) bool {
		if tis[i].TaskID != tis[j].TaskID {
			return tis[i].TaskID < tis[j].TaskID
		}
		return tis[i].MapIndex < tis[j].MapIndex
	})
	return tis
}

// summary is "task[map_index]=state" for every task instance, for comparing and messages.
func summary(tis []scheduler.TaskInstance) string {
	var parts []string
	for _, ti := range tis {
		k := ti.TaskID
		if ti.MapIndex >= 0 {
			k += fmt.Sprintf("[%d]", ti.MapIndex)
		}
		parts = append(parts, k+"="+string(ti.State))
	}
	return strings.Join(parts, " ")
}

func TestMappedOverThree(t *testing.T) {
	rg := newRig(t, map[string]string{"mapped": mappedDAG})
	run, tis := triggerN(rg, 3)
	want := "cleanup=success collect=success on_failure=skipped " +
		"per_item[0]=success per_item[1]=success per_item[2]=success produce=success"
	if got := summary(tis); run.State != tasks.RunSuccess || got != want {
		t.Fatalf("run %s: %s\nwant %s", run.State, got, want)
	}
	for i := 0; i < 3; i++ {
		x, err := rg.store.ListXComs(context.Background(), "mapped", run.RunID, "per_item")
		if err != nil || len(x) != 3 || x[i].MapIndex != i || string(x[i].Value) != fmt.Sprintf("item %d at %d", i+1, i) {
			t.Fatalf("XComs of per_item = %+v, %v; want item %d at %d for map_index %d", x, err, i+1, i, i)
		}
	}
	x, err := rg.store.GetXCom(context.Background(), "mapped", run.RunID, "collect", "return_value")
	var got []string
	if err != nil || json.Unmarshal(x.Value, &got) != nil ||
		strings.Join(got, "|") != "item 1 at 0|item 2 at 1|item 3 at 2" {
		t.Errorf("collect saw xcom(\"per_item\") = %q, %v; want the mapped values in map_index order", x.Value, err)
	}

	// Clearing one mapped instance runs it alone again; the others keep their try.
	cleared, err := rg.sched.Clear(context.Background(), scheduler.ClearRequest{DagID: "mapped", RunID: run.RunID,
		TaskIDs: []string{"per_item"}, MapIndexes: map[string][]int{"per_item": {1}}})
	if err != nil || fmt.Sprint(cleared) != "[per_item]" {
		t.Fatalf("clear per_item[1] = %v, %v", cleared, err)
	}
	run, _ = rg.wait(run)
	tis = mappedTIs(rg, run)
	tries := map[int]int{}
	for _, ti := range tis {
		if ti.TaskID == "per_item" {
			tries[ti.MapIndex] = ti.TryNumber
		}
	}
	if run.State != tasks.RunSuccess || tries[0] != 1 || tries[1] != 2 || tries[2] != 1 {
		t.Errorf("after clearing per_item[1]: run %s, tries by map_index %v; want only [1] at try 2 (%s)", run.State, tries, summary(tis))
	}
}

func TestMappedOverNothingSkips(t *testing.T) {
	rg := newRig(t, map[string]string{"mapped": mappedDAG})
	run, tis := triggerN(rg, 0)
	// Airflow: an empty expansion skips the mapped task; all_success downstream is skipped
	// with it, all_done runs.
	want := "cleanup=success collect=skipped on_failure=skipped per_item=skipped produce=success"
	if got := summary(tis); run.State != tasks.RunSuccess || got != want {
		t.Fatalf("run %s: %s\nwant %s", run.State, got, want)
	}
	for _, ti := range tis {
		if ti.TaskID == "per_item" && (ti.MapIndex != -1 || !strings.Contains(ti.Reason, "empty")) {
			t.Errorf("per_item: map_index %d, reason %q; want -1 and why it was skipped", ti.MapIndex, ti.Reason)
		}
	}
}

// An XCom too long to map over fails the task that pushed it, as Airflow's
// UnmappableXComLengthPushed does; its mapped downstream is upstream_failed.
func TestMappedOverTooManyFailsTheProducer(t *testing.T) {
	rg := newRig(t, map[string]string{"mapped": mappedDAG})
	run, tis := triggerN(rg, 2000)
	want := "cleanup=success collect=upstream_failed on_failure=success per_item=upstream_failed produce=failed"
	if got := summary(tis); run.State != tasks.RunFailed || got != want {
		t.Fatalf("run %s: %s\nwant %s", run.State, got, want)
	}
	for _, ti := range tis {
		if ti.TaskID == "produce" && !strings.Contains(ti.Reason, "2000 elements, more than core.max_map_length (1024), and per_item expands over it") {
			t.Errorf("produce's reason = %q, want it to name the length, core.max_map_length and the mapped task", ti.Reason)
		}
	}
}

// A list too long that no upstream pushed (here an expression of its own) fails the mapped
// task itself: there is no producer to blame.
func TestMappedOverTooLongExpressionFails(t *testing.T) {
	dag := strings.Replace(mappedDAG, `expand: 'xcom("produce")'`, `expand: '1..2000'`, 1)
	rg := newRig(t, map[string]string{"mapped": dag})
	run, tis := triggerN(rg, 3)
	want := "cleanup=success collect=upstream_failed on_failure=success per_item=failed produce=success"
	if got := summary(tis); run.State != tasks.RunFailed || got != want {
		t.Fatalf("run %s: %s\nwant %s", run.State, got, want)
	}
	for _, ti := range tis {
		if ti.TaskID == "per_item" && !strings.Contains(ti.Reason, "2000 elements, more than core.max_map_length (1024)") {
			t.Errorf("per_item's reason = %q, want it to name the length and core.max_map_length", ti.Reason)
		}
	}
}

// One failed mapped instance fails the task for its downstream: all_success is upstream_failed,
// one_failed runs, and the others still ran.
func TestMappedInstanceFailure(t *testing.T) {
	rg := newRig(t, map[string]string{"mapped": strings.Replace(mappedDAG, `    module: modules/echo.wasm
    expand: 'xcom("produce")'
    args: ["item {{ item }} at {{ map_index }}"]`, `    module: modules/exit.wasm
    expand: [0, 3, 0]
    args: ["{{ item }}"]`, 1)})
	run, tis := triggerN(rg, 3)
	want := "cleanup=success collect=upstream_failed on_failure=success " +
		"per_item[0]=success per_item[1]=failed per_item[2]=success produce=success"
	if got := summary(tis); run.State != tasks.RunFailed || got != want {
		t.Fatalf("run %s: %s\nwant %s", run.State, got, want)
	}
}

// max_active_tis_per_dag 1 runs a mapped task's instances one after another.
func TestMaxActiveTIsPerDag(t *testing.T) {
	rg := newRig(t, map[string]string{"mapped": `dag_id: mapped
tasks:
  - id: nap
    module: modules/sleep.wasm
    expand: ["0.2", "0.2", "0.2"]
    args: ["{{ item }}"]
    max_active_tis_per_dag: 1
`})
	run, err := rg.sched.Trigger(context.Background(), "mapped", scheduler.TriggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ended, _ := rg.wait(run)
	tis := mappedTIs(rg, run)
	if ended.State != tasks.RunSuccess || len(tis) != 3 {
		t.Fatalf("run %s: %s", ended.State, summary(tis))
	}
	sort.Slice(tis, func(i, j int) bool { return tis[i].StartDate.Before(*tis[j].StartDate) })
	for i := 1; i < len(tis); i++ {
		if tis[i].StartDate.Before(*tis[i-1].EndDate) {
			t.Errorf("map_index %d started at %s, before map_index %d ended at %s: more than one ran at once",
				tis[i].MapIndex, tis[i].StartDate, tis[i-1].MapIndex, tis[i-1].EndDate)
		}
	}
}

// Marking one mapped instance sets that instance only; marking the mapped task (map_index -1)
// sets every instance, in the running scheduler and in the metastore alone.
func TestMarkMappedInstances(t *testing.T) {
	rg := newRig(t, map[string]string{"mapped": mappedDAG})
	run, _ := triggerN(rg, 3)
	ctx := context.Background()
	one := scheduler.NewTIKey("mapped", run.RunID, "per_item")
	one.MapIndex = 1
	if err := rg.sched.MarkTask(ctx, one, tasks.StateFailed, "test"); err != nil {
		t.Fatal(err)
	}
	run, _ = rg.wait(run)
	got := summary(mappedTIs(rg, run))
	if !strings.Contains(got, "per_item[0]=success per_item[1]=failed per_item[2]=success") {
		t.Fatalf("after marking per_item[1] failed: %s", got)
	}
	if err := rg.sched.MarkTask(ctx, scheduler.NewTIKey("mapped", run.RunID, "per_item"), tasks.StateSkipped, "test"); err != nil {
		t.Fatal(err)
	}
	run, _ = rg.wait(run)
	if got := summary(mappedTIs(rg, run)); !strings.Contains(got, "per_item[0]=skipped per_item[1]=skipped per_item[2]=skipped") {
		t.Fatalf("after marking the mapped task skipped: %s", got)
	}
	one.MapIndex = 2
	if err := scheduler.MarkInStore(ctx, rg.store, run, one, tasks.StateSuccess, "test"); err != nil {
		t.Fatal(err)
	}
	if got := summary(mappedTIs(rg, run)); !strings.Contains(got, "per_item[0]=skipped per_item[1]=skipped per_item[2]=success") {
		t.Fatalf("after marking per_item[2] success in the store: %s", got)
	}
	one.MapIndex = 7
	if err := rg.sched.MarkTask(ctx, one, tasks.StateSuccess, "test"); !errors.Is(err, scheduler.ErrNotFound) {
		t.Errorf("marking per_item[7], which does not exist: %v, want not found", err)
	}
}
