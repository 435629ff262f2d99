package scheduler

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/wasmflow/wasmflow/tasks"
)

// The functions here change runs in the metastore directly, for the CLI working on a home where
// no scheduler runs (it holds the scheduler lock meanwhile); with a scheduler running, the CLI
// files a Command instead, so the scheduler stays the only writer of its runs. The run goes
// back to queued, for the next scheduler to drive.

// ClearInStore clears task instances of one run in the metastore; see ClearTaskInstance.
// mapIndexes, by task id, limits a mapped task's clear to those instances.
func ClearInStore(ctx context.Context, store RunStore, d *tasks.DAG, run DagRun, taskIDs []string, mapIndexes map[string][]int, onlyFailed bool, owner string) ([]string, error) {
	tis, err := store.ListTaskInstances(ctx, run.DagID, run.RunID)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, id := range taskIDs {
		want[id] = true
	}
	var c Changes
	var cleared []string
	for _, ti := range tis {
		if !want[ti.TaskID] || (onlyFailed && !ti.State.Failed()) || !SelectsMapIndex(mapIndexes, &ti) {
			continue
		}
		var t *tasks.Task
		if d != nil {
			t = d.Task(ti.TaskID)
		}
		ClearTaskInstance(&ti, t)
		c.TaskInstances = append(c.TaskInstances, ti)
		if !contains(cleared, ti.TaskID) { // a mapped task's instances are one task
			cleared = append(cleared, ti.TaskID)
		}
	}
	if len(cleared) == 0 {
		return nil, nil
	}
	requeue(&run)
	c.Runs = []DagRun{run}
	sort.Strings(cleared)
	c.Audit = []AuditEvent{{When: time.Now().UTC(), Event: "task.clear", Owner: owner, DagID: run.DagID, RunID: run.RunID, Extra: fmt.Sprint(cleared)}}
	return cleared, store.Save(ctx, c)
}

// MarkInStore sets a task instance's state by hand in the metastore, with no scheduler running:
// the instances markTargets picks, as the scheduler's mark does.
func MarkInStore(ctx context.Context, store RunStore, run DagRun, key TIKey, state tasks.TaskInstanceState, owner string) error {
	if err := checkMarkState(state); err != nil {
		return err
	}
	tis, err := store.ListTaskInstances(ctx, run.DagID, run.RunID)
	if err != nil {
		return err
	}
	var instances []*TaskInstance
	for i := range tis {
		if tis[i].TaskID == key.TaskID {
			instances = append(instances, &tis[i])
		}
	}
	targets := markTargets(instances, key)
	if len(targets) == 0 {
		return fmt.Errorf("task instance %s %w", key, ErrNotFound)
	}
	now := time.Now()
	c := Changes{Runs: []DagRun{run}, Audit: []AuditEvent{markAudit(key, state, owner, now)}}
	for _, ti := range targets {
		endTI(ti, state, "marked "+string(state)+" by "+owner, now)
		c.TaskInstances = append(c.TaskInstances, *ti)
	}
	requeue(&c.Runs[0])
	return store.Save(ctx, c)
}
