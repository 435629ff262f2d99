package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestRemoteCLI drives a real `wasmflow standalone` through its API, as a CI job would, from
// a machine (home) that has nothing of its own: trigger --wait, states, logs, clear, and the
// errors a user meets (bad token, a local-only command).
func TestRemoteCLI(t *testing.T) {
	bin := buildBinary(t)
	h := newHome(t, "WASMFLOW__CORE__LOAD_EXAMPLES", "false", "WASMFLOW__API__LISTEN", "127.0.0.1:0")
	dags := filepath.Join(h.dir, "dags")
	os.MkdirAll(filepath.Join(dags, "modules"), 0o755)
	for _, m := range []string{"echo", "exit"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", "dags", "modules", m+".wasm"))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dags, "modules", m+".wasm"), b, 0o644)
	}
	os.WriteFile(filepath.Join(dags, "remote.yaml"), []byte(`dag_id: remote
is_paused_upon_creation: false
tasks:
  - {id: hello, module: modules/echo.wasm, args: ["hello from the server"]}
  - {id: boom, module: modules/exit.wasm, args: ["3"], upstream: [hello]}
`), 0o644)
	h.ok("db", "init")
	startStandalone(t, bin, h)
	log, _ := os.ReadFile(filepath.Join(h.dir, "standalone.log"))
	m := regexp.MustCompile(`UI and API: (http://\S+)`).FindSubmatch(log)
	if m == nil {
		t.Fatalf("standalone did not say where its API is:\n%s", log)
	}
	url := string(m[1])
	token := strings.TrimSpace(h.ok("users", "token", "-u", "admin"))

	ci := newHome(t) // the CI machine: no home of its own
	srv := []string{"--server", url, "--token", token}
	with := func(args ...string) []string { return append(args, srv...) }

	if out := ci.ok(with("dags", "list", "-o", "plain")...); !strings.Contains(out, "remote") {
		t.Errorf("dags list through the server: %q", out)
	}
	code, out, errs := ci.run("", with("dags", "trigger", "remote", "-r", "r1", "--wait")...)
	if code != ExitError || !strings.Contains(out, "hello                    success") || !strings.Contains(out, "ended failed") ||
		!strings.Contains(errs, "run r1 of remote failed") {
		t.Fatalf("trigger --wait of a failing run: exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	if st := ci.ok(with("tasks", "state", "remote", "boom", "r1")...); st != "failed\n" {
		t.Errorf("tasks state through the server = %q", st)
	}
	ci.fails(1, "404", with("tasks", "state", "remote", "nope", "r1")...)
	states := decode[[]tiRow](t, ci.ok(with("tasks", "states-for-dag-run", "remote", "r1", "-o", "json")...))
	got := map[string]string{}
	for _, s := range states {
		got[s.TaskID] = *s.State
	}
	if got["hello"] != "success" || got["boom"] != "failed" {
		t.Errorf("states through the server: %v", got)
	}
	if out := ci.ok(with("tasks", "logs", "remote", "r1", "hello")...); !strings.Contains(out, "hello from the server") {
		t.Errorf("tasks logs through the server: %q", out)
	}
	if out := ci.ok(with("tasks", "logs", "remote", "r1", "boom", "-f")...); !strings.Contains(out, "exiting with code 3") {
		t.Errorf("tasks logs -f of an ended try: %q", out)
	}
	if out := ci.ok(with("tasks", "clear", "remote", "-t", "^boom$", "-y")...); !strings.Contains(out, "r1: boom") || !strings.Contains(out, "Cleared 1 task instance\n") {
		t.Errorf("tasks clear through the server: %q", out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		states = decode[[]tiRow](t, ci.ok(with("tasks", "states-for-dag-run", "remote", "r1", "-o", "json")...))
		var boom tiRow
		for _, s := range states {
			if s.TaskID == "boom" {
				boom = s
			}
		}
		if boom.TryNumber == 2 && *boom.State == "failed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cleared task did not run again: %+v", boom)
		}
		time.Sleep(100 * time.Millisecond)
	}

	ci.fails(ExitError, "401 Unauthorized", "dags", "list", "--server", url, "--token", "wf1.forged.token")
	ci.fails(ExitUsage, "db check does not work through --server: it works on the metastore where it is", with("db", "check")...)
	ci.fails(ExitUsage, "needs --token", "dags", "list", "--server", url)
	if _, err := os.Stat(filepath.Join(ci.dir, "wasmflow.db")); err == nil {
		t.Error("remote commands created a metastore in the CI machine's home")
	}
}
