package api_test

import (
	"net/http"
	"testing"

	"github.com/wasmflow/wasmflow/tasks"
)

// POST updateTaskInstancesState marks a task of one run, with its downstream tasks and
// future runs when asked; it is a dry run unless told otherwise.
func TestUpdateTaskInstancesState(t *testing.T) {
	e := newEnv(t, nil)
	seedRun(t, e.app.Store, "", "pipe", "r1", day(1), tasks.StateSuccess, 1, "extract", "transform", "load")
	seedRun(t, e.app.Store, "", "pipe", "r2", day(2), tasks.StateSuccess, 1, "extract", "transform", "load")
	const path = "/api/v1/dags/pipe/updateTaskInstancesState"
	type refs struct {
		TaskInstances []struct {
			DagRunID string  `json:"dag_run_id"`
			TaskID   string  `json:"task_id"`
			State    *string `json:"state"`
		} `json:"task_instances"`
	}
	names := func(l refs) map[string]bool {
		out := map[string]bool{}
		for _, ti := range l.TaskInstances {
			out[ti.DagRunID+"/"+ti.TaskID] = true
		}
		return out
	}
	dry := jsonOf[refs](t, e.want(http.StatusOK, "POST", path, `{"dag_run_id":"r1","task_id":"transform","include_downstream":true,"include_future":true,"new_state":"failed"}`, e.as("user")))
	if got := names(dry); len(got) != 4 || !got["r1/transform"] || !got["r1/load"] || !got["r2/transform"] || !got["r2/load"] {
		t.Errorf("dry run lists %v, want transform and load of r1 and r2", got)
	}
	for id, ti := range e.tis("pipe", "r1") {
		if stateOf(ti) != "success" {
			t.Errorf("a dry run changed %s to %s", id, stateOf(ti))
		}
	}
	done := jsonOf[refs](t, e.want(http.StatusOK, "POST", path, `{"execution_date":"2024-01-01T00:00:00Z","task_id":"transform","dry_run":false,"new_state":"failed"}`, e.as("user")))
	if got := names(done); len(got) != 1 || !got["r1/transform"] || *done.TaskInstances[0].State != "failed" {
		t.Errorf("marking transform of r1 answered %+v", done)
	}
	want := map[string]string{"r1/extract": "success", "r1/transform": "failed", "r1/load": "success", "r2/transform": "success"}
	for k, st := range want {
		run, task := k[:2], k[3:]
		if got := stateOf(e.tis("pipe", run)[task]); got != st {
			t.Errorf("%s is %s, want %s", k, got, st)
		}
	}
	for _, c := range []struct {
		status     int
		body, says string
	}{
		{http.StatusBadRequest, `{"dag_run_id":"r1","task_id":"load","new_state":"running"}`, "new_state must be"},
		{http.StatusBadRequest, `{"dag_run_id":"r1","new_state":"failed"}`, "task_id is required"},
		{http.StatusBadRequest, `{"task_id":"load","new_state":"failed"}`, "dag_run_id (or execution_date) is required"},
		{http.StatusNotFound, `{"dag_run_id":"zz","task_id":"load","new_state":"failed"}`, `no run "zz"`},
		{http.StatusNotFound, `{"dag_run_id":"r1","task_id":"nope","new_state":"failed"}`, `no task "nope"`},
	} {
		e.problem(c.status, "POST", path, c.body, e.as("user"), c.says)
	}
	e.problem(http.StatusForbidden, "POST", path, `{"dag_run_id":"r1","task_id":"load","dry_run":false,"new_state":"failed"}`, e.as("viewer"), "needs the User role")
	if got := stateOf(e.tis("pipe", "r1")["load"]); got != "success" {
		t.Errorf("refused requests changed load of r1 to %s", got)
	}
}
