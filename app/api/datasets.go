package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/scheduler/metastore"
)

// The dataset endpoints: Airflow's Dataset, DatasetEvent and their collections, field for
// field.

type datasetJSON struct {
	ID             int64            `json:"id"`
	URI            string           `json:"uri"`
	Extra          json.RawMessage  `json:"extra"`
	CreatedAt      time.Time        `json:"created_at"`
	UpdatedAt      time.Time        `json:"updated_at"`
	ConsumingDags  []dagRefJSON     `json:"consuming_dags"`
	ProducingTasks []taskOutletJSON `json:"producing_tasks"`
}

type dagRefJSON struct {
	DagID     string    `json:"dag_id"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

type taskOutletJSON struct {
	DagID     string    `json:"dag_id"`
	TaskID    string    `json:"task_id"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

type datasetEventJSON struct {
	DatasetID      int64           `json:"dataset_id"`
	DatasetURI     string          `json:"dataset_uri"`
	Extra          json.RawMessage `json:"extra"`
	SourceDagID    *string         `json:"source_dag_id"`
	SourceTaskID   *string         `json:"source_task_id"`
	SourceRunID    *string         `json:"source_run_id"`
	SourceMapIndex int             `json:"source_map_index"`
	CreatedDagruns []basicRunJSON  `json:"created_dagruns"`
	Timestamp      time.Time       `json:"timestamp"`
}

// basicRunJSON is Airflow's BasicDAGRun.
type basicRunJSON struct {
	RunID             string     `json:"run_id"`
	DagID             string     `json:"dag_id"`
	LogicalDate       time.Time  `json:"logical_date"`
	StartDate         *time.Time `json:"start_date"`
	EndDate           *time.Time `json:"end_date"`
	DataIntervalStart time.Time  `json:"data_interval_start"`
	DataIntervalEnd   time.Time  `json:"data_interval_end"`
	State             string     `json:"state"`
}

func extraJSON(s string) json.RawMessage {
	if s == "" || !json.Valid([]byte(s)) {
		return json.RawMessage("{}")
	}
	return json.RawMessage(s)
}

func datasetOf(d scheduler.Dataset) datasetJSON {
	out := datasetJSON{ID: d.ID, URI: d.URI, Extra: extraJSON(d.Extra), CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
		ConsumingDags: []dagRefJSON{}, ProducingTasks: []taskOutletJSON{}}
	for _, c := range d.Consumers {
		out.ConsumingDags = append(out.ConsumingDags, dagRefJSON{c.DagID, c.CreatedAt, c.UpdatedAt})
	}
	for _, p := range d.Producers {
		out.ProducingTasks = append(out.ProducingTasks, taskOutletJSON{p.DagID, p.TaskID, p.CreatedAt, p.UpdatedAt})
	}
	return out
}

// nullable is Airflow's null for a source the event does not have.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func eventsOf(page metastore.DatasetEventPage) datasetEventCollection {
	events := make([]datasetEventJSON, 0, len(page.Events))
	for _, e := range page.Events {
		runs := []basicRunJSON{}
		for _, r := range page.CreatedRuns[e.ID] {
			runs = append(runs, basicRunJSON{RunID: r.RunID, DagID: r.DagID, LogicalDate: r.LogicalDate, StartDate: r.StartDate,
				EndDate: r.EndDate, DataIntervalStart: r.DataIntervalStart, DataIntervalEnd: r.DataIntervalEnd, State: string(r.State)})
		}
		events = append(events, datasetEventJSON{DatasetID: e.DatasetID, DatasetURI: e.URI, Extra: extraJSON(e.Extra),
			SourceDagID: nullable(e.SourceDagID), SourceTaskID: nullable(e.SourceTaskID), SourceRunID: nullable(e.SourceRunID),
			SourceMapIndex: e.SourceMapIndex, CreatedDagruns: runs, Timestamp: e.Timestamp})
	}
	return datasetEventCollection{DatasetEvents: events, TotalEntries: page.Total}
}

// listDatasets is GET /datasets: limit, offset, order_by and uri_pattern (a substring).
func (s *Server) listDatasets(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	p, err := pageOf(r)
	if err != nil {
		return nil, err
	}
	q := metastore.DatasetQuery{URIPattern: r.URL.Query().Get("uri_pattern"), Limit: p.limit, Offset: p.offset}
	if q.OrderBy, q.Desc, err = orderOf(r, metastore.DatasetOrderColumns, "id"); err != nil {
		return nil, err
	}
	ds, total, err := s.app.Store.ListDatasets(r.Context(), q)
	if err != nil {
		return nil, err
	}
	out := make([]datasetJSON, len(ds))
	for i, d := range ds {
		out[i] = datasetOf(d)
	}
	return datasetCollection{Datasets: out, TotalEntries: total}, nil
}

// getDataset is GET /datasets/{uri}, the URI URL-encoded (warehouse%3A%2F%2Forders).
func (s *Server) getDataset(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	d, err := s.app.Store.GetDataset(r.Context(), r.PathValue("uri"))
	if err != nil {
		return nil, err
	}
	return datasetOf(d), nil
}

// listDatasetEvents is GET /datasets/events with Airflow's filters.
func (s *Server) listDatasetEvents(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	p, err := pageOf(r)
	if err != nil {
		return nil, err
	}
	v := r.URL.Query()
	q := metastore.DatasetEventQuery{SourceDagID: v.Get("source_dag_id"), SourceTaskID: v.Get("source_task_id"),
		SourceRunID: v.Get("source_run_id"), Limit: p.limit, Offset: p.offset}
	if s := v.Get("dataset_id"); s != "" {
		if q.DatasetID, err = strconv.ParseInt(s, 10, 64); err != nil || q.DatasetID < 1 {
			return nil, badRequest("dataset_id must be a dataset's id (a whole number from 1; GET /api/v1/datasets lists them), not %q", s)
		}
	}
	if s := v.Get("source_map_index"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < -1 {
			return nil, badRequest("source_map_index must be a whole number from -1 (an unmapped task), not %q", s)
		}
		q.SourceMapIndex = &n
	}
	if q.OrderBy, q.Desc, err = orderOf(r, metastore.DatasetEventOrderColumns, "timestamp"); err != nil {
		return nil, err
	}
	page, err := s.app.Store.ListDatasetEvents(r.Context(), q)
	if err != nil {
		return nil, err
	}
	return eventsOf(page), nil
}

// upstreamDatasetEvents is GET /dags/{dag_id}/dagRuns/{dag_run_id}/upstreamDatasetEvents: the
// events that triggered a dataset-triggered run (none for another run).
func (s *Server) upstreamDatasetEvents(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	run, err := s.run(r)
	if err != nil {
		return nil, err
	}
	page, err := s.app.Store.DatasetEventsOfRun(r.Context(), run.DagID, run.RunID)
	if err != nil {
		return nil, err
	}
	return eventsOf(page), nil
}
