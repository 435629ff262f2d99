package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wasmflow/wasmflow/scheduler/timetable"
	"github.com/wasmflow/wasmflow/tasks"
)

// RunID builds Airflow's run id: "scheduled__2024-01-01T00:00:00+00:00".
func RunID(runType string, logicalDate time.Time) string {
	return runType + "__" + logicalDate.UTC().Format("2006-01-02T15:04:05.999999-07:00")
}

// scheduleDags creates the scheduled runs that are due: for every active, unpaused DAG with a
// schedule, the next data interval once it has ended, within max_active_runs.
func (s *Scheduler) scheduleDags(ctx context.Context, now time.Time) error {
	if s.cfg.OnlyTheseRuns {
		return nil
	}
	var soonest time.Time // the next moment a DAG's run falls due
	defer func() {
		if !soonest.IsZero() {
			s.planBy(soonest)
		}
	}()
	if err := s.scheduleDatasetDags(ctx); err != nil {
		return err
	}
	for id, d := range s.cfg.Dags() {
		if !d.Schedule.Timed() || s.isPaused(ctx, id) {
			continue
		}
		if !s.known[id] {
			last, err := s.latestScheduled(ctx, d)
			if err != nil {
				return err
			}
			s.lastSched[id], s.known[id] = last, true
		}
		tt := timetable.For(d)
		active := -1 // the DAG's active runs in the metastore, once roomForRun read them
		for {
			next, ok := tt.Next(s.lastSched[id], now, d.Catchup)
			if !ok {
				break
			}
			due := next.End
			if d.Schedule.Kind == tasks.ScheduleOnce {
				due = next.Start
			}
			if due.After(now) {
				s.recordNext(ctx, id, next, tt.LogicalDate(next), due)
				if soonest.IsZero() || due.Before(soonest) {
					soonest = due
				}
				break
			}
			if !s.roomForRun(ctx, d, &active) {
				break // the next run is created when one of these ends
			}
			if s.pausedNow(ctx, id) {
				break // paused since the last poll: `dags pause` stops the next run, not one poll later
			}
			_, err := s.createRun(ctx, d, "scheduled", next, time.Time{}, nil, "")
			if errors.Is(err, ErrExists) {
				// Another scheduler (or the CLI) created it since this one last looked, and
				// maybe more after it: go on from the latest scheduled run in the metastore.
				last, err := s.latestScheduled(ctx, d)
				if err != nil {
					return err
				}
				if last == nil || last.Start.Before(next.Start) {
					last = &next
				}
				s.lastSched[id], active = last, -1
				continue
			}
			if err != nil {
				return err
			}
			active++
			n := next
			s.lastSched[id] = &n
		}
	}
	return nil
}

// isPaused answers from the last poll, or, for a DAG the scheduler has not seen yet (its file
// just appeared), from the metastore: a new DAG is paused until its row says otherwise.
func (s *Scheduler) isPaused(ctx context.Context, dagID string) bool {
	if p, ok := s.paused[dagID]; ok {
		return p
	}
	return s.pausedNow(ctx, dagID)
}

// pausedNow reads the DAG's paused flag from the metastore, not the last poll, before a run is
// created: a @continuous DAG with short tasks would otherwise start dozens of runs between a
// `dags pause` and the next poll. One read per created run, which writes many more rows.
func (s *Scheduler) pausedNow(ctx context.Context, dagID string) bool {
	d, err := s.cfg.Store.GetDag(ctx, dagID)
	paused := err != nil || d.IsPaused || !d.IsActive
	s.paused[dagID] = paused
	return paused
}

// recordNext stores the next run's logical date and interval on the DAG row, for the UI and
// `dags list`, once per change.
func (s *Scheduler) recordNext(ctx context.Context, dagID string, next timetable.DataInterval, logical, due time.Time) {
	if p, ok := s.planned[dagID]; ok && p.Equal(logical) {
		return
	}
	s.planned[dagID] = logical
	d, err := s.cfg.Store.GetDag(ctx, dagID)
	if err != nil || (d.NextDagrun != nil && d.NextDagrun.Equal(logical) && d.NextDagrunCreateAfter != nil && d.NextDagrunCreateAfter.Equal(due)) {
		return
	}
	start, end, after := next.Start, next.End, due
	d.NextDagrun, d.NextDataIntervalStart, d.NextDataIntervalEnd, d.NextDagrunCreateAfter = &logical, &start, &end, &after
	if err := s.cfg.Store.SetNextDagrun(ctx, d); err != nil {
		s.cfg.Log.Warn("record next run", "dag_id", dagID, "err", err)
	}
}

func (s *Scheduler) latestScheduled(ctx context.Context, d *tasks.DAG) (*timetable.DataInterval, error) {
	runs, err := s.cfg.Store.ListDagRuns(ctx, d.DagID, "", 0)
	if err != nil {
		return nil, fmt.Errorf("list runs of %s: %w", d.DagID, err)
	}
	for _, r := range runs { // newest logical date first
		if r.RunType == "scheduled" {
			return &timetable.DataInterval{Start: r.DataIntervalStart, End: r.DataIntervalEnd}, nil
		}
	}
	return nil, nil
}

// activeRuns counts a DAG's queued and running runs.
func (s *Scheduler) activeRuns(dagID string) int {
	n := 0
	for k, r := range s.runs {
		if k.dagID == dagID && !r.run.State.Finished() {
			n++
		}
	}
	return n
}

// NewRun builds a queued run of d over iv and its task instances, ready to insert. A
// scheduled or backfill run's logical date is its interval's start (with timetable: trigger,
// its end: the tick); a manual one's is the date it was triggered for (Airflow), given as
// logicalDate.
func NewRun(d *tasks.DAG, runType string, iv timetable.DataInterval, logicalDate time.Time, conf map[string]any, runID string, now time.Time) (DagRun, []TaskInstance) {
	if logicalDate.IsZero() {
		logicalDate = timetable.For(d).LogicalDate(iv)
	}
	if runID == "" {
		runID = RunID(runType, logicalDate)
	}
	weights := d.PriorityWeights()
	tis := make([]TaskInstance, 0, len(d.Tasks))
	for _, t := range d.Tasks {
		tis = append(tis, TaskInstance{DagID: d.DagID, RunID: runID, TaskID: t.TaskID, MapIndex: -1, State: tasks.StateNone,
			MaxTries: t.Retries + 1, Pool: t.Pool, PoolSlots: t.PoolSlots, Queue: t.Queue, PriorityWeight: weights[t.TaskID]})
	}
	if conf == nil {
		conf = map[string]any{}
	}
	queued := now.UTC()
	return DagRun{DagID: d.DagID, RunID: runID, RunType: runType, State: tasks.RunQueued,
		LogicalDate: logicalDate, DataIntervalStart: iv.Start, DataIntervalEnd: iv.End, QueuedAt: &queued, Conf: conf,
		ExternalTrigger: runType == "manual"}, tis
}

// createRun inserts a run (queued) with a task instance per task and starts driving it.
func (s *Scheduler) createRun(ctx context.Context, d *tasks.DAG, runType string, iv timetable.DataInterval, logicalDate time.Time, conf map[string]any, runID string) (DagRun, error) {
	run, tis := NewRun(d, runType, iv, logicalDate, conf, runID, s.cfg.Now())
	run.OwnerJobID = s.job
	run, err := s.cfg.Store.CreateDagRun(ctx, run, tis)
	if err != nil {
		return DagRun{}, fmt.Errorf("create run %s of %s: %w", run.RunID, d.DagID, err)
	}
	return run, s.drive(ctx, d, run)
}

// drive starts driving a run this scheduler just created.
func (s *Scheduler) drive(ctx context.Context, d *tasks.DAG, run DagRun) error {
	stored, err := s.cfg.Store.ListTaskInstances(ctx, d.DagID, run.RunID)
	if err != nil {
		return err
	}
	a := newActiveRun(run, d, stored)
	s.runs[runKey{d.DagID, run.RunID}] = a
	s.pastRunAdded(a)
	if s.cfg.OnSaved != nil {
		s.cfg.OnSaved(Changes{Runs: []DagRun{run}, TaskInstances: stored})
	}
	s.planDue = true // the next run of this DAG may be due too (catchup)
	s.cfg.Log.Info("run created", "dag_id", d.DagID, "run_id", run.RunID)
	return nil
}

// startRuns moves queued runs to running, oldest logical date first, within max_active_runs.
func (s *Scheduler) startRuns(now time.Time) {
	var queued []*activeRun
	running := map[string]int{}
	for _, r := range s.runs {
		switch r.run.State {
		case tasks.RunQueued:
			queued = append(queued, r)
		case tasks.RunRunning:
			running[r.run.DagID]++
		}
	}
	sort.Slice(queued, func(i, j int) bool { return queued[i].run.LogicalDate.Before(queued[j].run.LogicalDate) })
	for _, r := range queued {
		if running[r.run.DagID] >= r.dag.MaxActiveRuns {
			continue
		}
		if s.paused[r.run.DagID] && !s.cfg.OnlyTheseRuns && r.run.RunType != "backfill" {
			continue // a paused DAG's runs wait in queued, as in Airflow; a backfill runs anyway
		}
		running[r.run.DagID]++
		r.run.State, r.dirty = tasks.RunRunning, true
		if r.run.StartDate == nil {
			t := now.UTC()
			r.run.StartDate = &t
		}
		if r.dag.DagrunTimeout > 0 {
			s.at(r.run.StartDate.Add(r.dag.DagrunTimeout), runKey{r.run.DagID, r.run.RunID})
		}
		s.changes.run(&r.run)
	}
}

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

// pokeExpr evaluates an expression sensor once.
func (s *Scheduler) pokeExpr(r *activeRun, t *tasks.Task, ti *TaskInstance, now time.Time) {
	s.changes.ti(ti)
	env, vars, err := s.env(r, t, ti)
	ok := false
	if err == nil {
		ok, err = vars.evalBool(t.Sensor.Condition, env)
	}
	switch {
	case err != nil:
		delete(r.poking, t.TaskID)
		s.note(ti, "%s", vars.mask(fmt.Sprintf("sensor %q failed: %v", t.Sensor.Condition.Source, err)))
		s.failTry(r, t, ti, vars.mask("sensor: "+err.Error()), now, false)
	case ok:
		delete(r.poking, t.TaskID)
		s.note(ti, "sensor %q is true", t.Sensor.Condition.Source)
		endTI(ti, tasks.StateSuccess, "", now)
		s.recordTry(r, ti)
	default:
		s.note(ti, "sensor %q is false", t.Sensor.Condition.Source)
		s.sensorNotMet(r, t, ti, now)
	}
}

// sensorNotMet schedules the next poke, or ends the sensor when its timeout (counted from the
// first poke, across retries) has passed: failed with no retry, or skipped with soft_fail.
func (s *Scheduler) sensorNotMet(r *activeRun, t *tasks.Task, ti *TaskInstance, now time.Time) {
	s.changes.ti(ti)
	if ti.FirstPokeAt == nil {
		first := now
		ti.FirstPokeAt = &first
	}
	waited := now.Sub(*ti.FirstPokeAt)
	if waited >= t.Sensor.Timeout {
		delete(r.poking, t.TaskID)
		reason := fmt.Sprintf("sensor timed out after %s", t.Sensor.Timeout)
		s.note(ti, "%s (counted from the first poke)", reason)
		if t.Sensor.SoftFail {
			endTI(ti, tasks.StateSkipped, reason+" (soft_fail)", now)
			s.recordTry(r, ti)
			return
		}
		s.failTry(r, t, ti, reason, now, true)
		return
	}
	r.pokes[t.TaskID]++
	next := now.Add(t.SensorPokeDelay(r.dag.DagID, r.run.LogicalDate, waited, r.pokes[t.TaskID]))
	if deadline := ti.FirstPokeAt.Add(t.Sensor.Timeout); next.After(deadline) {
		next = deadline // poke once more right at the timeout
	}
	ti.NextRetryAt = &next
	r.poking[t.TaskID] = true
	s.note(ti, "condition not met yet; next poke at %s", next.UTC().Format(time.RFC3339))
	if t.Sensor.Mode == "reschedule" {
		ti.State = tasks.StateUpForReschedule
	} else {
		ti.State = tasks.StateRunning // poke mode keeps its slot between pokes
	}
	s.wakeRun(r, next)
}

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

// env is the expression environment of a task instance, with XComs read from the run's cache,
// and what its evaluations take from Variables: reasons and log lines that may quote them are
// masked with it, as Viewers read both. The error is a mount that cannot be granted (its
// rendered folder leads outside the allowed ones): file_exists would answer false for ever, so
// the caller fails the task instead.
func (s *Scheduler) env(r *activeRun, t *tasks.Task, ti *TaskInstance) (tasks.Env, *varUse, error) {
	c, err := s.tryContext(r, t, ti)
	vars := c.record()
	if err != nil {
		return tasks.Env{}, vars, err
	}
	env, _, err := c.Env(r.dag, t)
	return env, vars, err
}

// tryContext is what a try of ti renders against. The error is a mapped task instance whose
// element cannot be found (its expand list, evaluated again after a restart, is shorter now).
func (s *Scheduler) tryContext(r *activeRun, t *tasks.Task, ti *TaskInstance) (TryContext, error) {
	ctx := context.Background()
	c := TryContext{
		RunID: r.run.RunID, TryNumber: ti.TryNumber, MapIndex: ti.MapIndex, LogicalDate: r.run.LogicalDate,
		DataIntervalStart: r.run.DataIntervalStart, DataIntervalEnd: r.run.DataIntervalEnd, Conf: r.run.Conf,
		TriggeringDatasetEvents: s.triggeringEvents(ctx, r),
		Now:                     s.cfg.Now,
		XCom: func(taskID string, key ...string) any {
			k := "return_value"
			if len(key) > 0 {
				k = key[0]
			}
			return r.xcomValue(ctx, s.cfg.Store, taskID, k)
		},
		Var: func(name string, def ...any) any {
			if v, err := s.cfg.Store.GetVariable(ctx, name); err == nil {
				return v.Value
			}
			if len(def) > 0 {
				return def[0]
			}
			return nil
		},
		TaskState: func(taskID string) string {
			return string(AggregateState(r.tis[taskID]))
		},
		DagRunState: func(dagID string, logicalDate any) string {
			return s.runStateAt(ctx, dagID, logicalDate)
		},
	}
	if t != nil && t.IsMapped() && ti.MapIndex >= 0 {
		item, err := s.mapItem(r, t, ti, c)
		if err != nil {
			return c, err
		}
		c.Item = item
	}
	return c, nil
}

// runStateAt answers dag_run_state(dag_id, logical_date) for external task sensors.
func (s *Scheduler) runStateAt(ctx context.Context, dagID string, logicalDate any) string {
	var at time.Time
	switch v := logicalDate.(type) {
	case time.Time:
		at = v
	case string:
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			if t, err = time.Parse("2006-01-02", v); err != nil {
				return ""
			}
		}
		at = t
	default:
		return ""
	}
	runs, err := s.cfg.Store.ListDagRuns(ctx, dagID, "", 0)
	if err != nil {
		return ""
	}
	for _, r := range runs {
		if r.LogicalDate.Equal(at) {
			return string(r.State)
		}
	}
	return ""
}

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
