package scheduler_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmflow/wasmflow/cluster"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
	"github.com/wasmflow/wasmflow/tasks/operators"
	"github.com/wasmflow/wasmflow/tasks/operators/operatorstest"
)

const scriptPipeline = `dag_id: scripts
params: {min: 100}
tasks:
  - id: extract
    operator: script
    language: javascript
    code: |
      return [{id: 1, total: 50}, {id: 2, total: 150}, {id: 3, total: 300}];
  - id: shape
    operator: script
    language: javascript
    code: |
      const items = JSON.parse(xcom("extract"));
      log("shaping", items.length, "orders of", ds);
      const big = items.filter(i => i.total > params.min);
      return {day: "{{ ds }}", ids: big.map(i => i.id), missing: xcom("nope")};
    upstream: [extract]
  - id: check
    operator: script
    language: javascript
    code: |
      const n = JSON.parse(xcom("shape")).ids.length;
      if (n < 5) {
        throw new Error("only " + n + " big orders");
      }
    upstream: [shape]
`

// Operator tasks run through the scheduler like module tasks: an upstream's JSON reaches the
// script through xcom(), params and ds are there, the returned object is the return_value
// XCom, a thrown error fails the try with the script's message and line in its log, and the
// try records the operator module's sha256.
func TestScriptOperatorThroughScheduler(t *testing.T) {
	cache := operatorstest.Build(t)
	rg := newRig(t, map[string]string{"scripts": scriptPipeline}, func(rg *rig) { rg.cacheDir = cache })
	run, tis := rg.trigger("scripts", map[string]any{"min": 100})
	got := stateMap(tis)
	if got["extract"] != "success" || got["shape"] != "success" || got["check"] != "failed" || run.State != tasks.RunFailed {
		t.Fatalf("run %s, states %v", run.State, got)
	}
	x, err := rg.store.GetXCom(context.Background(), "scripts", run.RunID, "shape", "return_value")
	if err != nil || string(x.Value) != `{"day":"2024-03-01","ids":[2,3],"missing":null}` {
		t.Errorf("shape's return_value = %s, %v", x.Value, err)
	}
	logs := filepath.Join(rg.dir, ".logs")
	log, _ := os.ReadFile(cluster.LogPath(logs, scheduler.NewTIKey("scripts", run.RunID, "shape"), 1))
	if !strings.Contains(string(log), "shaping 3 orders of 2024-03-01") {
		t.Errorf("log() did not reach shape's log:\n%s", log)
	}
	log, _ = os.ReadFile(cluster.LogPath(logs, scheduler.NewTIKey("scripts", run.RunID, "check"), 1))
	if !strings.Contains(string(log), "script failed at line 3, column 9 of code (scripts.yaml:24): Error: only 2 big orders") {
		t.Errorf("check's log does not carry the thrown error and its line:\n%s", log)
	}
	path, err := operators.ModulePath("script")
	if err != nil {
		t.Fatal(err)
	}
	wasm, _ := os.ReadFile(path)
	sum := sha256.Sum256(wasm)
	tries, _ := rg.store.ListTaskTries(context.Background(), "scripts", run.RunID, "shape")
	if len(tries) != 1 || tries[0].ModuleSHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("shape's try = %+v, want module sha256 %x (the script operator's)", tries, sum)
	}
}
