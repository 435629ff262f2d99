package cluster

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/runtime"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// TestXComFlowsThroughTemplates runs test_pipe's extract, then renders transform with
// extract's real XCom in its template ({{ xcom("extract") }}) and runs it.
func TestXComFlowsThroughTemplates(t *testing.T) {
	d, err := tasks.ParseFile(filepath.Join("..", "examples", "dags", "test_pipe.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := runtime.New(context.Background(), runtime.Config{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	xcoms := map[string]map[string][]byte{}
	ld := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	tc := scheduler.TryContext{RunID: "manual__1", TryNumber: 1, LogicalDate: ld, DataIntervalStart: ld, DataIntervalEnd: ld.AddDate(0, 0, 1),
		XCom: func(taskID string, key ...string) any {
			k := "return_value"
			if len(key) > 0 {
				k = key[0]
			}
			if v, ok := xcoms[taskID][k]; ok {
				return string(v)
			}
			return nil
		}}
	for _, step := range []struct{ task, want string }{{"extract", "42"}, {"transform", "84"}, {"load", "loaded 84 rows for 2024-03-01"}} {
		w, err := scheduler.RenderWorkload(d, d.Task(step.task), tc)
		if err != nil {
			t.Fatal(err)
		}
		var log bytes.Buffer
		res, err := RunWorkload(context.Background(), r, w, &log, nil)
		if err != nil || res.State != runtime.StateSuccess {
			t.Fatalf("%s: %+v, %v\n%s", step.task, res, err, log.String())
		}
		if got := string(res.XComs["return_value"]); got != step.want {
			t.Fatalf("%s returned %q, want %q (args %q)", step.task, got, step.want, w.Args)
		}
		if w.Env["WASMFLOW_DS"] != "2024-03-01" || w.Env["WASMFLOW_TASK_ID"] != step.task || !strings.HasPrefix(w.Env["WASMFLOW_LOGICAL_DATE"], "2024-03-01T00:00:00") {
			t.Errorf("%s: WASMFLOW_* env = %v", step.task, w.Env)
		}
		xcoms[step.task] = res.XComs
	}
}
