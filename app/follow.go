package app

import (
	"context"
	"errors"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// FollowStore publishes to Events what other processes write to the metastore, every
// interval until ctx is done. A process with a scheduler of its own hears its changes as they
// are saved; `wasmflow webserver` has none (the scheduler runs in another process, as in
// Airflow's split deployment), so it reads again the runs that are active, those active at
// its last look (so their end is published), and those created since (a short run can be
// created and end between two looks), and publishes what differs from its last look.
func (a *App) FollowStore(ctx context.Context, every time.Duration) {
	f := &follower{store: a.Store, publish: a.Events.publishChanges, runs: map[runKey]runSeen{}}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := f.look(ctx); err != nil && ctx.Err() == nil {
			a.Log.Warn("webserver: could not read the metastore for live updates; retrying", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

type runKey struct{ dagID, runID string }

// runSeen is what the last look found of a run: its state and its task instances' states.
type runSeen struct {
	state tasks.DagRunState
	tis   map[scheduler.TIKey]tiSeen
}

// tiSeen is what a view shows of a task instance: a change of any of these is news.
type tiSeen struct {
	state tasks.TaskInstanceState
	try   int
	start time.Time
	end   time.Time
}

// followedStore is what the follower reads of the metastore.
type followedStore interface {
	ListDagRuns(ctx context.Context, dagID string, state tasks.DagRunState, limit int) ([]scheduler.DagRun, error)
	GetDagRun(ctx context.Context, dagID, runID string) (scheduler.DagRun, error)
	ListTaskInstances(ctx context.Context, dagID, runID string) ([]scheduler.TaskInstance, error)
	DagRunsAfter(ctx context.Context, afterID int64, limit int) ([]scheduler.DagRun, int64, error)
	LastDagRunID(ctx context.Context) (int64, error)
}

type follower struct {
	store   followedStore
	publish func(scheduler.Changes)
	runs    map[runKey]runSeen // the active runs of the last look
	lastID  int64              // the newest run of the last look
	primed  bool               // the first look publishes nothing: views load what is there
}

// look reads the runs to follow and publishes what changed since the last look.
func (f *follower) look(ctx context.Context) error {
	runs, err := f.toFollow(ctx)
	if err != nil {
		return err
	}
	next := map[runKey]runSeen{}
	var c scheduler.Changes
	for _, r := range runs {
		k := runKey{r.DagID, r.RunID}
		tis, err := f.store.ListTaskInstances(ctx, r.DagID, r.RunID)
		if err != nil {
			return err
		}
		before, known := f.runs[k]
		now := runSeen{state: r.State, tis: make(map[scheduler.TIKey]tiSeen, len(tis))}
		for _, ti := range tis {
			seen := tiSeen{state: ti.State, try: ti.TryNumber, start: at(ti.StartDate), end: at(ti.EndDate)}
			now.tis[ti.Key()] = seen
			if f.primed && (!known || before.tis[ti.Key()] != seen) {
				c.TaskInstances = append(c.TaskInstances, ti)
			}
		}
		if f.primed && (!known || before.state != r.State) {
			c.Runs = append(c.Runs, r)
		}
		if !r.State.Finished() {
			next[k] = now
		}
	}
	f.runs, f.primed = next, true
	if !c.Empty() {
		f.publish(c)
	}
	return nil
}

// toFollow is each run to read once: the active ones, those active at the last look, and
// those created since it.
func (f *follower) toFollow(ctx context.Context) ([]scheduler.DagRun, error) {
	var runs []scheduler.DagRun
	seen := map[runKey]bool{}
	add := func(rs ...scheduler.DagRun) {
		for _, r := range rs {
			if k := (runKey{r.DagID, r.RunID}); !seen[k] {
				seen[k] = true
				runs = append(runs, r)
			}
		}
	}
	if !f.primed {
		id, err := f.store.LastDagRunID(ctx)
		if err != nil {
			return nil, err
		}
		f.lastID = id
	} else {
		rs, last, err := f.store.DagRunsAfter(ctx, f.lastID, 0)
		if err != nil {
			return nil, err
		}
		add(rs...)
		f.lastID = last
	}
	for _, st := range []tasks.DagRunState{tasks.RunQueued, tasks.RunRunning} {
		rs, err := f.store.ListDagRuns(ctx, "", st, 0)
		if err != nil {
			return nil, err
		}
		add(rs...)
	}
	for k := range f.runs {
		if seen[k] {
			continue
		}
		r, err := f.store.GetDagRun(ctx, k.dagID, k.runID)
		if errors.Is(err, scheduler.ErrNotFound) {
			continue // deleted meanwhile: nothing to show
		}
		if err != nil {
			return nil, err
		}
		add(r)
	}
	return runs, nil
}

func at(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// ServeWeb keeps what the UI and API of `wasmflow webserver` read current until ctx is done:
// the DAG folder sync (the views show the DAGs' tasks and import errors) and the live updates
// of what the scheduler, another process, writes. It takes no scheduler lock: a webserver
// runs beside `wasmflow scheduler` on one home, and several run on one PostgreSQL database.
func (a *App) ServeWeb(ctx context.Context) error {
	go a.FollowStore(ctx, time.Second)
	err := a.Dags.Run(ctx, a.Config.Scheduler.DagDirListInterval, a.announce)
	if ctx.Err() != nil {
		return nil
	}
	return err
}
