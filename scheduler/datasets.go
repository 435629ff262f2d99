package scheduler

import (
	"context"
	"time"
)

// RunTypeDatasetTriggered is the run_type of a run a DAG scheduled on datasets gets once each of
// its datasets has been updated (Airflow's DagRunType.DATASET_TRIGGERED, also its run id prefix).
const RunTypeDatasetTriggered = "dataset_triggered"

// Dataset is one dataset URI as the metastore records it, with the DAGs it triggers (their
// schedule lists it) and the tasks that update it (their outlets list it).
type Dataset struct {
	ID        int64
	URI       string
	Extra     string // JSON object
	CreatedAt time.Time
	UpdatedAt time.Time
	Consumers []DatasetDagRef
	Producers []DatasetTaskRef
}

// DatasetDagRef is a DAG scheduled on a dataset (Airflow's DagScheduleDatasetReference).
type DatasetDagRef struct {
	DagID     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// DatasetTaskRef is a task that updates a dataset (Airflow's TaskOutletDatasetReference).
type DatasetTaskRef struct {
	DagID     string
	TaskID    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// DatasetEvent is one update of a dataset: a try of a task listing it in its outlets ended
// success.
type DatasetEvent struct {
	ID             int64
	DatasetID      int64 // set by the metastore; Changes go by URI
	URI            string
	Extra          string // JSON object; "" is {}
	SourceDagID    string
	SourceRunID    string
	SourceTaskID   string
	SourceMapIndex int
	Timestamp      time.Time
}

// DatasetStore is what data-aware scheduling needs of the metastore, beyond the dataset events
// a Save records (Changes.DatasetEvents). A RunStore without it schedules no DAG on datasets.
type DatasetStore interface {
	// QueuedDatasets returns, for each DAG scheduled on datasets, the URIs of its datasets
	// that have an event its last dataset-triggered run did not consume, with the time of
	// the latest such event.
	QueuedDatasets(ctx context.Context) (map[string]map[string]time.Time, error)
	// CreateDatasetRun creates dagID's dataset-triggered run when, read again in the same
	// transaction, every URI of uris has a queued event: build makes the run from its
	// triggering events (the events no run of the DAG consumed yet, newest timestamp last) and
	// the logical date of the DAG's last dataset-triggered run (zero: none), which the new one
	// must follow; the DAG's queue is emptied. It returns ErrNotReady when some dataset has no
	// queued event (another scheduler consumed them), ErrExists when another scheduler created
	// the same run.
	CreateDatasetRun(ctx context.Context, dagID string, uris []string, build func(events []DatasetEvent, after time.Time) (DagRun, []TaskInstance)) (DagRun, error)
	// ConsumedDatasetEvents returns the events a dataset-triggered run was created from.
	ConsumedDatasetEvents(ctx context.Context, dagID, runID string) ([]DatasetEvent, error)
}
