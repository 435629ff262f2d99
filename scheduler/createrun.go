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
