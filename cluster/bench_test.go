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
	"github.com/wasmflow/wasmflow/tasks"
)

// BenchmarkDispatch compares a trivial try (noop.wasm) through the local executor with the
// same through a server and two workers on loopback:
//
//   - one/*: one try at a time, submit to result: p50 and p99 latency per try;
//   - batch/*: 1,000 tries submitted at once (16 slots in all): wall time per try.
//   - death: a worker running four tries crashes; how long until the server reports them
//     lost (death-to-lost-ms), and until their retries run on another worker
//     (death-to-rerun-ms), with the failure detection as shipped. See benchDeath.
//
// The difference in p50 is the cluster's dispatch overhead per try. Run with
//
//	go test ./cluster -run '^$' -bench Dispatch -benchtime 1000x
func BenchmarkDispatch(b *testing.B) {
	defer b.Run("death", benchDeath)
	for _, mode := range []string{"local", "cluster"} {
		b.Run("one/"+mode, func(b *testing.B) {
			ex, res := benchExecutor(b, mode)
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				w := workload("bench", "r", fmt.Sprintf("t%d", i), 1, noopWasm)
				start := time.Now()
				ex.Submit(w, nil)
				final(res)
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
				final(res)
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
		final(res)
	}
}

// final returns the next result that ends a try, skipping the cluster executor's progress
// reports (queued with a reason, running on a node), which are not results.
func final(res chan scheduler.TryResult) scheduler.TryResult {
	for {
		if r := <-res; !r.Progress() {
			return r
		}
	}
}

// benchDeath crashes workers (Worker.Close: no goodbye, as kill -9) while each runs four long
// tries, and measures, from the crash, when the last of them is reported lost to the
// scheduler and when the last of their retries (submitted as each lost result arrives, as the
// scheduler does with retry_delay 0) has started on the surviving worker. A crash takes
// seconds to detect, so it does min(b.N, 3) deaths whatever -benchtime says; the metrics are
// medians over them, and ns/op is the mean death-to-rerun time.
func benchDeath(b *testing.B) {
	res := make(chan scheduler.TryResult, 1024)
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
	// The victims serve only queue "doomed", so their tries are theirs; retries go to the
	// default queue, which the survivor serves.
	startWorker(b, "survivor", e.Node().Address(), workerOpts{slots: 8})
	deaths := min(b.N, 3)
	var lost, rerun []time.Duration
	b.ResetTimer()
	for i := range deaths {
		b.StopTimer()
		name := fmt.Sprintf("victim%d", i)
		victim := startWorker(b, name, e.Node().Address(), workerOpts{slots: 4, queues: []string{"doomed"}})
		waitWorkers(b, s, 2)
		for j := range 4 {
			w := workload("death", name, fmt.Sprintf("t%d", j), 1, sleepWasm, "60")
			w.Queue = "doomed"
			e.Submit(w, nil)
		}
		eventually(b, 10*time.Second, func() bool { return victim.runningCount() == 4 }, "%s runs %d of 4 tries", name, victim.runningCount())
		for len(res) > 0 { // the started reports
			<-res
		}
		b.StartTimer()
		died := time.Now()
		victim.Close()
		var lastLost, lastRerun time.Duration
		nLost, nRerun, started := 0, 0, map[string]bool{}
		timeout := time.After(30 * time.Second)
		for nRerun < 4 {
			select {
			case r := <-res:
				switch {
				case r.Key.RunID != name:
				case r.TryNumber == 1 && r.State == tasks.StateFailed:
					if r.Reason != "lost: worker "+name+" died" {
						b.Fatalf("%s try 1: %s %q", r.Key.TaskID, r.State, r.Reason)
					}
					lastLost = time.Since(died)
					nLost++
					retry := workload("death", name, r.Key.TaskID, 2, noopWasm)
					e.Submit(retry, nil)
				case r.TryNumber == 2 && !started[r.Key.TaskID]:
					// Started, or already done: a retry this short can end before the
					// server hears the survivor took it, and then it reports only the end.
					if r.Hostname != "survivor" || (r.State != tasks.StateRunning && r.State != tasks.StateSuccess) {
						b.Fatalf("%s try 2: %s on %s (%s)", r.Key.TaskID, r.State, r.Hostname, r.Reason)
					}
					started[r.Key.TaskID] = true
					lastRerun = time.Since(died)
					nRerun++
				}
			case <-timeout:
				b.Fatalf("after 30 s: %d of 4 tries of %s reported lost, %d retries started", nLost, name, nRerun)
			}
		}
		b.StopTimer()
		lost, rerun = append(lost, lastLost), append(rerun, lastRerun)
		eventually(b, 10*time.Second, func() bool { return len(e.Waiting()) == 0 && e.remoteRunning() == 0 }, "retries of %s not done", name)
		for len(res) > 0 {
			<-res
		}
	}
	median := func(ds []time.Duration) float64 {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return float64(ds[len(ds)/2].Microseconds()) / 1000
	}
	var sum time.Duration
	for _, d := range rerun {
		sum += d
	}
	b.ReportMetric(float64(sum.Nanoseconds())/float64(len(rerun)), "ns/op")
	b.ReportMetric(median(lost), "death-to-lost-ms")
	b.ReportMetric(median(rerun), "death-to-rerun-ms")
	b.ReportMetric(float64(deaths), "deaths")
}
