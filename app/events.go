package app

import (
	"sync"

	"github.com/wasmflow/wasmflow/scheduler"
)

// Event is one change the live views follow: a task instance, a run or a DAG.
type Event struct {
	Kind  string // "task_instance", "dag_run", "dag" or "sla_miss"
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
// them, that of cause and effect: a run that starts (or is created) before its task
// instances, task instances that ended before those that start, and a run that ends after
// its task instances. One scheduling step writes all of these at once: an upstream's
// success with the start of its downstream, a run's end with the task instance that ended
// it; sent as written, a client could see a task start before what it waited for ended, or
// stop at the run's end and miss the last task's.
func (h *Events) publishChanges(c scheduler.Changes) {
	for _, r := range c.Runs {
		if !r.State.Finished() {
			h.Publish(Event{Kind: "dag_run", DagID: r.DagID, Data: runInfo(r)})
		}
	}
	tis := c.TaskInstances
	if len(c.Expanded) > 0 { // a mapped task's new instances are task instances that changed too
		tis = append(append([]scheduler.TaskInstance{}, tis...), c.Expanded...)
	}
	for _, ended := range []bool{true, false} {
		for _, ti := range tis {
			if ti.State.Finished() == ended {
				h.Publish(Event{Kind: "task_instance", DagID: ti.DagID, Data: tiInfo(ti)})
			}
		}
	}
	for _, r := range c.Runs {
		if r.State.Finished() {
			h.Publish(Event{Kind: "dag_run", DagID: r.DagID, Data: runInfo(r)})
		}
	}
	for _, m := range c.SLAMisses {
		var task *string
		if m.TaskID != "" {
			task = &m.TaskID
		}
		h.Publish(Event{Kind: "sla_miss", DagID: m.DagID, Data: map[string]any{"dag_id": m.DagID, "dag_run_id": m.RunID, "task_id": task}})
	}
}
