package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// withModules copies example modules into the home's dags/modules.
func withModules(t *testing.T, h *home, names ...string) string {
	t.Helper()
	dags := filepath.Join(h.dir, "dags")
	os.MkdirAll(filepath.Join(dags, "modules"), 0o755)
	for _, m := range names {
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", "dags", "modules", m+".wasm"))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dags, "modules", m+".wasm"), b, 0o644)
	}
	return dags
}

func TestDagsTestAndBackfillInProcess(t *testing.T) {
	h := newHome(t)
	withOperators(t, h) // test_pipe is an ETL of built-in operators
	out := h.ok("dags", "test", "test_pipe", "2024-03-01")
	for _, w := range []string{"ended success", "extract", "transform", "load"} {
		if !strings.Contains(out, w) {
			t.Errorf("dags test output misses %q:\n%s", w, out)
		}
	}
	h.fails(1, "ended failed", "dags", "test", "example_trigger_rules")
	h.fails(1, `DAG "nope" not found`, "dags", "test", "nope")

	// No scheduler runs on this home: the backfill runs here and returns when done.
	var runs []map[string]any
	if err := json.Unmarshal([]byte(h.ok("dags", "backfill", "test_pipe", "-s", "2024-01-01", "-e", "2024-01-03", "-o", "json")), &runs); err != nil {
		t.Fatal(err)
	}
	if len(runs) != 3 {
		t.Fatalf("backfill made %d runs", len(runs))
	}
	for _, r := range runs {
		if r["state"] != "success" || r["run_type"] != "backfill" {
			t.Errorf("backfill run %v", r)
		}
	}
	for _, day := range []string{"2024-01-01", "2024-01-02", "2024-01-03"} {
		checkLoaded(t, h, day)
	}
	if got := strings.TrimSpace(h.ok("dags", "state", "test_pipe", "2024-01-02")); got != "success" {
		t.Errorf("dags state by date = %q", got)
	}
	if out := h.ok("dags", "backfill", "test_pipe", "-s", "2024-01-01", "-e", "2024-01-03"); !strings.Contains(out, "No data found") {
		t.Errorf("a second backfill over the same dates made runs:\n%s", out)
	}
	h.fails(2, "give both -s START and -e END", "dags", "backfill", "test_pipe", "-s", "2024-01-01")
	h.fails(1, "has no schedule", "dags", "backfill", "example_xcom", "-s", "2024-01-01", "-e", "2024-01-02")
	h.fails(1, "no run", "dags", "state", "test_pipe", "2030-01-01")
	h.fails(1, `state "done" is not one of`, "dags", "list-runs", "-d", "test_pipe", "--state", "done")
	// The three backfill runs and the dags test run, whose logical date is the one given.
	if out := h.ok("dags", "list-runs", "-d", "test_pipe", "--state", "success", "-o", "plain"); strings.Count(out, "\n") != 4 || !strings.Contains(out, "\ttest\t2024-03-01T00:00:00Z") {
		t.Errorf("list-runs --state success:\n%s", out)
	}
}

// A backfill of a timetable: trigger DAG makes a run per cron tick in the range, dated at the
// tick with the data interval [tick - interval, tick], and a second one finds those runs.
func TestBackfillTriggerTimetable(t *testing.T) {
	h := newHome(t, "WASMFLOW__CORE__LOAD_EXAMPLES", "false")
	dags := withModules(t, h, "echo")
	os.WriteFile(filepath.Join(dags, "tick.yaml"), []byte(`dag_id: tick
schedule: "0 0 L * *"
timetable: trigger
interval: 6h
start_date: 2024-01-01
tasks:
  - {id: t, module: modules/echo.wasm}
`), 0o644)
	runs := decode[[]map[string]any](t, h.ok("dags", "backfill", "tick", "-s", "2024-01-01", "-e", "2024-03-31", "-o", "json"))
	var got []string
	for _, r := range runs {
		got = append(got, fmt.Sprintf("%v [%v, %v] %v", r["logical_date"], r["data_interval_start"], r["data_interval_end"], r["state"]))
	}
	sort.Strings(got)
	want := []string{
		"2024-01-31T00:00:00Z [2024-01-30T18:00:00Z, 2024-01-31T00:00:00Z] success",
		"2024-02-29T00:00:00Z [2024-02-28T18:00:00Z, 2024-02-29T00:00:00Z] success",
		"2024-03-31T00:00:00Z [2024-03-30T18:00:00Z, 2024-03-31T00:00:00Z] success",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("backfill runs\n got: %v\nwant: %v", got, want)
	}
	if out := h.ok("dags", "backfill", "tick", "-s", "2024-01-01", "-e", "2024-03-31"); !strings.Contains(out, "No data found") {
		t.Errorf("a second backfill over the same ticks made runs:\n%s", out)
	}
}

func TestRunCommandsWithStandalone(t *testing.T) {
	bin := buildBinary(t)
	h := newHome(t, "WASMFLOW__CORE__LOAD_EXAMPLES", "false")
	dags := withModules(t, h, "echo", "exit", "sleep", "flaky")
	os.WriteFile(filepath.Join(dags, "ops.yaml"), []byte(`dag_id: ops
is_paused_upon_creation: false
params: {word: hello}
tasks:
  - {id: say, module: modules/echo.wasm, args: ["{{ params.word }}"]}
  - {id: flaky, module: modules/flaky.wasm, args: ["2"], upstream: [say]}
  - {id: after, module: modules/echo.wasm, args: ["after"], upstream: [flaky]}
`), 0o644)
	os.WriteFile(filepath.Join(dags, "slow.yaml"), []byte(`dag_id: slow
is_paused_upon_creation: false
tasks:
  - {id: nap, module: modules/sleep.wasm, args: ["1"]}
`), 0o644)
	h.ok("db", "init")
	startStandalone(t, bin, h)
	code, _, errs := h.run("", "standalone")
	if code != 1 || !strings.Contains(errs, "is running on this home") {
		t.Errorf("a second standalone: exit %d, %s", code, errs)
	}

	// flaky fails its only try: the run fails, --wait exits 1 and says where to look.
	code, out, errs := h.run("", "dags", "trigger", "ops", "--run-id", "r1", "-c", `{"word": "bonjour"}`, "--wait")
	if code != 1 || !strings.Contains(errs, "tasks states-for-dag-run ops r1") || !strings.Contains(out, "flaky") {
		t.Fatalf("trigger --wait: exit %d\n%s\n%s", code, out, errs)
	}
	st := h.taskStates(t, "ops", "r1")
	if *st["say"].State != "success" || *st["flaky"].State != "failed" || *st["after"].State != "upstream_failed" {
		t.Fatalf("states %+v", st)
	}
	if log := h.ok("tasks", "logs", "ops", "r1", "say"); !strings.Contains(log, "bonjour") {
		t.Errorf("conf did not reach the task's args: %q", log)
	}
	h.fails(1, "there is no try 3", "tasks", "logs", "ops", "r1", "flaky", "--try", "3")
	h.fails(1, `no task "nope"`, "tasks", "logs", "ops", "r1", "nope")

	// Clear the failed task and its downstream: flaky's second try succeeds.
	out = h.ok("tasks", "clear", "ops", "-t", "^flaky$", "-d", "--only-failed", "-y")
	if !strings.Contains(out, "r1: after, flaky") || !strings.Contains(out, "Cleared 2") {
		t.Errorf("clear: %s", out)
	}
	if !eventually(15*time.Second, func() bool { return strings.TrimSpace(h.ok("dags", "state", "ops", "r1")) == "success" }) {
		t.Fatalf("the cleared run did not succeed: %+v", h.taskStates(t, "ops", "r1"))
	}
	if st := h.taskStates(t, "ops", "r1"); st["flaky"].TryNumber != 2 || *st["after"].State != "success" {
		t.Errorf("after clear: %+v", st)
	}
	if out := h.ok("tasks", "clear", "ops", "-t", "nothing_matches", "-y"); !strings.Contains(out, "No task instances to clear") {
		t.Errorf("clear of nothing: %s", out)
	}

	// logs -f follows a running try to its end.
	h.ok("dags", "trigger", "slow", "--run-id", "s1")
	waitFor(t, 15*time.Second, "nap's first try", func() bool { return h.taskStates(t, "slow", "s1")["nap"].TryNumber > 0 })
	if log := h.ok("tasks", "logs", "slow", "s1", "nap", "-f"); !strings.Contains(log, "slept 1.000s") {
		t.Errorf("logs -f ended before the try did: %q", log)
	}
}

func TestClearAndMarkRunningTasks(t *testing.T) {
	bin := buildBinary(t)
	h := newHome(t, "WASMFLOW__CORE__LOAD_EXAMPLES", "false")
	dags := withModules(t, h, "echo", "sleep")
	os.WriteFile(filepath.Join(dags, "naps.yaml"), []byte(`dag_id: naps
is_paused_upon_creation: false
tasks:
  - {id: nap, module: modules/sleep.wasm, args: ["2"]}
  - {id: long_nap, module: modules/sleep.wasm, args: ["30"]}
  - {id: after, module: modules/echo.wasm, upstream: [nap, long_nap], trigger_rule: all_done}
`), 0o644)
	h.ok("db", "init")
	startStandalone(t, bin, h)
	h.ok("dags", "trigger", "naps", "--run-id", "n1")
	running := func(task string, try int) {
		if !eventually(10*time.Second, func() bool {
			st := h.taskStates(t, "naps", "n1")[task]
			return *st.State == "running" && st.TryNumber == try
		}) {
			t.Fatalf("%s never ran try %d: %+v", task, try, h.taskStates(t, "naps", "n1")[task])
		}
	}
	running("nap", 1)
	// Clearing a running try stops it; it becomes restarting, then runs again as try 2.
	h.ok("tasks", "clear", "naps", "-t", "^nap$", "-y")
	running("nap", 2)
	// Marking a running task failed stops it too, and the run goes on from there.
	running("long_nap", 1)
	start := time.Now()
	if out := h.ok("tasks", "mark", "naps", "n1", "long_nap", "failed"); !strings.Contains(out, "Marked long_nap") {
		t.Errorf("mark: %s", out)
	}
	if !eventually(15*time.Second, func() bool {
		state := strings.TrimSpace(h.ok("dags", "state", "naps", "n1"))
		return state != "running" && state != "queued"
	}) {
		t.Fatalf("run did not end: %+v", h.taskStates(t, "naps", "n1"))
	}
	st := h.taskStates(t, "naps", "n1")
	if *st["nap"].State != "success" || st["nap"].TryNumber != 2 || *st["long_nap"].State != "failed" || *st["after"].State != "success" {
		t.Errorf("after clear and mark: %+v", st)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the run went on %s after marking", took)
	}
	// The 30 s try itself was stopped, not just forgotten: its log says so.
	if !eventually(5*time.Second, func() bool {
		return strings.Contains(h.ok("tasks", "logs", "naps", "n1", "long_nap", "--try", "1"), "canceled")
	}) {
		t.Fatalf("the marked try was not stopped; its log: %q", h.ok("tasks", "logs", "naps", "n1", "long_nap", "--try", "1"))
	}
	h.fails(1, `can be marked success, failed or skipped, not "done"`, "tasks", "mark", "naps", "n1", "nap", "done")
}

func TestTriggerRefusals(t *testing.T) {
	h := newHome(t)
	h.ok("dags", "trigger", "example_xcom", "-e", "2024-02-01", "--run-id", "first")
	h.fails(1, "already has a run at logical date 2024-02-01T00:00:00Z (first)", "dags", "trigger", "example_xcom", "-e", "2024-02-01")
	h.fails(1, "is in the future", "dags", "trigger", "example_xcom", "-e", "2099-01-01")
	h.fails(1, "may only contain letters, digits", "dags", "trigger", "example_xcom", "--run-id", "bad id/with slash")
	// Airflow's limit on run ids, and no run id that names a folder: the logs are kept by run id.
	long := strings.Repeat("r", 251)
	h.fails(1, "--run-id: run id \"rrrr", "dags", "trigger", "example_xcom", "--run-id", long)
	h.fails(1, "is 251 characters long; a run id has at most 250", "dags", "trigger", "example_xcom", "--run-id", long)
	h.fails(1, "is 251 characters long", "dags", "trigger", "example_xcom", "--run-id", long, "--server", "http://127.0.0.1:1", "--token", "x")
	h.fails(1, `run id ".." names a folder`, "dags", "trigger", "example_xcom", "--run-id", "..")
	h.fails(1, `run id "." names a folder`, "dags", "trigger", "example_xcom", "--run-id", ".")
	h.ok("dags", "trigger", "example_xcom", "-e", "2024-02-02", "--run-id", strings.Repeat("r", 250))
	// A conf over core.max_conf_size (1 MiB by default) is refused, saying how to raise it.
	big := `{"blob":"` + strings.Repeat("x", 2<<20) + `"}`
	h.fails(1, "core.max_conf_size = 1MiB", "dags", "trigger", "example_xcom", "-e", "2024-02-03", "-c", big)
	h.fails(1, "WASMFLOW__CORE__MAX_CONF_SIZE", "dags", "trigger", "example_xcom", "-e", "2024-02-03", "-c", big)
	h.fails(1, "core.max_conf_size = 1MiB", "dags", "test", "example_xcom", "2024-02-03", "-c", big)
	h.env["WASMFLOW__CORE__MAX_CONF_SIZE"] = "4MiB" // the key raises it
	h.ok("dags", "trigger", "example_xcom", "-e", "2024-02-04", "-c", big, "--run-id", "raised")
	delete(h.env, "WASMFLOW__CORE__MAX_CONF_SIZE")
	if runs := h.ok("dags", "list-runs", "-d", "example_xcom", "-o", "plain"); strings.Count(runs, "example_xcom") != 3 {
		t.Errorf("the refused triggers made runs:\n%s", runs)
	}
	h.fails(1, "the end date", "tasks", "clear", "example_xcom", "-s", "2024-02-05", "-e", "2024-02-01", "-y")
	// A finished run whose task never ran: logs -f does not wait forever.
	h.run("", "dags", "test", "example_trigger_rules", "2024-02-01") // ends failed by design
	run := strings.Fields(h.ok("dags", "list-runs", "-d", "example_trigger_rules", "-o", "plain"))[1]
	done := make(chan struct{})
	go func() {
		h.fails(1, "there is no try 0", "tasks", "logs", "example_trigger_rules", run, "all_success", "-f")
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("logs -f waited for a try that can never start")
	}
	// max_tries counts the retries, as Airflow's.
	var tis []map[string]any
	json.Unmarshal([]byte(h.ok("tasks", "states-for-dag-run", "example_trigger_rules", run, "-o", "json")), &tis)
	if len(tis) == 0 || tis[0]["max_tries"] != float64(0) {
		t.Errorf("max_tries of a task without retries = %v, want 0", tis[0]["max_tries"])
	}
}

// Invalid UTF-8 in a Variable or a run's conf is refused naming the field, not stored with
// U+FFFD in place of the bad bytes, and nothing is stored.
func TestInvalidUTF8Refused(t *testing.T) {
	h := newHome(t)
	bad := "caf\xe9" // Latin-1, not UTF-8
	for _, c := range []struct {
		want string
		args []string
	}{
		{"the variable's value is not valid UTF-8 (byte 0xe9 at offset 3)", []string{"variables", "set", "k", bad}},
		{"the variable's key is not valid UTF-8", []string{"variables", "set", bad, "v"}},
		{"the variable's description is not valid UTF-8", []string{"variables", "set", "k", "v", "--description", bad}},
		{"conf.name is not valid UTF-8", []string{"dags", "trigger", "example_xcom", "-c", `{"name":"` + bad + `"}`}},
		{"conf.rows[1].x is not valid UTF-8", []string{"dags", "test", "example_xcom", "-c", `{"rows":[1,{"x":"` + bad + `"}]}`}},
	} {
		if code, out, errs := h.run("", c.args...); code == 0 || !strings.Contains(errs, c.want) {
			t.Errorf("wasmflow %q: exit %d, stderr %q, want a failure saying %q (stdout %q)", c.args, code, errs, c.want, out)
		}
	}
	h.fails(1, "not found", "variables", "get", "k")
	if runs := h.ok("dags", "list-runs", "-d", "example_xcom", "-o", "plain"); strings.Contains(runs, "example_xcom") {
		t.Errorf("a refused conf made a run:\n%s", runs)
	}
}
