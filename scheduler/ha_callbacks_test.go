package scheduler_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/internal/dbtest"
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
	c.waitEnded(map[string]bool{}, runs)
	const want = runs * 21 // each task's, and each run's
	reader := c.open()
	deadline := time.Now().Add(time.Minute) // a guard against a hang, not a timing
	for {
		pending, err := reader.PendingCallbacks(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) == 0 && c.callbacksRun() >= want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d callbacks ran, %d pending; want %d run, none pending", c.callbacksRun(), len(pending), want)
		}
		time.Sleep(10 * time.Millisecond)
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
