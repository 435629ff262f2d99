package api_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/scheduler/metastore"
	"github.com/wasmflow/wasmflow/tasks"
)

// seedRun records an ended run of dagID straight in the metastore, with every task of
// taskIDs in state, try 1, a duration of dur seconds and a log "log of TASK", as if a
// scheduler had run it.
func seedRun(t testing.TB, store *metastore.Store, logsFolder, dagID, runID string, at time.Time, state tasks.TaskInstanceState, dur float64, taskIDs ...string) scheduler.DagRun {
	t.Helper()
	runState := tasks.RunSuccess
	if state.Failed() {
		runState = tasks.RunFailed
	}
	start, end := at.Add(time.Minute), at.Add(time.Minute+time.Duration(dur*float64(time.Second)))
	run := scheduler.DagRun{DagID: dagID, RunID: runID, RunType: "manual", State: runState, LogicalDate: at,
		DataIntervalStart: at, DataIntervalEnd: at, StartDate: &start, EndDate: &end, ExternalTrigger: true}
	tis := make([]scheduler.TaskInstance, len(taskIDs))
	for i, id := range taskIDs {
		code := 0
		tis[i] = scheduler.TaskInstance{DagID: dagID, RunID: runID, TaskID: id, MapIndex: -1, State: state, TryNumber: 1, MaxTries: 1,
			StartDate: &start, EndDate: &end, Duration: dur, Hostname: "seed", ExitCode: &code, Pool: scheduler.DefaultPool, PoolSlots: 1, Queue: "default"}
	}
	run, err := store.CreateDagRun(context.Background(), run, tis)
	if err != nil {
		t.Fatal(err)
	}
	if logsFolder != "" {
		for _, id := range taskIDs {
			path := scheduler.LogPath(logsFolder, scheduler.NewTIKey(dagID, runID, id), 1)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte("log of "+id+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return run
}
