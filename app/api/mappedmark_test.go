package api_test

import (
	"net/http"
	"testing"
)

// PATCH taskInstances/{task_id}/{map_index} marks that one instance of a mapped task; the
// others keep their state. dry_run answers the instance unchanged.
func TestMarkOneMappedInstance(t *testing.T) {
	e := newEnv(t, map[string]string{"fan.yaml": mappedDag})
	e.startScheduler()
	e.want(http.StatusOK, "PATCH", "/api/v1/dags/fan", `{"is_paused": false}`, e.as("user"))
	e.trigger("fan", "r1", "")
	if run := e.waitRun("fan", "r1"); run.State != "success" {
		t.Fatalf("run r1: %+v", run)
	}
	const base = "/api/v1/dags/fan/dagRuns/r1/taskInstances/per_file"
	type ref struct {
		TaskID   string  `json:"task_id"`
		MapIndex int     `json:"map_index"`
		State    *string `json:"state"`
	}
	states := func() []string {
		l := get[struct {
			TaskInstances []ref `json:"task_instances"`
		}](e, base+"/listMapped")
		out := []string{}
		for _, ti := range l.TaskInstances {
			out = append(out, *ti.State)
		}
		return out
	}
	dry := jsonOf[ref](t, e.want(http.StatusOK, "PATCH", base+"/1", `{"new_state":"failed","dry_run":true}`, e.as("user")))
	if dry.MapIndex != 1 || *dry.State != "success" {
		t.Errorf("dry run answered %+v, want per_file[1] still success", dry)
	}
	got := jsonOf[ref](t, e.want(http.StatusOK, "PATCH", base+"/1", `{"new_state":"failed"}`, e.as("user")))
	if got.TaskID != "per_file" || got.MapIndex != 1 || *got.State != "failed" {
		t.Errorf("PATCH %s/1 answered %+v, want per_file[1] failed", base, got)
	}
	if s := states(); len(s) != 3 || s[0] != "success" || s[1] != "failed" || s[2] != "success" {
		t.Errorf("after marking [1] failed, per_file's instances are %v", s)
	}
	e.problem(http.StatusForbidden, "PATCH", base+"/2", `{"new_state":"failed"}`, e.as("viewer"), "needs the User role")
	e.problem(http.StatusNotFound, "PATCH", base+"/7", `{"new_state":"failed"}`, e.as("user"), "per_file[7]")
	e.problem(http.StatusBadRequest, "PATCH", base+"/2", `{"new_state":"running"}`, e.as("user"), `not "running"`)
	if s := states(); s[2] != "success" {
		t.Errorf("refused marks changed per_file[2] to %s", s[2])
	}
}
