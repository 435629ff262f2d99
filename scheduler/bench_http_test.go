package scheduler_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/cluster"
	"github.com/wasmflow/wasmflow/runtime"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/scheduler/metastore"
	"github.com/wasmflow/wasmflow/tasks"
	"github.com/wasmflow/wasmflow/tasks/operators"
	"github.com/wasmflow/wasmflow/tasks/operators/operatorstest"
)

// httpChainDag writes a DAG of n `operator: http` tasks chained one after another, each a GET
// of /ping through the connection api.
func httpChainDag(b *testing.B, n int) string {
	dir := b.TempDir()
	var s strings.Builder
	fmt.Fprintf(&s, "dag_id: bench\nmax_active_tasks: %d\ntasks:\n", n)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&s, "  - id: t%d\n    operator: http\n    http_conn_id: api\n    endpoint: /ping\n    method: GET\n    response_check: status == 200\n", i)
		if i > 0 {
			fmt.Fprintf(&s, "    upstream: [t%d]\n", i-1)
		}
	}
	os.WriteFile(filepath.Join(dir, "bench.yaml"), []byte(s.String()), 0o644)
	return dir
}

// runChain runs one DagRun of the DAG "bench" in dir through a real scheduler, SQLite metastore
// (with the connection conn, if set) and local executor on a runtime whose compilation cache
// already holds warm's module, and returns how long the run took from trigger to its end.
func runChain(b *testing.B, dir, cache string, conn *tasks.Connection, warm []byte) time.Duration {
	ctx := context.Background()
	store, err := metastore.Open(ctx, filepath.Join(b.TempDir(), "wasmflow.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	if conn != nil {
		text, _ := metastore.GenerateSecretKey()
		key, err := metastore.NewSecretKey(text, "bench")
		if err != nil {
			b.Fatal(err)
		}
		store.UseSecretKey(key)
		if err := store.SetConnection(ctx, *conn); err != nil {
			b.Fatal(err)
		}
	}
	sy := &scheduler.DagSyncer{Store: store, Folders: []string{dir}, Connections: store.ConnectionIDs}
	if rep, err := sy.SyncOnce(ctx); err != nil || rep.Dags != 1 {
		b.Fatalf("sync: %+v, %v", rep, err)
	}
	// Pooled as the product runs it (app.Runner, the workers): warm instances of the operators.
	r, err := runtime.New(ctx, runtime.Config{CacheDir: cache, Pooled: operators.PooledDigests()})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close(ctx)
	// The module compiled and loaded before the clock starts: the figure is the tries.
	if _, err := r.Run(ctx, runtime.Try{Module: warm, TaskID: "warm", Stdin: "{}"}); err != nil {
		b.Fatal(err)
	}
	ended := make(chan scheduler.DagRun, 1)
	s := scheduler.New(scheduler.Config{Store: store, Dags: sy.Dags, Parallelism: 32,
		Executor:      &cluster.LocalExecutor{Runner: r, LogsFolder: filepath.Join(dir, ".logs")},
		OnRunFinished: func(run scheduler.DagRun) { ended <- run }})
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(sctx, time.Second) }()
	defer func() { stop(); <-done }()
	start := time.Now()
	if _, err := s.Trigger(ctx, "bench", scheduler.TriggerOptions{}); err != nil {
		b.Fatal(err)
	}
	run := <-ended
	took := time.Since(start)
	if run.State != tasks.RunSuccess {
		tis, _ := store.ListTaskInstances(ctx, "bench", run.RunID)
		b.Fatalf("run ended %s: %+v", run.State, tis)
	}
	return took
}

// BenchmarkHTTPChain100 is `make bench`'s figure for operator: http: a chain of 100 tasks, each
// one GET through a connection to a loopback server, end to end through the scheduler, against
// BenchmarkChain100's chain of 100 no-op module tasks run the same way in the same benchmark,
// and against the request itself (the same GET from Go, no sandbox). Target: an http task
// costs at most 2× a no-op task plus its request (x_noop_plus_request ≤ 2).
func BenchmarkHTTPChain100(b *testing.B) {
	cache := operatorstest.Build(b)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok": true}`)
	}))
	defer api.Close()
	conn := &tasks.Connection{ConnID: "api", ConnType: "http", Host: "127.0.0.1", Port: api.Listener.Addr().(*net.TCPAddr).Port}
	httpDir := httpChainDag(b, 100)
	noopDir, noop := noopDag(b, 100, true)
	path, err := operators.ModulePath("http")
	if err != nil {
		b.Fatal(err)
	}
	httpModule, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var chain, noopChain, request time.Duration
	for i := 0; i < b.N; i++ {
		chain += runChain(b, httpDir, cache, conn, httpModule)
		noopChain += runChain(b, noopDir, filepath.Join(noopDir, ".cache"), nil, noop)
		request += requests(b, api.URL+"/ping", 100)
	}
	n := float64(b.N * 100)
	perTask, perNoop, perRequest := float64(chain)/n, float64(noopChain)/n, float64(request)/n
	b.ReportMetric(perTask/1e3, "µs/http_task")
	b.ReportMetric(perNoop/1e3, "µs/noop_task")
	b.ReportMetric(perRequest/1e3, "µs/request")
	b.ReportMetric(perTask/(perNoop+perRequest), "x_noop_plus_request")
	b.ReportMetric(0, "ns/op")
}

// requests makes n GETs of url from Go, one after another, each on a new connection as each
// try's are: the cost of the request without wasmflow.
func requests(b *testing.B, url string, n int) time.Duration {
	start := time.Now()
	for i := 0; i < n; i++ {
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := client.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return time.Since(start)
}
