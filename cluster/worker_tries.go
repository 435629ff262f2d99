package cluster

import (
	"context"
	"fmt"
	"net/http"
	"time"

	wfruntime "github.com/wasmflow/wasmflow/runtime"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// handleSubmit takes a try, or says why not: the module is missing, the worker is draining or
// full. The same try sent twice (an answer lost on the way) is accepted once.
func (w *Worker) handleSubmit(_ *http.Request, body []byte) (int, any) {
	status, out := w.submit(body)
	if resp, ok := out.(submitResponse); ok {
		resp.Instance = w.instance
		return status, resp
	}
	return status, out
}

func (w *Worker) submit(body []byte) (int, any) {
	var req submitRequest
	if status, out := decode(body, &req); status != 0 {
		return status, out
	}
	w.mu.Lock()
	_, running := w.running[req.ID]
	_, held := w.outbox[req.ID]
	draining, full := w.draining, len(w.running) >= w.cfg.Node.Slots
	w.mu.Unlock()
	switch {
	case running || held:
		return http.StatusOK, submitResponse{Status: submitAccepted}
	case draining:
		return http.StatusOK, submitResponse{Status: submitRefused, Reason: "draining"}
	case full:
		return http.StatusOK, submitResponse{Status: submitRefused, Reason: "full"}
	}
	if !w.modules.has(req.ModuleSHA256) {
		return http.StatusOK, submitResponse{Status: submitNeedModule, SHA256: req.ModuleSHA256}
	}
	module, err := w.modules.get(req.ModuleSHA256)
	if err != nil {
		w.log.Warn("cached module unusable", "sha256", req.ModuleSHA256, "err", err)
		return http.StatusOK, submitResponse{Status: submitNeedModule, SHA256: req.ModuleSHA256}
	}
	wl := req.Workload
	t := &workerTry{id: req.ID, key: wl.Key(), try: wl.TryNumber, queue: wl.Queue}
	wl.Connections = req.Connections
	ctx, cancel := context.WithCancelCause(w.ctx)
	t.cancel = cancel
	w.mu.Lock()
	if w.draining || len(w.running) >= w.cfg.Node.Slots {
		w.mu.Unlock()
		cancel(nil)
		return http.StatusOK, submitResponse{Status: submitRefused, Reason: "full"}
	}
	w.running[t.id] = t
	used := len(w.running)
	w.tries.Add(1)
	w.mu.Unlock()
	w.node.UpdateMeta(func(m *Meta) { m.Used = used })
	go w.run(ctx, t, wl, module, req.ModuleSHA256)
	return http.StatusOK, submitResponse{Status: submitAccepted}
}

func (w *Worker) handleModule(r *http.Request, body []byte) (int, any) {
	sha := r.PathValue("sha")
	if err := w.modules.put(sha, body); err != nil {
		w.log.Warn("refused a module", "sha256", sha, "err", err)
		return http.StatusBadRequest, errorBody{err.Error()}
	}
	w.log.Debug("cached a module", "sha256", sha, "bytes", len(body))
	return http.StatusOK, struct{}{}
}

func (w *Worker) handleKill(_ *http.Request, body []byte) (int, any) {
	var req killRequest
	if status, out := decode(body, &req); status != 0 {
		return status, out
	}
	w.mu.Lock()
	if t, ok := w.running[req.ID]; ok {
		t.cancel(errKilled)
	}
	w.mu.Unlock()
	return http.StatusOK, struct{}{}
}

// run runs one try and holds its result for delivery.
func (w *Worker) run(ctx context.Context, t *workerTry, wl scheduler.Workload, module []byte, sha string) {
	defer w.tries.Done()
	ship := newLogShipper(w, t)
	res := w.execute(ctx, t, wl, module, sha, ship)
	tail := ship.close()
	t.cancel(nil)
	w.mu.Lock()
	delete(w.running, t.id)
	used := len(w.running)
	w.seq++
	w.outbox[t.id] = &heldResult{seq: w.seq, msg: resultMessage{ID: t.id, Worker: w.cfg.Node.Name, Result: res, Log: tail}}
	w.mu.Unlock()
	w.node.UpdateMeta(func(m *Meta) { m.Used = used })
	w.kick()
}

// execute is LocalExecutor.run for a workload whose module came over the wire: mounts are
// this machine's folders at the same paths (made if missing), inside the same roots.
func (w *Worker) execute(ctx context.Context, t *workerTry, wl scheduler.Workload, module []byte, sha string, log *logShipper) scheduler.TryResult {
	out := scheduler.TryResult{Key: t.key, TryNumber: t.try, StartDate: time.Now().UTC(), Hostname: w.cfg.Node.Name, ModuleSHA256: sha}
	fail := func(reason string) scheduler.TryResult {
		fmt.Fprintf(log, "[wasmflow] %s\n", reason)
		out.State, out.Reason, out.EndDate = tasks.StateFailed, reason, time.Now().UTC()
		return out
	}
	// The server checked the mounts against its folders; this machine's links may lead
	// elsewhere, so they are checked again here, before anything is created.
	wl.Mounts = append([]scheduler.Mount(nil), wl.Mounts...)
	if err := scheduler.PrepareMounts(wl.MountRoots, wl.Mounts); err != nil {
		return fail(fmt.Sprintf("on worker %s: %v", w.cfg.Node.Name, err))
	}
	tr := Try(wl, module, log, func(taskID, key string) ([]byte, bool) { return w.pullXCom(t, taskID, key) })
	tr.ModuleSHA256 = sha
	// The server counts the try running once this worker took it; while it waits for memory
	// here (core.max_task_memory) its log says so, and its time starts when it does.
	tr.Waiting = func(why string) { fmt.Fprintf(log, "[wasmflow] %s\n", why) }
	tr.Admitted = func() { out.StartDate = time.Now().UTC() }
	res, err := w.runner.Run(ctx, tr)
	if err != nil && res.State == "" {
		return fail(err.Error())
	}
	return resultOf(ctx, out, res)
}

// resultOf fills a TryResult from the runtime's Result, as LocalExecutor does.
// resultOf turns the runtime's result of a try into the scheduler's, for the local executor
// and for workers alike.
func resultOf(ctx context.Context, out scheduler.TryResult, res wfruntime.Result) scheduler.TryResult {
	out.EndDate = out.StartDate.Add(res.Duration)
	if out.EndDate.Before(out.StartDate) || res.Duration == 0 {
		out.EndDate = time.Now().UTC()
	}
	if res.Hostname != "" {
		out.Hostname = res.Hostname
	}
	if res.ModuleSHA256 != "" {
		out.ModuleSHA256 = res.ModuleSHA256
	}
	out.XComs, out.Reason = res.XComs, res.Reason
	out.Calls = Calls(res.Calls)
	if res.ExitCode >= 0 {
		code := res.ExitCode
		out.ExitCode = &code
	}
	switch res.State {
	case wfruntime.StateSuccess:
		out.State = tasks.StateSuccess
	case wfruntime.StateSkipped:
		out.State = tasks.StateSkipped
	case wfruntime.StateSensorNotMet:
		out.State = tasks.StateUpForReschedule
	default:
		out.State = tasks.StateFailed
		switch context.Cause(ctx) {
		case errKilled:
			out.Reason = "killed"
		case errStopped:
			out.Reason, out.Interrupted = errStopped.Error(), true
		}
	}
	return out
}

// pullXCom asks the server for an XCom of the try's DagRun (wasmflow.xcom_pull).
func (w *Worker) pullXCom(t *workerTry, taskID, key string) ([]byte, bool) {
	srv, ok := w.node.Server()
	if !ok {
		return nil, false
	}
	ctx, cancel := context.WithTimeout(w.ctx, 10*time.Second)
	defer cancel()
	var resp xcomResponse
	if err := w.ch.call(ctx, srv.DataAddress, pathXCom, xcomRequest{ID: t.id, Key: t.key, TaskID: taskID, XKey: key}, &resp); err != nil {
		w.log.Warn("xcom_pull", "dag_id", t.key.DagID, "run_id", t.key.RunID, "task_id", t.key.TaskID, "try", t.try, "err", err)
		return nil, false
	}
	return resp.Value, resp.Found
}
