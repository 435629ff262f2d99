package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDatasetTriggeredRunWithStandalone: through the running scheduler, a producer's success
// triggers the consumer scheduled on its dataset; one of two datasets is not enough.
func TestDatasetTriggeredRunWithStandalone(t *testing.T) {
	bin := buildBinary(t)
	h := newHome(t, "WASMFLOW__CORE__LOAD_EXAMPLES", "false")
	dags := withModules(t, h, "echo")
	for name, src := range map[string]string{
		"p_orders":    "dag_id: p_orders\nis_paused_upon_creation: false\ntasks:\n  - {id: export, module: modules/echo.wasm, outlets: [warehouse://orders]}\n",
		"p_customers": "dag_id: p_customers\nis_paused_upon_creation: false\ntasks:\n  - {id: export, module: modules/echo.wasm, outlets: [warehouse://customers]}\n",
		"consumer": "dag_id: consumer\nis_paused_upon_creation: false\nschedule: {datasets: [warehouse://orders, warehouse://customers]}\n" +
			"tasks:\n  - {id: report, module: modules/echo.wasm, args: [\"{{ len(triggering_dataset_events) }} datasets\"]}\n",
	} {
		if err := os.WriteFile(filepath.Join(dags, name+".yaml"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h.ok("db", "init")
	if line := lineOf(h.ok("dags", "list", "-o", "plain"), "consumer"); !strings.Contains(line, "Dataset: warehouse://orders, warehouse://customers") {
		t.Errorf("dags list shows the consumer as %q", line)
	}
	startStandalone(t, bin, h)
	type run struct {
		DagRunID string `json:"dag_run_id"`
		RunType  string `json:"run_type"`
		State    string `json:"state"`
	}
	runsOf := func(dag string) []run {
		var rs []run
		if err := json.Unmarshal([]byte(h.ok("dags", "list-runs", "-d", dag, "-o", "json")), &rs); err != nil {
			t.Fatal(err)
		}
		return rs
	}
	until := func(what string, cond func() bool) { // polled: the CLI waits for no run it did not create
		t.Helper()
		waitFor(t, 30*time.Second, what, cond)
	}
	h.ok("dags", "trigger", "p_orders")
	until("p_orders's run succeeds", func() bool { rs := runsOf("p_orders"); return len(rs) == 1 && rs[0].State == "success" })
	h.ok("dags", "trigger", "p_customers")
	until("the consumer's run succeeds", func() bool { rs := runsOf("consumer"); return len(rs) == 1 && rs[0].State == "success" })
	rs := runsOf("consumer")
	if rs[0].RunType != "dataset_triggered" || !strings.HasPrefix(rs[0].DagRunID, "dataset_triggered__") {
		t.Errorf("consumer run = %+v, want run_type dataset_triggered", rs[0])
	}
	if got := h.taskStates(t, "consumer", rs[0].DagRunID)["report"]; got.State == nil || *got.State != "success" {
		t.Errorf("report = %+v", got)
	}
	// Its one run was triggered by both updates, not by the first alone.
	if log := h.ok("tasks", "logs", "consumer", rs[0].DagRunID, "report"); !strings.Contains(log, "2 datasets") {
		t.Errorf("report's log does not say it saw 2 triggering datasets:\n%s", log)
	}
}
