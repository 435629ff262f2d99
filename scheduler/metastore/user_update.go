package metastore

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/wasmflow/wasmflow/scheduler"
)

// UpdateUser changes a user's email, names and role (found by username; the password, the
// activity and the dates stay). A missing user is ErrNotFound.
func (s *Store) UpdateUser(ctx context.Context, u scheduler.User) error {
	if !validRoles[u.Role] {
		return fmt.Errorf("update user %s: role %q is not one of %s, %s, %s, %s",
			u.Username, u.Role, scheduler.RoleViewer, scheduler.RoleUser, scheduler.RoleOp, scheduler.RoleAdmin)
	}
	var rows int64
	err := s.write(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&userModel{}).Where("username = ?", u.Username).Updates(map[string]any{
			"email": u.Email, "first_name": u.FirstName, "last_name": u.LastName, "role": u.Role})
		rows = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return fmt.Errorf("update user %s: %w", u.Username, err)
	}
	if rows == 0 {
		return notFound("user %q", u.Username)
	}
	return nil
}

// SetPasswordHash replaces a user's bcrypt password hash.
func (s *Store) SetPasswordHash(ctx context.Context, username, hash string) error {
	var rows int64
	err := s.write(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&userModel{}).Where("username = ?", username).Update("password_hash", hash)
		rows = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return fmt.Errorf("set the password of user %s: %w", username, err)
	}
	if rows == 0 {
		return notFound("user %q", username)
	}
	return nil
}
