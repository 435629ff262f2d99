package metastore

import (
	"context"
	"fmt"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// GridCell is one task instance as the grid view draws it.
type GridCell struct {
	RunID     string
	TaskID    string
	State     tasks.TaskInstanceState
	TryNumber int
	Duration  float64
}

// GridCells reads the cells of a DAG's runs whose logical dates lie in [from, to], in one
// query: the grid of 1,000 runs × 100 tasks must not cost a query per run.
func (s *Store) GridCells(ctx context.Context, dagID string, from, to time.Time) ([]GridCell, error) {
	rows, err := s.rdb.WithContext(ctx).Raw(`SELECT ti.run_id, ti.task_id, ti.state, ti.try_number, ti.duration
		FROM task_instance ti JOIN dag_run r ON r.dag_id = ti.dag_id AND r.run_id = ti.run_id
		WHERE ti.dag_id = ? AND r.logical_date >= ? AND r.logical_date <= ?`, dagID, from.UTC(), to.UTC()).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []GridCell
	for rows.Next() {
		var c GridCell
		if err := rows.Scan(&c.RunID, &c.TaskID, &c.State, &c.TryNumber, &c.Duration); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// RecentRuns returns the latest perDag runs of every DAG, newest first, in one query.
func (s *Store) RecentRuns(ctx context.Context, perDag int) (map[string][]scheduler.DagRun, error) {
	var ms []dagRunModel
	err := s.rdb.WithContext(ctx).Raw(`SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY dag_id ORDER BY logical_date DESC, id DESC) AS rn
		FROM dag_run) WHERE rn <= ? ORDER BY dag_id, logical_date DESC, id DESC`, perDag).Scan(&ms).Error
	if err != nil {
		return nil, err
	}
	out := map[string][]scheduler.DagRun{}
	for _, m := range ms {
		r, err := dagRunFromModel(m)
		if err != nil {
			return nil, err
		}
		out[r.DagID] = append(out[r.DagID], r)
	}
	return out, nil
}

// PoolUsage is the slots task instances hold in each pool: running and queued.
type PoolUsage struct{ Running, Queued int }

// PoolUsage sums the pool slots of running and queued task instances, by pool.
func (s *Store) PoolUsage(ctx context.Context) (map[string]PoolUsage, error) {
	rows, err := s.rdb.WithContext(ctx).Raw(`SELECT pool, state, SUM(pool_slots) FROM task_instance
		WHERE state IN ('running', 'queued') GROUP BY pool, state`).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]PoolUsage{}
	for rows.Next() {
		var pool, state string
		var n int
		if err := rows.Scan(&pool, &state, &n); err != nil {
			return nil, err
		}
		u := out[pool]
		if state == string(tasks.StateRunning) {
			u.Running += n
		} else {
			u.Queued += n
		}
		out[pool] = u
	}
	return out, rows.Err()
}

// AuditEventCount counts the audit log's rows, for a page's total_entries.
func (s *Store) AuditEventCount(ctx context.Context) (int, error) {
	var n int64
	if err := s.rdb.WithContext(ctx).Model(&logModel{}).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count audit events: %w", err)
	}
	return int(n), nil
}
