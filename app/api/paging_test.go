package api_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// TestEveryListPages: the lists that were answered whole (a task's tries, its XComs, a DAG's
// tasks, the operators) take limit and offset like every other, and total_entries counts them all.
func TestEveryListPages(t *testing.T) {
	e := newEnv(t, nil)
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	seedRun(t, e.app.Store, "", "pipe", "r1", at, tasks.StateSuccess, 1, "extract", "transform", "load")
	ch := scheduler.Changes{}
	for n := 1; n <= 3; n++ {
		ch.Tries = append(ch.Tries, scheduler.TaskTry{DagID: "pipe", RunID: "r1", TaskID: "extract", MapIndex: -1, TryNumber: n, State: tasks.StateFailed})
		ch.XComs = append(ch.XComs, scheduler.XCom{DagID: "pipe", RunID: "r1", TaskID: "extract", MapIndex: -1, Key: fmt.Sprint("k", n), Value: []byte(`1`), Timestamp: at})
	}
	if err := e.app.Store.Save(t.Context(), ch); err != nil {
		t.Fatal(err)
	}
	const ti = "/api/v1/dags/pipe/dagRuns/r1/taskInstances/extract"
	type page struct {
		Tries []struct {
			TryNumber int `json:"try_number"`
		} `json:"task_instances"`
		XComs []struct {
			Key string `json:"key"`
		} `json:"xcom_entries"`
		Tasks []struct {
			TaskID string `json:"task_id"`
		} `json:"tasks"`
		Total int `json:"total_entries"`
	}
	if p := get[page](e, ti+"/tries?limit=1&offset=1"); p.Total != 3 || len(p.Tries) != 1 || p.Tries[0].TryNumber != 2 {
		t.Errorf("tries?limit=1&offset=1: %+v, want try 2 of 3", p)
	}
	if p := get[page](e, ti+"/xcomEntries?limit=2&offset=2"); p.Total != 3 || len(p.XComs) != 1 {
		t.Errorf("xcomEntries?limit=2&offset=2: %+v, want 1 of 3", p)
	}
	if p := get[page](e, "/api/v1/dags/pipe/tasks?order_by=task_id&limit=2"); p.Total != 3 || len(p.Tasks) != 2 || p.Tasks[0].TaskID != "extract" || p.Tasks[1].TaskID != "load" {
		t.Errorf("tasks?order_by=task_id&limit=2: %+v", p)
	}
	if p := get[page](e, "/api/v1/dags/pipe/tasks?offset=5"); p.Total != 3 || len(p.Tasks) != 0 {
		t.Errorf("tasks?offset=5: %+v", p)
	}
	ops := get[struct {
		Operators []map[string]any `json:"operators"`
		Total     int              `json:"total_entries"`
	}](e, "/api/v1/operators?limit=1&offset=1")
	if len(ops.Operators) != 1 || ops.Total < 2 {
		t.Errorf("operators?limit=1&offset=1: %d of %d", len(ops.Operators), ops.Total)
	}
	for _, path := range []string{ti + "/tries?limit=0", "/api/v1/dags/pipe/tasks?offset=-1", "/api/v1/roles?limit=x", "/api/v1/plugins?limit=1001"} {
		e.problem(http.StatusBadRequest, "GET", path, "", e.as("admin"), "must be a number")
	}
}

// TestPoolWithoutLimit: slots -1 is Airflow's unlimited pool, shown with open_slots -1; less
// than -1 is refused with what it takes.
func TestPoolWithoutLimit(t *testing.T) {
	e := newEnv(t, nil)
	type pool struct {
		Slots     int `json:"slots"`
		OpenSlots int `json:"open_slots"`
	}
	if p := jsonOf[pool](t, e.want(http.StatusOK, "POST", "/api/v1/pools", `{"name":"free","slots":-1}`, e.as("op"))); p.Slots != -1 || p.OpenSlots != -1 {
		t.Errorf("POST slots -1: %+v", p)
	}
	e.want(http.StatusOK, "PATCH", "/api/v1/pools/free", `{"slots":4}`, e.as("op"))
	if p := jsonOf[pool](t, e.want(http.StatusOK, "PATCH", "/api/v1/pools/free", `{"slots":-1}`, e.as("op"))); p.Slots != -1 {
		t.Errorf("PATCH slots -1: %+v", p)
	}
	e.problem(http.StatusBadRequest, "POST", "/api/v1/pools", `{"name":"neg","slots":-2}`, e.as("op"), "-1 for no limit")
}

// TestDotRunIDsAreRefused: "." and ".." name folders, and a run's logs are a folder named
// after its run id.
func TestDotRunIDsAreRefused(t *testing.T) {
	e := newEnv(t, nil)
	for _, id := range []string{".", ".."} {
		e.problem(http.StatusBadRequest, "POST", "/api/v1/dags/pipe/dagRuns", `{"dag_run_id":"`+id+`"}`, e.as("user"), "names a folder")
	}
	if runs := get[struct {
		Total int `json:"total_entries"`
	}](e, "/api/v1/dags/pipe/dagRuns"); runs.Total != 0 {
		t.Errorf("%d runs were made", runs.Total)
	}
}
