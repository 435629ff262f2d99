package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sync"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/runtime"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

const testSecret = "correct horse battery staple"

// Fixtures: real modules built from source in the repository.
var (
	noopWasm  = filepath.Join("..", "runtime", "testdata", "noop_c", "noop.wasm")
	hostWasm  = filepath.Join("..", "runtime", "testdata", "host_c", "host.wasm")
	echoWasm  = filepath.Join("..", "examples", "dags", "modules", "echo.wasm")
	sleepWasm = filepath.Join("..", "examples", "dags", "modules", "sleep.wasm")
	sumWasm   = filepath.Join("..", "examples", "dags", "modules", "sum.wasm")
	xcomWasm  = filepath.Join("..", "examples", "dags", "modules", "xcom_write.wasm")
)

// eventually polls cond until it holds or timeout passes.
func eventually(t testing.TB, timeout time.Duration, cond func() bool, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			if os.Getenv("WASMFLOW_TEST_STACKS") != "" {
				pprof.Lookup("goroutine").WriteTo(os.Stderr, 1)
			}
			t.Fatalf("after %s: "+format, append([]any{timeout}, args...)...)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func testLog(t testing.TB) *slog.Logger {
	if lv := os.Getenv("WASMFLOW_TEST_LOG"); lv != "" {
		level := slog.LevelDebug
		if lv == "info" {
			level = slog.LevelInfo
		}
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	}
	return slog.New(slog.DiscardHandler)
}

// collector gathers what an executor reports: final results, and progress reports apart.
type collector struct {
	ch       chan scheduler.TryResult
	mu       sync.Mutex
	all      []scheduler.TryResult
	progress []scheduler.TryResult
}

func newCollector() *collector {
	c := &collector{ch: make(chan scheduler.TryResult, 1024)}
	go func() {
		for r := range c.ch {
			c.mu.Lock()
			if r.Progress() {
				c.progress = append(c.progress, r)
			} else {
				c.all = append(c.all, r)
			}
			c.mu.Unlock()
		}
	}()
	return c
}

func (c *collector) results() []scheduler.TryResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]scheduler.TryResult(nil), c.all...)
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.all)
}

// progressOf returns the progress reports for one task instance.
func (c *collector) progressOf(key scheduler.TIKey) []scheduler.TryResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []scheduler.TryResult
	for _, r := range c.progress {
		if r.Key == key {
			out = append(out, r)
		}
	}
	return out
}

// of returns the results for one task instance.
func (c *collector) of(key scheduler.TIKey) []scheduler.TryResult {
	var out []scheduler.TryResult
	for _, r := range c.results() {
		if r.Key == key {
			out = append(out, r)
		}
	}
	return out
}

type serverOpts struct {
	local    bool
	slots    int
	queues   []string
	bind     string
	dataBind string // default 127.0.0.1:0
	logs     string
	wire     *wire // records what the server's data channel sends and receives
}

type testServer struct {
	*RemoteExecutor
	res  *collector
	logs string
}

func startServer(t testing.TB, o serverOpts) *testServer {
	t.Helper()
	if o.bind == "" {
		o.bind = "127.0.0.1:0"
	}
	if o.logs == "" {
		o.logs = t.TempDir()
	}
	if o.dataBind == "" {
		o.dataBind = "127.0.0.1:0"
	}
	cfg := ServerConfig{
		Node:       NodeConfig{Name: "server", Bind: o.bind, DataBind: o.dataBind, Secret: testSecret, Version: "test", Queues: o.queues, Slots: o.slots},
		LogsFolder: o.logs, Log: testLog(t).With("role", "server"),
	}
	if o.local {
		r, err := runtime.New(context.Background(), runtime.Config{CacheDir: filepath.Join(t.TempDir(), "compiled"), Hostname: "server"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close(context.Background()) })
		cfg.Local = &LocalExecutor{Runner: r, LogsFolder: o.logs}
	}
	e, err := NewRemoteExecutor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	o.wire.tap(e.ch)
	s := &testServer{RemoteExecutor: e, res: newCollector(), logs: o.logs}
	if err := e.Start(context.Background(), s.res.ch); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return s
}

type workerOpts struct {
	queues   []string
	slots    int
	secret   string
	cache    string
	seeds    []string
	bind     string // default 127.0.0.1:0
	dataBind string // default: bind's port + 1, or any free port
	wire     *wire  // records what the worker's data channel sends and receives
	memory   int64  // core.max_task_memory; 0: the runtime's default
}

func startWorker(t testing.TB, name string, seed string, o workerOpts) *Worker {
	t.Helper()
	w, err := newTestWorker(t, name, seed, o)
	if err != nil {
		t.Fatal(err)
	}
	o.wire.tap(w.ch)
	if err := w.Start(context.Background()); err != nil {
		w.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func newTestWorker(t testing.TB, name string, seed string, o workerOpts) (*Worker, error) {
	if o.slots == 0 {
		o.slots = 4
	}
	if o.secret == "" {
		o.secret = testSecret
	}
	if o.cache == "" {
		o.cache = t.TempDir()
	}
	seeds := o.seeds
	if seeds == nil {
		seeds = []string{seed}
	}
	if o.bind == "" {
		o.bind = "127.0.0.1:0"
	}
	return NewWorker(WorkerConfig{
		Node:          NodeConfig{Name: name, Bind: o.bind, DataBind: o.dataBind, Secret: o.secret, Queues: o.queues, Slots: o.slots, Version: "test"},
		Join:          seeds,
		JoinTimeout:   3 * time.Second,
		CacheDir:      o.cache,
		MaxTaskMemory: o.memory,
		Log:           testLog(t).With("role", name),
	})
}

// workload is one try of a module.
func workload(dag, run, task string, try int, module string, args ...string) scheduler.Workload {
	abs, _ := filepath.Abs(module)
	return scheduler.Workload{DagID: dag, RunID: run, TaskID: task, TryNumber: try, ModulePath: abs, Args: args,
		Env: map[string]string{"WASMFLOW_TASK_ID": task}, LogicalDate: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)}
}

func keyOf(w scheduler.Workload) scheduler.TIKey {
	return w.Key()
}

// waitMembers waits until the server sees n alive workers.
func waitWorkers(t testing.TB, s *testServer, n int) {
	t.Helper()
	eventually(t, 10*time.Second, func() bool {
		alive := 0
		s.mu.Lock()
		for _, ws := range s.workers {
			if !ws.local && ws.dataAddr != "" {
				alive++
			}
		}
		s.mu.Unlock()
		return alive == n
	}, "the server does not see %d workers: %v", n, fmt.Sprint(s.Members()))
}

// waitStarted waits until the server has reported each try started (its send confirmed): a
// worker may run a try a moment before the server knows it took it.
func waitStarted(t testing.TB, s *testServer, ws ...scheduler.Workload) {
	t.Helper()
	for _, w := range ws {
		eventually(t, 10*time.Second, func() bool {
			for _, p := range s.res.progressOf(keyOf(w)) {
				if p.State == tasks.StateRunning && p.TryNumber == w.TryNumber {
					return true
				}
			}
			return false
		}, "the server did not report %s try %d started", w.TaskID, w.TryNumber)
	}
}

// running is how many tries a worker runs now.
func (w *Worker) runningCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.running)
}
