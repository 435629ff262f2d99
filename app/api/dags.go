package api

import (
	"cmp"
	"context"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wasmflow/wasmflow/app"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/scheduler/metastore"
	"github.com/wasmflow/wasmflow/tasks"
)

func (s *Server) health(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	type status struct {
		Status string `json:"status"`
	}
	db, sched := status{"healthy"}, status{"healthy"}
	if err := s.app.Store.Check(r.Context()); err != nil {
		db.Status = "unhealthy"
	}
	if !s.app.Scheduling() {
		sched.Status = "unhealthy"
	}
	return map[string]status{"metadatabase": db, "scheduler": sched}, nil
}

func (s *Server) version(http.ResponseWriter, *http.Request, principal) (any, error) {
	return map[string]string{"version": app.Version, "git_version": app.Commit()}, nil
}

// dagFilter reads /dags' query: dag_id_pattern, tags, paused, only_active, order_by.
func dagFilter(r *http.Request) (scheduler.DagFilter, error) {
	q := r.URL.Query()
	f := scheduler.DagFilter{DagIDPattern: q.Get("dag_id_pattern"), Tags: q["tags"], OnlyActive: true}
	var err error
	if f.OrderBy, f.Desc, err = orderOf(r, metastore.DagOrderColumns, "dag_id"); err != nil {
		return f, err
	}
	paused, err := boolParam(r, "paused")
	if err != nil {
		return f, err
	}
	f.Paused = paused
	if active, err := boolParam(r, "only_active"); err != nil {
		return f, err
	} else if active != nil {
		f.OnlyActive = *active
	}
	return f, nil
}

// dagJSON is a DAG as Airflow's API writes it: its schedule_interval is Airflow's typed
// object (null, CronExpression or TimeDelta), which shadows DagInfo's string.
type dagJSON struct {
	app.DagInfo
	ScheduleInterval any `json:"schedule_interval"`
	// FileToken names the DAG's source for GET /dagSources/{file_token}.
	FileToken string `json:"file_token"`
}

func (s *Server) newDagJSON(d app.DagInfo) dagJSON {
	return dagJSON{DagInfo: d, ScheduleInterval: d.ScheduleInterval.Airflow(), FileToken: s.fileToken(d.DagID)}
}

func (s *Server) dagList(r *http.Request) ([]app.DagInfo, int, error) {
	f, err := dagFilter(r)
	if err != nil {
		return nil, 0, err
	}
	p, err := pageOf(r)
	if err != nil {
		return nil, 0, err
	}
	total, err := s.app.Store.CountDags(r.Context(), f)
	if err != nil {
		return nil, 0, err
	}
	f.Limit, f.Offset = p.limit, p.offset // the page is SQL: only its DAGs are read
	dags, err := s.app.ListDags(r.Context(), f)
	if err != nil {
		return nil, 0, err
	}
	return dags, total, nil
}

func (s *Server) listDags(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	dags, total, err := s.dagList(r)
	if err != nil {
		return nil, err
	}
	out := make([]dagJSON, len(dags))
	for i, d := range dags {
		out[i] = s.newDagJSON(d)
	}
	return dagCollection{Dags: out, TotalEntries: total}, nil
}

// recentRun is a run as the DAGs list shows it.
type recentRun struct {
	DagRunID    string    `json:"dag_run_id"`
	State       string    `json:"state"`
	LogicalDate time.Time `json:"logical_date"`
}

type uiDag struct {
	dagJSON
	RecentRuns []recentRun `json:"recent_runs"`
	// RunCounts is Airflow's "Runs" column: how many of the DAG's runs are in each state,
	// each of the four run states present, 0 when none.
	RunCounts map[string]int `json:"run_counts"`
	// LastRun is the newest run (Airflow's "Last Run"), null before the first.
	LastRun *recentRun `json:"last_run"`
}

// uiDags is the DAGs list in one request: each DAG with its latest runs (one query for all).
func (s *Server) uiDags(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	dags, total, err := s.dagList(r)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(dags))
	for i, d := range dags {
		ids[i] = d.DagID
	}
	recent, err := s.app.Store.RecentRuns(r.Context(), ids, 5) // the page's DAGs only
	if err != nil {
		return nil, err
	}
	counts, err := s.app.Store.RunCounts(r.Context(), ids)
	if err != nil {
		return nil, err
	}
	errs, err := s.app.ImportErrors(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]uiDag, len(dags))
	for i, d := range dags {
		out[i] = uiDag{dagJSON: s.newDagJSON(d), RecentRuns: []recentRun{}, RunCounts: map[string]int{}}
		for _, run := range recent[d.DagID] {
			out[i].RecentRuns = append(out[i].RecentRuns, recentRun{run.RunID, string(run.State), run.LogicalDate})
		}
		for _, st := range tasks.DagRunStates {
			out[i].RunCounts[string(st)] = counts[d.DagID][string(st)]
		}
		if len(out[i].RecentRuns) > 0 {
			out[i].LastRun = &out[i].RecentRuns[0]
		}
	}
	return uiDagCollection{Dags: out, TotalEntries: total, ImportErrors: len(errs)}, nil
}

// dagDetail is a DAG with its params, for the trigger form.
type dagDetail struct {
	dagJSON
	Params     map[string]any  `json:"params"`
	TaskGroups []taskGroupJSON `json:"task_groups"`
}

func (s *Server) getDag(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	return s.dagDetail(r.Context(), r.PathValue("dag_id"))
}

func (s *Server) dagDetail(ctx context.Context, dagID string) (dagDetail, error) {
	d, err := s.app.GetDag(ctx, dagID)
	if err != nil {
		return dagDetail{}, err
	}
	out := dagDetail{dagJSON: s.newDagJSON(d), Params: map[string]any{}, TaskGroups: []taskGroupJSON{}}
	if parsed, err := s.app.ParsedDag(ctx, dagID); err == nil {
		if parsed.Params != nil {
			out.Params = parsed.Params
		}
		out.TaskGroups = taskGroupsOf(parsed)
	}
	return out, nil
}

func (s *Server) patchDag(_ http.ResponseWriter, r *http.Request, p principal) (any, error) {
	var body struct {
		IsPaused *bool `json:"is_paused"`
	}
	if err := decode(r, &body); err != nil {
		return nil, err
	}
	if _, err := maskOf(r, []string{"is_paused"}, func(string) bool { return body.IsPaused != nil }); err != nil {
		return nil, err
	}
	if body.IsPaused == nil {
		return nil, badRequest(`send {"is_paused": true} or {"is_paused": false}: it is the only field a DAG's PATCH changes`)
	}
	dagID := r.PathValue("dag_id")
	if err := s.app.SetPaused(r.Context(), p.actor(), dagID, *body.IsPaused); err != nil {
		return nil, err
	}
	return s.dagDetail(r.Context(), dagID)
}

// taskInfo is a task in the REST shape.
type taskInfo struct {
	TaskID            string   `json:"task_id"`
	Module            string   `json:"module"`
	UpstreamTaskIDs   []string `json:"upstream_task_ids"`
	DownstreamTaskIDs []string `json:"downstream_task_ids"`
	TriggerRule       string   `json:"trigger_rule"`
	Retries           int      `json:"retries"`
	Queue             string   `json:"queue"`
	Pool              string   `json:"pool"`
	PoolSlots         int      `json:"pool_slots"`
	PriorityWeight    int      `json:"priority_weight"`
	IsMapped          bool     `json:"is_mapped"`
	IsSensor          bool     `json:"is_sensor"`
	IsBranch          bool     `json:"is_branch"`
	// Airflow's TimeDelta objects; execution_timeout null = none.
	ExecutionTimeout        *app.TimeDelta `json:"execution_timeout"`
	RetryDelay              app.TimeDelta  `json:"retry_delay"`
	RetryExponentialBackoff bool           `json:"retry_exponential_backoff"`
	DependsOnPast           bool           `json:"depends_on_past"`
	WaitForDownstream       bool           `json:"wait_for_downstream"`
	LatestOnly              bool           `json:"latest_only"` // wasmflow's: Airflow has an operator for it
	DocMD                   *string        `json:"doc_md"`      // the task's Markdown doc, null without one
	taskGroupFields
}

func (s *Server) listTasks(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	p, err := pageOf(r)
	if err != nil {
		return nil, err
	}
	d, err := s.app.ParsedDag(r.Context(), r.PathValue("dag_id"))
	if err != nil {
		return nil, err
	}
	out := []taskInfo{}
	for _, t := range d.TopologicalOrder() {
		out = append(out, newTaskInfo(t))
	}
	// Without order_by the tasks come in topological order (the graph's), not Airflow's
	// task_id: that is what the views draw.
	if r.URL.Query().Get("order_by") != "" {
		if err := sortBy(r, out, "", taskOrders); err != nil {
			return nil, err
		}
	}
	from, to := p.slice(len(out))
	return taskCollection{Tasks: out[from:to], TotalEntries: len(out)}, nil
}

// taskOrders are the order_by values of a DAG's tasks.
var taskOrders = map[string]func(a, b taskInfo) int{
	"task_id":         func(a, b taskInfo) int { return strings.Compare(a.TaskID, b.TaskID) },
	"priority_weight": func(a, b taskInfo) int { return cmp.Compare(a.PriorityWeight, b.PriorityWeight) },
	"pool":            func(a, b taskInfo) int { return strings.Compare(a.Pool, b.Pool) },
	"queue":           func(a, b taskInfo) int { return strings.Compare(a.Queue, b.Queue) },
	"retries":         func(a, b taskInfo) int { return cmp.Compare(a.Retries, b.Retries) },
	"trigger_rule":    func(a, b taskInfo) int { return strings.Compare(a.TriggerRule, b.TriggerRule) },
}

func newTaskInfo(t *tasks.Task) taskInfo {
	ti := taskInfo{TaskID: t.TaskID, Module: t.Module, UpstreamTaskIDs: append([]string{}, t.Upstream...),
		DownstreamTaskIDs: append([]string{}, t.Downstream...), TriggerRule: string(t.TriggerRule), Retries: t.Retries,
		Queue: t.Queue, Pool: t.Pool, PoolSlots: t.PoolSlots, PriorityWeight: t.PriorityWeight, IsMapped: t.IsMapped(), IsSensor: t.IsSensor(), IsBranch: t.IsBranch(),
		RetryDelay: app.NewTimeDelta(t.RetryDelay), RetryExponentialBackoff: t.RetryExponentialBackoff,
		DependsOnPast: t.DependsOnPast, WaitForDownstream: t.WaitForDownstream, LatestOnly: t.LatestOnly,
		taskGroupFields: groupFieldsOf(t)}
	if t.DocMD != "" {
		ti.DocMD = &t.DocMD
	}
	if t.ExecTimeout > 0 {
		td := app.NewTimeDelta(t.ExecTimeout)
		ti.ExecutionTimeout = &td
	}
	return ti
}

// source answers the DAG file as the metastore recorded it at its last good parse: never a
// path from the request, so nothing outside the DAG folders can be read through it.
func (s *Server) source(w http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	dagID := r.PathValue("dag_id")
	if _, err := s.app.GetDag(r.Context(), dagID); err != nil {
		return nil, err
	}
	b, err := s.app.Store.DagSource(r.Context(), dagID)
	if err != nil {
		return nil, err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write(b)
	return nil, nil
}

func (s *Server) importErrors(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	p, err := pageOf(r)
	if err != nil {
		return nil, err
	}
	errs, err := s.app.ImportErrors(r.Context())
	if err != nil {
		return nil, err
	}
	if err := sortBy(r, errs, "import_error_id", importErrorOrders); err != nil {
		return nil, err
	}
	from, to := p.slice(len(errs))
	return importErrorCollection{ImportErrors: errs[from:to], TotalEntries: len(errs)}, nil
}

// importErrorOrders are the order_by values of /importErrors.
var importErrorOrders = map[string]func(a, b app.ImportErrorInfo) int{
	"import_error_id": func(a, b app.ImportErrorInfo) int { return cmp.Compare(a.ImportErrorID, b.ImportErrorID) },
	"timestamp":       func(a, b app.ImportErrorInfo) int { return a.Timestamp.Compare(b.Timestamp) },
	"filename":        func(a, b app.ImportErrorInfo) int { return strings.Compare(a.Filename, b.Filename) },
}

// gridCell is one task instance in the grid.
type gridCell struct {
	State     *string `json:"state"`
	TryNumber int     `json:"try_number"`
	Duration  float64 `json:"duration"`
	// MappedStates counts a mapped task's instances by state (its State the most pressing of
	// them, TryNumber and Duration the highest); absent for other tasks.
	MappedStates map[string]int `json:"mapped_states,omitempty"`
	// SLAMiss says the task's sla passed before it succeeded in this run (the grid marks it).
	SLAMiss bool `json:"sla_miss,omitempty"`
}

// gridRun is a run of the grid: SLAMiss says it had not ended by its DAG's deadline.
type gridRun struct {
	app.RunInfo
	SLAMiss bool `json:"sla_miss,omitempty"`
}

type gridTask struct {
	TaskID          string   `json:"task_id"`
	UpstreamTaskIDs []string `json:"upstream_task_ids"`
	IsMapped        bool     `json:"is_mapped,omitempty"`
	taskGroupFields
}

// gridJSON is the grid: its runs (oldest first), its tasks, and a row of cells per run.
type gridJSON struct {
	DagRuns    []gridRun       `json:"dag_runs"`
	Tasks      []gridTask      `json:"tasks"`
	TaskGroups []taskGroupJSON `json:"task_groups"`
	Instances  [][]*gridCell   `json:"instances"`
}

// grid answers the grid view in one request: num_runs runs up to `before`, the tasks in
// topological order, and a cell per run and task (null where the run has no such task).
func (s *Server) grid(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	ctx, dagID := r.Context(), r.PathValue("dag_id")
	n := 25
	if v := r.URL.Query().Get("num_runs"); v != "" {
		k, err := strconv.Atoi(v)
		if err != nil || k < 1 || k > 1000 {
			return nil, badRequest("num_runs must be a number from 1 to 1000, not %q", v)
		}
		n = k
	}
	before := time.Now().Add(time.Hour)
	if v := r.URL.Query().Get("before"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return nil, badRequest("before must be an RFC 3339 date like 2024-03-01T00:00:00Z, not %q", v)
		}
		before = t
	}
	if _, err := s.app.GetDag(ctx, dagID); err != nil {
		return nil, err
	}
	picked, err := s.app.Store.GridRuns(ctx, dagID, before, n) // newest first
	if err != nil {
		return nil, err
	}
	sort.Slice(picked, func(i, j int) bool { return picked[i].LogicalDate.Before(picked[j].LogicalDate) })
	order := []gridTask{}
	col := map[string]int{}
	groups := []taskGroupJSON{}
	if d, err := s.app.ParsedDag(ctx, dagID); err == nil {
		for _, t := range d.TopologicalOrder() {
			col[t.TaskID] = len(order)
			order = append(order, gridTask{TaskID: t.TaskID, UpstreamTaskIDs: append([]string{}, t.Upstream...), IsMapped: t.IsMapped(), taskGroupFields: groupFieldsOf(t)})
		}
		groups = taskGroupsOf(d)
	}
	out := gridJSON{DagRuns: []gridRun{}, Tasks: order, TaskGroups: groups, Instances: [][]*gridCell{}}
	if len(picked) == 0 {
		return out, nil
	}
	cells, err := s.app.Store.GridCells(ctx, dagID, picked[0].LogicalDate, picked[len(picked)-1].LogicalDate)
	if err != nil {
		return nil, err
	}
	row := map[int64]int{}
	for i, run := range picked {
		row[run.ID] = i
		out.DagRuns = append(out.DagRuns, gridRun{RunInfo: app.RunInfoOf(run)})
		out.Instances = append(out.Instances, make([]*gridCell, len(order)))
	}
	states := map[tasks.TaskInstanceState]*string{}
	for _, c := range cells {
		i, ok := row[c.Run]
		j, known := col[c.TaskID]
		if !ok {
			continue
		}
		if !known { // a task no longer in the DAG: shown after the others
			j = len(out.Tasks)
			col[c.TaskID] = j
			out.Tasks = append(out.Tasks, gridTask{TaskID: c.TaskID, UpstreamTaskIDs: []string{}, taskGroupFields: taskGroupFields{Label: c.TaskID, GroupPath: []string{}}})
			for k := range out.Instances {
				out.Instances[k] = append(out.Instances[k], nil)
			}
		}
		st := states[c.State]
		if st == nil && c.State != tasks.StateNone {
			v := string(c.State)
			st = &v
			states[c.State] = st
		}
		if out.Tasks[j].IsMapped {
			addMapped(&out.Instances[i][j], c, states)
			continue
		}
		out.Instances[i][j] = &gridCell{State: st, TryNumber: c.TryNumber, Duration: c.Duration}
	}
	if err := markSLAMisses(ctx, s.app.Store, dagID, picked, out.DagRuns, out.Instances, col); err != nil {
		return nil, err
	}
	return out, nil
}

// markSLAMisses sets sla_miss on the grid's runs and cells that missed theirs.
func markSLAMisses(ctx context.Context, store *metastore.Store, dagID string, picked []scheduler.DagRun, runs []gridRun, cells [][]*gridCell, col map[string]int) error {
	ids := make([]string, len(picked))
	row := map[string]int{}
	for i, run := range picked {
		ids[i], row[run.RunID] = run.RunID, i
	}
	misses, err := store.SLAMissesOf(ctx, dagID, ids)
	if err != nil {
		return err
	}
	for _, m := range misses {
		i, ok := row[m.RunID]
		if !ok {
			continue
		}
		if m.TaskID == "" {
			runs[i].SLAMiss = true
			continue
		}
		if j, ok := col[m.TaskID]; ok && j < len(cells[i]) && cells[i][j] != nil {
			cells[i][j].SLAMiss = true
		}
	}
	return nil
}

// addMapped counts one instance of a mapped task into its cell of the grid.
func addMapped(cell **gridCell, c metastore.GridCell, states map[tasks.TaskInstanceState]*string) {
	if *cell == nil {
		*cell = &gridCell{MappedStates: map[string]int{}}
	}
	g := *cell
	g.MappedStates[string(c.State)]++
	g.TryNumber, g.Duration = max(g.TryNumber, c.TryNumber), max(g.Duration, c.Duration)
	seen := map[tasks.TaskInstanceState]bool{}
	for st := range g.MappedStates {
		seen[tasks.TaskInstanceState(st)] = true
	}
	g.State = nil
	if st := scheduler.MostPressing(seen); st != tasks.StateNone {
		if states[st] == nil {
			v := string(st)
			states[st] = &v
		}
		g.State = states[st]
	}
}
