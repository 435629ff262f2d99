package metastore

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/wasmflow/wasmflow/scheduler"
)

// GetAuditEvent returns one event of the audit log by its id.
func (s *Store) GetAuditEvent(ctx context.Context, id int64) (scheduler.AuditEvent, error) {
	var m logModel
	err := s.rdb.WithContext(ctx).Where("id = ?", id).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return scheduler.AuditEvent{}, notFound("event log %d", id)
	}
	if err != nil {
		return scheduler.AuditEvent{}, fmt.Errorf("get event log %d: %w", id, err)
	}
	return scheduler.AuditEvent{ID: m.ID, When: m.Dttm, Event: m.Event, Owner: m.Owner, DagID: m.DagID, RunID: m.RunID,
		TaskID: m.TaskID, Extra: m.Extra}, nil
}
