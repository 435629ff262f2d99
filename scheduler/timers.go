package scheduler

import (
	"container/heap"
	"time"
)

// timer is a moment at which something must be looked at again: a run (retry delay, poke,
// dagrun_timeout) or, with an empty runKey, the DAG schedules.
type timer struct {
	at  time.Time
	run runKey
}

type timerHeap []timer

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(timer)) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}

func (s *Scheduler) at(t time.Time, r runKey) { heap.Push(&s.timers, timer{at: t, run: r}) }

// wakeRun makes sure run r is looked at by t, pushing a timer only when none is pending
// sooner, so waiting retries and pokes do not grow the heap on every pass.
func (s *Scheduler) wakeRun(r *activeRun, t time.Time) {
	if !r.wakeAt.IsZero() && !r.wakeAt.After(t) && r.wakeAt.After(s.cfg.Now()) {
		return
	}
	r.wakeAt = t
	s.at(t, runKey{r.run.DagID, r.run.RunID})
}

// planBy makes sure the DAG schedules are looked at by t, pushing a timer only when none is
// pending sooner: the polls look at them every second, and a timer per look would grow the heap
// by the number of scheduled DAGs every second, for ever.
func (s *Scheduler) planBy(t time.Time) {
	if !s.planAt.IsZero() && !s.planAt.After(t) && s.planAt.After(s.cfg.Now()) {
		return
	}
	s.planAt = t
	s.at(t, runKey{})
}

// untilNextTimer is how long the loop may wait for an event: not at all when the schedules are
// to be looked at, else until the soonest timer.
func (s *Scheduler) untilNextTimer() time.Duration {
	if s.planDue {
		return 0
	}
	if len(s.timers) == 0 {
		return time.Hour
	}
	d := s.timers[0].at.Sub(s.cfg.Now())
	if d < 0 {
		return 0
	}
	return d
}

// fireTimers marks what is due as needing a look; the next step does the rest.
func (s *Scheduler) fireTimers() {
	now := s.cfg.Now()
	for len(s.timers) > 0 && !s.timers[0].at.After(now) {
		t := heap.Pop(&s.timers).(timer)
		if t.run == (runKey{}) {
			s.planDue = true
			if !s.planAt.After(now) {
				s.planAt = time.Time{}
			}
		} else if r := s.runs[t.run]; r != nil {
			r.dirty = true
			if !r.wakeAt.After(now) {
				r.wakeAt = time.Time{}
			}
		}
	}
}
