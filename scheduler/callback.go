package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/wasmflow/wasmflow/tasks"
)

const runOwner = tasks.RunCallbackOwner

// WorkloadKey names the callback's try, and so its log: the TaskID is owner:event
// ("extract:on_failure_callback", "@run:on_success_callback"), which no task id can be.
func (c CallbackRequest) WorkloadKey() TIKey {
	return TIKey{DagID: c.DagID, RunID: c.RunID, TaskID: tasks.CallbackID(c.owner(), c.Event), MapIndex: c.MapIndex}
}

// LogTry is the try number of the callback's log: the try whose end raised it, 1 for the
// events that end no try.
func (c CallbackRequest) LogTry() int { return max(c.TryNumber, 1) }

// CallbackLogPath is where the log of a callback's run is written, beside its task's logs:
// logs/<dag>/<run>/<task>:<event>/<try>.log (run events under @run:<event>).
func CallbackLogPath(logsFolder string, c CallbackRequest) string {
	return LogPath(logsFolder, c.WorkloadKey(), c.LogTry())
}

// TaskLogURL is the API path of a task instance's try log, handed to callbacks as log_url.
func TaskLogURL(dagID, runID, taskID string, mapIndex, try int) string {
	u := "/api/v1/dags/" + url.PathEscape(dagID) + "/dagRuns/" + url.PathEscape(runID) + "/taskInstances/" + url.PathEscape(taskID) +
		"/logs/" + strconv.Itoa(try)
	if mapIndex >= 0 {
		u += "?map_index=" + strconv.Itoa(mapIndex)
	}
	return u
}

// logURL is the log a callback's event is about: the try's, or for a run's event the run's
// callbacks (which list their own logs).
func (c CallbackRequest) logURL() string {
	if c.TaskID == "" || c.TryNumber < 1 {
		return "/api/v1/dags/" + url.PathEscape(c.DagID) + "/dagRuns/" + url.PathEscape(c.RunID) + "/callbacks"
	}
	return TaskLogURL(c.DagID, c.RunID, c.TaskID, c.MapIndex, c.TryNumber)
}

// raiseTaskCallback records the callback request of a try that just ended, if its task has a
// callback for the state the try left the task instance in. It goes into the same Save.
func (s *Scheduler) raiseTaskCallback(r *activeRun, ti *TaskInstance) {
	var event string
	switch ti.State {
	case tasks.StateSuccess:
		event = tasks.OnSuccessCallback
	case tasks.StateFailed:
		event = tasks.OnFailureCallback
	case tasks.StateUpForRetry:
		event = tasks.OnRetryCallback
	default:
		return
	}
	t := r.dag.Task(ti.TaskID)
	if t == nil || t.Callback(event) == nil {
		return
	}
	s.raise(CallbackRequest{DagID: ti.DagID, RunID: ti.RunID, TaskID: ti.TaskID, MapIndex: ti.MapIndex, Event: event,
		TryNumber: ti.TryNumber, State: string(ti.State), Reason: ti.Reason})
}

// raiseRunCallback records the DAG's callback request for a run that just ended.
func (s *Scheduler) raiseRunCallback(r *activeRun, state tasks.DagRunState, reason string) {
	event := tasks.OnSuccessCallback
	if state == tasks.RunFailed {
		event = tasks.OnFailureCallback
	}
	if r.dag.Callback(event) == nil {
		return
	}
	s.raise(CallbackRequest{DagID: r.run.DagID, RunID: r.run.RunID, MapIndex: -1, Event: event, State: string(state), Reason: reason})
}

func (s *Scheduler) raise(c CallbackRequest) {
	c.CreatedAt = s.cfg.Now().UTC()
	s.changes.extra.Callbacks = append(s.changes.extra.Callbacks, c)
	s.raisedFor[runKey{c.DagID, c.RunID}] = true
}

// errNotOurs says a pending callback belongs to a run another process drives (a `dags test`);
// errNoDag that its DAG is not parsed (yet: at start, before the DAG folder is read; or its
// file is broken or gone): it stays pending and is tried again at the next poll.
var (
	errNotOurs = errors.New("the run is another process's")
	errNoDag   = errors.New("the DAG is not parsed")
)

// runCallbacks hands every pending callback request not yet running to the executor: those
// the last Save wrote, and at start those a previous process left pending. A callback that
// cannot start (its DAG no longer defines it, a template fails) is marked done with why.
func (s *Scheduler) runCallbacks(ctx context.Context) {
	if !s.callbacksDue {
		return
	}
	s.callbacksDue, s.callbacksWaiting = false, false
	cs, ok := s.cfg.Store.(CallbackStore)
	if !ok {
		return
	}
	pending, err := cs.PendingCallbacks(context.WithoutCancel(ctx))
	if err != nil {
		s.cfg.Log.Error("read pending callbacks", "err", err)
		return
	}
	for _, req := range pending {
		if _, running := s.callbacks[req.ID]; running {
			continue
		}
		if s.cfg.OnlyTheseRuns && !s.raisedFor[runKey{req.DagID, req.RunID}] {
			continue // a scheduler for given runs runs only the callbacks it raised
		}
		if s.cfg.Jobs != nil && req.JobID != s.job {
			// Another scheduler's: it runs it, unless it died with it pending, which the
			// polls look for (a claim is tried only once its job no longer seems alive).
			s.callbacksWaiting = true
			if req.JobID != 0 && s.aliveJobs[req.JobID] {
				continue
			}
			mine, err := cs.ClaimCallback(context.WithoutCancel(ctx), req.ID, s.job, s.cfg.Now().Add(-s.cfg.OrphanTimeout))
			if err != nil {
				s.cfg.Log.Error("claim a callback", "err", err)
			}
			if !mine {
				continue
			}
		}
		w, err := s.renderCallback(ctx, req)
		if errors.Is(err, errNotOurs) {
			continue
		}
		if errors.Is(err, errNoDag) {
			s.callbacksWaiting = true
			continue
		}
		if err != nil {
			appendLog(s.cfg.LogsFolder, req.WorkloadKey(), req.LogTry(), "the callback cannot start: "+err.Error())
			s.finishCallback(ctx, req, "", "cannot start: "+err.Error())
			continue
		}
		s.callbacks[req.ID] = req
		s.callbackTries[callbackTry{w.Key(), w.TryNumber}] = req.ID
		s.cfg.Executor.Submit(w, func(taskID, key string) ([]byte, bool) {
			x, err := s.cfg.Store.GetXCom(context.WithoutCancel(ctx), w.DagID, w.RunID, taskID, key)
			return x.Value, err == nil
		})
	}
}

type callbackTry struct {
	key TIKey
	try int
}

// renderCallback renders a request's callback as a try: the templates see the event's task
// (task_id), try_number, state, reason and log_url, and so do the module's WASMFLOW_*
// variables and, when it reads no stdin of its own, its stdin as JSON.
func (s *Scheduler) renderCallback(ctx context.Context, req CallbackRequest) (Workload, error) {
	key := req.WorkloadKey()
	d := s.cfg.Dags()[req.DagID]
	if d == nil {
		return Workload{}, errNoDag
	}
	cb := d.CallbackTask(key.TaskID)
	if cb == nil {
		return Workload{}, fmt.Errorf("DAG %s no longer sets %s for %s", req.DagID, req.Event, req.owner())
	}
	run, err := s.cfg.Store.GetDagRun(context.WithoutCancel(ctx), req.DagID, req.RunID)
	if err != nil {
		return Workload{}, fmt.Errorf("read run %s/%s: %w", req.DagID, req.RunID, err)
	}
	if s.cfg.RunFilter != nil && !s.cfg.RunFilter(run) {
		return Workload{}, errNotOurs
	}
	bg := context.Background()
	tis, err := s.cfg.Store.ListTaskInstances(bg, run.DagID, run.RunID)
	if err != nil {
		return Workload{}, fmt.Errorf("read the task instances of run %s/%s: %w", req.DagID, req.RunID, err)
	}
	c := RunContext(bg, s.cfg.Store, d, run, tis)
	c.TryNumber, c.MapIndex, c.Now = req.TryNumber, req.MapIndex, s.cfg.Now
	c.State, c.Reason, c.LogURL = req.State, req.Reason, req.logURL()
	t := *cb
	t.TaskID = req.TaskID // templates and WASMFLOW_TASK_ID name the event's task
	w, err := RenderWorkload(d, &t, c)
	if err != nil {
		return Workload{}, err
	}
	w.TaskID, w.TryNumber = key.TaskID, req.LogTry()
	for k, v := range map[string]string{"WASMFLOW_CALLBACK": req.Event, "WASMFLOW_STATE": req.State,
		"WASMFLOW_REASON": req.Reason, "WASMFLOW_LOG_URL": c.LogURL, "WASMFLOW_TRY_NUMBER": strconv.Itoa(req.TryNumber)} {
		w.Env[k] = v
	}
	if cb.Operator == nil && cb.Stdin == nil {
		b, _ := json.Marshal(map[string]any{"dag_id": req.DagID, "run_id": req.RunID, "task_id": req.TaskID, "map_index": req.MapIndex,
			"try_number": req.TryNumber, "callback": req.Event, "state": req.State, "reason": req.Reason, "log_url": c.LogURL})
		w.Stdin = string(b)
	}
	if err := s.resolveGrants(ctx, &w); err != nil {
		return Workload{}, err
	}
	if w.Timeout == 0 {
		w.Timeout = s.cfg.DefaultExecutionTimeout
	}
	return w, nil
}

// callbackResult applies how a callback's try ended; it reports false for a result that is
// not a callback's. The done mark is written at once: until it is, a restart runs it again.
func (s *Scheduler) callbackResult(ctx context.Context, res TryResult) bool {
	if !tasks.IsCallbackID(res.Key.TaskID) {
		return false
	}
	if res.Progress() {
		return true
	}
	k := callbackTry{res.Key, res.TryNumber}
	id, ok := s.callbackTries[k]
	if !ok {
		return true
	}
	delete(s.callbackTries, k)
	req := s.callbacks[id]
	delete(s.callbacks, id)
	if res.Interrupted {
		return true // the executor stopped under it: still pending, it runs at the next start
	}
	msg := ""
	if res.State != tasks.StateSuccess {
		msg = res.Reason
		if msg == "" {
			msg = "failed"
		}
	}
	s.finishCallback(ctx, req, res.Hostname, msg)
	return true
}

// finishCallback writes a request's done mark and an event-log row: a failed callback is
// shown there (and in its own log), and changes no state.
func (s *Scheduler) finishCallback(ctx context.Context, req CallbackRequest, host, errMsg string) {
	cs := s.cfg.Store.(CallbackStore)
	now := s.cfg.Now().UTC()
	if err := cs.FinishCallback(context.WithoutCancel(ctx), req.ID, now, host, errMsg); err != nil {
		s.cfg.Log.Error("mark a callback done; it runs again at the next start", "dag_id", req.DagID, "run_id", req.RunID,
			"callback", req.WorkloadKey().TaskID, "err", err)
		return
	}
	event, extra := "callback.success", req.Event
	if errMsg != "" {
		event, extra = "callback.failed", req.Event+": "+errMsg
		s.cfg.Log.Warn("callback failed", "dag_id", req.DagID, "run_id", req.RunID, "callback", req.WorkloadKey().TaskID, "err", errMsg)
	}
	extra += " (log: " + req.WorkloadKey().TaskID + " try " + strconv.Itoa(req.LogTry()) + ")"
	if err := s.cfg.Store.AddAuditEvent(context.WithoutCancel(ctx), AuditEvent{When: now, Event: event, Owner: "scheduler",
		DagID: req.DagID, RunID: req.RunID, TaskID: req.TaskID, Extra: extra}); err != nil {
		s.cfg.Log.Error("record a callback in the event log", "err", err)
	}
}
