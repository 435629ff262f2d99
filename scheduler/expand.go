package scheduler

import (
	"fmt"
	"time"

	"github.com/wasmflow/wasmflow/tasks"
)

// expand turns a mapped task's one task instance (map_index -1), whose trigger rule has just
// been met, into one instance per element of its expand list, as Airflow's scheduler does:
// the first becomes map_index 0, the others are added. An empty list skips the task; a list
// longer than core.max_map_length, or an expression that fails, fails it (Airflow fails the
// mapped task, not the upstream that produced the list). It reports whether the task expanded.
func (s *Scheduler) expand(r *activeRun, t *tasks.Task, ti *TaskInstance, now time.Time) bool {
	s.changes.ti(ti)
	env, vars, err := s.env(r, t, ti)
	var list []any
	if err == nil {
		list, err = t.Expand.List(env)
	}
	limit := s.cfg.MaxMapLength
	switch {
	case err != nil:
		reason := vars.mask(err.Error())
		s.note(ti, "%s", reason)
		endTI(ti, tasks.StateFailed, reason, now)
		return false
	case len(list) == 0:
		endTI(ti, tasks.StateSkipped, "expand: the list is empty, so there is nothing to map over", now)
		return false
	case len(list) > limit:
		reason := fmt.Sprintf("expand: the list has %d elements, more than core.max_map_length (%d): map over fewer, or raise [core] max_map_length",
			len(list), limit)
		s.note(ti, "%s", reason)
		endTI(ti, tasks.StateFailed, reason, now)
		return false
	}
	ti.MapIndex = 0
	out := make([]*TaskInstance, len(list))
	out[0] = ti
	for i := 1; i < len(list); i++ {
		out[i] = &TaskInstance{DagID: ti.DagID, RunID: ti.RunID, TaskID: ti.TaskID, MapIndex: i, State: tasks.StateNone,
			MaxTries: ti.MaxTries, Pool: ti.Pool, PoolSlots: ti.PoolSlots, Queue: ti.Queue, PriorityWeight: ti.PriorityWeight}
		s.changes.expanded(out[i])
	}
	r.tis[t.TaskID] = out
	r.expanded[t.TaskID] = list
	s.cfg.Log.Info("mapped task expanded", "dag_id", ti.DagID, "run_id", ti.RunID, "task_id", ti.TaskID, "instances", len(list))
	return true
}

// mapItem is a mapped task instance's element of its expand list. The list is kept from the
// expansion; after a restart it is evaluated again (its upstream's XComs are unchanged).
func (s *Scheduler) mapItem(r *activeRun, t *tasks.Task, ti *TaskInstance, c TryContext) (any, error) {
	list, ok := r.expanded[t.TaskID]
	if !ok {
		c.MapIndex, c.Item = -1, nil
		env, _, err := c.Env(r.dag, t)
		if err == nil {
			list, err = t.Expand.List(env)
		}
		if err != nil {
			return nil, fmt.Errorf("expand, evaluated again for map_index %d: %w", ti.MapIndex, err)
		}
		r.expanded[t.TaskID] = list
	}
	if ti.MapIndex >= len(list) {
		return nil, fmt.Errorf("expand: the list has %d elements now, so map_index %d has none (its upstream changed since it expanded): clear the upstream task and this one together",
			len(list), ti.MapIndex)
	}
	return list[ti.MapIndex], nil
}

// aggregatePriority orders the states of a mapped task's instances: the first one present is
// the task's state as one row or node shows it (Airflow's grid order).
var aggregatePriority = []tasks.TaskInstanceState{
	tasks.StateFailed, tasks.StateUpstreamFailed, tasks.StateUpForRetry, tasks.StateUpForReschedule,
	tasks.StateQueued, tasks.StateScheduled, tasks.StateDeferred, tasks.StateRunning, tasks.StateRestarting,
	tasks.StateNone, tasks.StateSuccess, tasks.StateSkipped, tasks.StateRemoved,
}

// AggregateState is the state of a task from its instances: the one instance's, or for a
// mapped task the most pressing of its instances' ("" for none).
func AggregateState(list []*TaskInstance) tasks.TaskInstanceState {
	if len(list) == 1 {
		return list[0].State
	}
	seen := map[tasks.TaskInstanceState]bool{}
	for _, ti := range list {
		seen[ti.State] = true
	}
	return MostPressing(seen)
}

// MostPressing is the state a mapped task shows for instances in the states of seen ("" for
// none).
func MostPressing(seen map[tasks.TaskInstanceState]bool) tasks.TaskInstanceState {
	for _, st := range aggregatePriority {
		if seen[st] {
			return st
		}
	}
	for st := range seen {
		return st
	}
	return ""
}
