package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// Tag is Airflow's REST shape of a DAG tag.
type Tag struct {
	Name string `json:"name"`
}

// DagInfo is a DAG as the CLI and the API show it; field names are Airflow's REST names.
type DagInfo struct {
	DagID                       string     `json:"dag_id"`
	Description                 string     `json:"description"`
	Fileloc                     string     `json:"fileloc"`
	FilePath                    *string    `json:"file_path"` // relative to the DAGs folder; nil outside it (an example DAG)
	IsPaused                    bool       `json:"is_paused"`
	IsActive                    bool       `json:"is_active"`
	Owners                      []string   `json:"owners"`
	ScheduleInterval            Schedule   `json:"schedule_interval"` // "" for manual-only DAGs
	Timezone                    string     `json:"timezone"`
	Tags                        []Tag      `json:"tags"`
	Catchup                     bool       `json:"catchup"`
	MaxActiveRuns               int        `json:"max_active_runs"`
	MaxActiveTasks              int        `json:"max_active_tasks"`
	LastParsedTime              time.Time  `json:"last_parsed_time"`
	NextDagrun                  *time.Time `json:"next_dagrun"`
	NextDagrunDataIntervalStart *time.Time `json:"next_dagrun_data_interval_start"`
	NextDagrunDataIntervalEnd   *time.Time `json:"next_dagrun_data_interval_end"`
	NextDagrunCreateAfter       *time.Time `json:"next_dagrun_create_after"`
	// ScheduleDatasets are the URIs a dataset schedule waits for, for the CLI's listing
	// (Airflow's DAG JSON has no such field: it says "Dataset" alone).
	ScheduleDatasets []string `json:"-"`
}

func (a *App) dagInfo(d scheduler.Dag) DagInfo {
	tags := make([]Tag, 0, len(d.Tags))
	for _, t := range d.Tags {
		tags = append(tags, Tag{Name: t})
	}
	owners := []string{}
	if d.Owners != "" {
		owners = append(owners, d.Owners)
	}
	var datasets []string
	if parsed := a.Dags.Dag(d.DagID); parsed != nil && parsed.Schedule.Kind == tasks.ScheduleDatasets {
		datasets = parsed.Schedule.Datasets
	}
	return DagInfo{
		ScheduleDatasets: datasets,
		DagID:            d.DagID, Description: d.Description, Fileloc: d.Fileloc, FilePath: a.filePath(d.Fileloc), IsPaused: d.IsPaused,
		IsActive: d.IsActive, Owners: owners, ScheduleInterval: Schedule(d.Schedule), Timezone: d.Timezone,
		Tags: tags, Catchup: d.Catchup, MaxActiveRuns: d.MaxActiveRuns, MaxActiveTasks: d.MaxActiveTasks,
		LastParsedTime: d.LastParsedTime, NextDagrun: d.NextDagrun,
		NextDagrunDataIntervalStart: d.NextDataIntervalStart, NextDagrunDataIntervalEnd: d.NextDataIntervalEnd,
		NextDagrunCreateAfter: d.NextDagrunCreateAfter,
	}
}

// ListDags lists the DAGs matching f.
func (a *App) ListDags(ctx context.Context, f scheduler.DagFilter) ([]DagInfo, error) {
	dags, err := a.Store.ListDags(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list DAGs: %w", err)
	}
	out := make([]DagInfo, 0, len(dags))
	for _, d := range dags {
		out = append(out, a.dagInfo(d))
	}
	return out, nil
}

// GetDag returns one DAG's record.
func (a *App) GetDag(ctx context.Context, dagID string) (DagInfo, error) {
	d, err := a.Store.GetDag(ctx, dagID)
	if err != nil {
		return DagInfo{}, dagNotFound(dagID, err)
	}
	return a.dagInfo(d), nil
}

// ParsedDag returns a DAG's validated model from the last sync of the folders.
func (a *App) ParsedDag(ctx context.Context, dagID string) (*tasks.DAG, error) {
	if d := a.Dags.Dag(dagID); d != nil {
		return d, nil
	}
	if _, err := a.Store.GetDag(ctx, dagID); err == nil {
		return nil, fmt.Errorf("DAG %q is recorded but its file does not parse now or is gone: see `wasmflow dags list-import-errors`", dagID)
	}
	return nil, dagNotFound(dagID, scheduler.ErrNotFound)
}

func dagNotFound(dagID string, err error) error {
	if errors.Is(err, scheduler.ErrNotFound) {
		return fmt.Errorf("DAG %q %w: `wasmflow dags list` shows the DAGs there are", dagID, scheduler.ErrNotFound)
	}
	return err
}

// SetPaused pauses or unpauses a DAG: a paused DAG gets no scheduled runs.
func (a *App) SetPaused(ctx context.Context, who Actor, dagID string, paused bool) error {
	if err := a.Store.SetPaused(ctx, dagID, paused); err != nil {
		return dagNotFound(dagID, err)
	}
	event := "dag.unpause"
	if paused {
		event = "dag.pause"
	}
	a.audit(ctx, who, event, scheduler.AuditEvent{DagID: dagID})
	a.Events.Publish(Event{Kind: "dag", DagID: dagID, Data: DagEvent{DagID: dagID, IsPaused: &paused}})
	return nil
}

// ImportErrorInfo is a DAG file that failed to load, in Airflow's REST shape.
type ImportErrorInfo struct {
	ImportErrorID int64     `json:"import_error_id"`
	Timestamp     time.Time `json:"timestamp"`
	Filename      string    `json:"filename"`
	StackTrace    string    `json:"stack_trace"` // every problem, one per line, with file:line:col
}

// ImportErrors lists the DAG files that failed to load.
func (a *App) ImportErrors(ctx context.Context) ([]ImportErrorInfo, error) {
	list, err := a.Store.ListImportErrors(ctx)
	if err != nil {
		return nil, fmt.Errorf("list import errors: %w", err)
	}
	out := make([]ImportErrorInfo, 0, len(list))
	for _, ie := range list {
		out = append(out, ImportErrorInfo{ImportErrorID: ie.ID, Timestamp: ie.Timestamp, Filename: ie.Filename, StackTrace: ie.Message})
	}
	return out, nil
}
