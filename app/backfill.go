package app

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/scheduler/metastore"
	"github.com/wasmflow/wasmflow/scheduler/timetable"
	"github.com/wasmflow/wasmflow/tasks"
)

// BackfillOptions are what `dags backfill` takes, as Airflow's.
type BackfillOptions struct {
	DagID    string
	From, To time.Time // logical dates in [From, To]
	// TaskRegex runs only the tasks whose id matches it, and their upstream ("" = all);
	// in a new run the others are skipped.
	TaskRegex string
	// ResetRuns clears the selected task instances of the runs already in the range, so
	// they run again; RerunFailed clears only their failed ones.
	ResetRuns, RerunFailed bool
	Conf                   map[string]any // of the new runs
}

// BackfillStep is what a backfill does to one interval: create a run, or clear tasks of an
// existing one.
type BackfillStep struct {
	LogicalDate time.Time `json:"logical_date"`
	RunID       string    `json:"dag_run_id"`
	Action      string    `json:"action"` // "create" or "clear"
	TaskIDs     []string  `json:"task_ids"`
	existing    bool
	interval    timetable.DataInterval
}

// PlanBackfill works out what a backfill does, without changing anything: a run for every
// interval of [From, To] that has none, and with ResetRuns or RerunFailed the task instances
// to clear in those that have one.
func (a *App) PlanBackfill(ctx context.Context, o BackfillOptions) ([]BackfillStep, error) {
	d, err := a.ParsedDag(ctx, o.DagID)
	if err != nil {
		return nil, err
	}
	if d.Schedule.Kind == tasks.ScheduleDatasets {
		return nil, fmt.Errorf("DAG %s is scheduled on datasets, so it has no intervals to backfill: its runs come from dataset events; trigger one with `wasmflow dags trigger %s`", o.DagID, o.DagID)
	}
	if d.Schedule.Kind == tasks.ScheduleNone {
		return nil, fmt.Errorf("DAG %s has no schedule, so it has no intervals to backfill: trigger runs with `wasmflow dags trigger %s -e DATE`", o.DagID, o.DagID)
	}
	if d.Schedule.Kind == tasks.ScheduleContinuous {
		return nil, fmt.Errorf("DAG %s is @continuous: its runs follow one another, with no intervals to backfill; trigger runs with `wasmflow dags trigger %s -e DATE`", o.DagID, o.DagID)
	}
	if o.To.Before(o.From) {
		return nil, fmt.Errorf("the end date %s is before the start date %s", o.To.Format(time.RFC3339), o.From.Format(time.RFC3339))
	}
	selected, err := backfillTasks(d, o.TaskRegex)
	if err != nil {
		return nil, err
	}
	// Only the runs in [from, to], without conf: the DAG's other runs cannot overlap.
	existing, _, err := a.Store.PageDagRuns(ctx, metastore.RunQuery{DagID: o.DagID, From: o.From, To: o.To})
	if err != nil {
		return nil, err
	}
	have := map[time.Time]scheduler.DagRun{}
	for _, r := range existing {
		have[r.LogicalDate.UTC()] = r
	}
	var steps []BackfillStep
	tt := timetable.For(d)
	for _, iv := range tt.Intervals(o.From, o.To) {
		ld := tt.LogicalDate(iv).UTC() // the tick, with timetable: trigger
		run, ok := have[ld]
		if !ok {
			steps = append(steps, BackfillStep{LogicalDate: ld, RunID: scheduler.RunID("backfill", ld), Action: "create", TaskIDs: sortedKeys(selected), interval: iv})
			continue
		}
		if !o.ResetRuns && !o.RerunFailed {
			continue
		}
		tis, err := a.Store.ListTaskInstances(ctx, run.DagID, run.RunID)
		if err != nil {
			return nil, err
		}
		var ids []string
		for _, ti := range tis {
			if selected[ti.TaskID] && (o.ResetRuns || ti.State.Failed()) {
				ids = append(ids, ti.TaskID)
			}
		}
		if len(ids) > 0 {
			sort.Strings(ids)
			steps = append(steps, BackfillStep{LogicalDate: ld, RunID: run.RunID, Action: "clear", TaskIDs: ids, existing: true})
		}
	}
	return steps, nil
}

// backfillTasks is the task ids a backfill runs: those matching regex and their upstream,
// which they need (Airflow's default; it has no way here to run a task without its upstream).
func backfillTasks(d *tasks.DAG, regex string) (map[string]bool, error) {
	re, err := regexp.Compile(regex)
	if err != nil {
		return nil, fmt.Errorf("--task-regex %q: %v", regex, err)
	}
	ids := map[string]bool{}
	for _, t := range d.Tasks {
		if re.MatchString(t.TaskID) {
			ids[t.TaskID] = true
			for _, u := range d.Ancestors(t.TaskID) {
				ids[u] = true
			}
		}
	}
	if len(ids) == 0 {
		var all []string
		for _, t := range d.Tasks {
			all = append(all, t.TaskID)
		}
		return nil, fmt.Errorf("--task-regex %q matches none of %s's tasks (%s)", regex, d.DagID, strings.Join(all, ", "))
	}
	return ids, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Backfill does what PlanBackfill planned: it creates the new runs and clears the task
// instances to rerun. With a scheduler running on this home, that scheduler runs them;
// otherwise they run here, and Backfill returns when they have ended (ranHere true).
func (a *App) Backfill(ctx context.Context, who Actor, o BackfillOptions, steps []BackfillStep, progress func(TaskInstanceInfo)) (runs []RunInfo, ranHere bool, err error) {
	if err := a.CheckConf(o.Conf); err != nil {
		return nil, false, err
	}
	d, err := a.ParsedDag(ctx, o.DagID)
	if err != nil {
		return nil, false, err
	}
	if len(steps) == 0 {
		return nil, false, nil
	}
	// No scheduler runs here: run them in this process, holding the home as a scheduler would,
	// so a standalone started meanwhile does not take the tries for lost ones.
	release, lockErr := a.lockScheduling(false)
	if lockErr == nil {
		defer release()
	}
	var touched []scheduler.DagRun
	for _, st := range steps {
		run, err := a.backfillStep(ctx, who, d, o, st, lockErr == nil)
		if err != nil {
			return infos(touched), false, err
		}
		touched = append(touched, run)
	}
	a.audit(ctx, who, "dag.backfill", scheduler.AuditEvent{DagID: o.DagID,
		Extra: fmt.Sprintf("%s..%s: %d runs", o.From.Format(time.RFC3339), o.To.Format(time.RFC3339), len(touched))})
	if lockErr != nil {
		return infos(touched), false, nil // the running scheduler runs them
	}
	if _, err := a.drive(ctx, touched, progress); err != nil {
		return infos(touched), true, err
	}
	for i, r := range touched {
		if got, err := a.Store.GetDagRun(ctx, r.DagID, r.RunID); err == nil {
			touched[i] = got
		}
	}
	return infos(touched), true, nil
}

// backfillStep creates one run or clears tasks of one; locked says this process holds the
// scheduler lock and may write the run itself.
func (a *App) backfillStep(ctx context.Context, who Actor, d *tasks.DAG, o BackfillOptions, st BackfillStep, locked bool) (scheduler.DagRun, error) {
	if st.existing {
		if !locked { // the running scheduler applies the clear
			if _, err := a.Clear(ctx, who, ClearOptions{DagID: o.DagID}, ClearPlan{st.RunID: st.TaskIDs}); err != nil {
				return scheduler.DagRun{}, err
			}
			return a.Store.GetDagRun(ctx, o.DagID, st.RunID)
		}
		run, err := a.Store.GetDagRun(ctx, o.DagID, st.RunID)
		if err != nil {
			return run, err
		}
		if _, err := scheduler.ClearInStore(ctx, a.Store, d, run, st.TaskIDs, nil, false, string(who)); err != nil {
			return run, err
		}
		return a.Store.GetDagRun(ctx, o.DagID, st.RunID)
	}
	run, tis := scheduler.NewRun(d, "backfill", st.interval, time.Time{}, o.Conf, "", time.Now())
	selected := map[string]bool{}
	for _, id := range st.TaskIDs {
		selected[id] = true
	}
	now := time.Now().UTC()
	for i := range tis {
		if !selected[tis[i].TaskID] {
			tis[i].State, tis[i].Reason, tis[i].EndDate = tasks.StateSkipped, "not selected by the backfill's --task-regex", &now
		}
	}
	return a.Store.CreateDagRun(ctx, run, tis)
}

func infos(runs []scheduler.DagRun) []RunInfo {
	out := make([]RunInfo, len(runs))
	for i, r := range runs {
		out[i] = runInfo(r)
	}
	return out
}
