package app

import (
	"sync"

	"github.com/wasmflow/wasmflow/scheduler"
)

// Event is one change the live views follow: a task instance, a run or a DAG.
type Event struct {
	Kind  string // "task_instance", "dag_run" or "dag"
	DagID string
	Data  any // TaskInstanceInfo, RunInfo, or DagEvent
}

// DagEvent says a DAG changed: paused or unpaused, or parsed again.
type DagEvent struct {
	DagID    string `json:"dag_id"`
	IsPaused *bool  `json:"is_paused,omitempty"`
}

// Events fans changes out to the subscribers of the live views. Publishing never blocks: a
// subscriber too slow to keep up is dropped (its channel closed), and reconnects.
type Events struct {
	mu   sync.Mutex
	subs map[chan Event]string // channel → DAG filter ("" = all)
}

// NewEvents returns an empty hub.
func NewEvents() *Events { return &Events{subs: map[chan Event]string{}} }

// Subscribe returns a channel of the events of dagID ("" for every DAG) and a function that
// ends the subscription. The channel is closed when the subscriber falls behind.
func (h *Events) Subscribe(dagID string) (<-chan Event, func()) {
	ch := make(chan Event, 1024)
	h.mu.Lock()
	h.subs[ch] = dagID
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if _, ok := h.subs[ch]; ok {
			delete(h.subs, ch)
			close(ch)
		}
	}
}

// Publish sends e to every subscriber that wants it.
func (h *Events) Publish(e Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch, dag := range h.subs {
		if dag != "" && dag != e.DagID {
			continue
		}
		select {
		case ch <- e:
		default: // too slow: drop it; it reconnects and reloads
			delete(h.subs, ch)
			close(ch)
		}
	}
}

// publishChanges turns what the scheduler wrote into events, in the order a reader expects
// them: a run that starts (or is created) before its task instances, a run that ends after
// them. One scheduling step writes a run's end with the task instances that ended it; sent
// run first, a client that stops at the run's end would miss the last task's end.
func (h *Events) publishChanges(c scheduler.Changes) {
	for _, r := range c.Runs {
		if !r.State.Finished() {
			h.Publish(Event{Kind: "dag_run", DagID: r.DagID, Data: runInfo(r)})
		}
	}
	for _, ti := range c.TaskInstances {
		h.Publish(Event{Kind: "task_instance", DagID: ti.DagID, Data: tiInfo(ti)})
	}
	for _, r := range c.Runs {
		if r.State.Finished() {
			h.Publish(Event{Kind: "dag_run", DagID: r.DagID, Data: runInfo(r)})
		}
	}
}
