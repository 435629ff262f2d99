// Package schedulertest holds function-field fakes of the scheduler's interfaces, for tests of
// the scheduler and of what drives it (in the style of litestream's mock package): Store
// fakes scheduler.RunStore with the optional scheduler.JobStore, scheduler.CallbackStore and
// scheduler.DatasetStore, and Executor fakes scheduler.Executor.
//
// Each method calls its field (Store.GetDag calls GetDagFunc) when the field is set. When it is
// nil the method delegates to Base, a real implementation (usually a metastore), so a test
// overrides the calls it watches and lets the rest reach the database. With neither set, the
// method panics with its name: a fake never answers a call nobody meant it to.
//
// A Store always satisfies the optional interfaces, so a scheduler given one runs callbacks
// and dataset scheduling: with no Base implementing them, set PendingCallbacksFunc and
// QueuedDatasetsFunc (or the scheduler's first poll panics). An Executor is never a Queuer or
// an Adopter; Queuer adds QueuesTries.
//
// Imported by tests alone; it imports the scheduler and nothing else of the module.
package schedulertest

import (
	"context"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

var (
	_ scheduler.RunStore      = (*Store)(nil)
	_ scheduler.JobStore      = (*Store)(nil)
	_ scheduler.CallbackStore = (*Store)(nil)
	_ scheduler.DatasetStore  = (*Store)(nil)
)

// Store is a scheduler.RunStore whose methods call its fields, or Base when a field is nil.
// Its fields may be set only before it is shared; the funcs are called from any goroutine.
type Store struct {
	// Base answers every call whose field is nil (the optional interfaces' calls only if it
	// implements them). Nil: such a call panics.
	Base scheduler.RunStore

	SyncDagFunc               func(ctx context.Context, dag scheduler.Dag, source []byte, pausedOnCreate bool) error
	DeactivateDagsFunc        func(ctx context.Context, folder string, keep []string) ([]string, error)
	GetDagFunc                func(ctx context.Context, dagID string) (scheduler.Dag, error)
	ListDagsFunc              func(ctx context.Context, f scheduler.DagFilter) ([]scheduler.Dag, error)
	SetPausedFunc             func(ctx context.Context, dagID string, paused bool) error
	DagSourceFunc             func(ctx context.Context, dagID string) ([]byte, error)
	SetImportErrorFunc        func(ctx context.Context, filename, message string) error
	ClearImportErrorFunc      func(ctx context.Context, filename string) error
	ListImportErrorsFunc      func(ctx context.Context) ([]scheduler.ImportError, error)
	CreateDagRunFunc          func(ctx context.Context, run scheduler.DagRun, tis []scheduler.TaskInstance) (scheduler.DagRun, error)
	GetDagRunFunc             func(ctx context.Context, dagID, runID string) (scheduler.DagRun, error)
	ListDagRunsFunc           func(ctx context.Context, dagID string, state tasks.DagRunState, limit int) ([]scheduler.DagRun, error)
	PreviousDagRunFunc        func(ctx context.Context, dagID string, logicalDate time.Time) (scheduler.DagRun, error)
	ListTaskInstancesFunc     func(ctx context.Context, dagID, runID string) ([]scheduler.TaskInstance, error)
	SaveFunc                  func(ctx context.Context, c scheduler.Changes) error
	SetNextDagrunFunc         func(ctx context.Context, d scheduler.Dag) error
	GetXComFunc               func(ctx context.Context, dagID, runID, taskID, key string) (scheduler.XCom, error)
	ListXComsFunc             func(ctx context.Context, dagID, runID, taskID string) ([]scheduler.XCom, error)
	GetVariableFunc           func(ctx context.Context, key string) (scheduler.Variable, error)
	GetConnectionFunc         func(ctx context.Context, connID string) (tasks.Connection, error)
	ListPoolsFunc             func(ctx context.Context) ([]scheduler.Pool, error)
	AddAuditEventFunc         func(ctx context.Context, e scheduler.AuditEvent) error
	AddCommandFunc            func(ctx context.Context, c scheduler.Command) (scheduler.Command, error)
	PendingCommandsFunc       func(ctx context.Context) ([]scheduler.Command, error)
	GetCommandFunc            func(ctx context.Context, id int64) (scheduler.Command, error)
	FinishCommandFunc         func(ctx context.Context, id int64, result string) error
	StartJobFunc              func(ctx context.Context, hostname string, now time.Time) (int64, error)
	HeartbeatFunc             func(ctx context.Context, id int64, now time.Time) error
	ListJobsFunc              func(ctx context.Context) ([]scheduler.SchedulerJob, error)
	ClaimRunFunc              func(ctx context.Context, job int64, dagID, runID string, deadBefore time.Time) (bool, error)
	EndJobFunc                func(ctx context.Context, id int64, now time.Time) error
	PendingCallbacksFunc      func(ctx context.Context) ([]scheduler.CallbackRequest, error)
	FinishCallbackFunc        func(ctx context.Context, id int64, at time.Time, hostname, errMsg string) error
	ClaimCallbackFunc         func(ctx context.Context, id, job int64, deadBefore time.Time) (bool, error)
	ListCallbacksFunc         func(ctx context.Context, dagID, runID string) ([]scheduler.CallbackRequest, error)
	ListSLAMissesFunc         func(ctx context.Context, dagID string, limit, offset int) ([]scheduler.SLAMiss, int64, error)
	QueuedDatasetsFunc        func(ctx context.Context) (map[string]map[string]time.Time, error)
	CreateDatasetRunFunc      func(ctx context.Context, dagID string, uris []string, build func(events []scheduler.DatasetEvent, after time.Time) (scheduler.DagRun, []scheduler.TaskInstance)) (scheduler.DagRun, error)
	ConsumedDatasetEventsFunc func(ctx context.Context, dagID, runID string) ([]scheduler.DatasetEvent, error)
}

// base returns s.Base for method, or panics naming the method.
func (s *Store) base(method string) scheduler.RunStore {
	if s.Base == nil {
		panic("schedulertest.Store." + method + ": no " + method + "Func and no Base")
	}
	return s.Base
}

func (s *Store) jobStore(method string) scheduler.JobStore {
	b, ok := s.base(method).(scheduler.JobStore)
	if !ok {
		panic("schedulertest.Store." + method + ": no " + method + "Func and Base is no scheduler.JobStore")
	}
	return b
}

func (s *Store) callbackStore(method string) scheduler.CallbackStore {
	b, ok := s.base(method).(scheduler.CallbackStore)
	if !ok {
		panic("schedulertest.Store." + method + ": no " + method + "Func and Base is no scheduler.CallbackStore")
	}
	return b
}

func (s *Store) datasetStore(method string) scheduler.DatasetStore {
	b, ok := s.base(method).(scheduler.DatasetStore)
	if !ok {
		panic("schedulertest.Store." + method + ": no " + method + "Func and Base is no scheduler.DatasetStore")
	}
	return b
}

func (s *Store) SyncDag(ctx context.Context, dag scheduler.Dag, source []byte, pausedOnCreate bool) error {
	if s.SyncDagFunc != nil {
		return s.SyncDagFunc(ctx, dag, source, pausedOnCreate)
	}
	return s.base("SyncDag").SyncDag(ctx, dag, source, pausedOnCreate)
}

func (s *Store) DeactivateDags(ctx context.Context, folder string, keep []string) ([]string, error) {
	if s.DeactivateDagsFunc != nil {
		return s.DeactivateDagsFunc(ctx, folder, keep)
	}
	return s.base("DeactivateDags").DeactivateDags(ctx, folder, keep)
}

func (s *Store) GetDag(ctx context.Context, dagID string) (scheduler.Dag, error) {
	if s.GetDagFunc != nil {
		return s.GetDagFunc(ctx, dagID)
	}
	return s.base("GetDag").GetDag(ctx, dagID)
}

func (s *Store) ListDags(ctx context.Context, f scheduler.DagFilter) ([]scheduler.Dag, error) {
	if s.ListDagsFunc != nil {
		return s.ListDagsFunc(ctx, f)
	}
	return s.base("ListDags").ListDags(ctx, f)
}

func (s *Store) SetPaused(ctx context.Context, dagID string, paused bool) error {
	if s.SetPausedFunc != nil {
		return s.SetPausedFunc(ctx, dagID, paused)
	}
	return s.base("SetPaused").SetPaused(ctx, dagID, paused)
}

func (s *Store) DagSource(ctx context.Context, dagID string) ([]byte, error) {
	if s.DagSourceFunc != nil {
		return s.DagSourceFunc(ctx, dagID)
	}
	return s.base("DagSource").DagSource(ctx, dagID)
}

func (s *Store) SetImportError(ctx context.Context, filename, message string) error {
	if s.SetImportErrorFunc != nil {
		return s.SetImportErrorFunc(ctx, filename, message)
	}
	return s.base("SetImportError").SetImportError(ctx, filename, message)
}

func (s *Store) ClearImportError(ctx context.Context, filename string) error {
	if s.ClearImportErrorFunc != nil {
		return s.ClearImportErrorFunc(ctx, filename)
	}
	return s.base("ClearImportError").ClearImportError(ctx, filename)
}

func (s *Store) ListImportErrors(ctx context.Context) ([]scheduler.ImportError, error) {
	if s.ListImportErrorsFunc != nil {
		return s.ListImportErrorsFunc(ctx)
	}
	return s.base("ListImportErrors").ListImportErrors(ctx)
}

func (s *Store) CreateDagRun(ctx context.Context, run scheduler.DagRun, tis []scheduler.TaskInstance) (scheduler.DagRun, error) {
	if s.CreateDagRunFunc != nil {
		return s.CreateDagRunFunc(ctx, run, tis)
	}
	return s.base("CreateDagRun").CreateDagRun(ctx, run, tis)
}

func (s *Store) GetDagRun(ctx context.Context, dagID, runID string) (scheduler.DagRun, error) {
	if s.GetDagRunFunc != nil {
		return s.GetDagRunFunc(ctx, dagID, runID)
	}
	return s.base("GetDagRun").GetDagRun(ctx, dagID, runID)
}

func (s *Store) ListDagRuns(ctx context.Context, dagID string, state tasks.DagRunState, limit int) ([]scheduler.DagRun, error) {
	if s.ListDagRunsFunc != nil {
		return s.ListDagRunsFunc(ctx, dagID, state, limit)
	}
	return s.base("ListDagRuns").ListDagRuns(ctx, dagID, state, limit)
}

func (s *Store) PreviousDagRun(ctx context.Context, dagID string, logicalDate time.Time) (scheduler.DagRun, error) {
	if s.PreviousDagRunFunc != nil {
		return s.PreviousDagRunFunc(ctx, dagID, logicalDate)
	}
	return s.base("PreviousDagRun").PreviousDagRun(ctx, dagID, logicalDate)
}

func (s *Store) ListTaskInstances(ctx context.Context, dagID, runID string) ([]scheduler.TaskInstance, error) {
	if s.ListTaskInstancesFunc != nil {
		return s.ListTaskInstancesFunc(ctx, dagID, runID)
	}
	return s.base("ListTaskInstances").ListTaskInstances(ctx, dagID, runID)
}

func (s *Store) Save(ctx context.Context, c scheduler.Changes) error {
	if s.SaveFunc != nil {
		return s.SaveFunc(ctx, c)
	}
	return s.base("Save").Save(ctx, c)
}

func (s *Store) SetNextDagrun(ctx context.Context, d scheduler.Dag) error {
	if s.SetNextDagrunFunc != nil {
		return s.SetNextDagrunFunc(ctx, d)
	}
	return s.base("SetNextDagrun").SetNextDagrun(ctx, d)
}

func (s *Store) GetXCom(ctx context.Context, dagID, runID, taskID, key string) (scheduler.XCom, error) {
	if s.GetXComFunc != nil {
		return s.GetXComFunc(ctx, dagID, runID, taskID, key)
	}
	return s.base("GetXCom").GetXCom(ctx, dagID, runID, taskID, key)
}

func (s *Store) ListXComs(ctx context.Context, dagID, runID, taskID string) ([]scheduler.XCom, error) {
	if s.ListXComsFunc != nil {
		return s.ListXComsFunc(ctx, dagID, runID, taskID)
	}
	return s.base("ListXComs").ListXComs(ctx, dagID, runID, taskID)
}

func (s *Store) GetVariable(ctx context.Context, key string) (scheduler.Variable, error) {
	if s.GetVariableFunc != nil {
		return s.GetVariableFunc(ctx, key)
	}
	return s.base("GetVariable").GetVariable(ctx, key)
}

func (s *Store) GetConnection(ctx context.Context, connID string) (tasks.Connection, error) {
	if s.GetConnectionFunc != nil {
		return s.GetConnectionFunc(ctx, connID)
	}
	return s.base("GetConnection").GetConnection(ctx, connID)
}

func (s *Store) ListPools(ctx context.Context) ([]scheduler.Pool, error) {
	if s.ListPoolsFunc != nil {
		return s.ListPoolsFunc(ctx)
	}
	return s.base("ListPools").ListPools(ctx)
}

func (s *Store) AddAuditEvent(ctx context.Context, e scheduler.AuditEvent) error {
	if s.AddAuditEventFunc != nil {
		return s.AddAuditEventFunc(ctx, e)
	}
	return s.base("AddAuditEvent").AddAuditEvent(ctx, e)
}

func (s *Store) AddCommand(ctx context.Context, c scheduler.Command) (scheduler.Command, error) {
	if s.AddCommandFunc != nil {
		return s.AddCommandFunc(ctx, c)
	}
	return s.base("AddCommand").AddCommand(ctx, c)
}

func (s *Store) PendingCommands(ctx context.Context) ([]scheduler.Command, error) {
	if s.PendingCommandsFunc != nil {
		return s.PendingCommandsFunc(ctx)
	}
	return s.base("PendingCommands").PendingCommands(ctx)
}

func (s *Store) GetCommand(ctx context.Context, id int64) (scheduler.Command, error) {
	if s.GetCommandFunc != nil {
		return s.GetCommandFunc(ctx, id)
	}
	return s.base("GetCommand").GetCommand(ctx, id)
}

func (s *Store) FinishCommand(ctx context.Context, id int64, result string) error {
	if s.FinishCommandFunc != nil {
		return s.FinishCommandFunc(ctx, id, result)
	}
	return s.base("FinishCommand").FinishCommand(ctx, id, result)
}

func (s *Store) StartJob(ctx context.Context, hostname string, now time.Time) (int64, error) {
	if s.StartJobFunc != nil {
		return s.StartJobFunc(ctx, hostname, now)
	}
	return s.jobStore("StartJob").StartJob(ctx, hostname, now)
}

func (s *Store) Heartbeat(ctx context.Context, id int64, now time.Time) error {
	if s.HeartbeatFunc != nil {
		return s.HeartbeatFunc(ctx, id, now)
	}
	return s.jobStore("Heartbeat").Heartbeat(ctx, id, now)
}

func (s *Store) ListJobs(ctx context.Context) ([]scheduler.SchedulerJob, error) {
	if s.ListJobsFunc != nil {
		return s.ListJobsFunc(ctx)
	}
	return s.jobStore("ListJobs").ListJobs(ctx)
}

func (s *Store) ClaimRun(ctx context.Context, job int64, dagID, runID string, deadBefore time.Time) (bool, error) {
	if s.ClaimRunFunc != nil {
		return s.ClaimRunFunc(ctx, job, dagID, runID, deadBefore)
	}
	return s.jobStore("ClaimRun").ClaimRun(ctx, job, dagID, runID, deadBefore)
}

func (s *Store) EndJob(ctx context.Context, id int64, now time.Time) error {
	if s.EndJobFunc != nil {
		return s.EndJobFunc(ctx, id, now)
	}
	return s.jobStore("EndJob").EndJob(ctx, id, now)
}

func (s *Store) PendingCallbacks(ctx context.Context) ([]scheduler.CallbackRequest, error) {
	if s.PendingCallbacksFunc != nil {
		return s.PendingCallbacksFunc(ctx)
	}
	return s.callbackStore("PendingCallbacks").PendingCallbacks(ctx)
}

func (s *Store) FinishCallback(ctx context.Context, id int64, at time.Time, hostname, errMsg string) error {
	if s.FinishCallbackFunc != nil {
		return s.FinishCallbackFunc(ctx, id, at, hostname, errMsg)
	}
	return s.callbackStore("FinishCallback").FinishCallback(ctx, id, at, hostname, errMsg)
}

func (s *Store) ClaimCallback(ctx context.Context, id, job int64, deadBefore time.Time) (bool, error) {
	if s.ClaimCallbackFunc != nil {
		return s.ClaimCallbackFunc(ctx, id, job, deadBefore)
	}
	return s.callbackStore("ClaimCallback").ClaimCallback(ctx, id, job, deadBefore)
}

func (s *Store) ListCallbacks(ctx context.Context, dagID, runID string) ([]scheduler.CallbackRequest, error) {
	if s.ListCallbacksFunc != nil {
		return s.ListCallbacksFunc(ctx, dagID, runID)
	}
	return s.callbackStore("ListCallbacks").ListCallbacks(ctx, dagID, runID)
}

func (s *Store) ListSLAMisses(ctx context.Context, dagID string, limit, offset int) ([]scheduler.SLAMiss, int64, error) {
	if s.ListSLAMissesFunc != nil {
		return s.ListSLAMissesFunc(ctx, dagID, limit, offset)
	}
	return s.callbackStore("ListSLAMisses").ListSLAMisses(ctx, dagID, limit, offset)
}

func (s *Store) QueuedDatasets(ctx context.Context) (map[string]map[string]time.Time, error) {
	if s.QueuedDatasetsFunc != nil {
		return s.QueuedDatasetsFunc(ctx)
	}
	return s.datasetStore("QueuedDatasets").QueuedDatasets(ctx)
}

func (s *Store) CreateDatasetRun(ctx context.Context, dagID string, uris []string, build func(events []scheduler.DatasetEvent, after time.Time) (scheduler.DagRun, []scheduler.TaskInstance)) (scheduler.DagRun, error) {
	if s.CreateDatasetRunFunc != nil {
		return s.CreateDatasetRunFunc(ctx, dagID, uris, build)
	}
	return s.datasetStore("CreateDatasetRun").CreateDatasetRun(ctx, dagID, uris, build)
}

func (s *Store) ConsumedDatasetEvents(ctx context.Context, dagID, runID string) ([]scheduler.DatasetEvent, error) {
	if s.ConsumedDatasetEventsFunc != nil {
		return s.ConsumedDatasetEventsFunc(ctx, dagID, runID)
	}
	return s.datasetStore("ConsumedDatasetEvents").ConsumedDatasetEvents(ctx, dagID, runID)
}
