package api_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
)

const typedDag = `dag_id: typed
params:
  n: {type: integer, minimum: 1, maximum: 10, default: 3, description: how many}
  mode: {enum: [fast, slow], default: fast}
  who: {type: string, minLength: 1}
  word: hello
tasks:
  - {id: say, module: modules/echo.wasm, args: ["{{ params.who }} {{ params.n }}"]}
`

// TestTriggerChecksParams: a conf that breaks the params' schemas is refused with a 400
// problem naming every reason, in detail and per param in errors; a param without default the
// conf leaves out is refused; a good conf makes a run.
func TestTriggerChecksParams(t *testing.T) {
	e := newEnv(t, map[string]string{"typed.yaml": typedDag})
	r := e.call("POST", "/api/v1/dags/typed/dagRuns", `{"conf": {"n": 0, "mode": "medium", "who": "me"}}`, e.as("user"))
	checkProblem(t, "bad conf", r, http.StatusBadRequest, "DAG typed", "/n: minimum: got 0, want 1", "/mode: value must be one of 'fast', 'slow'")
	var p struct {
		Errors []struct{ Param, Path, Message string }
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Errors) != 2 || p.Errors[1].Param != "mode" || p.Errors[0].Path != "/n" || p.Errors[0].Message != "minimum: got 0, want 1" {
		t.Errorf("errors = %+v, want n's and mode's (the file's order)", p.Errors)
	}
	e.problem(http.StatusBadRequest, "POST", "/api/v1/dags/typed/dagRuns", `{}`, e.as("user"), "/who: no value given and the param has no default")
	if l := jsonOf[runList](t, e.want(http.StatusOK, "GET", "/api/v1/dags/typed/dagRuns", "", e.as("viewer"))); l.Total != 0 {
		t.Fatalf("refused triggers made %d runs", l.Total)
	}
	run := jsonOf[dagRun](t, e.want(http.StatusOK, "POST", "/api/v1/dags/typed/dagRuns", `{"conf": {"n": 7, "who": "me"}}`, e.as("user")))
	if !reflect.DeepEqual(run.Conf, map[string]any{"n": 7.0, "who": "me"}) {
		t.Errorf("the run's conf = %v", run.Conf)
	}
}

// TestDagDetailsParams: /details shows every param as Airflow's API does, a Param with its
// value, description and schema; a plain value has an empty schema, a required param a null value.
func TestDagDetailsParams(t *testing.T) {
	e := newEnv(t, map[string]string{"typed.yaml": typedDag})
	var d struct {
		DagID  string         `json:"dag_id"`
		Params map[string]any `json:"params"`
	}
	if err := json.Unmarshal(e.want(http.StatusOK, "GET", "/api/v1/dags/typed/details", "", e.as("viewer")).body, &d); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"n": map[string]any{"__class": "airflow.models.param.Param", "value": 3.0, "description": "how many",
			"schema": map[string]any{"type": "integer", "minimum": 1.0, "maximum": 10.0}},
		"mode": map[string]any{"__class": "airflow.models.param.Param", "value": "fast", "description": nil,
			"schema": map[string]any{"enum": []any{"fast", "slow"}}},
		"who": map[string]any{"__class": "airflow.models.param.Param", "value": nil, "description": nil,
			"schema": map[string]any{"type": "string", "minLength": 1.0}},
		"word": map[string]any{"__class": "airflow.models.param.Param", "value": "hello", "description": nil, "schema": map[string]any{}},
	}
	if d.DagID != "typed" || !reflect.DeepEqual(d.Params, want) {
		t.Errorf("details = %s %v\nwant params %v", d.DagID, d.Params, want)
	}
	body := string(e.want(http.StatusOK, "GET", "/api/v1/dags/typed/details", "", e.as("viewer")).body)
	if at := []int{strings.Index(body, `"n":`), strings.Index(body, `"mode":`), strings.Index(body, `"who":`), strings.Index(body, `"word":`)}; !slices.IsSorted(at) || at[0] < 0 {
		t.Errorf("params are not in the file's order (n, mode, who, word): %s", body)
	}
	e.problem(http.StatusNotFound, "GET", "/api/v1/dags/nope/details", "", e.as("viewer"), `DAG "nope" not found`)
}
