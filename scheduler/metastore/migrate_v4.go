package metastore

import (
	"time"

	"gorm.io/gorm"
)

// Migration 4: sessions revoked by a logout. A session cookie is signed, not stored, so a copy
// of it would open the account until it expires; a logout records the session here until then,
// and the API refuses it. FROZEN since its release.

type v4RevokedSession struct {
	// SessionID is the sha256 of the session cookie (hex): the cookie itself, a credential,
	// is not kept.
	SessionID string    `gorm:"column:session_id;primaryKey;not null"`
	Username  string    `gorm:"column:username;not null"`
	ExpiresAt time.Time `gorm:"column:expires_at;not null;index"`
}

func (v4RevokedSession) TableName() string { return "revoked_session" }

func migrateV4(tx *gorm.DB) error {
	return tx.Migrator().CreateTable(&v4RevokedSession{})
}
