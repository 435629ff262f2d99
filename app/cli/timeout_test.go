package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// spinWasm is a task module whose _start loops forever, never calling the host:
// (module (memory (export "memory") 1) (func (export "_start") (loop (br 0))))
var spinWasm = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
	0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // types: () -> ()
	0x03, 0x02, 0x01, 0x00, // functions: one of type 0
	0x05, 0x03, 0x01, 0x00, 0x01, // memory: one page
	0x07, 0x13, 0x02, 0x06, '_', 's', 't', 'a', 'r', 't', 0x00, 0x00, 0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00,
	0x0a, 0x09, 0x01, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b, // code: loop { br 0 }
}

// A task without execution_timeout gets core.default_task_execution_timeout (24h unless set,
// shown by `config list`): a module that loops forever is stopped there, and its try fails as
// timed out, retried per its retries, instead of holding a slot until someone marks it.
func TestDefaultTaskExecutionTimeout(t *testing.T) {
	h := newHome(t, "WASMFLOW__CORE__LOAD_EXAMPLES", "false")
	if out := h.ok("config", "list", "-o", "plain"); !strings.Contains(out, "core.default_task_execution_timeout\t24h\t") {
		t.Errorf("config list does not show the default of core.default_task_execution_timeout, 24h:\n%s", out)
	}
	dags := filepath.Join(h.dir, "dags")
	os.MkdirAll(filepath.Join(dags, "modules"), 0o755)
	os.WriteFile(filepath.Join(dags, "modules", "spin.wasm"), spinWasm, 0o644)
	os.WriteFile(filepath.Join(dags, "spin.yaml"), []byte(`dag_id: spin
tasks:
  - {id: spin, module: modules/spin.wasm, retries: 1, retry_delay: 0.1}
  - {id: own, module: modules/spin.wasm, execution_timeout: 0.3}
`), 0o644)
	h.env["WASMFLOW__CORE__DEFAULT_TASK_EXECUTION_TIMEOUT"] = "1s"
	if out := h.ok("config", "list", "-o", "plain"); !strings.Contains(out, "core.default_task_execution_timeout\t1s\t") {
		t.Errorf("config list does not show core.default_task_execution_timeout as set, 1s:\n%s", out)
	}

	type result struct {
		code      int
		out, errs string
	}
	done := make(chan result, 1)
	go func() {
		code, out, errs := h.run("", "dags", "test", "spin", "2024-01-01")
		done <- result{code, out, errs}
	}()
	select {
	case r := <-done:
		if r.code == 0 {
			t.Fatalf("dags test of a DAG whose tasks never end succeeded:\n%s%s", r.out, r.errs)
		}
	case <-time.After(30 * time.Second): // three tries of at most 1 s each, and their retry delay
		t.Fatal("dags test still runs after 30 s: the looping modules were not stopped")
	}
	run := strings.Fields(h.ok("dags", "list-runs", "-d", "spin", "-o", "plain"))[1]
	st := h.taskStates(t, "spin", run)
	if got := st["spin"]; *got.State != "failed" || got.TryNumber != 2 || got.Reason != "timeout" {
		t.Errorf("spin: %s at try %d (%q), want failed as timed out at try 2 (its retry)", *got.State, got.TryNumber, got.Reason)
	}
	if log := h.ok("tasks", "logs", "spin", run, "spin", "--try", "1"); !strings.Contains(log, "execution_timeout of 1s reached: the module was stopped") {
		t.Errorf("spin's first try's log does not say it was stopped at the default execution_timeout:\n%s", log)
	}
	// The task's own execution_timeout wins.
	if log := h.ok("tasks", "logs", "spin", run, "own", "--try", "1"); !strings.Contains(log, "execution_timeout of 300ms reached") {
		t.Errorf("own's log does not say it was stopped at its own execution_timeout:\n%s", log)
	}
}
