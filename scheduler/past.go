package scheduler

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wasmflow/wasmflow/scheduler/timetable"
	"github.com/wasmflow/wasmflow/tasks"
)

// pastRecheck is how long what was read of a previous run that is not driven here (another
// scheduler's, or one that ended before this process started) is trusted: a run held back by
// it looks again then, so a change made elsewhere reaches it without a query per step.
const pastRecheck = 5 * time.Second

// pastRun is what depends_on_past reads of the run before an active run (by logical date, of
// any type: Airflow's get_previous_dagrun). It is looked up once per run, not per task
// instance: through the scheduler's own copy while that run is driven here, else its task
// instances are read from the metastore once, in one query.
type pastRun struct {
	run  DagRun                     // RunID "": the run has no previous run
	live *activeRun                 // the previous run as this process drove it, if it did
	tis  map[string][]*TaskInstance // read from the metastore, by task id; nil: not yet
	read time.Time                  // when it was looked up
	err  error                      // the lookup failed: tried again a second later
}

// previousRun finds r's previous run, or answers the one found before while it holds.
func (s *Scheduler) previousRun(r *activeRun, now time.Time) (*pastRun, error) {
	if p := r.past; p != nil && s.pastFresh(p, now) {
		return p, p.err
	}
	prev, err := s.cfg.Store.PreviousDagRun(context.Background(), r.run.DagID, r.run.LogicalDate)
	switch {
	case errors.Is(err, ErrNotFound):
		r.past = &pastRun{read: now}
	case err != nil:
		r.past = &pastRun{read: now, err: err}
	default:
		r.past = &pastRun{run: prev, live: s.runs[runKey{prev.DagID, prev.RunID}], read: now}
	}
	return r.past, r.past.err
}

// pastFresh reports whether what p holds may still be trusted: the run driven here (or ended
// here a moment ago, before what it wrote could be read back), or read from the metastore
// lately.
func (s *Scheduler) pastFresh(p *pastRun, now time.Time) bool {
	switch {
	case p.err != nil:
		return now.Sub(p.read) < time.Second
	case p.run.RunID == "" || now.Sub(p.read) < pastRecheck:
		return true
	case s.runs[runKey{p.run.DagID, p.run.RunID}] != nil:
		return true
	}
	return p.live != nil && p.live.run.EndDate != nil && now.Sub(*p.live.run.EndDate) < pastRecheck
}

// instances are the previous run's task instances of one task: from the scheduler's copy of
// that run while it has one (it may be newer than what is written), else from the metastore.
func (s *Scheduler) pastInstances(p *pastRun, taskID string) ([]*TaskInstance, error) {
	if a := s.runs[runKey{p.run.DagID, p.run.RunID}]; a != nil {
		p.live = a
	}
	if p.live != nil {
		return p.live.tis[taskID], nil
	}
	if p.err != nil {
		return nil, p.err
	}
	if p.tis == nil {
		stored, err := s.cfg.Store.ListTaskInstances(context.Background(), p.run.DagID, p.run.RunID)
		if err != nil {
			p.err, p.read = err, s.cfg.Now() // not asked again for each task instance
			return nil, err
		}
		p.tis = make(map[string][]*TaskInstance, len(stored))
		for i := range stored {
			p.tis[stored[i].TaskID] = append(p.tis[stored[i].TaskID], &stored[i])
		}
	}
	return p.tis[taskID], nil
}

// pastAllows is depends_on_past (and wait_for_downstream) for a task instance whose trigger
// rule is met: it may start once the same task, the same map_index, of the previous run ended
// success or skipped. The first run, and a previous run without that instance (the task is
// new, or was mapped into fewer instances), do not hold it back. A held task instance stays in
// none, with a reason naming the run it waits for, and its run is woken when that run changes.
func (s *Scheduler) pastAllows(r *activeRun, t *tasks.Task, ti *TaskInstance, now time.Time) bool {
	if !t.DependsOnPast || r.run.RunType == "test" {
		return true
	}
	p, err := s.previousRun(r, now)
	if err == nil && p.run.RunID != "" {
		var reason string
		reason, err = s.pastReason(p, t, ti)
		if err == nil && reason != "" {
			r.reasons[t.TaskID] = reason
			r.heldByPast = true
			s.waitForPast(r, p.run)
			if s.runs[runKey{p.run.DagID, p.run.RunID}] == nil {
				s.wakeRun(r, now.Add(pastRecheck)) // a change made elsewhere wakes nobody here
			}
			return false
		}
	}
	if err != nil {
		// Without the previous run the dependency cannot be checked: wait and look again.
		r.reasons[t.TaskID] = "depends_on_past: the previous run could not be read: " + err.Error()
		r.heldByPast = true
		s.wakeRun(r, now.Add(time.Second))
		return false
	}
	return true
}

// pastReason says why the previous run holds ti back, "" when it does not.
func (s *Scheduler) pastReason(p *pastRun, t *tasks.Task, ti *TaskInstance) (string, error) {
	return PastReason(t, ti.MapIndex, p.run.RunID, func(taskID string) ([]*TaskInstance, error) { return s.pastInstances(p, taskID) })
}

// PastReason is depends_on_past (and wait_for_downstream) for instance mapIndex of t, given the
// previous run's id and its task instances by task id: why it holds the instance back, or ""
// when it does not (that instance ended success or skipped there, or it has none).
func PastReason(t *tasks.Task, mapIndex int, prevRunID string, instances func(taskID string) ([]*TaskInstance, error)) (string, error) {
	list, err := instances(t.TaskID)
	if err != nil {
		return "", err
	}
	var prev *TaskInstance
	for _, x := range list {
		if x.MapIndex == mapIndex {
			prev = x
		}
	}
	if prev == nil {
		return "", nil
	}
	if !pastDone(prev.State) {
		return fmt.Sprintf("depends_on_past: %s of the previous run %s is %s; it must end success or skipped (clear it there, or mark it success)",
			instanceName(prev), prevRunID, stateName(prev.State)), nil
	}
	if !t.WaitForDownstream {
		return "", nil
	}
	var waiting []string
	for _, d := range t.Downstream {
		list, err := instances(d)
		if err != nil {
			return "", err
		}
		for _, x := range list {
			if !pastDone(x.State) {
				waiting = append(waiting, instanceName(x)+"="+stateName(x.State))
			}
		}
	}
	if len(waiting) == 0 {
		return "", nil
	}
	return fmt.Sprintf("wait_for_downstream: the downstream of %s in the previous run %s has not ended success or skipped: %s",
		instanceName(prev), prevRunID, strings.Join(waiting, ", ")), nil
}

func pastDone(st tasks.TaskInstanceState) bool {
	return st == tasks.StateSuccess || st == tasks.StateSkipped
}

func instanceName(ti *TaskInstance) string {
	if ti.MapIndex >= 0 {
		return fmt.Sprintf("%s[%d]", ti.TaskID, ti.MapIndex)
	}
	return ti.TaskID
}

func stateName(st tasks.TaskInstanceState) string {
	if st == tasks.StateNone {
		return "none (not run yet)"
	}
	return string(st)
}

// waitForPast has r evaluated again when its previous run changes.
func (s *Scheduler) waitForPast(r *activeRun, prev DagRun) {
	k := runKey{prev.DagID, prev.RunID}
	if s.pastWaiters[k] == nil {
		s.pastWaiters[k] = map[runKey]bool{}
	}
	s.pastWaiters[k][runKey{r.run.DagID, r.run.RunID}] = true
}

// pastChanged wakes the runs that wait for r: it was just evaluated, or it ended.
func (s *Scheduler) pastChanged(r *activeRun) {
	if len(s.pastWaiters) == 0 {
		return
	}
	k := runKey{r.run.DagID, r.run.RunID}
	for w := range s.pastWaiters[k] {
		if a := s.runs[w]; a != nil {
			a.dirty = true
		}
	}
	delete(s.pastWaiters, k)
}

// pastRunAdded tells the runs of a DAG driven here about one of its runs that is new to this
// process: for those dated after it, it may now be their previous run.
func (s *Scheduler) pastRunAdded(added *activeRun) {
	for _, r := range s.runs {
		if r == added || r.past == nil || r.run.DagID != added.run.DagID || !added.run.LogicalDate.Before(r.run.LogicalDate) {
			continue
		}
		if r.past.run.RunID == added.run.RunID {
			r.past.live = added // the same run, loaded again (cleared)
			continue
		}
		if r.past.run.RunID == "" || r.past.run.LogicalDate.Before(added.run.LogicalDate) {
			r.past, r.dirty = &pastRun{run: added.run, live: added}, true
		}
	}
}

// latestOnlyAllows is latest_only: a scheduled or backfill run that is not of the latest
// interval its schedule has reached skips the task (Airflow's LatestOnlyOperator: the run
// after it is due already); manual runs, and DAGs without intervals, run it.
func latestOnlyAllows(r *activeRun, now time.Time) (bool, string) {
	if r.run.ExternalTrigger || r.run.RunType == "manual" || r.run.RunType == "test" {
		return true, ""
	}
	switch r.dag.Schedule.Kind {
	case tasks.ScheduleNone, tasks.ScheduleOnce, tasks.ScheduleContinuous:
		return true, ""
	}
	iv := timetable.DataInterval{Start: r.run.DataIntervalStart, End: r.run.DataIntervalEnd}
	due, ok := timetable.NextDue(r.dag, iv)
	if !ok || now.Before(due) {
		return true, ""
	}
	return false, fmt.Sprintf("latest_only: the run of %s is not of the latest interval (the next one was due at %s)",
		r.run.LogicalDate.UTC().Format(time.RFC3339), due.UTC().Format(time.RFC3339))
}
