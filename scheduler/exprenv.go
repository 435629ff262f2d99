package scheduler

import (
	"context"
	"time"

	"github.com/wasmflow/wasmflow/tasks"
)

// env is the expression environment of a task instance, with XComs read from the run's cache,
// and what its evaluations take from Variables: reasons and log lines that may quote them are
// masked with it, as Viewers read both. The error is a mount that cannot be granted (its
// rendered folder leads outside the allowed ones): file_exists would answer false for ever, so
// the caller fails the task instead.
func (s *Scheduler) env(r *activeRun, t *tasks.Task, ti *TaskInstance) (tasks.Env, *varUse, error) {
	c, err := s.tryContext(r, t, ti)
	vars := c.record()
	if err != nil {
		return tasks.Env{}, vars, err
	}
	env, _, err := c.Env(r.dag, t)
	return env, vars, err
}

// tryContext is what a try of ti renders against. The error is a mapped task instance whose
// element cannot be found (its expand list, evaluated again after a restart, is shorter now).
func (s *Scheduler) tryContext(r *activeRun, t *tasks.Task, ti *TaskInstance) (TryContext, error) {
	ctx := context.Background()
	c := runContext(ctx, s.cfg.Store, r)
	c.TryNumber, c.MapIndex, c.Now = ti.TryNumber, ti.MapIndex, s.cfg.Now
	c.TriggeringDatasetEvents = s.triggeringEvents(ctx, r)
	if t != nil && t.IsMapped() && ti.MapIndex >= 0 {
		item, err := s.mapItem(r, t, ti, c)
		if err != nil {
			return c, err
		}
		c.Item = item
	}
	return c, nil
}

// ExprStore is what the expression functions read of the metastore.
type ExprStore interface {
	ListDagRuns(ctx context.Context, dagID string, state tasks.DagRunState, limit int) ([]DagRun, error)
	ListXComs(ctx context.Context, dagID, runID, taskID string) ([]XCom, error)
	GetVariable(ctx context.Context, key string) (Variable, error)
}

// RunContext is what a task of run renders against outside the scheduling loop (the UI's
// rendered view, `tasks test`, callbacks): the run's fields and the same xcom, var,
// task_state and dag_run_state the scheduler gives a try, read from store, with tis the
// run's task instances as stored; a dataset-triggered run's triggering_dataset_events when
// store keeps them (a DatasetStore). MapIndex is -1; the try's own fields (TryNumber,
// MapIndex, Item, Now, a callback's event) are the caller's to set.
func RunContext(ctx context.Context, store ExprStore, d *tasks.DAG, run DagRun, tis []TaskInstance) TryContext {
	r := newActiveRun(run, d, tis)
	c := runContext(ctx, store, r)
	c.TriggeringDatasetEvents, _ = readTriggeringEvents(ctx, store, r) // empty when unreadable, as in the scheduler
	return c
}

// runContext is the TryContext of run r with the expression functions every render uses, so
// the scheduler, the UI and `tasks test` cannot answer differently: xcom reads r's cache
// (filled from store), a mapped task's XCom being the list of its instances' values;
// task_state is a task's state, a mapped task's aggregated; var reads the Variables;
// dag_run_state reads any DAG's runs.
func runContext(ctx context.Context, store ExprStore, r *activeRun) TryContext {
	return TryContext{
		RunID: r.run.RunID, MapIndex: -1, LogicalDate: r.run.LogicalDate,
		DataIntervalStart: r.run.DataIntervalStart, DataIntervalEnd: r.run.DataIntervalEnd, Conf: r.run.Conf,
		XCom: func(taskID string, key ...string) any {
			k := "return_value"
			if len(key) > 0 {
				k = key[0]
			}
			return r.xcomValue(ctx, store, taskID, k)
		},
		Var: func(name string, def ...any) any {
			if v, err := store.GetVariable(ctx, name); err == nil {
				return v.Value
			}
			if len(def) > 0 {
				return def[0]
			}
			return nil
		},
		TaskState: func(taskID string) string {
			return string(AggregateState(r.tis[taskID]))
		},
		DagRunState: func(dagID string, logicalDate any) string {
			return runStateAt(ctx, store, dagID, logicalDate)
		},
	}
}

// runStateAt answers dag_run_state(dag_id, logical_date) for external task sensors.
func runStateAt(ctx context.Context, store ExprStore, dagID string, logicalDate any) string {
	var at time.Time
	switch v := logicalDate.(type) {
	case time.Time:
		at = v
	case string:
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			if t, err = time.Parse("2006-01-02", v); err != nil {
				return ""
			}
		}
		at = t
	default:
		return ""
	}
	runs, err := store.ListDagRuns(ctx, dagID, "", 0)
	if err != nil {
		return ""
	}
	for _, r := range runs {
		if r.LogicalDate.Equal(at) {
			return string(r.State)
		}
	}
	return ""
}
