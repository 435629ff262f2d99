package scheduler

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/wasmflow/wasmflow/tasks"
)

// slotsUsed counts what holds executor slots now: module tries queued or running, and module
// sensors between pokes in poke mode.
type slotsUsed struct {
	total int
	dag   map[string]int
	pool  map[string]int
	task  map[dagTask]int // instances of tasks with max_active_tis_per_dag
}

func (s *Scheduler) usage() slotsUsed {
	u := slotsUsed{dag: map[string]int{}, pool: map[string]int{}, task: map[dagTask]int{}}
	for _, r := range s.runs {
		for _, t := range r.order {
			if t.Module == "" {
				continue
			}
			for _, ti := range r.tis[t.TaskID] {
				if ti.State != tasks.StateRunning && ti.State != tasks.StateQueued {
					continue
				}
				u.total++
				u.dag[r.run.DagID]++
				u.pool[ti.Pool] += ti.PoolSlots
				if t.MaxActiveTIsPerDag > 0 {
					u.task[dagTask{r.run.DagID, t.TaskID}]++
				}
			}
		}
	}
	return u
}

// dagTask names a task across the runs of its DAG, for max_active_tis_per_dag.
type dagTask struct{ dagID, taskID string }

type candidate struct {
	r  *activeRun
	t  *tasks.Task
	ti *TaskInstance
}

// dispatch hands scheduled module task instances to the executor, highest priority first,
// within parallelism, each DAG's max_active_tasks and each pool's slots.
func (s *Scheduler) dispatch(ctx context.Context, now time.Time) {
	var cands []candidate
	for _, r := range s.runs {
		if r.run.State != tasks.RunRunning || s.frozen(r) {
			continue
		}
		for _, t := range r.order {
			if t.Module == "" {
				continue
			}
			for _, ti := range r.tis[t.TaskID] {
				if ti.State == tasks.StateScheduled {
					cands = append(cands, candidate{r, t, ti})
				}
			}
		}
	}
	if len(cands) == 0 {
		return
	}
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.ti.PriorityWeight != b.ti.PriorityWeight {
			return a.ti.PriorityWeight > b.ti.PriorityWeight
		}
		return a.r.run.LogicalDate.Before(b.r.run.LogicalDate)
	})
	u := s.usage()
	for _, c := range cands {
		id := c.t.TaskID
		if u.total >= s.cfg.Parallelism {
			c.r.reasons[id] = fmt.Sprintf("waiting for a free slot: core.parallelism (%d) tries are running", s.cfg.Parallelism)
			continue
		}
		if u.dag[c.r.run.DagID] >= c.r.dag.MaxActiveTasks {
			c.r.reasons[id] = fmt.Sprintf("waiting: max_active_tasks (%d) of this DAG are running", c.r.dag.MaxActiveTasks)
			continue
		}
		dt := dagTask{c.r.run.DagID, id}
		if c.t.MaxActiveTIsPerDag > 0 && u.task[dt] >= c.t.MaxActiveTIsPerDag {
			c.r.reasons[id] = fmt.Sprintf("waiting: max_active_tis_per_dag (%d) instances of this task are running", c.t.MaxActiveTIsPerDag)
			continue
		}
		slots, ok := s.pools[c.ti.Pool]
		if !ok {
			s.waiting(c, fmt.Sprintf("waiting: pool %q does not exist; create it with `wasmflow pools set %s SLOTS`", c.ti.Pool, c.ti.Pool))
			continue
		}
		if slots >= 0 && c.ti.PoolSlots > slots {
			s.waiting(c, fmt.Sprintf("waiting: it needs %d slots and pool %s has only %d; resize the pool", c.ti.PoolSlots, c.ti.Pool, slots))
			continue
		}
		if slots >= 0 && u.pool[c.ti.Pool]+c.ti.PoolSlots > slots {
			c.r.reasons[id] = fmt.Sprintf("waiting for %d free slot(s) in pool %s (%d in use of %d)", c.ti.PoolSlots, c.ti.Pool, u.pool[c.ti.Pool], slots)
			continue
		}
		delete(c.r.reasons, id)
		s.startTry(ctx, c.r, c.t, c.ti, now)
		if inFlight(c.ti) {
			u.total++
			u.dag[c.r.run.DagID]++
			u.pool[c.ti.Pool] += c.ti.PoolSlots
			if c.t.MaxActiveTIsPerDag > 0 {
				u.task[dt]++
			}
		}
	}
}

// waiting records why a scheduled task instance cannot run until someone acts (a missing or
// too small pool), on the task instance itself so `tasks states-for-dag-run` shows it, and
// warns once.
func (s *Scheduler) waiting(c candidate, reason string) {
	c.r.reasons[c.t.TaskID] = reason
	if c.ti.Reason != reason {
		c.ti.Reason = reason
		s.changes.ti(c.ti)
		s.cfg.Log.Warn("task instance cannot run", "dag_id", c.ti.DagID, "run_id", c.ti.RunID, "task_id", c.ti.TaskID, "reason", reason)
	}
}

// startTry begins a try (or, for a sensor between pokes, the next poke of the same try).
func (s *Scheduler) startTry(ctx context.Context, r *activeRun, t *tasks.Task, ti *TaskInstance, now time.Time) {
	s.changes.ti(ti)
	repoke := r.poking[t.TaskID]
	if !repoke {
		ti.TryNumber++
		s.changes.clearXComs(ti.Key())
		r.xcoms[xcomOwner{ti.TaskID, ti.MapIndex}] = map[string][]byte{} // cleared for the new try, not read back from the metastore
		start := now.UTC()
		ti.StartDate, ti.EndDate, ti.Duration, ti.ExitCode, ti.Reason = &start, nil, 0, nil, ""
		if t.IsSensor() && ti.FirstPokeAt == nil {
			ti.FirstPokeAt = &start
		}
	}
	ti.NextRetryAt = nil
	queued := now.UTC()
	ti.QueuedAt, ti.Hostname = &queued, s.cfg.Hostname
	c, err := s.tryContext(r, t, ti)
	var w Workload
	if err == nil {
		w, err = RenderWorkload(r.dag, t, c)
	}
	if err == nil {
		err = s.resolveGrants(ctx, &w)
	}
	if err != nil {
		delete(r.poking, t.TaskID)
		// Nothing ran, so the try's log would be empty: it says why, as the record does. The
		// message may quote a Variable's value ("int(hunter2)"), and Viewers read both.
		reason := w.Secrets.Mask(err.Error())
		s.note(ti, "the try cannot start: %s", reason)
		s.failTry(r, t, ti, reason, now, false)
		return
	}
	if w.Timeout == 0 {
		w.Timeout = s.cfg.DefaultExecutionTimeout
	}
	ti.State = tasks.StateRunning
	if _, queues := s.cfg.Executor.(Queuer); queues && !repoke {
		// Running, with its start and host, once the executor says it started.
		ti.State, ti.StartDate, ti.Hostname = tasks.StateQueued, nil, ""
	}
	s.submits = append(s.submits, submission{w: w})
}
