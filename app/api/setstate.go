package api

import (
	"net/http"
	"regexp"
	"sort"
	"time"

	"github.com/wasmflow/wasmflow/app"
	"github.com/wasmflow/wasmflow/tasks"
)

// updateTIsState is Airflow's POST /dags/{dag_id}/updateTaskInstancesState: mark a task in
// one run (dag_run_id, or the run at execution_date), with its upstream or downstream tasks
// and its past or future runs if asked. dry_run defaults to true, as Airflow's: the answer
// lists what would be marked, and nothing changes unless "dry_run": false is sent.
func (s *Server) updateTIsState(_ http.ResponseWriter, r *http.Request, p principal) (any, error) {
	body := struct {
		DryRun            bool       `json:"dry_run"`
		TaskID            string     `json:"task_id"`
		ExecutionDate     *time.Time `json:"execution_date"`
		DagRunID          string     `json:"dag_run_id"`
		IncludeUpstream   bool       `json:"include_upstream"`
		IncludeDownstream bool       `json:"include_downstream"`
		IncludeFuture     bool       `json:"include_future"`
		IncludePast       bool       `json:"include_past"`
		NewState          string     `json:"new_state"`
	}{DryRun: true}
	if err := decode(r, &body); err != nil {
		return nil, err
	}
	state := tasks.TaskInstanceState(body.NewState)
	if state != tasks.StateSuccess && state != tasks.StateFailed && state != tasks.StateSkipped {
		return nil, badRequest("new_state must be success, failed or skipped, not %q", body.NewState)
	}
	if body.TaskID == "" {
		return nil, badRequest("task_id is required: the task to mark")
	}
	ctx, dagID := r.Context(), r.PathValue("dag_id")
	var runRef string
	switch {
	case body.DagRunID != "" && body.ExecutionDate != nil:
		return nil, badRequest("give dag_run_id or execution_date, not both: each names the run")
	case body.DagRunID != "":
		runRef = body.DagRunID
	case body.ExecutionDate != nil:
		runRef = body.ExecutionDate.UTC().Format(time.RFC3339)
	default:
		return nil, badRequest("dag_run_id (or execution_date) is required: the run to mark the task in")
	}
	run, err := s.app.FindRun(ctx, dagID, runRef)
	if err != nil {
		return nil, err
	}
	if d := s.app.Dags.Dag(dagID); d != nil && d.Task(body.TaskID) == nil {
		return nil, notFound("DAG %s has no task %q", dagID, body.TaskID)
	}
	o := app.ClearOptions{DagID: dagID, TaskRegex: "^" + regexp.QuoteMeta(body.TaskID) + "$", Start: run.LogicalDate, End: run.LogicalDate,
		Upstream: body.IncludeUpstream, Downstream: body.IncludeDownstream}
	if body.IncludePast {
		o.Start = time.Time{}
	}
	if body.IncludeFuture {
		o.End = time.Time{}
	}
	plan, err := s.app.PlanClear(ctx, o)
	if err != nil {
		return nil, err
	}
	out := tiReferenceCollection{TaskInstances: []tiReference{}}
	runIDs := make([]string, 0, len(plan))
	for id := range plan {
		runIDs = append(runIDs, id)
	}
	sort.Strings(runIDs)
	for _, runID := range runIDs {
		for _, taskID := range plan[runID] {
			ref := tiReference{DagID: dagID, DagRunID: runID, TaskID: taskID, MapIndex: -1}
			if !body.DryRun {
				if err := s.app.MarkTask(ctx, p.actor(), dagID, runID, taskID, -1, state); err != nil {
					return nil, err
				}
				st := string(state)
				ref.State = &st
			}
			out.TaskInstances = append(out.TaskInstances, ref)
		}
	}
	return out, nil
}
