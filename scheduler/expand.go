package scheduler

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wasmflow/wasmflow/tasks"
)

// expand turns a mapped task's one task instance (map_index -1), whose trigger rule has just
// been met, into one instance per element of its expand list, as Airflow's scheduler does:
// the first becomes map_index 0, the others are added. An empty list skips the task; an
// expression that fails fails it, and so does a list longer than core.max_map_length that no
// upstream's XCom made (one that did has failed its producer already: unmappable). It reports
// whether the task expanded.
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

// unmappable is why the try of ti that just succeeded fails instead: a mapped task expands over
// its return value (its expand reads xcom of ti's task), and the list has more elements than
// core.max_map_length. Airflow checks this in the producing task as it pushes the XCom
// (UnmappableXComLengthPushed), so the producer fails, retries under its own retries, and its
// mapped downstream is upstream_failed. "" when nothing maps over it, or the list is short
// enough or cannot be evaluated yet (the mapped task reports that itself when it expands). A
// mapped producer is not checked, as in Airflow.
func (s *Scheduler) unmappable(r *activeRun, t *tasks.Task, ti *TaskInstance) string {
	if ti.MapIndex >= 0 {
		return ""
	}
	limit := s.cfg.MaxMapLength
	for _, m := range r.dag.Tasks {
		if !m.IsMapped() || m.Expand.Expr == nil || !readsXComOf(m.Expand.Expr.Source, t.TaskID) {
			continue
		}
		mti := r.ti(TIKey{DagID: ti.DagID, RunID: ti.RunID, TaskID: m.TaskID, MapIndex: -1})
		if mti == nil {
			continue // expanded already (a rerun of the producer alone)
		}
		env, _, err := s.env(r, m, mti)
		if err != nil {
			continue
		}
		if list, err := m.Expand.List(env); err == nil && len(list) > limit {
			return fmt.Sprintf("its return_value has %d elements, more than core.max_map_length (%d), and %s expands over it: return fewer, or raise [core] max_map_length",
				len(list), limit, m.TaskID)
		}
	}
	return ""
}

// readsXComOf reports whether an expand expression reads an XCom of the task taskID:
// xcom("taskID") or xcom('taskID'), with or without a key.
func readsXComOf(src, taskID string) bool {
	compact := strings.ReplaceAll(src, " ", "")
	return strings.Contains(compact, "xcom("+strconv.Quote(taskID)) || strings.Contains(compact, "xcom('"+taskID+"'")
}
