package scheduler_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/cluster"
	"github.com/wasmflow/wasmflow/runtime"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/scheduler/metastore"
	"github.com/wasmflow/wasmflow/tasks"
)

// BenchmarkDatasetTrigger is `make bench`'s data-aware scheduling figure: the latency from a
// dataset event (a producer task's success, as its timestamp says) to the consumer's
// dataset_triggered run created and written, over b.N producer runs on SQLite. The tasks are
// expression sensors, so no module runs and the figure is the scheduler's and the metastore's
// alone. Target: p50 at most 50 ms.
func BenchmarkDatasetTrigger(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	for name, src := range map[string]string{
		"producer.yaml": "dag_id: producer\nis_paused_upon_creation: false\ntasks:\n  - {id: export, sensor: 'true', outlets: [warehouse://orders]}\n",
		"consumer.yaml": "dag_id: consumer\nis_paused_upon_creation: false\nschedule: {datasets: [warehouse://orders]}\ntasks:\n  - {id: report, sensor: 'true'}\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	store, err := metastore.Open(ctx, filepath.Join(dir, "wasmflow.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	sy := &scheduler.DagSyncer{Store: store, Folders: []string{dir}}
	if rep, err := sy.SyncOnce(ctx); err != nil || rep.Dags != 2 {
		b.Fatalf("sync: %+v, %v", rep, err)
	}
	r, err := runtime.New(ctx, runtime.Config{CacheDir: filepath.Join(dir, ".cache")})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close(ctx)
	events := make(chan time.Time, 1)   // the producer's event, as timestamped
	created := make(chan time.Time, 1)  // the consumer's run, once written
	consumed := make(chan struct{}, 16) // the consumer's runs that ended
	seen := map[string]bool{}
	s := scheduler.New(scheduler.Config{Store: store, Dags: sy.Dags, Poll: time.Hour,
		Executor: &cluster.LocalExecutor{Runner: r, LogsFolder: filepath.Join(dir, ".logs")},
		OnSaved: func(c scheduler.Changes) { // on the loop: record, never block
			for _, e := range c.DatasetEvents {
				events <- e.Timestamp
			}
			for _, run := range c.Runs {
				if run.RunType == scheduler.RunTypeDatasetTriggered && !seen[run.RunID] {
					seen[run.RunID] = true
					created <- time.Now()
				}
			}
		},
		OnRunFinished: func(run scheduler.DagRun) {
			if run.DagID == "consumer" {
				consumed <- struct{}{}
			}
		},
	})
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(sctx, time.Second) }()
	defer func() { stop(); <-done }()
	if err := scheduler.Started(ctx, s); err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Trigger(ctx, "producer", scheduler.TriggerOptions{LogicalDate: time.Now().Add(-time.Second)}); err != nil {
			b.Fatal(err)
		}
		var at time.Time
		select {
		case at = <-events:
		case <-time.After(10 * time.Second):
			b.Fatal("the producer recorded no dataset event")
		}
		select {
		case made := <-created:
			lat = append(lat, made.Sub(at))
		case <-time.After(10 * time.Second):
			b.Fatal("the consumer got no dataset-triggered run")
		}
		<-consumed // one run at a time: the next event is not queued behind this one
	}
	b.StopTimer()
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(lat[len(lat)/2]), "ms_p50")
	b.ReportMetric(ms(lat[len(lat)*9/10]), "ms_p90")
	b.ReportMetric(0, "ns/op") // the figures above are the result
	runs, _ := store.ListDagRuns(ctx, "consumer", "", 0)
	if len(runs) != b.N || runs[0].State != tasks.RunSuccess {
		b.Errorf("consumer has %d runs (latest %s), want %d, each a success", len(runs), runs[0].State, b.N)
	}
}
