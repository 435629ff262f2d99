package api_test

import (
	"net/http"
	"strings"
	"testing"
)

const mappedDag = `dag_id: fan
tasks:
  - id: files
    module: modules/echo.wasm
    args: ['["a.csv", "b.csv", "c.csv"]']
  - id: per_file
    module: modules/echo.wasm
    expand: 'xcom("files")'
    args: ["read {{ item }}"]
    upstream: [files]
`

// A mapped task's instances through Airflow's paths: listMapped, /{map_index}, map_index in
// every TaskInstance, and each instance's own log and XComs.
func TestMappedTaskInstancesAPI(t *testing.T) {
	e := newEnv(t, map[string]string{"fan.yaml": mappedDag})
	e.startScheduler()
	e.want(http.StatusOK, "PATCH", "/api/v1/dags/fan", `{"is_paused": false}`, e.as("user"))
	e.trigger("fan", "r1", "")
	if run := e.waitRun("fan", "r1"); run.State != "success" {
		t.Fatalf("run r1: %+v", run)
	}
	const base = "/api/v1/dags/fan/dagRuns/r1/taskInstances/per_file"
	type mapped struct {
		TaskID   string  `json:"task_id"`
		MapIndex int     `json:"map_index"`
		State    *string `json:"state"`
	}
	list := get[struct {
		TaskInstances []mapped `json:"task_instances"`
		Total         int      `json:"total_entries"`
	}](e, base+"/listMapped")
	if list.Total != 3 || len(list.TaskInstances) != 3 {
		t.Fatalf("listMapped = %+v, want 3 instances", list)
	}
	for i, ti := range list.TaskInstances {
		if ti.MapIndex != i || ti.State == nil || *ti.State != "success" {
			t.Errorf("listMapped[%d] = %+v, want map_index %d success", i, ti, i)
		}
	}
	if page := get[struct {
		TaskInstances []mapped `json:"task_instances"`
	}](e, base+"/listMapped?limit=1&offset=2"); len(page.TaskInstances) != 1 || page.TaskInstances[0].MapIndex != 2 {
		t.Errorf("listMapped?limit=1&offset=2 = %+v, want map_index 2 alone", page)
	}
	grid := get[struct {
		Tasks []struct {
			TaskID   string `json:"task_id"`
			IsMapped bool   `json:"is_mapped"`
		} `json:"tasks"`
		Instances [][]*struct {
			State        *string        `json:"state"`
			MappedStates map[string]int `json:"mapped_states"`
		} `json:"instances"`
	}](e, "/api/v1/dags/fan/grid")
	if len(grid.Tasks) != 2 || !grid.Tasks[1].IsMapped || grid.Tasks[0].IsMapped || len(grid.Instances) != 1 {
		t.Fatalf("grid = %+v, want files then per_file, mapped", grid)
	}
	if c := grid.Instances[0][1]; c == nil || c.State == nil || *c.State != "success" || c.MappedStates["success"] != 3 || len(c.MappedStates) != 1 {
		t.Errorf("grid cell of per_file = %+v, want one cell: success, 3 instances", c)
	}
	one := get[mapped](e, base+"/1")
	if one.MapIndex != 1 || one.TaskID != "per_file" {
		t.Errorf("GET %s/1 = %+v", base, one)
	}
	e.problem(http.StatusNotFound, "GET", base+"/7", "", e.as("admin"), "per_file[7]")
	e.problem(http.StatusNotFound, "GET", base, "", e.as("admin"), "mapped into 3 instances", "map index")
	e.problem(http.StatusBadRequest, "GET", base+"/x", "", e.as("admin"), "map_index")
	if files := get[mapped](e, "/api/v1/dags/fan/dagRuns/r1/taskInstances/files"); files.MapIndex != -1 {
		t.Errorf("an unmapped task's map_index = %d, want -1", files.MapIndex)
	}

	xs := get[struct {
		Entries []struct {
			MapIndex int    `json:"map_index"`
			Value    string `json:"value"`
		} `json:"xcom_entries"`
	}](e, base+"/xcomEntries?map_index=2")
	if len(xs.Entries) != 1 || xs.Entries[0].Value != "read c.csv" || xs.Entries[0].MapIndex != 2 {
		t.Errorf("XComs of per_file[2] = %+v, want its own return_value", xs)
	}
	log := e.want(http.StatusOK, "GET", base+"/logs/1?map_index=1&full_content=true", "", e.as("admin"))
	if !strings.Contains(string(log.body), "read b.csv") {
		t.Errorf("log of per_file[1] = %s, want its own output", log.body)
	}

	// Airflow's [task_id, map_index] in clearTaskInstances clears that instance alone.
	e.problem(http.StatusBadRequest, "POST", "/api/v1/dags/fan/clearTaskInstances",
		`{"dag_run_id": "r1", "task_ids": [["per_file", "one"]], "dry_run": false}`, e.as("user"), "[task_id, map_index]")
	cleared := jsonOf[struct {
		TaskInstances []mapped `json:"task_instances"`
	}](t, e.want(http.StatusOK, "POST", "/api/v1/dags/fan/clearTaskInstances",
		`{"dag_run_id": "r1", "task_ids": [["per_file", 2]], "only_failed": false, "dry_run": false}`, e.as("user")))
	if len(cleared.TaskInstances) != 1 || cleared.TaskInstances[0].MapIndex != 2 {
		t.Errorf("clearTaskInstances answered %+v, want per_file[2] alone", cleared)
	}
	if run := e.waitRun("fan", "r1"); run.State != "success" {
		t.Fatalf("run r1 after the clear: %+v", run)
	}
	tries := map[int]int{}
	for _, ti := range get[struct {
		TaskInstances []struct {
			MapIndex  int `json:"map_index"`
			TryNumber int `json:"try_number"`
		} `json:"task_instances"`
	}](e, base+"/listMapped").TaskInstances {
		tries[ti.MapIndex] = ti.TryNumber
	}
	if tries[0] != 1 || tries[1] != 1 || tries[2] != 2 {
		t.Errorf("tries by map_index after clearing per_file[2] = %v, want only [2] run again", tries)
	}

	// Airflow's PATCH of one mapped instance marks that one; the others keep their state.
	marked := jsonOf[mapped](t, e.want(http.StatusOK, "PATCH", base+"/0", `{"new_state": "failed"}`, e.as("user")))
	if marked.MapIndex != 0 || marked.State == nil || *marked.State != "failed" {
		t.Errorf("PATCH %s/0 answered %+v, want per_file[0] failed", base, marked)
	}
	e.want(http.StatusForbidden, "PATCH", base+"/1", `{"new_state": "failed"}`, e.as("viewer"))
	states := map[int]string{}
	for _, ti := range get[struct {
		TaskInstances []mapped `json:"task_instances"`
	}](e, base+"/listMapped").TaskInstances {
		states[ti.MapIndex] = *ti.State
	}
	if states[0] != "failed" || states[1] != "success" || states[2] != "success" {
		t.Errorf("states by map_index after marking per_file[0] failed = %v", states)
	}
}

// Airflow's "~" in xcomEntries lists XComs across DAGs, runs and tasks, paged, with the other
// path parts and map_index narrowing them.
func TestXComEntriesAcross(t *testing.T) {
	e := newEnv(t, map[string]string{"fan.yaml": mappedDag})
	e.startScheduler()
	e.want(http.StatusOK, "PATCH", "/api/v1/dags/fan", `{"is_paused": false}`, e.as("user"))
	e.trigger("fan", "r1", "")
	if run := e.waitRun("fan", "r1"); run.State != "success" {
		t.Fatalf("run r1: %+v", run)
	}
	type list struct {
		Entries []struct {
			DagID    string `json:"dag_id"`
			TaskID   string `json:"task_id"`
			MapIndex int    `json:"map_index"`
			Value    string `json:"value"`
		} `json:"xcom_entries"`
		Total int `json:"total_entries"`
	}
	// files pushes one return_value, each of per_file's 3 instances one.
	if all := get[list](e, "/api/v1/dags/~/dagRuns/~/taskInstances/~/xcomEntries"); all.Total != 4 || len(all.Entries) != 4 {
		t.Errorf("every XCom: %+v, want 4", all)
	}
	if one := get[list](e, "/api/v1/dags/fan/dagRuns/~/taskInstances/per_file/xcomEntries?map_index=1"); one.Total != 1 || one.Entries[0].Value != "read b.csv" {
		t.Errorf("per_file[1]'s XComs: %+v", one)
	}
	if page := get[list](e, "/api/v1/dags/~/dagRuns/r1/taskInstances/~/xcomEntries?limit=2&offset=3"); page.Total != 4 || len(page.Entries) != 1 {
		t.Errorf("limit=2&offset=3: %+v, want the last of 4", page)
	}
	if none := get[list](e, "/api/v1/dags/other/dagRuns/~/taskInstances/~/xcomEntries"); none.Total != 0 || len(none.Entries) != 0 {
		t.Errorf("another DAG's XComs: %+v, want none", none)
	}
	e.problem(http.StatusBadRequest, "GET", "/api/v1/dags/~/dagRuns/~/taskInstances/~/xcomEntries?map_index=x", "", e.as("viewer"), "map_index")
}
