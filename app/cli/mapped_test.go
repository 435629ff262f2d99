package cli

import (
	"fmt"
	"strings"
	"testing"
)

// The example mapped DAG through the CLI: `tasks states-for-dag-run` lists each mapped
// instance with its map_index, and `tasks logs --map-index` prints one instance's log.
func TestMappedTasksCLI(t *testing.T) {
	h := newHome(t)
	out := h.ok("dags", "test", "example_mapping", "2024-03-01")
	if !strings.Contains(out, "ended success") {
		t.Fatalf("dags test example_mapping:\n%s", out)
	}
	if progress, _, _ := strings.Cut(out, "\nRun "); !strings.Contains(progress, "per_file[1] ") || strings.Contains(progress, "per_file  ") {
		t.Errorf("dags test's progress lines do not name each mapped instance per_file[i]:\n%s", out)
	}
	runs := decode[[]map[string]any](t, h.ok("dags", "list-runs", "-d", "example_mapping", "-o", "json"))
	runID := runs[0]["dag_run_id"].(string)
	rows := decode[[]map[string]any](t, h.ok("tasks", "states-for-dag-run", "example_mapping", runID, "-o", "json"))
	byIndex := map[string][]float64{}
	for _, r := range rows {
		id := r["task_id"].(string)
		byIndex[id] = append(byIndex[id], r["map_index"].(float64))
	}
	for id, want := range map[string]string{"list_files": "[-1]", "per_file": "[0 1 2]", "per_region": "[0 1 2]", "summary": "[-1]"} {
		if got := fmt.Sprint(byIndex[id]); got != want {
			t.Errorf("%s: map indexes %v, want %s", id, byIndex[id], want)
		}
	}
	table := h.ok("tasks", "states-for-dag-run", "example_mapping", runID)
	if !strings.Contains(table, "map_index") {
		t.Errorf("the table has no map_index column:\n%s", table)
	}
	if log := h.ok("tasks", "logs", "example_mapping", runID, "per_file", "--map-index", "1"); !strings.Contains(log, "processed customers.csv (2 of 3)") {
		t.Errorf("log of per_file[1]:\n%s", log)
	}
	summary := h.ok("tasks", "logs", "example_mapping", runID, "summary")
	if !strings.Contains(summary, `["processed orders.csv (1 of 3)","processed customers.csv (2 of 3)","processed refunds.csv (3 of 3)"] ["region eu","region us","region apac"]`) {
		t.Errorf("summary's log misses the mapped values in map_index order:\n%s", summary)
	}

	// tasks mark --map-index sets one instance; without it a mapped task is marked as a whole.
	if out := h.ok("tasks", "mark", "example_mapping", runID, "per_file", "failed", "--map-index", "2"); !strings.Contains(out, "per_file[2]") {
		t.Errorf("tasks mark --map-index 2 said:\n%s", out)
	}
	h.ok("tasks", "mark", "example_mapping", runID, "per_region", "skipped")
	states := map[string]string{}
	for _, r := range decode[[]map[string]any](t, h.ok("tasks", "states-for-dag-run", "example_mapping", runID, "-o", "json")) {
		states[fmt.Sprintf("%s[%v]", r["task_id"], r["map_index"])] = fmt.Sprint(r["state"])
	}
	for k, want := range map[string]string{"per_file[0]": "success", "per_file[2]": "failed", "per_region[0]": "skipped", "per_region[2]": "skipped"} {
		if states[k] != want {
			t.Errorf("%s is %s after the marks, want %s (all: %v)", k, states[k], want, states)
		}
	}
}

// A run without a mapped task lists no map_index column: the state stays the second column,
// where scripts (awk '{print $2}') read it.
func TestStatesTableUnmapped(t *testing.T) {
	h := newHome(t)
	h.ok("dags", "test", "example_xcom", "2024-03-01")
	runs := decode[[]map[string]any](t, h.ok("dags", "list-runs", "-d", "example_xcom", "-o", "json"))
	out := h.ok("tasks", "states-for-dag-run", "example_xcom", runs[0]["dag_run_id"].(string), "-o", "plain")
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(line); len(f) < 2 || f[1] != "success" {
			t.Errorf("plain row %q: want the state second", line)
		}
	}
	if table := h.ok("tasks", "states-for-dag-run", "example_xcom", runs[0]["dag_run_id"].(string)); strings.Contains(table, "map_index") {
		t.Errorf("an unmapped run's table has a map_index column:\n%s", table)
	}
}
