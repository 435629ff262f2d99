package app

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// FailedDep is one dependency check a task instance does not pass, named as Airflow names it.
type FailedDep struct {
	Dep    string `json:"dep"`
	Reason string `json:"reason"`
}

// FailedDeps runs the checks the scheduler makes before it runs a task instance and returns
// the ones that fail, as `airflow tasks failed-deps`: none means it may run now.
func (a *App) FailedDeps(ctx context.Context, run scheduler.DagRun, taskID string) ([]FailedDep, error) {
	d, err := a.ParsedDag(ctx, run.DagID)
	if err != nil {
		return nil, err
	}
	t := d.Task(taskID)
	if t == nil {
		return nil, fmt.Errorf("DAG %s has no task %q: %w", run.DagID, taskID, scheduler.ErrNotFound)
	}
	tis, err := a.Store.ListTaskInstances(ctx, run.DagID, run.RunID)
	if err != nil {
		return nil, err
	}
	byID := map[string]scheduler.TaskInstance{}
	for _, ti := range tis {
		byID[ti.TaskID] = ti
	}
	ti, ok := byID[taskID]
	if !ok {
		return nil, fmt.Errorf("run %s has no task instance of %q: %w", run.RunID, taskID, scheduler.ErrNotFound)
	}
	var out []FailedDep
	add := func(dep, format string, args ...any) { out = append(out, FailedDep{dep, fmt.Sprintf(format, args...)}) }

	if info, err := a.GetDag(ctx, run.DagID); err == nil && info.IsPaused && run.RunType != "backfill" && run.RunType != "test" {
		add("Dag Not Paused", "Task's DAG '%s' is paused: `wasmflow dags unpause %s`.", run.DagID, run.DagID)
	}
	if run.State != tasks.RunRunning {
		add("Dagrun Running", "Task instance's dagrun was not in the 'running' state but in the state '%s'.", run.State)
	}
	switch ti.State {
	case tasks.StateNone, tasks.StateScheduled, tasks.StateUpForRetry, tasks.StateUpForReschedule:
	default:
		add("Task Instance State", "Task is in the '%s' state which is not a valid state for execution. The task must be cleared in order to be run.", ti.State)
	}
	if ti.State == tasks.StateUpForRetry && ti.NextRetryAt != nil && time.Now().Before(*ti.NextRetryAt) {
		add("Not In Retry Period", "Task is not ready for retry yet but will be retried automatically. Current date is %s and task will be retried at %s.",
			time.Now().UTC().Format(time.RFC3339), ti.NextRetryAt.UTC().Format(time.RFC3339))
	}
	if !ti.State.Finished() {
		states := make([]tasks.TaskInstanceState, 0, len(t.Upstream))
		var unmet []string
		for _, u := range t.Upstream {
			st := byID[u].State
			states = append(states, st)
			if st != tasks.StateSuccess {
				unmet = append(unmet, u+"="+string(st))
			}
		}
		if dec, reason := t.TriggerRule.Evaluate(tasks.CountUpstream(states)); dec != tasks.Run {
			sort.Strings(unmet)
			add("Trigger Rule", "Task's trigger rule '%s': %s (upstream: %s).", t.TriggerRule, reason, strings.Join(unmet, ", "))
		}
	}
	if t.DependsOnPast && run.RunType != "test" && ti.State == tasks.StateNone {
		reason, err := a.pastReason(ctx, run, t, ti.MapIndex)
		if err != nil {
			return nil, err
		}
		if reason != "" {
			add("Previous Dagrun State", "%s.", reason)
		}
	}
	if _, err := a.Store.GetPool(ctx, ti.Pool); err != nil {
		add("Pool Slots Available", "Task's pool '%s' does not exist: `wasmflow pools set %s SLOTS`.", ti.Pool, ti.Pool)
	}
	return out, nil
}

// pastReason is why depends_on_past holds a task instance back, "" when it does not: read from
// the metastore as the scheduler reads it (the previous run by logical date, its task
// instances once).
func (a *App) pastReason(ctx context.Context, run scheduler.DagRun, t *tasks.Task, mapIndex int) (string, error) {
	prev, err := a.Store.PreviousDagRun(ctx, run.DagID, run.LogicalDate)
	if errors.Is(err, scheduler.ErrNotFound) {
		return "", nil // the first run
	}
	if err != nil {
		return "", err
	}
	tis, err := a.Store.ListTaskInstances(ctx, prev.DagID, prev.RunID)
	if err != nil {
		return "", err
	}
	byTask := map[string][]*scheduler.TaskInstance{}
	for i := range tis {
		byTask[tis[i].TaskID] = append(byTask[tis[i].TaskID], &tis[i])
	}
	return scheduler.PastReason(t, mapIndex, prev.RunID, func(id string) ([]*scheduler.TaskInstance, error) { return byTask[id], nil })
}
