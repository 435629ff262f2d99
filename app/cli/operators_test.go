package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmflow/wasmflow/tasks/operators/operatorstest"
)

func TestOperatorsList(t *testing.T) {
	h := newHome(t, "WASMFLOW__CORE__LOAD_EXAMPLES", "false")
	type field struct {
		Name     string `json:"name"`
		Type     string `json:"type"`
		Required bool   `json:"required"`
		Doc      string `json:"doc"`
	}
	list := decode[[]struct {
		Name   string  `json:"name"`
		Fields []field `json:"fields"`
	}](t, h.ok("operators", "list", "-o", "json"))
	if len(list) != 5 || list[0].Name != "http" || list[0].Fields[6].Name != "response_check" || list[0].Fields[6].Type != "condition" ||
		list[1].Name != "http_sensor" || list[3].Name != "sql" || list[3].Fields[2].Type != "list" || list[4].Name != "sql_sensor" ||
		list[2].Name != "script" || len(list[2].Fields) != 2 || list[2].Fields[1] != (field{"code", "string", true, list[2].Fields[1].Doc}) || list[2].Fields[1].Doc == "" {
		t.Errorf("operators list -o json = %+v", list)
	}
	if out := h.ok("operators", "list"); !strings.Contains(out, "language         enum (javascript)                           yes") || !strings.Contains(out, "response_check   condition") {
		t.Errorf("operators list:\n%s", out)
	}
}

const scriptDAG = `dag_id: scripted
params: {factor: 2}
tasks:
  - id: double
    operator: script
    language: javascript
    code: |
      const rows = JSON.parse(xcom("extract"));
      return rows.map(r => r * params.factor);
  - id: broken
    operator: script
    language: javascript
    code: |
      null.x;
  - id: typo
    operator: script
    language: javascript
    cod: return 1
`

// `tasks test` runs a script task as the scheduler would; a bad operator task is an import
// error at its line.
func TestTasksTestScript(t *testing.T) {
	cache := operatorstest.Build(t)
	dags := t.TempDir()
	if err := os.WriteFile(filepath.Join(dags, "scripted.yaml"), []byte(scriptDAG), 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHome(t, "WASMFLOW__CORE__DAGS_FOLDER", dags, "WASMFLOW__CORE__LOAD_EXAMPLES", "false")
	// The home's compilation cache is the shared one, so the 19 MB module is not compiled cold.
	if err := os.MkdirAll(filepath.Join(h.dir, "cache"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(cache, filepath.Join(h.dir, "cache", "modules")); err != nil {
		t.Fatal(err)
	}
	if out := h.ok("dags", "list-import-errors"); !strings.Contains(out, "18:5: unknown task key \"cod\" (did you mean \"code\"?)") {
		t.Errorf("dags list-import-errors:\n%s", out)
	}
	fixed := strings.Replace(scriptDAG, "cod: return 1", "code: return 1", 1)
	if err := os.WriteFile(filepath.Join(dags, "scripted.yaml"), []byte(fixed), 0o644); err != nil {
		t.Fatal(err)
	}
	out := h.ok("tasks", "test", "scripted", "double", "--xcom", "extract=[1, 2, 3]", "-c", `{"factor": 10}`)
	if !strings.Contains(out, "return_value = [10,20,30]") || !strings.Contains(out, "state: success") {
		t.Errorf("tasks test double:\n%s", out)
	}
	code, out, errs := h.run("", "tasks", "test", "scripted", "broken")
	if code != 1 || !strings.Contains(out, "script failed at line 1, column 6 of code (scripted.yaml:14): TypeError: Cannot read property 'x' of") || !strings.Contains(errs, "ended failed") {
		t.Errorf("tasks test broken: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
}

// The example DAG runs from the examples as they ship: extract's JSON through the transform.
func TestExampleScript(t *testing.T) {
	cache := operatorstest.Build(t)
	h := newHome(t)
	if err := os.MkdirAll(filepath.Join(h.dir, "cache"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(cache, filepath.Join(h.dir, "cache", "modules")); err != nil {
		t.Fatal(err)
	}
	extract := returnValue(t, h.ok("tasks", "test", "example_script", "extract", "-o", "json"))
	out := h.ok("tasks", "test", "example_script", "transform", "2024-03-01", "--xcom", "extract="+extract)
	if !strings.Contains(out, `return_value = {"customers":["grace","edsger"],"day":"2024-03-01","total":495}`) ||
		!strings.Contains(out, "2 of 3 orders on 2024-03-01 reach 100") {
		t.Errorf("transform:\n%s", out)
	}
}

// returnValue is the return_value of a `tasks test -o json` result.
func returnValue(t *testing.T, out string) string {
	var res struct {
		XComs map[string]string `json:"xcoms"`
	}
	if err := json.Unmarshal([]byte(lastJSON(out)), &res); err != nil || res.XComs["return_value"] == "" {
		t.Fatalf("tasks test -o json: %v\n%s", err, out)
	}
	return res.XComs["return_value"]
}
