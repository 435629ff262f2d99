package api_test

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/wasmflow/wasmflow/tasks"
)

// POST /dags/~/dagRuns/list lists the runs of the DAGs dag_ids names (every DAG's without),
// with GET dagRuns' filters and order as body fields, a page at a time.
func TestListRunsBatch(t *testing.T) {
	e := newEnv(t, nil)
	seedRun(t, e.app.Store, "", "pipe", "a", day(1), tasks.StateSuccess, 1, "extract")
	seedRun(t, e.app.Store, "", "pipe", "b", day(3), tasks.StateFailed, 1, "extract")
	seedRun(t, e.app.Store, "", "naps", "x", day(2), tasks.StateSuccess, 1, "nap")
	seedRun(t, e.app.Store, "", "quiet", "q", day(4), tasks.StateSuccess, 1, "only")
	const path = "/api/v1/dags/~/dagRuns/list"
	for body, want := range map[string][]string{
		`{}`:                               {"q", "b", "x", "a"},
		`{"dag_ids":["pipe","naps"]}`:      {"b", "x", "a"},
		`{"dag_ids":["nope"]}`:             {},
		`{"states":["failed"]}`:            {"b"},
		`{"order_by":"logical_date"}`:      {"a", "x", "b", "q"},
		`{"page_limit":2,"page_offset":1}`: {"b", "x"},
		`{"execution_date_gte":"2024-01-02T00:00:00Z","execution_date_lte":"2024-01-03T00:00:00Z"}`: {"b", "x"},
	} {
		l := jsonOf[runList](t, e.want(http.StatusOK, "POST", path, body, e.as("viewer")))
		if got := runIDs(l); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v, want %v", body, got, want)
		}
	}
	if l := jsonOf[runList](t, e.want(http.StatusOK, "POST", path, `{"page_limit":1}`, e.as("viewer"))); l.Total != 4 {
		t.Errorf("total_entries counts every match, not the page: %d", l.Total)
	}
	e.problem(http.StatusBadRequest, "POST", path, `{"states":["done"]}`, e.as("viewer"), `"done" is not one of`)
	e.problem(http.StatusBadRequest, "POST", path, `{"order_by":"colour"}`, e.as("viewer"), "order_by must be one of")
	e.problem(http.StatusBadRequest, "POST", path, `{"page_limit":0}`, e.as("viewer"), "page_limit must be from 1")
	e.problem(http.StatusBadRequest, "POST", path, `{"dag_id":"pipe"}`, e.as("viewer"), `unknown field "dag_id"`)
}

// POST /dags/~/dagRuns/~/taskInstances/list lists task instances across DAGs and runs, with
// the filters of GET taskInstances as body fields and the run's logical date as execution_date.
func TestListTaskInstancesBatch(t *testing.T) {
	e := newEnv(t, nil)
	seedRun(t, e.app.Store, "", "pipe", "a", day(1), tasks.StateSuccess, 1, "extract", "load")
	seedRun(t, e.app.Store, "", "pipe", "b", day(3), tasks.StateFailed, 5, "extract")
	seedRun(t, e.app.Store, "", "naps", "x", day(2), tasks.StateSuccess, 1, "nap")
	const path = "/api/v1/dags/~/dagRuns/~/taskInstances/list"
	type tiList struct {
		TaskInstances []taskInstance `json:"task_instances"`
		Total         int            `json:"total_entries"`
	}
	names := func(l tiList) []string {
		out := []string{}
		for _, ti := range l.TaskInstances {
			out = append(out, ti.DagRunID+"/"+ti.TaskID)
		}
		return out
	}
	for body, want := range map[string][]string{
		`{}`:                               {"a/extract", "a/load", "b/extract", "x/nap"},
		`{"dag_ids":["naps"]}`:             {"x/nap"},
		`{"state":["failed"]}`:             {"b/extract"},
		`{"duration_gte":2}`:               {"b/extract"},
		`{"pool":["nope"]}`:                {},
		`{"page_limit":1,"page_offset":1}`: {"a/load"},
		`{"execution_date_gte":"2024-01-02T00:00:00Z"}`:                                   {"b/extract", "x/nap"},
		`{"execution_date_lte":"2024-01-02T00:00:00Z","dag_ids":["pipe"]}`:                {"a/extract", "a/load"},
		`{"start_date_gte":"2024-01-03T00:00:00Z","end_date_lte":"2024-01-04T00:00:00Z"}`: {"b/extract"},
	} {
		l := jsonOf[tiList](t, e.want(http.StatusOK, "POST", path, body, e.as("viewer")))
		if got := names(l); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v, want %v", body, got, want)
		}
	}
	if l := jsonOf[tiList](t, e.want(http.StatusOK, "POST", path, `{"page_limit":1}`, e.as("viewer"))); l.Total != 4 || len(l.TaskInstances) != 1 {
		t.Errorf("page_limit 1: %d of %d, want 1 of 4", len(l.TaskInstances), l.Total)
	}
	e.problem(http.StatusBadRequest, "POST", path, `{"state":["done"]}`, e.as("viewer"), `"done" is not a task instance state`)
	e.problem(http.StatusBadRequest, "POST", path, `{"states":["failed"]}`, e.as("viewer"), `unknown field "states"`)
	e.problem(http.StatusBadRequest, "POST", path, `{"page_offset":-1}`, e.as("viewer"), "page_offset must be from 0")
}
