package scheduler

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/wasmflow/wasmflow/tasks"
)

// Several active schedulers on one metastore (Config.Jobs), as Airflow 2 runs them, with
// leases in the database instead of row locks so that SQLite and PostgreSQL behave alike:
//
//   - Each scheduler records a scheduler_job and heartbeats it. A job not heard from for
//     OrphanTimeout is dead.
//   - Each run is driven by one job, its owner (dag_run.owner_job_id): the scheduler that
//     created it, or the one that took it over (ClaimRun, a conditional UPDATE) when it had
//     no owner (the CLI or the API without a scheduler created it) or its owner died.
//   - Every write of a scheduling step names its job (Changes.Owner), and the metastore
//     refuses it for runs the job no longer owns, in the same transaction: a scheduler taken
//     for dead while it lived (a long pause) cannot overwrite what another now drives, and
//     a try is handed to an executor only once its dispatch is written, so no try number is
//     dispatched twice.
//   - A run for a scheduled interval has one run_id, unique per DAG: the scheduler that loses
//     the race to create it takes the conflict as "another scheduler created it".

// startJob records this scheduler's job and heartbeats it until the returned stop is called
// (when Run returns: the shutdown's grace is still heartbeaten).
func (s *Scheduler) startJob(ctx context.Context) (stop func(), err error) {
	s.job, err = s.cfg.Jobs.StartJob(ctx, s.cfg.Hostname, s.cfg.Now())
	if err != nil {
		return nil, fmt.Errorf("register this scheduler in the metastore: %w", err)
	}
	s.cfg.Log.Info("scheduler job started", "job_id", s.job, "hostname", s.cfg.Hostname)
	bctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.heartbeat(bctx)
	}()
	return func() { cancel(); <-done }, nil
}

// heartbeat tells the other schedulers this one lives, every HeartbeatInterval. It runs beside
// the loop, so a long step does not make this scheduler look dead; a scheduler whose loop is
// stuck keeps its runs, as one that is slow does.
func (s *Scheduler) heartbeat(ctx context.Context) {
	t := time.NewTicker(s.cfg.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.cfg.Jobs.Heartbeat(ctx, s.job, s.cfg.Now()); err != nil && ctx.Err() == nil {
			s.cfg.Log.Warn("scheduler heartbeat", "job_id", s.job, "err", err)
		}
	}
}

// endJob records a clean stop: the job's runs are released for the others to take at once,
// without waiting for the orphan timeout.
func (s *Scheduler) endJob() error {
	if s.job == 0 {
		return nil
	}
	if err := s.cfg.Jobs.EndJob(context.Background(), s.job, s.cfg.Now()); err != nil {
		s.cfg.Log.Warn("end scheduler job; its runs are taken over after scheduler.orphan_timeout", "job_id", s.job, "err", err)
	}
	return nil
}

// pollOwned is poll's look at the runs with Config.Jobs: it refreshes which jobs live, keeps
// driving the runs this job owns, lets go of runs another job took over, and claims a fair
// share of the runs nobody live owns.
func (s *Scheduler) pollOwned(ctx context.Context, parsed map[string]*tasks.DAG) error {
	now := s.cfg.Now()
	jobs, err := s.cfg.Jobs.ListJobs(ctx)
	if err != nil {
		return err
	}
	alive := map[int64]bool{s.job: true}
	for _, j := range jobs {
		s.jobHosts[j.ID] = j.Hostname
		if j.Alive(now, s.cfg.OrphanTimeout) {
			alive[j.ID] = true
		}
	}
	s.live = len(alive)
	s.aliveJobs = alive
	var orphans []DagRun
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
			switch {
			case run.OwnerJobID == s.job:
				if cur != nil && !(run.State == tasks.RunQueued && cur.run.State == tasks.RunRunning) {
					continue // ours, unchanged
				}
				if d := parsed[run.DagID]; d != nil {
					if err := s.load(ctx, run, d, cur, ""); err != nil {
						return err
					}
				}
			case cur != nil:
				s.letGo(cur, fmt.Sprintf("scheduler job %d took it over", run.OwnerJobID))
			case !alive[run.OwnerJobID] && parsed[run.DagID] != nil:
				orphans = append(orphans, run)
			}
		}
	}
	return s.claimShare(ctx, orphans, parsed, now)
}

// claimShare takes over this scheduler's share of runs without a live owner: all of them
// divided by the live schedulers, in random order so that two schedulers polling at once
// mostly claim different runs. The rest is left to the others, or to the next poll.
func (s *Scheduler) claimShare(ctx context.Context, orphans []DagRun, parsed map[string]*tasks.DAG, now time.Time) error {
	rand.Shuffle(len(orphans), func(i, j int) { orphans[i], orphans[j] = orphans[j], orphans[i] })
	share := (len(orphans) + s.live - 1) / s.live
	for _, run := range orphans[:share] {
		ok, err := s.cfg.Jobs.ClaimRun(ctx, s.job, run.DagID, run.RunID, now.Add(-s.cfg.OrphanTimeout))
		if err != nil {
			return err
		}
		if !ok {
			continue // another scheduler claimed it first
		}
		deadHost := ""
		if run.OwnerJobID != 0 {
			deadHost = s.jobHosts[run.OwnerJobID]
			s.cfg.Log.Warn("adopting a run of a scheduler not heard from", "dag_id", run.DagID, "run_id", run.RunID,
				"dead_job_id", run.OwnerJobID, "hostname", deadHost, "orphan_timeout", s.cfg.OrphanTimeout)
			if a, ok := s.cfg.Executor.(Adopter); ok && s.adoptUntil.Before(now.Add(a.AdoptWithin())) {
				// Its workers may still report the tries they run, to whichever server they reach.
				s.adoptUntil = now.Add(a.AdoptWithin())
			}
		}
		run.OwnerJobID = s.job
		if err := s.load(ctx, run, parsed[run.DagID], nil, deadHost); err != nil {
			return err
		}
	}
	return nil
}

// own makes sure this scheduler may change a run it does not drive now (a clear, a mark, a
// command): without Config.Jobs it may; with it, it claims the run, and ErrOwnedElsewhere
// says another live scheduler drives it.
func (s *Scheduler) own(ctx context.Context, dagID, runID string) error {
	if s.cfg.Jobs == nil || s.runs[runKey{dagID, runID}] != nil {
		return nil
	}
	ok, err := s.cfg.Jobs.ClaimRun(ctx, s.job, dagID, runID, s.cfg.Now().Add(-s.cfg.OrphanTimeout))
	if err != nil {
		return err
	}
	if !ok {
		if _, err := s.cfg.Store.GetDagRun(ctx, dagID, runID); errors.Is(err, ErrNotFound) {
			return nil // no such run: the change says so
		}
		return fmt.Errorf("run %s of DAG %s: %w", runID, dagID, ErrOwnedElsewhere)
	}
	return nil
}

// letGo stops driving a run another job owns now; the tries this process runs for it are
// killed, their results no longer awaited (the new owner decides about them).
func (s *Scheduler) letGo(r *activeRun, why string) {
	k := runKey{r.run.DagID, r.run.RunID}
	delete(s.runs, k)
	r.all(func(ti *TaskInstance) {
		key := ti.Key()
		if try, ok := s.submitted[key]; ok && try == ti.TryNumber {
			s.cfg.Executor.Kill(key, try)
			delete(s.submitted, key)
		}
		delete(s.unclaimed, key)
	})
	s.cfg.Log.Warn("no longer driving a run: "+why, "dag_id", r.run.DagID, "run_id", r.run.RunID, "job_id", s.job)
}

// dropRuns lets go of the runs a Save refused (lost.Runs) and returns c without their changes,
// and forgets the tries of theirs that were about to be handed to the executor.
func (s *Scheduler) dropRuns(c Changes, lost *NotOwnerError) Changes {
	gone := map[runKey]bool{}
	for _, k := range lost.Runs {
		gone[runKey{k.DagID, k.RunID}] = true
		if r := s.runs[runKey{k.DagID, k.RunID}]; r != nil {
			s.letGo(r, "another scheduler took it over while this one wrote")
		}
	}
	keep := func(dagID, runID string) bool { return !gone[runKey{dagID, runID}] }
	c.Runs = filter(c.Runs, func(r DagRun) bool { return keep(r.DagID, r.RunID) })
	c.TaskInstances = filter(c.TaskInstances, func(ti TaskInstance) bool { return keep(ti.DagID, ti.RunID) })
	c.Expanded = filter(c.Expanded, func(ti TaskInstance) bool { return keep(ti.DagID, ti.RunID) })
	c.Tries = filter(c.Tries, func(t TaskTry) bool { return keep(t.DagID, t.RunID) })
	c.ClearXComs = filter(c.ClearXComs, func(k TIKey) bool { return keep(k.DagID, k.RunID) })
	c.XComs = filter(c.XComs, func(x XCom) bool { return keep(x.DagID, x.RunID) })
	c.Calls = filter(c.Calls, func(t TryCalls) bool { return keep(t.Key.DagID, t.Key.RunID) })
	c.Audit = filter(c.Audit, func(e AuditEvent) bool { return e.RunID == "" || keep(e.DagID, e.RunID) })
	c.DatasetEvents = filter(c.DatasetEvents, func(e DatasetEvent) bool { return keep(e.SourceDagID, e.SourceRunID) })
	c.Callbacks = filter(c.Callbacks, func(r CallbackRequest) bool { return keep(r.DagID, r.RunID) })
	c.SLAMisses = filter(c.SLAMisses, func(m SLAMiss) bool { return keep(m.DagID, m.RunID) })
	s.submits = filter(s.submits, func(sub submission) bool { return keep(sub.w.DagID, sub.w.RunID) })
	s.ended = filter(s.ended, func(r DagRun) bool { return keep(r.DagID, r.RunID) })
	return c
}

func filter[T any](xs []T, keep func(T) bool) []T {
	out := xs[:0]
	for _, x := range xs {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

// roomForRun reports whether d may have one more scheduled run created by this scheduler.
// Alone, that is max_active_runs of its own. With Config.Jobs, the DAG's active runs in the
// metastore, every scheduler's, must be under max_active_runs (active counts them, read once
// per look, -1 until then), and this scheduler creates at most its share of them, so the
// runs of a DAG spread over the live schedulers instead of all going to the quickest.
func (s *Scheduler) roomForRun(ctx context.Context, d *tasks.DAG, active *int) bool {
	own := s.activeRuns(d.DagID)
	if s.cfg.Jobs == nil {
		return own < d.MaxActiveRuns
	}
	if *active < 0 {
		n := 0
		for _, state := range []tasks.DagRunState{tasks.RunQueued, tasks.RunRunning} {
			runs, err := s.cfg.Store.ListDagRuns(ctx, d.DagID, state, 0)
			if err != nil {
				s.cfg.Log.Error("count the active runs", "dag_id", d.DagID, "err", err)
				return false
			}
			n += len(runs)
		}
		*active = n
	}
	share := (d.MaxActiveRuns + s.live - 1) / s.live
	return *active < d.MaxActiveRuns && own < share
}
