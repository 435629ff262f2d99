package scheduler_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/internal/dbtest"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// With several active schedulers, each callback runs once: the scheduler whose Save raised it
// runs it, and the others, reading the same pending requests, leave it to that one.
func TestHACallbacksRunOnce(t *testing.T) {
	const runs = 8
	c := newHAClusterOn(t, dbtest.URL(t), runs)
	dag := filepath.Join(c.sync.Folders[0], "ha.yaml")
	src, err := os.ReadFile(dag)
	if err != nil {
		t.Fatal(err)
	}
	withCallbacks := strings.Replace(string(src), "tasks:\n", "on_success_callback:\n  module: noop.wasm\ndefault_args:\n  on_success_callback:\n    module: noop.wasm\ntasks:\n", 1)
	if err := os.WriteFile(dag, []byte(withCallbacks), 0o644); err != nil {
		t.Fatal(err)
	}
	if rep, err := c.sync.SyncOnce(context.Background()); err != nil || rep.Errors > 0 {
		t.Fatalf("sync: %v %+v", err, rep)
	}
	for i := 0; i < 3; i++ {
		c.start(i)
	}
	// Each has its job before the runs end: a scheduler stopped while it registers one fails
	// its Run (seen when the other two had ended the eight runs first on a busy machine).
	for _, s := range c.scheds {
		if err := scheduler.Started(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	c.waitEnded(map[string]bool{}, runs)
	const want = runs * 21 // each task's, and each run's
	reader := c.open()
	pending := -1
	if !eventually(time.Minute, func() bool { // a guard against a hang, not a timing
		if p, err := reader.PendingCallbacks(context.Background()); err == nil {
			pending = len(p)
		}
		return pending == 0 && c.callbacksRun() >= want
	}) {
		t.Fatalf("%d callbacks ran, %d pending; want %d run, none pending", c.callbacksRun(), pending, want)
	}
	c.stopAll()
	c.runs.mu.Lock()
	defer c.runs.mu.Unlock()
	n := 0
	for k, times := range c.runs.n {
		if !tasks.IsCallbackID(k.TaskID) {
			continue
		}
		n++
		if times != 1 {
			t.Errorf("callback %s ran %d times", k.TIKey, times)
		}
	}
	if n != want {
		t.Errorf("%d callbacks ran, want %d", n, want)
	}
}

func (c *haCluster) callbacksRun() int {
	c.runs.mu.Lock()
	defer c.runs.mu.Unlock()
	n := 0
	for k := range c.runs.n {
		if tasks.IsCallbackID(k.TaskID) {
			n++
		}
	}
	return n
}
