package scheduler

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/wasmflow/wasmflow/scheduler/timetable"
	"github.com/wasmflow/wasmflow/tasks"
)

// recover rebuilds the scheduler's state from the metastore after a start, crash or not:
// every queued or running run is driven again (load fails the tries of a process that is gone).
func (s *Scheduler) recover(ctx context.Context) error {
	if err := s.poll(ctx); err != nil {
		return err
	}
	return s.flush(ctx)
}

// poll reads what may have changed outside this process: paused flags, pools, runs created
// by the CLI, and runs the CLI reset (cleared) to queued while this scheduler drove them.
func (s *Scheduler) poll(ctx context.Context) error {
	dags, err := s.cfg.Store.ListDags(ctx, DagFilter{})
	if err != nil {
		return err
	}
	for _, d := range dags {
		s.paused[d.DagID] = d.IsPaused || !d.IsActive
	}
	pools, err := s.cfg.Store.ListPools(ctx)
	if err != nil {
		return err
	}
	clear(s.pools)
	for _, p := range pools {
		s.pools[p.Name] = p.Slots
	}
	if err := s.applyCommands(ctx); err != nil {
		return err
	}
	parsed := s.cfg.Dags()
	if s.cfg.Jobs != nil {
		return s.pollOwned(ctx, parsed)
	}
	for _, state := range []tasks.DagRunState{tasks.RunQueued, tasks.RunRunning} {
		runs, err := s.cfg.Store.ListDagRuns(ctx, "", state, 0)
		if err != nil {
			return err
		}
		for _, run := range runs {
			if s.cfg.RunFilter != nil && !s.cfg.RunFilter(run) {
				continue
			}
			k := runKey{run.DagID, run.RunID}
			cur := s.runs[k]
			if cur != nil && !(run.State == tasks.RunQueued && cur.run.State == tasks.RunRunning) {
				continue // ours, unchanged
			}
			d := parsed[run.DagID]
			if d == nil {
				continue // the DAG does not parse now; the run waits until it does
			}
			if err := s.load(ctx, run, d, cur, ""); err != nil {
				return err
			}
		}
	}
	return nil
}

// load starts driving a run read from the metastore: runs created by the CLI, runs left by a
// previous process, a finished run being changed. A try shown running that this process did
// not start belongs to a process that is gone: see orphaned. With prev (the CLI reset a run
// this scheduler drove), tries reset under it are killed. deadHost is the host of the dead
// scheduler the run was taken over from (with Config.Jobs): tries running there died with it.
func (s *Scheduler) load(ctx context.Context, run DagRun, d *tasks.DAG, prev *activeRun, deadHost string) error {
	tis, err := s.cfg.Store.ListTaskInstances(ctx, run.DagID, run.RunID)
	if err != nil {
		return err
	}
	r := newActiveRun(run, d, tis)
	now := s.cfg.Now()
	if prev != nil {
		prev.all(func(old *TaskInstance) {
			if ti := r.ti(old.Key()); ti != nil && inFlight(old) && !inFlight(ti) && !prev.poking[old.TaskID] {
				s.cfg.Executor.Kill(old.Key(), old.TryNumber)
			}
		})
		r.pokes = prev.pokes
	}
	for _, ti := range r.orphans(now) {
		s.changes.ti(ti)
	}
	for _, t := range r.order {
		if r.poking[t.TaskID] {
			continue
		}
		for _, ti := range r.tis[t.TaskID] {
			switch {
			case ti.State == tasks.StateRestarting && s.submitted[ti.Key()] != ti.TryNumber:
				ti.State = tasks.StateNone
				s.changes.ti(ti)
			case inFlight(ti) && s.submitted[ti.Key()] != ti.TryNumber:
				died := ti.State == tasks.StateRunning && (ranHere(s.cfg.Executor, ti) || (deadHost != "" && ti.Hostname == deadHost))
				if died || !s.adopt(r, ti, now) {
					s.orphaned(r, t, ti, now, "the process running this try stopped before it reported", died)
				}
			}
		}
	}
	s.runs[runKey{run.DagID, run.RunID}] = r
	return nil
}

// adopt keeps a try a previous process left in flight when the executor can still follow it
// (an Adopter, within its AdoptWithin after start): it is claimed now, or at the end of that
// window, or failed as lost then.
func (s *Scheduler) adopt(r *activeRun, ti *TaskInstance, now time.Time) bool {
	a, ok := s.cfg.Executor.(Adopter)
	if !ok {
		return false // no worker runs it: it died with the previous process
	}
	if s.claim(a, ti) {
		return true
	}
	if !now.Before(s.adoptUntil) {
		return false
	}
	s.unclaimed[ti.Key()] = ti.TryNumber
	s.at(s.adoptUntil, runKey{r.run.DagID, r.run.RunID})
	return true
}

// claim makes ti's try this scheduler's own again when the executor follows it.
func (s *Scheduler) claim(a Adopter, ti *TaskInstance) bool {
	if !a.Adopt(ti.Key(), ti.TryNumber) {
		return false
	}
	s.submitted[ti.Key()] = ti.TryNumber
	s.note(ti, "adopted: a worker still runs this try after the scheduler restarted")
	return true
}

// giveUpUnclaimed ends the wait for the workers of a previous process: a try still in flight
// that no node reported is failed as lost and retried per its retries.
func (s *Scheduler) giveUpUnclaimed(now time.Time) {
	a := s.cfg.Executor.(Adopter)
	for key, try := range s.unclaimed {
		delete(s.unclaimed, key)
		r := s.runs[runKey{key.DagID, key.RunID}]
		if r == nil {
			continue
		}
		ti, t := r.ti(key), r.dag.Task(key.TaskID)
		if ti == nil || ti.TryNumber != try || !inFlight(ti) || s.submitted[key] == try {
			continue // its result came meanwhile, or it was cleared or marked
		}
		if s.claim(a, ti) {
			continue
		}
		if t == nil {
			endTI(ti, tasks.StateRemoved, "the task is no longer in the DAG", now)
			s.changes.ti(ti)
			r.dirty = true
			continue
		}
		s.orphaned(r, t, ti, now, fmt.Sprintf("no worker reported this try within %s of the scheduler's restart or takeover", a.AdoptWithin()), ranHere(s.cfg.Executor, ti))
	}
}

// orphaned ends a try a previous process left in flight and nobody follows any more. One
// still queued never started: it is scheduled again without using a retry (as Airflow resets
// orphaned queued tasks). One that ran in that process (died: see InProcess, and a dead
// scheduler's host with Config.Jobs) died with it, killed or on a power loss: our crash, not
// the task's, so it runs again without using a retry too. One a worker ran that did not come
// back is lost: failed, and retried per its retries, as any worker failure is.
func (s *Scheduler) orphaned(r *activeRun, t *tasks.Task, ti *TaskInstance, now time.Time, why string, died bool) {
	s.changes.ti(ti)
	r.dirty = true
	if ti.State == tasks.StateQueued {
		s.note(ti, "reset: this try was queued when the scheduler stopped and never started; scheduling it again (no retry used)")
		ti.MaxTries++ // the next try takes a new number, so a late result of this one is refused
		ti.State, ti.StartDate, ti.QueuedAt, ti.Reason = tasks.StateNone, nil, nil, ""
		return
	}
	if died {
		s.note(ti, "interrupted: %s; it runs again (no retry used)", why)
		s.rerunWithoutRetry(r, ti, now, why)
		return
	}
	end := now.UTC()
	ti.EndDate = &end
	s.note(ti, "lost: %s; failing it (retries: %d left)", why, max(0, ti.MaxTries-ti.TryNumber))
	s.failTry(r, t, ti, "lost: "+why, now, false)
}

// inFlight reports whether ti's try is with the executor: queued there or running.
func inFlight(ti *TaskInstance) bool {
	return ti.State == tasks.StateQueued || ti.State == tasks.StateRunning
}

// applyCommands applies what the CLI asked of this scheduler (clear, mark) on its loop, so it
// stays the only writer of the runs it drives, and records each outcome.
func (s *Scheduler) applyCommands(ctx context.Context) error {
	cmds, err := s.cfg.Store.PendingCommands(ctx)
	if err != nil {
		return err
	}
	for _, c := range cmds {
		if s.cfg.RunFilter != nil && !s.cfg.RunFilter(DagRun{DagID: c.DagID, RunID: c.RunID, RunType: "manual"}) {
			continue
		}
		if err := s.own(ctx, c.DagID, c.RunID); errors.Is(err, ErrOwnedElsewhere) {
			continue // the scheduler driving the run applies it
		} else if err != nil {
			return err
		}
		var result string
		switch c.Kind {
		case "clear":
			cleared, err := s.clear(ctx, ClearRequest{DagID: c.DagID, RunID: c.RunID, TaskIDs: c.TaskIDs, MapIndexes: c.MapIndexes, OnlyFailed: c.OnlyFailed, Owner: c.Owner})
			result = fmt.Sprintf("cleared %v", cleared)
			if err != nil {
				result = "error: " + err.Error()
			}
		case "mark":
			result = "marked " + string(c.State)
			if len(c.TaskIDs) != 1 {
				result = "error: a mark names one task"
			} else if err := s.mark(ctx, c.MarkKey(), c.State, c.Owner); err != nil {
				result = "error: " + err.Error()
			}
		default:
			result = fmt.Sprintf("error: unknown command %q", c.Kind)
		}
		if err := s.flush(ctx); err != nil {
			return err
		}
		if err := s.cfg.Store.FinishCommand(ctx, c.ID, result); err != nil {
			return err
		}
	}
	return nil
}

// TriggerOptions are a manual run's settings.
type TriggerOptions struct {
	LogicalDate time.Time      // zero: now
	Conf        map[string]any // overrides params
	RunID       string         // "" = manual__<logical date>
	Owner       string         // for the audit log
}

// Trigger creates a manual run of a DAG (paused or not, as in Airflow).
func (s *Scheduler) Trigger(ctx context.Context, dagID string, o TriggerOptions) (DagRun, error) {
	var run DagRun
	err := s.do(ctx, func() error {
		d := s.cfg.Dags()[dagID]
		if d == nil {
			return fmt.Errorf("DAG %q %w (or its file does not parse: see `wasmflow dags list-import-errors`)", dagID, ErrNotFound)
		}
		ld := o.LogicalDate
		if ld.IsZero() {
			ld = s.cfg.Now().UTC()
		}
		var err error
		run, err = s.createRun(ctx, d, "manual", timetable.For(d).ManualInterval(ld), ld, o.Conf, o.RunID)
		if err == nil {
			s.changes.audit(AuditEvent{When: s.cfg.Now().UTC(), Event: "dag.trigger", Owner: o.Owner, DagID: dagID, RunID: run.RunID})
		}
		return err
	})
	return run, err
}

// Backfill creates a run for every data interval whose logical date is in [from, to] and that
// has no run yet, even with catchup off; max_active_runs still paces them.
func (s *Scheduler) Backfill(ctx context.Context, dagID string, from, to time.Time, owner string) ([]DagRun, error) {
	var created []DagRun
	err := s.do(ctx, func() error {
		d := s.cfg.Dags()[dagID]
		if d == nil {
			return fmt.Errorf("DAG %q %w", dagID, ErrNotFound)
		}
		if d.Schedule.Kind == tasks.ScheduleNone {
			return fmt.Errorf("DAG %s has no schedule, so it has no intervals to backfill: trigger runs with `wasmflow dags trigger %s -e DATE`", dagID, dagID)
		}
		existing, err := s.cfg.Store.ListDagRuns(ctx, dagID, "", 0)
		if err != nil {
			return err
		}
		have := map[time.Time]bool{}
		for _, r := range existing {
			have[r.LogicalDate.UTC()] = true
		}
		tt := timetable.For(d)
		for _, iv := range tt.Intervals(from, to) {
			if have[tt.LogicalDate(iv).UTC()] {
				continue
			}
			run, err := s.createRun(ctx, d, "backfill", iv, time.Time{}, nil, "")
			if err != nil {
				return err
			}
			created = append(created, run)
		}
		s.changes.audit(AuditEvent{When: s.cfg.Now().UTC(), Event: "dag.backfill", Owner: owner, DagID: dagID,
			Extra: fmt.Sprintf("%s..%s: %d runs", from.Format(time.RFC3339), to.Format(time.RFC3339), len(created))})
		return nil
	})
	return created, err
}

// ClearRequest selects the task instances of one run to clear.
type ClearRequest struct {
	DagID, RunID string
	TaskIDs      []string // the tasks to clear (already expanded with upstream/downstream)
	// MapIndexes, by task id, clears only these instances of a mapped task (Airflow's
	// [task_id, map_index] in task_ids); a task not in it is cleared whole.
	MapIndexes map[string][]int
	OnlyFailed bool
	Owner      string
}

// selects reports whether the request clears ti, as far as its map index goes.
func (req ClearRequest) selects(ti *TaskInstance) bool { return SelectsMapIndex(req.MapIndexes, ti) }

// SelectsMapIndex reports whether a clear limited to mapIndexes (by task id) takes ti.
func SelectsMapIndex(mapIndexes map[string][]int, ti *TaskInstance) bool {
	want, limited := mapIndexes[ti.TaskID]
	return !limited || contains(want, ti.MapIndex)
}

// Clear sets task instances back to none so they run again, with room for their retries; a
// running one is killed and becomes restarting, then none when its try ends. The run goes
// back to queued. It returns the task ids cleared.
func (s *Scheduler) Clear(ctx context.Context, req ClearRequest) ([]string, error) {
	var cleared []string
	err := s.do(ctx, func() error {
		var err error
		cleared, err = s.clear(ctx, req)
		return err
	})
	return cleared, err
}

func (s *Scheduler) clear(ctx context.Context, req ClearRequest) ([]string, error) {
	r, err := s.activate(ctx, req.DagID, req.RunID)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	var cleared []string
	for _, id := range req.TaskIDs {
		t := r.dag.Task(id)
		if t == nil {
			continue
		}
		did := false
		for _, ti := range r.tis[id] {
			if (req.OnlyFailed && !ti.State.Failed()) || !req.selects(ti) {
				continue
			}
			clearTI(r, t, ti, s, now)
			did = true
		}
		if did {
			cleared = append(cleared, id)
		}
	}
	if len(cleared) > 0 && r.run.State.Finished() {
		requeue(&r.run)
		s.changes.run(&r.run)
	}
	r.dirty = true
	sort.Strings(cleared)
	s.changes.audit(AuditEvent{When: now.UTC(), Event: "task.clear", Owner: req.Owner, DagID: req.DagID, RunID: req.RunID, Extra: fmt.Sprint(cleared)})
	return cleared, nil
}

// requeue sends a finished run back to queued to run again, with a fresh start, as Airflow
// does when it is cleared (its dagrun_timeout counts anew).
func requeue(run *DagRun) {
	run.State, run.StartDate, run.EndDate = tasks.RunQueued, nil, nil
}

func clearTI(r *activeRun, t *tasks.Task, ti *TaskInstance, s *Scheduler, now time.Time) {
	s.changes.ti(ti)
	delete(r.poking, t.TaskID)
	r.pokes[t.TaskID] = 0
	if ClearTaskInstance(ti, t) {
		s.cfg.Executor.Kill(ti.Key(), ti.TryNumber)
	}
}

// ClearTaskInstance resets a task instance so it runs again, with its retries anew (Airflow:
// max_tries = try_number + retries). A module try still running becomes restarting (true is
// returned: it must be killed); anything else goes back to none.
func ClearTaskInstance(ti *TaskInstance, t *tasks.Task) (kill bool) {
	retries := 0
	if t != nil {
		retries = t.Retries
	}
	ti.MaxTries = ti.TryNumber + retries + 1
	if inFlight(ti) && t != nil && t.Module != "" && ti.NextRetryAt == nil {
		ti.State = tasks.StateRestarting
		return true
	}
	ti.State, ti.EndDate, ti.NextRetryAt, ti.FirstPokeAt, ti.Reason, ti.Duration = tasks.StateNone, nil, nil, nil, "", 0
	return false
}

// activate returns the run from memory, or loads a finished one to change it.
func (s *Scheduler) activate(ctx context.Context, dagID, runID string) (*activeRun, error) {
	if r := s.runs[runKey{dagID, runID}]; r != nil {
		return r, nil
	}
	if err := s.own(ctx, dagID, runID); err != nil {
		return nil, err
	}
	run, err := s.cfg.Store.GetDagRun(ctx, dagID, runID)
	if err != nil {
		return nil, fmt.Errorf("run %s of DAG %s: %w", runID, dagID, err)
	}
	d := s.cfg.Dags()[dagID]
	if d == nil {
		return nil, fmt.Errorf("DAG %s does not parse now, so its runs cannot change: see `wasmflow dags list-import-errors`", dagID)
	}
	if err := s.load(ctx, run, d, nil, ""); err != nil {
		return nil, err
	}
	return s.runs[runKey{dagID, runID}], nil
}

// MarkTask sets one task instance to success or failed by hand (a running try is killed).
func (s *Scheduler) MarkTask(ctx context.Context, key TIKey, state tasks.TaskInstanceState, owner string) error {
	if state != tasks.StateSuccess && state != tasks.StateFailed && state != tasks.StateSkipped {
		return fmt.Errorf("a task instance can be marked success, failed or skipped, not %q", state)
	}
	return s.do(ctx, func() error { return s.mark(ctx, key, state, owner) })
}

func (s *Scheduler) mark(ctx context.Context, key TIKey, state tasks.TaskInstanceState, owner string) error {
	if state != tasks.StateSuccess && state != tasks.StateFailed && state != tasks.StateSkipped {
		return fmt.Errorf("a task instance can be marked success, failed or skipped, not %q", state)
	}
	r, err := s.activate(ctx, key.DagID, key.RunID)
	if err != nil {
		return err
	}
	ti := r.ti(key)
	if ti == nil {
		return fmt.Errorf("task instance %s %w", key, ErrNotFound)
	}
	now := s.cfg.Now()
	reason := "marked " + string(state) + " by " + owner
	if inFlight(ti) && !r.poking[key.TaskID] {
		s.cfg.Executor.Kill(key, ti.TryNumber)
		end := now
		ti.EndDate, ti.Reason = &end, reason
		s.recordTryAs(r, ti, state)
	}
	delete(r.poking, key.TaskID)
	endTI(ti, state, reason, now)
	s.changes.ti(ti)
	if r.run.State.Finished() {
		requeue(&r.run)
		s.changes.run(&r.run)
	}
	r.dirty = true
	s.changes.audit(AuditEvent{When: now.UTC(), Event: "task.mark_" + string(state), Owner: owner, DagID: key.DagID, RunID: key.RunID, TaskID: key.TaskID})
	return nil
}

// MarkRun ends a run by hand. Success: every unfinished task instance becomes success.
// Failed: running tries are killed and failed, the rest not finished are skipped.
func (s *Scheduler) MarkRun(ctx context.Context, dagID, runID string, state tasks.DagRunState, owner string) error {
	if state != tasks.RunSuccess && state != tasks.RunFailed {
		return fmt.Errorf("a run can be marked success or failed, not %q", state)
	}
	return s.do(ctx, func() error {
		r, err := s.activate(ctx, dagID, runID)
		if err != nil {
			return err
		}
		now := s.cfg.Now()
		r.all(func(ti *TaskInstance) {
			if ti.State.Finished() {
				return
			}
			running := inFlight(ti) && !r.poking[ti.TaskID]
			if running {
				s.cfg.Executor.Kill(ti.Key(), ti.TryNumber)
			}
			to := tasks.StateSuccess
			if state == tasks.RunFailed {
				to = tasks.StateSkipped
				if running {
					to = tasks.StateFailed
				}
			}
			endTI(ti, to, "run marked "+string(state)+" by "+owner, now)
			s.changes.ti(ti)
		})
		r.run.State = tasks.RunRunning // endRun needs it active
		s.endRun(r, state, now)
		s.changes.audit(AuditEvent{When: now.UTC(), Event: "dag_run.mark_" + string(state), Owner: owner, DagID: dagID, RunID: runID})
		return nil
	})
}

// WhyNotRunning says, for each task instance of an active run that waits, what it waits for.
func (s *Scheduler) WhyNotRunning(ctx context.Context, dagID, runID string) (map[string]string, error) {
	out := map[string]string{}
	err := s.do(ctx, func() error {
		r := s.runs[runKey{dagID, runID}]
		if r == nil {
			return nil
		}
		for k, v := range r.reasons {
			out[k] = v
		}
		return nil
	})
	return out, err
}
