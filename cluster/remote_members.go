package cluster

import (
	"context"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// onEvent follows the membership: workers joining or changing are dispatched to, workers
// gone have their tries reported lost.
func (e *RemoteExecutor) onEvent(ev MemberEvent) {
	m := ev.Member
	if m.Role != RoleWorker {
		return
	}
	e.mu.Lock()
	ws := e.workers[m.Name]
	if ev.Kind == EventLeave {
		if ws == nil || ws.local {
			e.mu.Unlock()
			return
		}
		delete(e.workers, m.Name)
		var lost, resend []*dispatchTry
		for _, t := range ws.tries {
			if t.state == trySending && !t.killed {
				resend = append(resend, t) // never confirmed started: another worker takes it
				continue
			}
			lost = append(lost, t)
		}
		for _, t := range lost {
			e.untrack(t)
		}
		for _, t := range resend {
			delete(ws.tries, t.id)
			t.worker, t.state = "", tryPending
			e.pending = append([]*dispatchTry{t}, e.pending...)
		}
		e.mu.Unlock()
		verb := "died"
		if m.State == StateLeft {
			verb = "left"
		}
		e.log.Warn("worker "+verb, "worker", m.Name, "tries_lost", len(lost), "tries_resent", len(resend))
		e.reportLost(lost, m.Name, verb)
		e.poke()
		return
	}
	if ws == nil {
		ws = &workerSlot{name: m.Name, tries: map[string]*dispatchTry{}}
		e.workers[m.Name] = ws
		// Tries a worker reported in its hello before its join reached us.
		for _, t := range e.tries {
			if t.worker == m.Name && t.adopted {
				ws.tries[t.id] = t
				ws.used++
			}
		}
		e.log.Info("worker joined", "worker", m.Name, "queues", m.Queues, "slots", m.Slots, "version", m.Version)
	}
	ws.dataAddr, ws.queues, ws.slots, ws.draining = m.DataAddress, m.Queues, m.Slots, m.Draining
	e.mu.Unlock()
	e.poke()
}

// restarted forgets the tries a worker took in a process other than instance, the one that
// answers now under its name: a worker restarted at once on the same address is never seen
// dead, and what its previous process ran is gone with it. e.mu is held; the caller reports
// what it returns with reportLost.
func (e *RemoteExecutor) restarted(worker, instance string) []*dispatchTry {
	if instance == "" {
		return nil
	}
	var gone []*dispatchTry
	for _, t := range e.tries {
		if t.worker == worker && t.state == tryRunning && t.instance != "" && t.instance != instance {
			gone = append(gone, t)
		}
	}
	for _, t := range gone {
		e.untrack(t)
	}
	if len(gone) > 0 {
		e.log.Warn("worker restarted", "worker", worker, "tries_lost", len(gone))
	}
	return gone
}

// reportLost reports tries of a worker that died, left or restarted as failed, "lost: worker
// <name> <verb>", so the scheduler retries them per their retries; their logs say so too.
func (e *RemoteExecutor) reportLost(lost []*dispatchTry, worker, verb string) {
	now := time.Now().UTC()
	reason := "lost: worker " + worker + " " + verb
	for _, t := range lost {
		go func() {
			// The try's log says how it ended, as it does for a try that could not be sent.
			if err := e.appendLog(t.key, t.w.TryNumber, []byte("[wasmflow] "+reason+"\n")); err != nil {
				e.log.Warn("write a lost try's log", "task_id", t.key.TaskID, "try", t.w.TryNumber, "err", err)
			}
			e.deliver(context.Background(), scheduler.TryResult{Key: t.key, TryNumber: t.w.TryNumber, State: tasks.StateFailed,
				Reason: reason, StartDate: t.sentAt, EndDate: now, Hostname: worker})
		}()
	}
}

// Adopt reports whether a worker runs the try of key with this try number although this
// process did not submit it (the server restarted while it ran); its result will come through
// this executor like any other.
func (e *RemoteExecutor) Adopt(key scheduler.TIKey, tryNumber int) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, t := range e.tries {
		if t.adopted && t.key == key && t.w.TryNumber == tryNumber {
			return true
		}
	}
	return false
}

// WaitingTry is a try the executor holds because no node can take it yet.
type WaitingTry struct {
	Key       scheduler.TIKey
	TryNumber int
	Queue     string
	Since     time.Time
	Reason    string
}

// Waiting lists the tries waiting for a node, oldest first, with why.
func (e *RemoteExecutor) Waiting() []WaitingTry {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]WaitingTry, 0, len(e.pending))
	for _, t := range e.pending {
		q := queueOf(t.w.Queue)
		reason := e.reasons[q]
		if reason == "" {
			reason = "waiting for the dispatcher"
		}
		out = append(out, WaitingTry{Key: t.key, TryNumber: t.w.TryNumber, Queue: q, Since: t.queuedAt, Reason: reason})
	}
	return out
}

// Members lists the cluster's nodes, with used slots as this executor counts them.
func (e *RemoteExecutor) Members() []Member {
	ms := e.node.Members()
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range ms {
		if ws := e.workers[ms[i].Name]; ws != nil && ms[i].State == StateAlive {
			ms[i].UsedSlots = ws.used
			if ws.unreachable {
				ms[i].State = StateSuspect
			}
		}
	}
	sortMembers(ms)
	return ms
}
