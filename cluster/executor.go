package cluster

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/wasmflow/wasmflow/runtime"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// LocalExecutor runs tries in this process on the task runtime, as many at once as the
// scheduler dispatches (the scheduler enforces parallelism, pools and DAG limits) and the
// runtime's memory cap admits (core.max_task_memory): a try that does not fit stays queued,
// with why, until memory frees, so it is a scheduler.Queuer. Logs go to
// LogPath(logsFolder, ...) as the module writes them.
type LocalExecutor struct {
	Runner     *runtime.Runner
	LogsFolder string

	mu      sync.Mutex
	results chan<- scheduler.TryResult
	cancels map[scheduler.TIKey]tryCancel
	wg      sync.WaitGroup
	ctx     context.Context
	stopped bool
}

type tryCancel struct {
	try    int
	cancel context.CancelCauseFunc
}

var _ scheduler.Queuer = (*LocalExecutor)(nil)

// QueuesTries implements scheduler.Queuer: a try is queued until the runtime admits it, which
// it reports (at once when its memory fits).
func (*LocalExecutor) QueuesTries() {}

var errKilled = fmt.Errorf("killed")

// errStopped ends the tries still running when the executor's grace period on Stop is over.
var errStopped = fmt.Errorf("stopped: wasmflow shut down while this try ran")

// LogPath is where the log of one try is written: logs/<dag>/<run>/<task>/<try>.log.
func LogPath(logsFolder string, key scheduler.TIKey, try int) string {
	return scheduler.LogPath(logsFolder, key, try)
}

// Start implements scheduler.Executor.
func (e *LocalExecutor) Start(ctx context.Context, results chan<- scheduler.TryResult) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.results, e.ctx, e.cancels = results, ctx, map[scheduler.TIKey]tryCancel{}
	return nil
}

// Submit implements scheduler.Executor: the try starts at once on its own goroutine.
func (e *LocalExecutor) Submit(w scheduler.Workload, xcom func(taskID, key string) ([]byte, bool)) {
	key := w.Key()
	e.mu.Lock()
	if e.stopped {
		e.mu.Unlock()
		// Sent from another goroutine: Submit is called by the loop that reads results.
		now := time.Now().UTC()
		go func() {
			e.results <- scheduler.TryResult{Key: key, TryNumber: w.TryNumber, State: tasks.StateFailed, Reason: "lost: the executor is stopping", StartDate: now, EndDate: now, Interrupted: true}
		}()
		return
	}
	ctx, cancel := context.WithCancelCause(e.ctx)
	e.cancels[key] = tryCancel{try: w.TryNumber, cancel: cancel}
	e.wg.Add(1)
	e.mu.Unlock()
	go func() {
		defer e.wg.Done()
		res := e.run(ctx, w, xcom)
		e.mu.Lock()
		if c, ok := e.cancels[key]; ok && c.try == w.TryNumber {
			delete(e.cancels, key)
		}
		e.mu.Unlock()
		cancel(nil)
		e.results <- res
	}()
}

func (e *LocalExecutor) run(ctx context.Context, w scheduler.Workload, xcom func(taskID, key string) ([]byte, bool)) scheduler.TryResult {
	key := w.Key()
	out := scheduler.TryResult{Key: key, TryNumber: w.TryNumber, StartDate: time.Now().UTC()}
	fail := func(reason string) scheduler.TryResult {
		out.State, out.Reason, out.EndDate = tasks.StateFailed, reason, time.Now().UTC()
		return out
	}
	logFile, err := openLog(LogPath(e.LogsFolder, key, w.TryNumber))
	if err != nil {
		return fail(fmt.Sprintf("open log: %v", err))
	}
	defer logFile.Close()
	res, err := runWorkload(ctx, e.Runner, w, logFile, xcom, func(t *runtime.Try) {
		t.Waiting = func(why string) {
			e.results <- scheduler.TryResult{Key: key, TryNumber: w.TryNumber, State: tasks.StateQueued, Reason: why}
		}
		t.Admitted = func() {
			out.StartDate = time.Now().UTC() // a try's time starts when it does, not while it waited
			e.results <- scheduler.TryResult{Key: key, TryNumber: w.TryNumber, State: tasks.StateRunning, StartDate: out.StartDate, Hostname: e.Runner.Hostname()}
		}
	})
	if err != nil {
		fmt.Fprintf(logFile, "[wasmflow] %v\n", err)
		out = fail(err.Error())
		out.Interrupted = context.Cause(ctx) == errStopped
		return out
	}
	return resultOf(ctx, out, res)
}

func openLog(path string) (io.WriteCloser, error) { return scheduler.OpenLog(path) }

// Kill implements scheduler.Executor.
func (e *LocalExecutor) Kill(key scheduler.TIKey, tryNumber int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c, ok := e.cancels[key]; ok && c.try == tryNumber {
		c.cancel(errKilled)
	}
}

// Stop implements scheduler.Executor: no new tries; running ones go on until ctx is done,
// then they are killed.
func (e *LocalExecutor) Stop(ctx context.Context) error {
	e.mu.Lock()
	e.stopped = true
	e.mu.Unlock()
	done := make(chan struct{})
	go func() { e.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		e.mu.Lock()
		for _, c := range e.cancels {
			c.cancel(errStopped)
		}
		e.mu.Unlock()
		<-done
		return ctx.Err()
	}
}

// safe keeps an id usable as a path element.
func safe(s string) string { return scheduler.PathElem(s) }
