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
