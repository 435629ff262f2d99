package scheduler

import (
	"context"
	"fmt"
	"time"

	"github.com/wasmflow/wasmflow/tasks"
)

// activeRun is a DagRun the scheduler is driving, with its task instances in memory. The
// metastore holds the same state; this copy exists so a decision costs no query.
type activeRun struct {
	run     DagRun
	dag     *tasks.DAG
	tis     map[string]*TaskInstance // by task id
	order   []*tasks.Task            // topological
	weights map[string]int
	// poking holds sensors waiting in poke mode: their slot stays taken and their next poke
	// reuses the try number.
	poking map[string]bool
	// reasons says why a task instance is not running yet, for the UI.
	reasons map[string]string
	pokes   map[string]int // sensor pokes so far, for exponential backoff
	// xcoms caches the run's XComs by task and key, so a downstream template sees an upstream's
	// XCom in the same step, before it is written.
	xcoms  map[string]map[string][]byte
	wakeAt time.Time // the earliest timer pending for this run
	dirty  bool
}

func newActiveRun(run DagRun, dag *tasks.DAG, tis []TaskInstance) *activeRun {
	r := &activeRun{run: run, dag: dag, tis: map[string]*TaskInstance{}, order: dag.TopologicalOrder(),
		weights: dag.PriorityWeights(), poking: map[string]bool{}, reasons: map[string]string{}, pokes: map[string]int{},
		xcoms: map[string]map[string][]byte{}, dirty: true}
	for i := range tis {
		ti := tis[i]
		r.tis[ti.TaskID] = &ti
		// A sensor between pokes (a restart, a run reloaded) pokes again when due.
		if t := dag.Task(ti.TaskID); t != nil && t.IsSensor() && ti.NextRetryAt != nil &&
			(ti.State == tasks.StateRunning || ti.State == tasks.StateUpForReschedule) {
			r.poking[ti.TaskID] = true
		}
	}
	return r
}

// orphans ends the task instances whose task is no longer in the DAG as removed, as Airflow
// does, and returns them to be recorded.
func (r *activeRun) orphans(now time.Time) []*TaskInstance {
	var out []*TaskInstance
	for id, ti := range r.tis {
		if r.dag.Task(id) == nil && !ti.State.Finished() {
			endTI(ti, tasks.StateRemoved, "the task is no longer in the DAG", now)
			out = append(out, ti)
		}
	}
	return out
}

// xcom returns an XCom of the run, from the cache or else the metastore.
func (r *activeRun) xcom(ctx context.Context, store RunStore, taskID, key string) ([]byte, bool) {
	if m, ok := r.xcoms[taskID]; ok {
		v, ok := m[key]
		return v, ok
	}
	xs, err := store.ListXComs(ctx, r.run.DagID, r.run.RunID, taskID)
	if err != nil {
		return nil, false
	}
	m := map[string][]byte{}
	for _, x := range xs {
		m[x.Key] = x.Value
	}
	r.xcoms[taskID] = m
	v, ok := m[key]
	return v, ok
}

func (r *activeRun) setXCom(taskID, key string, v []byte) {
	if r.xcoms[taskID] == nil {
		r.xcoms[taskID] = map[string][]byte{}
	}
	r.xcoms[taskID][key] = v
}

// upstreamCounts counts the states of t's direct upstream task instances.
func (r *activeRun) upstreamCounts(t *tasks.Task) tasks.UpstreamCounts {
	states := make([]tasks.TaskInstanceState, 0, len(t.Upstream))
	for _, u := range t.Upstream {
		if ti := r.tis[u]; ti != nil {
			states = append(states, ti.State)
		} else {
			states = append(states, tasks.StateRemoved)
		}
	}
	return tasks.CountUpstream(states)
}

// finished reports whether every task instance is done, and the run's state from its leaves:
// failed when any leaf failed or upstream_failed, success when every leaf succeeded or skipped.
func (r *activeRun) finished() (bool, tasks.DagRunState) {
	for _, ti := range r.tis {
		if !ti.State.Finished() {
			return false, ""
		}
	}
	for _, leaf := range r.dag.Leaves() {
		if ti := r.tis[leaf.TaskID]; ti != nil && ti.State.Failed() {
			return true, tasks.RunFailed
		}
	}
	return true, tasks.RunSuccess
}

// endTI moves a task instance to a final state now.
func endTI(ti *TaskInstance, state tasks.TaskInstanceState, reason string, now time.Time) {
	ti.State, ti.Reason = state, reason
	if ti.StartDate == nil {
		ti.StartDate = &now
	}
	end := now
	ti.EndDate = &end
	ti.Duration = end.Sub(*ti.StartDate).Seconds()
	ti.NextRetryAt = nil
}

// branchFollow applies a branch's choice: direct downstream tasks not chosen are skipped, and
// returned so the caller records them. It fails when the branch names a task that is not a
// direct downstream.
func (r *activeRun) branchFollow(t *tasks.Task, chosen []string, now time.Time) ([]*TaskInstance, error) {
	want := map[string]bool{}
	for _, id := range chosen {
		if !contains(t.Downstream, id) {
			return nil, fmt.Errorf("branch chose %q, which is not a direct downstream task of %s (%v)", id, t.TaskID, t.Downstream)
		}
		want[id] = true
	}
	// Airflow follows every descendant of a chosen task: a join reached both directly and
	// through a chosen branch is not skipped.
	for _, id := range chosen {
		for _, d := range r.dag.Descendants(id) {
			want[d] = true
		}
	}
	var skipped []*TaskInstance
	for _, d := range t.Downstream {
		if ti := r.tis[d]; ti != nil && !want[d] && !ti.State.Finished() {
			endTI(ti, tasks.StateSkipped, "not chosen by branch "+t.TaskID, now)
			skipped = append(skipped, ti)
		}
	}
	return skipped, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// BranchIDs reads what a branch returned: one task id, a list of them, or nothing.
func BranchIDs(v any) ([]string, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		if v == "" {
			return nil, nil
		}
		return []string{v}, nil
	case []string:
		return v, nil
	case []any:
		ids := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("a branch must return task ids (strings), got %v", e)
			}
			ids = append(ids, s)
		}
		return ids, nil
	}
	return nil, fmt.Errorf("a branch must return a task id or a list of them, got %T %v", v, v)
}
