package metastore

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/wasmflow/wasmflow/scheduler"
)

// The models of migration 9's tables (migrate_v9.go).

type datasetModel struct {
	ID        int64     `gorm:"column:id;primaryKey"`
	URI       string    `gorm:"column:uri"`
	Extra     string    `gorm:"column:extra"`
	CreatedAt time.Time `gorm:"column:created_at"`
	UpdatedAt time.Time `gorm:"column:updated_at"`
}

func (datasetModel) TableName() string { return "dataset" }

type datasetEventModel struct {
	ID             int64     `gorm:"column:id;primaryKey"`
	DatasetID      int64     `gorm:"column:dataset_id"`
	Extra          string    `gorm:"column:extra"`
	SourceDagID    string    `gorm:"column:source_dag_id"`
	SourceRunID    string    `gorm:"column:source_run_id"`
	SourceTaskID   string    `gorm:"column:source_task_id"`
	SourceMapIndex int       `gorm:"column:source_map_index"`
	Timestamp      time.Time `gorm:"column:timestamp"`
}

func (datasetEventModel) TableName() string { return "dataset_event" }

type dagScheduleDatasetReferenceModel struct {
	DatasetID int64     `gorm:"column:dataset_id;primaryKey;autoIncrement:false"`
	DagID     string    `gorm:"column:dag_id;primaryKey"`
	CreatedAt time.Time `gorm:"column:created_at"`
	UpdatedAt time.Time `gorm:"column:updated_at"`
}

func (dagScheduleDatasetReferenceModel) TableName() string { return "dag_schedule_dataset_reference" }

type taskOutletDatasetReferenceModel struct {
	DatasetID int64     `gorm:"column:dataset_id;primaryKey;autoIncrement:false"`
	DagID     string    `gorm:"column:dag_id;primaryKey"`
	TaskID    string    `gorm:"column:task_id;primaryKey"`
	CreatedAt time.Time `gorm:"column:created_at"`
	UpdatedAt time.Time `gorm:"column:updated_at"`
}

func (taskOutletDatasetReferenceModel) TableName() string { return "task_outlet_dataset_reference" }

type datasetDagRunQueueModel struct {
	DatasetID   int64     `gorm:"column:dataset_id;primaryKey;autoIncrement:false"`
	TargetDagID string    `gorm:"column:target_dag_id;primaryKey"`
	EventID     int64     `gorm:"column:event_id"`
	CreatedAt   time.Time `gorm:"column:created_at"`
}

func (datasetDagRunQueueModel) TableName() string { return "dataset_dag_run_queue" }

type dagRunDatasetEventModel struct {
	DagRunID int64 `gorm:"column:dag_run_id;primaryKey;autoIncrement:false"`
	EventID  int64 `gorm:"column:event_id;primaryKey;autoIncrement:false"`
}

func (dagRunDatasetEventModel) TableName() string { return "dagrun_dataset_event" }

// ensureDatasets makes a dataset row for every URI that has none and returns the id of each.
func ensureDatasets(tx *gorm.DB, uris []string, now time.Time) (map[string]int64, error) {
	ids := make(map[string]int64, len(uris))
	if len(uris) == 0 {
		return ids, nil
	}
	for _, u := range uris {
		if err := tx.Exec("INSERT INTO dataset (uri, extra, created_at, updated_at) VALUES (?, '{}', ?, ?) ON CONFLICT (uri) DO NOTHING", u, now, now).Error; err != nil {
			return nil, fmt.Errorf("record dataset %s: %w", u, err)
		}
	}
	var rows []datasetModel
	if err := tx.Where("uri IN ?", uris).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read datasets: %w", err)
	}
	for _, r := range rows {
		ids[r.URI] = r.ID
	}
	return ids, nil
}

// syncDatasetRefs rewrites a DAG's dataset references from its last parse: the datasets its
// schedule waits for and those its tasks update. A reference kept keeps its created_at; a
// dataset the schedule no longer lists drops its queued events for the DAG.
func syncDatasetRefs(tx *gorm.DB, d scheduler.Dag, now time.Time) error {
	uris := append([]string(nil), d.ScheduleDatasets...)
	for _, us := range d.Outlets {
		uris = append(uris, us...)
	}
	ids, err := ensureDatasets(tx, uris, now)
	if err != nil {
		return err
	}
	var oldSched []dagScheduleDatasetReferenceModel
	var oldOut []taskOutletDatasetReferenceModel
	if err := tx.Where("dag_id = ?", d.DagID).Find(&oldSched).Error; err != nil {
		return err
	}
	if err := tx.Where("dag_id = ?", d.DagID).Find(&oldOut).Error; err != nil {
		return err
	}
	created := map[string]time.Time{}
	for _, r := range oldSched {
		created[fmt.Sprint("s", r.DatasetID)] = r.CreatedAt
	}
	for _, r := range oldOut {
		created[fmt.Sprint("o", r.DatasetID, "/", r.TaskID)] = r.CreatedAt
	}
	since := func(key string) time.Time {
		if t, ok := created[key]; ok {
			return t
		}
		return now
	}
	if err := tx.Where("dag_id = ?", d.DagID).Delete(&dagScheduleDatasetReferenceModel{}).Error; err != nil {
		return err
	}
	if err := tx.Where("dag_id = ?", d.DagID).Delete(&taskOutletDatasetReferenceModel{}).Error; err != nil {
		return err
	}
	var sched []dagScheduleDatasetReferenceModel
	keep := []int64{0}
	for _, u := range d.ScheduleDatasets {
		id := ids[u]
		keep = append(keep, id)
		sched = append(sched, dagScheduleDatasetReferenceModel{DatasetID: id, DagID: d.DagID, CreatedAt: since(fmt.Sprint("s", id)), UpdatedAt: now})
	}
	if len(sched) > 0 {
		if err := tx.Create(&sched).Error; err != nil {
			return fmt.Errorf("record the datasets of the schedule: %w", err)
		}
	}
	var out []taskOutletDatasetReferenceModel
	for task, us := range d.Outlets {
		for _, u := range us {
			id := ids[u]
			out = append(out, taskOutletDatasetReferenceModel{DatasetID: id, DagID: d.DagID, TaskID: task, CreatedAt: since(fmt.Sprint("o", id, "/", task)), UpdatedAt: now})
		}
	}
	if len(out) > 0 {
		if err := tx.Create(&out).Error; err != nil {
			return fmt.Errorf("record the outlets of the tasks: %w", err)
		}
	}
	return tx.Where("target_dag_id = ? AND dataset_id NOT IN ?", d.DagID, keep).Delete(&datasetDagRunQueueModel{}).Error
}

// writeDatasetEvents records dataset events (in Save's transaction, with the task instance
// states that made them) and queues each for the active DAGs scheduled on its dataset. A queue
// row only moves forward: it holds the latest event not yet consumed. Its row lock orders the
// Saves that queue events of one dataset for one DAG: a queue row read names an event whose
// predecessors are all committed.
func writeDatasetEvents(tx *gorm.DB, events []scheduler.DatasetEvent, now time.Time) error {
	if len(events) == 0 {
		return nil
	}
	uris := make([]string, 0, len(events))
	for _, e := range events {
		uris = append(uris, e.URI)
	}
	ids, err := ensureDatasets(tx, uris, now)
	if err != nil {
		return err
	}
	for _, e := range events {
		ts := e.Timestamp.UTC().Truncate(time.Microsecond)
		if ts.IsZero() {
			ts = now
		}
		extra := e.Extra
		if extra == "" {
			extra = "{}"
		}
		m := datasetEventModel{DatasetID: ids[e.URI], Extra: extra, SourceDagID: e.SourceDagID, SourceRunID: e.SourceRunID,
			SourceTaskID: e.SourceTaskID, SourceMapIndex: e.SourceMapIndex, Timestamp: ts}
		if err := tx.Create(&m).Error; err != nil {
			return fmt.Errorf("record the dataset event of %s: %w", e.URI, err)
		}
		err := tx.Exec(`INSERT INTO dataset_dag_run_queue (dataset_id, target_dag_id, event_id, created_at)
			SELECT r.dataset_id, r.dag_id, ?, ? FROM dag_schedule_dataset_reference r JOIN dag d ON d.dag_id = r.dag_id
			WHERE r.dataset_id = ? AND d.is_active = ?
			ON CONFLICT (dataset_id, target_dag_id) DO UPDATE SET
				event_id = CASE WHEN excluded.event_id > dataset_dag_run_queue.event_id THEN excluded.event_id ELSE dataset_dag_run_queue.event_id END,
				created_at = CASE WHEN excluded.created_at > dataset_dag_run_queue.created_at THEN excluded.created_at ELSE dataset_dag_run_queue.created_at END`,
			m.ID, ts, m.DatasetID, true).Error
		if err != nil {
			return fmt.Errorf("queue the dataset event of %s: %w", e.URI, err)
		}
	}
	return nil
}

// QueuedDatasets implements scheduler.DatasetStore.
func (s *Store) QueuedDatasets(ctx context.Context) (map[string]map[string]time.Time, error) {
	var rows []struct {
		TargetDagID string
		URI         string
		CreatedAt   time.Time
	}
	err := s.rdb.WithContext(ctx).Raw(`SELECT q.target_dag_id, d.uri, q.created_at FROM dataset_dag_run_queue q
		JOIN dataset d ON d.id = q.dataset_id`).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read the dataset queue: %w", err)
	}
	out := map[string]map[string]time.Time{}
	for _, r := range rows {
		if out[r.TargetDagID] == nil {
			out[r.TargetDagID] = map[string]time.Time{}
		}
		out[r.TargetDagID][r.URI] = r.CreatedAt.UTC()
	}
	return out, nil
}

// CreateDatasetRun implements scheduler.DatasetStore. It holds the metastore's write lock, so
// of several schedulers that see the same queue one creates the run; the others find the queue
// consumed (ErrNotReady) or the run there (ErrExists).
func (s *Store) CreateDatasetRun(ctx context.Context, dagID string, uris []string, build func([]scheduler.DatasetEvent, time.Time) (scheduler.DagRun, []scheduler.TaskInstance)) (scheduler.DagRun, error) {
	var rm dagRunModel
	var inserting string
	err := s.write(ctx, func(tx *gorm.DB) error {
		var queued []struct {
			DatasetID int64
			URI       string
			EventID   int64
			CreatedAt time.Time
		}
		err := tx.Raw(`SELECT q.dataset_id, d.uri, q.event_id, q.created_at FROM dataset_dag_run_queue q JOIN dataset d ON d.id = q.dataset_id
			WHERE q.target_dag_id = ? AND d.uri IN ?`, dagID, uris).Scan(&queued).Error
		if err != nil {
			return err
		}
		if len(queued) < len(uris) {
			return scheduler.ErrNotReady
		}
		// The events of these datasets that no run of the DAG consumed yet, up to the one each
		// queue row names (by id, not timestamp: the schedulers' clocks may differ). The look
		// back is bounded to a day before the last run, so it does not read the whole history.
		ids := make([]int64, 0, len(queued))
		upTo := make([]string, 0, len(queued))
		upToArgs := []any{}
		for _, q := range queued {
			ids = append(ids, q.DatasetID)
			upTo = append(upTo, "(e.dataset_id = ? AND e.id <= ?)")
			upToArgs = append(upToArgs, q.DatasetID, q.EventID)
		}
		var prev []dagRunModel
		err = tx.Select("logical_date").Where("dag_id = ? AND run_type = ?", dagID, scheduler.RunTypeDatasetTriggered).
			Order("logical_date DESC").Limit(1).Find(&prev).Error
		if err != nil {
			return err
		}
		q := tx.Table("dataset_event e").Select("e.*, d.uri").Joins("JOIN dataset d ON d.id = e.dataset_id").
			Where("e.dataset_id IN ?", ids).Where("("+strings.Join(upTo, " OR ")+")", upToArgs...).
			Where(`NOT EXISTS (SELECT 1 FROM dagrun_dataset_event l JOIN dag_run r ON r.id = l.dag_run_id
				WHERE l.event_id = e.id AND r.dag_id = ?)`, dagID)
		var after time.Time
		if len(prev) > 0 {
			after = prev[0].LogicalDate.UTC()
			q = q.Where("e.timestamp > ?", after.Add(-24*time.Hour))
		}
		var rows []eventRow
		if err := q.Order("e.timestamp, e.id").Scan(&rows).Error; err != nil {
			return err
		}
		events := make([]scheduler.DatasetEvent, len(rows))
		for i, r := range rows {
			events[i] = r.event()
		}
		// The queue rows read are consumed; one a Save moved on since stays, for the next run.
		dequeue := func() error {
			for _, q := range queued {
				err := tx.Where("target_dag_id = ? AND dataset_id = ? AND event_id <= ?", dagID, q.DatasetID, q.EventID).Delete(&datasetDagRunQueueModel{}).Error
				if err != nil {
					return err
				}
			}
			return nil
		}
		if len(events) == 0 { // queued, but every event consumed already: nothing to run
			if err := dequeue(); err != nil {
				return err
			}
			return errConsumed
		}
		run, tis := build(events, after)
		var tms []taskInstanceModel
		if rm, tms, err = newRunModels(run, tis); err != nil {
			return err
		}
		if inserting, err = insertRun(tx, &rm, tms); err != nil {
			return err
		}
		if len(events) > 0 {
			links := make([]dagRunDatasetEventModel, len(events))
			for i, e := range events {
				links[i] = dagRunDatasetEventModel{DagRunID: rm.ID, EventID: e.ID}
			}
			if err := tx.Create(&links).Error; err != nil {
				return fmt.Errorf("link the run to its dataset events: %w", err)
			}
		}
		return dequeue()
	})
	if errors.Is(err, errConsumed) {
		// The stale queue rows are gone (committed): the DAG waits for new events.
		return scheduler.DagRun{}, fmt.Errorf("create the dataset-triggered run of %s: %w", dagID, scheduler.ErrNotReady)
	}
	if errors.Is(err, scheduler.ErrNotReady) {
		return scheduler.DagRun{}, fmt.Errorf("create the dataset-triggered run of %s: %w", dagID, err)
	}
	if err != nil {
		if rm.RunID == "" {
			return scheduler.DagRun{}, fmt.Errorf("create the dataset-triggered run of %s: %w", dagID, err)
		}
		return scheduler.DagRun{}, createRunError(rm, inserting, err)
	}
	return dagRunFromModel(rm)
}

// errConsumed commits CreateDatasetRun's cleanup of a queue whose events were all consumed.
var errConsumed = errors.New("every queued event was consumed")

// eventRow is a dataset_event row with its dataset's URI.
type eventRow struct {
	ID             int64
	DatasetID      int64
	Extra          string
	SourceDagID    string
	SourceRunID    string
	SourceTaskID   string
	SourceMapIndex int
	Timestamp      time.Time
	URI            string `gorm:"column:uri"`
}

func (r eventRow) event() scheduler.DatasetEvent {
	return scheduler.DatasetEvent{ID: r.ID, DatasetID: r.DatasetID, URI: r.URI, Extra: r.Extra, SourceDagID: r.SourceDagID,
		SourceRunID: r.SourceRunID, SourceTaskID: r.SourceTaskID, SourceMapIndex: r.SourceMapIndex, Timestamp: r.Timestamp.UTC()}
}

// ConsumedDatasetEvents implements scheduler.DatasetStore.
func (s *Store) ConsumedDatasetEvents(ctx context.Context, dagID, runID string) ([]scheduler.DatasetEvent, error) {
	var rows []eventRow
	err := s.rdb.WithContext(ctx).Table("dataset_event e").Select("e.*, d.uri").
		Joins("JOIN dataset d ON d.id = e.dataset_id").
		Joins("JOIN dagrun_dataset_event l ON l.event_id = e.id").
		Joins("JOIN dag_run r ON r.id = l.dag_run_id").
		Where("r.dag_id = ? AND r.run_id = ?", dagID, runID).Order("e.timestamp, e.id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read the dataset events of run %s of %s: %w", runID, dagID, err)
	}
	out := make([]scheduler.DatasetEvent, len(rows))
	for i, r := range rows {
		out[i] = r.event()
	}
	return out, nil
}

// DatasetQuery narrows ListDatasets.
type DatasetQuery struct {
	URIPattern string // substring of the URI
	OrderBy    string // a key of DatasetOrderColumns; "" = id
	Desc       bool
	Limit      int // <= 0: all
	Offset     int
}

// DatasetOrderColumns are the order_by keys of ListDatasets.
var DatasetOrderColumns = map[string]string{"id": "id", "uri": "uri", "created_at": "created_at", "updated_at": "updated_at"}

// ListDatasets returns a page of datasets with their references, and how many match.
func (s *Store) ListDatasets(ctx context.Context, q DatasetQuery) ([]scheduler.Dataset, int, error) {
	db := s.rdb.WithContext(ctx).Model(&datasetModel{})
	if q.URIPattern != "" {
		db = db.Where(`uri `+s.sqlFor("LIKE", "ILIKE")+` ? ESCAPE '\'`, "%"+escapeLike(q.URIPattern)+"%")
	}
	var total int64
	if err := db.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count datasets: %w", err)
	}
	col, ok := DatasetOrderColumns[q.OrderBy]
	if !ok {
		col = "id"
	}
	dir := ""
	if q.Desc {
		dir = " DESC"
	}
	db = db.Order(col + dir).Order("id" + dir)
	if q.Limit > 0 {
		db = db.Limit(q.Limit)
	}
	if q.Offset > 0 {
		db = db.Offset(q.Offset)
	}
	var rows []datasetModel
	if err := db.Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list datasets: %w", err)
	}
	out, err := s.withRefs(ctx, rows)
	return out, int(total), err
}

// GetDataset returns one dataset by URI.
func (s *Store) GetDataset(ctx context.Context, uri string) (scheduler.Dataset, error) {
	var m datasetModel
	err := s.rdb.WithContext(ctx).Where("uri = ?", uri).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return scheduler.Dataset{}, notFound("dataset %q", uri)
	}
	if err != nil {
		return scheduler.Dataset{}, fmt.Errorf("get dataset %s: %w", uri, err)
	}
	out, err := s.withRefs(ctx, []datasetModel{m})
	if err != nil {
		return scheduler.Dataset{}, err
	}
	return out[0], nil
}

func (s *Store) withRefs(ctx context.Context, rows []datasetModel) ([]scheduler.Dataset, error) {
	out := make([]scheduler.Dataset, len(rows))
	ids := make([]int64, len(rows))
	at := make(map[int64]int, len(rows))
	for i, r := range rows {
		out[i] = scheduler.Dataset{ID: r.ID, URI: r.URI, Extra: r.Extra, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
			Consumers: []scheduler.DatasetDagRef{}, Producers: []scheduler.DatasetTaskRef{}}
		ids[i], at[r.ID] = r.ID, i
	}
	if len(rows) == 0 {
		return out, nil
	}
	var sched []dagScheduleDatasetReferenceModel
	if err := s.rdb.WithContext(ctx).Where("dataset_id IN ?", ids).Order("dag_id").Find(&sched).Error; err != nil {
		return nil, fmt.Errorf("read the DAGs scheduled on datasets: %w", err)
	}
	for _, r := range sched {
		d := &out[at[r.DatasetID]]
		d.Consumers = append(d.Consumers, scheduler.DatasetDagRef{DagID: r.DagID, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()})
	}
	var outs []taskOutletDatasetReferenceModel
	if err := s.rdb.WithContext(ctx).Where("dataset_id IN ?", ids).Order("dag_id, task_id").Find(&outs).Error; err != nil {
		return nil, fmt.Errorf("read the tasks that update datasets: %w", err)
	}
	for _, r := range outs {
		d := &out[at[r.DatasetID]]
		d.Producers = append(d.Producers, scheduler.DatasetTaskRef{DagID: r.DagID, TaskID: r.TaskID, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()})
	}
	return out, nil
}

// DatasetEventQuery narrows ListDatasetEvents (the filters of Airflow's /datasets/events).
type DatasetEventQuery struct {
	DatasetID      int64 // 0: any
	SourceDagID    string
	SourceTaskID   string
	SourceRunID    string
	SourceMapIndex *int
	OrderBy        string // a key of DatasetEventOrderColumns; "" = timestamp
	Desc           bool
	Limit          int // <= 0: all
	Offset         int
}

// DatasetEventOrderColumns are the order_by keys of ListDatasetEvents.
var DatasetEventOrderColumns = map[string]string{"id": "e.id", "timestamp": "e.timestamp", "dataset_id": "e.dataset_id",
	"source_dag_id": "e.source_dag_id", "source_task_id": "e.source_task_id", "source_run_id": "e.source_run_id",
	"source_map_index": "e.source_map_index"}

// DatasetEventPage is a page of dataset events with, for each, the runs it triggered.
type DatasetEventPage struct {
	Events      []scheduler.DatasetEvent
	CreatedRuns map[int64][]scheduler.DagRun // by event id
	Total       int
}

// ListDatasetEvents returns a page of dataset events, and how many match.
func (s *Store) ListDatasetEvents(ctx context.Context, q DatasetEventQuery) (DatasetEventPage, error) {
	db := s.rdb.WithContext(ctx).Table("dataset_event e").Joins("JOIN dataset d ON d.id = e.dataset_id")
	if q.DatasetID != 0 {
		db = db.Where("e.dataset_id = ?", q.DatasetID)
	}
	for col, v := range map[string]string{"e.source_dag_id": q.SourceDagID, "e.source_task_id": q.SourceTaskID, "e.source_run_id": q.SourceRunID} {
		if v != "" {
			db = db.Where(col+" = ?", v)
		}
	}
	if q.SourceMapIndex != nil {
		db = db.Where("e.source_map_index = ?", *q.SourceMapIndex)
	}
	var total int64
	if err := db.Count(&total).Error; err != nil {
		return DatasetEventPage{}, fmt.Errorf("count dataset events: %w", err)
	}
	col, ok := DatasetEventOrderColumns[q.OrderBy]
	if !ok {
		col = "e.timestamp"
	}
	dir := ""
	if q.Desc {
		dir = " DESC"
	}
	db = db.Select("e.*, d.uri").Order(col + dir).Order("e.id" + dir)
	if q.Limit > 0 {
		db = db.Limit(q.Limit)
	}
	if q.Offset > 0 {
		db = db.Offset(q.Offset)
	}
	var rows []eventRow
	if err := db.Scan(&rows).Error; err != nil {
		return DatasetEventPage{}, fmt.Errorf("list dataset events: %w", err)
	}
	page := DatasetEventPage{Events: make([]scheduler.DatasetEvent, len(rows)), Total: int(total)}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		page.Events[i], ids[i] = r.event(), r.ID
	}
	var err error
	page.CreatedRuns, err = s.runsOfEvents(ctx, ids)
	return page, err
}

// runsOfEvents returns the dataset-triggered runs each event took part in.
func (s *Store) runsOfEvents(ctx context.Context, ids []int64) (map[int64][]scheduler.DagRun, error) {
	out := map[int64][]scheduler.DagRun{}
	if len(ids) == 0 {
		return out, nil
	}
	var links []dagRunDatasetEventModel
	if err := s.rdb.WithContext(ctx).Where("event_id IN ?", ids).Find(&links).Error; err != nil {
		return nil, fmt.Errorf("read the runs of dataset events: %w", err)
	}
	if len(links) == 0 {
		return out, nil
	}
	runIDs := make([]int64, 0, len(links))
	for _, l := range links {
		runIDs = append(runIDs, l.DagRunID)
	}
	var runs []dagRunModel
	if err := s.rdb.WithContext(ctx).Omit("conf").Where("id IN ?", runIDs).Find(&runs).Error; err != nil {
		return nil, fmt.Errorf("read the runs of dataset events: %w", err)
	}
	byID := map[int64]scheduler.DagRun{}
	for _, m := range runs {
		m.Conf = ""
		r, err := dagRunFromModel(m)
		if err != nil {
			return nil, err
		}
		byID[m.ID] = r
	}
	for _, l := range links {
		if r, ok := byID[l.DagRunID]; ok {
			out[l.EventID] = append(out[l.EventID], r)
		}
	}
	for id := range out {
		sort.Slice(out[id], func(i, j int) bool { return out[id][i].ID < out[id][j].ID })
	}
	return out, nil
}

// DatasetEventsOfRun returns the events a dataset-triggered run was created from, with the runs
// each created (Airflow's upstreamDatasetEvents).
func (s *Store) DatasetEventsOfRun(ctx context.Context, dagID, runID string) (DatasetEventPage, error) {
	events, err := s.ConsumedDatasetEvents(ctx, dagID, runID)
	if err != nil {
		return DatasetEventPage{}, err
	}
	ids := make([]int64, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	runs, err := s.runsOfEvents(ctx, ids)
	return DatasetEventPage{Events: events, CreatedRuns: runs, Total: len(events)}, err
}

var _ scheduler.DatasetStore = (*Store)(nil)
