package scheduler_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/scheduler/metastore"
	"github.com/wasmflow/wasmflow/scheduler/schedulertest"
	"github.com/wasmflow/wasmflow/tasks"
)

// executions is the side effect the HA tests count: every try any scheduler's executor ran,
// by task instance and try number. While paused, tries wait to run: a test stops the runs'
// progress that way, to kill a scheduler while it holds some.
type executions struct {
	mu     sync.Mutex
	n      map[tryKey]int
	paused bool
	parked []func()
	// parkedRuns are the runs with a parked try or result: none of them can end while
	// paused.
	parkedRuns map[string]bool
	// pauseAt, if not 0, pauses the executions once that many tries ran, and closes
	// pausedAt.
	pauseAt  int
	pausedAt chan struct{}
}

// park holds run, a step of a try of runID, until resume while paused, else runs it now.
func (e *executions) park(runID string, run func()) {
	e.mu.Lock()
	if e.pauseAt > 0 && len(e.n) >= e.pauseAt {
		e.pauseAt, e.paused = 0, true
		close(e.pausedAt)
	}
	if e.paused {
		e.parked = append(e.parked, run)
		e.parkedRuns[runID] = true
		e.mu.Unlock()
		return
	}
	e.mu.Unlock()
	run()
}

func (e *executions) resume() {
	e.mu.Lock()
	parked := e.parked
	e.paused, e.parked, e.parkedRuns = false, nil, map[string]bool{}
	e.mu.Unlock()
	for _, run := range parked {
		go run()
	}
}

type tryKey struct {
	scheduler.TIKey
	try int
}

func (e *executions) add(k scheduler.TIKey, try int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.n[tryKey{k, try}]++
}

// countingExecutor runs each try at once in memory: it records the execution and reports
// success from its host. crash is kill -9: from then on it runs and reports nothing.
type countingExecutor struct {
	host string
	runs *executions

	mu      sync.Mutex
	results chan<- scheduler.TryResult
	dead    chan struct{}
}

func (e *countingExecutor) Start(_ context.Context, results chan<- scheduler.TryResult) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.results = results
	return nil
}

func (e *countingExecutor) Submit(w scheduler.Workload, _ func(string, string) ([]byte, bool)) {
	key := w.Key()
	e.runs.park(w.RunID, func() {
		select {
		case <-e.dead:
			return // it died with its scheduler before it started
		default:
		}
		e.runs.add(key, w.TryNumber)
		now := time.Now()
		res := scheduler.TryResult{Key: key, TryNumber: w.TryNumber, State: tasks.StateSuccess, Hostname: e.host, StartDate: now, EndDate: now}
		go e.runs.park(w.RunID, func() { // a pause holds the results too, so that runs stop ending
			select {
			case e.results <- res:
			case <-e.dead:
			}
		})
	})
}

func (e *countingExecutor) Kill(scheduler.TIKey, int)  {}
func (e *countingExecutor) Stop(context.Context) error { return nil }
func (e *countingExecutor) crash()                     { close(e.dead) }

// crashableStore is one scheduler's own connection to the metastore (another process's, as
// far as SQLite can tell). crash cuts it: nothing that scheduler does reaches the database
// any more, neither writes nor heartbeats, as after kill -9.
type crashableStore struct {
	*schedulertest.Store
	dead atomic.Bool
	// silent drops the heartbeats alone: the scheduler lives and writes, yet looks dead.
	silent atomic.Bool
}

var errCrashed = errors.New("the scheduler was killed")

// newCrashableStore fails base's writes once dead (its reads go on: they change nothing).
func newCrashableStore(base *metastore.Store) *crashableStore {
	s := &crashableStore{Store: &schedulertest.Store{Base: base}}
	s.SaveFunc = func(ctx context.Context, c scheduler.Changes) error {
		if s.dead.Load() {
			return errCrashed
		}
		return base.Save(ctx, c)
	}
	s.CreateDagRunFunc = func(ctx context.Context, run scheduler.DagRun, tis []scheduler.TaskInstance) (scheduler.DagRun, error) {
		if s.dead.Load() {
			return scheduler.DagRun{}, errCrashed
		}
		return base.CreateDagRun(ctx, run, tis)
	}
	s.SetNextDagrunFunc = func(ctx context.Context, d scheduler.Dag) error {
		if s.dead.Load() {
			return errCrashed
		}
		return base.SetNextDagrun(ctx, d)
	}
	s.FinishCommandFunc = func(ctx context.Context, id int64, result string) error {
		if s.dead.Load() {
			return errCrashed
		}
		return base.FinishCommand(ctx, id, result)
	}
	s.HeartbeatFunc = func(ctx context.Context, id int64, now time.Time) error {
		if s.dead.Load() || s.silent.Load() {
			return errCrashed
		}
		return base.Heartbeat(ctx, id, now)
	}
	s.ClaimRunFunc = func(ctx context.Context, job int64, dagID, runID string, deadBefore time.Time) (bool, error) {
		if s.dead.Load() {
			return false, errCrashed
		}
		return base.ClaimRun(ctx, job, dagID, runID, deadBefore)
	}
	s.EndJobFunc = func(ctx context.Context, id int64, now time.Time) error {
		if s.dead.Load() {
			return errCrashed
		}
		return base.EndJob(ctx, id, now)
	}
	return s
}

// parkedAmong counts the runs of runIDs that have a parked try or result.
func (e *executions) parkedAmong(runIDs []string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, id := range runIDs {
		if e.parkedRuns[id] {
			n++
		}
	}
	return n
}
