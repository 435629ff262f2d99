package schedulertest

import (
	"context"

	"github.com/wasmflow/wasmflow/scheduler"
)

var (
	_ scheduler.Executor = (*Executor)(nil)
	_ scheduler.Queuer   = (*Queuer)(nil)
)

// Executor is a scheduler.Executor whose methods call its fields, or Base when a field is nil
// (with no Base either, the method panics with its name).
type Executor struct {
	// Base answers every call whose field is nil. Nil: such a call panics.
	Base scheduler.Executor

	StartFunc  func(ctx context.Context, results chan<- scheduler.TryResult) error
	SubmitFunc func(w scheduler.Workload, xcom func(taskID, key string) ([]byte, bool))
	KillFunc   func(key scheduler.TIKey, tryNumber int)
	StopFunc   func(ctx context.Context) error
}

func (e *Executor) base(method string) scheduler.Executor {
	if e.Base == nil {
		panic("schedulertest.Executor." + method + ": no " + method + "Func and no Base")
	}
	return e.Base
}

func (e *Executor) Start(ctx context.Context, results chan<- scheduler.TryResult) error {
	if e.StartFunc != nil {
		return e.StartFunc(ctx, results)
	}
	return e.base("Start").Start(ctx, results)
}

func (e *Executor) Submit(w scheduler.Workload, xcom func(taskID, key string) ([]byte, bool)) {
	if e.SubmitFunc != nil {
		e.SubmitFunc(w, xcom)
		return
	}
	e.base("Submit").Submit(w, xcom)
}

func (e *Executor) Kill(key scheduler.TIKey, tryNumber int) {
	if e.KillFunc != nil {
		e.KillFunc(key, tryNumber)
		return
	}
	e.base("Kill").Kill(key, tryNumber)
}

func (e *Executor) Stop(ctx context.Context) error {
	if e.StopFunc != nil {
		return e.StopFunc(ctx)
	}
	return e.base("Stop").Stop(ctx)
}

// Queuer is an Executor that is a scheduler.Queuer: the scheduler leaves a try it dispatched
// queued until the executor reports it running.
type Queuer struct{ Executor }

func (*Queuer) QueuesTries() {}
