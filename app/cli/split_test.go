package cli

import (
	"bufio"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startVerb starts `wasmflow VERB` on the home and waits until its log matches ready; it
// returns the process and its log so far.
func startVerb(t *testing.T, bin string, h *home, verb, ready string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, verb)
	cmd.Env = append(os.Environ(), "WASMFLOW_HOME="+h.dir, "WASMFLOW__CORE__LOAD_EXAMPLES=false")
	for k, v := range h.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	logPath := filepath.Join(h.dir, verb+".log")
	out, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	re := regexp.MustCompile(ready)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if b, _ := os.ReadFile(logPath); re.Match(b) {
			return cmd, string(b)
		}
	}
	b, _ := os.ReadFile(logPath)
	t.Fatalf("wasmflow %s did not start:\n%s", verb, b)
	return nil, ""
}

// writeDag puts an example module (modules/NAME.wasm) and a DAG file using it in h's DAG folder.
func writeDag(t *testing.T, h *home, module, file, yaml string) {
	t.Helper()
	dags := filepath.Join(h.dir, "dags")
	if err := os.MkdirAll(filepath.Join(dags, "modules"), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "dags", "modules", module+".wasm"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dags, "modules", module+".wasm"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dags, file+".yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSplitWebserverAndScheduler is Airflow's split deployment on one home: `wasmflow
// webserver` serves the UI and API without scheduling, `wasmflow scheduler` runs the tasks
// without a UI. A run triggered through the webserver before any scheduler runs waits, then
// runs once the scheduler starts, and the webserver's live updates show it end. A second
// scheduler on the home is refused, a second webserver is not.
func TestSplitWebserverAndScheduler(t *testing.T) {
	bin := buildBinary(t)
	h := newHome(t, "WASMFLOW__CORE__LOAD_EXAMPLES", "false", "WASMFLOW__API__LISTEN", "127.0.0.1:0")
	writeDag(t, h, "echo", "split", "dag_id: split\nis_paused_upon_creation: false\ntasks:\n  - {id: hello, module: modules/echo.wasm, args: [hi]}\n")
	h.ok("db", "init")

	_, log := startVerb(t, bin, h, "webserver", `UI and API of .* on http://\S+`)
	url := regexp.MustCompile(`on (http://\S+)`).FindStringSubmatch(log)[1]
	if !strings.Contains(log, "no scheduler drives this home") {
		t.Errorf("the webserver did not say that no scheduler runs:\n%s", log)
	}
	token := strings.TrimSpace(h.ok("users", "token", "-u", "admin"))
	srv := []string{"--server", url, "--token", token}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("events stream: %v %v", resp, err)
	}
	defer resp.Body.Close()
	ended := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			t.Log(sc.Text())
			if l := sc.Text(); strings.Contains(l, `"dag_run_id":"r1"`) && strings.Contains(l, `"state":"success"`) && !strings.Contains(l, `"task_id"`) {
				ended <- l
				return
			}
		}
	}()

	h.ok(append([]string{"dags", "trigger", "split", "--run-id", "r1"}, srv...)...)
	if st := h.taskStates(t, "split", "r1")["hello"]; *st.State == "success" {
		t.Fatal("the run ran before any scheduler started")
	}
	startVerb(t, bin, h, "scheduler", "the scheduler is running")
	select {
	case l := <-ended:
		t.Logf("the webserver published the run's end: %s", l)
	case <-ctx.Done():
		ws, _ := os.ReadFile(filepath.Join(h.dir, "webserver.log"))
		t.Fatalf("the webserver never published the end of r1; hello is %s\n%s", *h.taskStates(t, "split", "r1")["hello"].State, ws)
	}
	if st := h.taskStates(t, "split", "r1")["hello"]; *st.State != "success" {
		t.Errorf("hello is %s", *st.State)
	}
	if code, _, errs := h.run("", "scheduler"); code == ExitOK || !strings.Contains(errs, "scheduler") {
		t.Errorf("a second scheduler on the home: exit %d, %s", code, errs)
	}
	startVerb(t, bin, h, "webserver", `UI and API of .* on http://\S+`)
}

// TestAirflowOnlyVerbs: a top-level command Airflow has and wasmflow does not answers with
// the wasmflow way, not "unknown command".
func TestAirflowOnlyVerbs(t *testing.T) {
	h := newHome(t)
	for verb, want := range map[string]string{"triggerer": "reschedule", "celery": "wasmflow worker --join", "dag-processor": "wasmflow scheduler"} {
		code, _, errs := h.run("", verb, "worker")
		if code == ExitOK || !strings.Contains(errs, "`airflow "+verb+"` has no wasmflow counterpart") || !strings.Contains(errs, want) {
			t.Errorf("wasmflow %s: exit %d, %q", verb, code, errs)
		}
	}
	if code, _, errs := h.run("", "nosuchverb"); code == ExitOK || !strings.Contains(errs, "unknown command") {
		t.Errorf("an unknown verb: exit %d, %q", code, errs)
	}
}

// TestCleanSIGTERMLogsNoError: `wasmflow standalone` sent SIGTERM while a task runs and a
// browser follows the events stops cleanly: exit 0, "stopped", and not one error in its log.
func TestCleanSIGTERMLogsNoError(t *testing.T) {
	bin := buildBinary(t)
	h := newHome(t, "WASMFLOW__CORE__LOAD_EXAMPLES", "false", "WASMFLOW__API__LISTEN", "127.0.0.1:0")
	writeDag(t, h, "sleep", "slow", "dag_id: slow\nis_paused_upon_creation: false\ntasks:\n  - {id: nap, module: modules/sleep.wasm, args: [\"3\"]}\n")
	cmd, log := startVerb(t, bin, h, "standalone", `UI and API: http://\S+`)
	url := regexp.MustCompile(`UI and API: (http://\S+)`).FindStringSubmatch(log)[1]
	token := strings.TrimSpace(h.ok("users", "token", "-u", "admin"))
	req, _ := http.NewRequest("GET", url+"/api/v1/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	h.ok("dags", "trigger", "slow", "--run-id", "r1", "--server", url, "--token", token)
	for deadline := time.Now().Add(30 * time.Second); *h.taskStates(t, "slow", "r1")["nap"].State != "running"; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("nap never ran: %s", *h.taskStates(t, "slow", "r1")["nap"].State)
		}
	}
	cmd.Process.Signal(syscall.SIGTERM)
	err = cmd.Wait()
	out, _ := os.ReadFile(filepath.Join(h.dir, "standalone.log"))
	if err != nil {
		t.Errorf("standalone exited with %v after SIGTERM:\n%s", err, out)
	}
	if !strings.Contains(string(out), "stopped") {
		t.Errorf("standalone does not say it stopped:\n%s", out)
	}
	for _, bad := range []string{"level=ERROR", "Error:", "panic"} {
		if strings.Contains(string(out), bad) {
			t.Errorf("a clean SIGTERM logged %q:\n%s", bad, out)
		}
	}
}
