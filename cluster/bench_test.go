package cluster

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/runtime"
	"github.com/wasmflow/wasmflow/scheduler"
)

// BenchmarkDispatch compares a trivial try (noop.wasm) through the local executor with the
// same through a server and two workers on loopback:
//
//   - one/*: one try at a time, submit to result: p50 and p99 latency per try;
//   - batch/*: 1,000 tries submitted at once (16 slots in all): wall time per try.
//
// The difference in p50 is the cluster's dispatch overhead per try. Run with
//
//	go test ./cluster -run '^$' -bench Dispatch -benchtime 1000x
func BenchmarkDispatch(b *testing.B) {
	for _, mode := range []string{"local", "cluster"} {
		b.Run("one/"+mode, func(b *testing.B) {
			ex, res := benchExecutor(b, mode)
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				w := workload("bench", "r", fmt.Sprintf("t%d", i), 1, noopWasm)
				start := time.Now()
				ex.Submit(w, nil)
				<-res
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
		b.Run("batch/"+mode, func(b *testing.B) {
			ex, res := benchExecutor(b, mode)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ex.Submit(workload("bench", "r", fmt.Sprintf("t%d", i), 1, noopWasm), nil)
			}
			for i := 0; i < b.N; i++ {
				<-res
			}
		})
	}
}

// benchExecutor is a started executor: the local one with 16 slots' worth of parallelism (it
// has no limit of its own), or a server running nothing itself and two workers of 8 slots.
func benchExecutor(b *testing.B, mode string) (scheduler.Executor, chan scheduler.TryResult) {
	res := make(chan scheduler.TryResult, 4096)
	if mode == "local" {
		r, err := runtime.New(context.Background(), runtime.Config{CacheDir: filepath.Join(b.TempDir(), "compiled")})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { r.Close(context.Background()) })
		ex := &LocalExecutor{Runner: r, LogsFolder: b.TempDir()}
		if err := ex.Start(context.Background(), res); err != nil {
			b.Fatal(err)
		}
		warm(b, ex, res)
		return ex, res
	}
	e, err := NewRemoteExecutor(ServerConfig{
		Node:       NodeConfig{Name: "server", Bind: "127.0.0.1:0", Secret: testSecret},
		LogsFolder: b.TempDir(), Log: testLog(b),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	if err := e.Start(context.Background(), res); err != nil {
		b.Fatal(err)
	}
	s := &testServer{RemoteExecutor: e}
	startWorker(b, "w1", e.Node().Address(), workerOpts{slots: 8})
	startWorker(b, "w2", e.Node().Address(), workerOpts{slots: 8})
	waitWorkers(b, s, 2)
	warm(b, e, res)
	return e, res
}

// warm runs a few tries so modules are cached and compiled everywhere.
func warm(b *testing.B, ex scheduler.Executor, res chan scheduler.TryResult) {
	for i := range 8 {
		ex.Submit(workload("warm", "r", fmt.Sprint(i), 1, noopWasm), nil)
	}
	for range 8 {
		<-res
	}
}
