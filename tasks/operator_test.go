package tasks

import (
	"encoding/json"
	"testing"
	"time"
)

// An operator task parses into a module task whose module is the operator's, and its fields,
// templates included, render for a try.
func TestOperatorTaskRenders(t *testing.T) {
	src := `dag_id: ops
params: {n: 3}
tasks:
  - id: shape
    operator: script
    language: javascript
    retries: 2
    code: |
      // for {{ ds }}
      return params.n;
`
	d, err := Parse("/tmp/ops.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	task := d.Task("shape")
	if task.Kind != KindModule || task.Module != "operator:script" || task.Operator == nil || task.Retries != 2 {
		t.Fatalf("task = kind %s, module %q, operator %+v, retries %d", task.Kind, task.Module, task.Operator, task.Retries)
	}
	day := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	in, err := RenderOperator(task.Operator, NewEnv(d, "shape", "manual__1", 1, day, day, day.AddDate(0, 0, 1), map[string]any{"n": 5}))
	if err != nil {
		t.Fatal(err)
	}
	if in.Fields["code"] != "// for 2024-01-02\nreturn params.n;\n" || in.Fields["language"] != "javascript" {
		t.Errorf("fields = %q", in.Fields)
	}
	b, _ := json.Marshal(in.Context)
	var ctx map[string]any
	_ = json.Unmarshal(b, &ctx)
	if ctx["ds"] != "2024-01-02" || ctx["task_id"] != "shape" || ctx["params"].(map[string]any)["n"] != 5.0 {
		t.Errorf("context = %s", b)
	}
}
