package metastore

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/wasmflow/wasmflow/scheduler"
)

// TIBatchQuery selects task instances across runs and DAGs (Airflow's taskInstances/list).
type TIBatchQuery struct {
	TIQuery
	DagIDs                 []string  // of these DAGs; none: of every DAG
	LogicalFrom, LogicalTo time.Time // their run's logical date in [LogicalFrom, LogicalTo]; zero: unbounded
	Limit                  int       // at most this many (<= 0: all that match)
	Offset                 int       // skip this many first
}

// ListTaskInstancesAcross returns the task instances q selects, oldest first, and how many
// match in all; the filter, the count and the limit are SQL.
func (s *Store) ListTaskInstancesAcross(ctx context.Context, q TIBatchQuery) ([]scheduler.TaskInstance, int, error) {
	where := tiFilter(s.rdb.WithContext(ctx).Model(&taskInstanceModel{}), q.TIQuery)
	if len(q.DagIDs) > 0 {
		where = where.Where("dag_id IN ?", q.DagIDs)
	}
	if !q.LogicalFrom.IsZero() || !q.LogicalTo.IsZero() {
		runs := between(s.rdb.Model(&dagRunModel{}).Select("1").
			Where("dag_run.dag_id = task_instance.dag_id AND dag_run.run_id = task_instance.run_id"), "logical_date", q.LogicalFrom, q.LogicalTo)
		where = where.Where("EXISTS (?)", runs)
	}
	var total int64
	if err := where.Session(&gorm.Session{}).Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count task instances: %w", err)
	}
	page := where.Order("id").Offset(q.Offset)
	if q.Limit > 0 {
		page = page.Limit(q.Limit)
	}
	var ms []taskInstanceModel
	if err := page.Find(&ms).Error; err != nil {
		return nil, 0, fmt.Errorf("list task instances: %w", err)
	}
	out := make([]scheduler.TaskInstance, len(ms))
	for i, m := range ms {
		out[i] = taskInstanceFromModel(m)
	}
	return out, int(total), nil
}
