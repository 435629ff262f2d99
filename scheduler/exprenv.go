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
	c := TryContext{
		RunID: r.run.RunID, TryNumber: ti.TryNumber, MapIndex: ti.MapIndex, LogicalDate: r.run.LogicalDate,
		DataIntervalStart: r.run.DataIntervalStart, DataIntervalEnd: r.run.DataIntervalEnd, Conf: r.run.Conf,
		TriggeringDatasetEvents: s.triggeringEvents(ctx, r),
		Now:                     s.cfg.Now,
		XCom: func(taskID string, key ...string) any {
			k := "return_value"
			if len(key) > 0 {
				k = key[0]
			}
			return r.xcomValue(ctx, s.cfg.Store, taskID, k)
		},
		Var: func(name string, def ...any) any {
			if v, err := s.cfg.Store.GetVariable(ctx, name); err == nil {
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
			return s.runStateAt(ctx, dagID, logicalDate)
		},
	}
	if t != nil && t.IsMapped() && ti.MapIndex >= 0 {
		item, err := s.mapItem(r, t, ti, c)
		if err != nil {
			return c, err
		}
		c.Item = item
	}
	return c, nil
}

// runStateAt answers dag_run_state(dag_id, logical_date) for external task sensors.
func (s *Scheduler) runStateAt(ctx context.Context, dagID string, logicalDate any) string {
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
	runs, err := s.cfg.Store.ListDagRuns(ctx, dagID, "", 0)
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
