package app

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/wasmflow/wasmflow/app/config"
	"github.com/wasmflow/wasmflow/cluster"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/scheduler/metastore"
	"github.com/wasmflow/wasmflow/scheduler/timetable"
	"github.com/wasmflow/wasmflow/tasks"
)

// LockedError says another scheduler holds the home or the shared metastore, or that Shared
// servers drive the shared metastore (the CLI then leaves the work to them).
type LockedError struct {
	Path, PID string
	Database  string // a shared metastore's (PostgreSQL), without its password; "" for a home's
	Shared    int
}

func (e *LockedError) Error() string {
	if e.Shared > 0 {
		return fmt.Sprintf("%d wasmflow server(s) drive the metastore %s; they run this: do it through the API of one (cli.server), or stop them first", e.Shared, e.Database)
	}
	who := "another wasmflow scheduler"
	if e.PID != "" {
		who += " (pid " + e.PID + ")"
	}
	if e.Database != "" {
		return who + " is running on the metastore " + e.Database + " (on this machine or another); stop it first"
	}
	return who + " is running on this home and drives its runs; stop it first (to run a second wasmflow beside it, give that one another WASMFLOW_HOME)"
}

// lockScheduling takes the right to schedule the metastore's runs from this process, the one
// place that decides how: a SQLite metastore is this home's, and the home's file lock
// (lock_unix.go) keeps a second scheduler out. A PostgreSQL one is shared by every home and
// machine configured with it: a server (server true) takes no lock there, as several drive
// it at once, each through its scheduler job (scheduler.Config.Jobs); anything else that
// would schedule or write runs (the CLI driving a backfill, a clear without a server) is
// refused while a server's job lives, and otherwise takes the database's scheduler lock
// (metastore.Store.LockScheduler). The error is a *LockedError when it is refused.
func (a *App) lockScheduling(server bool) (release func(), err error) {
	if !a.Store.Shared() {
		return lockScheduler(a.Config.Home)
	}
	if server {
		return func() {}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if n, err := a.liveSchedulers(ctx); err != nil {
		return nil, err
	} else if n > 0 {
		return nil, &LockedError{Database: a.Store.Where(), Shared: n}
	}
	release, ok, err := a.Store.LockScheduler(ctx)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, &LockedError{Database: a.Store.Where()}
	}
	return release, nil
}

// SchedulerRunning reports whether a standalone or server process drives this home's
// metastore now (on PostgreSQL: a server's scheduler job is alive).
func (a *App) SchedulerRunning() bool {
	release, err := a.lockScheduling(false)
	if err != nil {
		return true
	}
	release()
	return false
}

// SchedulerLocked is the error a server or standalone starting here would meet: a *LockedError
// naming the home (SQLite) while another scheduler drives it, nil when none does, and always
// nil on PostgreSQL, which several servers drive at once.
func (a *App) SchedulerLocked() error {
	release, err := a.lockScheduling(true)
	if err != nil {
		return err
	}
	release()
	return nil
}

// newScheduler builds a scheduler on this home's metastore with the local executor.
func (a *App) newScheduler(ctx context.Context, filter func(scheduler.DagRun) bool, only bool, onEnd func(scheduler.DagRun)) (*scheduler.Scheduler, error) {
	r, err := a.Runner(ctx)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	return scheduler.New(a.withJobs(scheduler.Config{
		Store: a.Store, Executor: &cluster.LocalExecutor{Runner: r, LogsFolder: a.Config.LogsFolder()},
		Dags: a.Dags.Dags, Parallelism: a.Config.Core.Parallelism, MaxMapLength: a.Config.Core.MaxMapLength, Hostname: host,
		DefaultExecutionTimeout: a.Config.Core.DefaultTaskExecutionTimeout, Log: a.Log, LogsFolder: a.Config.LogsFolder(),
		OnRunFinished: onEnd, RunFilter: filter, OnlyTheseRuns: only, OnSaved: a.Events.publishChanges,
	})), nil
}

// Serve runs the scheduler on this home until ctx is done: the DAG folder sync and the
// scheduling loop with the local executor. ready, if not nil, is called once both run, with
// the number of DAGs from the DAGs folder and of examples.
func (a *App) Serve(ctx context.Context, ready func(dags, examples int)) error {
	release, err := a.lockScheduling(true)
	if err != nil {
		return err
	}
	defer release()
	if _, err := a.SyncDags(ctx); err != nil {
		return err
	}
	s, err := a.newScheduler(ctx, func(r scheduler.DagRun) bool { return r.RunType != "test" }, false, nil)
	if err != nil {
		return err
	}
	return a.serve(ctx, s, func() {
		if ready != nil {
			ready(a.countDags())
		}
	})
}

// serve runs s and the DAG folder sync until ctx is done, publishing what changes to Events.
func (a *App) serve(ctx context.Context, s *scheduler.Scheduler, ready func()) error {
	a.sched.Store(s)
	defer a.sched.Store(nil)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, cmp.Or(a.ShutdownGrace, 30*time.Second)) }()
	go a.Dags.Run(ctx, a.Config.Scheduler.DagDirListInterval, a.announce)
	if ready != nil {
		ready()
	}
	return <-done
}

// countDags counts the DAGs from the DAGs folder and the examples.
func (a *App) countDags() (dags, examples int) {
	mine := 0
	for _, d := range a.Dags.Dags() {
		if strings.HasPrefix(d.Fileloc, a.Config.Core.DagsFolder+string(os.PathSeparator)) {
			mine++
		}
	}
	return mine, len(a.Dags.Dags()) - mine
}

// RunInfo is a DagRun in Airflow's REST shape.
type RunInfo struct {
	DagID       string    `json:"dag_id"`
	DagRunID    string    `json:"dag_run_id"`
	RunType     string    `json:"run_type"`
	State       string    `json:"state"`
	LogicalDate time.Time `json:"logical_date"`
	// ExecutionDate is logical_date by its older name, which Airflow's answers still carry
	// and its clients read.
	ExecutionDate     time.Time  `json:"execution_date"`
	DataIntervalStart time.Time  `json:"data_interval_start"`
	DataIntervalEnd   time.Time  `json:"data_interval_end"`
	StartDate         *time.Time `json:"start_date"`
	EndDate           *time.Time `json:"end_date"`
	// Conf is JSON: a page of runs hands on the conf as stored rather than decode and encode
	// what may be core.max_conf_size a run.
	Conf            json.RawMessage `json:"conf"`
	ExternalTrigger bool            `json:"external_trigger"`
}

func runInfo(r scheduler.DagRun) RunInfo {
	conf := json.RawMessage(r.ConfJSON)
	if conf == nil && r.Conf != nil {
		conf, _ = json.Marshal(r.Conf) // a map of JSON values read from JSON encodes
	}
	return RunInfo{DagID: r.DagID, DagRunID: r.RunID, RunType: r.RunType, State: string(r.State), LogicalDate: r.LogicalDate, ExecutionDate: r.LogicalDate,
		DataIntervalStart: r.DataIntervalStart, DataIntervalEnd: r.DataIntervalEnd, StartDate: r.StartDate, EndDate: r.EndDate,
		Conf: conf, ExternalTrigger: r.ExternalTrigger}
}

// TaskInstanceInfo is a task instance in Airflow's REST shape.
type TaskInstanceInfo struct {
	DagID          string     `json:"dag_id"`
	DagRunID       string     `json:"dag_run_id"`
	TaskID         string     `json:"task_id"`
	MapIndex       int        `json:"map_index"` // -1 unless the task is mapped, as Airflow
	State          *string    `json:"state"`     // null for none, as Airflow
	TryNumber      int        `json:"try_number"`
	MaxTries       int        `json:"max_tries"`
	StartDate      *time.Time `json:"start_date"`
	EndDate        *time.Time `json:"end_date"`
	Duration       *float64   `json:"duration"`
	Hostname       string     `json:"hostname"`
	Pool           string     `json:"pool"`
	PoolSlots      int        `json:"pool_slots"`
	Queue          string     `json:"queue"`
	PriorityWeight int        `json:"priority_weight"`
	ExitCode       *int       `json:"exit_code"`
	Reason         string     `json:"reason"`
}

func tiInfo(ti scheduler.TaskInstance) TaskInstanceInfo {
	// Airflow's max_tries counts the retries: the first try is not in it.
	out := TaskInstanceInfo{DagID: ti.DagID, DagRunID: ti.RunID, TaskID: ti.TaskID, MapIndex: ti.MapIndex, TryNumber: ti.TryNumber, MaxTries: ti.MaxTries - 1,
		StartDate: ti.StartDate, EndDate: ti.EndDate, Hostname: ti.Hostname, Pool: ti.Pool, PoolSlots: ti.PoolSlots,
		Queue: ti.Queue, PriorityWeight: ti.PriorityWeight, ExitCode: ti.ExitCode, Reason: ti.Reason}
	if ti.State != tasks.StateNone && ti.State != "" {
		s := string(ti.State)
		out.State = &s
	}
	if ti.EndDate != nil {
		d := ti.Duration
		out.Duration = &d
	}
	return out
}

// TriggerOptions are what `dags trigger` takes.
type TriggerOptions struct {
	LogicalDate time.Time // zero: now
	Conf        map[string]any
	RunID       string
}

// Trigger records a manual run; the scheduler running on this home starts it (at once, or
// when the DAG is unpaused).
//
// The run id and conf are checked before anything is read, and the existing runs are looked
// up by index (one at the logical date, one with the run id): a trigger costs the same however
// many runs the DAG has.
func (a *App) Trigger(ctx context.Context, who Actor, dagID string, o TriggerOptions) (RunInfo, error) {
	if o.RunID != "" {
		if err := CheckRunID(o.RunID); err != nil {
			return RunInfo{}, err
		}
	}
	if err := a.CheckConf(o.Conf); err != nil {
		return RunInfo{}, err
	}
	d, err := a.ParsedDag(ctx, dagID)
	if err != nil {
		return RunInfo{}, err
	}
	if _, err := d.ResolveParams(o.Conf); err != nil {
		return RunInfo{}, err
	}
	ld := o.LogicalDate
	if ld.IsZero() {
		ld = time.Now().UTC()
	}
	if ld.After(time.Now().Add(time.Minute)) {
		return RunInfo{}, fmt.Errorf("logical date %s is in the future: a run is for data up to now (as Airflow's allow_trigger_in_future = False)", ld.Format(time.RFC3339))
	}
	if existing, err := a.runAt(ctx, dagID, ld); err == nil {
		return RunInfo{}, fmt.Errorf("DAG %s already has a run at logical date %s (%s); clear it to run it again, or give another date with -e: %w", dagID, ld.Format(time.RFC3339), existing.RunID, ErrConflict)
	} else if !errors.Is(err, scheduler.ErrNotFound) {
		return RunInfo{}, err
	}
	if o.RunID != "" {
		if _, err := a.Store.GetDagRun(ctx, dagID, o.RunID); err == nil {
			return RunInfo{}, fmt.Errorf("DAG %s already has a run %q; give another run id, or clear that run to run it again: %w", dagID, o.RunID, ErrConflict)
		} else if !errors.Is(err, scheduler.ErrNotFound) {
			return RunInfo{}, err
		}
	}
	if s := a.sched.Load(); s != nil { // started at once by the scheduler in this process, which audits it
		run, err := s.Trigger(ctx, dagID, scheduler.TriggerOptions{LogicalDate: ld, Conf: o.Conf, RunID: o.RunID, Owner: string(who)})
		if err != nil {
			return RunInfo{}, fmt.Errorf("trigger %s: %w", dagID, err)
		}
		return runInfo(run), nil
	}
	run, tis := scheduler.NewRun(d, "manual", timetable.For(d).ManualInterval(ld), ld, o.Conf, o.RunID, time.Now())
	run, err = a.Store.CreateDagRun(ctx, run, tis)
	if err != nil {
		return RunInfo{}, fmt.Errorf("trigger %s: %w", dagID, err)
	}
	a.audit(ctx, who, "dag.trigger", scheduler.AuditEvent{DagID: dagID, RunID: run.RunID})
	return runInfo(run), nil
}

// ErrConflict marks a change refused because what it would create exists already.
var ErrConflict = errors.New("conflict")

// runIDPattern is Airflow's rule for run ids.
var runIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.~:+-]+$`)

// MaxRunIDLength is Airflow's limit on a run id (its dag_run.run_id is a VARCHAR(250)).
const MaxRunIDLength = 250

// CheckRunID refuses a run id a user gives that Airflow would not take: longer than 250
// characters, with characters other than letters, digits and _ . ~ : + -, or . or .. (which
// name folders, and a run id is a folder of the logs).
func CheckRunID(id string) error {
	switch {
	case len(id) > MaxRunIDLength:
		return fmt.Errorf("run id %q… is %d characters long; a run id has at most %d (Airflow's limit): give a shorter one", id[:32], len(id), MaxRunIDLength)
	case !runIDPattern.MatchString(id):
		return fmt.Errorf("run id %q may only contain letters, digits and _ . ~ : + -", id)
	case id == "." || id == "..":
		return fmt.Errorf("run id %q names a folder, and each run's logs are a folder named after its run id: give another run id", id)
	}
	return nil
}

// ConfTooLargeError refuses a run's conf larger than core.max_conf_size.
type ConfTooLargeError struct {
	Size  int64 // bytes of the conf as JSON; 0 when reading stopped at the limit
	Limit int64
}

func (e *ConfTooLargeError) Error() string {
	size := "more than that"
	if e.Size > 0 {
		size = fmt.Sprintf("%d bytes", e.Size)
	}
	return fmt.Sprintf("the conf may be at most %d bytes as JSON (core.max_conf_size = %s), and this one is %s: "+
		"pass large data another way (a file the task mounts, a Variable), or raise [core] max_conf_size in wasmflow.toml "+
		"(or WASMFLOW__CORE__MAX_CONF_SIZE) on the server", e.Limit, config.FormatSize(e.Limit), size)
}

// MaxConfSize is core.max_conf_size: 1 MiB, its default, for an App built without config.Load.
func (a *App) MaxConfSize() int64 { return cmp.Or(a.Config.Core.MaxConfSize, 1<<20) }

// CheckConf refuses a conf larger than core.max_conf_size as JSON: every run of the DAG
// stores it, and each list or page that shows runs reads it back.
func (a *App) CheckConf(conf map[string]any) error {
	if len(conf) == 0 {
		return nil
	}
	b, err := json.Marshal(conf)
	if err != nil {
		return fmt.Errorf("conf cannot be written as JSON: %w", err)
	}
	if int64(len(b)) > a.MaxConfSize() {
		return &ConfTooLargeError{Size: int64(len(b)), Limit: a.MaxConfSize()}
	}
	return nil
}

// runAt finds a DAG's run at a logical date, by index.
func (a *App) runAt(ctx context.Context, dagID string, at time.Time) (scheduler.DagRun, error) {
	return a.Store.DagRunAt(ctx, dagID, at)
}

// WaitRun waits until a run ends, calling progress (if set) with every task instance whose
// state changed. A scheduler in this process (Events: `dags test`, a backfill run here, the
// server's own API) is followed by the changes it publishes as it writes them; a run that
// another process schedules (a standalone on this home) is read every waitPoll.
func (a *App) WaitRun(ctx context.Context, dagID, runID string, progress func(TaskInstanceInfo)) (RunInfo, error) {
	// Subscribed before the first read: a change written after that read sends an event.
	changed, unsubscribe := a.Events.Subscribe(dagID)
	defer unsubscribe()
	seen := map[string]string{}
	report := func(ti TaskInstanceInfo) {
		if k := fmt.Sprint(ti.State != nil, deref(ti.State), ti.TryNumber); progress != nil && seen[ti.TaskID] != k {
			seen[ti.TaskID] = k
			progress(ti)
		}
	}
	tick := time.NewTicker(cmp.Or(a.waitPoll, defaultWaitPoll))
	defer tick.Stop()
	var last RunInfo
	for read := true; ; {
		if read {
			run, err := a.Store.GetDagRun(ctx, dagID, runID)
			if err != nil {
				return RunInfo{}, err
			}
			if progress != nil {
				tis, err := a.Store.ListTaskInstances(ctx, dagID, runID)
				if err != nil {
					return RunInfo{}, err
				}
				for _, ti := range tis {
					report(tiInfo(ti))
				}
			}
			if last = runInfo(run); run.State.Finished() {
				return last, nil
			}
		}
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-tick.C:
			read = true
		case ev, ok := <-changed:
			if !ok { // dropped for falling behind: the ticker goes on alone
				changed, read = nil, true
				continue
			}
			// The events of the scheduler in this process carry what it wrote: followed as they
			// come, not read back (two queries per step, most of a dags test's reads).
			read = false
			for ok {
				if info, ended := followEvent(ev, runID, report); ended {
					return info, nil
				}
				select {
				case ev, ok = <-changed:
				default:
					ok = false
				}
			}
		}
	}
}

// followEvent reports a task instance event of run runID, and says whether ev is its end.
func followEvent(ev Event, runID string, report func(TaskInstanceInfo)) (RunInfo, bool) {
	switch d := ev.Data.(type) {
	case TaskInstanceInfo:
		if d.DagRunID == runID {
			report(d)
		}
	case RunInfo:
		return d, d.DagRunID == runID && tasks.DagRunState(d.State).Finished()
	}
	return RunInfo{}, false
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// defaultWaitPoll is how often WaitRun reads a run no scheduler in this process tells it about.
const defaultWaitPoll = 100 * time.Millisecond

// TestDag runs one whole DagRun of a DAG in this process, as `airflow dags test`, and returns
// when it ends. It needs no scheduler, and does not disturb one running on the home.
func (a *App) TestDag(ctx context.Context, dagID string, logicalDate time.Time, conf map[string]any, progress func(TaskInstanceInfo)) (RunInfo, error) {
	if err := a.CheckConf(conf); err != nil { // the run is stored and listed as any other
		return RunInfo{}, err
	}
	// The task runtime starts (wazero and its host modules, about 2 ms) beside the reading of
	// the DAG and the writing of its run, on another core: the run needs both.
	runnerErr := make(chan error, 1)
	go func() {
		_, err := a.Runner(ctx)
		runnerErr <- err
	}()
	run, err := a.createTestRun(ctx, dagID, logicalDate, conf)
	if rerr := <-runnerErr; err == nil {
		err = rerr
	}
	if err != nil {
		return RunInfo{}, err
	}
	return a.drive(ctx, []scheduler.DagRun{run}, progress)
}

// createTestRun records the run TestDag runs.
func (a *App) createTestRun(ctx context.Context, dagID string, logicalDate time.Time, conf map[string]any) (scheduler.DagRun, error) {
	d, err := a.dagToTest(ctx, dagID)
	if err != nil {
		return scheduler.DagRun{}, err
	}
	if _, err := d.ResolveParams(conf); err != nil {
		return scheduler.DagRun{}, err
	}
	if logicalDate.IsZero() {
		logicalDate = time.Now().UTC()
	}
	run, tis := scheduler.NewRun(d, "test", timetable.For(d).ManualInterval(logicalDate), logicalDate, conf, "", time.Now())
	run.RunID = scheduler.RunID("test", time.Now())
	for i := range tis {
		tis[i].RunID = run.RunID
	}
	return a.Store.CreateDagRun(ctx, run, tis)
}

// dagToTest is the DAG a test run uses: the one already parsed here (a server, a sync done
// before), else its own file parsed alone when the metastore has it unchanged, else what a
// sync of every folder finds (Dags.LoadDag).
func (a *App) dagToTest(ctx context.Context, dagID string) (*tasks.DAG, error) {
	if d := a.Dags.Dag(dagID); d != nil {
		return d, nil
	}
	if _, err := a.Dags.LoadDag(ctx, dagID); err != nil {
		return nil, err
	}
	return a.ParsedDag(ctx, dagID)
}

// drive runs the given runs to their end with a scheduler of their own.
func (a *App) drive(ctx context.Context, runs []scheduler.DagRun, progress func(TaskInstanceInfo)) (RunInfo, error) {
	want := map[string]bool{}
	for _, r := range runs {
		want[r.DagID+"/"+r.RunID] = true
	}
	ended := make(chan scheduler.DagRun, len(runs))
	s, err := a.newScheduler(ctx, func(r scheduler.DagRun) bool { return want[r.DagID+"/"+r.RunID] }, true,
		func(r scheduler.DagRun) {
			if want[r.DagID+"/"+r.RunID] {
				ended <- r
			}
		})
	if err != nil {
		return RunInfo{}, err
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(sctx, 10*time.Second) }()
	var last RunInfo
	waitErr := make(chan error, 1)
	go func() {
		for _, r := range runs {
			info, err := a.WaitRun(sctx, r.DagID, r.RunID, progress)
			if err != nil {
				waitErr <- err
				return
			}
			last = info
		}
		waitErr <- nil
	}()
	select {
	case err = <-waitErr:
	case err = <-done:
		if err == nil {
			err = errors.New("the scheduler stopped before the runs ended")
		}
	}
	stop()
	if serr := <-done; serr != nil && err == nil {
		err = serr
	}
	return last, err
}

// RunsQuery selects a page of a DAG's runs; its DagID is ListRuns' to set.
type RunsQuery = metastore.RunQuery

// ListRuns lists the page of a DAG's runs q selects (newest first unless q.Oldest) and how
// many match in all. Conf is read only with q.WithConf, and only for the page.
func (a *App) ListRuns(ctx context.Context, dagID string, q RunsQuery) ([]RunInfo, int, error) {
	for _, state := range q.States {
		if !state.Valid() {
			return nil, 0, fmt.Errorf("state %q is not one of queued, running, success, failed", state)
		}
	}
	if _, err := a.GetDag(ctx, dagID); err != nil {
		return nil, 0, err
	}
	q.DagID = dagID
	runs, total, err := a.Store.PageDagRuns(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	out := make([]RunInfo, len(runs))
	for i, r := range runs {
		out[i] = runInfo(r)
	}
	return out, total, nil
}

// ListRunsOf is ListRuns across DAGs: those of q.DagIDs, every DAG's when it is empty. A DAG
// id that names no DAG matches no run, as Airflow's batch list has it.
func (a *App) ListRunsOf(ctx context.Context, q RunsQuery) ([]RunInfo, int, error) {
	q.DagID = ""
	runs, total, err := a.Store.PageDagRuns(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	out := make([]RunInfo, len(runs))
	for i, r := range runs {
		out[i] = runInfo(r)
	}
	return out, total, nil
}

// FindRun finds a run by its run id or its logical date (2024-01-01 or RFC 3339).
func (a *App) FindRun(ctx context.Context, dagID, ref string) (scheduler.DagRun, error) {
	if run, err := a.Store.GetDagRun(ctx, dagID, ref); err == nil {
		return run, nil
	}
	var at time.Time
	var err error
	if at, err = time.Parse(time.RFC3339, ref); err != nil {
		if at, err = time.Parse("2006-01-02", ref); err != nil {
			if _, gerr := a.GetDag(ctx, dagID); gerr != nil {
				return scheduler.DagRun{}, gerr
			}
			return scheduler.DagRun{}, fmt.Errorf("DAG %s has no run %q (give a run id or a logical date; `wasmflow dags list-runs -d %s` lists them): %w", dagID, ref, dagID, scheduler.ErrNotFound)
		}
	}
	if r, err := a.runAt(ctx, dagID, at); err == nil {
		return r, nil
	}
	return scheduler.DagRun{}, fmt.Errorf("DAG %s has no run at logical date %s (`wasmflow dags list-runs -d %s` lists them): %w", dagID, at.Format(time.RFC3339), dagID, scheduler.ErrNotFound)
}

// TIQuery narrows TaskInstances (state, pool, queue, dates, duration); zero: every one.
type TIQuery = metastore.TIQuery

// TaskInstances lists the task instances of a run that q selects, in the DAG's topological
// order.
func (a *App) TaskInstances(ctx context.Context, run scheduler.DagRun, q TIQuery) ([]TaskInstanceInfo, error) {
	tis, err := a.Store.ListTaskInstancesWhere(ctx, run.DagID, run.RunID, q)
	if err != nil {
		return nil, err
	}
	order := map[string]int{}
	if d := a.Dags.Dag(run.DagID); d != nil {
		for i, t := range d.TopologicalOrder() {
			order[t.TaskID] = i
		}
	}
	sort.SliceStable(tis, func(i, j int) bool { return order[tis[i].TaskID] < order[tis[j].TaskID] })
	out := make([]TaskInstanceInfo, len(tis))
	for i, ti := range tis {
		out[i] = tiInfo(ti)
	}
	return out, nil
}

// ClearOptions select what `tasks clear` clears, as Airflow's.
type ClearOptions struct {
	DagID      string
	TaskRegex  string    // task ids matching it ("" = all)
	Start, End time.Time // runs whose logical date is in [Start, End] (zero = unbounded)
	Upstream   bool      // also every upstream of a matched task
	Downstream bool      // also every downstream of a matched task
	OnlyFailed bool
	// MapIndexes, by task id, clears only those instances of a mapped task.
	MapIndexes map[string][]int
}

// ClearPlan is what a clear will touch: task ids by run id.
type ClearPlan map[string][]string

// PlanClear works out which task instances a clear selects, without changing anything.
func (a *App) PlanClear(ctx context.Context, o ClearOptions) (ClearPlan, error) {
	d, err := a.ParsedDag(ctx, o.DagID)
	if err != nil {
		return nil, err
	}
	if !o.Start.IsZero() && !o.End.IsZero() && o.End.Before(o.Start) {
		return nil, fmt.Errorf("the end date %s is before the start date %s", o.End.Format(time.RFC3339), o.Start.Format(time.RFC3339))
	}
	re, err := regexp.Compile(o.TaskRegex)
	if err != nil {
		return nil, fmt.Errorf("task regex %q: %v", o.TaskRegex, err)
	}
	ids := map[string]bool{}
	for _, t := range d.Tasks {
		if re.MatchString(t.TaskID) {
			ids[t.TaskID] = true
			if o.Upstream {
				for _, u := range d.Ancestors(t.TaskID) {
					ids[u] = true
				}
			}
			if o.Downstream {
				for _, u := range d.Descendants(t.TaskID) {
					ids[u] = true
				}
			}
		}
	}
	runs, _, err := a.Store.PageDagRuns(ctx, metastore.RunQuery{DagID: o.DagID, From: o.Start, To: o.End}) // no conf: not needed here
	if err != nil {
		return nil, err
	}
	plan := ClearPlan{}
	for _, r := range runs {
		tis, err := a.Store.ListTaskInstances(ctx, r.DagID, r.RunID)
		if err != nil {
			return nil, err
		}
		for _, ti := range tis {
			if ids[ti.TaskID] && (!o.OnlyFailed || ti.State.Failed()) && ti.State != tasks.StateNone &&
				scheduler.SelectsMapIndex(o.MapIndexes, &ti) && !slices.Contains(plan[r.RunID], ti.TaskID) {
				plan[r.RunID] = append(plan[r.RunID], ti.TaskID) // a mapped task once, for all its instances
			}
		}
		sort.Strings(plan[r.RunID])
	}
	return plan, nil
}

// Clear clears what PlanClear selected, so those task instances run again. With a scheduler
// running on this home, each run's clear is handed to it (it alone writes the runs it drives)
// and Clear waits for it to be applied; otherwise the metastore is changed here.
func (a *App) Clear(ctx context.Context, who Actor, o ClearOptions, plan ClearPlan) (int, error) {
	d, err := a.ParsedDag(ctx, o.DagID)
	if err != nil {
		return 0, err
	}
	n := 0
	for runID, ids := range plan {
		err := a.changeRun(ctx, scheduler.Command{Kind: "clear", DagID: o.DagID, RunID: runID, TaskIDs: ids, MapIndexes: o.MapIndexes, OnlyFailed: o.OnlyFailed, Owner: string(who)},
			func() error {
				run, err := a.Store.GetDagRun(ctx, o.DagID, runID)
				if err != nil {
					return err
				}
				_, err = scheduler.ClearInStore(ctx, a.Store, d, run, ids, o.MapIndexes, o.OnlyFailed, string(who))
				return err
			})
		if err != nil {
			return n, err
		}
		n += len(ids)
	}
	return n, nil
}

// changeRun applies a change to a run: directly while holding the scheduler lock when no
// scheduler runs here, else as a command the running scheduler applies. It waits until the
// command is applied, up to a while.
func (a *App) changeRun(ctx context.Context, c scheduler.Command, direct func() error) error {
	if s := a.sched.Load(); s != nil { // the scheduler is in this process: hand it over at once
		var err error
		switch c.Kind {
		case "clear":
			_, err = s.Clear(ctx, scheduler.ClearRequest{DagID: c.DagID, RunID: c.RunID, TaskIDs: c.TaskIDs, MapIndexes: c.MapIndexes, OnlyFailed: c.OnlyFailed, Owner: c.Owner})
		case "mark":
			err = s.MarkTask(ctx, c.MarkKey(), c.State, c.Owner)
		}
		if !errors.Is(err, scheduler.ErrOwnedElsewhere) {
			return err
		}
		// Another server drives the run (a shared database): it applies the command.
	} else if release, err := a.lockScheduling(false); err == nil {
		defer release()
		return direct()
	}
	c, err := a.Store.AddCommand(ctx, c)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		got, err := a.Store.GetCommand(ctx, c.ID)
		if err != nil {
			return err
		}
		if got.DoneAt != nil {
			if msg, failed := strings.CutPrefix(got.Result, "error: "); failed {
				return errors.New(msg)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("the running scheduler has not applied the %s of %s yet; it will when it can", c.Kind, c.RunID)
}

// MarkRun sets a run and its unfinished task instances to success or failed by hand, as
// Airflow's "mark run as"; it needs the scheduler of this process (the API's).
func (a *App) MarkRun(ctx context.Context, who Actor, dagID, runID string, state tasks.DagRunState) error {
	if state != tasks.RunSuccess && state != tasks.RunFailed {
		return fmt.Errorf("a run can be marked success or failed, not %q", state)
	}
	s := a.sched.Load()
	if s == nil {
		return errors.New("marking a run needs the scheduler: do it through `wasmflow server` or `standalone`")
	}
	err := s.MarkRun(ctx, dagID, runID, state, string(who))
	if errors.Is(err, scheduler.ErrOwnedElsewhere) {
		return fmt.Errorf("%w: mark it through the API of that server, or mark its task instances here", err)
	}
	return err
}

// LogReader opens the log of one try of a task instance; try 0 means the latest.
func (a *App) LogReader(ctx context.Context, run scheduler.DagRun, key scheduler.TIKey, try int) (io.ReadCloser, scheduler.TaskInstance, error) {
	taskID := key.TaskID
	tis, err := a.Store.ListTaskInstances(ctx, run.DagID, run.RunID)
	if err != nil {
		return nil, scheduler.TaskInstance{}, err
	}
	for _, ti := range tis {
		if ti.TaskID != taskID || ti.MapIndex != key.MapIndex {
			continue
		}
		if try == 0 {
			try = ti.TryNumber
		}
		if ti.TryNumber == 0 {
			return nil, ti, fmt.Errorf("task %s of run %s has not run yet, so it has no log (there is no try %d)", taskID, run.RunID, try)
		}
		if try < 1 || try > ti.TryNumber {
			return nil, ti, fmt.Errorf("task %s of run %s has %d tries so far; there is no try %d", taskID, run.RunID, ti.TryNumber, try)
		}
		f, err := os.Open(cluster.LogPath(a.Config.LogsFolder(), ti.Key(), try))
		if err != nil {
			return nil, ti, fmt.Errorf("no log for try %d of %s: %w", try, taskID, err)
		}
		return f, ti, nil
	}
	return nil, scheduler.TaskInstance{}, fmt.Errorf("run %s has no task %q: %w", run.RunID, taskID, scheduler.ErrNotFound)
}

// TaskInstance re-reads one task instance. A mapped task that expanded has no instance at
// map_index -1: asked for it, the error says to name a map index.
func (a *App) TaskInstance(ctx context.Context, key scheduler.TIKey) (scheduler.TaskInstance, error) {
	tis, err := a.Store.ListTaskInstances(ctx, key.DagID, key.RunID)
	if err != nil {
		return scheduler.TaskInstance{}, err
	}
	mapped := 0
	for _, ti := range tis {
		if ti.TaskID == key.TaskID && ti.MapIndex == key.MapIndex {
			return ti, nil
		}
		if ti.TaskID == key.TaskID && ti.MapIndex >= 0 {
			mapped++
		}
	}
	if key.MapIndex < 0 && mapped > 0 {
		return scheduler.TaskInstance{}, fmt.Errorf("task %s is mapped into %d instances: name one by its map index (map_index 0..%d), or list them with listMapped: %w",
			key.TaskID, mapped, mapped-1, scheduler.ErrNotFound)
	}
	return scheduler.TaskInstance{}, scheduler.ErrNotFound
}

// MappedTaskInstances lists a mapped task's instances in a run, by map index (none before it
// expands, or for a task that is not mapped).
func (a *App) MappedTaskInstances(ctx context.Context, run scheduler.DagRun, taskID string) ([]TaskInstanceInfo, error) {
	tis, err := a.Store.ListTaskInstances(ctx, run.DagID, run.RunID)
	if err != nil {
		return nil, err
	}
	out := []TaskInstanceInfo{}
	for _, ti := range tis {
		if ti.TaskID == taskID && ti.MapIndex >= 0 {
			out = append(out, tiInfo(ti))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].MapIndex < out[j].MapIndex })
	return out, nil
}

// MarkTask sets a task instance to success, failed or skipped by hand; a running try is
// stopped, and the task's downstream goes on from the new state. mapIndex names one instance
// of a mapped task; -1 marks an unmapped task, or every instance of a mapped one.
func (a *App) MarkTask(ctx context.Context, who Actor, dagID, runRef, taskID string, mapIndex int, state tasks.TaskInstanceState) error {
	if state != tasks.StateSuccess && state != tasks.StateFailed && state != tasks.StateSkipped {
		return fmt.Errorf("a task instance can be marked success, failed or skipped, not %q", state)
	}
	run, err := a.FindRun(ctx, dagID, runRef)
	if err != nil {
		return err
	}
	key := scheduler.NewTIKey(dagID, run.RunID, taskID)
	key.MapIndex = mapIndex
	c := scheduler.Command{Kind: "mark", DagID: dagID, RunID: run.RunID, TaskIDs: []string{taskID}, State: state, Owner: string(who)}
	if mapIndex >= 0 {
		c.MapIndexes = map[string][]int{taskID: {mapIndex}}
	}
	return a.changeRun(ctx, c, func() error { return scheduler.MarkInStore(ctx, a.Store, run, key, state, string(who)) })
}

// RunInfoOf is a run in Airflow's REST shape.
func RunInfoOf(r scheduler.DagRun) RunInfo { return runInfo(r) }

// TaskInstanceInfoOf is a task instance in Airflow's REST shape.
func TaskInstanceInfoOf(ti scheduler.TaskInstance) TaskInstanceInfo { return tiInfo(ti) }
