package scheduler_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
	"github.com/wasmflow/wasmflow/tasks/operators/operatorstest"
)

// PORT is the webhook server's port, replaced before the file is parsed.
const callbacksDAG = `dag_id: cbs
on_failure_callback:
  operator: http
  url: "http://127.0.0.1:PORT/run/{{ run_id }}/{{ state }}"
  method: POST
  data: "{{ reason }}"
  allow_hosts: ["127.0.0.1:PORT"]
default_args:
  allow_hosts: ["127.0.0.1:PORT"]
tasks:
  - id: flaky
    module: modules/exit.wasm
    args: ["1"]
    retries: 1
    retry_delay: 0.1
    on_retry_callback:
      operator: http
      url: "http://127.0.0.1:PORT/retry/{{ task_id }}/{{ try_number }}"
      method: POST
      data: "{{ reason }}"
      allow_hosts: ["127.0.0.1:PORT"]
    on_failure_callback:
      operator: http
      url: "http://127.0.0.1:PORT/fail/{{ task_id }}/{{ try_number }}"
      method: POST
      data: "{{ reason }} {{ log_url }}"
      allow_hosts: ["127.0.0.1:PORT"]
  - id: ok
    module: modules/echo.wasm
    on_success_callback:
      module: modules/exit.wasm
      args: ["3"]
  - id: ctx
    module: modules/echo.wasm
    on_success_callback:
      module: modules/echo.wasm
`

// webhooks is a loopback server that records every request it is sent, as "METHOD path body".
type webhooks struct {
	*httptest.Server
	mu   sync.Mutex
	got  []string
	seen chan string
}

func newWebhooks(t *testing.T) *webhooks {
	wh := &webhooks{seen: make(chan string, 64)}
	wh.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		line := r.Method + " " + r.URL.Path + " " + string(b)
		wh.mu.Lock()
		wh.got = append(wh.got, line)
		wh.mu.Unlock()
		wh.seen <- line
	}))
	t.Cleanup(wh.Close)
	return wh
}

func (wh *webhooks) port() string { return fmt.Sprint(wh.Listener.Addr().(*net.TCPAddr).Port) }

func (wh *webhooks) received() []string {
	wh.mu.Lock()
	defer wh.mu.Unlock()
	return append([]string(nil), wh.got...)
}

// waitCallbacks waits until n callback requests of the run are done, and returns them.
func waitCallbacks(t *testing.T, store scheduler.CallbackStore, dagID, runID string, n int) []scheduler.CallbackRequest {
	t.Helper()
	var reqs []scheduler.CallbackRequest
	done := 0
	if !eventually(20*time.Second, func() bool {
		reqs, _ = store.ListCallbacks(context.Background(), dagID, runID)
		done = 0
		for _, r := range reqs {
			if r.DoneAt != nil {
				done++
			}
		}
		return done >= n
	}) {
		t.Fatalf("%d of %d callbacks done after 20s: %+v", done, n, reqs)
	}
	return reqs
}

// Callbacks through a running scheduler: on_retry_callback on up_for_retry, on_failure_callback
// once no try is left, the DAG's on_failure_callback on the run's end, each a webhook received
// once with its context; a failing callback is recorded and leaves its task success; a
// module callback reads the event as JSON on stdin; a restart reruns nothing done.
func TestCallbacksThroughScheduler(t *testing.T) {
	cache := operatorstest.Build(t)
	warmOperator(t, cache, "http")
	wh := newWebhooks(t)
	rg := newRig(t, map[string]string{"cbs": strings.ReplaceAll(callbacksDAG, "PORT", wh.port())}, func(rg *rig) { rg.cacheDir = cache })
	run, tis := rg.trigger("cbs", nil)
	if got := stateMap(tis); got["flaky"] != "failed" || got["ok"] != "success" || got["ctx"] != "success" || run.State != tasks.RunFailed {
		t.Fatalf("run %s, states %v", run.State, got)
	}
	reqs := waitCallbacks(t, rg.store, "cbs", run.RunID, 5)
	if len(reqs) != 5 {
		t.Fatalf("callback requests = %+v, want 5 (retry, failure, ok's, ctx's, the run's)", reqs)
	}
	logURL := "/api/v1/dags/cbs/dagRuns/" + run.RunID + "/taskInstances/flaky/logs/2"
	want := map[string]bool{
		"POST /retry/flaky/1 exit_code 1":                  true,
		"POST /fail/flaky/2 exit_code 1 " + logURL:         true,
		"POST /run/" + run.RunID + "/failed failed: flaky": true,
	}
	got := wh.received()
	if len(got) != len(want) {
		t.Errorf("webhooks received %q, want each of %v once", got, want)
	}
	for _, g := range got {
		if !want[g] {
			t.Errorf("unexpected webhook %q", g)
		}
		delete(want, g)
	}
	for _, r := range reqs {
		switch {
		case r.TaskID == "ok":
			if r.Error != "exit_code 3" {
				t.Errorf("ok's failing callback: error %q, want exit_code 3", r.Error)
			}
		case r.Error != "":
			t.Errorf("%s of %q failed: %s", r.Event, r.TaskID, r.Error)
		}
	}
	if st := rg.states(run); st["ok"].State != tasks.StateSuccess {
		t.Errorf("ok = %s after its callback failed, want success", st["ok"].State)
	}
	logs := filepath.Join(rg.dir, ".logs")
	for _, r := range reqs {
		if r.TaskID != "ctx" {
			continue
		}
		b, _ := os.ReadFile(scheduler.CallbackLogPath(logs, r))
		for _, w := range []string{`"callback":"on_success_callback"`, `"state":"success"`, `"task_id":"ctx"`, `"try_number":1`} {
			if !strings.Contains(string(b), w) {
				t.Errorf("ctx's callback log lacks %s:\n%s", w, b)
			}
		}
	}
	events, _ := rg.store.ListAuditEvents(context.Background(), 50)
	failed := 0
	for _, e := range events {
		if e.Event == "callback.failed" && e.TaskID == "ok" && strings.Contains(e.Extra, "exit_code 3") {
			failed++
		}
	}
	if failed != 1 {
		t.Errorf("event log has %d callback.failed rows for ok, want 1: %+v", failed, events)
	}

	// A restart reruns nothing marked done.
	rg.stop()
	rg.start()
	if err := scheduler.Started(context.Background(), rg.sched); err != nil {
		t.Fatal(err)
	}
	rg.stop()
	if got := wh.received(); len(got) != 3 {
		t.Errorf("after a restart the webhooks received %q, want the same 3", got)
	}
}

// A callback request found pending at start (its scheduler died after the Save that raised it,
// before its done mark) runs once, and is then done.
func TestPendingCallbackRunsAtStart(t *testing.T) {
	cache := operatorstest.Build(t)
	warmOperator(t, cache, "http")
	wh := newWebhooks(t)
	rg := newRig(t, map[string]string{"cbs": strings.ReplaceAll(callbacksDAG, "PORT", wh.port())}, func(rg *rig) { rg.cacheDir = cache })
	run, _ := rg.trigger("cbs", nil)
	waitCallbacks(t, rg.store, "cbs", run.RunID, 5)
	rg.stop()
	n := len(wh.received())
	// What a scheduler killed right after the failure leaves: the request, pending.
	if err := rg.store.Save(context.Background(), scheduler.Changes{Callbacks: []scheduler.CallbackRequest{{DagID: "cbs", RunID: run.RunID,
		TaskID: "flaky", MapIndex: -1, Event: tasks.OnFailureCallback, TryNumber: 7, State: "failed", Reason: "lost", CreatedAt: time.Now()}}}); err != nil {
		t.Fatal(err)
	}
	rg.start()
	select {
	case got := <-drain(wh.seen):
		if got != "POST /fail/flaky/7 lost /api/v1/dags/cbs/dagRuns/"+run.RunID+"/taskInstances/flaky/logs/7" {
			t.Errorf("the pending callback sent %q", got)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the pending callback did not run after the restart")
	}
	waitCallbacks(t, rg.store, "cbs", run.RunID, 6)
	rg.stop()
	rg.start()
	if err := scheduler.Started(context.Background(), rg.sched); err != nil {
		t.Fatal(err)
	}
	rg.stop()
	if got := wh.received(); len(got) != n+1 {
		t.Errorf("webhooks received %q; want the pending one once more than the %d before", got, n)
	}
}

// drain skips what a channel already holds and hands on what comes next.
func drain(c chan string) chan string {
	for {
		select {
		case <-c:
		default:
			return c
		}
	}
}
