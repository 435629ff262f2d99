package api_test

import (
	"net/http"
	"sort"
	"testing"

	"github.com/wasmflow/wasmflow/tasks"
)

// POST dagRuns/{id}/clear is a dry run unless told otherwise: it lists the run's task
// instances and changes nothing; with dry_run false they run again and the answer is the run.
func TestClearOneRun(t *testing.T) {
	e := newEnv(t, nil)
	seedRun(t, e.app.Store, "", "pipe", "r1", day(1), tasks.StateFailed, 1, "extract", "transform", "load")
	seedRun(t, e.app.Store, "", "pipe", "r2", day(2), tasks.StateFailed, 1, "extract", "transform", "load")
	type refs struct {
		TaskInstances []struct {
			DagRunID string `json:"dag_run_id"`
			TaskID   string `json:"task_id"`
			MapIndex int    `json:"map_index"`
		} `json:"task_instances"`
	}
	dry := jsonOf[refs](t, e.want(http.StatusOK, "POST", "/api/v1/dags/pipe/dagRuns/r1/clear", `{}`, e.as("user")))
	var got []string
	for _, ti := range dry.TaskInstances {
		if ti.DagRunID != "r1" || ti.MapIndex != -1 {
			t.Errorf("dry run names %+v, want r1's unmapped instances only", ti)
		}
		got = append(got, ti.TaskID)
	}
	sort.Strings(got)
	if len(got) != 3 || got[0] != "extract" || got[1] != "load" || got[2] != "transform" {
		t.Errorf("a dry clear of r1 lists %v, want its three task instances", got)
	}
	for id, ti := range e.tis("pipe", "r1") {
		if stateOf(ti) != "failed" {
			t.Errorf("a dry run changed %s to %s", id, stateOf(ti))
		}
	}
	e.problem(http.StatusForbidden, "POST", "/api/v1/dags/pipe/dagRuns/r1/clear", `{"dry_run":false}`, e.as("viewer"), "needs the User role")

	run := jsonOf[dagRun](t, e.want(http.StatusOK, "POST", "/api/v1/dags/pipe/dagRuns/r1/clear", `{"dry_run":false}`, e.as("user")))
	if run.DagRunID != "r1" || run.State != "queued" {
		t.Errorf("clear answered the run %s in state %s, want r1 queued", run.DagRunID, run.State)
	}
	for id, ti := range e.tis("pipe", "r1") {
		if stateOf(ti) != "none" {
			t.Errorf("after the clear, %s of r1 is %s", id, stateOf(ti))
		}
	}
	for id, ti := range e.tis("pipe", "r2") {
		if stateOf(ti) != "failed" {
			t.Errorf("clearing r1 changed %s of r2 to %s", id, stateOf(ti))
		}
	}
	e.problem(http.StatusNotFound, "POST", "/api/v1/dags/pipe/dagRuns/zz/clear", `{}`, e.as("user"), `no run "zz"`)
	e.problem(http.StatusBadRequest, "POST", "/api/v1/dags/pipe/dagRuns/r1/clear", `{"only_failed":true}`, e.as("user"), `unknown field "only_failed"`)
}

// DELETE dagRuns/{id} removes that run and no other; a scheduler driving the home refuses it.
func TestDeleteRun(t *testing.T) {
	e := newEnv(t, nil)
	seedRun(t, e.app.Store, "", "pipe", "r1", day(1), tasks.StateSuccess, 1, "extract")
	seedRun(t, e.app.Store, "", "pipe", "r2", day(2), tasks.StateSuccess, 1, "extract")
	e.problem(http.StatusForbidden, "DELETE", "/api/v1/dags/pipe/dagRuns/r1", "", e.as("user"), "needs the Op role")
	e.want(http.StatusNoContent, "DELETE", "/api/v1/dags/pipe/dagRuns/r1", "", e.as("op"))
	if l := get[runList](e, "/api/v1/dags/pipe/dagRuns"); l.Total != 1 || l.DagRuns[0].DagRunID != "r2" {
		t.Errorf("after deleting r1, pipe's runs are %v", runIDs(l))
	}
	e.problem(http.StatusNotFound, "GET", "/api/v1/dags/pipe/dagRuns/r1/taskInstances", "", e.as("viewer"), `"r1"`)
	e.problem(http.StatusNotFound, "DELETE", "/api/v1/dags/pipe/dagRuns/r1", "", e.as("op"), `no run "r1"`)
	e.problem(http.StatusNotFound, "DELETE", "/api/v1/dags/nope/dagRuns/r1", "", e.as("op"), `"nope"`)
	e.startScheduler()
	e.problem(http.StatusConflict, "DELETE", "/api/v1/dags/pipe/dagRuns/r2", "", e.as("op"), "stop it first")
}

// An XCom by its key (of the instance map_index names), and a task instance's links (none).
func TestXComByKeyAndLinks(t *testing.T) {
	e := newEnv(t, nil)
	e.startScheduler()
	e.trigger("pipe", "r1", "")
	e.waitRun("pipe", "r1")
	const ti = "/api/v1/dags/pipe/dagRuns/r1/taskInstances/transform"
	type xcom struct {
		Key      string `json:"key"`
		Value    string `json:"value"`
		TaskID   string `json:"task_id"`
		MapIndex int    `json:"map_index"`
	}
	x := jsonOf[xcom](t, e.want(http.StatusOK, "GET", ti+"/xcomEntries/return_value", "", e.as("viewer")))
	if x.Key != "return_value" || x.Value != "42" || x.TaskID != "transform" || x.MapIndex != -1 {
		t.Errorf("XCom return_value of transform: %+v, want 42", x)
	}
	e.problem(http.StatusNotFound, "GET", ti+"/xcomEntries/nope", "", e.as("viewer"), `no XCom "nope"`)
	e.problem(http.StatusNotFound, "GET", ti+"/xcomEntries/return_value?map_index=3", "", e.as("viewer"), "transform[3]")
	e.problem(http.StatusNotFound, "GET", "/api/v1/dags/pipe/dagRuns/r1/taskInstances/nope/xcomEntries/return_value", "", e.as("viewer"), `no task "nope"`)

	if w := e.want(http.StatusOK, "GET", ti+"/links", "", e.as("viewer")); string(w.body) != "{\"extra_links\":[]}\n" {
		t.Errorf("links: %s", w.body)
	}
	e.problem(http.StatusNotFound, "GET", "/api/v1/dags/pipe/dagRuns/zz/taskInstances/transform/links", "", e.as("viewer"), `no run "zz"`)
}
