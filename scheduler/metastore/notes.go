package metastore

import (
	"context"
	"fmt"

	"github.com/wasmflow/wasmflow/scheduler"
)

// SetRunNote sets a run's note (nil clears it); a missing run is ErrNotFound.
func (s *Store) SetRunNote(ctx context.Context, dagID, runID string, note *string) error {
	res := s.db.WithContext(ctx).Model(&v11DagRunNote{}).Where("dag_id = ? AND run_id = ?", dagID, runID).Update("note", note)
	if res.Error != nil {
		return fmt.Errorf("set the note of run %s of dag %s: %w", runID, dagID, res.Error)
	}
	if res.RowsAffected == 0 {
		return notFound("dag run %q of dag %q", runID, dagID)
	}
	return nil
}

// RunNote is a run's note, nil for none.
func (s *Store) RunNote(ctx context.Context, dagID, runID string) (*string, error) {
	var m v11DagRunNote
	if err := s.rdb.WithContext(ctx).Select("note").Where("dag_id = ? AND run_id = ?", dagID, runID).Take(&m).Error; err != nil {
		return nil, fmt.Errorf("the note of run %s of dag %s: %w", runID, dagID, err)
	}
	return m.Note, nil
}

// SetTINote sets a task instance's note (nil clears it); a missing one is ErrNotFound.
func (s *Store) SetTINote(ctx context.Context, key scheduler.TIKey, note *string) error {
	res := s.db.WithContext(ctx).Model(&v11TaskInstanceNote{}).Where("dag_id = ? AND run_id = ? AND task_id = ? AND map_index = ?", key.DagID, key.RunID, key.TaskID, key.MapIndex).
		Update("note", note)
	if res.Error != nil {
		return fmt.Errorf("set the note of task instance %s: %w", key, res.Error)
	}
	if res.RowsAffected == 0 {
		return notFound("task instance %s", key)
	}
	return nil
}

// TINote is a task instance's note, nil for none.
func (s *Store) TINote(ctx context.Context, key scheduler.TIKey) (*string, error) {
	var m v11TaskInstanceNote
	err := s.rdb.WithContext(ctx).Select("note").Where("dag_id = ? AND run_id = ? AND task_id = ? AND map_index = ?", key.DagID, key.RunID, key.TaskID, key.MapIndex).Take(&m).Error
	if err != nil {
		return nil, fmt.Errorf("the note of task instance %s: %w", key, err)
	}
	return m.Note, nil
}
