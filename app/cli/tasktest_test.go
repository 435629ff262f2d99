package cli

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestTasksTest(t *testing.T) {
	h := newHome(t)
	cases := []struct {
		name  string
		args  []string
		code  int
		wants []string // in stdout
		err   string   // in stderr
	}{
		{"success with return_value from stdout", []string{"example_xcom", "push_by_stdout", "2024-03-01"}, 0,
			[]string{"6\n", "return_value = 6", "state: success  exit_code: 0"}, ""},
		{"upstream XCom through a template", []string{"example_script", "report", "2024-03-01", "--xcom", `transform={"total": 84}`}, 0,
			[]string{`big orders: {"total": 84}`, "state: success"}, ""},
		{"XCom files and a key", []string{"example_xcom", "pull", "--xcom", "push=7", "--xcom", "push.status=fresh", "--xcom", "push_by_stdout=6"}, 0,
			[]string{"rows=7 status=fresh sum=6", `{"rows":7}`}, ""},
		{"conf overrides params", []string{"example_xcom", "push", "-c", `{"rows": 99}`}, 0,
			[]string{"return_value = 99", "status = fresh"}, ""},
		{"failure exits non-zero", []string{"example_trigger_rules", "fails"}, 1,
			[]string{"fails: exiting with code 1", "state: failed  exit_code: 1  reason: exit_code 1"}, "ended failed: exit_code 1"},
		{"exit 99 is skipped", []string{"example_trigger_rules", "skips"}, 1,
			[]string{"state: skipped  exit_code: 99"}, "ended skipped"},
		{"expression branch", []string{"example_branch", "choose", "--xcom", "measure=3"}, 0,
			[]string{"branch follows [small] and skips [big]", "follow: small"}, ""},
		{"module branch", []string{"example_branch", "module_choice"}, 0,
			[]string{"branch follows [notify] and skips [archive]", "follow: notify"}, ""},
		{"run_if false skips", []string{"example_branch", "only_on_mondays", "2024-03-05"}, 1,
			[]string{"run_if", "state: skipped"}, "ended skipped"},
		{"run_if true runs", []string{"example_branch", "only_on_mondays", "2024-03-04"}, 0,
			[]string{"weekly report", "state: success"}, ""},
		{"expression sensor not met", []string{"example_sensor", "wait_for_file", "2024-01-01"}, 1,
			[]string{"is false", "state: up_for_reschedule"}, "sensor condition not met"},
		{"module sensor not met", []string{"example_sensor", "wait_with_module", "2024-01-01"}, 1,
			[]string{"/data/2024-01-01.csv not there yet", "state: up_for_reschedule  exit_code: 100"}, "sensor not met"},
		{"flaky first try fails", []string{"example_retries", "flaky"}, 1,
			[]string{"try 1 of the 3 this task needs"}, "ended failed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := h.run("", append([]string{"tasks", "test"}, c.args...)...)
			if code != c.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.code, out, errs)
			}
			for _, w := range c.wants {
				if !strings.Contains(out, w) {
					t.Errorf("stdout misses %q:\n%s", w, out)
				}
			}
			if c.err != "" && !strings.Contains(errs, c.err) {
				t.Errorf("stderr misses %q: %s", c.err, errs)
			}
		})
	}

	// The sensors are met once the file appears in the mounted folder.
	data := filepath.Join(h.dir, "cache", "examples", "dags", "data")
	if err := os.WriteFile(filepath.Join(data, "2024-01-01.csv"), []byte("a,b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(filepath.Join(data, "2024-01-01.csv"))
	for _, task := range []string{"wait_for_file", "wait_with_module"} {
		if out := h.ok("tasks", "test", "example_sensor", task, "2024-01-01"); !strings.Contains(out, "state: success") {
			t.Errorf("%s with the file present:\n%s", task, out)
		}
	}

	var res map[string]any
	if err := json.Unmarshal([]byte(lastJSON(h.ok("tasks", "test", "example_xcom", "push_by_stdout", "-o", "json"))), &res); err != nil || res["state"] != "success" || len(res["module_sha256"].(string)) != 64 {
		t.Errorf("json result = %v, %v", res, err)
	}

	h.fails(1, `DAG test_pipe has no task "nope"`, "tasks", "test", "test_pipe", "nope")
	h.fails(2, "date \"yesterday\"", "tasks", "test", "test_pipe", "extract", "yesterday")
	h.fails(2, "--conf must be a JSON object", "tasks", "test", "test_pipe", "extract", "-c", "[1]")
	h.fails(2, "--xcom \"extract\"", "tasks", "test", "test_pipe", "transform", "--xcom", "extract")
}

// lastJSON returns the JSON object at the end of out (the log comes first).
func lastJSON(out string) string {
	if i := strings.LastIndex(out, "\n{"); i >= 0 {
		return out[i+1:]
	}
	return out
}

// TestTasksTestCalls: `tasks test` runs a task with its grants resolved from the home's
// connections (the host adds the token the server checks) and lists the try's calls; a
// connection deleted since fails the task with that reason.
func TestTasksTestCalls(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok-1" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "items")
	}))
	defer api.Close()
	h := newHome(t)
	dags := filepath.Join(h.dir, "dags")
	if err := os.MkdirAll(filepath.Join(dags, "io"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dags, "io", "hostio.wasm"), "../../runtime/testdata/hostio")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build runtime/testdata/hostio: %v\n%s", err, out)
	}
	port := strconv.Itoa(api.Listener.Addr().(*net.TCPAddr).Port)
	h.ok("connections", "add", "api", "--conn-type", "http", "--conn-host", "127.0.0.1", "--conn-port", port, "--conn-extra", `{"token": "tok-1"}`)
	if err := os.WriteFile(filepath.Join(dags, "io.yaml"), []byte(`dag_id: io
tasks:
  - id: fetch
    module: io/hostio.wasm
    args: [get, "conn://api/v1/items", "http://example.com/"]
    connections: [api]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := h.run("", "tasks", "test", "io", "fetch")
	for _, want := range []string{"status=200 body=items\n", "--- Calls\nhttp api GET /v1/items  200  out 0 B  in 5 B  ",
		`http example.com GET /  refused: host example.com is not granted: add "example.com:80" to allow_hosts`} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout misses %q:\n%s", want, out)
		}
	}
	if code != 1 || strings.Contains(out, "tok-1") {
		t.Errorf("exit %d (want 1: the second call is refused), stdout:\n%s\nstderr: %s", code, out, errs)
	}
	h.ok("connections", "delete", "api")
	code, out, errs = h.run("", "tasks", "test", "io", "fetch")
	if code != 1 || !strings.Contains(out, `connection "api" does not exist (deleted since the DAG was parsed?)`) {
		t.Errorf("after the delete: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
}

// tasks test reads the upstream XComs of the run recorded at its logical date, as Airflow's
// does, says which run it read them from, and lets --xcom override them.
func TestTasksTestReadsRecordedXComs(t *testing.T) {
	h := newHome(t)
	if out := h.ok("dags", "test", "example_xcom", "2024-03-01"); !strings.Contains(out, "ended success") {
		t.Fatalf("dags test example_xcom:\n%s", out)
	}
	runs := decode[[]map[string]any](t, h.ok("dags", "list-runs", "-d", "example_xcom", "-o", "json"))
	// pull echoes its args, made of its upstream XComs, to its log.
	out := h.ok("tasks", "test", "example_xcom", "pull", "2024-03-01", "-o", "json")
	if !strings.Contains(out, "rows=7 status=fresh sum=6") {
		t.Errorf("pull did not see the recorded run's XComs (rows=7 status=fresh sum=6):\n%s", out)
	}
	var res struct {
		From string `json:"xcoms_from_run"`
	}
	if err := json.Unmarshal([]byte(lastJSON(out)), &res); err != nil || len(runs) != 1 || res.From != runs[0]["dag_run_id"] {
		t.Errorf("xcoms_from_run = %q (%v), want the dags test run of 2024-03-01 (%v)", res.From, err, runs)
	}
	if !strings.Contains(out, "upstream XComs from the recorded run "+res.From) {
		t.Errorf("the log does not say which run the XComs came from:\n%s", out)
	}
	if out := h.ok("tasks", "test", "example_xcom", "pull", "2024-03-01", "--xcom", "push=9", "-o", "json"); !strings.Contains(out, "rows=9 status=fresh sum=6") {
		t.Errorf("with --xcom push=9, want rows=9 and the recorded status and sum:\n%s", out)
	}
	for _, args := range [][]string{{"2024-03-02"}, {"2024-03-01", "--no-recorded-xcoms"}} {
		out := h.ok(append(append([]string{"tasks", "test", "example_xcom", "pull"}, args...), "-o", "json")...)
		if strings.Contains(out, "rows=7") || strings.Contains(out, "recorded run") {
			t.Errorf("tasks test %v read recorded XComs:\n%s", args, out)
		}
	}
}
