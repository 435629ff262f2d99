package scheduler

import (
	"context"
	"sync"

	"github.com/wasmflow/wasmflow/tasks"
)

// TimerLen reports the size of the timer heap, read on the loop.
func TimerLen(ctx context.Context, s *Scheduler) (n int) {
	s.do(ctx, func() error { n = len(s.timers); return nil })
	return n
}

// Idle reports, read on the loop between two steps, whether the scheduler has nothing left to
// do now: no active run, no look at the DAG schedules asked for (nor a Wake waiting to ask)
// and no timer due. A test takes its baseline then, not after a guessed sleep.
func Idle(ctx context.Context, s *Scheduler) (idle bool) {
	s.do(ctx, func() error {
		idle = len(s.runs) == 0 && !s.planDue && len(s.wake) == 0 && s.untilNextTimer() > 0
		return nil
	})
	return idle
}

// Started waits until s has recovered its runs from the metastore and its loop runs.
func Started(ctx context.Context, s *Scheduler) error {
	return s.do(ctx, func() error { return nil })
}

// CountParses makes every DAG file parse for the rest of the test be recorded, and returns
// the paths parsed so far, in no order.
func CountParses(t interface{ Cleanup(func()) }) func() []string {
	var mu sync.Mutex
	var paths []string
	old := parseFile
	parseFile = func(path string, opts tasks.ParseOptions) (*tasks.DAG, error) {
		mu.Lock()
		paths = append(paths, path)
		mu.Unlock()
		return old(path, opts)
	}
	t.Cleanup(func() { parseFile = old })
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), paths...)
	}
}
