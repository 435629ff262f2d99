package api_test

import (
	"net/http"
	"testing"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// setNote keeps a note on a task instance (a mapped one's by its path) and answers it;
// it is a User's write, and the note stays through the scheduler's own saves of the row.
func TestTaskInstanceNotes(t *testing.T) {
	e := newEnv(t, nil)
	seedRun(t, e.app.Store, "", "pipe", "r1", day(1), tasks.StateFailed, 1, "extract", "load")
	const path = "/api/v1/dags/pipe/dagRuns/r1/taskInstances/load/setNote"
	type noted struct {
		TaskID string  `json:"task_id"`
		State  *string `json:"state"`
		Note   *string `json:"note"`
	}
	n := jsonOf[noted](t, e.want(http.StatusOK, "PATCH", path, `{"note":"flaky upstream"}`, e.as("user")))
	if n.TaskID != "load" || n.Note == nil || *n.Note != "flaky upstream" || *n.State != "failed" {
		t.Errorf("setNote answered %+v", n)
	}
	// Marking saves the task instance: the note must survive it.
	e.want(http.StatusOK, "PATCH", "/api/v1/dags/pipe/dagRuns/r1/taskInstances/load", `{"new_state":"success"}`, e.as("user"))
	if got, err := e.app.Store.TINote(t.Context(), scheduler.NewTIKey("pipe", "r1", "load")); err != nil || got == nil || *got != "flaky upstream" {
		t.Errorf("after a mark, load's note is %v (%v)", got, err)
	}
	if got, _ := e.app.Store.TINote(t.Context(), scheduler.NewTIKey("pipe", "r1", "extract")); got != nil {
		t.Errorf("extract got a note: %q", *got)
	}
	e.problem(http.StatusForbidden, "PATCH", path, `{"note":"x"}`, e.as("viewer"), "needs the User role")
	e.problem(http.StatusBadRequest, "PATCH", path, `{}`, e.as("user"), `send {"note": "..."}`)
	e.problem(http.StatusNotFound, "PATCH", "/api/v1/dags/pipe/dagRuns/r1/taskInstances/nope/setNote", `{"note":"x"}`, e.as("user"), `no task "nope"`)
	e.problem(http.StatusNotFound, "PATCH", "/api/v1/dags/pipe/dagRuns/r1/taskInstances/load/3/setNote", `{"note":"x"}`, e.as("user"), "load[3]")
	e.problem(http.StatusNotFound, "PATCH", "/api/v1/dags/pipe/dagRuns/zz/setNote", `{"note":"x"}`, e.as("user"), `no run "zz"`)
}
