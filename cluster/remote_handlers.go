package cluster

import (
	"errors"
	"net/http"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
)

// handleResult takes a worker's result, and acknowledges it only once the scheduler has it:
// otherwise the worker keeps it and sends it again.
func (e *RemoteExecutor) handleResult(r *http.Request, body []byte) (int, any) {
	var msg resultMessage
	if status, out := decode(body, &msg); status != 0 {
		return status, out
	}
	e.mu.Lock()
	if !e.started || e.stopping && e.tries[msg.ID] == nil {
		e.mu.Unlock()
		return http.StatusServiceUnavailable, errorBody{"the scheduler is not running; keep the result and send it again"}
	}
	if e.delivered[msg.ID] || e.deliveredOld[msg.ID] {
		e.mu.Unlock()
		return http.StatusOK, struct{}{} // delivered before; the acknowledgement was lost
	}
	e.markDelivered(msg.ID)
	if t := e.tries[msg.ID]; t != nil {
		e.untrack(t)
	}
	e.mu.Unlock()
	if len(msg.Log) > 0 {
		e.appendLog(msg.Result.Key, msg.Result.TryNumber, msg.Log)
	}
	if !e.deliver(r.Context(), msg.Result) {
		e.mu.Lock()
		delete(e.delivered, msg.ID)
		e.mu.Unlock()
		return http.StatusServiceUnavailable, errorBody{"the scheduler is not running; keep the result and send it again"}
	}
	return http.StatusOK, struct{}{}
}

// markDelivered records id, rotating the generations. e.mu is held.
func (e *RemoteExecutor) markDelivered(id string) {
	if time.Since(e.rotated) > 30*time.Minute {
		e.deliveredOld, e.delivered, e.rotated = e.delivered, map[string]bool{}, time.Now()
	}
	e.delivered[id] = true
}

func (e *RemoteExecutor) handleLog(_ *http.Request, body []byte) (int, any) {
	var msg logMessage
	if status, out := decode(body, &msg); status != 0 {
		return status, out
	}
	if err := e.appendLog(msg.Key, msg.TryNumber, msg.Data); err != nil {
		return http.StatusInternalServerError, errorBody{err.Error()}
	}
	return http.StatusOK, struct{}{}
}

func (e *RemoteExecutor) appendLog(key scheduler.TIKey, try int, data []byte) error {
	f, err := scheduler.OpenLog(LogPath(e.cfg.LogsFolder, key, try))
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	return errors.Join(err, f.Close())
}

func (e *RemoteExecutor) handleXCom(_ *http.Request, body []byte) (int, any) {
	var req xcomRequest
	if status, out := decode(body, &req); status != 0 {
		return status, out
	}
	e.mu.Lock()
	var xcom func(taskID, key string) ([]byte, bool)
	if t := e.tries[req.ID]; t != nil {
		xcom = t.xcom
	}
	e.mu.Unlock()
	var v []byte
	var ok bool
	switch {
	case xcom != nil:
		v, ok = xcom(req.TaskID, req.XKey)
	case e.cfg.XCom != nil:
		v, ok = e.cfg.XCom(req.Key, req.TaskID, req.XKey)
	}
	return http.StatusOK, xcomResponse{Found: ok, Value: v}
}

// handleHello counts the tries a worker already runs (the server restarted under them) in
// its slots, so it is not given more than it can take, and lets the scheduler adopt them. A
// worker that greeted this process before is only told it is still the same one.
// handleMembers answers Members, for `wasmflow cluster members`.
func (e *RemoteExecutor) handleMembers(*http.Request, []byte) (int, any) {
	return http.StatusOK, membersResponse{Members: e.Members()}
}

func (e *RemoteExecutor) handleHello(_ *http.Request, body []byte) (int, any) {
	var msg helloMessage
	if status, out := decode(body, &msg); status != 0 {
		return status, out
	}
	resp := helloResponse{Instance: e.instance}
	e.mu.Lock()
	var gone []*dispatchTry
	if ws := e.workers[msg.Worker]; ws != nil && !ws.local && ws.dataAddr == msg.DataAddr {
		gone = e.restarted(msg.Worker, msg.Instance)
	}
	e.mu.Unlock()
	e.reportLost(gone, msg.Worker, "restarted")
	if msg.Greeted == e.instance {
		return http.StatusOK, resp
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	ws := e.workers[msg.Worker]
	for _, rt := range msg.Running {
		if e.tries[rt.ID] != nil || e.delivered[rt.ID] || e.deliveredOld[rt.ID] {
			continue
		}
		t := &dispatchTry{id: rt.ID, key: rt.Key, worker: msg.Worker, state: tryRunning, adopted: true, sentAt: time.Now().UTC(), instance: msg.Instance,
			w: scheduler.Workload{DagID: rt.Key.DagID, RunID: rt.Key.RunID, TaskID: rt.Key.TaskID, TryNumber: rt.TryNumber, Queue: rt.Queue}}
		e.tries[t.id] = t
		if e.byKey[t.key] == nil {
			e.byKey[t.key] = t
		}
		if ws != nil {
			ws.tries[t.id] = t
			ws.used++
		}
	}
	return http.StatusOK, resp
}
