package scheduler_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/cluster"
	"github.com/wasmflow/wasmflow/internal/dbtest"
	"github.com/wasmflow/wasmflow/runtime"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/scheduler/metastore"
	"github.com/wasmflow/wasmflow/tasks"
)

// noopDag writes a DAG of n tasks running the minimal C module (runtime/testdata/noop_c),
// chained one after another or all independent.
func noopDag(b *testing.B, n int, chain bool) (dir string, module []byte) {
	dir = b.TempDir()
	module, err := os.ReadFile(filepath.Join("..", "runtime", "testdata", "noop_c", "noop.wasm"))
	if err != nil {
		b.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "noop.wasm"), module, 0o644)
	var s strings.Builder
	fmt.Fprintf(&s, "dag_id: bench\nmax_active_tasks: %d\ntasks:\n", n)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&s, "  - id: t%d\n    module: noop.wasm\n", i)
		if chain && i > 0 {
			fmt.Fprintf(&s, "    upstream: [t%d]\n", i-1)
		}
	}
	os.WriteFile(filepath.Join(dir, "bench.yaml"), []byte(s.String()), 0o644)
	return dir, module
}

// runThrough runs one DagRun of the DAG in dir through a real scheduler, SQLite metastore and
// local executor, and returns how long the run took from trigger to its end.
func runThrough(b *testing.B, dir string, parallelism int) time.Duration {
	return runThroughOn(b, filepath.Join(b.TempDir(), "wasmflow.db"), dir, parallelism)
}

// runThroughOn is runThrough on the metastore at url, a fresh database.
func runThroughOn(b *testing.B, url, dir string, parallelism int) time.Duration {
	ctx := context.Background()
	store, err := metastore.Open(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	sy := &scheduler.DagSyncer{Store: store, Folders: []string{dir}}
	if _, err := sy.SyncOnce(ctx); err != nil {
		b.Fatal(err)
	}
	r, err := runtime.New(ctx, runtime.Config{CacheDir: filepath.Join(dir, ".cache")})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close(ctx)
	ended := make(chan scheduler.DagRun, 1)
	s := scheduler.New(scheduler.Config{Store: store, Dags: sy.Dags, Parallelism: parallelism,
		Executor:      &cluster.LocalExecutor{Runner: r, LogsFolder: filepath.Join(dir, ".logs")},
		OnRunFinished: func(run scheduler.DagRun) { ended <- run }})
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(sctx, time.Second) }()
	defer func() { stop(); <-done }()
	// Warm the compilation cache so the figure is orchestration, not compiling.
	mod, _ := os.ReadFile(filepath.Join(dir, "noop.wasm"))
	if _, err := r.Run(ctx, runtime.Try{Module: mod, TaskID: "warm"}); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if _, err := s.Trigger(ctx, "bench", scheduler.TriggerOptions{}); err != nil {
		b.Fatal(err)
	}
	run := <-ended
	took := time.Since(start)
	if run.State != tasks.RunSuccess {
		b.Fatalf("run ended %s", run.State)
	}
	return took
}

// bareRuns runs the module n times back to back on the runtime alone: the baseline.
func bareRuns(b *testing.B, module []byte, n int) time.Duration {
	r, err := runtime.New(context.Background(), runtime.Config{CacheDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close(context.Background())
	r.Run(context.Background(), runtime.Try{Module: module, TaskID: "warm"})
	start := time.Now()
	for i := 0; i < n; i++ {
		if res, err := r.Run(context.Background(), runtime.Try{Module: module, TaskID: "t", Log: nil}); err != nil || res.State != runtime.StateSuccess {
			b.Fatalf("bare run: %+v %v", res, err)
		}
	}
	return time.Since(start)
}

// BenchmarkChain100 is `make bench`'s latency figure: a chain of 100 no-op tasks end to end
// through the scheduler, against the same 100 tries run back to back on the bare runtime in
// the same benchmark. Target: at most 1 ms of orchestration per task.
func BenchmarkChain100(b *testing.B) {
	dir, module := noopDag(b, 100, true)
	var sched, bare time.Duration
	for i := 0; i < b.N; i++ {
		sched += runThrough(b, dir, 32)
		bare += bareRuns(b, module, 100)
	}
	n := float64(b.N * 100)
	b.ReportMetric(float64(sched-bare)/n/1e3, "µs_overhead/task")
	b.ReportMetric(float64(sched)/n/1e3, "µs/task")
	b.ReportMetric(float64(bare)/n/1e3, "µs/task_bare")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkIndependent1000 is the throughput figure: 1,000 independent no-op tasks in one run.
// Target: at least 2,000 tasks per second on 2 cores.
func BenchmarkIndependent1000(b *testing.B) {
	dir, module := noopDag(b, 1000, false)
	var sched, bare time.Duration
	for i := 0; i < b.N; i++ {
		sched += runThrough(b, dir, 64)
		bare += bareRuns(b, module, 1000)
	}
	n := float64(b.N * 1000)
	b.ReportMetric(n/sched.Seconds(), "tasks/s")
	b.ReportMetric(n/bare.Seconds(), "tasks/s_bare")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkChain100Postgres is BenchmarkChain100 on a PostgreSQL metastore (a private
// internal/pgtest server on this machine, a fresh database each run) against the same chain on
// SQLite in the same iteration: the figure is the ratio, x_sqlite (PostgreSQL's time per task
// over SQLite's), and both times per task.
func BenchmarkChain100Postgres(b *testing.B) {
	benchDialects(b, 100, true, 32)
}

// BenchmarkIndependent1000Postgres is BenchmarkIndependent1000 on PostgreSQL against SQLite in
// the same iteration, as BenchmarkChain100Postgres.
func BenchmarkIndependent1000Postgres(b *testing.B) {
	benchDialects(b, 1000, false, 64)
}

func benchDialects(b *testing.B, n int, chain bool, parallelism int) {
	dir, _ := noopDag(b, n, chain)
	var lite, pg time.Duration
	for i := 0; i < b.N; i++ {
		lite += runThrough(b, dir, parallelism)
		pg += runThroughOn(b, dbtest.PostgresURL(b), dir, parallelism)
	}
	tasks := float64(b.N * n)
	b.ReportMetric(float64(pg)/float64(lite), "x_sqlite")
	b.ReportMetric(float64(pg)/tasks/1e3, "µs/task_postgres")
	b.ReportMetric(float64(lite)/tasks/1e3, "µs/task_sqlite")
	b.ReportMetric(tasks/pg.Seconds(), "tasks/s_postgres")
	b.ReportMetric(0, "ns/op")
}

// mappedDag writes a DAG of one task mapped over n elements, running the module of noopDag's
// DAG in dir.
func mappedDag(b *testing.B, dir string, n int) string {
	mapped := filepath.Join(b.TempDir(), "mapped")
	os.MkdirAll(mapped, 0o755)
	module, err := os.ReadFile(filepath.Join(dir, "noop.wasm"))
	if err != nil {
		b.Fatal(err)
	}
	os.WriteFile(filepath.Join(mapped, "noop.wasm"), module, 0o644)
	src := fmt.Sprintf("dag_id: bench\nmax_active_tasks: %d\ntasks:\n  - id: m\n    module: noop.wasm\n    expand: '1..%d'\n    args: [\"{{ item }}\"]\n", n, n)
	os.WriteFile(filepath.Join(mapped, "bench.yaml"), []byte(src), 0o644)
	return mapped
}

// BenchmarkMapped1000 is BenchmarkIndependent1000 with the 1,000 tasks as one task mapped over
// 1,000 elements, against the independent DAG in the same iteration: the figure is the ratio
// of their throughputs, x_independent (target: at least 0.8).
func BenchmarkMapped1000(b *testing.B) {
	dir, _ := noopDag(b, 1000, false)
	mapped := mappedDag(b, dir, 1000)
	var m, ind time.Duration
	for i := 0; i < b.N; i++ {
		m += runThrough(b, mapped, 64)
		ind += runThrough(b, dir, 64)
	}
	n := float64(b.N * 1000)
	b.ReportMetric((n/m.Seconds())/(n/ind.Seconds()), "x_independent")
	b.ReportMetric(n/m.Seconds(), "tasks/s")
	b.ReportMetric(n/ind.Seconds(), "tasks/s_independent")
	b.ReportMetric(0, "ns/op")
}
