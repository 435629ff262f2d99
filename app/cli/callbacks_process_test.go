package cli

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/scheduler/metastore"
	"github.com/wasmflow/wasmflow/tasks/operators"
	"github.com/wasmflow/wasmflow/tasks/operators/operatorstest"
)

var binaryWithOperators struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// buildBinaryWithOperators builds, once per test run, a wasmflow binary whose go:embed holds
// the operator modules the tests build (operatorstest), as `make build` would, through a build
// overlay: nothing is written into the source tree.
func buildBinaryWithOperators(t *testing.T) string {
	t.Helper()
	modules := filepath.Join(filepath.Dir(operatorstest.Build(t)), "modules")
	binaryWithOperators.once.Do(func() {
		dir, err := os.MkdirTemp("", "wasmflow-bin-ops")
		if err != nil {
			binaryWithOperators.err = err
			return
		}
		root, _ := filepath.Abs(filepath.Join("..", ".."))
		replace := map[string]string{}
		for _, o := range operators.All() {
			replace[filepath.Join(root, "tasks", "operators", "modules", o.Module)] = filepath.Join(modules, o.Module)
		}
		overlay, _ := json.Marshal(map[string]any{"Replace": replace})
		if err := os.WriteFile(filepath.Join(dir, "overlay.json"), overlay, 0o600); err != nil {
			binaryWithOperators.err = err
			return
		}
		binaryWithOperators.path = filepath.Join(dir, "wasmflow")
		cmd := exec.Command("go", "build", "-overlay", filepath.Join(dir, "overlay.json"), "-o", binaryWithOperators.path, ".")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		binaryWithOperators.out, binaryWithOperators.err = cmd.CombinedOutput()
	})
	if binaryWithOperators.err != nil {
		t.Fatalf("go build with the operator modules: %v\n%s", binaryWithOperators.err, binaryWithOperators.out)
	}
	return binaryWithOperators.path
}

// failureHook is a loopback webhook that holds the first request it gets until the test lets
// it go, and counts the requests it answered: one held while the sender died is not answered.
type failureHook struct {
	*httptest.Server
	arrived  chan string
	mu       sync.Mutex
	answered []string
	held     bool
}

func newFailureHook(t *testing.T) *failureHook {
	fh := &failureHook{arrived: make(chan string, 8)}
	fh.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		line := r.URL.Path + " " + string(b)
		fh.mu.Lock()
		first := !fh.held
		fh.held = true
		fh.mu.Unlock()
		fh.arrived <- line
		if first {
			<-r.Context().Done() // the scheduler is killed while it waits for the answer
			return
		}
		fh.mu.Lock()
		fh.answered = append(fh.answered, line)
		fh.mu.Unlock()
	}))
	t.Cleanup(fh.Close)
	return fh
}

func (fh *failureHook) answers() []string {
	fh.mu.Lock()
	defer fh.mu.Unlock()
	return append([]string(nil), fh.answered...)
}

// TestFailureCallbackAcrossKill9: a task fails, its on_failure_callback (an http webhook) is
// on its way, and the scheduler is killed with SIGKILL before the webhook answered. After the
// restart the callback runs again and is answered once; the task stays failed; a further
// restart sends nothing (the request is done).
func TestFailureCallbackAcrossKill9(t *testing.T) {
	bin := buildBinaryWithOperators(t)
	fh := newFailureHook(t)
	port := strconv.Itoa(fh.Listener.Addr().(*net.TCPAddr).Port)
	h := newHome(t, "WASMFLOW__CORE__LOAD_EXAMPLES", "false", "WASMFLOW__API__LISTEN", "127.0.0.1:0",
		"WASMFLOW__CLUSTER__BIND", "127.0.0.1:"+strconv.Itoa(clusterPort(t)))
	dags := filepath.Join(h.dir, "dags")
	os.MkdirAll(filepath.Join(dags, "modules"), 0o755)
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "dags", "modules", "exit.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dags, "modules", "exit.wasm"), b, 0o644)
	os.WriteFile(filepath.Join(dags, "hooked.yaml"), []byte(`dag_id: hooked
is_paused_upon_creation: false
tasks:
  - id: breaks
    module: modules/exit.wasm
    args: ["1"]
    on_failure_callback:
      operator: http
      url: http://127.0.0.1:`+port+`/failed/{{ task_id }}
      data: "{{ dag_id }} {{ run_id }} {{ try_number }} {{ state }} {{ reason }}"
      allow_hosts: ["127.0.0.1:`+port+`"]
`), 0o644)
	h.ok("db", "init")

	sa := startStandalone(t, bin, h)
	h.ok("dags", "trigger", "hooked", "--run-id", "r1")
	want := "/failed/breaks hooked r1 1 failed exit_code 1"
	select {
	case got := <-fh.arrived:
		if got != want {
			t.Fatalf("webhook got %q, want %q", got, want)
		}
	case <-time.After(30 * time.Second):
		log, _ := os.ReadFile(filepath.Join(h.dir, "standalone.log"))
		t.Fatalf("the failure webhook was not called: %+v\n%s", h.taskStates(t, "hooked", "r1"), log)
	}
	if err := sa.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	sa.Wait()
	if got := fh.answers(); len(got) != 0 {
		t.Fatalf("answered before the kill: %q", got)
	}

	sa = startStandalone(t, bin, h)
	select {
	case got := <-fh.arrived:
		if got != want {
			t.Errorf("after the restart the webhook got %q, want %q", got, want)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the pending failure callback did not run after the restart")
	}
	store, err := metastore.Open(context.Background(), filepath.Join(h.dir, "wasmflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var reqs []scheduler.CallbackRequest
	if !eventually(20*time.Second, func() bool {
		var err error
		if reqs, err = store.ListCallbacks(context.Background(), "hooked", "r1"); err != nil {
			t.Fatal(err)
		}
		if len(reqs) != 1 {
			t.Fatalf("callback requests = %+v, want 1", reqs)
		}
		return reqs[0].DoneAt != nil
	}) {
		t.Fatalf("the callback was not marked done: %+v", reqs[0])
	}
	if reqs[0].Error != "" {
		t.Errorf("the callback failed: %s", reqs[0].Error)
	}
	if st := h.taskStates(t, "hooked", "r1"); *st["breaks"].State != "failed" || st["breaks"].TryNumber != 1 {
		t.Errorf("breaks = %s at try %d, want failed at try 1", *st["breaks"].State, st["breaks"].TryNumber)
	}

	sa.Process.Signal(syscall.SIGTERM)
	sa.Wait()
	startStandalone(t, bin, h)
	h.run("", "dags", "trigger", "hooked", "--run-id", "r2", "--wait") // fails, as breaks does
	select {
	case got := <-fh.arrived:
		if !strings.Contains(got, " r2 ") {
			t.Errorf("after a second restart the webhook got %q: r1's callback ran again", got)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("r2's failure callback did not run")
	}
	if got := fh.answers(); len(got) != 2 || got[0] != want {
		t.Errorf("answered %q, want r1's once, then r2's", got)
	}
}

// The example DAG example_callbacks on a fresh home with `dags test`: its task fails on both
// tries, the retry callback prints the event, and the task's and the run's failure webhooks
// reach the demo API's /hooks; every callback ran and none failed, and the states are as
// without them.
func TestExampleCallbacks(t *testing.T) {
	h := newHome(t)
	withOperators(t, h)
	if code, out, errs := h.run("", "dags", "test", "example_callbacks", "2024-03-01"); code == 0 || !strings.Contains(out+errs, "ended failed") {
		t.Fatalf("dags test example_callbacks: exit %d, want the run failed\n%s%s", code, out, errs)
	}
	store, err := metastore.Open(context.Background(), filepath.Join(h.dir, "wasmflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	runs, err := store.ListDagRuns(context.Background(), "example_callbacks", "", 0)
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs = %+v, %v", runs, err)
	}
	reqs, err := store.ListCallbacks(context.Background(), "example_callbacks", runs[0].RunID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range reqs {
		got = append(got, r.TaskID+" "+r.Event)
		if r.DoneAt == nil || r.Error != "" {
			t.Errorf("%s of %q: done %v, error %q", r.Event, r.TaskID, r.DoneAt, r.Error)
		}
	}
	if want := []string{"unlucky on_retry_callback", "unlucky on_failure_callback", " on_failure_callback"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("callbacks = %q, want %q", got, want)
	}
	if log := h.ok("tasks", "logs", "example_callbacks", runs[0].RunID, "unlucky", "--try", "1"); !strings.Contains(log, "exiting with code 1") {
		t.Errorf("unlucky's log:\n%s", log)
	}
}
