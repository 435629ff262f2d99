package metastore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// tiBatch is how many task instances one INSERT carries. Small on purpose: the driver binds
// each parameter by scanning the argument list, so one statement costs O(parameters²).
// Measured for 10,000 rows: 500 per batch 1.4 s, 100 0.42 s, 50 0.31 s, 25 0.30 s.
const tiBatch = 50

// CreateDagRun inserts a run and its task instances in one transaction and returns the run
// with its ID. Defaults: State queued, RunType manual, Conf {}; for each task instance State
// none, Pool default_pool, PoolSlots 1, Queue default, and the run's DagID and RunID. The DAG
// must exist (else ErrNotFound); a run_id already used by the DAG is an error.
func (s *Store) CreateDagRun(ctx context.Context, run scheduler.DagRun, tis []scheduler.TaskInstance) (scheduler.DagRun, error) {
	rm, tms, err := newRunModels(run, tis)
	if err != nil {
		return scheduler.DagRun{}, err
	}
	var inserting string // what the failed statement inserted, for the error
	err = s.write(ctx, func(tx *gorm.DB) error {
		inserting, err = insertRun(tx, &rm, tms)
		return err
	})
	if err != nil {
		return scheduler.DagRun{}, createRunError(rm, inserting, err)
	}
	return dagRunFromModel(rm)
}

// newRunModels applies CreateDagRun's defaults and checks to a run and its task instances.
func newRunModels(run scheduler.DagRun, tis []scheduler.TaskInstance) (dagRunModel, []taskInstanceModel, error) {
	if run.DagID == "" || run.RunID == "" {
		return dagRunModel{}, nil, fmt.Errorf("create dag run %q of dag %q: dag_id and run_id are required", run.RunID, run.DagID)
	}
	if run.State == "" {
		run.State = tasks.RunQueued
	}
	if !run.State.Valid() {
		return dagRunModel{}, nil, fmt.Errorf("create dag run %s of dag %s: invalid state %q", run.RunID, run.DagID, run.State)
	}
	if run.RunType == "" {
		run.RunType = "manual"
	}
	rm, err := dagRunToModel(run)
	if err != nil {
		return dagRunModel{}, nil, fmt.Errorf("create dag run %s of dag %s: %w", run.RunID, run.DagID, err)
	}
	tms := make([]taskInstanceModel, len(tis))
	for i, ti := range tis {
		if (ti.DagID != "" && ti.DagID != run.DagID) || (ti.RunID != "" && ti.RunID != run.RunID) {
			return dagRunModel{}, nil, fmt.Errorf("create dag run %s of dag %s: task instance %s belongs to run %s of dag %s",
				run.RunID, run.DagID, ti.TaskID, ti.RunID, ti.DagID)
		}
		ti.DagID, ti.RunID = run.DagID, run.RunID
		if ti.TaskID == "" {
			return dagRunModel{}, nil, fmt.Errorf("create dag run %s of dag %s: task instance %d has no task_id", run.RunID, run.DagID, i)
		}
		// A run starts with one task instance per task, a mapped one's too: its instances
		// per element are made when it expands.
		ti.MapIndex = -1
		if ti.State == "" {
			ti.State = tasks.StateNone
		}
		if !ti.State.Valid() {
			return dagRunModel{}, nil, fmt.Errorf("create dag run %s of dag %s: task %s: invalid state %q", run.RunID, run.DagID, ti.TaskID, ti.State)
		}
		if ti.Pool == "" {
			ti.Pool = scheduler.DefaultPool
		}
		if ti.PoolSlots == 0 {
			ti.PoolSlots = 1
		}
		if ti.Queue == "" {
			ti.Queue = "default"
		}
		tms[i] = taskInstanceToModel(ti)
	}
	return rm, tms, nil
}

// insertRun inserts a run and its task instances in tx; it says what it was inserting when it
// failed.
func insertRun(tx *gorm.DB, rm *dagRunModel, tms []taskInstanceModel) (string, error) {
	if err := tx.Create(rm).Error; err != nil {
		return "run", err
	}
	if len(tms) == 0 {
		return "", nil
	}
	for i := range tms {
		tms[i].DagID, tms[i].RunID = rm.DagID, rm.RunID
	}
	return "task instances", tx.CreateInBatches(tms, tiBatch).Error
}

// createRunError says why inserting a run failed.
func createRunError(rm dagRunModel, inserting string, err error) error {
	switch {
	case errors.Is(err, gorm.ErrForeignKeyViolated):
		return fmt.Errorf("create dag run %s: %w", rm.RunID, notFound("dag %q", rm.DagID))
	case errors.Is(err, gorm.ErrDuplicatedKey) && inserting == "run":
		return fmt.Errorf("create dag run %s of dag %s: the run %w", rm.RunID, rm.DagID, scheduler.ErrExists)
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return fmt.Errorf("create dag run %s of dag %s: two task instances have the same task_id", rm.RunID, rm.DagID)
	}
	return fmt.Errorf("create dag run %s of dag %s: %w", rm.RunID, rm.DagID, err)
}

// GetDagRun returns one run.
func (s *Store) GetDagRun(ctx context.Context, dagID, runID string) (scheduler.DagRun, error) {
	var m dagRunModel
	err := s.rdb.WithContext(ctx).Where("dag_id = ? AND run_id = ?", dagID, runID).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return scheduler.DagRun{}, notFound("dag run %q of dag %q", runID, dagID)
	}
	if err != nil {
		return scheduler.DagRun{}, fmt.Errorf("get dag run %s of dag %s: %w", runID, dagID, err)
	}
	return dagRunFromModel(m)
}

// PreviousDagRun returns the run of a DAG with the latest logical date before logicalDate, of
// any type and state (Airflow's DagRun.get_previous_dagrun) but the runs of `dags test`, which
// are no part of its schedule's history, without its conf; ErrNotFound when there is none.
// One lookup through the (dag_id, logical_date) index.
func (s *Store) PreviousDagRun(ctx context.Context, dagID string, logicalDate time.Time) (scheduler.DagRun, error) {
	var m dagRunModel
	err := s.rdb.WithContext(ctx).Select(dagRunColumnsWithoutConf).
		Where("dag_id = ? AND logical_date < ? AND run_type <> ?", dagID, logicalDate.UTC(), "test").
		Order("logical_date DESC, id DESC").Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return scheduler.DagRun{}, notFound("dag run of dag %q before %s", dagID, logicalDate.UTC().Format(time.RFC3339))
	}
	if err != nil {
		return scheduler.DagRun{}, fmt.Errorf("previous dag run of dag %s before %s: %w", dagID, logicalDate.UTC().Format(time.RFC3339), err)
	}
	return dagRunFromModel(m)
}

// DagRunsAfter returns the runs created after the run with id afterID, oldest first, at most
// limit of them, and the highest run id there is (afterID when there is none newer). Run
// ids only grow, so a reader that passes the last id it got back sees each new run once,
// whatever its state by then, through the primary key.
func (s *Store) DagRunsAfter(ctx context.Context, afterID int64, limit int) ([]scheduler.DagRun, int64, error) {
	var ms []dagRunModel
	q := s.rdb.WithContext(ctx).Where("id > ?", afterID).Order("id")
	if limit > 0 {
		q = q.Limit(limit)
	}
	if err := q.Find(&ms).Error; err != nil {
		return nil, afterID, fmt.Errorf("list dag runs after id %d: %w", afterID, err)
	}
	out := make([]scheduler.DagRun, 0, len(ms))
	for _, m := range ms {
		r, err := dagRunFromModel(m)
		if err != nil {
			return nil, afterID, err
		}
		out = append(out, r)
		afterID = r.ID
	}
	return out, afterID, nil
}

// LastDagRunID is the highest run id there is (0 without runs).
func (s *Store) LastDagRunID(ctx context.Context) (int64, error) {
	var id *int64
	if err := s.rdb.WithContext(ctx).Model(&dagRunModel{}).Select("MAX(id)").Scan(&id).Error; err != nil {
		return 0, fmt.Errorf("last dag run id: %w", err)
	}
	if id == nil {
		return 0, nil
	}
	return *id, nil
}

// ListDagRuns returns the runs of a DAG ("" = every DAG) in a state ("" = any), newest
// logical date first, at most limit of them (limit <= 0 = all).
func (s *Store) ListDagRuns(ctx context.Context, dagID string, state tasks.DagRunState, limit int) ([]scheduler.DagRun, error) {
	q := s.rdb.WithContext(ctx).Model(&dagRunModel{})
	if dagID != "" {
		q = q.Where("dag_id = ?", dagID)
	}
	if state != "" {
		q = q.Where("state = ?", string(state))
	}
	if limit > 0 {
		q = q.Limit(limit)
	}
	var ms []dagRunModel
	if err := q.Order("logical_date DESC, id DESC").Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("list dag runs of dag %q: %w", dagID, err)
	}
	out := make([]scheduler.DagRun, 0, len(ms))
	for _, m := range ms {
		r, err := dagRunFromModel(m)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// RunQuery selects a page of one DAG's runs.
type RunQuery struct {
	DagID string
	// DagIDs, with DagID "", selects the runs of these DAGs; with neither, of every DAG.
	DagIDs   []string
	States   []tasks.DagRunState // any of these; none: every state
	From, To time.Time           // logical dates in [From, To]; zero: unbounded
	// StartFrom..StartTo and EndFrom..EndTo bound start_date and end_date the same way; a
	// bound excludes the runs without that date (not started, not ended).
	StartFrom, StartTo time.Time
	EndFrom, EndTo     time.Time
	// OrderBy is a key of RunOrderColumns ("" = logical_date); Oldest sorts it ascending
	// (oldest first for dates), else descending. The run's id breaks ties the same way.
	OrderBy string
	Oldest  bool
	Limit   int // at most this many (<= 0: all that match)
	Offset  int // skip this many first
	// WithConf reads each run's conf too, as the JSON stored (ConfJSON; Conf stays nil). Without
	// it both are nil: a conf can be as large as core.max_conf_size, so a list that does not
	// show it must not read it, and one that shows it hands the bytes on without decoding them.
	WithConf bool
}

// dagRunColumnsWithoutConf is every dag_run column but conf.
const dagRunColumnsWithoutConf = "id, dag_id, run_id, run_type, state, logical_date, data_interval_start, data_interval_end, " +
	"queued_at, start_date, end_date, external_trigger, created_at, updated_at, owner_job_id"

// RunOrderColumns are the orders PageDagRuns takes, by Airflow's names of a DAG run's fields
// (execution_date is logical_date's older name, dag_run_id the run_id).
var RunOrderColumns = map[string]string{
	"logical_date": "logical_date", "execution_date": "logical_date", "start_date": "start_date", "end_date": "end_date",
	"dag_run_id": "run_id", "run_id": "run_id", "state": "state", "run_type": "run_type", "queued_at": "queued_at",
	"data_interval_start": "data_interval_start", "data_interval_end": "data_interval_end", "external_trigger": "external_trigger",
	"id": "id",
}

// between narrows q to rows whose column is in [from, to] (zero bounds: unbounded).
func between(q *gorm.DB, column string, from, to time.Time) *gorm.DB {
	if !from.IsZero() {
		q = q.Where(column+" >= ?", utc(from))
	}
	if !to.IsZero() {
		q = q.Where(column+" <= ?", utc(to))
	}
	return q
}

// PageDagRuns returns the page of runs q selects and how many runs match q in all. Both are
// SQL through the (dag_id, logical_date) index, with LIMIT and OFFSET: a page costs the same
// however many runs the DAG has.
func (s *Store) PageDagRuns(ctx context.Context, q RunQuery) ([]scheduler.DagRun, int, error) {
	where := s.rdb.WithContext(ctx).Model(&dagRunModel{})
	switch {
	case q.DagID != "":
		where = where.Where("dag_id = ?", q.DagID)
	case len(q.DagIDs) > 0:
		where = where.Where("dag_id IN ?", q.DagIDs)
	}
	if len(q.States) > 0 {
		names := make([]string, len(q.States))
		for i, st := range q.States {
			names[i] = string(st)
		}
		where = where.Where("state IN ?", names)
	}
	where = between(where, "logical_date", q.From, q.To)
	where = between(where, "start_date", q.StartFrom, q.StartTo)
	where = between(where, "end_date", q.EndFrom, q.EndTo)
	col := "logical_date"
	if q.OrderBy != "" {
		var ok bool
		if col, ok = RunOrderColumns[q.OrderBy]; !ok {
			return nil, 0, fmt.Errorf("list dag runs of dag %q: no order %q", q.DagID, q.OrderBy)
		}
	}
	var total int64
	if err := where.Session(&gorm.Session{}).Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count dag runs of dag %q: %w", q.DagID, err)
	}
	page := where.Session(&gorm.Session{}).Order(col + " DESC, id DESC")
	if q.Oldest {
		page = where.Session(&gorm.Session{}).Order(col + ", id")
	}
	if !q.WithConf {
		page = page.Select(dagRunColumnsWithoutConf)
	}
	if q.Limit > 0 {
		page = page.Limit(q.Limit)
	}
	if q.Offset > 0 {
		page = page.Offset(q.Offset)
	}
	var ms []dagRunModel
	if err := page.Find(&ms).Error; err != nil {
		return nil, 0, fmt.Errorf("list dag runs of dag %q: %w", q.DagID, err)
	}
	out, err := dagRunsFromModels(ms, q.WithConf)
	return out, int(total), err
}

// DagRunAt returns a DAG's run at a logical date, found through the (dag_id, logical_date)
// index; several (from before run ids were checked) give the newest.
func (s *Store) DagRunAt(ctx context.Context, dagID string, at time.Time) (scheduler.DagRun, error) {
	var ms []dagRunModel
	err := s.rdb.WithContext(ctx).Where("dag_id = ? AND logical_date = ?", dagID, utc(at)).Order("id DESC").Limit(1).Find(&ms).Error
	if err != nil {
		return scheduler.DagRun{}, fmt.Errorf("find the run of dag %s at %s: %w", dagID, at.Format(time.RFC3339), err)
	}
	if len(ms) == 0 {
		return scheduler.DagRun{}, notFound("dag run at %s of dag %q", at.Format(time.RFC3339), dagID)
	}
	return dagRunFromModel(ms[0])
}

// dagRunsFromModels converts rows of a page; their conf is not decoded: each run's Conf is
// nil, and with conf its ConfJSON holds the conf as stored.
func dagRunsFromModels(ms []dagRunModel, withConf bool) ([]scheduler.DagRun, error) {
	out := make([]scheduler.DagRun, 0, len(ms))
	for _, m := range ms {
		conf := m.Conf
		m.Conf = ""
		r, err := dagRunFromModel(m)
		if err != nil {
			return nil, err
		}
		r.Conf = nil
		if withConf {
			r.ConfJSON = []byte(cmp.Or(conf, "{}"))
		}
		out = append(out, r)
	}
	return out, nil
}

// DeleteDagRun deletes a run; its task instances, tries, reschedules and XComs go with it
// (ON DELETE CASCADE). A missing run is ErrNotFound.
func (s *Store) DeleteDagRun(ctx context.Context, dagID, runID string) error {
	res := s.db.WithContext(ctx).Where("dag_id = ? AND run_id = ?", dagID, runID).Delete(&dagRunModel{})
	if res.Error != nil {
		return fmt.Errorf("delete dag run %s of dag %s: %w", runID, dagID, res.Error)
	}
	if res.RowsAffected == 0 {
		return notFound("dag run %q of dag %q", runID, dagID)
	}
	return nil
}

// ListTaskInstances returns the task instances of one run in the order they were created.
// A run without task instances, or no such run, gives an empty list.
func (s *Store) ListTaskInstances(ctx context.Context, dagID, runID string) ([]scheduler.TaskInstance, error) {
	var ms []taskInstanceModel
	err := s.rdb.WithContext(ctx).Where("dag_id = ? AND run_id = ?", dagID, runID).Order("id").Find(&ms).Error
	if err != nil {
		return nil, fmt.Errorf("list task instances of run %s of dag %s: %w", runID, dagID, err)
	}
	out := make([]scheduler.TaskInstance, len(ms))
	for i, m := range ms {
		out[i] = taskInstanceFromModel(m)
	}
	return out, nil
}

// TIQuery narrows ListTaskInstancesWhere: each field left zero selects every task instance.
type TIQuery struct {
	States             []tasks.TaskInstanceState // any of these
	Pools, Queues      []string                  // any of these
	StartFrom, StartTo time.Time                 // start_date in [StartFrom, StartTo]
	EndFrom, EndTo     time.Time                 // end_date in [EndFrom, EndTo]
	MinDuration        *float64                  // duration in seconds at least this
	MaxDuration        *float64                  // and at most this
}

// ListTaskInstancesWhere returns the task instances of one run that q selects, in the order
// they were created; the filter is SQL.
func (s *Store) ListTaskInstancesWhere(ctx context.Context, dagID, runID string, q TIQuery) ([]scheduler.TaskInstance, error) {
	where := tiFilter(s.rdb.WithContext(ctx).Where("dag_id = ? AND run_id = ?", dagID, runID), q)
	var ms []taskInstanceModel
	if err := where.Order("id").Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("list task instances of run %s of dag %s: %w", runID, dagID, err)
	}
	out := make([]scheduler.TaskInstance, len(ms))
	for i, m := range ms {
		out[i] = taskInstanceFromModel(m)
	}
	return out, nil
}

// tiFilter narrows a task-instance query to what q selects.
func tiFilter(where *gorm.DB, q TIQuery) *gorm.DB {
	if len(q.States) > 0 {
		names := make([]string, len(q.States))
		for i, st := range q.States {
			names[i] = string(st)
		}
		where = where.Where("state IN ?", names)
	}
	if len(q.Pools) > 0 {
		where = where.Where("pool IN ?", q.Pools)
	}
	if len(q.Queues) > 0 {
		where = where.Where("queue IN ?", q.Queues)
	}
	where = between(where, "start_date", q.StartFrom, q.StartTo)
	where = between(where, "end_date", q.EndFrom, q.EndTo)
	if q.MinDuration != nil {
		where = where.Where("duration >= ?", *q.MinDuration)
	}
	if q.MaxDuration != nil {
		where = where.Where("duration <= ?", *q.MaxDuration)
	}
	return where
}

// AddTaskTry records one finished try of a task instance (task_instance_history) and returns
// it with its ID. The task instance must exist (else ErrNotFound); recording the same try
// twice is an error.
func (s *Store) AddTaskTry(ctx context.Context, t scheduler.TaskTry) (scheduler.TaskTry, error) {
	m := taskTryModel{
		DagID: t.DagID, RunID: t.RunID, TaskID: t.TaskID, MapIndex: t.MapIndex, TryNumber: t.TryNumber, State: string(t.State),
		StartDate: utcPtr(t.StartDate), EndDate: utcPtr(t.EndDate), Duration: t.Duration,
		Hostname: t.Hostname, ExitCode: t.ExitCode, Reason: t.Reason, ModuleSHA256: t.ModuleSHA256,
	}
	err := s.db.WithContext(ctx).Create(&m).Error
	switch {
	case errors.Is(err, gorm.ErrForeignKeyViolated):
		return scheduler.TaskTry{}, fmt.Errorf("add try %d: %w", t.TryNumber,
			notFound("task instance %s of run %s of dag %s", t.TaskID, t.RunID, t.DagID))
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return scheduler.TaskTry{}, fmt.Errorf("add try %d of task %s of run %s of dag %s: the try is already recorded",
			t.TryNumber, t.TaskID, t.RunID, t.DagID)
	case err != nil:
		return scheduler.TaskTry{}, fmt.Errorf("add try %d of task %s of run %s of dag %s: %w", t.TryNumber, t.TaskID, t.RunID, t.DagID, err)
	}
	return taskTryFromModel(m), nil
}

// ListTaskTries returns the finished tries of a task instance, oldest first.
func (s *Store) ListTaskTries(ctx context.Context, dagID, runID, taskID string) ([]scheduler.TaskTry, error) {
	var ms []taskTryModel
	err := s.rdb.WithContext(ctx).Where("dag_id = ? AND run_id = ? AND task_id = ?", dagID, runID, taskID).
		Order("try_number").Find(&ms).Error
	if err != nil {
		return nil, fmt.Errorf("list tries of task %s of run %s of dag %s: %w", taskID, runID, dagID, err)
	}
	calls, err := s.listCalls(ctx, dagID, runID, taskID)
	if err != nil {
		return nil, err
	}
	out := make([]scheduler.TaskTry, len(ms))
	for i, m := range ms {
		out[i] = taskTryFromModel(m)
		out[i].Calls = calls[m.TryNumber]
	}
	return out, nil
}

// dagRunToModel builds the row of a new run; the ID is the database's to choose.
func dagRunToModel(r scheduler.DagRun) (dagRunModel, error) {
	conf := r.Conf
	if conf == nil {
		conf = map[string]any{}
	}
	b, err := json.Marshal(conf)
	if err != nil {
		return dagRunModel{}, fmt.Errorf("encode conf: %w", err)
	}
	now := now()
	return dagRunModel{
		DagID: r.DagID, RunID: r.RunID, RunType: r.RunType, State: string(r.State),
		LogicalDate: utc(r.LogicalDate), DataIntervalStart: utc(r.DataIntervalStart),
		DataIntervalEnd: utc(r.DataIntervalEnd), QueuedAt: utcPtr(r.QueuedAt),
		StartDate: utcPtr(r.StartDate), EndDate: utcPtr(r.EndDate), Conf: string(b),
		ExternalTrigger: r.ExternalTrigger, CreatedAt: now, UpdatedAt: now, OwnerJobID: ownerPtr(r.OwnerJobID),
	}, nil
}

func dagRunFromModel(m dagRunModel) (scheduler.DagRun, error) {
	conf := map[string]any{}
	if m.Conf != "" {
		if err := json.Unmarshal([]byte(m.Conf), &conf); err != nil {
			return scheduler.DagRun{}, fmt.Errorf("decode conf of dag run %s of dag %s: %w", m.RunID, m.DagID, err)
		}
	}
	return scheduler.DagRun{
		ID: m.ID, DagID: m.DagID, RunID: m.RunID, RunType: m.RunType, State: tasks.DagRunState(m.State),
		LogicalDate: m.LogicalDate, DataIntervalStart: m.DataIntervalStart, DataIntervalEnd: m.DataIntervalEnd,
		QueuedAt: m.QueuedAt, StartDate: m.StartDate, EndDate: m.EndDate, Conf: conf,
		ExternalTrigger: m.ExternalTrigger, OwnerJobID: ownerOf(m.OwnerJobID),
	}, nil
}

// taskInstanceToModel builds the row of a new task instance; the ID is the database's to choose.
func taskInstanceToModel(ti scheduler.TaskInstance) taskInstanceModel {
	return taskInstanceModel{
		DagID: ti.DagID, RunID: ti.RunID, TaskID: ti.TaskID, MapIndex: ti.MapIndex, State: string(ti.State),
		TryNumber: ti.TryNumber, MaxTries: ti.MaxTries, StartDate: utcPtr(ti.StartDate),
		EndDate: utcPtr(ti.EndDate), Duration: ti.Duration, Hostname: ti.Hostname, ExitCode: ti.ExitCode,
		Reason: ti.Reason, Pool: ti.Pool, PoolSlots: ti.PoolSlots, Queue: ti.Queue,
		PriorityWeight: ti.PriorityWeight, ModuleSHA256: ti.ModuleSHA256, QueuedAt: utcPtr(ti.QueuedAt),
		NextRetryAt: utcPtr(ti.NextRetryAt), FirstPokeAt: utcPtr(ti.FirstPokeAt),
	}
}

func taskInstanceFromModel(m taskInstanceModel) scheduler.TaskInstance {
	return scheduler.TaskInstance{
		ID: m.ID, DagID: m.DagID, RunID: m.RunID, TaskID: m.TaskID, MapIndex: m.MapIndex, State: tasks.TaskInstanceState(m.State),
		TryNumber: m.TryNumber, MaxTries: m.MaxTries, StartDate: m.StartDate, EndDate: m.EndDate,
		Duration: m.Duration, Hostname: m.Hostname, ExitCode: m.ExitCode, Reason: m.Reason, Pool: m.Pool,
		PoolSlots: m.PoolSlots, Queue: m.Queue, PriorityWeight: m.PriorityWeight,
		ModuleSHA256: m.ModuleSHA256, QueuedAt: m.QueuedAt, NextRetryAt: m.NextRetryAt,
		FirstPokeAt: m.FirstPokeAt,
	}
}

func taskTryFromModel(m taskTryModel) scheduler.TaskTry {
	return scheduler.TaskTry{
		ID: m.ID, DagID: m.DagID, RunID: m.RunID, TaskID: m.TaskID, MapIndex: m.MapIndex, TryNumber: m.TryNumber,
		State: tasks.TaskInstanceState(m.State), StartDate: m.StartDate, EndDate: m.EndDate,
		Duration: m.Duration, Hostname: m.Hostname, ExitCode: m.ExitCode, Reason: m.Reason,
		ModuleSHA256: m.ModuleSHA256,
	}
}

// ownerPtr is the owner_job_id of a run owned by job (0: none, NULL).
func ownerPtr(job int64) *int64 {
	if job == 0 {
		return nil
	}
	return &job
}

func ownerOf(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
