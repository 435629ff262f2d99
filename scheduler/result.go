package scheduler

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/wasmflow/wasmflow/tasks"
)

// failTry ends a failed try: up_for_retry while tries are left (unless noRetry, as for a
// sensor timeout), else failed.
func (s *Scheduler) failTry(r *activeRun, t *tasks.Task, ti *TaskInstance, reason string, now time.Time, noRetry bool) {
	s.changes.ti(ti)
	r.dirty = true // its downstream may be decided now (also when this happens at dispatch)
	ti.Reason = reason
	if !noRetry && ti.TryNumber < ti.MaxTries {
		endTI(ti, tasks.StateUpForRetry, reason, now)
		s.recordTryAs(r, ti, tasks.StateFailed)
		next := now.Add(t.RetryDelayFor(r.dag.DagID, r.run.LogicalDate, ti.TryNumber))
		ti.NextRetryAt = &next
		s.wakeRun(r, next)
		return
	}
	endTI(ti, tasks.StateFailed, reason, now)
	s.recordTry(r, ti)
}

func (s *Scheduler) recordTry(r *activeRun, ti *TaskInstance) { s.recordTryAs(r, ti, ti.State) }

// recordTryAs writes the history row of the try that just ended.
func (s *Scheduler) recordTryAs(r *activeRun, ti *TaskInstance, state tasks.TaskInstanceState) {
	if ti.TryNumber == 0 {
		return // never started: nothing ran
	}
	s.raiseTaskCallback(r, ti)
	s.changes.try(TaskTry{DagID: ti.DagID, RunID: ti.RunID, TaskID: ti.TaskID, MapIndex: ti.MapIndex, TryNumber: ti.TryNumber, State: state,
		StartDate: ti.StartDate, EndDate: ti.EndDate, Duration: ti.Duration, Hostname: ti.Hostname,
		ExitCode: ti.ExitCode, Reason: ti.Reason, ModuleSHA256: ti.ModuleSHA256})
	if state == tasks.StateSuccess {
		s.recordOutlets(r, ti)
	}
}

// handleResult applies how a try ended. A result for a try the scheduler no longer waits for
// (cleared, marked, timed out, or a try number behind) is ignored, never applied twice.
func (s *Scheduler) handleResult(ctx context.Context, res TryResult) {
	r := s.runs[runKey{res.Key.DagID, res.Key.RunID}]
	var ti *TaskInstance
	if r != nil {
		ti = r.ti(res.Key)
	}
	if s.callbackResult(ctx, res) {
		return
	}
	if res.Progress() {
		s.handleProgress(ti, res)
		return
	}
	if ti == nil || ti.TryNumber != res.TryNumber || (!inFlight(ti) && ti.State != tasks.StateRestarting) {
		s.cfg.Log.Info("ignoring the result of a try no longer awaited", "dag_id", res.Key.DagID, "run_id", res.Key.RunID,
			"task_id", res.Key.TaskID, "try", res.TryNumber, "state", res.State)
		return
	}
	delete(s.submitted, res.Key)
	delete(s.unclaimed, res.Key)
	now := s.cfg.Now()
	t := r.dag.Task(ti.TaskID)
	r.dirty = true
	s.changes.ti(ti)
	if len(res.Calls) > 0 { // what the try touched is recorded however it ended
		s.changes.calls(TryCalls{Key: res.Key, TryNumber: res.TryNumber, Calls: res.Calls})
	}
	if res.Interrupted && ti.State != tasks.StateRestarting {
		// The executor shut down under it: nothing the task did, so no retry is used.
		ti.ExitCode = res.ExitCode
		s.note(ti, "interrupted: %s; it runs again when the scheduler next starts (no retry used)", res.Reason)
		s.rerunWithoutRetry(r, ti, now, res.Reason)
		return
	}
	if ti.State == tasks.StateRestarting { // cleared while it ran: run it again from scratch
		end := now
		ti.EndDate, ti.Reason = &end, "cleared while running"
		s.recordTryAs(r, ti, tasks.StateFailed)
		ti.State, ti.NextRetryAt, ti.EndDate, ti.FirstPokeAt, ti.Reason, ti.Duration = tasks.StateNone, nil, nil, nil, "", 0
		delete(r.poking, ti.TaskID)
		return
	}
	ti.ExitCode, ti.Hostname, ti.ModuleSHA256 = res.ExitCode, res.Hostname, res.ModuleSHA256
	if !res.StartDate.IsZero() && !r.poking[ti.TaskID] {
		start := res.StartDate.UTC()
		ti.StartDate = &start
	}
	for k, v := range res.XComs {
		r.setXCom(ti, k, v)
		s.changes.xcom(XCom{DagID: ti.DagID, RunID: ti.RunID, TaskID: ti.TaskID, MapIndex: ti.MapIndex, Key: k, Value: v, Timestamp: now.UTC()})
	}
	if t == nil { // the task left the DAG while it ran
		endTI(ti, tasks.StateRemoved, "the task is no longer in the DAG", now)
		return
	}
	switch res.State {
	case tasks.StateSuccess:
		delete(r.poking, t.TaskID)
		if t.IsBranch() {
			ids, err := BranchIDs(ParseBranchValue(string(res.XComs["return_value"])))
			if err == nil {
				err = s.follow(r, t, ids, now)
			}
			if err != nil {
				s.failTry(r, t, ti, "branch: "+err.Error(), now, false)
				return
			}
		}
		if reason := s.unmappable(r, t, ti); reason != "" {
			s.failTry(r, t, ti, reason, now, false)
			return
		}
		endTI(ti, tasks.StateSuccess, "", now)
		s.recordTry(r, ti)
	case tasks.StateSkipped:
		delete(r.poking, t.TaskID)
		endTI(ti, tasks.StateSkipped, "the module exited 99 (skip)", now)
		s.recordTry(r, ti)
	case tasks.StateUpForReschedule:
		if !t.IsSensor() {
			s.failTry(r, t, ti, "exit_code 100, which only sensors may use (add `sensor: true`)", now, false)
			return
		}
		s.sensorNotMet(r, t, ti, now)
	default:
		delete(r.poking, t.TaskID)
		reason := res.Reason
		if reason == "" {
			reason = "failed"
		}
		s.failTry(r, t, ti, reason, now, false)
	}
}

// rerunWithoutRetry ends a try that stopped for a reason of ours, not the task's (the
// executor shut down, or the process running it died), and schedules the task again without
// using one of its retries: the try is recorded as failed with why, and the next one takes a
// new number, so a late result of this one is refused.
func (s *Scheduler) rerunWithoutRetry(r *activeRun, ti *TaskInstance, now time.Time, why string) {
	end := now
	ti.EndDate, ti.Reason = &end, why
	if ti.StartDate != nil {
		ti.Duration = end.Sub(*ti.StartDate).Seconds()
	}
	s.recordTryAs(r, ti, tasks.StateFailed)
	ti.MaxTries++
	ti.State, ti.NextRetryAt, ti.EndDate, ti.FirstPokeAt, ti.Duration = tasks.StateNone, nil, nil, nil, 0
	ti.Reason = "try " + strconv.Itoa(ti.TryNumber) + " was interrupted (" + why + "); it runs again, no retry used"
	delete(r.poking, ti.TaskID)
}

// handleProgress applies a Queuer's report on a try still queued: why it waits, or that it
// started. A report that comes late (the try ended, or another try began) changes nothing.
func (s *Scheduler) handleProgress(ti *TaskInstance, res TryResult) {
	if ti == nil || ti.TryNumber != res.TryNumber || ti.State != tasks.StateQueued {
		return
	}
	s.changes.ti(ti)
	if res.State == tasks.StateQueued {
		ti.Reason = res.Reason
		return
	}
	ti.State, ti.Reason = tasks.StateRunning, ""
	s.startedInBatch[ti.Key()] = true
	if res.Hostname != "" {
		ti.Hostname = res.Hostname
	}
	if !res.StartDate.IsZero() {
		start := res.StartDate.UTC()
		ti.StartDate = &start
	}
}

// ParseBranchValue reads a module branch's return_value: a JSON list of ids, or one id.
func ParseBranchValue(s string) any {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "[") || strings.HasPrefix(s, "\"") {
		var v any
		if err := json.Unmarshal([]byte(s), &v); err == nil {
			return v
		}
	}
	return s
}
