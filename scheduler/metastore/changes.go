package metastore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/wasmflow/wasmflow/scheduler"
)

// Save writes one scheduling step's changes in one immediate transaction.
func (s *Store) Save(ctx context.Context, c scheduler.Changes) error {
	if c.Empty() {
		return nil
	}
	now := time.Now().UTC()
	return s.write(ctx, func(tx *gorm.DB) error {
		for _, r := range c.Runs {
			res := tx.Model(&dagRunModel{}).Where("id = ?", r.ID).Updates(map[string]any{
				"state": string(r.State), "start_date": utcPtr(r.StartDate), "end_date": utcPtr(r.EndDate),
				"queued_at": utcPtr(r.QueuedAt), "updated_at": now,
			})
			if res.Error != nil {
				return fmt.Errorf("update run %s/%s: %w", r.DagID, r.RunID, res.Error)
			}
		}
		for _, ti := range c.TaskInstances {
			res := tx.Model(&taskInstanceModel{}).Where("id = ?", ti.ID).Updates(map[string]any{
				"state": string(ti.State), "try_number": ti.TryNumber, "max_tries": ti.MaxTries,
				"start_date": utcPtr(ti.StartDate), "end_date": utcPtr(ti.EndDate), "duration": ti.Duration,
				"hostname": ti.Hostname, "exit_code": ti.ExitCode, "reason": ti.Reason, "pool": ti.Pool,
				"pool_slots": ti.PoolSlots, "queue": ti.Queue, "priority_weight": ti.PriorityWeight,
				"module_sha256": ti.ModuleSHA256, "queued_at": utcPtr(ti.QueuedAt),
				"next_retry_at": utcPtr(ti.NextRetryAt), "first_poke_at": utcPtr(ti.FirstPokeAt), "updated_at": now,
			})
			if res.Error != nil {
				return fmt.Errorf("update task instance %s: %w", ti.Key(), res.Error)
			}
		}
		for _, t := range c.Tries {
			m := taskTryModel{
				DagID: t.DagID, RunID: t.RunID, TaskID: t.TaskID, TryNumber: t.TryNumber, State: string(t.State),
				StartDate: utcPtr(t.StartDate), EndDate: utcPtr(t.EndDate), Duration: t.Duration,
				Hostname: t.Hostname, ExitCode: t.ExitCode, Reason: t.Reason, ModuleSHA256: t.ModuleSHA256,
			}
			// A try recorded twice (a result resent after a restart) keeps the first record.
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&m).Error; err != nil {
				return fmt.Errorf("record try %d of %s/%s/%s: %w", t.TryNumber, t.DagID, t.RunID, t.TaskID, err)
			}
		}
		for _, k := range c.ClearXComs {
			if err := tx.Where("dag_id = ? AND run_id = ? AND task_id = ?", k.DagID, k.RunID, k.TaskID).Delete(&xcomModel{}).Error; err != nil {
				return fmt.Errorf("clear XComs of %s: %w", k, err)
			}
		}
		for _, x := range c.XComs {
			m := xcomModel{DagID: x.DagID, RunID: x.RunID, TaskID: x.TaskID, Key: x.Key, Value: x.Value, Timestamp: x.Timestamp.UTC()}
			if err := tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&m).Error; err != nil {
				return fmt.Errorf("write XCom %s of %s/%s/%s: %w", x.Key, x.DagID, x.RunID, x.TaskID, err)
			}
		}
		for _, e := range c.Audit {
			m := logModel{Dttm: e.When.UTC(), Event: e.Event, Owner: e.Owner, DagID: e.DagID, RunID: e.RunID, TaskID: e.TaskID, Extra: e.Extra}
			if err := tx.Create(&m).Error; err != nil {
				return fmt.Errorf("write audit event %s: %w", e.Event, err)
			}
		}
		return nil
	})
}

// GetXCom returns one XCom of a task instance.
func (s *Store) GetXCom(ctx context.Context, dagID, runID, taskID, key string) (scheduler.XCom, error) {
	var m xcomModel
	err := s.rdb.WithContext(ctx).Where("dag_id = ? AND run_id = ? AND task_id = ? AND key = ?", dagID, runID, taskID, key).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return scheduler.XCom{}, fmt.Errorf("XCom %s of %s/%s/%s: %w", key, dagID, runID, taskID, scheduler.ErrNotFound)
	}
	if err != nil {
		return scheduler.XCom{}, err
	}
	return xcomFromModel(m), nil
}

// ListXComs returns the XComs of a task instance ("" taskID: of the whole run), by task and key.
func (s *Store) ListXComs(ctx context.Context, dagID, runID, taskID string) ([]scheduler.XCom, error) {
	q := s.rdb.WithContext(ctx).Where("dag_id = ? AND run_id = ?", dagID, runID)
	if taskID != "" {
		q = q.Where("task_id = ?", taskID)
	}
	var ms []xcomModel
	if err := q.Order("task_id, key").Find(&ms).Error; err != nil {
		return nil, err
	}
	out := make([]scheduler.XCom, len(ms))
	for i, m := range ms {
		out[i] = xcomFromModel(m)
	}
	return out, nil
}

func xcomFromModel(m xcomModel) scheduler.XCom {
	return scheduler.XCom{DagID: m.DagID, RunID: m.RunID, TaskID: m.TaskID, Key: m.Key, Value: m.Value, Timestamp: m.Timestamp}
}

var _ scheduler.RunStore = (*Store)(nil)
