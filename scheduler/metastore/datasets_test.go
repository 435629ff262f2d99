package metastore

import (
	"errors"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// syncDatasetDags records a producer (task export updates orders and customers) and a consumer
// scheduled on both.
func syncDatasetDags(t *testing.T, s *Store) {
	t.Helper()
	ctx := t.Context()
	p := dag("producer", "/dags/producer.yaml")
	p.Outlets = map[string][]string{"export": {"warehouse://orders", "warehouse://customers"}}
	c := dag("consumer", "/dags/consumer.yaml")
	c.Schedule, c.ScheduleDatasets = tasks.DatasetScheduleName, []string{"warehouse://orders", "warehouse://customers"}
	for _, d := range []scheduler.Dag{p, c} {
		if err := s.SyncDag(ctx, d, []byte(d.DagID), false); err != nil {
			t.Fatal(err)
		}
	}
	seedRun(t, s, "producer", "manual__1", 1)
}

func event(uri string, at time.Time) scheduler.DatasetEvent {
	return scheduler.DatasetEvent{URI: uri, SourceDagID: "producer", SourceRunID: "manual__1", SourceTaskID: "t0", SourceMapIndex: -1, Timestamp: at}
}

func queued(t *testing.T, s *Store) map[string]map[string]time.Time {
	t.Helper()
	q, err := s.QueuedDatasets(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func datasetRun(events []scheduler.DatasetEvent, _ time.Time) (scheduler.DagRun, []scheduler.TaskInstance) {
	last := events[len(events)-1].Timestamp
	return scheduler.DagRun{DagID: "consumer", RunID: "dataset_triggered__" + last.Format(time.RFC3339Nano), RunType: scheduler.RunTypeDatasetTriggered,
		LogicalDate: last, DataIntervalStart: events[0].Timestamp, DataIntervalEnd: last}, []scheduler.TaskInstance{{TaskID: "report"}}
}

// TestDatasetQueueAndRun: events recorded by Save queue for the consumer; the queue survives a
// reopen; the run needs every dataset, consumes exactly the events since the last one, and
// empties the queue; a second creation from the same queue is refused.
func TestDatasetQueueAndRun(t *testing.T) {
	ctx := t.Context()
	url := testURL(t)
	s := openStore(t, url)
	syncDatasetDags(t, s)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

	if err := s.Save(ctx, scheduler.Changes{DatasetEvents: []scheduler.DatasetEvent{event("warehouse://orders", t0)}}); err != nil {
		t.Fatal(err)
	}
	if q := queued(t, s); len(q["consumer"]) != 1 || !q["consumer"]["warehouse://orders"].Equal(t0) {
		t.Fatalf("queue after one event = %v", q)
	}
	uris := []string{"warehouse://orders", "warehouse://customers"}
	if _, err := s.CreateDatasetRun(ctx, "consumer", uris, datasetRun); !errors.Is(err, scheduler.ErrNotReady) {
		t.Fatalf("a run with one of two datasets updated: %v, want ErrNotReady", err)
	}

	// The queue is in the metastore: another process sees it.
	s2 := openStore(t, url)
	t1 := t0.Add(time.Second)
	if err := s2.Save(ctx, scheduler.Changes{DatasetEvents: []scheduler.DatasetEvent{event("warehouse://customers", t1)}}); err != nil {
		t.Fatal(err)
	}
	run, err := s2.CreateDatasetRun(ctx, "consumer", uris, datasetRun)
	if err != nil {
		t.Fatal(err)
	}
	if !run.LogicalDate.Equal(t1) || run.RunType != scheduler.RunTypeDatasetTriggered {
		t.Errorf("run = %+v", run)
	}
	if q := queued(t, s); len(q["consumer"]) != 0 {
		t.Errorf("queue after the run = %v, want empty", q)
	}
	if _, err := s.CreateDatasetRun(ctx, "consumer", uris, datasetRun); !errors.Is(err, scheduler.ErrNotReady) {
		t.Errorf("a second run from a consumed queue: %v", err)
	}
	got, err := s.ConsumedDatasetEvents(ctx, "consumer", run.RunID)
	if err != nil || len(got) != 2 || got[0].URI != "warehouse://orders" || got[1].URI != "warehouse://customers" || got[1].SourceTaskID != "t0" {
		t.Fatalf("consumed events = %+v, %v", got, err)
	}

	// The next run takes only the events after the first run.
	t2, t3 := t1.Add(time.Second), t1.Add(2*time.Second)
	if err := s.Save(ctx, scheduler.Changes{DatasetEvents: []scheduler.DatasetEvent{event("warehouse://orders", t2), event("warehouse://customers", t3)}}); err != nil {
		t.Fatal(err)
	}
	run2, err := s.CreateDatasetRun(ctx, "consumer", uris, datasetRun)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = s.ConsumedDatasetEvents(ctx, "consumer", run2.RunID)
	if len(got) != 2 || !got[0].Timestamp.Equal(t2) || !got[1].Timestamp.Equal(t3) {
		t.Errorf("second run consumed %+v, want the two events after the first run", got)
	}

	// Listings: the datasets with their references, the events with the runs they created.
	ds, total, err := s.ListDatasets(ctx, DatasetQuery{URIPattern: "orders"})
	if err != nil || total != 1 || len(ds) != 1 {
		t.Fatalf("ListDatasets = %+v, %d, %v", ds, total, err)
	}
	if !reflect.DeepEqual(refDags(ds[0]), []string{"consumer", "producer.export"}) {
		t.Errorf("references of orders = %v", refDags(ds[0]))
	}
	page, err := s.ListDatasetEvents(ctx, DatasetEventQuery{DatasetID: ds[0].ID, Desc: true})
	if err != nil || page.Total != 2 || len(page.Events) != 2 || !page.Events[0].Timestamp.Equal(t2) {
		t.Fatalf("events of orders = %+v, %v", page, err)
	}
	if runs := page.CreatedRuns[page.Events[0].ID]; len(runs) != 1 || runs[0].RunID != run2.RunID {
		t.Errorf("runs created by the latest event = %+v", runs)
	}
	if _, err := s.GetDataset(ctx, "warehouse://nothing"); !errors.Is(err, scheduler.ErrNotFound) {
		t.Errorf("GetDataset of an unknown URI: %v", err)
	}
}

func refDags(d scheduler.Dataset) []string {
	var out []string
	for _, c := range d.Consumers {
		out = append(out, c.DagID)
	}
	for _, p := range d.Producers {
		out = append(out, p.DagID+"."+p.TaskID)
	}
	sort.Strings(out)
	return out
}

// TestDatasetRefsFollowTheFile: a parse that drops a dataset from the schedule drops the
// reference and what was queued for it; one that keeps it keeps its created_at.
func TestDatasetRefsFollowTheFile(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	syncDatasetDags(t, s)
	if err := s.Save(ctx, scheduler.Changes{DatasetEvents: []scheduler.DatasetEvent{event("warehouse://orders", time.Now()), event("warehouse://customers", time.Now())}}); err != nil {
		t.Fatal(err)
	}
	before, _ := s.GetDataset(ctx, "warehouse://customers")
	c := dag("consumer", "/dags/consumer.yaml")
	c.Schedule, c.ScheduleDatasets = tasks.DatasetScheduleName, []string{"warehouse://customers"}
	c.SourceHash = "changed"
	if err := s.SyncDag(ctx, c, []byte("v2"), false); err != nil {
		t.Fatal(err)
	}
	if q := queued(t, s)["consumer"]; len(q) != 1 || q["warehouse://customers"].IsZero() {
		t.Errorf("queue after orders left the schedule = %v", q)
	}
	orders, _ := s.GetDataset(ctx, "warehouse://orders")
	if !reflect.DeepEqual(refDags(orders), []string{"producer.export"}) {
		t.Errorf("orders is still referenced by %v", refDags(orders))
	}
	after, _ := s.GetDataset(ctx, "warehouse://customers")
	if len(after.Consumers) != 1 || !after.Consumers[0].CreatedAt.Equal(before.Consumers[0].CreatedAt) {
		t.Errorf("kept reference %+v, was %+v", after.Consumers, before.Consumers)
	}
}

// TestDatasetRunCreatedOnce: schedulers on their own connections (processes, for SQLite) that
// all see the consumer ready race to create its run: exactly one does.
func TestDatasetRunCreatedOnce(t *testing.T) {
	ctx := t.Context()
	url := testURL(t)
	s := openStore(t, url)
	syncDatasetDags(t, s)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if err := s.Save(ctx, scheduler.Changes{DatasetEvents: []scheduler.DatasetEvent{event("warehouse://orders", t0), event("warehouse://customers", t0.Add(time.Millisecond))}}); err != nil {
		t.Fatal(err)
	}
	const n = 4
	stores := make([]*Store, n)
	for i := range stores {
		stores[i] = openStore(t, url)
	}
	errs := make(chan error, n)
	for _, st := range stores {
		go func() {
			_, err := st.CreateDatasetRun(ctx, "consumer", []string{"warehouse://orders", "warehouse://customers"}, datasetRun)
			errs <- err
		}()
	}
	created := 0
	for range n {
		err := <-errs
		switch {
		case err == nil:
			created++
		case !errors.Is(err, scheduler.ErrNotReady) && !errors.Is(err, scheduler.ErrExists):
			t.Errorf("a losing creation failed with %v, want ErrNotReady or ErrExists", err)
		}
	}
	runs, _ := s.ListDagRuns(ctx, "consumer", "", 0)
	if created != 1 || len(runs) != 1 {
		t.Errorf("%d creations succeeded, %d runs; want exactly one", created, len(runs))
	}
}
