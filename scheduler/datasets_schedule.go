package scheduler

import (
	"context"
	"errors"
	"time"

	"github.com/wasmflow/wasmflow/scheduler/timetable"
	"github.com/wasmflow/wasmflow/tasks"
)

// recordOutlets queues a dataset event for each outlet of a task instance whose try just ended
// success: it is written in the same Save as the state change, so a crash loses neither.
func (s *Scheduler) recordOutlets(r *activeRun, ti *TaskInstance) {
	t := r.dag.Task(ti.TaskID)
	if t == nil || len(t.Outlets) == 0 {
		return
	}
	at := s.cfg.Now().UTC()
	if ti.EndDate != nil {
		at = ti.EndDate.UTC()
	}
	for _, uri := range t.Outlets {
		s.changes.extra.DatasetEvents = append(s.changes.extra.DatasetEvents, DatasetEvent{URI: uri, Extra: "{}",
			SourceDagID: ti.DagID, SourceRunID: ti.RunID, SourceTaskID: ti.TaskID, SourceMapIndex: ti.MapIndex, Timestamp: at})
	}
}

// scheduleDatasetDags creates the dataset-triggered runs that are due: for every active,
// unpaused DAG scheduled on datasets each of which has an event its last such run did not
// consume, within max_active_runs. Events for a paused DAG, or one without room, stay queued
// in the metastore until it is unpaused or a run ends.
func (s *Scheduler) scheduleDatasetDags(ctx context.Context) error {
	ds, ok := s.cfg.Store.(DatasetStore)
	if !ok {
		return nil
	}
	var consumers []*tasks.DAG
	for id, d := range s.cfg.Dags() {
		if d.Schedule.Kind == tasks.ScheduleDatasets && len(d.Schedule.Datasets) > 0 && !s.isPaused(ctx, id) {
			consumers = append(consumers, d)
		}
	}
	if len(consumers) == 0 {
		return nil
	}
	queued, err := ds.QueuedDatasets(ctx)
	if err != nil {
		return err
	}
	for _, d := range consumers {
		q := queued[d.DagID]
		ready := len(q) > 0
		for _, uri := range d.Schedule.Datasets {
			if _, ok := q[uri]; !ok {
				ready = false
				break
			}
		}
		active := -1
		if !ready || !s.roomForRun(ctx, d, &active) {
			continue
		}
		run, err := ds.CreateDatasetRun(ctx, d.DagID, d.Schedule.Datasets, func(events []DatasetEvent, after time.Time) (DagRun, []TaskInstance) {
			return s.datasetRun(d, events, after)
		})
		if errors.Is(err, ErrNotReady) || errors.Is(err, ErrExists) {
			continue // another scheduler made the run from these events
		}
		if err != nil {
			return err
		}
		if err := s.drive(ctx, d, run); err != nil {
			return err
		}
	}
	return nil
}

// datasetRun builds the dataset-triggered run of d from the events that trigger it (oldest
// first): its logical date is the latest event's timestamp, its data interval spans them. A
// logical date is a run's key: one not after the last run's (events timestamped by another
// scheduler's clock, or in the same microsecond) moves just past it.
func (s *Scheduler) datasetRun(d *tasks.DAG, events []DatasetEvent, after time.Time) (DagRun, []TaskInstance) {
	now := s.cfg.Now()
	logical := now.UTC()
	iv := timetable.DataInterval{Start: logical, End: logical}
	if len(events) > 0 {
		iv = timetable.DataInterval{Start: events[0].Timestamp.UTC(), End: events[len(events)-1].Timestamp.UTC()}
		logical = iv.End
	}
	if !after.IsZero() && !logical.After(after) {
		logical = after.Add(time.Microsecond)
		if iv.End.Before(logical) {
			iv.End = logical
		}
	}
	run, tis := NewRun(d, RunTypeDatasetTriggered, iv, logical, nil, "", now)
	run.OwnerJobID = s.job
	return run, tis
}

// triggeringEvents returns a dataset-triggered run's events by URI, as templates see them
// (triggering_dataset_events), read once per run.
func (s *Scheduler) triggeringEvents(ctx context.Context, r *activeRun) map[string][]map[string]any {
	out, err := readTriggeringEvents(ctx, s.cfg.Store, r)
	if err != nil {
		s.cfg.Log.Warn("read the triggering dataset events", "dag_id", r.run.DagID, "run_id", r.run.RunID, "err", err)
	}
	return out
}

// readTriggeringEvents reads a dataset-triggered run's events by URI from store (when it is a
// DatasetStore) into r's cache; nil for a run of another type. On an error they are empty and
// not cached: the next try reads them again.
func readTriggeringEvents(ctx context.Context, store any, r *activeRun) (map[string][]map[string]any, error) {
	if r.run.RunType != RunTypeDatasetTriggered {
		return nil, nil
	}
	if r.triggering != nil {
		return r.triggering, nil
	}
	out := map[string][]map[string]any{}
	if ds, ok := store.(DatasetStore); ok {
		events, err := ds.ConsumedDatasetEvents(ctx, r.run.DagID, r.run.RunID)
		if err != nil {
			return out, err
		}
		for _, e := range events {
			out[e.URI] = append(out[e.URI], map[string]any{"uri": e.URI, "extra": e.Extra, "timestamp": e.Timestamp.Format(time.RFC3339Nano),
				"source_dag_id": e.SourceDagID, "source_run_id": e.SourceRunID, "source_task_id": e.SourceTaskID, "source_map_index": e.SourceMapIndex})
		}
	}
	r.triggering = out
	return out, nil
}
