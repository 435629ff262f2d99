package metastore

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/wasmflow/wasmflow/scheduler"
)

// writeCallbacks inserts a step's callback requests and SLA misses. An event already recorded
// (the same key) keeps its first row: an event raises one request, whoever raised it again.
func writeCallbacks(tx *gorm.DB, c scheduler.Changes) error {
	var job *int64
	if c.Owner != 0 {
		job = &c.Owner
	}
	for _, r := range c.Callbacks {
		err := tx.Exec(`INSERT INTO callback_request (dag_id, run_id, task_id, map_index, event, try_number, state, reason, created_at, job_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			r.DagID, r.RunID, r.TaskID, r.MapIndex, r.Event, r.TryNumber, r.State, r.Reason, r.CreatedAt.UTC(), job).Error
		if err != nil {
			return fmt.Errorf("record the %s request of %s/%s/%s: %w", r.Event, r.DagID, r.RunID, r.TaskID, err)
		}
	}
	for _, m := range c.SLAMisses {
		err := tx.Exec(`INSERT INTO sla_miss (dag_id, run_id, task_id, logical_date, sla_seconds, timestamp, description)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			m.DagID, m.RunID, m.TaskID, m.LogicalDate.UTC(), m.SLA.Seconds(), m.Timestamp.UTC(), m.Description).Error
		if err != nil {
			return fmt.Errorf("record the SLA miss of %s/%s/%s: %w", m.DagID, m.RunID, m.TaskID, err)
		}
	}
	return nil
}

// PendingCallbacks returns every callback request not marked done, oldest first.
func (s *Store) PendingCallbacks(ctx context.Context) ([]scheduler.CallbackRequest, error) {
	var ms []callbackRequestModel
	if err := s.rdb.WithContext(ctx).Where("done_at IS NULL").Order("id").Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("read pending callbacks: %w", err)
	}
	return callbacksFromModels(ms), nil
}

// FinishCallback marks a callback request done.
func (s *Store) FinishCallback(ctx context.Context, id int64, at time.Time, hostname, errMsg string) error {
	return s.write(ctx, func(tx *gorm.DB) error {
		return tx.Model(&callbackRequestModel{}).Where("id = ?", id).
			Updates(map[string]any{"done_at": at.UTC(), "hostname": hostname, "error": errMsg}).Error
	})
}

// ClaimCallback makes job the one to run a pending request: when no job has it, job has it
// already, or its job ended or has not heartbeat since deadBefore (it died with the request
// pending). It reports whether job has it now.
func (s *Store) ClaimCallback(ctx context.Context, id, job int64, deadBefore time.Time) (bool, error) {
	var claimed bool
	err := s.write(ctx, func(tx *gorm.DB) error {
		res := tx.Exec(`UPDATE callback_request SET job_id = ? WHERE id = ? AND done_at IS NULL
			AND (job_id IS NULL OR job_id = ? OR job_id IN (SELECT id FROM scheduler_job WHERE state <> ? OR latest_heartbeat < ?))`,
			job, id, job, scheduler.JobRunning, utc(deadBefore))
		claimed = res.RowsAffected == 1
		return res.Error
	})
	if err != nil {
		return false, fmt.Errorf("claim callback %d for scheduler job %d: %w", id, job, err)
	}
	return claimed, nil
}

// ListCallbacks returns a run's callback requests ("" runID: the DAG's), oldest first.
func (s *Store) ListCallbacks(ctx context.Context, dagID, runID string) ([]scheduler.CallbackRequest, error) {
	q := s.rdb.WithContext(ctx).Where("dag_id = ?", dagID)
	if runID != "" {
		q = q.Where("run_id = ?", runID)
	}
	var ms []callbackRequestModel
	if err := q.Order("id").Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("read the callbacks of %s %s: %w", dagID, runID, err)
	}
	return callbacksFromModels(ms), nil
}

// ListSLAMisses returns SLA misses newest first ("" dagID: every DAG's) and how many there are.
func (s *Store) ListSLAMisses(ctx context.Context, dagID string, limit, offset int) ([]scheduler.SLAMiss, int64, error) {
	q := s.rdb.WithContext(ctx).Model(&slaMissModel{})
	if dagID != "" {
		q = q.Where("dag_id = ?", dagID)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count SLA misses: %w", err)
	}
	var ms []slaMissModel
	q = q.Order("timestamp DESC, id DESC").Offset(offset)
	if limit > 0 {
		q = q.Limit(limit)
	}
	if err := q.Find(&ms).Error; err != nil {
		return nil, 0, fmt.Errorf("read SLA misses: %w", err)
	}
	out := make([]scheduler.SLAMiss, len(ms))
	for i, m := range ms {
		out[i] = scheduler.SLAMiss{DagID: m.DagID, RunID: m.RunID, TaskID: m.TaskID, LogicalDate: m.LogicalDate.UTC(),
			SLA: time.Duration(m.SLASeconds * float64(time.Second)), Timestamp: m.Timestamp.UTC(), Description: m.Description}
	}
	return out, total, nil
}

func callbacksFromModels(ms []callbackRequestModel) []scheduler.CallbackRequest {
	out := make([]scheduler.CallbackRequest, len(ms))
	for i, m := range ms {
		out[i] = scheduler.CallbackRequest{ID: m.ID, DagID: m.DagID, RunID: m.RunID, TaskID: m.TaskID, MapIndex: m.MapIndex,
			Event: m.Event, TryNumber: m.TryNumber, State: m.State, Reason: m.Reason, CreatedAt: m.CreatedAt.UTC(),
			DoneAt: utcPtr(m.DoneAt), Error: m.Error, Hostname: m.Hostname}
		if m.JobID != nil {
			out[i].JobID = *m.JobID
		}
	}
	return out
}

var _ scheduler.CallbackStore = (*Store)(nil)

// SLAMissesOf returns the SLA misses of some runs of a DAG, for the grid.
func (s *Store) SLAMissesOf(ctx context.Context, dagID string, runIDs []string) ([]scheduler.SLAMiss, error) {
	var out []scheduler.SLAMiss
	for i := 0; i < len(runIDs); i += 500 {
		var ms []slaMissModel
		if err := s.rdb.WithContext(ctx).Where("dag_id = ? AND run_id IN ?", dagID, runIDs[i:min(i+500, len(runIDs))]).Find(&ms).Error; err != nil {
			return nil, fmt.Errorf("read the SLA misses of %s: %w", dagID, err)
		}
		for _, m := range ms {
			out = append(out, scheduler.SLAMiss{DagID: m.DagID, RunID: m.RunID, TaskID: m.TaskID, Description: m.Description})
		}
	}
	return out, nil
}
