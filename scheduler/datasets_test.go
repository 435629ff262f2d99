package scheduler_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/internal/dbtest"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/scheduler/metastore"
	"github.com/wasmflow/wasmflow/tasks"
)

func producer(id, uri string) string {
	return `dag_id: ` + id + `
tasks:
  - id: export
    module: modules/echo.wasm
    args: ["exported"]
    outlets: [` + uri + `]
`
}

const consumerDAG = `dag_id: consumer
schedule:
  datasets: [warehouse://orders, warehouse://customers]
is_paused_upon_creation: %PAUSED%
tasks:
  - id: report
    module: modules/echo.wasm
    args: ["{{ len(triggering_dataset_events) }} {{ triggering_dataset_events[\"warehouse://orders\"][0].source_dag_id }} {{ run_id }}"]
`

func datasetRig(t *testing.T, paused bool) *rig {
	return newRig(t, map[string]string{
		"p_orders":    producer("p_orders", "warehouse://orders"),
		"p_customers": producer("p_customers", "warehouse://customers"),
		"consumer":    strings.Replace(consumerDAG, "%PAUSED%", map[bool]string{true: "true", false: "false"}[paused], 1),
	})
}

// nextRun waits for a run of dagID to end, one the test did not create.
func (rg *rig) nextRun(dagID string) scheduler.DagRun {
	rg.t.Helper()
	rg.mu.Lock()
	c := rg.ch(dagID)
	rg.mu.Unlock()
	select {
	case run := <-c:
		return run
	case <-time.After(20 * time.Second):
		rg.t.Fatalf("no run of %s ended", dagID)
	}
	return scheduler.DagRun{}
}

func (rg *rig) runsOf(dagID string) []scheduler.DagRun {
	rg.t.Helper()
	runs, err := rg.store.ListDagRuns(context.Background(), dagID, "", 0)
	if err != nil {
		rg.t.Fatal(err)
	}
	return runs
}

// TestDatasetTriggeredRun: the consumer waits for both datasets (one update is not enough),
// then gets one dataset_triggered run that sees the triggering events in its templates.
func TestDatasetTriggeredRun(t *testing.T) {
	rg := datasetRig(t, false)
	if run, _ := rg.trigger("p_orders", nil); run.State != tasks.RunSuccess {
		t.Fatalf("producer run %s", run.State)
	}
	if run, _ := rg.trigger("p_customers", nil); run.State != tasks.RunSuccess {
		t.Fatalf("producer run %s", run.State)
	}
	run := rg.nextRun("consumer")
	if run.RunType != scheduler.RunTypeDatasetTriggered || !strings.HasPrefix(run.RunID, "dataset_triggered__") || run.State != tasks.RunSuccess {
		t.Errorf("consumer run = %s %s %s, want a successful dataset_triggered run", run.RunType, run.RunID, run.State)
	}
	if runs := rg.runsOf("consumer"); len(runs) != 1 {
		t.Errorf("consumer has %d runs, want 1: the update of orders alone must not trigger it", len(runs))
	}
	x, err := rg.store.GetXCom(context.Background(), "consumer", run.RunID, "report", "return_value")
	if want := "2 p_orders " + run.RunID; err != nil || string(x.Value) != want {
		t.Errorf("report rendered %q, %v; want %q", x.Value, err, want)
	}
	events, err := rg.store.ConsumedDatasetEvents(context.Background(), "consumer", run.RunID)
	if err != nil || len(events) != 2 || !run.LogicalDate.Equal(events[1].Timestamp) {
		t.Errorf("consumed events %+v, %v; the logical date %s is the latest one's", events, err, run.LogicalDate)
	}
}

// TestDatasetEventsWaitForUnpause: events while the consumer is paused create its run once it
// is unpaused, not before.
func TestDatasetEventsWaitForUnpause(t *testing.T) {
	rg := datasetRig(t, true)
	rg.trigger("p_orders", nil)
	rg.trigger("p_customers", nil)
	rg.untilIdle()
	if runs := rg.runsOf("consumer"); len(runs) != 0 {
		t.Fatalf("a paused consumer got %d runs", len(runs))
	}
	if q, _ := rg.store.QueuedDatasets(context.Background()); len(q["consumer"]) != 2 {
		t.Fatalf("queued for the paused consumer: %v, want both datasets", q)
	}
	if err := rg.store.SetPaused(context.Background(), "consumer", false); err != nil {
		t.Fatal(err)
	}
	if run := rg.nextRun("consumer"); run.RunType != scheduler.RunTypeDatasetTriggered {
		t.Errorf("run after unpause = %+v", run)
	}
}

// TestDatasetRunsUnderThreeSchedulers: three active schedulers on one metastore (PostgreSQL with
// WASMFLOW_TEST_PG=1), producer runs created on each: every dataset event is consumed by
// exactly one consumer run, each a success, though the shared test clock gives every event
// the same timestamp.
func TestDatasetRunsUnderThreeSchedulers(t *testing.T) {
	c := newHAClusterOn(t, dbtest.URL(t), 0)
	dir := c.sync.Folders[0]
	write(t, filepath.Join(dir, "producer.yaml"), "dag_id: producer\nis_paused_upon_creation: false\nmax_active_runs: 64\ntasks:\n  - {id: export, sensor: 'true', outlets: [warehouse://orders]}\n")
	write(t, filepath.Join(dir, "consumer.yaml"), "dag_id: consumer\nis_paused_upon_creation: false\nschedule: {datasets: [warehouse://orders]}\ntasks:\n  - {id: report, sensor: 'true'}\n")
	if rep, err := c.sync.SyncOnce(context.Background()); err != nil || rep.Errors > 0 {
		t.Fatalf("sync: %+v %v", rep, err)
	}
	c.ended = make(chan scheduler.DagRun, 256) // room for every run: a scheduler never waits on the test
	for i := 0; i < 3; i++ {
		c.start(i)
	}
	const n = 12
	ctx := context.Background()
	for i := 0; i < n; i++ {
		if _, err := c.scheds[i%3].Trigger(ctx, "producer", scheduler.TriggerOptions{LogicalDate: haStart.Add(-time.Duration(i+1) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	store := c.open()
	consumerEnded := map[string]bool{}
	producerEnded := 0
	limit := time.After(time.Minute) // a guard against a hang, not a timing
	for {
		page, err := store.ListDatasetEvents(ctx, metastore.DatasetEventQuery{})
		if err != nil {
			t.Fatal(err)
		}
		consumed := 0
		for _, e := range page.Events {
			consumed += len(page.CreatedRuns[e.ID])
		}
		if producerEnded == n && page.Total == n && consumed == n && len(consumerEnded) == countRuns(t, store, "consumer") {
			break
		}
		select {
		case r := <-c.ended:
			if r.State != tasks.RunSuccess {
				t.Fatalf("run %s/%s ended %s", r.DagID, r.RunID, r.State)
			}
			if r.DagID == "producer" {
				producerEnded++
			} else {
				consumerEnded[r.RunID] = true
			}
		case <-limit:
			t.Fatalf("%d producer runs ended, %d events, %d consumed", producerEnded, page.Total, consumed)
		}
	}
	page, _ := store.ListDatasetEvents(ctx, metastore.DatasetEventQuery{})
	for _, e := range page.Events {
		if runs := page.CreatedRuns[e.ID]; len(runs) != 1 {
			t.Errorf("event %d was consumed by %d runs, want exactly one", e.ID, len(runs))
		}
	}
}

func countRuns(t *testing.T, s *metastore.Store, dagID string) int {
	t.Helper()
	runs, err := s.ListDagRuns(context.Background(), dagID, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(runs)
}

// TestDatasetEventsWaitForRoom: a consumer at max_active_runs keeps the events that arrive
// meanwhile queued, and gets its next run once the running one ends.
func TestDatasetEventsWaitForRoom(t *testing.T) {
	rg := newRig(t, map[string]string{
		"p_orders": producer("p_orders", "warehouse://orders"),
		"consumer": `dag_id: consumer
schedule: {datasets: [warehouse://orders]}
max_active_runs: 1
tasks:
  - id: hold
    sensor: 'var("release", "no") == "yes"'
    poke_interval: 50ms
`,
	})
	ctx := context.Background()
	rg.trigger("p_orders", nil)
	var first scheduler.DagRun
	waitFor(t, "the consumer's first run runs", func() bool {
		runs, _ := rg.store.ListDagRuns(ctx, "consumer", tasks.RunRunning, 0)
		if len(runs) == 1 {
			first = runs[0]
		}
		return len(runs) == 1
	})
	p2, err := rg.sched.Trigger(ctx, "p_orders", scheduler.TriggerOptions{LogicalDate: time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	rg.wait(p2)
	waitFor(t, "the second event is queued for the consumer", func() bool {
		q, _ := rg.store.QueuedDatasets(ctx)
		return len(q["consumer"]) == 1
	})
	if n := countRuns(t, rg.store, "consumer"); n != 1 {
		t.Fatalf("the consumer at max_active_runs 1 has %d runs", n)
	}
	if err := rg.store.SetVariable(ctx, scheduler.Variable{Key: "release", Value: "yes"}); err != nil {
		t.Fatal(err)
	}
	if ended, _ := rg.wait(first); ended.State != tasks.RunSuccess {
		t.Fatalf("first consumer run ended %s", ended.State)
	}
	second := rg.nextRun("consumer")
	for second.RunID == first.RunID {
		second = rg.nextRun("consumer")
	}
	if second.RunType != scheduler.RunTypeDatasetTriggered || second.State != tasks.RunSuccess {
		t.Errorf("second consumer run = %+v", second)
	}
}
