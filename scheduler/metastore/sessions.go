package metastore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

type revokedSessionModel struct {
	SessionID string    `gorm:"column:session_id;primaryKey"`
	Username  string    `gorm:"column:username"`
	ExpiresAt time.Time `gorm:"column:expires_at"`
}

func (revokedSessionModel) TableName() string { return "revoked_session" }

// RevokeSession records that the session id (of username) was logged out: SessionRevoked
// answers true for it until expires, when the session is refused anyway. Revocations past
// their expiry are dropped at the same time, so the table holds only live sessions' ids.
func (s *Store) RevokeSession(ctx context.Context, id, username string, expires time.Time) error {
	err := s.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("expires_at < ?", now()).Delete(&revokedSessionModel{}).Error; err != nil {
			return err
		}
		return tx.Clauses(clause.OnConflict{DoNothing: true}).
			Create(&revokedSessionModel{SessionID: id, Username: username, ExpiresAt: expires.UTC()}).Error
	})
	if err != nil {
		return fmt.Errorf("revoke a session of %s: %w", username, err)
	}
	return nil
}

// SessionRevoked reports whether the session id was logged out.
func (s *Store) SessionRevoked(ctx context.Context, id string) (bool, error) {
	var m revokedSessionModel
	err := s.rdb.WithContext(ctx).Where("session_id = ?", id).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check a session: %w", err)
	}
	return true, nil
}
