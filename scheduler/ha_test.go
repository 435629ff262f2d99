package scheduler_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/internal/dbtest"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/scheduler/metastore"
	"github.com/wasmflow/wasmflow/tasks"
)

// haCluster is several active schedulers on one database (a SQLite file, or PostgreSQL with
// WASMFLOW_TEST_PG=1), each with its own connections and executor, sharing one clock; the
// home's lock, which keeps a second server off a SQLite home outside tests, is not involved.
type haCluster struct {
	t      testing.TB
	url    string // the database: a SQLite file, or PostgreSQL with WASMFLOW_TEST_PG=1
	clock  *testClock
	runs   *executions
	sync   *scheduler.DagSyncer
	stores []*crashableStore
	execs  []*countingExecutor
	scheds []*scheduler.Scheduler
	stop   []context.CancelFunc
	done   []chan error
	ended  chan scheduler.DagRun
}

// haOrphanTimeout is the schedulers' orphan timeout, on the test clock: the tests move the
// clock past it after a crash instead of waiting.
const haOrphanTimeout = time.Minute

// haStart is the test clock's start: an hour into a day, so that the daily runs due stay the
// same when the clock moves by the orphan timeout.
var haStart = time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC)

// haDag writes a daily DAG of 20 tasks in four layers of five (each task after the whole
// layer before), with catchup from `runs` days before haStart: that many scheduled runs are
// due at once, for the schedulers to race to create.
func haDag(t testing.TB, dir string, runs int) {
	var s strings.Builder
	start := haStart.Add(-time.Duration(runs) * 24 * time.Hour).Truncate(24 * time.Hour)
	fmt.Fprintf(&s, "dag_id: ha\nschedule: \"@daily\"\nstart_date: %s\ncatchup: true\nmax_active_runs: 16\nmax_active_tasks: 64\nis_paused_upon_creation: false\ntasks:\n",
		start.Format("2006-01-02"))
	for layer := 0; layer < 4; layer++ {
		for i := 0; i < 5; i++ {
			fmt.Fprintf(&s, "  - id: l%dt%d\n    module: noop.wasm\n", layer, i)
			if layer > 0 {
				fmt.Fprintf(&s, "    upstream: [l%dt0, l%dt1, l%dt2, l%dt3, l%dt4]\n", layer-1, layer-1, layer-1, layer-1, layer-1)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "ha.yaml"), []byte(s.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "noop.wasm"), []byte("\x00asm\x01\x00\x00\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// newHACluster starts n schedulers on a fresh database for a DAG with `runs` runs due; the
// executions pause a third of the way (see busiest).
func newHACluster(t testing.TB, n, runs int) *haCluster {
	c := newHAClusterOn(t, dbtest.URL(t), runs)
	c.runs.pauseAt = runs * 20 / 3
	for i := 0; i < n; i++ {
		c.start(i)
	}
	return c
}

// newHAClusterOn prepares the database at url for a DAG with `runs` runs due; start starts
// the schedulers.
func newHAClusterOn(t testing.TB, url string, runs int) *haCluster {
	dir := t.TempDir()
	haDag(t, dir, runs)
	c := &haCluster{t: t, url: url, clock: &testClock{now: haStart},
		runs: &executions{n: map[tryKey]int{}, parkedRuns: map[string]bool{}, pausedAt: make(chan struct{})}, ended: make(chan scheduler.DagRun, 4*runs)}
	first := c.open()
	c.sync = &scheduler.DagSyncer{Store: first, Folders: []string{dir}}
	if rep, err := c.sync.SyncOnce(context.Background()); err != nil || rep.Errors > 0 {
		errs, _ := first.ListImportErrors(context.Background())
		t.Fatalf("sync: %v %+v", err, errs)
	}
	t.Cleanup(c.stopAll)
	return c
}

func (c *haCluster) open() *metastore.Store {
	s, err := metastore.Open(context.Background(), c.url)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { s.Close() })
	return s
}

// start starts scheduler i, on connections of its own.
func (c *haCluster) start(i int) {
	store := newCrashableStore(c.open())
	ex := &countingExecutor{host: fmt.Sprintf("host-%d", i), runs: c.runs, dead: make(chan struct{})}
	s := scheduler.New(scheduler.Config{
		Store: store, Jobs: store, Executor: ex, Dags: c.sync.Dags, Parallelism: 64, Now: c.clock.Now,
		Hostname: ex.host, Poll: 20 * time.Millisecond, HeartbeatInterval: 5 * time.Millisecond, OrphanTimeout: haOrphanTimeout,
		OnRunFinished: func(run scheduler.DagRun) { c.ended <- run },
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, time.Second) }()
	c.stores, c.execs, c.scheds = append(c.stores, store), append(c.execs, ex), append(c.scheds, s)
	c.stop, c.done = append(c.stop, cancel), append(c.done, done)
}

// kill stops scheduler i as kill -9 would: its executor and its connections go first, so
// nothing it does after reaches the database; then its loop is stopped.
func (c *haCluster) kill(i int) {
	c.execs[i].crash()
	c.stores[i].dead.Store(true)
	c.stop[i]()
	<-c.done[i] // its last writes fail: it was killed
	c.stop[i] = nil
}

func (c *haCluster) stopAll() {
	for i, stop := range c.stop {
		if stop != nil {
			stop()
			if err := <-c.done[i]; err != nil {
				c.t.Errorf("scheduler %d stopped with %v", i, err)
			}
			c.stop[i] = nil
		}
	}
}

// waitEnded waits until n distinct runs have been reported ended, and returns how many.
func (c *haCluster) waitEnded(seen map[string]bool, n int) {
	c.t.Helper()
	limit := time.After(3 * time.Minute) // a guard against a hang, not a timing
	for len(seen) < n {
		select {
		case r := <-c.ended:
			if r.State != tasks.RunSuccess {
				c.t.Fatalf("run %s ended %s", r.RunID, r.State)
			}
			seen[r.RunID] = true
		case <-limit:
			c.t.Fatalf("only %d of %d runs ended", len(seen), n)
		}
	}
}

// check asserts what the issue asks: every run succeeded, one run per interval and no more,
// every task ran exactly once per try and its last try succeeded, and a try before the last
// one was recorded as ended without success (nothing finished ran again).
func (c *haCluster) check(store *metastore.Store, runs int) {
	c.t.Helper()
	ctx := context.Background()
	all, err := store.ListDagRuns(ctx, "ha", "", 0)
	if err != nil {
		c.t.Fatal(err)
	}
	if len(all) != runs {
		c.t.Errorf("%d runs, want %d", len(all), runs)
	}
	first := haStart.Add(-time.Duration(runs) * 24 * time.Hour).Truncate(24 * time.Hour)
	intervals := map[time.Time]string{}
	for _, r := range all {
		if other, twice := intervals[r.LogicalDate]; twice {
			c.t.Errorf("interval %s has two runs: %s and %s", r.LogicalDate, other, r.RunID)
		}
		intervals[r.LogicalDate] = r.RunID
		if r.State != tasks.RunSuccess {
			c.t.Errorf("run %s is %s", r.RunID, r.State)
		}
	}
	for i := 0; i < runs; i++ {
		if _, ok := intervals[first.Add(time.Duration(i)*24*time.Hour)]; !ok {
			c.t.Errorf("no run for the interval of day %d", i)
		}
	}
	c.runs.mu.Lock()
	defer c.runs.mu.Unlock()
	for k, n := range c.runs.n {
		if n != 1 {
			c.t.Errorf("%s try %d ran %d times", k.TIKey, k.try, n)
		}
	}
	for _, r := range all {
		tis, err := store.ListTaskInstances(ctx, "ha", r.RunID)
		if err != nil {
			c.t.Fatal(err)
		}
		if len(tis) != 20 {
			c.t.Errorf("run %s has %d task instances", r.RunID, len(tis))
		}
		for _, ti := range tis {
			if ti.State != tasks.StateSuccess || c.runs.n[tryKey{ti.Key(), ti.TryNumber}] != 1 {
				c.t.Errorf("%s is %s at try %d, which ran %d times", ti.Key(), ti.State, ti.TryNumber, c.runs.n[tryKey{ti.Key(), ti.TryNumber}])
				continue
			}
			if ti.TryNumber == 1 {
				continue
			}
			tries, err := store.ListTaskTries(ctx, "ha", r.RunID, ti.TaskID)
			if err != nil {
				c.t.Fatal(err)
			}
			for _, tr := range tries {
				if tr.TryNumber < ti.TryNumber && tr.State == tasks.StateSuccess {
					c.t.Errorf("%s: try %d had succeeded, yet try %d ran", ti.Key(), tr.TryNumber, ti.TryNumber)
				}
			}
		}
	}
}

// ownedBy lists the active runs job owns now.
func ownedBy(t testing.TB, store *metastore.Store, job int64) []string {
	var out []string
	for _, st := range []tasks.DagRunState{tasks.RunQueued, tasks.RunRunning} {
		runs, err := store.ListDagRuns(context.Background(), "ha", st, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			if r.OwnerJobID == job {
				out = append(out, r.RunID)
			}
		}
	}
	return out
}

// jobOf returns the id of scheduler i's job, found by its host.
func (c *haCluster) jobOf(store *metastore.Store, i int) int64 {
	jobs, err := store.ListJobs(context.Background())
	if err != nil {
		c.t.Fatal(err)
	}
	for _, j := range jobs {
		if j.Hostname == c.execs[i].host {
			return j.ID
		}
	}
	c.t.Fatalf("no job of scheduler %d in %+v", i, jobs)
	return 0
}

// testSchedulersKilled runs `runs` scheduled runs of the 20-task DAG with n schedulers, kills
// one mid-way, and checks that the others finish its runs without losing or repeating anything.
func testSchedulersKilled(t *testing.T, n, runs int) {
	c := newHACluster(t, n, runs)
	for _, s := range c.scheds {
		if err := scheduler.Started(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	reader := c.open()
	victim, job, _ := c.busiest(reader)
	c.kill(victim)
	// What it held when it died (a run may have ended meanwhile with a result sent before the
	// pause) stays its own until the orphan timeout has passed...
	held := ownedBy(t, reader, job)
	if len(held) == 0 {
		t.Fatalf("scheduler %d drove no run when it was killed", victim)
	}
	c.runs.resume()
	seen := map[string]bool{}
	// (while the others end ten more runs, polling the metastore many times)...
	c.waitEnded(seen, min(runs-len(held), runs/3+10))
	if got := ownedBy(t, reader, job); len(got) != len(held) {
		t.Fatalf("the runs of the killed scheduler were taken over before scheduler.orphan_timeout: %v of %v left", got, held)
	}
	c.clock.Add(haOrphanTimeout + time.Second)
	// ...then the others take them over and finish everything.
	c.waitEnded(seen, runs)
	if got := ownedBy(t, reader, job); len(got) != 0 {
		t.Errorf("runs still owned by the killed scheduler: %v", got)
	}
	c.stopAll()
	c.check(reader, runs)
	adopted := 0
	for _, id := range held {
		r, err := reader.GetDagRun(context.Background(), "ha", id)
		if err != nil {
			t.Fatal(err)
		}
		if r.OwnerJobID != job {
			adopted++
		}
	}
	if adopted == 0 {
		t.Errorf("none of the %d runs the killed scheduler held was adopted", len(held))
	}
	t.Logf("%d schedulers, %d runs, %d tries: the killed one (%d) held %d runs", n, runs, len(c.runs.n), victim, len(held))
}

// busiest waits until a third of the tries ran, which holds the rest so that the runs stay
// active, and returns the scheduler that drives the most runs with a held try then, its job
// and its runs. Runs without a held try may still end (their last results were on their way
// before the pause), so a scheduler that drives only those is never chosen.
func (c *haCluster) busiest(reader *metastore.Store) (victim int, job int64, held []string) {
	<-c.runs.pausedAt
	found := eventually(time.Minute, func() bool {
		most := 0
		for i := range c.scheds {
			j := c.jobOf(reader, i)
			owned := ownedBy(c.t, reader, j)
			if n := c.runs.parkedAmong(owned); n > most {
				most, victim, job, held = n, i, j, owned
			}
		}
		return most > 0
	})
	if !found {
		c.t.Fatal("no scheduler drives a run with a held try a third of the way")
	}
	return victim, job, held
}

// TestSchedulerTakenForDead silences one scheduler's heartbeats while it goes on scheduling,
// as a long pause would: the other takes its runs over, and every write the silent one makes
// to them after is refused in the transaction that makes it, so it lets go of them instead
// of driving them too (no try runs twice, nothing finished runs again).
func TestSchedulerTakenForDead(t *testing.T) {
	const runs = 60
	c := newHACluster(t, 2, runs)
	reader := c.open()
	victim, job, held := c.busiest(reader)
	c.stores[victim].silent.Store(true)
	c.clock.Add(haOrphanTimeout + time.Second)
	// The tries stay held until the other has taken the silent one's runs over (it polls
	// every 20 ms; the silent one is not stopped, so it may write to them meanwhile).
	if !eventually(time.Minute, func() bool { return len(ownedBy(t, reader, job)) == 0 }) {
		t.Fatalf("the runs of the silent scheduler were not taken over: %v", ownedBy(t, reader, job))
	}
	c.runs.resume()
	seen := map[string]bool{}
	c.waitEnded(seen, runs)
	c.stopAll()
	c.check(reader, runs)
	t.Logf("the silent scheduler held %d runs", len(held))
}

func TestTwoSchedulersOneKilled(t *testing.T)   { testSchedulersKilled(t, 2, 200) }
func TestThreeSchedulersOneKilled(t *testing.T) { testSchedulersKilled(t, 3, 200) }

// BenchmarkSchedulers is `make bench`'s figure for several active schedulers: tasks per
// second through 1, 2 and 3 schedulers on one database, SQLite and PostgreSQL, each driving
// 200 catchup runs of the 20-task DAG with tries that cost nothing (the executor above), so
// the figure is the schedulers' and the database's work. x_one is against the one-scheduler
// figure of the same dialect in the same run (target on enough cores: 2 schedulers ≥ 1.6).
func BenchmarkSchedulers(b *testing.B) {
	const runs = 200
	for _, db := range []string{"sqlite", "postgres"} {
		var one float64
		for n := 1; n <= 3; n++ {
			b.Run(fmt.Sprintf("%s/%d", db, n), func(b *testing.B) {
				var tries int
				var took time.Duration
				for i := 0; i < b.N; i++ {
					url := filepath.Join(b.TempDir(), "wasmflow.db")
					if db == "postgres" {
						url = dbtest.PostgresURL(b)
					}
					c := newHAClusterOn(b, url, runs)
					start := time.Now()
					for j := 0; j < n; j++ {
						c.start(j)
					}
					c.waitEnded(map[string]bool{}, runs)
					took += time.Since(start)
					c.stopAll()
					tries += len(c.runs.n)
				}
				perSec := float64(tries) / took.Seconds()
				if n == 1 {
					one = perSec
				}
				b.ReportMetric(perSec, "tasks/s")
				b.ReportMetric(perSec/one, "x_one")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}

// TestClearOfAnotherSchedulersRun: a scheduler asked to clear a run another live scheduler
// drives refuses with ErrOwnedElsewhere (the API then files the clear as a command), and the
// command is applied by the run's owner alone: the task runs again, once.
func TestClearOfAnotherSchedulersRun(t *testing.T) {
	const runs = 4
	c := newHAClusterOn(t, dbtest.URL(t), runs)
	c.start(0)
	c.start(1)
	c.waitEnded(map[string]bool{}, runs)
	ctx := context.Background()
	reader := c.open()
	all, err := reader.ListDagRuns(ctx, "ha", "", 0)
	if err != nil || len(all) != runs {
		t.Fatalf("runs %v, %v", all, err)
	}
	run := all[0]
	other := 0
	if c.jobOf(reader, 0) == run.OwnerJobID {
		other = 1
	}
	_, err = c.scheds[other].Clear(ctx, scheduler.ClearRequest{DagID: "ha", RunID: run.RunID, TaskIDs: []string{"l3t0"}, Owner: "test"})
	if !errors.Is(err, scheduler.ErrOwnedElsewhere) {
		t.Fatalf("clear through the other scheduler: %v, want ErrOwnedElsewhere", err)
	}
	cmd, err := reader.AddCommand(ctx, scheduler.Command{Kind: "clear", DagID: "ha", RunID: run.RunID, TaskIDs: []string{"l3t0"}, Owner: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if ended := <-c.ended; ended.RunID != run.RunID || ended.State != tasks.RunSuccess {
		t.Fatalf("after the clear, %s ended %s", ended.RunID, ended.State)
	}
	if got, err := reader.GetCommand(ctx, cmd.ID); err != nil || got.DoneAt == nil || got.Result != "cleared [l3t0]" {
		t.Errorf("command = %+v, %v", got, err)
	}
	key := scheduler.NewTIKey("ha", run.RunID, "l3t0")
	c.runs.mu.Lock()
	defer c.runs.mu.Unlock()
	if c.runs.n[tryKey{key, 1}] != 1 || c.runs.n[tryKey{key, 2}] != 1 {
		t.Errorf("l3t0 ran %d times at try 1 and %d at try 2, want once each", c.runs.n[tryKey{key, 1}], c.runs.n[tryKey{key, 2}])
	}
}
