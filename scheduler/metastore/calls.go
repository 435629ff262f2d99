package metastore

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/wasmflow/wasmflow/scheduler"
)

// writeCalls records the granted-I/O calls of tries, in one batch per step. A sensor's pokes
// share a try number: their calls follow each other, numbered on from those already there.
func writeCalls(tx *gorm.DB, all []scheduler.TryCalls) error {
	for _, tc := range all {
		var seq int
		err := tx.Raw("SELECT COALESCE(MAX(seq), 0) FROM task_call WHERE dag_id = ? AND run_id = ? AND task_id = ? AND map_index = ? AND try_number = ?",
			tc.Key.DagID, tc.Key.RunID, tc.Key.TaskID, tc.Key.MapIndex, tc.TryNumber).Scan(&seq).Error
		if err != nil {
			return fmt.Errorf("record the calls of try %d of %s: %w", tc.TryNumber, tc.Key, err)
		}
		rows := make([]taskCallModel, len(tc.Calls))
		for i, c := range tc.Calls {
			rows[i] = taskCallModel{DagID: tc.Key.DagID, RunID: tc.Key.RunID, TaskID: tc.Key.TaskID, MapIndex: tc.Key.MapIndex, TryNumber: tc.TryNumber,
				Seq: seq + i + 1, Kind: c.Kind, Target: c.Target, Op: c.Op, Status: c.Status, Rows: c.Rows, BytesOut: c.BytesOut,
				BytesIn: c.BytesIn, DurationMs: float64(c.Duration) / float64(time.Millisecond), Refused: c.Refused, Error: c.Error}
		}
		if err := tx.CreateInBatches(rows, 200).Error; err != nil {
			return fmt.Errorf("record the calls of try %d of %s: %w", tc.TryNumber, tc.Key, err)
		}
	}
	return nil
}

// listCalls returns a task instance's recorded calls by try number, in order.
func (s *Store) listCalls(ctx context.Context, dagID, runID, taskID string) (map[int][]scheduler.Call, error) {
	var ms []taskCallModel
	err := s.rdb.WithContext(ctx).Where("dag_id = ? AND run_id = ? AND task_id = ?", dagID, runID, taskID).
		Order("try_number, seq").Find(&ms).Error
	if err != nil {
		return nil, fmt.Errorf("list the calls of task %s of run %s of dag %s: %w", taskID, runID, dagID, err)
	}
	out := map[int][]scheduler.Call{}
	for _, m := range ms {
		out[m.TryNumber] = append(out[m.TryNumber], scheduler.Call{Kind: m.Kind, Target: m.Target, Op: m.Op, Status: m.Status,
			Rows: m.Rows, BytesOut: m.BytesOut, BytesIn: m.BytesIn, Duration: time.Duration(m.DurationMs * float64(time.Millisecond)),
			Refused: m.Refused, Error: m.Error})
	}
	return out, nil
}
