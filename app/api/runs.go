package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wasmflow/wasmflow/app"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/scheduler/metastore"
	"github.com/wasmflow/wasmflow/tasks"
)

// maxRunsPage caps a page of runs, as Airflow's api.maximum_page_limit (default 100) caps
// every list: each run carries its conf, up to core.max_conf_size, so a Viewer's one request
// must not read a thousand of them.
const maxRunsPage = 100

// listRuns answers one page of a DAG's runs: the page, its order, the state filter and the
// count are SQL, so only the page's runs are read (with their conf, as Airflow's list has it,
// handed on as stored). A larger limit is answered with maxRunsPage runs, as Airflow does.
func (s *Server) listRuns(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	p, err := pageOf(r)
	if err != nil {
		return nil, err
	}
	q := app.RunsQuery{Limit: min(p.limit, maxRunsPage), Offset: p.offset, WithConf: true}
	for _, st := range r.URL.Query()["state"] {
		if !tasks.DagRunState(st).Valid() {
			return nil, badRequest("state %q is not one of queued, running, success, failed", st)
		}
		q.States = append(q.States, tasks.DagRunState(st))
	}
	var desc bool
	if q.OrderBy, desc, err = orderOf(r, metastore.RunOrderColumns, "-logical_date"); err != nil {
		return nil, err
	}
	q.Oldest = !desc
	if q.From, q.To, err = timeRange(r, "execution_date"); err != nil {
		return nil, err
	}
	if q.StartFrom, q.StartTo, err = timeRange(r, "start_date"); err != nil {
		return nil, err
	}
	if q.EndFrom, q.EndTo, err = timeRange(r, "end_date"); err != nil {
		return nil, err
	}
	runs, total, err := s.app.ListRuns(r.Context(), r.PathValue("dag_id"), q)
	if err != nil {
		return nil, err
	}
	return runCollection{DagRuns: runs, TotalEntries: total}, nil
}

func (s *Server) run(r *http.Request) (scheduler.DagRun, error) {
	return s.app.FindRun(r.Context(), r.PathValue("dag_id"), r.PathValue("dag_run_id"))
}

func (s *Server) getRun(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	run, err := s.run(r)
	if err != nil {
		return nil, err
	}
	return app.RunInfoOf(run), nil
}

// triggerBodySlack is what a trigger body may hold besides its conf: the run id (at most 250
// characters), the logical date, a note and the JSON around them.
const triggerBodySlack = 64 << 10

// trigger creates a manual run: Airflow's POST dagRuns body.
func (s *Server) trigger(_ http.ResponseWriter, r *http.Request, p principal) (any, error) {
	o, note, err := s.triggerOptions(r)
	if err != nil {
		return nil, err
	}
	run, err := s.app.Trigger(r.Context(), p.actor(), r.PathValue("dag_id"), o)
	if big := (*app.ConfTooLargeError)(nil); errors.As(err, &big) { // as JSON again, a conf can grow (escapes)
		return nil, &httpError{http.StatusRequestEntityTooLarge, err.Error()}
	}
	if err != nil {
		return nil, err
	}
	if note != "" { // kept with the run, as Airflow keeps it
		if err := s.app.SetRunNote(r.Context(), p.actor(), run.DagID, run.DagRunID, note); err != nil {
			return nil, err
		}
	}
	return run, nil
}

// triggerOptions reads a trigger's body. The body comes through a limit of core.max_conf_size
// plus a little (set on the route), so a huge conf is refused having read no more than that,
// and the conf is measured before it is decoded.
func (s *Server) triggerOptions(r *http.Request) (app.TriggerOptions, string, error) {
	var body struct {
		DagRunID    string     `json:"dag_run_id"`
		LogicalDate *time.Time `json:"logical_date"`
		// ExecutionDate is Airflow's older name of logical_date, which its clients still send.
		ExecutionDate *time.Time      `json:"execution_date"`
		Conf          json.RawMessage `json:"conf"`
		Note          string          `json:"note"`
	}
	limit := s.app.MaxConfSize()
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return app.TriggerOptions{}, "", &httpError{http.StatusRequestEntityTooLarge, (&app.ConfTooLargeError{Limit: limit}).Error()}
		}
		return app.TriggerOptions{}, "", badRequest("the request body is not valid JSON for this endpoint: %v", err)
	}
	if int64(len(body.Conf)) > limit {
		return app.TriggerOptions{}, "", &httpError{http.StatusRequestEntityTooLarge, (&app.ConfTooLargeError{Size: int64(len(body.Conf)), Limit: limit}).Error()}
	}
	if body.DagRunID != "" {
		if err := app.CheckRunID(body.DagRunID); err != nil {
			return app.TriggerOptions{}, "", badRequest("dag_run_id: %v", err)
		}
	}
	o := app.TriggerOptions{RunID: body.DagRunID}
	if len(body.Conf) > 0 && string(body.Conf) != "null" {
		// Checked raw: decoding would replace the bad bytes with U+FFFD silently.
		if err := app.CheckUTF8JSON("conf", body.Conf); err != nil {
			return app.TriggerOptions{}, "", badRequest("%v", err)
		}
		if err := json.Unmarshal(body.Conf, &o.Conf); err != nil {
			return app.TriggerOptions{}, "", badRequest("conf must be a JSON object like {\"key\": \"value\"}: %v", err)
		}
	}
	if body.ExecutionDate != nil {
		if body.LogicalDate != nil && !body.LogicalDate.Equal(*body.ExecutionDate) {
			return app.TriggerOptions{}, "", badRequest("logical_date %s and execution_date %s differ: they are one date (execution_date is its older name), send one of them",
				body.LogicalDate.Format(time.RFC3339), body.ExecutionDate.Format(time.RFC3339))
		}
		body.LogicalDate = body.ExecutionDate
	}
	if body.LogicalDate != nil {
		o.LogicalDate = body.LogicalDate.UTC()
	}
	return o, body.Note, nil
}

func (s *Server) patchRun(_ http.ResponseWriter, r *http.Request, p principal) (any, error) {
	var body struct {
		State string `json:"state"`
	}
	if err := decode(r, &body); err != nil {
		return nil, err
	}
	run, err := s.run(r)
	if err != nil {
		return nil, err
	}
	if err := s.app.MarkRun(r.Context(), p.actor(), run.DagID, run.RunID, tasks.DagRunState(body.State)); err != nil {
		return nil, err
	}
	if run, err = s.run(r); err != nil {
		return nil, err
	}
	return app.RunInfoOf(run), nil
}

// tiReference is Airflow's TaskInstanceReference, with the instance's map index and state.
type tiReference struct {
	DagID    string  `json:"dag_id"`
	DagRunID string  `json:"dag_run_id"`
	TaskID   string  `json:"task_id"`
	MapIndex int     `json:"map_index"`
	State    *string `json:"state"`
}

// clearTIs is Airflow's clearTaskInstances for one run (dag_run_id) or every run (no
// dag_run_id, as with start_date/end_date): dry_run answers what would be cleared.
//
// dry_run and only_failed default to true, as in Airflow's API: a script that omits them gets
// the list of the failed task instances a clear would touch, and nothing changes. Clearing
// takes "dry_run": false, said out loud.
// taskRef is an item of clearTaskInstances' task_ids: a task id, or (Airflow 2.6+) a
// [task_id, map_index] pair naming one instance of a mapped task.
type taskRef struct {
	taskID   string
	mapIndex *int
}

func (t *taskRef) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &t.taskID); err == nil {
		return nil
	}
	var pair []json.RawMessage
	var i int
	if json.Unmarshal(b, &pair) != nil || len(pair) != 2 || json.Unmarshal(pair[0], &t.taskID) != nil || json.Unmarshal(pair[1], &i) != nil || i < 0 {
		return fmt.Errorf("each of task_ids is a task id, or [task_id, map_index] for one instance of a mapped task, not %s", b)
	}
	t.mapIndex = &i
	return nil
}

func (s *Server) clearTIs(_ http.ResponseWriter, r *http.Request, p principal) (any, error) {
	body := struct {
		DagRunID          string     `json:"dag_run_id"`
		TaskIDs           []taskRef  `json:"task_ids"`
		TaskRegex         string     `json:"task_regex"` // as the CLI's -t, instead of task_ids
		OnlyFailed        bool       `json:"only_failed"`
		IncludeUpstream   bool       `json:"include_upstream"`
		IncludeDownstream bool       `json:"include_downstream"`
		DryRun            bool       `json:"dry_run"`
		StartDate         *time.Time `json:"start_date"`
		EndDate           *time.Time `json:"end_date"`
	}{DryRun: true, OnlyFailed: true} // the spec's defaults: fields the body omits keep them
	if err := decode(r, &body); err != nil {
		return nil, err
	}
	ctx, dagID := r.Context(), r.PathValue("dag_id")
	o := app.ClearOptions{DagID: dagID, Upstream: body.IncludeUpstream, Downstream: body.IncludeDownstream, OnlyFailed: body.OnlyFailed}
	if len(body.TaskIDs) > 0 {
		quoted := make([]string, len(body.TaskIDs))
		for i, ref := range body.TaskIDs {
			quoted[i] = regexp.QuoteMeta(ref.taskID)
			if ref.mapIndex != nil {
				if o.MapIndexes == nil {
					o.MapIndexes = map[string][]int{}
				}
				o.MapIndexes[ref.taskID] = append(o.MapIndexes[ref.taskID], *ref.mapIndex)
			}
		}
		o.TaskRegex = "^(" + strings.Join(quoted, "|") + ")$"
	}
	if body.TaskRegex != "" {
		if _, err := regexp.Compile(body.TaskRegex); err != nil {
			return nil, badRequest("task_regex %q: %v", body.TaskRegex, err)
		}
		if o.TaskRegex != "" {
			return nil, badRequest("give task_ids or task_regex, not both")
		}
		o.TaskRegex = body.TaskRegex
	}
	if body.StartDate != nil {
		o.Start = *body.StartDate
	}
	if body.EndDate != nil {
		o.End = *body.EndDate
	}
	var only string
	if body.DagRunID != "" {
		run, err := s.app.FindRun(ctx, dagID, body.DagRunID)
		if err != nil {
			return nil, err
		}
		only, o.Start, o.End = run.RunID, run.LogicalDate, run.LogicalDate
	}
	plan, err := s.app.PlanClear(ctx, o)
	if errors.Is(err, scheduler.ErrNotFound) {
		return nil, err // an unknown DAG is a 404, as on every other endpoint
	}
	if err != nil {
		return nil, badRequest("%v", err)
	}
	if only != "" {
		plan = app.ClearPlan{only: plan[only]}
	}
	out := []tiReference{}
	for runID, ids := range plan {
		for _, id := range ids {
			if want, some := o.MapIndexes[id]; some {
				for _, i := range want {
					out = append(out, tiReference{DagID: dagID, DagRunID: runID, TaskID: id, MapIndex: i})
				}
				continue
			}
			out = append(out, tiReference{DagID: dagID, DagRunID: runID, TaskID: id, MapIndex: -1})
		}
	}
	// Each instance with the state it is in now (before the clear): what a dry run shows the
	// user deciding whether to clear it.
	if err := s.currentStates(ctx, dagID, out); err != nil {
		return nil, err
	}
	if !body.DryRun && len(out) > 0 {
		if _, err := s.app.Clear(ctx, p.actor(), o, plan); err != nil {
			return nil, err
		}
	}
	return tiReferenceCollection{TaskInstances: out}, nil
}

// currentStates fills in each instance's state as the metastore has it (null for none, or for
// a mapped task's instance -1 that does not exist), reading each run's instances once.
func (s *Server) currentStates(ctx context.Context, dagID string, tis []tiReference) error {
	type key struct {
		run, task string
		index     int
	}
	states := map[key]string{}
	read := map[string]bool{}
	for i, ti := range tis {
		if !read[ti.DagRunID] {
			read[ti.DagRunID] = true
			all, err := s.app.Store.ListTaskInstances(ctx, dagID, ti.DagRunID)
			if err != nil {
				return err
			}
			for _, x := range all {
				states[key{x.RunID, x.TaskID, x.MapIndex}] = string(x.State)
			}
		}
		if st := states[key{ti.DagRunID, ti.TaskID, ti.MapIndex}]; st != "" {
			tis[i].State = &st
		}
	}
	return nil
}

// tiQuery reads a task-instance list's filters: state, pool, queue (each repeatable), the
// start and end dates, duration_gte/lte in seconds.
func tiQuery(r *http.Request) (app.TIQuery, error) {
	q := app.TIQuery{Pools: r.URL.Query()["pool"], Queues: r.URL.Query()["queue"]}
	for _, st := range r.URL.Query()["state"] {
		if !tasks.TaskInstanceState(st).Valid() {
			names := make([]string, len(tasks.TaskInstanceStates))
			for i, v := range tasks.TaskInstanceStates {
				names[i] = string(v)
			}
			return q, badRequest("state %q is not one of %s", st, strings.Join(names, ", "))
		}
		q.States = append(q.States, tasks.TaskInstanceState(st))
	}
	var err error
	if q.StartFrom, q.StartTo, err = timeRange(r, "start_date"); err != nil {
		return q, err
	}
	if q.EndFrom, q.EndTo, err = timeRange(r, "end_date"); err != nil {
		return q, err
	}
	if q.MinDuration, err = floatParam(r, "duration_gte"); err != nil {
		return q, err
	}
	q.MaxDuration, err = floatParam(r, "duration_lte")
	return q, err
}

func (s *Server) listTIs(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	run, err := s.run(r)
	if err != nil {
		return nil, err
	}
	p, err := pageOf(r)
	if err != nil {
		return nil, err
	}
	q, err := tiQuery(r)
	if err != nil {
		return nil, err
	}
	// execution_date bounds the run's logical date: one run, so all its task instances or none.
	after, before, err := timeRange(r, "execution_date")
	if err != nil {
		return nil, err
	}
	tis := []app.TaskInstanceInfo{}
	if inRange(run.LogicalDate, after, before) {
		if tis, err = s.app.TaskInstances(r.Context(), run, q); err != nil {
			return nil, err
		}
	}
	from, to := p.slice(len(tis))
	return tiCollection{TaskInstances: tis[from:to], TotalEntries: len(tis)}, nil
}

func (s *Server) taskInstance(r *http.Request) (scheduler.DagRun, scheduler.TaskInstance, error) {
	run, err := s.run(r)
	if err != nil {
		return run, scheduler.TaskInstance{}, err
	}
	taskID := r.PathValue("task_id")
	key := scheduler.NewTIKey(run.DagID, run.RunID, taskID)
	if key.MapIndex, err = mapIndexOf(r); err != nil {
		return run, scheduler.TaskInstance{}, err
	}
	ti, err := s.app.TaskInstance(r.Context(), key)
	switch {
	case err != nil && err != scheduler.ErrNotFound:
		return run, ti, err
	case err != nil && key.MapIndex >= 0:
		return run, ti, fmt.Errorf("run %s of %s has no task instance %s[%d]: %w", run.RunID, run.DagID, taskID, key.MapIndex, scheduler.ErrNotFound)
	case err != nil:
		return run, ti, fmt.Errorf("run %s of %s has no task %q: %w", run.RunID, run.DagID, taskID, scheduler.ErrNotFound)
	}
	return run, ti, nil
}

// mapIndexOf is the task instance's map index a request names: the {map_index} path element
// of Airflow's mapped task instance paths, or its map_index query parameter (logs, tries,
// XComs); -1 (not mapped) when neither is given.
func mapIndexOf(r *http.Request) (int, error) {
	v := r.PathValue("map_index")
	if v == "" {
		v = r.URL.Query().Get("map_index")
	}
	if v == "" {
		return -1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < -1 {
		return 0, badRequest("map_index must be -1 (a task that is not mapped) or a mapped instance's index from 0, not %q", v)
	}
	return n, nil
}

// listMapped is Airflow's get_mapped_task_instances: a mapped task's instances in a run.
func (s *Server) listMapped(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	run, err := s.run(r)
	if err != nil {
		return nil, err
	}
	p, err := pageOf(r)
	if err != nil {
		return nil, err
	}
	taskID := r.PathValue("task_id")
	if d := s.app.Dags.Dag(run.DagID); d != nil && d.Task(taskID) == nil {
		return nil, fmt.Errorf("DAG %s has no task %q: %w", run.DagID, taskID, scheduler.ErrNotFound)
	}
	tis, err := s.app.MappedTaskInstances(r.Context(), run, taskID)
	if err != nil {
		return nil, err
	}
	from, to := p.slice(len(tis))
	return tiCollection{TaskInstances: tis[from:to], TotalEntries: len(tis)}, nil
}

// tiDetail is a task instance with what its page shows besides.
type tiDetail struct {
	app.TaskInstanceInfo
	Rendered app.Rendered `json:"rendered"`
	Why      string       `json:"why"` // why it is not running yet, when it waits
}

func (s *Server) getTI(_ http.ResponseWriter, r *http.Request, p principal) (any, error) {
	run, ti, err := s.taskInstance(r)
	if err != nil {
		return nil, err
	}
	out := tiDetail{TaskInstanceInfo: app.TaskInstanceInfoOf(ti)}
	if out.Rendered, err = s.app.Render(r.Context(), run, ti.TaskID); err != nil && !errors.Is(err, scheduler.ErrNotFound) {
		return nil, err
	}
	if p.Role < Op { // the roles that may not read Variables see none of their values
		out.Rendered = out.Rendered.Masked()
	}
	if !ti.State.Finished() {
		why, err := s.app.WhyNotRunning(r.Context(), run.DagID, run.RunID)
		if err != nil {
			return nil, err
		}
		out.Why = why[ti.TaskID]
		if out.Why == "" && ti.State == tasks.StateQueued {
			out.Why = ti.Reason
		}
	}
	return out, nil
}

func (s *Server) patchTI(_ http.ResponseWriter, r *http.Request, p principal) (any, error) {
	var body struct {
		NewState string `json:"new_state"`
		DryRun   bool   `json:"dry_run"`
	}
	if err := decode(r, &body); err != nil {
		return nil, err
	}
	run, ti, err := s.taskInstance(r)
	if err != nil {
		return nil, err
	}
	if !body.DryRun {
		if err := s.app.MarkTask(r.Context(), p.actor(), run.DagID, run.RunID, ti.TaskID, ti.MapIndex, tasks.TaskInstanceState(body.NewState)); err != nil {
			return nil, err
		}
		if _, ti, err = s.taskInstance(r); err != nil {
			return nil, err
		}
	}
	return referenceOf(ti), nil
}

// referenceOf is ti as Airflow's TaskInstanceReference.
func referenceOf(ti scheduler.TaskInstance) tiReference {
	return tiReference{DagID: ti.DagID, DagRunID: ti.RunID, TaskID: ti.TaskID, MapIndex: ti.MapIndex, State: app.TaskInstanceInfoOf(ti).State}
}

func (s *Server) tries(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	p, err := pageOf(r)
	if err != nil {
		return nil, err
	}
	run, ti, err := s.taskInstance(r)
	if err != nil {
		return nil, err
	}
	tries, err := s.app.Store.ListTaskTries(r.Context(), run.DagID, run.RunID, ti.TaskID)
	if err != nil {
		return nil, err
	}
	out := make([]tryInfo, 0, len(tries))
	for _, t := range tries {
		if t.MapIndex != ti.MapIndex {
			continue // another instance of a mapped task
		}
		info := app.TaskInstanceInfoOf(scheduler.TaskInstance{DagID: t.DagID, RunID: t.RunID, TaskID: t.TaskID, MapIndex: t.MapIndex, State: t.State,
			TryNumber: t.TryNumber, MaxTries: ti.MaxTries, StartDate: t.StartDate, EndDate: t.EndDate, Duration: t.Duration,
			Hostname: t.Hostname, ExitCode: t.ExitCode, Reason: t.Reason, Pool: ti.Pool, PoolSlots: ti.PoolSlots, Queue: ti.Queue,
			PriorityWeight: ti.PriorityWeight})
		calls := t.Calls
		if calls == nil {
			calls = []scheduler.Call{}
		}
		out = append(out, tryInfo{info, calls})
	}
	from, to := p.slice(len(out))
	return tryCollection{TaskInstances: out[from:to], TotalEntries: len(out)}, nil
}

// tryInfo is a try with its granted-I/O calls, made or refused: what it touched.
type tryInfo struct {
	app.TaskInstanceInfo
	Calls []scheduler.Call `json:"calls"`
}

type tryCollection struct {
	TaskInstances []tryInfo `json:"task_instances"`
	TotalEntries  int       `json:"total_entries"`
}

// logFile opens a try's log at a byte offset. The path is built from the run and task as
// the metastore has them, each made a safe path element: a request cannot reach other files.
func (s *Server) logFile(r *http.Request) (io.ReadSeekCloser, scheduler.TaskInstance, int64, error) {
	run, ti, err := s.taskInstance(r)
	if err != nil {
		return nil, ti, 0, err
	}
	try, err := strconv.Atoi(r.PathValue("try_number"))
	if err != nil || try < 1 {
		return nil, ti, 0, badRequest("try_number must be a number from 1, not %q", r.PathValue("try_number"))
	}
	offset, err := logOffset(r)
	if err != nil {
		return nil, ti, 0, err
	}
	rc, ti, err := s.app.LogReader(r.Context(), run, ti.Key(), try)
	if err != nil {
		return nil, ti, 0, notFound("%v", err)
	}
	f, ok := rc.(io.ReadSeekCloser)
	if !ok {
		rc.Close()
		return nil, ti, 0, errors.New("log is not seekable")
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		f.Close()
		return nil, ti, 0, err
	}
	return f, ti, offset, nil
}

// logOffset is where a log read starts: wasmflow's offset, or Airflow's token (the
// continuation_token of the previous answer, which is that offset), 0 with full_content=true.
func logOffset(r *http.Request) (int64, error) {
	q := r.URL.Query()
	full, err := boolParam(r, "full_content")
	if err != nil {
		return 0, err
	}
	name, v := "offset", q.Get("offset")
	if t := q.Get("token"); t != "" {
		if v != "" && v != t {
			return 0, badRequest("offset %q and token %q differ: send one of them (token is the continuation_token of the last answer)", v, t)
		}
		name, v = "token", t
	}
	if full != nil && *full {
		if v != "" {
			return 0, badRequest("full_content=true reads the log from its start: send no %s with it", name)
		}
		return 0, nil
	}
	if v == "" {
		return 0, nil
	}
	offset, err := strconv.ParseInt(v, 10, 64)
	if err != nil || offset < 0 {
		return 0, badRequest("%s must be a byte count from 0 (the continuation_token of the last answer), not %q", name, v)
	}
	return offset, nil
}

// wantsJSON says whether a request's Accept prefers application/json to text/plain, as
// Airflow's client asks for logs; no Accept, */* or text/plain first keep the text.
func wantsJSON(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	j, t := strings.Index(accept, "application/json"), strings.Index(accept, "text/plain")
	return j >= 0 && (t < 0 || j < t)
}

// logChunk is Airflow's JSON shape of a log: the text and where the next read starts.
type logChunk struct {
	ContinuationToken string `json:"continuation_token"`
	Content           string `json:"content"`
}

func (s *Server) logs(w http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	f, ti, offset, err := s.logFile(r)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	secrets, err := s.app.LogSecrets(r.Context())
	if err != nil {
		return nil, err
	}
	try, _ := strconv.Atoi(r.PathValue("try_number")) // checked by logFile
	text, next, err := newMaskedLog(f, secrets).read(offset, 16<<20, try < ti.TryNumber || !isActive(ti))
	if err != nil {
		return nil, err
	}
	w.Header().Set("X-Log-Offset", strconv.FormatInt(next, 10))
	if wantsJSON(r) {
		return logChunk{ContinuationToken: strconv.FormatInt(next, 10), Content: text}, nil
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, text)
	return nil, nil
}

type xcomEntry struct {
	DagID     string    `json:"dag_id"`
	DagRunID  string    `json:"dag_run_id"`
	TaskID    string    `json:"task_id"`
	MapIndex  int       `json:"map_index"`
	Key       string    `json:"key"`
	Value     string    `json:"value"`
	Timestamp time.Time `json:"timestamp"`
}

func (s *Server) xcoms(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	if r.PathValue("dag_id") == "~" || r.PathValue("dag_run_id") == "~" || r.PathValue("task_id") == "~" {
		return s.xcomsAcross(r)
	}
	run, ti, err := s.taskInstance(r)
	if err != nil {
		return nil, err
	}
	p, err := pageOf(r)
	if err != nil {
		return nil, err
	}
	all, err := s.app.Store.ListXComs(r.Context(), run.DagID, run.RunID, ti.TaskID)
	if err != nil {
		return nil, err
	}
	xs := all[:0:0]
	for _, x := range all {
		if x.MapIndex == ti.MapIndex {
			xs = append(xs, x)
		}
	}
	from, to := p.slice(len(xs))
	out := make([]xcomEntry, 0, to-from)
	for _, x := range xs[from:to] {
		out = append(out, xcomEntryOf(x))
	}
	return xcomCollection{XComEntries: out, TotalEntries: len(xs)}, nil
}

// xcomsAcross is Airflow's xcomEntries with "~" for the DAG, the run or the task: the XComs of
// every one, paged in the metastore.
func (s *Server) xcomsAcross(r *http.Request) (any, error) {
	p, err := pageOf(r)
	if err != nil {
		return nil, err
	}
	wild := func(v string) string {
		if v == "~" {
			return ""
		}
		return v
	}
	q := metastore.XComQuery{DagID: wild(r.PathValue("dag_id")), RunID: wild(r.PathValue("dag_run_id")), TaskID: wild(r.PathValue("task_id")),
		Limit: p.limit, Offset: p.offset}
	if v := r.URL.Query().Get("map_index"); v != "" {
		i, err := strconv.Atoi(v)
		if err != nil {
			return nil, badRequest("map_index must be a number, not %q", v)
		}
		q.MapIndex = &i
	}
	xs, total, err := s.app.Store.ListXComsWhere(r.Context(), q)
	if err != nil {
		return nil, err
	}
	out := make([]xcomEntry, 0, len(xs))
	for _, x := range xs {
		out = append(out, xcomEntryOf(x))
	}
	return xcomCollection{XComEntries: out, TotalEntries: int(total)}, nil
}

// xcomEntryOf is an XCom as the API writes it: its value as text (a placeholder for bytes
// that are not UTF-8).
func xcomEntryOf(x scheduler.XCom) xcomEntry {
	v := string(x.Value)
	if !utf8.ValidString(v) {
		v = fmt.Sprintf("<%d bytes of binary data>", len(x.Value))
	}
	return xcomEntry{DagID: x.DagID, DagRunID: x.RunID, TaskID: x.TaskID, MapIndex: x.MapIndex, Key: x.Key, Value: v, Timestamp: x.Timestamp}
}
