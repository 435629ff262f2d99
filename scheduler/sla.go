package scheduler

import (
	"fmt"
	"time"

	"github.com/wasmflow/wasmflow/tasks"
)

// checkSLAs records the SLAs of a running run that have passed: a task's sla that passed
// before each of its task instances succeeded (or was skipped), the DAG's deadline before the
// run ended, both counted from the run's start on the scheduler's clock. Each is recorded once
// (an SLA miss row, and a sla_miss_callback request if the DAG has one); one not yet due
// wakes the run when it is. The run and its tasks go on either way.
func (s *Scheduler) checkSLAs(r *activeRun, now time.Time) {
	if r.run.StartDate == nil {
		return
	}
	start := *r.run.StartDate
	if d := r.dag.Deadline; d > 0 && !r.slaMissed[""] {
		if at := start.Add(d); now.Before(at) {
			s.wakeRun(r, at)
		} else {
			s.missSLA(r, "", d, at, fmt.Sprintf("the run had not ended %s after its start (deadline %s)", d, d))
		}
	}
	for _, t := range r.order {
		if t.SLA <= 0 || r.slaMissed[t.TaskID] || succeeded(r.tis[t.TaskID]) {
			continue
		}
		if at := start.Add(t.SLA); now.Before(at) {
			s.wakeRun(r, at)
		} else {
			s.missSLA(r, t.TaskID, t.SLA, at, fmt.Sprintf("task %s had not succeeded %s after the run's start (sla %s); it was %s",
				t.TaskID, t.SLA, t.SLA, AggregateState(r.tis[t.TaskID])))
		}
	}
}

// succeeded reports whether every instance of a task succeeded or was skipped: what meets
// an SLA, as in Airflow.
func succeeded(list []*TaskInstance) bool {
	for _, ti := range list {
		if ti.State != tasks.StateSuccess && ti.State != tasks.StateSkipped {
			return false
		}
	}
	return len(list) > 0
}

func (s *Scheduler) missSLA(r *activeRun, taskID string, sla time.Duration, at time.Time, why string) {
	r.slaMissed[taskID] = true
	s.changes.extra.SLAMisses = append(s.changes.extra.SLAMisses, SLAMiss{DagID: r.run.DagID, RunID: r.run.RunID, TaskID: taskID,
		LogicalDate: r.run.LogicalDate, SLA: sla, Timestamp: at.UTC(), Description: why})
	s.cfg.Log.Warn("SLA missed", "dag_id", r.run.DagID, "run_id", r.run.RunID, "task_id", taskID, "why", why)
	if r.dag.SLAMissCallback != nil {
		s.raise(CallbackRequest{DagID: r.run.DagID, RunID: r.run.RunID, TaskID: taskID, MapIndex: -1, Event: tasks.SLAMissCallback,
			State: "sla_miss", Reason: why})
	}
}
