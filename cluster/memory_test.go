package cluster

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/runtime"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// The local executor (standalone, and the server's own slots) admits tries against
// core.max_task_memory: a second try whose memory_limit does not fit next to the first's stays
// queued, saying why, while the first runs, and starts when the first ends.
func TestLocalExecutorMemoryCap(t *testing.T) {
	r, err := runtime.New(context.Background(), runtime.Config{CacheDir: t.TempDir(), MaxTaskMemory: 3 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	e := &LocalExecutor{Runner: r, LogsFolder: t.TempDir()}
	res := newCollector()
	if err := e.Start(context.Background(), res.ch); err != nil {
		t.Fatal(err)
	}
	first := workload("mem", "r", "first", 1, sleepWasm, "30")
	second := workload("mem", "r", "second", 1, echoWasm, "hi")
	first.MemoryLimit, second.MemoryLimit = 2<<20, 2<<20
	e.Submit(first, nil)
	eventually(t, 10*time.Second, func() bool { return hasProgress(res, first, tasks.StateRunning) }, "the first try was not reported started")
	e.Submit(second, nil)
	eventually(t, 10*time.Second, func() bool { return hasProgress(res, second, tasks.StateQueued) }, "the second try was not reported waiting")
	if hasProgress(res, second, tasks.StateRunning) || res.count() != 0 {
		t.Fatalf("the second try started next to the first: %+v %+v", res.progressOf(keyOf(second)), res.results())
	}
	want := "waiting for memory: its memory_limit 2 MiB does not fit next to the 2 MiB of the tries running here (core.max_task_memory 3 MiB)"
	if p := res.progressOf(keyOf(second)); p[0].Reason != want {
		t.Errorf("reason %q, want %q", p[0].Reason, want)
	}
	e.Kill(keyOf(first), 1)
	eventually(t, 10*time.Second, func() bool { return res.count() == 2 }, "%d of 2 results", res.count())
	if got := res.of(keyOf(second)); got[0].State != tasks.StateSuccess {
		t.Errorf("second try: %s %s", got[0].State, got[0].Reason)
	}
	if !hasProgress(res, second, tasks.StateRunning) {
		t.Error("the second try was never reported started")
	}
	if err := e.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// A worker admits the tries it takes against its own cap (`wasmflow worker` passes
// core.max_task_memory): one over it fails at once naming both figures and the setting, and
// one that does not fit next to a running try waits, its log says why, until memory frees.
func TestWorkerMemoryCap(t *testing.T) {
	s := startServer(t, serverOpts{})
	startWorker(t, "w1", s.Node().Address(), workerOpts{slots: 4, memory: 3 << 20})
	waitWorkers(t, s, 1)

	big := workload("mem", "r", "big", 1, echoWasm, "never")
	big.MemoryLimit = 4 << 20
	s.Submit(big, nil)
	eventually(t, 10*time.Second, func() bool { return len(s.res.of(keyOf(big))) == 1 }, "no result for the oversize try")
	got := s.res.of(keyOf(big))[0]
	want := "memory_cap: memory_limit 4 MiB is over core.max_task_memory 3 MiB"
	if got.State != tasks.StateFailed || !strings.HasPrefix(got.Reason, want) || !strings.Contains(got.Reason, "raise core.max_task_memory") {
		t.Fatalf("oversize try: %s %q, want failed with %q", got.State, got.Reason, want)
	}

	first := workload("mem", "r", "first", 1, sleepWasm, "30")
	second := workload("mem", "r", "second", 1, echoWasm, "hi")
	first.MemoryLimit, second.MemoryLimit = 2<<20, 2<<20
	s.Submit(first, nil)
	waitStarted(t, s, first)
	s.Submit(second, nil)
	secondLog := LogPath(s.logs, keyOf(second), 1)
	eventually(t, 10*time.Second, func() bool {
		b, _ := os.ReadFile(secondLog)
		return strings.Contains(string(b), "[wasmflow] waiting for memory: its memory_limit 2 MiB does not fit next to the 2 MiB")
	}, "the second try's log does not say it waits for memory (%s)", filepath.Base(secondLog))
	if n := len(s.res.of(keyOf(first))); n != 0 {
		t.Fatalf("the first try ended before the second waited")
	}
	s.Kill(keyOf(first), 1)
	eventually(t, 10*time.Second, func() bool { return len(s.res.of(keyOf(second))) == 1 }, "no result for the second try")
	if got := s.res.of(keyOf(second))[0]; got.State != tasks.StateSuccess {
		t.Errorf("second try: %s %q", got.State, got.Reason)
	}
}

func hasProgress(c *collector, w scheduler.Workload, state tasks.TaskInstanceState) bool {
	for _, p := range c.progressOf(keyOf(w)) {
		if p.State == state {
			return true
		}
	}
	return false
}
