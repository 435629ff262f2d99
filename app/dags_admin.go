package app

import (
	"context"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/scheduler/metastore"
	"github.com/wasmflow/wasmflow/scheduler/timetable"
	"github.com/wasmflow/wasmflow/tasks"
)

// DeleteDag deletes a DAG's metadata, as `airflow dags delete`: its runs with their task
// instances, tries and XComs. The file stays, so the DAG stays listed; its logs stay too.
// A running scheduler holds runs in memory and would write them back, so it must be stopped.
func (a *App) DeleteDag(ctx context.Context, who Actor, dagID string) (int64, error) {
	if _, err := a.GetDag(ctx, dagID); err != nil {
		return 0, err
	}
	release, err := a.lockScheduling(false)
	if err != nil {
		return 0, fmt.Errorf("delete DAG %s: %w", dagID, err)
	}
	defer release()
	n, err := a.Store.DeleteDagRuns(ctx, dagID)
	if err != nil {
		return 0, err
	}
	a.audit(ctx, who, "dag.delete", scheduler.AuditEvent{DagID: dagID, Extra: fmt.Sprintf("%d runs", n)})
	return n, nil
}

// NextExecutions returns the logical dates of a DAG's next n scheduled runs after its latest
// scheduled or backfill run (as `airflow dags next-execution`); none for a DAG without a
// schedule or past its end_date.
func (a *App) NextExecutions(ctx context.Context, dagID string, n int) ([]time.Time, error) {
	d, err := a.ParsedDag(ctx, dagID)
	if err != nil {
		return nil, err
	}
	if !d.Schedule.Timed() {
		return nil, nil
	}
	if d.Schedule.Kind == tasks.ScheduleContinuous {
		// Each run is due when the one before ends: only the next one's date is known, now
		// (or start_date, while that is ahead).
		iv, ok := timetable.For(d).Next(nil, time.Now(), false)
		if !ok {
			return nil, nil
		}
		return []time.Time{iv.End.UTC()}, nil
	}
	tt := timetable.For(d)
	var last *timetable.DataInterval
	runs, _, err := a.Store.PageDagRuns(ctx, metastore.RunQuery{DagID: dagID, Limit: 100})
	if err != nil {
		return nil, err
	}
	for _, r := range runs { // newest first
		if r.RunType == "scheduled" || r.RunType == "backfill" {
			last = &timetable.DataInterval{Start: r.DataIntervalStart, End: r.DataIntervalEnd}
			break
		}
	}
	var out []time.Time
	catchup := d.Catchup
	for len(out) < n {
		iv, ok := tt.Next(last, time.Now(), catchup)
		if !ok {
			break
		}
		out = append(out, tt.LogicalDate(iv).UTC())
		last, catchup = &iv, true // after the first, every interval follows the one before
	}
	return out, nil
}

// FileReport is one DAG file's line of `airflow dags report`.
type FileReport struct {
	File     string        `json:"file"`
	Duration time.Duration `json:"duration"`
	DagNum   int           `json:"dag_num"`
	TaskNum  int           `json:"task_num"`
	Dags     []string      `json:"dags"`
}

// DagReport parses every DAG file again and says how long each took and what it holds, the
// slowest first, as `airflow dags report`; files that fail to load count no DAGs.
func (a *App) DagReport(ctx context.Context) ([]FileReport, error) {
	files := map[string]*FileReport{}
	for _, d := range a.Dags.Dags() {
		files[d.Fileloc] = &FileReport{File: d.Fileloc}
	}
	errs, err := a.ImportErrors(ctx)
	if err != nil {
		return nil, err
	}
	for _, ie := range errs {
		files[ie.Filename] = &FileReport{File: ie.Filename}
	}
	out := make([]FileReport, 0, len(files))
	for path, r := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("dags report: %w", err)
		}
		start := time.Now()
		d, err := tasks.ParseWith(path, src, a.Dags.Parse)
		r.Duration = time.Since(start)
		r.Dags = []string{}
		if err == nil {
			r.DagNum, r.TaskNum, r.Dags = 1, len(d.Tasks), []string{d.DagID}
		}
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Duration > out[j].Duration })
	return out, nil
}
