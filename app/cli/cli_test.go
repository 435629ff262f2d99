package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// home is one WASMFLOW_HOME for a test, with extra environment.
type home struct {
	t   *testing.T
	dir string
	env map[string]string
}

func newHome(t *testing.T, env ...string) *home {
	h := &home{t: t, dir: t.TempDir(), env: map[string]string{}}
	for i := 0; i+1 < len(env); i += 2 {
		h.env[env[i]] = env[i+1]
	}
	return h
}

// run executes one command line; stdin is what the user types.
func (h *home) run(stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	getenv := func(k string) string {
		if k == "WASMFLOW_HOME" {
			return h.dir
		}
		return h.env[k]
	}
	code = Run(context.Background(), args, IO{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: getenv})
	return code, out.String(), errb.String()
}

// ok runs a command that must succeed and returns its stdout.
func (h *home) ok(args ...string) string {
	h.t.Helper()
	code, out, errs := h.run("", args...)
	if code != 0 {
		h.t.Fatalf("wasmflow %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// fails runs a command that must fail with the given code and an error containing want.
func (h *home) fails(code int, want string, args ...string) {
	h.t.Helper()
	got, out, errs := h.run("", args...)
	if got != code || !strings.Contains(errs, want) {
		h.t.Fatalf("wasmflow %s: exit %d (want %d), stderr %q (want it to contain %q), stdout %q", strings.Join(args, " "), got, code, errs, want, out)
	}
}

func decode[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, s)
	}
	return v
}

func TestDagsListExamples(t *testing.T) {
	h := newHome(t)
	dags := decode[[]map[string]any](t, h.ok("dags", "list", "-o", "json"))
	got := map[string]bool{}
	for _, d := range dags {
		got[d["dag_id"].(string)] = true
	}
	for _, want := range []string{"test_pipe", "example_http", "example_xcom", "example_branch", "example_sensor", "example_trigger_rules", "example_retries"} {
		if !got[want] {
			t.Errorf("example DAG %s not listed; got %v", want, got)
		}
	}
	for _, d := range dags {
		if d["dag_id"] == "test_pipe" && (d["schedule_interval"] != "@daily" || d["catchup"] != false || d["tags"].([]any)[0].(map[string]any)["name"] != "test") {
			t.Errorf("test_pipe = %v, want @daily, catchup false, tag test", d)
		}
	}
	// A dataset schedule says which datasets it waits for.
	if line := lineOf(h.ok("dags", "list", "-o", "plain"), "example_dataset_consumer"); !strings.Contains(line, "\tDataset: warehouse://orders, warehouse://customers\t") {
		t.Errorf("dags list shows the dataset schedule as %q", line)
	}
	if out := h.ok("dags", "list-import-errors"); !strings.Contains(out, "No data found") {
		t.Errorf("the examples must all load; import errors:\n%s", out)
	}
	// load_examples off: the examples disappear, as in Airflow.
	h.env["WASMFLOW__CORE__LOAD_EXAMPLES"] = "false"
	if out := h.ok("dags", "list", "-o", "plain"); strings.Contains(out, "example_") {
		t.Errorf("with load_examples false, examples are still listed:\n%s", out)
	}
}

func TestImportErrorsListEveryInvalidFile(t *testing.T) {
	invalid, _ := filepath.Abs("../../tasks/testdata/invalid")
	files, _ := filepath.Glob(filepath.Join(invalid, "*.yaml"))
	h := newHome(t, "WASMFLOW__CORE__DAGS_FOLDER", invalid, "WASMFLOW__CORE__LOAD_EXAMPLES", "false")
	errs := decode[[]map[string]any](t, h.ok("dags", "list-import-errors", "-o", "json"))
	if len(errs) != len(files) {
		t.Fatalf("%d import errors for %d invalid files", len(errs), len(files))
	}
	for _, e := range errs {
		trace := e["stack_trace"].(string)
		// Every problem names the file and a line: "path:LINE:" or "path:LINE:COL:".
		for _, line := range strings.Split(trace, "\n") {
			rest, ok := strings.CutPrefix(line, e["filename"].(string)+":")
			if !ok || rest == "" || rest[0] < '1' || rest[0] > '9' {
				t.Errorf("problem without file:line: %q", line)
			}
		}
	}
	table := h.ok("dags", "list-import-errors")
	if !strings.Contains(table, "cycle.yaml") || !strings.Contains(table, "3:5: cycle: a -> b -> c -> a") {
		t.Errorf("table misses the cycle with its line:\n%s", table)
	}
	if out := h.ok("dags", "list"); !strings.Contains(out, "No data found") {
		t.Errorf("no invalid DAG may be listed:\n%s", out)
	}
}

func TestPauseUnpause(t *testing.T) {
	h := newHome(t)
	h.ok("dags", "pause", "test_pipe")
	if out := h.ok("dags", "list", "-o", "plain"); !strings.Contains(out, "test_pipe\t") || !strings.Contains(lineOf(out, "test_pipe"), "\ttrue\t") {
		t.Errorf("test_pipe not paused:\n%s", out)
	}
	h.ok("dags", "unpause", "test_pipe")
	if !strings.Contains(lineOf(h.ok("dags", "list", "-o", "plain"), "test_pipe"), "\tfalse\t") {
		t.Error("test_pipe still paused after unpause")
	}
	h.fails(1, `DAG "nope" not found`, "dags", "pause", "nope")
	h.fails(2, "missing DAG", "dags", "pause")
}

func lineOf(out, prefix string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix+"\t") {
			return l
		}
	}
	return ""
}

func TestShowAndTasksList(t *testing.T) {
	h := newHome(t)
	dot := h.ok("dags", "show", "example_branch", "--dot")
	for _, want := range []string{`digraph "example_branch"`, `"measure" -> "choose";`, `"choose" [label="choose" shape=diamond];`} {
		if !strings.Contains(dot, want) {
			t.Errorf("--dot misses %q:\n%s", want, dot)
		}
	}
	// Task groups are clusters, nested as the groups are, their tasks labelled as written.
	grouped := h.ok("dags", "show", "example_task_group", "--dot")
	for _, want := range []string{
		"  subgraph \"cluster_transform\" {\n    graph [label=\"transform\" tooltip=\"Clean, then aggregate\" style=\"rounded,dashed\"];\n" +
			"    subgraph \"cluster_transform.clean\" {\n      graph [label=\"clean\" tooltip=\"Drop the bad rows\" style=\"rounded,dashed\"];\n" +
			"      \"transform.clean.dedupe\" [label=\"dedupe\"];\n",
		"\n  \"load\" [label=\"load\"];\n",
		`"extract.fetch_orders" -> "transform.clean.dedupe";`,
	} {
		if !strings.Contains(grouped, want) {
			t.Errorf("--dot of groups misses %q:\n%s", want, grouped)
		}
	}
	text := h.ok("dags", "show", "test_pipe")
	if !strings.Contains(text, "transform [operator: script]  <- extract") || !strings.Contains(text, "wait_rows [operator: sql_sensor]  <- load") {
		t.Errorf("text graph:\n%s", text)
	}
	tree := h.ok("tasks", "list", "test_pipe", "--tree")
	if want := "Layer 0\n  extract\n  create_table\nLayer 1\n  transform  <- extract\n  clear_day  <- create_table\nLayer 2\n  load  <- transform, clear_day\n" +
		"Layer 3\n  wait_rows  <- load\nLayer 4\n  totals  <- wait_rows\nLayer 5\n  report  <- totals\n"; tree != want {
		t.Errorf("--tree =\n%s\nwant\n%s", tree, want)
	}
	tasks := decode[[]map[string]any](t, h.ok("tasks", "list", "example_trigger_rules", "-o", "json"))
	if len(tasks) != 14 || tasks[0]["task_id"] != "all_done" {
		t.Errorf("tasks list must be every task sorted by id; got %d, first %v", len(tasks), tasks[0]["task_id"])
	}
	byID := map[string]any{}
	for _, task := range decode[[]map[string]any](t, h.ok("tasks", "list", "example_task_group", "-o", "json")) {
		byID[task["task_id"].(string)] = task["task_group"]
	}
	if byID["transform.clean.dedupe"] != "transform.clean" || byID["load"] != nil {
		t.Errorf("tasks list -o json: task_group of each task = %v", byID)
	}
	h.fails(1, "not found", "tasks", "list", "nope")
	h.fails(1, "unknown output format", "tasks", "list", "test_pipe", "-o", "xml")
}

func TestVariablesPoolsUsers(t *testing.T) {
	h := newHome(t)
	h.ok("variables", "set", "region", "eu-west", "--description", "where data lives")
	if got := h.ok("variables", "get", "region"); got != "eu-west\n" {
		t.Errorf("get = %q", got)
	}
	h.fails(1, `variable "nope" not found`, "variables", "get", "nope")
	if got := h.ok("variables", "get", "nope", "-d", "fallback"); got != "fallback\n" {
		t.Errorf("get -d = %q", got)
	}
	vars := decode[[]map[string]any](t, h.ok("variables", "list", "-o", "json"))
	if len(vars) != 1 || vars[0]["key"] != "region" || vars[0]["description"] != "where data lives" {
		t.Errorf("variables = %v", vars)
	}
	h.ok("variables", "delete", "region")
	h.fails(1, "not found", "variables", "delete", "region")
	// Airflow's rule: a key naming a secret is listed as ***; get prints the value.
	h.ok("variables", "set", "db_password", "hunter2-S3cret")
	for _, format := range []string{"table", "json"} {
		if out := h.ok("variables", "list", "-o", format); strings.Contains(out, "hunter2") || !strings.Contains(out, "***") {
			t.Errorf("variables list -o %s shows a secret's value, want ***:\n%s", format, out)
		}
	}
	if got := h.ok("variables", "get", "db_password"); got != "hunter2-S3cret\n" {
		t.Errorf("get db_password = %q", got)
	}
	h.ok("variables", "delete", "db_password")

	pools := decode[[]map[string]any](t, h.ok("pools", "list", "-o", "json"))
	if len(pools) != 1 || pools[0]["name"] != "default_pool" || pools[0]["slots"] != float64(128) {
		t.Errorf("pools = %v, want default_pool with 128 slots", pools)
	}
	h.ok("pools", "set", "etl", "4", "ETL jobs")
	h.ok("pools", "set", "etl", "6")
	if out := h.ok("pools", "list", "-o", "plain"); !strings.Contains(out, "etl\t6\t") {
		t.Errorf("pool etl not resized:\n%s", out)
	}
	h.fails(2, "SLOTS must be a whole number", "pools", "set", "etl", "many")
	h.fails(1, "default_pool", "pools", "delete", "default_pool")
	h.ok("pools", "delete", "etl")

	out := h.ok("users", "create", "-u", "ada", "-p", "s3cret-pass", "-r", "op", "-e", "ada@example.com", "-f", "Ada", "-l", "Lovelace")
	if !strings.Contains(out, "role Op") {
		t.Errorf("create: %s", out)
	}
	h.fails(1, "exists", "users", "create", "-u", "ada", "-p", "x-long-enough", "-r", "Viewer")
	h.fails(1, `role "boss" is not one of Viewer, User, Op, Admin`, "users", "create", "-u", "bob", "-p", "x", "-r", "boss")
	h.fails(2, "--use-random-password", "users", "create", "-u", "bob", "-r", "Viewer")
	random := h.ok("users", "create", "-u", "bob", "-r", "Viewer", "--use-random-password")
	if !strings.Contains(random, "Password: ") {
		t.Errorf("random password not printed once: %s", random)
	}
	list := h.ok("users", "list", "-o", "json")
	if strings.Contains(list, "s3cret-pass") || strings.Contains(strings.ToLower(list), "password") || strings.Contains(list, "$2a$") {
		t.Errorf("users list leaks a password or its hash:\n%s", list)
	}
	if users := decode[[]map[string]any](t, list); len(users) != 2 {
		t.Errorf("users = %v", users)
	}
	h.ok("users", "delete", "-u", "bob")
	h.fails(1, "not found", "users", "delete", "-u", "bob")
}

func TestDB(t *testing.T) {
	h := newHome(t)
	if out := h.ok("db", "init"); !strings.Contains(out, "schema version") {
		t.Errorf("db init: %s", out)
	}
	h.ok("variables", "set", "k", "v")
	if out := h.ok("db", "check"); !strings.Contains(out, "Metastore OK") {
		t.Errorf("db check: %s", out)
	}
	code, _, errs := h.run("n\n", "db", "reset")
	if code != 1 || !strings.Contains(errs, "reset cancelled") {
		t.Errorf("reset answered n: exit %d, %s", code, errs)
	}
	h.ok("variables", "get", "k") // still there
	code, _, _ = h.run("y\n", "db", "reset")
	if code != 0 {
		t.Fatalf("reset answered y: exit %d", code)
	}
	h.fails(1, "not found", "variables", "get", "k")
	h.ok("db", "reset", "-y")
	if _, err := os.Stat(filepath.Join(h.dir, "wasmflow.db")); err != nil {
		t.Errorf("metastore file: %v", err)
	}
}

func TestConfigAndUsage(t *testing.T) {
	h := newHome(t, "WASMFLOW__API__LISTEN", "127.0.0.1:9999")
	if err := os.WriteFile(filepath.Join(h.dir, "wasmflow.toml"), []byte("[api]\nlisten = \"0.0.0.0:1\"\n[core]\nparallelism = 4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := h.ok("config", "list", "-o", "plain")
	if !strings.Contains(out, "api.listen\t127.0.0.1:9999\t") || !strings.Contains(out, "core.parallelism\t4\t") {
		t.Errorf("env must beat the file, the file the defaults:\n%s", out)
	}
	os.WriteFile(filepath.Join(h.dir, "wasmflow.toml"), []byte("[core]\nparalelism = 4\n"), 0o644)
	h.fails(1, "unknown key [core] paralelism", "dags", "list")
	os.Remove(filepath.Join(h.dir, "wasmflow.toml"))
	h.env["WASMFLOW__CORE__LOAD_EXAMPLES"] = "maybe"
	h.fails(1, `WASMFLOW__CORE__LOAD_EXAMPLES: "maybe" is not true or false`, "dags", "list")
	delete(h.env, "WASMFLOW__CORE__LOAD_EXAMPLES")

	h.fails(2, "unknown flag", "dags", "list", "--bogus")
	h.fails(2, `unexpected argument "extra"`, "version", "extra")
	if out := h.ok("--help"); !strings.Contains(out, "WASMFLOW_HOME") || !strings.Contains(out, "dags") {
		t.Errorf("help: %s", out)
	}
	if out := h.ok("version"); strings.TrimSpace(out) == "" {
		t.Error("version printed nothing")
	}
}

func TestUsageErrorsAndDBCheck(t *testing.T) {
	h := newHome(t)
	h.fails(2, `unknown command "lst" for "wasmflow dags"; did you mean "list"?`, "dags", "lst")
	h.fails(2, `unknown command "get" for "wasmflow config"`, "config", "get", "core")
	if out := h.ok("dags"); !strings.Contains(out, "Available Commands") {
		t.Errorf("a bare group prints its help: %s", out)
	}
	h.fails(1, "no metastore at", "db", "check")
	if _, err := os.Stat(filepath.Join(h.dir, "wasmflow.db")); !os.IsNotExist(err) {
		t.Error("db check created the metastore")
	}
	h.ok("db", "init")
	h.ok("db", "check")
	if out := h.ok("dags", "list", "-o", "json"); !strings.Contains(out, "-> ") && strings.Contains(out, `\u003e`) {
		t.Errorf("JSON escapes >: %s", out)
	}
}
