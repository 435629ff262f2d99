package app

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/tasks"
)

// TestDagTestFollowsItsRunByEvents: `dags test` learns that its run ended from the
// scheduler it runs, not by reading the metastore on a timer. With that timer an hour long,
// a run of three tasks in a chain still ends, and each task's success is reported; a
// WaitRun that polled would wait the hour (the context's deadline fails the test first).
func TestDagTestFollowsItsRunByEvents(t *testing.T) {
	mod, err := os.ReadFile(filepath.Join("..", "runtime", "testdata", "noop_c", "noop.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	a := newAuthoringApp(t, map[string]string{"modules/noop.wasm": string(mod), "chain.yaml": `dag_id: chain
schedule: null
tasks:
  - {id: a, module: modules/noop.wasm}
  - {id: b, module: modules/noop.wasm, upstream: [a]}
  - {id: c, module: modules/noop.wasm, upstream: [b]}
`})
	a.waitPoll = time.Hour
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var succeeded []string
	run, err := a.TestDag(ctx, "chain", time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), nil, func(ti TaskInstanceInfo) {
		if ti.State != nil && *ti.State == string(tasks.StateSuccess) {
			succeeded = append(succeeded, ti.TaskID)
		}
	})
	if err != nil {
		t.Fatalf("dags test: %v (a run followed only by polling waits for the next poll, an hour here)", err)
	}
	slices.Sort(succeeded) // one read may see two tasks' ends; each is reported once
	if run.State != string(tasks.RunSuccess) || !slices.Equal(succeeded, []string{"a", "b", "c"}) {
		t.Errorf("run ended %s with successes reported %v, want success and a, b, c", run.State, succeeded)
	}
}
