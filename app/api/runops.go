package api

import (
	"net/http"

	"github.com/wasmflow/wasmflow/app"
)

// deleteRun is Airflow's DELETE dagRuns/{dag_run_id}: the run by its id (not a date), with
// its task instances, tries and XComs.
func (s *Server) deleteRun(_ http.ResponseWriter, r *http.Request, p principal) (any, error) {
	if err := s.app.DeleteRun(r.Context(), p.actor(), r.PathValue("dag_id"), r.PathValue("dag_run_id")); err != nil {
		return nil, lockedConflict(err)
	}
	return noContent{}, nil
}

// clearRun is Airflow's POST dagRuns/{dag_run_id}/clear: every task instance of the run runs
// again. dry_run defaults to true, as Airflow's: the answer is then the task instances a
// clear would touch (as Airflow answers); after a clear it is the run.
func (s *Server) clearRun(_ http.ResponseWriter, r *http.Request, p principal) (any, error) {
	body := struct {
		DryRun bool `json:"dry_run"`
	}{DryRun: true}
	if err := decode(r, &body); err != nil {
		return nil, err
	}
	run, err := s.run(r)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	o := app.ClearOptions{DagID: run.DagID, Start: run.LogicalDate, End: run.LogicalDate}
	plan, err := s.app.PlanClear(ctx, o)
	if err != nil {
		return nil, err
	}
	plan = app.ClearPlan{run.RunID: plan[run.RunID]}
	if body.DryRun {
		out := tiReferenceCollection{TaskInstances: []tiReference{}}
		for _, id := range plan[run.RunID] {
			out.TaskInstances = append(out.TaskInstances, tiReference{DagID: run.DagID, DagRunID: run.RunID, TaskID: id, MapIndex: -1})
		}
		return out, nil
	}
	if len(plan[run.RunID]) > 0 {
		if _, err := s.app.Clear(ctx, p.actor(), o, plan); err != nil {
			return nil, err
		}
	}
	if run, err = s.run(r); err != nil {
		return nil, err
	}
	return app.RunInfoOf(run), nil
}
