package api_test

import (
	"reflect"
	"testing"
)

const groupedDag = `dag_id: grouped
groups:
  - {id: outer, tooltip: All of it}
  - {id: inner, parent_group: outer}
tasks:
  - {id: a, group: outer, module: modules/echo.wasm}
  - {id: b, group: inner, module: modules/echo.wasm}
  - {id: z, module: modules/echo.wasm, upstream: [outer]}
`

// TestTaskGroupsAPI: a task's group and the DAG's groups are in the task list, the DAG's
// details and the grid, for the graph and grid views to draw.
func TestTaskGroupsAPI(t *testing.T) {
	e := newEnv(t, map[string]string{"grouped.yaml": groupedDag})
	type task struct {
		TaskID    string   `json:"task_id"`
		Label     string   `json:"label"`
		TaskGroup *string  `json:"task_group"`
		GroupPath []string `json:"group_path"`
		Upstream  []string `json:"upstream_task_ids"`
	}
	type group struct {
		GroupID  string   `json:"group_id"`
		Label    string   `json:"label"`
		Tooltip  string   `json:"tooltip"`
		Prefix   bool     `json:"prefix_group_id"`
		ParentID *string  `json:"parent_group_id"`
		TaskIDs  []string `json:"task_ids"`
	}
	str := func(s string) *string { return &s }
	wantTasks := []task{
		{TaskID: "outer.a", Label: "a", TaskGroup: str("outer"), GroupPath: []string{"outer"}, Upstream: []string{}},
		{TaskID: "outer.inner.b", Label: "b", TaskGroup: str("outer.inner"), GroupPath: []string{"outer", "outer.inner"}, Upstream: []string{}},
		{TaskID: "z", Label: "z", GroupPath: []string{}, Upstream: []string{"outer.a", "outer.inner.b"}},
	}
	wantGroups := []group{
		{GroupID: "outer", Label: "outer", Tooltip: "All of it", Prefix: true, TaskIDs: []string{"outer.a", "outer.inner.b"}},
		{GroupID: "outer.inner", Label: "inner", Prefix: true, ParentID: str("outer"), TaskIDs: []string{"outer.inner.b"}},
	}

	ts := get[struct{ Tasks []task }](e, "/api/v1/dags/grouped/tasks")
	if !reflect.DeepEqual(ts.Tasks, wantTasks) {
		t.Errorf("tasks = %+v\nwant %+v", ts.Tasks, wantTasks)
	}
	d := get[struct {
		TaskGroups []group `json:"task_groups"`
	}](e, "/api/v1/dags/grouped")
	if !reflect.DeepEqual(d.TaskGroups, wantGroups) {
		t.Errorf("task_groups = %+v\nwant %+v", d.TaskGroups, wantGroups)
	}
	g := get[struct {
		Tasks      []task  `json:"tasks"`
		TaskGroups []group `json:"task_groups"`
	}](e, "/api/v1/dags/grouped/grid")
	if !reflect.DeepEqual(g.Tasks, wantTasks) || !reflect.DeepEqual(g.TaskGroups, wantGroups) {
		t.Errorf("grid = %+v", g)
	}
	// A DAG without groups answers an empty list, not null.
	if p := get[map[string]any](e, "/api/v1/dags/pipe"); !reflect.DeepEqual(p["task_groups"], []any{}) {
		t.Errorf("pipe's task_groups = %#v, want []", p["task_groups"])
	}
}
