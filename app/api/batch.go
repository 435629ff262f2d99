package api

import (
	"net/http"
	"time"

	"github.com/wasmflow/wasmflow/app"
	"github.com/wasmflow/wasmflow/scheduler/metastore"
	"github.com/wasmflow/wasmflow/tasks"
)

// dateRange is a pair of Airflow's PREFIX_gte and PREFIX_lte body fields; nil bounds: none.
type dateRange struct{ gte, lte *time.Time }

func (d dateRange) bounds() (from, to time.Time) {
	if d.gte != nil {
		from = *d.gte
	}
	if d.lte != nil {
		to = *d.lte
	}
	return from, to
}

// listRunsBatch is Airflow's POST /dags/~/dagRuns/list: the runs of several DAGs (dag_ids;
// every DAG without), filtered as GET dagRuns filters, one page of them.
func (s *Server) listRunsBatch(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	var body struct {
		OrderBy          string              `json:"order_by"`
		PageOffset       *int                `json:"page_offset"`
		PageLimit        *int                `json:"page_limit"`
		DagIDs           []string            `json:"dag_ids"`
		States           []tasks.DagRunState `json:"states"`
		ExecutionDateGTE *time.Time          `json:"execution_date_gte"`
		ExecutionDateLTE *time.Time          `json:"execution_date_lte"`
		StartDateGTE     *time.Time          `json:"start_date_gte"`
		StartDateLTE     *time.Time          `json:"start_date_lte"`
		EndDateGTE       *time.Time          `json:"end_date_gte"`
		EndDateLTE       *time.Time          `json:"end_date_lte"`
	}
	if err := decode(r, &body); err != nil {
		return nil, err
	}
	q := app.RunsQuery{DagIDs: body.DagIDs, Limit: maxRunsPage, WithConf: true}
	if body.PageLimit != nil {
		if *body.PageLimit < 1 {
			return nil, badRequest("page_limit must be from 1, not %d", *body.PageLimit)
		}
		q.Limit = min(*body.PageLimit, maxRunsPage)
	}
	if body.PageOffset != nil {
		if *body.PageOffset < 0 {
			return nil, badRequest("page_offset must be from 0, not %d", *body.PageOffset)
		}
		q.Offset = *body.PageOffset
	}
	for _, st := range body.States {
		if !st.Valid() {
			return nil, badRequest("states: %q is not one of queued, running, success, failed", st)
		}
	}
	q.States = body.States
	var desc bool
	var err error
	if q.OrderBy, desc, err = orderNamed(body.OrderBy, metastore.RunOrderColumns, "-logical_date"); err != nil {
		return nil, err
	}
	q.Oldest = !desc
	q.From, q.To = dateRange{body.ExecutionDateGTE, body.ExecutionDateLTE}.bounds()
	q.StartFrom, q.StartTo = dateRange{body.StartDateGTE, body.StartDateLTE}.bounds()
	q.EndFrom, q.EndTo = dateRange{body.EndDateGTE, body.EndDateLTE}.bounds()
	runs, total, err := s.app.ListRunsOf(r.Context(), q)
	if err != nil {
		return nil, err
	}
	return runCollection{DagRuns: runs, TotalEntries: total}, nil
}

// maxTIsPage caps a page of POST taskInstances/list, as maxRunsPage caps runs; page_limit and
// page_offset (Airflow 2.6's) reach the rest, total_entries says how many match.
const maxTIsPage = 1000

// listTIsBatch is Airflow's POST /dags/~/dagRuns/~/taskInstances/list: the task instances of
// several DAGs and runs, with GET taskInstances' filters as body fields.
func (s *Server) listTIsBatch(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	var body struct {
		DagIDs           []string                  `json:"dag_ids"`
		ExecutionDateGTE *time.Time                `json:"execution_date_gte"`
		ExecutionDateLTE *time.Time                `json:"execution_date_lte"`
		StartDateGTE     *time.Time                `json:"start_date_gte"`
		StartDateLTE     *time.Time                `json:"start_date_lte"`
		EndDateGTE       *time.Time                `json:"end_date_gte"`
		EndDateLTE       *time.Time                `json:"end_date_lte"`
		DurationGTE      *float64                  `json:"duration_gte"`
		DurationLTE      *float64                  `json:"duration_lte"`
		State            []tasks.TaskInstanceState `json:"state"`
		Pool             []string                  `json:"pool"`
		Queue            []string                  `json:"queue"`
		PageOffset       *int                      `json:"page_offset"`
		PageLimit        *int                      `json:"page_limit"`
	}
	if err := decode(r, &body); err != nil {
		return nil, err
	}
	q := metastore.TIBatchQuery{DagIDs: body.DagIDs, Limit: maxTIsPage,
		TIQuery: app.TIQuery{States: body.State, Pools: body.Pool, Queues: body.Queue, MinDuration: body.DurationGTE, MaxDuration: body.DurationLTE}}
	for _, st := range body.State {
		if !st.Valid() {
			return nil, badRequest("state: %q is not a task instance state (GET /api/v1/openapi.json lists them)", st)
		}
	}
	if body.PageLimit != nil {
		if *body.PageLimit < 1 {
			return nil, badRequest("page_limit must be from 1, not %d", *body.PageLimit)
		}
		q.Limit = min(*body.PageLimit, maxTIsPage)
	}
	if body.PageOffset != nil {
		if *body.PageOffset < 0 {
			return nil, badRequest("page_offset must be from 0, not %d", *body.PageOffset)
		}
		q.Offset = *body.PageOffset
	}
	q.LogicalFrom, q.LogicalTo = dateRange{body.ExecutionDateGTE, body.ExecutionDateLTE}.bounds()
	q.StartFrom, q.StartTo = dateRange{body.StartDateGTE, body.StartDateLTE}.bounds()
	q.EndFrom, q.EndTo = dateRange{body.EndDateGTE, body.EndDateLTE}.bounds()
	tis, total, err := s.app.Store.ListTaskInstancesAcross(r.Context(), q)
	if err != nil {
		return nil, err
	}
	out := tiCollection{TaskInstances: make([]app.TaskInstanceInfo, len(tis)), TotalEntries: total}
	for i, ti := range tis {
		out.TaskInstances[i] = app.TaskInstanceInfoOf(ti)
	}
	return out, nil
}
