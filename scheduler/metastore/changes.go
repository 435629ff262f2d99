package metastore

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/wasmflow/wasmflow/scheduler"
)

// Save writes one scheduling step's changes in one immediate transaction.
func (s *Store) Save(ctx context.Context, c scheduler.Changes) error {
	if c.Empty() {
		return nil
	}
	now := now()
	write := s.write
	if c.Owner != 0 {
		write = s.writeOwned
	}
	return write(ctx, func(tx *gorm.DB) error {
		if c.Owner != 0 {
			if err := checkOwner(tx, c.Owner, c); err != nil {
				return err
			}
		}
		for _, r := range c.Runs {
			res := tx.Model(&dagRunModel{}).Where("id = ?", r.ID).Updates(map[string]any{
				"state": string(r.State), "start_date": utcPtr(r.StartDate), "end_date": utcPtr(r.EndDate),
				"queued_at": utcPtr(r.QueuedAt), "updated_at": now,
			})
			if res.Error != nil {
				return fmt.Errorf("update run %s/%s: %w", r.DagID, r.RunID, res.Error)
			}
		}
		if len(c.Expanded) > 0 {
			ms := make([]taskInstanceModel, len(c.Expanded))
			for i, ti := range c.Expanded {
				ms[i] = taskInstanceToModel(ti)
				ms[i].UpdatedAt = now
			}
			if err := tx.CreateInBatches(ms, tiBatch).Error; err != nil {
				return fmt.Errorf("add the mapped task instances of %s: %w", c.Expanded[0].Key(), err)
			}
		}
		for _, ti := range c.TaskInstances {
			// Plain SQL: this runs for every state change of every task instance. One the
			// scheduler added by expanding a mapped task has no ID in its memory: it goes by key.
			where, args := "id = ?", []any{ti.ID}
			if ti.ID == 0 {
				where, args = "dag_id = ? AND run_id = ? AND task_id = ? AND map_index = ?", []any{ti.DagID, ti.RunID, ti.TaskID, ti.MapIndex}
			}
			err := tx.Exec(`UPDATE task_instance SET map_index = ?, state = ?, try_number = ?, max_tries = ?, start_date = ?, end_date = ?,
				duration = ?, hostname = ?, exit_code = ?, reason = ?, pool = ?, pool_slots = ?, queue = ?, priority_weight = ?,
				module_sha256 = ?, queued_at = ?, next_retry_at = ?, first_poke_at = ?, updated_at = ? WHERE `+where,
				append([]any{ti.MapIndex, string(ti.State), ti.TryNumber, ti.MaxTries, utcPtr(ti.StartDate), utcPtr(ti.EndDate), ti.Duration, ti.Hostname,
					ti.ExitCode, ti.Reason, ti.Pool, ti.PoolSlots, ti.Queue, ti.PriorityWeight, ti.ModuleSHA256, utcPtr(ti.QueuedAt),
					utcPtr(ti.NextRetryAt), utcPtr(ti.FirstPokeAt), now}, args...)...).Error
			if err != nil {
				return fmt.Errorf("update task instance %s: %w", ti.Key(), err)
			}
		}
		for _, t := range c.Tries {
			// A try recorded twice (a result resent after a restart) keeps the first record.
			err := tx.Exec(`INSERT INTO task_instance_history (dag_id, run_id, task_id, map_index, try_number, state, start_date, end_date,
				duration, hostname, exit_code, reason, module_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				t.DagID, t.RunID, t.TaskID, t.MapIndex, t.TryNumber, string(t.State), utcPtr(t.StartDate), utcPtr(t.EndDate), t.Duration,
				t.Hostname, t.ExitCode, t.Reason, t.ModuleSHA256).Error
			if err != nil {
				return fmt.Errorf("record try %d of %s/%s/%s: %w", t.TryNumber, t.DagID, t.RunID, t.TaskID, err)
			}
		}
		if err := writeCalls(tx, c.Calls); err != nil {
			return err
		}
		if err := writeCallbacks(tx, c); err != nil {
			return err
		}
		for _, k := range c.ClearXComs {
			if err := tx.Where("dag_id = ? AND run_id = ? AND task_id = ? AND map_index = ?", k.DagID, k.RunID, k.TaskID, k.MapIndex).Delete(&xcomModel{}).Error; err != nil {
				return fmt.Errorf("clear XComs of %s: %w", k, err)
			}
		}
		for _, x := range c.XComs {
			err := tx.Exec(`INSERT INTO xcom (dag_id, run_id, task_id, map_index, key, value, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (dag_id, run_id, task_id, map_index, key) DO UPDATE SET value = excluded.value, timestamp = excluded.timestamp`,
				x.DagID, x.RunID, x.TaskID, x.MapIndex, x.Key, x.Value, x.Timestamp.UTC()).Error
			if err != nil {
				return fmt.Errorf("write XCom %s of %s/%s/%s: %w", x.Key, x.DagID, x.RunID, x.TaskID, err)
			}
		}
		if err := writeDatasetEvents(tx, c.DatasetEvents, now); err != nil {
			return err
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

// GetXCom returns one XCom of a task instance: of an unmapped task's, or of a mapped task's
// first instance that pushed it.
func (s *Store) GetXCom(ctx context.Context, dagID, runID, taskID, key string) (scheduler.XCom, error) {
	var m xcomModel
	err := s.rdb.WithContext(ctx).Where("dag_id = ? AND run_id = ? AND task_id = ? AND key = ?", dagID, runID, taskID, key).
		Order("map_index").Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return scheduler.XCom{}, fmt.Errorf("XCom %s of %s/%s/%s: %w", key, dagID, runID, taskID, scheduler.ErrNotFound)
	}
	if err != nil {
		return scheduler.XCom{}, err
	}
	return xcomFromModel(m), nil
}

// ListXComs returns the XComs of a task ("" taskID: of the whole run), by task, map_index
// and key.
func (s *Store) ListXComs(ctx context.Context, dagID, runID, taskID string) ([]scheduler.XCom, error) {
	q := s.rdb.WithContext(ctx).Where("dag_id = ? AND run_id = ?", dagID, runID)
	if taskID != "" {
		q = q.Where("task_id = ?", taskID)
	}
	var ms []xcomModel
	if err := q.Order("task_id, map_index, key").Find(&ms).Error; err != nil {
		return nil, err
	}
	out := make([]scheduler.XCom, len(ms))
	for i, m := range ms {
		out[i] = xcomFromModel(m)
	}
	return out, nil
}

func xcomFromModel(m xcomModel) scheduler.XCom {
	return scheduler.XCom{DagID: m.DagID, RunID: m.RunID, TaskID: m.TaskID, MapIndex: m.MapIndex, Key: m.Key, Value: m.Value, Timestamp: m.Timestamp}
}

var _ scheduler.RunStore = (*Store)(nil)

// XComQuery narrows XComs across DAGs, runs and tasks: "" is any, MapIndex nil any instance.
type XComQuery struct {
	DagID, RunID, TaskID string
	MapIndex             *int
	Limit, Offset        int
}

// ListXComsWhere answers one page of the XComs q selects, by DAG, run, task, map index and key,
// and how many match in all: Airflow's xcomEntries with "~" for the DAG, run or task.
func (s *Store) ListXComsWhere(ctx context.Context, q XComQuery) ([]scheduler.XCom, int64, error) {
	db := s.rdb.WithContext(ctx).Model(&xcomModel{})
	if q.DagID != "" {
		db = db.Where("dag_id = ?", q.DagID)
	}
	if q.RunID != "" {
		db = db.Where("run_id = ?", q.RunID)
	}
	if q.TaskID != "" {
		db = db.Where("task_id = ?", q.TaskID)
	}
	if q.MapIndex != nil {
		db = db.Where("map_index = ?", *q.MapIndex)
	}
	var total int64
	if err := db.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var ms []xcomModel
	if err := db.Order("dag_id, run_id, task_id, map_index, key").Limit(q.Limit).Offset(q.Offset).Find(&ms).Error; err != nil {
		return nil, 0, err
	}
	out := make([]scheduler.XCom, len(ms))
	for i, m := range ms {
		out[i] = xcomFromModel(m)
	}
	return out, total, nil
}
