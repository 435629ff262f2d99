package cli

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler/metastore"
	"github.com/wasmflow/wasmflow/tasks"
)

var binary struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// buildBinary builds the wasmflow binary once per test run, for tests that need a real process.
func buildBinary(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		dir, err := os.MkdirTemp("", "wasmflow-bin")
		if err != nil {
			binary.err = err
			return
		}
		binary.path = filepath.Join(dir, "wasmflow")
		cmd := exec.Command("go", "build", "-o", binary.path, ".")
		cmd.Dir = filepath.Join("..", "..")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		binary.out, binary.err = cmd.CombinedOutput()
	})
	if binary.err != nil {
		t.Fatalf("go build: %v\n%s", binary.err, binary.out)
	}
	return binary.path
}

// startStandalone starts `wasmflow standalone` on the home and waits until it is ready.
func startStandalone(t *testing.T, bin string, h *home) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "standalone")
	cmd.Env = append(os.Environ(), "WASMFLOW_HOME="+h.dir, "WASMFLOW__CORE__LOAD_EXAMPLES=false")
	for k, v := range h.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := os.Create(filepath.Join(h.dir, "standalone.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	if eventually(15*time.Second, func() bool {
		b, _ := os.ReadFile(out.Name())
		return strings.Contains(string(b), "the scheduler is running")
	}) {
		return cmd
	}
	b, _ := os.ReadFile(out.Name())
	t.Fatalf("standalone did not start:\n%s", b)
	return nil
}

type tiRow struct {
	TaskID    string  `json:"task_id"`
	State     *string `json:"state"`
	TryNumber int     `json:"try_number"`
	Reason    string  `json:"reason"`
}

func (h *home) taskStates(t *testing.T, dag, run string) map[string]tiRow {
	t.Helper()
	var rows []tiRow
	if err := json.Unmarshal([]byte(h.ok("tasks", "states-for-dag-run", dag, run, "-o", "json")), &rows); err != nil {
		t.Fatal(err)
	}
	out := map[string]tiRow{}
	for _, r := range rows {
		if r.State == nil {
			s := "none"
			r.State = &s
		}
		out[r.TaskID] = r
	}
	return out
}

// TestKill9Recovery kills the scheduler with SIGKILL while tries run, restarts it, and checks
// that the run goes on: what finished stays finished, the tries that died with the process run
// again without using a retry (with or without retries), and nothing is left running or queued.
func TestKill9Recovery(t *testing.T) {
	bin := buildBinary(t)
	h := newHome(t, "WASMFLOW__CORE__LOAD_EXAMPLES", "false")
	dags := filepath.Join(h.dir, "dags")
	os.MkdirAll(filepath.Join(dags, "modules"), 0o755)
	for _, m := range []string{"echo", "sleep"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", "dags", "modules", m+".wasm"))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dags, "modules", m+".wasm"), b, 0o644)
	}
	os.WriteFile(filepath.Join(dags, "crash.yaml"), []byte(`dag_id: crash
is_paused_upon_creation: false
tasks:
  - {id: quick, module: modules/echo.wasm, args: ["done before the crash"]}
  - {id: slow_retried, module: modules/sleep.wasm, args: ["3"], retries: 1, retry_delay: 0.1, upstream: [quick]}
  - {id: slow_lost, module: modules/sleep.wasm, args: ["3"], upstream: [quick]}
  - {id: after, module: modules/echo.wasm, upstream: [slow_retried], trigger_rule: all_done}
`), 0o644)
	h.ok("db", "init")

	sa := startStandalone(t, bin, h)
	out := h.ok("dags", "trigger", "crash", "--run-id", "crash_run", "-o", "plain")
	if !strings.Contains(out, "crash_run") {
		t.Fatalf("trigger: %s", out)
	}
	if !eventually(10*time.Second, func() bool {
		st := h.taskStates(t, "crash", "crash_run")
		return *st["slow_retried"].State == "running" && *st["slow_lost"].State == "running"
	}) {
		t.Fatalf("the slow tasks never ran: %+v", h.taskStates(t, "crash", "crash_run"))
	}
	if err := sa.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	sa.Wait()

	startStandalone(t, bin, h)
	if code, _, errs := h.run("", "dags", "trigger", "crash", "--run-id", "after_restart", "--wait"); code != 0 {
		t.Errorf("a new run after the restart: exit %d %s", code, errs)
	}
	if !eventually(20*time.Second, func() bool {
		state := strings.TrimSpace(h.ok("dags", "state", "crash", "crash_run"))
		return state == "success" || state == "failed"
	}) {
		t.Fatalf("the interrupted run did not end after the restart: %+v", h.taskStates(t, "crash", "crash_run"))
	}
	st := h.taskStates(t, "crash", "crash_run")
	checks := []struct {
		task, state string
		try         int
	}{
		{"quick", "success", 1},        // finished before the crash: kept
		{"slow_retried", "success", 2}, // died with the process, ran again
		{"slow_lost", "success", 2},    // the same without retries: none was used
		{"after", "success", 1},        // ran once its upstream was done
	}
	for _, c := range checks {
		got := st[c.task]
		if *got.State != c.state || got.TryNumber != c.try {
			t.Errorf("%s = %s at try %d, want %s at try %d (reason %q)", c.task, *got.State, got.TryNumber, c.state, c.try, got.Reason)
		}
	}
	if log := h.ok("tasks", "logs", "crash", "crash_run", "slow_lost", "--try", "1"); !strings.Contains(log, "interrupted: the process running this try stopped") {
		t.Errorf("slow_lost try 1's log does not say it was interrupted:\n%s", log)
	}
}

// TestKill9Loop kills `wasmflow standalone` with SIGKILL ten times, each time while a try of a
// task without retries runs, then lets it finish. Each kill is our crash, not the task's: every
// run succeeds with `retries: 0`, each try killed is in the history as interrupted and ran
// again, and no task ran again after a try of it had succeeded.
func TestKill9Loop(t *testing.T) {
	const kills = 10
	bin := buildBinary(t)
	h := newHome(t, "WASMFLOW__CORE__LOAD_EXAMPLES", "false", "WASMFLOW__API__LISTEN", "127.0.0.1:0",
		"WASMFLOW__CLUSTER__BIND", "127.0.0.1:"+strconv.Itoa(clusterPort(t)))
	dags := filepath.Join(h.dir, "dags")
	os.MkdirAll(filepath.Join(dags, "modules"), 0o755)
	for _, m := range []string{"echo", "sleep"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", "dags", "modules", m+".wasm"))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dags, "modules", m+".wasm"), b, 0o644)
	}
	os.WriteFile(filepath.Join(dags, "loop.yaml"), []byte(`dag_id: loop
is_paused_upon_creation: false
max_active_runs: 16
tasks:
  - {id: first, module: modules/echo.wasm, retries: 0}
  - {id: slow, module: modules/sleep.wasm, args: ["2"], retries: 0, upstream: [first]}
  - {id: last, module: modules/echo.wasm, retries: 0, upstream: [slow]}
`), 0o644)
	h.ok("db", "init")

	runs := make([]string, kills)
	for i := range kills {
		sa := startStandalone(t, bin, h)
		runs[i] = "kill" + strconv.Itoa(i)
		h.ok("dags", "trigger", "loop", "--run-id", runs[i])
		if !eventually(20*time.Second, func() bool { return *h.taskStates(t, "loop", runs[i])["slow"].State == "running" }) {
			t.Fatalf("kill %d: slow never ran: %+v", i, h.taskStates(t, "loop", runs[i]))
		}
		if err := sa.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		sa.Wait()
	}

	startStandalone(t, bin, h)
	deadline := time.Now().Add(60 * time.Second)
	for _, run := range runs {
		var state string
		if !eventually(time.Until(deadline), func() bool {
			state = strings.TrimSpace(h.ok("dags", "state", "loop", run))
			return state == "success" || state == "failed"
		}) || state != "success" {
			t.Fatalf("run %s is %s, want success: %+v", run, state, h.taskStates(t, "loop", run))
		}
	}

	store, err := metastore.Open(context.Background(), filepath.Join(h.dir, "wasmflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	interrupted := 0
	for _, run := range runs {
		for _, task := range []string{"first", "slow", "last"} {
			tries, err := store.ListTaskTries(context.Background(), "loop", run, task)
			if err != nil {
				t.Fatal(err)
			}
			for i, try := range tries {
				if try.State == tasks.StateSuccess && i != len(tries)-1 {
					t.Errorf("%s %s ran again after try %d succeeded: %+v", run, task, try.TryNumber, tries)
				}
				if try.State == tasks.StateFailed {
					if !strings.Contains(try.Reason, "the process running this try stopped") {
						t.Errorf("%s %s try %d failed for a reason not ours: %q", run, task, try.TryNumber, try.Reason)
					}
					interrupted++
				}
			}
			if len(tries) == 0 || tries[len(tries)-1].State != tasks.StateSuccess {
				t.Errorf("%s %s: tries %+v, want the last one a success", run, task, tries)
			}
		}
		if tries, _ := store.ListTaskTries(context.Background(), "loop", run, "slow"); len(tries) < 2 {
			t.Errorf("%s: slow ran once (%+v), but it was running when the process was killed", run, tries)
		}
	}
	t.Logf("%d kills, %d tries interrupted and run again without a retry", kills, interrupted)
}
