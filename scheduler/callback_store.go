package scheduler

import (
	"context"
	"time"
)

// CallbackRequest is one callback to run for one event: a task instance's try ending in
// success, failed or up_for_retry, a run ending, or an SLA miss. It is written in the same
// Save as the state change that raised it (Changes.Callbacks), so the event and its request
// exist together or not at all; the scheduler runs it afterwards and marks it done.
//
// The guarantee is at least once: a request is raised exactly once per event (its key is
// unique), and runs until a done mark is written. The done mark is written as soon as the
// callback's try ends, before the next scheduling step; a scheduler that dies between the end
// of a callback and its done mark runs it again when it next starts, every other way it runs
// once. A request marked done is never run again.
type CallbackRequest struct {
	ID     int64
	DagID  string
	RunID  string
	TaskID string // the task instance the event is about; "" for the run's own events
	// MapIndex is the mapped task instance's (-1 for the others and for the run).
	MapIndex int
	// Event is the callback: on_success_callback, on_failure_callback, on_retry_callback or
	// sla_miss_callback (tasks.OnSuccessCallback, ...).
	Event string
	// TryNumber is the try that ended (0 for the run's events and SLA misses).
	TryNumber int
	State     string // the state reached: success, failed, up_for_retry; for an SLA miss, sla_miss
	Reason    string // why: a failed try's reason, the SLA that passed
	CreatedAt time.Time
	DoneAt    *time.Time // nil while pending
	// Error is why the callback failed ("" if it succeeded or has not run): the run's and the
	// task instance's states never change for it.
	Error    string
	Hostname string // where it ran
	// JobID is the scheduler job that runs it, with several active schedulers (Config.Jobs):
	// the one whose Save raised it, until another claims it after that one died. 0: none.
	JobID int64
}

// owner is the callback's owner in its TaskID: the task, or tasks.RunCallbackOwner.
func (c CallbackRequest) owner() string {
	if c.TaskID == "" {
		return runOwner
	}
	return c.TaskID
}

// SLAMiss is a task that had not succeeded when its sla passed (counted from its run's
// start), or a run that had not ended by its DAG's deadline (TaskID "").
type SLAMiss struct {
	DagID       string
	RunID       string
	TaskID      string
	LogicalDate time.Time
	// SLA is the sla or the deadline that passed; Timestamp is when it passed.
	SLA         time.Duration
	Timestamp   time.Time
	Description string
}

// CallbackStore is what callbacks and SLA misses need of the metastore beyond Save (which
// writes Changes.Callbacks and Changes.SLAMisses). A Store without it runs no callbacks.
type CallbackStore interface {
	// PendingCallbacks returns every request not marked done, oldest first.
	PendingCallbacks(ctx context.Context) ([]CallbackRequest, error)
	// FinishCallback marks a request done at at, with where it ran and why it failed ("":
	// it succeeded).
	FinishCallback(ctx context.Context, id int64, at time.Time, hostname, errMsg string) error
	// ClaimCallback makes job the one to run a pending request, if no live job has it (with
	// Config.Jobs: several schedulers must not each run it); it reports whether job has it.
	ClaimCallback(ctx context.Context, id, job int64, deadBefore time.Time) (bool, error)
	// ListCallbacks returns a run's requests ("" runID: every run of the DAG), oldest first.
	ListCallbacks(ctx context.Context, dagID, runID string) ([]CallbackRequest, error)
	// ListSLAMisses returns the SLA misses of a DAG ("": of every DAG), newest first.
	ListSLAMisses(ctx context.Context, dagID string, limit, offset int) ([]SLAMiss, int64, error)
}
