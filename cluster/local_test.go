package cluster

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/runtime"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// xcomChain passes a value along module tasks by XCom templates (the example test_pipe was
// this chain before it became an ETL of operators).
const xcomChain = `dag_id: xcom_chain
tasks:
  - id: extract
    module: modules/sum.wasm
    args: ["20", "22"]
  - id: transform
    module: modules/sum.wasm
    args: ["{{ xcom(\"extract\") }}", "{{ xcom(\"extract\") }}"]
    upstream: [extract]
  - id: load
    module: modules/echo.wasm
    args: ["loaded", "{{ xcom(\"transform\") }}", "rows for", "{{ ds }}"]
    upstream: [transform]
`

// TestXComFlowsThroughTemplates runs extract, then renders transform with extract's real
// XCom in its template ({{ xcom("extract") }}) and runs it.
func TestXComFlowsThroughTemplates(t *testing.T) {
	dir := t.TempDir()
	modules, err := filepath.Abs(filepath.Join("..", "examples", "dags", "modules"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(modules, filepath.Join(dir, "modules")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "xcom_chain.yaml"), []byte(xcomChain), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := tasks.ParseFile(filepath.Join(dir, "xcom_chain.yaml"))
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

// A module file replaced in place runs, and is recorded, as its new bytes: the local
// executor's remembered sha256 follows the file's size and modification time.
func TestLocalModuleReplacedInPlace(t *testing.T) {
	r, err := runtime.New(context.Background(), runtime.Config{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	path := filepath.Join(t.TempDir(), "task.wasm")
	for i, name := range []string{"echo", "sum", "sum"} {
		wasm, err := os.ReadFile(filepath.Join("..", "examples", "dags", "modules", name+".wasm"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, wasm, 0o644); err != nil {
			t.Fatal(err)
		}
		// A new modification time even where the clock's step is coarse.
		mtime := time.Date(2024, 1, 1, 0, 0, i, 0, time.UTC)
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		w := scheduler.Workload{DagID: "d", TaskID: "t", ModulePath: path, Args: []string{"2", "3"}, MemoryLimit: 64 << 20}
		res, err := RunWorkload(context.Background(), r, w, io.Discard, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.ModuleSHA256 != runtime.Digest(wasm) {
			t.Errorf("run %d (%s): module sha256 %s, want the file's %s", i, name, res.ModuleSHA256, runtime.Digest(wasm))
		}
	}
}
