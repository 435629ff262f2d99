package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/wasmflow/wasmflow/scheduler/timetable"
	"github.com/wasmflow/wasmflow/tasks"
)

// Config is what a Scheduler needs. Store, Executor and Dags are required.
type Config struct {
	Store    RunStore
	Executor Executor
	// Dags returns the DAGs as last parsed (the DagSyncer's). It is called on every poll and
	// look at the schedules (a schedule due, a run created or ended, a Wake), not every step.
	Dags func() map[string]*tasks.DAG
	// Parallelism caps module tries running at once on this scheduler (core.parallelism).
	Parallelism int
	// MaxMapLength is the most task instances a mapped task may expand into
	// (core.max_map_length); 0: Airflow's 1024.
	MaxMapLength int
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Poll is how often the metastore is read for runs created or reset by another process
	// (the CLI), paused flags and pools. Default 1s.
	Poll time.Duration
	// DefaultExecutionTimeout is the execution_timeout of a try whose task sets none
	// (core.default_task_execution_timeout); 0: none.
	DefaultExecutionTimeout time.Duration
	// Hostname is recorded on the tries this scheduler's executor runs.
	Hostname string
	Log      *slog.Logger
	// OnRunFinished, if set, is called from the scheduling loop when a run ends; it must not block.
	OnRunFinished func(DagRun)
	// OnSaved, if set, is called from the scheduling loop with what was just written — runs
	// created or changed, task instances changed — for live views; it must not block.
	OnSaved func(Changes)
	// RunFilter, if set, limits the scheduler to the runs it accepts (a standalone leaves
	// `dags test` runs to the process testing them).
	RunFilter func(DagRun) bool
	// LogsFolder is where try logs are written; the scheduler adds lines for what it runs
	// itself (expression sensors and branches) and decides (timeouts, lost tries).
	LogsFolder string
	// OnlyTheseRuns makes a scheduler that drives given runs and nothing else: no scheduled
	// runs, and pause ignored (`dags test`, a backfill run in the CLI's process).
	OnlyTheseRuns bool
	// Jobs, if set, makes this scheduler one of several active ones on the metastore (Airflow
	// 2's HA scheduler): it records a job that it heartbeats every HeartbeatInterval, and
	// drives only the runs it owns: those it creates, and those it takes over from no owner or
	// from a job not heard from for OrphanTimeout. Nil: it drives every run (one scheduler per
	// metastore, which the home's lock ensures).
	Jobs              JobStore
	HeartbeatInterval time.Duration // default 2s
	OrphanTimeout     time.Duration // default 15s
}

// Scheduler drives DagRuns: it creates them on their schedules, decides which task instances
// may run, dispatches them to the Executor, and applies what comes back. One goroutine (Run)
// owns all scheduling state; everything else reaches it through do.
type Scheduler struct {
	cfg     Config
	results chan TryResult
	cmds    chan func()
	wake    chan struct{}

	runs      map[runKey]*activeRun
	timers    timerHeap
	paused    map[string]bool
	pools     map[string]int                     // slots by pool; -1 = unlimited
	lastSched map[string]*timetable.DataInterval // per DAG: its latest scheduled run's interval, nil = none
	known     map[string]bool                    // DAGs whose latest scheduled run has been read

	changes changeSet
	submits []submission
	ended   []DagRun // runs that ended in this step, announced after it is written
	// submitted holds the try number of every try handed to the executor and not reported
	// back yet: a running task instance not in it belongs to a process that is gone.
	submitted map[TIKey]int
	// startedInBatch holds the tries reported running by the results applied since the last
	// step, and held a try's end that arrived in the same burst: it waits for the next step, so
	// that the running state is written (and streamed) before the end, however fast the try.
	startedInBatch map[TIKey]bool
	held           *TryResult
	// unclaimed holds, until adoptUntil, the tries a previous process left queued or running
	// that an Adopter may still claim (its workers reconnecting); then the rest are lost.
	unclaimed  map[TIKey]int
	adoptUntil time.Time
	// planDue asks the next step to look at the DAG schedules (set by a schedule timer, a
	// poll, a wake or a run ending), so an ordinary step costs nothing per DAG.
	planDue bool
	// pastWaiters are, by run, the runs with a task instance held by depends_on_past until
	// that run changes.
	pastWaiters map[runKey]map[runKey]bool
	// planAt is when the pending schedule timer fires (zero: none). A look at the schedules
	// looks at every DAG, so one timer, at the soonest run due, is all the heap holds for
	// them, however often the schedules are looked at.
	planAt  time.Time
	planned map[string]time.Time // per DAG: the next run recorded on its row
	// job is this scheduler's scheduler_job with Config.Jobs (0: none), live how many jobs
	// were alive at the last poll (this one included), jobHosts the host of every job seen.
	job  int64
	live int
	// aliveJobs are the jobs alive at the last poll (this one included).
	aliveJobs map[int64]bool
	jobHosts  map[int64]string
	// callbacksDue asks the next step to read the pending callback requests (after a Save
	// that wrote some, and at start); callbacks are those running by request ID,
	// callbackTries the same by their try's key; raisedFor the runs this process raised
	// callbacks for.
	callbacksDue bool
	// callbacksWaiting says a pending request waits for its DAG to be parsed: polls retry it.
	callbacksWaiting bool
	callbacks        map[int64]CallbackRequest
	callbackTries    map[callbackTry]int64
	raisedFor        map[runKey]bool
	stopped          chan struct{} // closed when Run returns
	ready            chan struct{} // closed once recovery is done
}

type runKey struct{ dagID, runID string }

type submission struct {
	w Workload
}

// New returns a scheduler; Run starts it.
func New(cfg Config) *Scheduler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Parallelism <= 0 {
		cfg.Parallelism = 32
	}
	if cfg.MaxMapLength <= 0 {
		cfg.MaxMapLength = tasks.DefaultMaxMapLength
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Hostname == "" {
		cfg.Hostname, _ = os.Hostname()
	}
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = 2 * time.Second
	}
	if cfg.OrphanTimeout <= 0 {
		cfg.OrphanTimeout = 15 * time.Second
	}
	return &Scheduler{
		cfg: cfg, results: make(chan TryResult, 1024), cmds: make(chan func()), wake: make(chan struct{}, 1),
		runs: map[runKey]*activeRun{}, paused: map[string]bool{}, pools: map[string]int{},
		lastSched: map[string]*timetable.DataInterval{}, known: map[string]bool{}, ready: make(chan struct{}),
		changes: newChangeSet(), submitted: map[TIKey]int{}, startedInBatch: map[TIKey]bool{}, unclaimed: map[TIKey]int{}, planDue: true, planned: map[string]time.Time{},
		stopped: make(chan struct{}), live: 1, jobHosts: map[int64]string{},
		callbacksDue: true, callbacks: map[int64]CallbackRequest{}, callbackTries: map[callbackTry]int64{}, raisedFor: map[runKey]bool{},
		pastWaiters: map[runKey]map[runKey]bool{},
	}
}

// Wake asks the loop to look at the DAGs again (after a DAG folder sync, say). It never blocks.
func (s *Scheduler) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// errStopped is returned by commands sent to a scheduler that is not running.
var errStopped = errors.New("the scheduler is not running")

// do runs fn on the scheduling loop, writes what it changed, and waits for both.
func (s *Scheduler) do(ctx context.Context, fn func() error) error {
	select {
	case <-s.ready:
	case <-s.stopped:
		return errStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	errc := make(chan error, 1)
	// The reply waits until the command's changes are written, so a caller that reads the
	// metastore next sees them.
	run := func() {
		err := fn()
		if ferr := s.flush(ctx); err == nil {
			err = ferr
		}
		errc <- err
	}
	select {
	case s.cmds <- run:
	case <-s.stopped:
		return errStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run schedules until ctx is done, then stops the executor, letting running tries finish for
// up to grace. Tries still running then are failed as lost on the next start.
func (s *Scheduler) Run(ctx context.Context, grace time.Duration) error {
	defer close(s.stopped)
	// Tries outlive the scheduler's context: on shutdown they get the grace period to finish
	// (Executor.Stop), and are killed only after it.
	if err := s.cfg.Executor.Start(context.WithoutCancel(ctx), s.results); err != nil {
		return fmt.Errorf("start executor: %w", err)
	}
	if a, ok := s.cfg.Executor.(Adopter); ok {
		s.adoptUntil = s.cfg.Now().Add(a.AdoptWithin())
	}
	if s.cfg.Jobs != nil {
		stopBeat, err := s.startJob(ctx)
		if err != nil {
			return errors.Join(err, s.cfg.Executor.Stop(context.Background()))
		}
		defer stopBeat()
	}
	if err := s.recover(ctx); err != nil {
		if ctx.Err() != nil { // stopped while starting: nothing was lost
			return s.cfg.Executor.Stop(context.Background())
		}
		return fmt.Errorf("recover runs from the metastore: %w", err)
	}
	close(s.ready)
	poll := time.NewTicker(s.cfg.Poll)
	defer poll.Stop()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if err := s.step(ctx); err != nil {
			return err
		}
		clear(s.startedInBatch)
		if res := s.held; res != nil {
			s.held = nil
			s.handleResult(ctx, *res)
			s.drainResults(ctx, true)
			continue
		}
		timer.Reset(s.untilNextTimer())
		select {
		case <-ctx.Done():
			if err := s.shutdown(grace); err != nil {
				return err
			}
			return s.endJob()
		case res := <-s.results:
			s.handleResult(ctx, res)
			s.drainResults(ctx, true)
		case fn := <-s.cmds:
			fn()
		case <-s.wake:
			s.planDue = true
		case <-poll.C:
			s.planDue = true
			s.callbacksDue = s.callbacksDue || s.callbacksWaiting
			if err := s.poll(ctx); err != nil {
				s.cfg.Log.Error("read metastore", "err", err)
			}
		case <-timer.C:
			s.fireTimers()
		}
	}
}

// drainResults applies every result already waiting, so a burst of finished tries costs one
// step and one transaction. With split, the end of a try reported running in this burst is
// held for the next step instead (see startedInBatch).
func (s *Scheduler) drainResults(ctx context.Context, split bool) {
	for {
		select {
		case res := <-s.results:
			if split && !res.Progress() && s.startedInBatch[res.Key] {
				s.held = &res
				return
			}
			s.handleResult(ctx, res)
		default:
			return
		}
	}
}

func (s *Scheduler) shutdown(grace time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- s.cfg.Executor.Stop(ctx) }()
	// Keep recording results while the executor drains, so finished tries are not lost.
	for {
		select {
		case res := <-s.results:
			s.handleResult(ctx, res)
			s.drainResults(ctx, false)
			s.evaluateDirty(s.cfg.Now())
			if err := s.flush(context.Background()); err != nil {
				return err
			}
		case err := <-stopped:
			s.drainResults(ctx, false)
			s.evaluateDirty(s.cfg.Now())
			if ferr := s.flush(context.Background()); ferr != nil {
				return ferr
			}
			if err != nil {
				s.cfg.Log.Warn("tries still running when the shutdown grace ended were stopped; they run again at the next start, without using a retry", "err", err)
			}
			return nil
		}
	}
}

// step is one scheduling decision: create due runs, start queued ones, decide every changed
// run's task instances, dispatch what may run, write it all, then hand the tries over.
func (s *Scheduler) step(ctx context.Context) error {
	now := s.cfg.Now()
	if len(s.unclaimed) > 0 && !now.Before(s.adoptUntil) {
		s.giveUpUnclaimed(now)
	}
	if s.planDue {
		s.planDue = false
		s.refreshDags(now)
		if err := s.scheduleDags(ctx, now); err != nil {
			s.cfg.Log.Error("create scheduled runs", "err", err)
		}
	}
	s.startRuns(now)
	// Deciding can dirty runs again (a try that fails to render at dispatch); repeat until
	// nothing changes, so no decision waits for an event that will not come.
	for i := 0; i < 10; i++ {
		s.evaluateDirty(now)
		s.dispatch(ctx, now)
		if !s.anyDirty() {
			break
		}
	}
	if err := s.flush(ctx); err != nil {
		return err
	}
	s.submitAll(ctx)
	s.runCallbacks(ctx)
	return nil
}

// refreshDags gives active runs the DAG as last parsed: a task removed from the file becomes
// removed in its running runs, as in Airflow. (A task added mid-run joins the next run.)
func (s *Scheduler) refreshDags(now time.Time) {
	dags := s.cfg.Dags()
	for _, r := range s.runs {
		d := dags[r.run.DagID]
		if d == nil || d == r.dag {
			continue
		}
		r.dag, r.order, r.weights, r.dirty = d, d.TopologicalOrder(), d.PriorityWeights(), true
		for _, ti := range r.orphans(now) {
			s.changes.ti(ti)
		}
	}
}

// note adds a line to the log of a task instance's current try.
func (s *Scheduler) note(ti *TaskInstance, format string, args ...any) {
	appendLog(s.cfg.LogsFolder, ti.Key(), ti.TryNumber, fmt.Sprintf(format, args...))
}

func (s *Scheduler) evaluateDirty(now time.Time) {
	for _, r := range s.runs {
		if r.dirty && r.run.State == tasks.RunRunning && !s.frozen(r) {
			s.evaluate(r, now)
		}
	}
}

func (s *Scheduler) anyDirty() bool {
	for _, r := range s.runs {
		if r.dirty && r.run.State == tasks.RunRunning && !s.frozen(r) {
			return true
		}
	}
	return false
}

// frozen reports whether a run waits for its DAG to be unpaused: as in Airflow, a paused DAG's
// runs start no new task instances (tries already running finish). Backfills and the runs of
// a scheduler for given runs only are not held.
func (s *Scheduler) frozen(r *activeRun) bool {
	return s.paused[r.run.DagID] && !s.cfg.OnlyTheseRuns && r.run.RunType != "backfill"
}

// flush writes the step's changes. The metastore is the truth: if it cannot be written the
// scheduler stops rather than run tries nobody recorded.
func (s *Scheduler) flush(ctx context.Context) error {
	c := s.changes.take()
	if c.Empty() {
		s.announce()
		return nil
	}
	c.Owner = s.job
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = s.cfg.Store.Save(context.WithoutCancel(ctx), c)
		var lost *NotOwnerError
		if errors.As(err, &lost) {
			// Another scheduler took these runs over: they are its now. The rest is written.
			c = s.dropRuns(c, lost)
			attempt--
			continue
		}
		if err == nil {
			if len(c.DatasetEvents) > 0 {
				s.planDue = true // a DAG scheduled on these datasets may be due now
			}
			if len(c.Callbacks) > 0 {
				s.callbacksDue = true
			}
			if s.cfg.OnSaved != nil {
				s.cfg.OnSaved(c)
			}
			s.announce()
			return nil
		}
		time.Sleep(time.Duration(attempt+1) * 50 * time.Millisecond)
	}
	return fmt.Errorf("write scheduling decisions to the metastore: %w", err)
}

// announce tells OnRunFinished about the runs that ended, now that it is written.
func (s *Scheduler) announce() {
	for _, run := range s.ended {
		if s.cfg.OnRunFinished != nil {
			s.cfg.OnRunFinished(run)
		}
	}
	s.ended = s.ended[:0]
}

func (s *Scheduler) submitAll(ctx context.Context) {
	for _, sub := range s.submits {
		w := sub.w
		s.submitted[w.Key()] = w.TryNumber
		s.cfg.Executor.Submit(w, func(taskID, key string) ([]byte, bool) {
			x, err := s.cfg.Store.GetXCom(context.WithoutCancel(ctx), w.DagID, w.RunID, taskID, key)
			return x.Value, err == nil
		})
	}
	s.submits = s.submits[:0]
}
