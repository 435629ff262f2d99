package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTasksStateRenderAndFailedDeps(t *testing.T) {
	h := backfillHome(t)
	os.WriteFile(filepath.Join(h.dir, "dags", "rend.yaml"), []byte(`dag_id: rend
params: {word: hello}
tasks:
  - {id: say, module: modules/echo.wasm, args: ["{{ params.word }}", "{{ ds }}"], env: {TABLE: "{{ var('table') }}", RUN: "{{ run_id }}"}}
`), 0o644)
	h.ok("variables", "set", "table", "orders")
	h.ok("dags", "trigger", "rend", "-r", "r1", "-e", "2024-03-01", "-c", `{"word": "bonjour"}`)
	out := h.ok("tasks", "render", "rend", "say", "r1")
	for _, want := range []string{"# property: module\n# " + rule + "\n" + filepath.Join(h.dir, "dags", "modules", "echo.wasm") + "\n", "# property: args\n# " + rule + "\nbonjour\n2024-03-01\n",
		"RUN=r1\nTABLE=orders\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("render misses %q:\n%s", want, out)
		}
	}
	h.fails(1, `no task "nope"`, "tasks", "render", "rend", "nope", "r1")

	// The triggered run waits: queued, its DAG paused (new DAGs start paused).
	if st := h.ok("tasks", "state", "rend", "say", "2024-03-01"); st != "None\n" {
		t.Errorf("state of a task not scheduled yet = %q", st)
	}
	deps := h.ok("tasks", "failed-deps", "rend", "say", "r1")
	for _, want := range []string{"Task instance dependencies not met:\n", "Dag Not Paused: Task's DAG 'rend' is paused",
		"Dagrun Running: Task instance's dagrun was not in the 'running' state but in the state 'queued'."} {
		if !strings.Contains(deps, want) {
			t.Errorf("failed-deps misses %q:\n%s", want, deps)
		}
	}
	if strings.Contains(deps, "Trigger Rule") || strings.Contains(deps, "Task Instance State") {
		t.Errorf("failed-deps of a task without upstream in state none:\n%s", deps)
	}

	// A failed run: b failed, c upstream_failed.
	h.fails(1, "ended failed", "dags", "backfill", "bf", "-s", "2024-01-01", "-e", "2024-01-01")
	if st := h.ok("tasks", "state", "bf", "b", "2024-01-01"); st != "failed\n" {
		t.Errorf("tasks state of b = %q", st)
	}
	h.fails(1, `no task "nope"`, "tasks", "state", "bf", "nope", "2024-01-01")
	got := decode[[]map[string]any](t, h.ok("tasks", "failed-deps", "bf", "c", "2024-01-01", "-o", "json"))
	var names []string
	for _, d := range got {
		names = append(names, d["dep"].(string))
	}
	if strings.Join(names, ",") != "Dagrun Running,Task Instance State" || !strings.Contains(got[1]["reason"].(string), "'upstream_failed' state") {
		t.Errorf("failed-deps of an upstream_failed task: %v", got)
	}
	// Cleared, c waits for b: its trigger rule is not met.
	h.ok("tasks", "clear", "bf", "-t", "^c$", "-y")
	if deps := h.ok("tasks", "failed-deps", "bf", "c", "2024-01-01"); !strings.Contains(deps, "Trigger Rule: Task's trigger rule 'all_success'") || !strings.Contains(deps, "b=failed") {
		t.Errorf("failed-deps of c after its clear:\n%s", deps)
	}
	if deps := h.ok("tasks", "failed-deps", "bf", "a", "2024-01-01"); strings.Contains(deps, "Trigger Rule") {
		t.Errorf("a has no upstream:\n%s", deps)
	}
}
