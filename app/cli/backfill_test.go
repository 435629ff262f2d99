package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// backfillHome is a home with bf: a -> b -> c daily, b failing its first try.
func backfillHome(t *testing.T) *home {
	h := newHome(t, "WASMFLOW__CORE__LOAD_EXAMPLES", "false")
	dags := withModules(t, h, "echo", "flaky")
	os.WriteFile(filepath.Join(dags, "bf.yaml"), []byte(`dag_id: bf
schedule: "@daily"
start_date: 2024-01-01
params: {word: hello}
tasks:
  - {id: a, module: modules/echo.wasm, args: ["{{ params.word }}"]}
  - {id: b, module: modules/flaky.wasm, args: ["2"], upstream: [a]}
  - {id: c, module: modules/echo.wasm, args: ["c"], upstream: [b]}
`), 0o644)
	return h
}

// tries is "task:state:try" for every task instance of a run.
func tries(t *testing.T, h *home, run string) string {
	t.Helper()
	var out []string
	for _, ti := range decode[[]map[string]any](t, h.ok("tasks", "states-for-dag-run", "bf", run, "-o", "json")) {
		st := ti["state"]
		if st == nil {
			st = "none"
		}
		out = append(out, fmt.Sprintf("%v:%v:%v", ti["task_id"], st, ti["try_number"]))
	}
	return strings.Join(out, " ")
}

func TestBackfillDryRunConfAndRerunFailed(t *testing.T) {
	h := backfillHome(t)
	plan := decode[[]map[string]any](t, h.ok("dags", "backfill", "bf", "-s", "2024-01-01", "-e", "2024-01-02", "--dry-run", "-o", "json"))
	if len(plan) != 2 || plan[0]["action"] != "create" || fmt.Sprint(plan[0]["task_ids"]) != "[a b c]" || plan[1]["dag_run_id"] != "backfill__2024-01-02T00:00:00+00:00" {
		t.Errorf("dry run plan = %v", plan)
	}
	if out := h.ok("dags", "list-runs", "-d", "bf"); !strings.Contains(out, "No data found") {
		t.Fatalf("--dry-run created runs:\n%s", out)
	}

	// b fails its first try, so the runs fail; the conf reaches the new runs' tasks.
	h.fails(1, "ended failed", "dags", "backfill", "bf", "-s", "2024-01-01", "-e", "2024-01-02", "-c", `{"word": "bonjour"}`)
	if log := h.ok("tasks", "logs", "bf", "2024-01-01", "a"); !strings.Contains(log, "bonjour") {
		t.Errorf("-c did not reach the run: a's log\n%s", log)
	}
	if got := tries(t, h, "2024-01-01"); got != "a:success:1 b:failed:1 c:upstream_failed:0" {
		t.Errorf("after the first backfill: %s", got)
	}
	if out := h.ok("dags", "backfill", "bf", "-s", "2024-01-01", "-e", "2024-01-02"); !strings.Contains(out, "No data found") {
		t.Errorf("without --rerun-failed-tasks existing runs must be left alone:\n%s", out)
	}

	dry := h.ok("dags", "backfill", "bf", "-s", "2024-01-01", "-e", "2024-01-02", "--rerun-failed-tasks", "-n")
	if !strings.Contains(dry, "backfill__2024-01-01T00:00:00+00:00  clear   b,c") {
		t.Errorf("--rerun-failed-tasks dry run:\n%s", dry)
	}
	runs := decode[[]map[string]any](t, h.ok("dags", "backfill", "bf", "-s", "2024-01-01", "-e", "2024-01-02", "--rerun-failed-tasks", "-o", "json"))
	if len(runs) != 2 || runs[0]["state"] != "success" || runs[1]["state"] != "success" {
		t.Errorf("--rerun-failed-tasks runs = %v", runs)
	}
	if got := tries(t, h, "2024-01-02"); got != "a:success:1 b:success:2 c:success:1" {
		t.Errorf("after --rerun-failed-tasks: %s (a must not rerun)", got)
	}
}

func TestBackfillResetDagrunsAndTaskRegex(t *testing.T) {
	h := backfillHome(t)
	h.fails(1, "ended failed", "dags", "backfill", "bf", "-s", "2024-01-01", "-e", "2024-01-01")
	h.fails(1, `--task-regex "^z" matches none of bf's tasks (a, b, c)`, "dags", "backfill", "bf", "-s", "2024-01-01", "-e", "2024-01-01", "-t", "^z")

	// -t b selects b and its upstream a; c is left as it is.
	code, out, _ := h.run("n\n", "dags", "backfill", "bf", "-s", "2024-01-01", "-e", "2024-01-01", "--reset-dagruns", "-t", "^b$")
	if code != 1 || !strings.Contains(out, "a,b") || !strings.Contains(out, "clears 1 existing run. Continue?") {
		t.Errorf("--reset-dagruns answered no: exit %d\n%s", code, out)
	}
	if got := tries(t, h, "2024-01-01"); got != "a:success:1 b:failed:1 c:upstream_failed:0" {
		t.Errorf("a cancelled reset changed the run: %s", got)
	}
	// -t c selects c with all its upstream: the whole run runs again.
	h.ok("dags", "backfill", "bf", "-s", "2024-01-01", "-e", "2024-01-01", "--reset-dagruns", "-t", "^c$", "-y")
	if got := tries(t, h, "2024-01-01"); got != "a:success:2 b:success:2 c:success:1" {
		t.Errorf("after --reset-dagruns -t ^c$: %s", got)
	}
	// A new run of a subset: the tasks not selected are skipped.
	h.ok("dags", "backfill", "bf", "-s", "2024-01-02", "-e", "2024-01-02", "-t", "^a$")
	if got := tries(t, h, "2024-01-02"); got != "a:success:1 b:skipped:0 c:skipped:0" {
		t.Errorf("a new run with -t ^a$: %s", got)
	}
}

// With a scheduler running on the home, a backfill hands its runs to it: new ones it picks
// up, and --rerun-failed-tasks clears through it (it alone writes the runs it drives).
func TestBackfillRerunFailedWithStandalone(t *testing.T) {
	bin := buildBinary(t)
	h := backfillHome(t)
	h.ok("db", "init")
	startStandalone(t, bin, h)
	// Polled: no command waits for a run it did not create.
	waitRun := func(want string) {
		t.Helper()
		if !eventually(20*time.Second, func() bool {
			code, out, _ := h.run("", "dags", "state", "bf", "2024-01-01")
			return code == 0 && strings.TrimSpace(out) == want
		}) {
			t.Fatalf("the backfill run never ended %s: %s", want, tries(t, h, "2024-01-01"))
		}
	}
	_, _, errs := h.run("", "dags", "backfill", "bf", "-s", "2024-01-01", "-e", "2024-01-01")
	if !strings.Contains(errs, "1 backfill run created or cleared; the running scheduler runs them") {
		t.Errorf("backfill with a scheduler running: %s", errs)
	}
	waitRun("failed")
	h.ok("dags", "backfill", "bf", "-s", "2024-01-01", "-e", "2024-01-01", "--rerun-failed-tasks")
	waitRun("success")
	if got := tries(t, h, "2024-01-01"); got != "a:success:1 b:success:2 c:success:1" {
		t.Errorf("after --rerun-failed-tasks through the scheduler: %s", got)
	}
}
