package scheduler

import (
	"context"
	"time"

	"github.com/wasmflow/wasmflow/tasks"
)

// TryResult is how one try ended, as an executor reports it.
type TryResult struct {
	Key       TIKey
	TryNumber int
	// State is success, failed or skipped; up_for_reschedule means a sensor module said
	// "not yet" (exit 100).
	State        tasks.TaskInstanceState
	ExitCode     *int
	Reason       string // why it failed: timeout, oom, exit_code 1, trap: ..., lost, killed
	StartDate    time.Time
	EndDate      time.Time
	Hostname     string
	ModuleSHA256 string
	XComs        map[string][]byte
	// Calls are the module's granted-I/O calls, in order (see Call).
	Calls []Call
	// Interrupted says the try ended because its executor shut down (the app quit), not
	// because of the task: the try is recorded as failed, and the task instance runs again at
	// the next start without using a retry.
	Interrupted bool
}

// Executor runs tries somewhere — in this process, or on the cluster's workers — and reports
// how each ended. Implementations must not block the scheduler: Submit and Kill return at once.
type Executor interface {
	// Start begins accepting work. Every submitted try produces exactly one TryResult on
	// results, also when it is killed or lost; Start returns once the executor is ready.
	Start(ctx context.Context, results chan<- TryResult) error
	// Submit hands over one rendered try. xcom answers the module's xcom_pull for its run.
	Submit(w Workload, xcom func(taskID, key string) ([]byte, bool))
	// Kill stops the try of key with this try number if it still runs; its result arrives
	// as failed with reason "killed".
	Kill(key TIKey, tryNumber int)
	// Stop stops accepting work and waits for running tries to end, at most until ctx is done.
	Stop(ctx context.Context) error
}

// Queuer is an Executor that may hold a try before it starts: the cluster's, while no live
// node serves the try's queue or every one is busy. The scheduler shows its tries queued, as
// Airflow does, until the executor reports one started. Besides each try's one final
// TryResult, a Queuer sends progress reports on the same channel, which end nothing:
//   - State queued: the try still waits; Reason says why (shown on the task instance).
//   - State running: the try started on Hostname at StartDate.
//
// Either may arrive late or not at all; the final result is what counts. Executors that are
// not Queuers start every try on Submit, and their tries go straight to running.
type Queuer interface {
	Executor
	QueuesTries()
}

// Adopter is an Executor that can take over tries a previous scheduler process started: the
// cluster's workers keep running tries while the server restarts, then report them when they
// reconnect. For AdoptWithin after Start, a try the metastore shows queued or running that
// this process did not submit waits for its result; a try Adopt does not claim by then is
// failed as lost.
type Adopter interface {
	Executor
	// Adopt reports whether the executor now follows the try of key with this try number
	// (a node reported running it); its result will come through the executor.
	Adopt(key TIKey, tryNumber int) bool
	// AdoptWithin is how long after Start nodes may take to report the tries they run.
	AdoptWithin() time.Duration
}

// InProcess is an Executor that runs tries in the scheduler's own process, some (the server's
// own slots of a cluster) or all. A try such a process left running died with it: killed, or
// on a power loss. That is not the task's fault, so the try runs again without using a retry,
// and no worker is waited for.
type InProcess interface {
	// RanHere reports whether a try that started on host ran in this scheduler's process.
	RanHere(host string) bool
}

// ranHere reports whether the try of ti ran in the scheduler's process: an executor that is
// not an Adopter runs every try in it; an InProcess one says.
func ranHere(e Executor, ti *TaskInstance) bool {
	if p, ok := e.(InProcess); ok {
		return p.RanHere(ti.Hostname)
	}
	_, remote := e.(Adopter)
	return !remote
}

// Progress reports whether res is a Queuer's progress report rather than a try's end.
func (res TryResult) Progress() bool {
	return res.State == tasks.StateQueued || res.State == tasks.StateRunning
}
