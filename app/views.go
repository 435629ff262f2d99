package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wasmflow/wasmflow/cluster"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// Rendered is what a task instance's module gets, rendered for its run: what the task
// instance page shows as "rendered".
type Rendered struct {
	Module string            `json:"module"`
	Args   []string          `json:"args"`
	Env    map[string]string `json:"env"`
	Error  string            `json:"error,omitempty"` // a template that does not render yet (an XCom not pushed, say)
}

// Render renders the task's args and env for a run, with the XComs and variables as they are
// now (the try itself rendered them when it started).
func (a *App) Render(ctx context.Context, run scheduler.DagRun, taskID string) (Rendered, error) {
	d, err := a.ParsedDag(ctx, run.DagID)
	if err != nil {
		return Rendered{}, err
	}
	t := d.Task(taskID)
	if t == nil {
		return Rendered{}, fmt.Errorf("DAG %s has no task %q: %w", run.DagID, taskID, scheduler.ErrNotFound)
	}
	if t.Module == "" {
		return Rendered{Args: []string{}, Env: map[string]string{}}, nil
	}
	tis, err := a.Store.ListTaskInstances(ctx, run.DagID, run.RunID)
	if err != nil {
		return Rendered{}, err
	}
	states := map[string]string{}
	try := 1
	for _, ti := range tis {
		states[ti.TaskID] = string(ti.State)
		if ti.TaskID == taskID && ti.TryNumber > 0 {
			try = ti.TryNumber
		}
	}
	tc := scheduler.TryContext{
		RunID: run.RunID, TryNumber: try, LogicalDate: run.LogicalDate, DataIntervalStart: run.DataIntervalStart,
		DataIntervalEnd: run.DataIntervalEnd, Conf: run.Conf, Now: time.Now,
		XCom: func(taskID string, key ...string) any {
			k := "return_value"
			if len(key) > 0 {
				k = key[0]
			}
			if x, err := a.Store.GetXCom(ctx, run.DagID, run.RunID, taskID, k); err == nil {
				return string(x.Value)
			}
			return nil
		},
		Var: func(name string, def ...any) any {
			if v, err := a.Store.GetVariable(ctx, name); err == nil {
				return v.Value
			}
			if len(def) > 0 {
				return def[0]
			}
			return nil
		},
		TaskState: func(id string) string { return states[id] },
	}
	w, err := scheduler.RenderWorkload(d, t, tc)
	if err != nil {
		return Rendered{Module: t.Module, Args: []string{}, Env: map[string]string{}, Error: err.Error()}, nil
	}
	return Rendered{Module: t.Module, Args: append([]string{}, w.Args...), Env: w.Env}, nil
}

// WhyNotRunning says, per task instance of a run that waits, why it does not run yet; it
// needs the scheduler of this process, and is empty without one.
func (a *App) WhyNotRunning(ctx context.Context, dagID, runID string) (map[string]string, error) {
	s := a.sched.Load()
	if s == nil {
		return map[string]string{}, nil
	}
	why, err := s.WhyNotRunning(ctx, dagID, runID)
	if errors.Is(err, scheduler.ErrNotFound) {
		return map[string]string{}, nil // a finished run: nothing waits
	}
	return why, err
}

// Cluster is the cluster executor this process dispatches through, nil when it runs tries
// only itself (standalone).
func (a *App) Cluster() *cluster.RemoteExecutor { return a.executor.Load() }

// Scheduling reports whether this process runs the scheduler.
func (a *App) Scheduling() bool { return a.sched.Load() != nil }

// DagRunStates lists valid run states, for input checks.
func DagRunStates() []tasks.DagRunState {
	return []tasks.DagRunState{tasks.RunQueued, tasks.RunRunning, tasks.RunSuccess, tasks.RunFailed}
}
