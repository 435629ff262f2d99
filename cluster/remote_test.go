package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// TestSpreadAcrossWorkers: a server (running tries itself too) and three workers run 300
// tries of real modules; each ends exactly once, every node takes a share, logs stream back
// to the server's log files, and xcom_pull is answered by the server.
func TestSpreadAcrossWorkers(t *testing.T) {
	s := startServer(t, serverOpts{local: true, slots: 2})
	for _, name := range []string{"w1", "w2", "w3"} {
		startWorker(t, name, s.Node().Address(), workerOpts{slots: 4})
	}
	waitWorkers(t, s, 3)

	// A quarter of the tries hold their slot for 50 ms: with only instant ones, the server's
	// own slots (no network in the way) free so fast that it can take nearly all of them.
	modules := []string{sleepWasm, echoWasm, sumWasm, xcomWasm}
	args := [][]string{{"0.05"}, {"hello", "from"}, {"2", "40"}, {"k=v"}}
	var ws []scheduler.Workload
	for i := range 300 {
		m := i % len(modules)
		ws = append(ws, workload("spread", "run1", fmt.Sprintf("t%03d", i), 1, modules[m], args[m]...))
	}
	pull := workload("spread", "run1", "pull", 1, hostWasm, "extract")
	start := time.Now()
	for _, w := range ws {
		s.Submit(w, nil)
	}
	s.Submit(pull, func(taskID, key string) ([]byte, bool) {
		if taskID == "extract" && key == "return_value" {
			return []byte("forty-two"), true
		}
		return nil, false
	})
	eventually(t, 30*time.Second, func() bool { return s.res.count() >= 301 }, "%d of 301 results", s.res.count())
	t.Logf("301 tries through a server and 3 workers in %s", time.Since(start))

	perHost := map[string]int{}
	seen := map[scheduler.TIKey]int{}
	for _, r := range s.res.results() {
		seen[r.Key]++
		perHost[r.Hostname]++
		if r.State != tasks.StateSuccess {
			t.Errorf("%s: %s %s", r.Key.TaskID, r.State, r.Reason)
		}
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s: %d results", k.TaskID, n)
		}
	}
	if len(seen) != 301 {
		t.Errorf("%d distinct tries reported, want 301", len(seen))
	}
	t.Logf("tries per node: %v", perHost)
	// Every node gets work. Not evenly: the server's own tries skip the network and free their
	// slots sooner, more so on a loaded machine, so only a clear share is required of each.
	for _, h := range []string{"server", "w1", "w2", "w3"} {
		if perHost[h] < 10 {
			t.Errorf("node %s ran %d tries: the load is not spread (%v)", h, perHost[h], perHost)
		}
	}
	// The echo tries' logs streamed to the server's log files, whoever ran them.
	for _, i := range []int{1, 5, 9} {
		w := ws[i]
		b, err := os.ReadFile(LogPath(s.logs, keyOf(w), 1))
		if err != nil || !strings.Contains(string(b), "hello from") {
			t.Errorf("log of %s: %q, %v", w.TaskID, b, err)
		}
	}
	r := s.res.of(keyOf(pull))[0]
	if got := string(r.XComs["from_c"]); got != "C saw 9 bytes" {
		t.Errorf("xcom_pull through the server: from_c = %q (%s %s)", got, r.State, r.Reason)
	}
	if got := string(s.res.of(keyOf(ws[2]))[0].XComs["return_value"]); got != "42" {
		t.Errorf("sum's return_value = %q", got)
	}
	eventually(t, 5*time.Second, func() bool {
		for _, m := range s.Members() {
			if m.UsedSlots != 0 {
				return false
			}
		}
		return true
	}, "slots still in use after every try ended: %+v", s.Members())
}

// TestQueueRouting: tries go only to nodes serving their queue; a queue nobody serves waits,
// saying why, until a worker for it joins late, which fetches the module by its sha256.
func TestQueueRouting(t *testing.T) {
	s := startServer(t, serverOpts{local: false})
	startWorker(t, "etl1", s.Node().Address(), workerOpts{queues: []string{"etl"}})
	startWorker(t, "gpu1", s.Node().Address(), workerOpts{queues: []string{"gpu", "etl"}})
	startWorker(t, "plain", s.Node().Address(), workerOpts{})
	waitWorkers(t, s, 3)

	want := map[string][]string{"etl": {"etl1", "gpu1"}, "gpu": {"gpu1"}, "default": {"plain"}, "": {"plain"}}
	var ws []scheduler.Workload
	for q := range want {
		for i := range 10 {
			w := workload("routing", "run1", fmt.Sprintf("%s_%d", q, i), 1, noopWasm)
			w.Queue = q
			ws = append(ws, w)
		}
	}
	late := workload("routing", "run1", "late", 1, echoWasm, "late", "worker")
	late.Queue = "rare"
	s.Submit(late, nil)
	for _, w := range ws {
		s.Submit(w, nil)
	}
	eventually(t, 15*time.Second, func() bool { return s.res.count() == len(ws) }, "%d of %d results", s.res.count(), len(ws))
	for _, r := range s.res.results() {
		q := strings.Split(r.Key.TaskID, "_")[0]
		if !contains(want[q], r.Hostname) {
			t.Errorf("%s (queue %q) ran on %s, want one of %v", r.Key.TaskID, q, r.Hostname, want[q])
		}
	}
	waiting := s.Waiting()
	if len(waiting) != 1 || waiting[0].Key != keyOf(late) || !strings.Contains(waiting[0].Reason, `no live worker serves queue "rare"`) {
		t.Fatalf("waiting = %+v", waiting)
	}
	// The scheduler was told why, so the task instance shows it while queued.
	eventually(t, 5*time.Second, func() bool { return len(s.res.progressOf(keyOf(late))) > 0 }, "no queued report for the waiting try")
	if p := s.res.progressOf(keyOf(late))[0]; p.State != tasks.StateQueued || p.Reason != waiting[0].Reason {
		t.Errorf("first report for the waiting try: %s %q, want queued %q", p.State, p.Reason, waiting[0].Reason)
	}

	cache := t.TempDir()
	startWorker(t, "rare1", s.Node().Address(), workerOpts{queues: []string{"rare"}, cache: cache})
	eventually(t, 10*time.Second, func() bool { return len(s.res.of(keyOf(late))) == 1 }, "the late worker did not run the waiting try")
	r := s.res.of(keyOf(late))[0]
	if r.State != tasks.StateSuccess || r.Hostname != "rare1" {
		t.Fatalf("late try: %+v", r)
	}
	if p := s.res.progressOf(keyOf(late)); p[len(p)-1].State != tasks.StateRunning || p[len(p)-1].Hostname != "rare1" {
		t.Errorf("the late try was not reported started on rare1: %+v", p[len(p)-1])
	}
	module, _ := os.ReadFile(echoWasm)
	cached, err := os.ReadFile(filepath.Join(cache, "modules", digest(module)+".wasm"))
	if err != nil || digest(cached) != digest(module) || r.ModuleSHA256 != digest(module) {
		t.Fatalf("the late worker's cached module: %v (sha %s, result says %s)", err, digest(cached), r.ModuleSHA256)
	}
	if len(s.Waiting()) != 0 {
		t.Errorf("still waiting: %+v", s.Waiting())
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestModuleVerified: a worker refuses module bytes that do not hash to their name, and asks
// again for a cached module damaged on disk.
func TestModuleVerified(t *testing.T) {
	s := startServer(t, serverOpts{})
	cache := t.TempDir()
	w := startWorker(t, "w1", s.Node().Address(), workerOpts{cache: cache})
	waitWorkers(t, s, 1)
	good, _ := os.ReadFile(noopWasm)
	sha := digest(good)
	ch := newChannel("server", testSecret, testLog(t))
	status, body, err := ch.do(context.Background(), http.MethodPut, w.Node().DataAddress(), pathModules+sha, append([]byte("x"), good...))
	if err != nil || status != http.StatusBadRequest || !strings.Contains(string(body), "do not match") {
		t.Fatalf("tampered module: %d %s %v", status, body, err)
	}
	if w.modules.has(sha) {
		t.Fatal("a module that does not match its sha256 was cached")
	}
	// Run once to cache it, damage the cached file, run again: fetched anew.
	first := workload("mods", "r", "a", 1, noopWasm)
	s.Submit(first, nil)
	eventually(t, 10*time.Second, func() bool { return s.res.count() == 1 }, "no result")
	path := filepath.Join(cache, "modules", sha+".wasm")
	if err := os.WriteFile(path, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	w.modules = mustModuleCache(t, filepath.Join(cache, "modules")) // forget the copy in memory
	second := workload("mods", "r", "b", 1, noopWasm)
	s.Submit(second, nil)
	eventually(t, 10*time.Second, func() bool { return s.res.count() == 2 }, "no result")
	for _, r := range s.res.results() {
		if r.State != tasks.StateSuccess {
			t.Errorf("%s: %s %s", r.Key.TaskID, r.State, r.Reason)
		}
	}
	if b, _ := os.ReadFile(path); digest(b) != sha {
		t.Error("the damaged module was not replaced")
	}
}

func mustModuleCache(t *testing.T, dir string) *moduleCache {
	c, err := newModuleCache(dir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestWrongSecret: a worker with another secret cannot join, says why, and gets no work; the
// data channel refuses requests not signed with the cluster's secret.
func TestWrongSecret(t *testing.T) {
	s := startServer(t, serverOpts{})
	w, err := newTestWorker(t, "intruder", s.Node().Address(), workerOpts{secret: "not the secret"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	err = w.Start(context.Background())
	if !errors.Is(err, ErrWrongSecret) || !strings.Contains(err.Error(), "wrong cluster secret") || !strings.Contains(err.Error(), s.Node().Address()) {
		t.Fatalf("join with the wrong secret: %v", err)
	}
	for _, m := range s.Members() {
		if m.Name == "intruder" {
			t.Fatalf("the intruder is a member: %+v", m)
		}
	}
	s.Submit(workload("secret", "r", "a", 1, noopWasm), nil)
	time.Sleep(300 * time.Millisecond) // a negative check: a wrong dispatch (one pass, every 250 ms at most) would happen meanwhile
	if w.runningCount() != 0 || len(s.Waiting()) != 1 {
		t.Fatalf("the intruder got work (running %d, waiting %+v)", w.runningCount(), s.Waiting())
	}

	// The data channel: a result signed with another secret, or not signed, is refused.
	bad := newChannel("intruder", "not the secret", testLog(t))
	msg := resultMessage{ID: "x", Worker: "intruder", Result: scheduler.TryResult{Key: scheduler.NewTIKey("secret", "r", "a"), TryNumber: 1, State: tasks.StateSuccess}}
	if err := bad.call(context.Background(), s.Node().DataAddress(), pathResults, msg, nil); !isStatus(err, http.StatusUnauthorized) {
		t.Fatalf("result signed with the wrong secret: %v", err)
	}
	resp, err := http.Post("http://"+s.Node().DataAddress()+pathResults, "application/json", strings.NewReader(`{"id":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned request: %d", resp.StatusCode)
	}
	if s.res.count() != 0 {
		t.Fatalf("a forged result reached the scheduler: %+v", s.res.results())
	}

	// An unreachable seed is named.
	w2, err := newTestWorker(t, "lonely", "127.0.0.1:1", workerOpts{})
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	w2.cfg.JoinTimeout = 500 * time.Millisecond
	err = w2.Start(context.Background())
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("unreachable seed: %v", err)
	}
}

// TestDrain: a worker asked to stop takes no new tries, lets running ones finish within its
// grace, kills those that do not, hands their results over and leaves ("left", not "dead").
func TestDrain(t *testing.T) {
	s := startServer(t, serverOpts{})
	w := startWorker(t, "w1", s.Node().Address(), workerOpts{slots: 2})
	waitWorkers(t, s, 1)
	quick := workload("drain", "r", "quick", 1, sleepWasm, "0.3")
	slow := workload("drain", "r", "slow", 1, sleepWasm, "30")
	s.Submit(quick, nil)
	s.Submit(slow, nil)
	eventually(t, 10*time.Second, func() bool { return w.runningCount() == 2 }, "not running")
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- w.Stop(ctx) }()
	eventually(t, 3*time.Second, func() bool {
		for _, m := range s.Members() {
			if m.Name == "w1" {
				return m.Draining
			}
		}
		return false
	}, "the server does not see w1 draining: %+v", s.Members())
	later := workload("drain", "r", "later", 1, noopWasm)
	s.Submit(later, nil)
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if r := s.res.of(keyOf(quick)); len(r) != 1 || r[0].State != tasks.StateSuccess {
		t.Errorf("quick: %+v", r)
	}
	if r := s.res.of(keyOf(slow)); len(r) != 1 || r[0].Reason != "killed" {
		t.Errorf("slow, past the grace: %+v", r)
	}
	eventually(t, 5*time.Second, func() bool {
		for _, m := range s.Members() {
			if m.Name == "w1" {
				return m.State == StateLeft
			}
		}
		return false
	}, "w1 is not shown as left: %+v", s.Members())
	if r := s.res.of(keyOf(later)); len(r) != 0 {
		t.Errorf("a draining worker took a new try: %+v", r)
	}
	if len(s.Waiting()) != 1 {
		t.Errorf("the try submitted while draining should wait: %+v", s.Waiting())
	}
}

// TestIdleWorkerLeaves: a worker stopped with nothing to drain is shown "left", not "dead".
// memberlist's leave events do not say which (see Node.push): Leave spreads draining first.
func TestIdleWorkerLeaves(t *testing.T) {
	s := startServer(t, serverOpts{})
	w := startWorker(t, "w1", s.Node().Address(), workerOpts{})
	waitWorkers(t, s, 1)
	if err := w.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, func() bool {
		for _, m := range s.Members() {
			if m.Name == "w1" {
				return m.State != StateAlive
			}
		}
		return false
	}, "w1 still alive: %+v", s.Members())
	for _, m := range s.Members() {
		if m.Name == "w1" && m.State != StateLeft {
			t.Errorf("w1 stopped gracefully is %q, want left", m.State)
		}
	}
}

// TestKill: kill a try running on a worker, and one still waiting for a node.
func TestKill(t *testing.T) {
	s := startServer(t, serverOpts{})
	w := startWorker(t, "w1", s.Node().Address(), workerOpts{slots: 1})
	waitWorkers(t, s, 1)
	running := workload("kill", "r", "running", 1, sleepWasm, "30")
	waiting := workload("kill", "r", "waiting", 1, sleepWasm, "30")
	s.Submit(running, nil)
	eventually(t, 10*time.Second, func() bool { return w.runningCount() == 1 }, "not running")
	s.Submit(waiting, nil)
	s.Kill(keyOf(waiting), 1)
	s.Kill(keyOf(running), 2) // another try number: ignored
	s.Kill(keyOf(running), 1)
	eventually(t, 10*time.Second, func() bool { return s.res.count() == 2 }, "%d of 2 results", s.res.count())
	for _, r := range s.res.results() {
		if r.State != tasks.StateFailed || r.Reason != "killed" {
			t.Errorf("%s: %s %q", r.Key.TaskID, r.State, r.Reason)
		}
	}
}

// TestStop: the server's Stop reports tries still waiting as lost and waits for running ones.
func TestStop(t *testing.T) {
	s := startServer(t, serverOpts{local: true, slots: 1, queues: []string{"default"}})
	w := startWorker(t, "w1", s.Node().Address(), workerOpts{slots: 1})
	waitWorkers(t, s, 1)
	a := workload("stop", "r", "a", 1, sleepWasm, "0.3")
	b := workload("stop", "r", "b", 1, sleepWasm, "0.3")
	all := []scheduler.Workload{a, b}
	for i := range 5 {
		c := workload("stop", "r", fmt.Sprintf("c%d", i), 1, noopWasm)
		c.Queue = "nobody"
		all = append(all, c)
	}
	for _, x := range all {
		s.Submit(x, nil)
	}
	eventually(t, 10*time.Second, func() bool { return w.runningCount() == 1 && len(s.Waiting()) == 5 }, "not dispatched")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range s.res.results() {
		got[r.Key.TaskID] = string(r.State) + " " + r.Reason
	}
	if len(s.res.results()) != 7 || got["a"] != "success " || got["b"] != "success " {
		t.Fatalf("after Stop: %v", got)
	}
	for i := range 5 {
		if c := got[fmt.Sprintf("c%d", i)]; !strings.HasPrefix(c, "failed lost:") {
			t.Errorf("c%d after Stop: %q", i, c)
		}
	}
	s.Submit(workload("stop", "r", "d", 1, noopWasm), nil) // after Stop: no result, no panic
}

// TestStopInterrupts: tries still running when the server's Stop grace ends, on a worker and
// on the server itself, come back failed and Interrupted (so no retry is used), as do tries
// that never left the server. A try killed by a user is not interrupted.
func TestStopInterrupts(t *testing.T) {
	s := startServer(t, serverOpts{local: true, slots: 1, queues: []string{"here"}})
	w := startWorker(t, "w1", s.Node().Address(), workerOpts{slots: 2})
	waitWorkers(t, s, 1)
	onWorker := workload("int", "r", "on_worker", 1, sleepWasm, "60")
	killed := workload("int", "r", "killed", 1, sleepWasm, "60")
	here := workload("int", "r", "here", 1, sleepWasm, "60")
	here.Queue = "here"
	nowhere := workload("int", "r", "nowhere", 1, noopWasm)
	nowhere.Queue = "nobody"
	for _, x := range []scheduler.Workload{onWorker, killed, here, nowhere} {
		s.Submit(x, nil)
	}
	eventually(t, 10*time.Second, func() bool { return w.runningCount() == 2 && len(s.Waiting()) == 1 }, "not dispatched")
	s.Kill(keyOf(killed), 1)
	eventually(t, 10*time.Second, func() bool { return len(s.res.of(keyOf(killed))) > 0 }, "kill not reported")
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_ = s.Stop(ctx) // the grace ends with two tries running
	for _, x := range []scheduler.Workload{onWorker, here, nowhere, killed} {
		var final *scheduler.TryResult
		for _, r := range s.res.of(keyOf(x)) {
			if !r.Progress() {
				final = &r
			}
		}
		switch {
		case final == nil:
			t.Errorf("%s: no result after Stop", x.TaskID)
		case x.TaskID == "killed":
			if final.Interrupted || final.Reason != "killed" {
				t.Errorf("killed by a user: %+v", *final)
			}
		case final.State != tasks.StateFailed || !final.Interrupted:
			t.Errorf("%s: %s %q interrupted=%v, want failed and interrupted", x.TaskID, final.State, final.Reason, final.Interrupted)
		}
	}
}
