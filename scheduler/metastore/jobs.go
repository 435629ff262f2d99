package metastore

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wasmflow/wasmflow/scheduler"
)

var _ scheduler.JobStore = (*Store)(nil)

type schedulerJobModel struct {
	ID              int64      `gorm:"column:id;primaryKey"`
	Hostname        string     `gorm:"column:hostname"`
	State           string     `gorm:"column:state"`
	StartDate       time.Time  `gorm:"column:start_date"`
	LatestHeartbeat time.Time  `gorm:"column:latest_heartbeat"`
	EndDate         *time.Time `gorm:"column:end_date"`
}

func (schedulerJobModel) TableName() string { return "scheduler_job" }

// StartJob records a scheduler process starting (scheduler.JobStore).
func (s *Store) StartJob(ctx context.Context, hostname string, now time.Time) (int64, error) {
	m := schedulerJobModel{Hostname: hostname, State: scheduler.JobRunning, StartDate: utc(now), LatestHeartbeat: utc(now)}
	if err := s.db.WithContext(ctx).Create(&m).Error; err != nil {
		return 0, fmt.Errorf("record scheduler job: %w", err)
	}
	return m.ID, nil
}

// Heartbeat records that a job lives (scheduler.JobStore). A job marked ended is not revived.
func (s *Store) Heartbeat(ctx context.Context, id int64, now time.Time) error {
	res := s.db.WithContext(ctx).Exec("UPDATE scheduler_job SET latest_heartbeat = ? WHERE id = ? AND state = ?", utc(now), id, scheduler.JobRunning)
	if res.Error != nil {
		return fmt.Errorf("heartbeat of scheduler job %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("heartbeat of scheduler job %d: %w (or it ended)", id, notFound("scheduler job %d", id))
	}
	return nil
}

// ListJobs returns every scheduler job, newest first (scheduler.JobStore).
func (s *Store) ListJobs(ctx context.Context) ([]scheduler.SchedulerJob, error) {
	var ms []schedulerJobModel
	if err := s.rdb.WithContext(ctx).Order("id DESC").Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("list scheduler jobs: %w", err)
	}
	out := make([]scheduler.SchedulerJob, len(ms))
	for i, m := range ms {
		out[i] = scheduler.SchedulerJob{ID: m.ID, Hostname: m.Hostname, State: m.State, StartDate: m.StartDate,
			LatestHeartbeat: m.LatestHeartbeat, EndDate: m.EndDate}
	}
	return out, nil
}

// ClaimRun takes a run over for job when nobody live owns it (scheduler.JobStore). It is one
// conditional UPDATE, whose WHERE the database evaluates under the row's write lock on SQLite
// and PostgreSQL alike: of two schedulers claiming the same run, one sees RowsAffected 1.
func (s *Store) ClaimRun(ctx context.Context, job int64, dagID, runID string, deadBefore time.Time) (bool, error) {
	res := s.db.WithContext(ctx).Exec(`UPDATE dag_run SET owner_job_id = ? WHERE dag_id = ? AND run_id = ?
		AND (owner_job_id IS NULL OR owner_job_id = ? OR owner_job_id IN
			(SELECT id FROM scheduler_job WHERE state <> ? OR latest_heartbeat < ?))`,
		job, dagID, runID, job, scheduler.JobRunning, utc(deadBefore))
	if res.Error != nil {
		return false, fmt.Errorf("claim run %s of dag %s for scheduler job %d: %w", runID, dagID, job, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// EndJob marks a job ended and releases its runs (scheduler.JobStore).
func (s *Store) EndJob(ctx context.Context, id int64, now time.Time) error {
	err := s.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Exec("UPDATE scheduler_job SET state = ?, end_date = ? WHERE id = ?", scheduler.JobEnded, utc(now), id).Error; err != nil {
			return err
		}
		return tx.Exec("UPDATE dag_run SET owner_job_id = NULL WHERE owner_job_id = ?", id).Error
	})
	if err != nil {
		return fmt.Errorf("end scheduler job %d: %w", id, err)
	}
	return nil
}

// ownerCheckBatch is how many runs one ownership query names.
const ownerCheckBatch = 100

// checkOwner fails with a *scheduler.NotOwnerError when job does not own every run c touches.
// It runs first in Save's transaction: on SQLite that transaction holds the write lock from
// its start, on PostgreSQL the rows are locked (FOR UPDATE), so no claim can come between the
// check and the writes.
func checkOwner(tx *gorm.DB, job int64, c scheduler.Changes) error {
	touched := touchedRuns(c)
	var lost []scheduler.TIKey
	for i := 0; i < len(touched); i += ownerCheckBatch {
		batch := touched[i:min(i+ownerCheckBatch, len(touched))]
		pairs := make([][]any, len(batch))
		for j, k := range batch {
			pairs[j] = []any{k.DagID, k.RunID}
		}
		var rows []struct {
			DagID      string
			RunID      string
			OwnerJobID *int64
		}
		q := tx.Model(&dagRunModel{}).Select("dag_id, run_id, owner_job_id").Where("(dag_id, run_id) IN ?", pairs)
		if tx.Dialector.Name() == "postgres" {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		if err := q.Find(&rows).Error; err != nil {
			return fmt.Errorf("check the owner of %d runs: %w", len(batch), err)
		}
		for _, r := range rows {
			if r.OwnerJobID == nil || *r.OwnerJobID != job {
				lost = append(lost, scheduler.TIKey{DagID: r.DagID, RunID: r.RunID})
			}
		}
	}
	if len(lost) > 0 {
		return &scheduler.NotOwnerError{Job: job, Runs: lost}
	}
	return nil
}

// touchedRuns lists the runs, once each, whose rows c writes.
func touchedRuns(c scheduler.Changes) []scheduler.TIKey {
	seen := map[scheduler.TIKey]bool{}
	var out []scheduler.TIKey
	add := func(dagID, runID string) {
		k := scheduler.TIKey{DagID: dagID, RunID: runID}
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for _, r := range c.Runs {
		add(r.DagID, r.RunID)
	}
	for _, ti := range c.TaskInstances {
		add(ti.DagID, ti.RunID)
	}
	for _, ti := range c.Expanded {
		add(ti.DagID, ti.RunID)
	}
	for _, t := range c.Tries {
		add(t.DagID, t.RunID)
	}
	for _, k := range c.ClearXComs {
		add(k.DagID, k.RunID)
	}
	for _, x := range c.XComs {
		add(x.DagID, x.RunID)
	}
	for _, t := range c.Calls {
		add(t.Key.DagID, t.Key.RunID)
	}
	for _, r := range c.Callbacks {
		add(r.DagID, r.RunID)
	}
	for _, m := range c.SLAMisses {
		add(m.DagID, m.RunID)
	}
	return out
}

// writeOwned is write for the changes of a scheduler job to the runs it owns (Save with
// Changes.Owner): on PostgreSQL it takes no metastore-wide write lock, as checkOwner locks the
// rows of those runs, which every write to them takes first (their owner's Saves, a claim), so
// the Saves of several schedulers, each to its own runs, commit side by side. On SQLite it is
// write: the file has one writer at a time anyway.
func (s *Store) writeOwned(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if s.dialect != PostgreSQL {
		return s.write(ctx, fn)
	}
	return s.db.WithContext(ctx).Transaction(fn)
}
