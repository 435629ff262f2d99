package metastore

import (
	"context"
	"fmt"
)

// DeleteDagRuns deletes every run of a DAG; their task instances, tries, reschedules and
// XComs go with them (ON DELETE CASCADE). It returns how many runs were deleted.
func (s *Store) DeleteDagRuns(ctx context.Context, dagID string) (int64, error) {
	res := s.db.WithContext(ctx).Where("dag_id = ?", dagID).Delete(&dagRunModel{})
	if res.Error != nil {
		return 0, fmt.Errorf("delete the runs of dag %s: %w", dagID, res.Error)
	}
	return res.RowsAffected, nil
}
