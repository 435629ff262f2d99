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

// MarkInStore sets one task instance's state by hand in the metastore.
func MarkInStore(ctx context.Context, store RunStore, run DagRun, taskID string, state tasks.TaskInstanceState, owner string) error {
	if state != tasks.StateSuccess && state != tasks.StateFailed && state != tasks.StateSkipped {
		return fmt.Errorf("a task instance can be marked success, failed or skipped, not %q", state)
	}
	tis, err := store.ListTaskInstances(ctx, run.DagID, run.RunID)
	if err != nil {
		return err
	}
	return markIn(ctx, store, run, tis, func(ti TaskInstance) bool { return ti.TaskID == taskID }, taskID, state, owner)
}

// MarkInstanceInStore is MarkInStore of one task instance: key names a mapped task's instance.
func MarkInstanceInStore(ctx context.Context, store RunStore, run DagRun, key TIKey, state tasks.TaskInstanceState, owner string) error {
	if state != tasks.StateSuccess && state != tasks.StateFailed && state != tasks.StateSkipped {
		return fmt.Errorf("a task instance can be marked success, failed or skipped, not %q", state)
	}
	tis, err := store.ListTaskInstances(ctx, run.DagID, run.RunID)
	if err != nil {
		return err
	}
	return markIn(ctx, store, run, tis, func(ti TaskInstance) bool { return ti.Key() == key }, key.TaskID, state, owner)
}

// markIn ends the first of tis that is, as marked by owner.
func markIn(ctx context.Context, store RunStore, run DagRun, tis []TaskInstance, is func(TaskInstance) bool, taskID string, state tasks.TaskInstanceState, owner string) error {
	for _, ti := range tis {
		if !is(ti) {
			continue
		}
		endTI(&ti, state, "marked "+string(state)+" by "+owner, time.Now())
		requeue(&run)
		return store.Save(ctx, Changes{TaskInstances: []TaskInstance{ti}, Runs: []DagRun{run},
			Audit: []AuditEvent{{When: time.Now().UTC(), Event: "task.mark_" + string(state), Owner: owner, DagID: run.DagID, RunID: run.RunID, TaskID: taskID}}})
	}
	return fmt.Errorf("task %q of run %s %w", taskID, run.RunID, ErrNotFound)
}
