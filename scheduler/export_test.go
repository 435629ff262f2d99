package scheduler

import "context"

// TimerLen reports the size of the timer heap, read on the loop.
func TimerLen(ctx context.Context, s *Scheduler) (n int) {
	s.do(ctx, func() error { n = len(s.timers); return nil })
	return n
}
