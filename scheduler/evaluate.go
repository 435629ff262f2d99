package scheduler

import (
	"fmt"
	"time"

	"github.com/wasmflow/wasmflow/tasks"
)

// evaluate decides the task instances of one running run, in topological order so that a
// skip or an upstream failure reaches every descendant in one pass.
func (s *Scheduler) evaluate(r *activeRun, now time.Time) {
	r.dirty = false
	r.heldByPast = false
	s.pastChanged(r)
	if r.dag.DagrunTimeout > 0 && r.run.StartDate != nil && !now.Before(r.run.StartDate.Add(r.dag.DagrunTimeout)) {
		s.timeoutRun(r, now)
		return
	}
	s.checkSLAs(r, now)
	for _, t := range r.order {
		list := r.tis[t.TaskID]
		if len(list) == 1 && list[0].MapIndex < 0 && t.IsMapped() && list[0].State == tasks.StateNone {
			if !s.decide(r, t, list[0], now) || !s.expand(r, t, list[0], now) {
				continue
			}
			list = r.tis[t.TaskID]
		}
		for _, ti := range list {
			s.evaluateTI(r, t, ti, now)
		}
	}
	if done, state := r.finished(); done {
		s.endRun(r, state, now, r.failedLeaves())
		return
	}
	s.detectDeadlock(r, now)
}

// evaluateTI decides what happens next to one task instance of a running run.
func (s *Scheduler) evaluateTI(r *activeRun, t *tasks.Task, ti *TaskInstance, now time.Time) {
	{
		switch ti.State {
		case tasks.StateNone:
			if s.decide(r, t, ti, now) && s.pastAllows(r, t, ti, now) {
				s.startTask(r, t, ti, now)
			}
		case tasks.StateUpForRetry:
			switch {
			case ti.NextRetryAt != nil && now.Before(*ti.NextRetryAt):
				s.wakeRun(r, *ti.NextRetryAt)
			case t.Module == "": // an expression sensor or branch is evaluated again here
				s.startTask(r, t, ti, now)
			default:
				ti.State = tasks.StateScheduled
				s.changes.ti(ti)
			}
		case tasks.StateUpForReschedule, tasks.StateRunning, tasks.StateQueued:
			if !r.poking[t.TaskID] || ti.NextRetryAt == nil {
				return // running on the executor: its result will say what next
			}
			if now.Before(*ti.NextRetryAt) {
				s.wakeRun(r, *ti.NextRetryAt)
				return
			}
			if t.Module == "" {
				s.pokeExpr(r, t, ti, now)
			} else {
				ti.State = tasks.StateScheduled // the module pokes again
				s.changes.ti(ti)
			}
		}
	}
}

// detectDeadlock fails a run in which nothing can happen any more: nothing runs, waits for a
// retry or a poke, or may be scheduled, yet task instances are left (their upstreams were
// removed). Airflow marks such a run failed.
func (s *Scheduler) detectDeadlock(r *activeRun, now time.Time) {
	var stuck []*TaskInstance
	for _, list := range r.tis {
		for _, ti := range list {
			switch ti.State {
			case tasks.StateNone:
				stuck = append(stuck, ti)
			case tasks.StateScheduled, tasks.StateQueued, tasks.StateRunning, tasks.StateRestarting,
				tasks.StateUpForRetry, tasks.StateUpForReschedule, tasks.StateDeferred:
				return // something can still happen
			}
		}
	}
	if len(stuck) == 0 || r.heldByPast {
		return // waiting for the previous run is no deadlock: clearing it there moves on
	}
	for _, ti := range stuck {
		endTI(ti, tasks.StateUpstreamFailed, "deadlock: its trigger rule can never be met (upstream tasks were removed)", now)
		s.changes.ti(ti)
	}
	s.cfg.Log.Warn("run deadlocked", "dag_id", r.run.DagID, "run_id", r.run.RunID)
	s.endRun(r, tasks.RunFailed, now, "deadlock: a trigger rule can never be met")
}

// decide applies the trigger rule of a task instance in none: an early skip or
// upstream_failed is applied here, a wait records why. It reports whether the task may start.
func (s *Scheduler) decide(r *activeRun, t *tasks.Task, ti *TaskInstance, now time.Time) bool {
	switch d, reason := t.TriggerRule.Evaluate(r.upstreamCounts(t)); d {
	case tasks.Run:
		delete(r.reasons, t.TaskID)
		return true
	case tasks.Skip:
		endTI(ti, tasks.StateSkipped, reason, now)
		s.changes.ti(ti)
	case tasks.FailUpstream:
		endTI(ti, tasks.StateUpstreamFailed, reason, now)
		s.changes.ti(ti)
	default:
		r.reasons[t.TaskID] = reason
	}
	return false
}

// decideOnly decides every task instance in none without starting anything: the benchmark's
// view of the cost of dependency decisions.
func (s *Scheduler) decideOnly(r *activeRun) {
	now := s.cfg.Now()
	for _, t := range r.order {
		for _, ti := range r.tis[t.TaskID] {
			if ti.State == tasks.StateNone && s.decide(r, t, ti, now) {
				ti.State = tasks.StateScheduled
				s.changes.ti(ti)
			}
		}
	}
}

// startTask handles a task instance whose trigger rule is met: run_if, then the task's kind.
func (s *Scheduler) startTask(r *activeRun, t *tasks.Task, ti *TaskInstance, now time.Time) {
	s.changes.ti(ti)
	if t.LatestOnly {
		if ok, reason := latestOnlyAllows(r, now); !ok {
			endTI(ti, tasks.StateSkipped, reason, now)
			r.dirty = true // its downstream follows its trigger rules
			return
		}
	}
	if t.RunIf != nil {
		env, vars, err := s.env(r, t, ti)
		ok := false
		if err == nil {
			ok, err = vars.evalBool(t.RunIf, env)
		}
		if err != nil {
			endTI(ti, tasks.StateFailed, vars.mask("run_if: "+err.Error()), now)
			return
		}
		if !ok {
			endTI(ti, tasks.StateSkipped, "run_if is false", now)
			return
		}
	}
	switch {
	case t.Branch != nil: // an expression branch: decided here, no slot
		ti.TryNumber++
		start := now
		ti.StartDate = &start
		env, vars, err := s.env(r, t, ti)
		var v any
		if err == nil {
			v, err = vars.eval(t.Branch, env)
		}
		if err == nil {
			var ids []string
			if ids, err = BranchIDs(v); err == nil {
				err = s.follow(r, t, ids, now)
			}
		}
		if err != nil {
			s.note(ti, "%s", vars.mask(fmt.Sprintf("branch %q failed: %v", t.Branch.Source, err)))
			s.failTry(r, t, ti, vars.mask("branch: "+err.Error()), now, false)
			return
		}
		s.note(ti, "%s", vars.mask(fmt.Sprintf("branch %q chose %v", t.Branch.Source, v)))
		endTI(ti, tasks.StateSuccess, "", now)
		s.recordTry(r, ti)
	case t.Module == "" && t.IsSensor(): // an expression sensor: poked here, no slot
		ti.TryNumber++
		start := now
		ti.StartDate = &start
		if ti.FirstPokeAt == nil {
			ti.FirstPokeAt = &start
		}
		s.pokeExpr(r, t, ti, now)
	default:
		ti.State = tasks.StateScheduled
	}
}

// follow applies a branch's choice and records the task instances it skipped.
func (s *Scheduler) follow(r *activeRun, t *tasks.Task, ids []string, now time.Time) error {
	skipped, err := r.branchFollow(t, ids, now)
	for _, ti := range skipped {
		s.changes.ti(ti)
	}
	return err
}

// endRun ends a run whose task instances are all done.
func (s *Scheduler) endRun(r *activeRun, state tasks.DagRunState, now time.Time, reason string) {
	s.raiseRunCallback(r, state, reason)
	r.run.State = state
	end := now.UTC()
	r.run.EndDate = &end
	s.changes.run(&r.run)
	delete(s.runs, runKey{r.run.DagID, r.run.RunID})
	s.pastChanged(r)
	s.cfg.Log.Info("run ended", "dag_id", r.run.DagID, "run_id", r.run.RunID, "state", state)
	s.ended = append(s.ended, r.run) // announced once written
	s.planDue = true                 // a slot under max_active_runs may have opened
}

// timeoutRun ends a run past its dagrun_timeout: running tries are killed, what has not
// finished is skipped, and the run fails, as Airflow does.
func (s *Scheduler) timeoutRun(r *activeRun, now time.Time) {
	reason := fmt.Sprintf("dagrun_timeout of %s passed", r.dag.DagrunTimeout)
	r.all(func(ti *TaskInstance) {
		if ti.State.Finished() {
			return
		}
		if inFlight(ti) && !r.poking[ti.TaskID] {
			s.cfg.Executor.Kill(ti.Key(), ti.TryNumber)
			end := now
			ti.EndDate, ti.Reason = &end, reason
			s.recordTryAs(r, ti, tasks.StateFailed)
		}
		endTI(ti, tasks.StateSkipped, reason, now)
		s.changes.ti(ti)
	})
	s.endRun(r, tasks.RunFailed, now, reason)
}
