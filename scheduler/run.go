package scheduler

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/wasmflow/wasmflow/tasks"
)

// activeRun is a DagRun the scheduler is driving, with its task instances in memory. The
// metastore holds the same state; this copy exists so a decision costs no query.
type activeRun struct {
	run DagRun
	dag *tasks.DAG
	// tis are the task instances by task id: one, or a mapped task's instances in map_index
	// order once it expanded.
	tis     map[string][]*TaskInstance
	order   []*tasks.Task // topological
	weights map[string]int
	// poking holds sensors waiting in poke mode: their slot stays taken and their next poke
	// reuses the try number.
	poking map[string]bool
	// reasons says why a task instance is not running yet, for the UI.
	reasons map[string]string
	pokes   map[string]int // sensor pokes so far, for exponential backoff
	// xcoms caches the run's XComs by task instance and key, so a downstream template sees an
	// upstream's XCom in the same step, before it is written; xcomsRead holds the tasks whose
	// XComs were read from the metastore.
	xcoms     map[xcomOwner]map[string][]byte
	xcomsRead map[string]bool
	// expanded caches the lists mapped tasks expanded into, for their instances' item.
	expanded map[string][]any
	wakeAt   time.Time // the earliest timer pending for this run
	dirty    bool
	// triggering caches a dataset-triggered run's triggering_dataset_events once read.
	triggering map[string][]map[string]any
	// slaMissed holds the tasks ("" for the run's deadline) whose SLA miss is recorded. Read
	// again after a restart, a miss is recorded again, which its row's key makes a no-op.
	slaMissed map[string]bool
	// past is the run before this one, for depends_on_past; nil until a task asks for it.
	past *pastRun
	// heldByPast says a task instance waits for the previous run: the run is not deadlocked.
	heldByPast bool
}

func newActiveRun(run DagRun, dag *tasks.DAG, tis []TaskInstance) *activeRun {
	r := &activeRun{run: run, dag: dag, tis: map[string][]*TaskInstance{}, order: dag.TopologicalOrder(),
		weights: dag.PriorityWeights(), poking: map[string]bool{}, reasons: map[string]string{}, pokes: map[string]int{},
		xcoms: map[xcomOwner]map[string][]byte{}, xcomsRead: map[string]bool{}, expanded: map[string][]any{}, dirty: true, slaMissed: map[string]bool{}}
	for i := range tis {
		ti := tis[i]
		r.tis[ti.TaskID] = append(r.tis[ti.TaskID], &ti)
		// A sensor between pokes (a restart, a run reloaded) pokes again when due.
		if t := dag.Task(ti.TaskID); t != nil && t.IsSensor() && ti.NextRetryAt != nil &&
			(ti.State == tasks.StateRunning || ti.State == tasks.StateUpForReschedule) {
			r.poking[ti.TaskID] = true
		}
	}
	for _, list := range r.tis {
		sort.Slice(list, func(i, j int) bool { return list[i].MapIndex < list[j].MapIndex })
	}
	return r
}

// xcomOwner is the task instance an XCom belongs to, within a run.
type xcomOwner struct {
	taskID   string
	mapIndex int
}

// ti returns the task instance of the run with key's task id and map index, or nil.
func (r *activeRun) ti(key TIKey) *TaskInstance {
	for _, ti := range r.tis[key.TaskID] {
		if ti.MapIndex == key.MapIndex {
			return ti
		}
	}
	return nil
}

// all calls f with every task instance of the run.
func (r *activeRun) all(f func(ti *TaskInstance)) {
	for _, list := range r.tis {
		for _, ti := range list {
			f(ti)
		}
	}
}

// orphans ends the task instances whose task is no longer in the DAG as removed, as Airflow
// does, and returns them to be recorded.
func (r *activeRun) orphans(now time.Time) []*TaskInstance {
	var out []*TaskInstance
	r.all(func(ti *TaskInstance) {
		if r.dag.Task(ti.TaskID) == nil && !ti.State.Finished() {
			endTI(ti, tasks.StateRemoved, "the task is no longer in the DAG", now)
			out = append(out, ti)
		}
	})
	return out
}

// xcom returns an XCom of one task instance of the run, from the cache or else the metastore.
func (r *activeRun) xcom(ctx context.Context, store ExprStore, owner xcomOwner, key string) ([]byte, bool) {
	if !r.xcomsRead[owner.taskID] {
		xs, err := store.ListXComs(ctx, r.run.DagID, r.run.RunID, owner.taskID)
		if err != nil {
			return nil, false
		}
		r.xcomsRead[owner.taskID] = true
		read := map[xcomOwner]bool{}
		for _, x := range xs {
			o := xcomOwner{x.TaskID, x.MapIndex}
			if _, cached := r.xcoms[o]; cached && !read[o] {
				continue // what this process holds (a new try's, cleared) is newer
			}
			if !read[o] {
				r.xcoms[o], read[o] = map[string][]byte{}, true
			}
			r.xcoms[o][x.Key] = x.Value
		}
	}
	v, ok := r.xcoms[owner][key]
	return v, ok
}

// xcomValue is what xcom(task, key) answers in a template: the value as text, or for a mapped
// task the list of its instances' values in map_index order (nil where one pushed none).
func (r *activeRun) xcomValue(ctx context.Context, store ExprStore, taskID, key string) any {
	if t := r.dag.Task(taskID); t != nil && t.IsMapped() {
		var out []any
		for _, ti := range r.tis[taskID] {
			if ti.MapIndex < 0 {
				continue // not expanded (yet): no values
			}
			var v any
			if b, ok := r.xcom(ctx, store, xcomOwner{taskID, ti.MapIndex}, key); ok {
				v = string(b)
			}
			out = append(out, v)
		}
		if out == nil {
			return nil
		}
		return out
	}
	if b, ok := r.xcom(ctx, store, xcomOwner{taskID, -1}, key); ok {
		return string(b)
	}
	return nil
}

func (r *activeRun) setXCom(ti *TaskInstance, key string, v []byte) {
	o := xcomOwner{ti.TaskID, ti.MapIndex}
	if r.xcoms[o] == nil {
		r.xcoms[o] = map[string][]byte{}
	}
	r.xcoms[o][key] = v
}

// upstreamCounts counts the states of t's direct upstream task instances: every instance of
// a mapped upstream counts, as in Airflow.
func (r *activeRun) upstreamCounts(t *tasks.Task) tasks.UpstreamCounts {
	states := make([]tasks.TaskInstanceState, 0, len(t.Upstream))
	for _, u := range t.Upstream {
		list := r.tis[u]
		if len(list) == 0 {
			states = append(states, tasks.StateRemoved)
		}
		for _, ti := range list {
			states = append(states, ti.State)
		}
	}
	return tasks.CountUpstream(states)
}

// finished reports whether every task instance is done, and the run's state from its leaves:
// failed when any leaf failed or upstream_failed, success when every leaf succeeded or skipped.
func (r *activeRun) finished() (bool, tasks.DagRunState) {
	for _, list := range r.tis {
		for _, ti := range list {
			if !ti.State.Finished() {
				return false, ""
			}
		}
	}
	for _, leaf := range r.dag.Leaves() {
		for _, ti := range r.tis[leaf.TaskID] {
			if ti.State.Failed() {
				return true, tasks.RunFailed
			}
		}
	}
	return true, tasks.RunSuccess
}

// failedLeaves says which leaves failed, for a failed run's callback: "" when none did.
func (r *activeRun) failedLeaves() string {
	var ids []string
	for _, leaf := range r.dag.Leaves() {
		for _, ti := range r.tis[leaf.TaskID] {
			if ti.State.Failed() && !contains(ids, ti.TaskID) {
				ids = append(ids, ti.TaskID)
			}
		}
	}
	if len(ids) == 0 {
		return ""
	}
	return "failed: " + strings.Join(ids, ", ")
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
		for _, ti := range r.tis[d] {
			if !want[d] && !ti.State.Finished() {
				endTI(ti, tasks.StateSkipped, "not chosen by branch "+t.TaskID, now)
				skipped = append(skipped, ti)
			}
		}
	}
	return skipped, nil
}

func contains[T comparable](list []T, s T) bool {
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
