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

// TestDagTestReadsOnlyItsDagWhileUnchanged: the next process's `dags test` of a DAG whose
// file the metastore has unchanged reads that file alone: the other DAG is not loaded, and a
// broken file added since gets no import error from it (the next sync records it). A DAG added
// since makes it sync every folder, so it runs as its file says, and the broken file is
// recorded then.
func TestDagTestReadsOnlyItsDagWhileUnchanged(t *testing.T) {
	mod, err := os.ReadFile(filepath.Join("..", "runtime", "testdata", "noop_c", "noop.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	dag := func(id string) string {
		return "dag_id: " + id + "\nschedule: null\ntasks:\n  - {id: t, module: modules/noop.wasm}\n"
	}
	first := newAuthoringApp(t, map[string]string{"modules/noop.wasm": string(mod), "a.yaml": dag("a"), "b.yaml": dag("b")})
	dags := first.Config.Core.DagsFolder
	if err := os.WriteFile(filepath.Join(dags, "broken.yaml"), []byte("dag_id: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	testRun := func(dagID string) *App {
		t.Helper()
		a, err := Open(context.Background(), first.Config, nil) // the next CLI process
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		run, err := a.TestDag(ctx, dagID, time.Time{}, nil, nil)
		if err != nil || run.State != string(tasks.RunSuccess) {
			t.Fatalf("dags test %s: run %s, %v", dagID, run.State, err)
		}
		return a
	}
	importErrors := func(a *App) []string {
		t.Helper()
		list, err := a.ImportErrors(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var files []string
		for _, ie := range list {
			files = append(files, filepath.Base(ie.Filename))
		}
		return files
	}

	a := testRun("a")
	if a.Dags.Dag("b") != nil {
		t.Error("dags test of a loaded DAG b: it parsed every file")
	}
	if got := importErrors(a); len(got) != 0 {
		t.Errorf("dags test of a, unchanged, recorded import errors %v: it parsed every file", got)
	}

	if err := os.WriteFile(filepath.Join(dags, "c.yaml"), []byte(dag("c")), 0o644); err != nil {
		t.Fatal(err)
	}
	c := testRun("c")
	if got := importErrors(c); !slices.Equal(got, []string{"broken.yaml"}) {
		t.Errorf("after dags test of c, new since the last sync: import errors %v, want [broken.yaml] from its sync", got)
	}
}
