package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// untrack forgets a try and frees its slot. e.mu is held.
func (e *RemoteExecutor) untrack(t *dispatchTry) {
	delete(e.tries, t.id)
	if e.byKey[t.key] == t {
		delete(e.byKey, t.key)
	}
	if t.state == tryPending {
		for i, p := range e.pending {
			if p == t {
				e.pending = append(e.pending[:i], e.pending[i+1:]...)
				break
			}
		}
	}
	if ws := e.workers[t.worker]; ws != nil && ws.tries[t.id] == t {
		delete(ws.tries, t.id)
		ws.used--
		if ws.local {
			e.gossipLocalUse(ws.used)
		}
	}
	t.worker = ""
	e.poke()
}

func (e *RemoteExecutor) gossipLocalUse(used int) {
	e.node.UpdateMeta(func(m *Meta) { m.Used = used })
}

// dispatch gives waiting tries to nodes whenever something changes (a submit, a freed slot, a
// member), and every 250 ms for nodes in back-off.
func (e *RemoteExecutor) dispatch() {
	defer e.bg.Done()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-e.stopBg:
			return
		case <-e.wake:
		case <-tick.C:
		}
		e.mu.Lock()
		batch := e.assign(time.Now())
		waits := e.newReasons()
		e.mu.Unlock()
		for _, t := range batch {
			go e.send(t)
		}
		if len(waits) > 0 {
			go func() {
				for _, res := range waits {
					e.deliver(context.Background(), res)
				}
			}()
		}
	}
}

// assign picks a node for every waiting try that one can take now, oldest first. e.mu is held.
func (e *RemoteExecutor) assign(now time.Time) []*dispatchTry {
	if e.stopping {
		return nil
	}
	var out []*dispatchTry
	full := map[string]bool{} // queues with no free node in this pass
	kept := e.pending[:0]
	for _, t := range e.pending {
		q := queueOf(t.w.Queue)
		var ws *workerSlot
		if !full[q] {
			ws = e.pick(q, now)
		}
		if ws == nil {
			full[q] = true
			kept = append(kept, t)
			continue
		}
		t.worker, t.state = ws.name, trySending
		ws.used++
		ws.tries[t.id] = t
		if ws.local {
			e.gossipLocalUse(ws.used)
		}
		out = append(out, t)
	}
	clear(e.pending[len(kept):])
	e.pending = kept
	clear(e.reasons)
	for q := range full {
		e.reasons[q] = e.whyWaiting(q, now)
	}
	return out
}

// newReasons reports why each waiting try waits, to the scheduler, when that changed since it
// last said. e.mu is held.
func (e *RemoteExecutor) newReasons() []scheduler.TryResult {
	var out []scheduler.TryResult
	for _, t := range e.pending {
		if r := e.reasons[queueOf(t.w.Queue)]; r != "" && r != t.reason {
			t.reason = r
			out = append(out, scheduler.TryResult{Key: t.key, TryNumber: t.w.TryNumber, State: tasks.StateQueued, Reason: r})
		}
	}
	return out
}

// reportStarted tells the scheduler a try began on a node.
func (e *RemoteExecutor) reportStarted(t *dispatchTry, node string, at time.Time) {
	e.deliver(context.Background(), scheduler.TryResult{Key: t.key, TryNumber: t.w.TryNumber, State: tasks.StateRunning, Hostname: node, StartDate: at})
}

// pick is the node serving q with a free slot and the lowest share of its slots in use.
func (e *RemoteExecutor) pick(q string, now time.Time) *workerSlot {
	var best *workerSlot
	for _, ws := range e.workers {
		if ws.draining || ws.used >= ws.slots || now.Before(ws.notBefore) || !ws.serves(q) {
			continue
		}
		if best == nil {
			best = ws
			continue
		}
		a, b := ws.used*best.slots, best.used*ws.slots // ws.used/ws.slots vs best.used/best.slots
		if a < b || a == b && (ws.used < best.used || ws.used == best.used && ws.name < best.name) {
			best = ws
		}
	}
	return best
}

// whyWaiting says why tries of queue q wait. e.mu is held.
func (e *RemoteExecutor) whyWaiting(q string, now time.Time) string {
	serving, used, slots, backoff := 0, 0, 0, 0
	for _, ws := range e.workers {
		if !ws.serves(q) || ws.draining {
			continue
		}
		serving++
		used += ws.used
		slots += ws.slots
		if now.Before(ws.notBefore) {
			backoff++
		}
	}
	switch {
	case serving == 0:
		return fmt.Sprintf("no live worker serves queue %q: start one with `wasmflow worker --join ... --queues %s`", q, q)
	case used >= slots:
		return fmt.Sprintf("waiting for a free slot: every node serving queue %q is busy (%d slots)", q, slots)
	default:
		return fmt.Sprintf("the %d node(s) serving queue %q with free slots did not answer or refused; trying again", backoff, q)
	}
}

func queueOf(q string) string {
	if q == "" {
		return DefaultQueue
	}
	return q
}

// send hands one assigned try to its node: the local executor, or a worker over the data
// channel, with the module's bytes when the worker asks for them.
func (e *RemoteExecutor) send(t *dispatchTry) {
	e.mu.Lock()
	ws := e.workers[t.worker]
	if ws == nil || e.tries[t.id] != t {
		e.mu.Unlock()
		return
	}
	name, local, addr := ws.name, ws.local, ws.dataAddr
	if local && e.stopping {
		// The local executor may have stopped already: its "lost" answer could come after
		// Stop forwarded the last local result, and be dropped. Answer here instead.
		e.untrack(t)
		e.mu.Unlock()
		now := time.Now().UTC()
		e.deliver(context.Background(), scheduler.TryResult{Key: t.key, TryNumber: t.w.TryNumber, State: tasks.StateFailed,
			Reason: "lost: the executor stopped before it started", StartDate: now, EndDate: now, Interrupted: true})
		return
	}
	if local {
		// The local executor reports the try started itself, once the runtime admits it (it
		// may wait for memory first): see forwardLocalResult.
		t.state, t.sentAt = tryRunning, time.Now().UTC()
		killed := t.killed
		e.mu.Unlock()
		e.cfg.Local.Submit(t.w, t.xcom)
		if killed {
			e.cfg.Local.Kill(t.key, t.w.TryNumber)
		}
		return
	}
	e.mu.Unlock()

	sha, err := e.mods.digest(t.w.ModulePath)
	if err != nil {
		e.fail(t, fmt.Sprintf("read module of %s.%s: %v", t.w.DagID, t.w.TaskID, err))
		return
	}
	if f, err := openLog(LogPath(e.cfg.LogsFolder, t.key, t.w.TryNumber)); err == nil {
		f.Close()
	}
	req := submitRequest{ID: t.id, Server: e.node.Name(), ModuleSHA256: sha, Workload: t.w, Connections: t.w.Connections}
	for attempt := 0; attempt < 3; attempt++ {
		var resp submitResponse
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := e.ch.call(ctx, addr, pathTries, req, &resp)
		cancel()
		e.mu.Lock()
		if ws := e.workers[name]; ws != nil {
			var se *StatusError
			ws.unreachable = err != nil && !errors.As(err, &se)
		}
		e.mu.Unlock()
		if err != nil {
			e.log.Warn("send a try to a worker; another will take it", "worker", name, "dag_id", t.key.DagID, "run_id", t.key.RunID,
				"task_id", t.key.TaskID, "try", t.w.TryNumber, "err", err)
			e.requeue(t, name, time.Second, false)
			return
		}
		switch resp.Status {
		case submitAccepted:
			e.mu.Lock()
			if e.tries[t.id] != t || t.worker != name {
				e.mu.Unlock()
				return // its worker died meanwhile: already handled
			}
			t.state, t.sentAt, t.instance = tryRunning, time.Now().UTC(), resp.Instance
			killed, at := t.killed, t.sentAt
			gone := e.restarted(name, resp.Instance)
			e.mu.Unlock()
			e.reportLost(gone, name, "restarted")
			e.reportStarted(t, name, at)
			if killed {
				e.sendKill(t)
			}
			return
		case submitNeedModule:
			data, now, err := e.mods.read(t.w.ModulePath)
			if err != nil {
				e.fail(t, fmt.Sprintf("read module of %s.%s: %v", t.w.DagID, t.w.TaskID, err))
				return
			}
			if now != req.ModuleSHA256 { // the file changed since: offer the new one
				req.ModuleSHA256 = now
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			status, body, err := e.ch.do(ctx, http.MethodPut, addr, pathModules+now, data)
			cancel()
			if err == nil && status != http.StatusOK {
				err = fmt.Errorf("%d: %s", status, body)
			}
			if err != nil {
				e.log.Warn("send a module to a worker", "worker", name, "sha256", now, "err", err)
				e.requeue(t, name, time.Second, false)
				return
			}
			e.log.Debug("sent a module to a worker", "worker", name, "sha256", now, "bytes", len(data))
		case submitRefused:
			e.requeue(t, name, 500*time.Millisecond, resp.Reason == "draining")
			return
		default:
			e.requeue(t, name, time.Second, false)
			return
		}
	}
	e.requeue(t, name, time.Second, false)
}

// requeue puts a try its node did not take back at the head of the line, and keeps the node
// out of dispatch for a while.
func (e *RemoteExecutor) requeue(t *dispatchTry, worker string, backoff time.Duration, draining bool) {
	e.mu.Lock()
	if e.tries[t.id] != t || t.worker != worker {
		e.mu.Unlock()
		return
	}
	if ws := e.workers[worker]; ws != nil {
		ws.notBefore = time.Now().Add(backoff)
		ws.draining = ws.draining || draining
		if ws.tries[t.id] == t {
			delete(ws.tries, t.id)
			ws.used--
		}
	}
	t.worker, t.state = "", tryPending
	if t.killed || e.stopping {
		delete(e.tries, t.id)
		if e.byKey[t.key] == t {
			delete(e.byKey, t.key)
		}
		reason := "killed"
		if !t.killed {
			reason = "lost: the executor stopped before a node took it"
		}
		e.mu.Unlock()
		now := time.Now().UTC()
		e.deliver(context.Background(), scheduler.TryResult{Key: t.key, TryNumber: t.w.TryNumber, State: tasks.StateFailed,
			Reason: reason, StartDate: t.queuedAt, EndDate: now})
		return
	}
	e.pending = append([]*dispatchTry{t}, e.pending...)
	e.mu.Unlock()
	e.poke()
}

// fail ends a try the executor could not send at all.
func (e *RemoteExecutor) fail(t *dispatchTry, reason string) {
	e.mu.Lock()
	if e.tries[t.id] != t {
		e.mu.Unlock()
		return
	}
	e.untrack(t)
	e.mu.Unlock()
	if f, err := openLog(LogPath(e.cfg.LogsFolder, t.key, t.w.TryNumber)); err == nil {
		fmt.Fprintf(f, "[wasmflow] %s\n", reason)
		f.Close()
	}
	now := time.Now().UTC()
	e.deliver(context.Background(), scheduler.TryResult{Key: t.key, TryNumber: t.w.TryNumber, State: tasks.StateFailed,
		Reason: reason, StartDate: t.queuedAt, EndDate: now})
}

func (e *RemoteExecutor) sendKill(t *dispatchTry) {
	e.mu.Lock()
	ws := e.workers[t.worker]
	var addr string
	if ws != nil {
		addr = ws.dataAddr
	}
	e.mu.Unlock()
	if addr == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.ch.call(ctx, addr, pathKill, killRequest{ID: t.id}, nil); err != nil {
		e.log.Warn("kill a try on a worker", "worker", ws.name, "task_id", t.key.TaskID, "try", t.w.TryNumber, "err", err)
	}
}

// forwardLocal passes the local executor's results on, freeing the server's own slots.
func (e *RemoteExecutor) forwardLocal() {
	defer e.bg.Done()
	defer close(e.fwdDone)
	for {
		select {
		case <-e.stopBg:
			return
		case <-e.fwdStop:
			return
		case res := <-e.localCh:
			e.forwardLocalResult(res)
		}
	}
}

func (e *RemoteExecutor) forwardLocalResult(res scheduler.TryResult) {
	if res.Progress() { // waiting for memory, or started: the try keeps its slot
		if res.State == tasks.StateRunning {
			res.Hostname = e.node.Name()
		}
		e.deliver(context.Background(), res)
		return
	}
	e.mu.Lock()
	if t := e.byKey[res.Key]; t != nil && t.w.TryNumber == res.TryNumber {
		if ws := e.workers[t.worker]; ws != nil && ws.local {
			e.untrack(t)
		}
	}
	e.mu.Unlock()
	e.deliver(context.Background(), res)
}

func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
