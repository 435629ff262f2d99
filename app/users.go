package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/wasmflow/wasmflow/scheduler"
)

// RoleDescriptions says what each role may do, for `wasmflow roles list`.
var RoleDescriptions = map[string]string{
	scheduler.RoleViewer: "read DAGs, runs, task instances and logs",
	scheduler.RoleUser:   "what Viewer may, and pause, trigger, clear and mark runs and task instances",
	scheduler.RoleOp:     "what User may, and manage variables, pools, connections and DAG files, and read the configuration",
	scheduler.RoleAdmin:  "what Op may, and manage users and read the audit log",
}

// SetUserRole gives a user a role in place of the one it has (a user has one role here) and
// returns the role it had.
func (a *App) SetUserRole(ctx context.Context, who Actor, username, role string) (string, error) {
	role, err := NormalizeRole(role)
	if err != nil {
		return "", err
	}
	u, err := a.Store.GetUser(ctx, username)
	if errors.Is(err, scheduler.ErrNotFound) {
		return "", fmt.Errorf("user %q %w (`wasmflow users list` shows them)", username, scheduler.ErrNotFound)
	}
	if err != nil {
		return "", err
	}
	old := u.Role
	u.Role = role
	if err := a.Store.UpdateUser(ctx, u); err != nil {
		return "", err
	}
	a.audit(ctx, who, "user.role", scheduler.AuditEvent{Extra: fmt.Sprintf("%s role=%s (was %s)", username, role, old)})
	return old, nil
}

// UpdateUser changes an existing user's email, names and role, as `users import` does.
func (a *App) UpdateUser(ctx context.Context, who Actor, n NewUser) error {
	role, err := NormalizeRole(n.Role)
	if err != nil {
		return err
	}
	err = a.Store.UpdateUser(ctx, scheduler.User{Username: n.Username, Email: n.Email, FirstName: n.FirstName, LastName: n.LastName, Role: role})
	if err != nil {
		return err
	}
	a.audit(ctx, who, "user.update", scheduler.AuditEvent{Extra: n.Username + " role=" + role})
	return nil
}

// UserPatch is what PATCH /users/{username} changes: the fields that are not nil.
type UserPatch struct {
	Email, FirstName, LastName, Role, Password *string
}

// PatchUser changes the given fields of an existing user and returns the user as it is now.
// A new password is checked and hashed as at creation.
func (a *App) PatchUser(ctx context.Context, who Actor, username string, p UserPatch) (UserInfo, error) {
	u, err := a.Store.GetUser(ctx, username)
	if errors.Is(err, scheduler.ErrNotFound) {
		return UserInfo{}, fmt.Errorf("user %q %w", username, scheduler.ErrNotFound)
	}
	if err != nil {
		return UserInfo{}, err
	}
	var hash string
	if p.Password != nil {
		if hash, err = hashPassword(*p.Password); err != nil {
			return UserInfo{}, err
		}
	}
	if p.Role != nil {
		if u.Role, err = NormalizeRole(*p.Role); err != nil {
			return UserInfo{}, err
		}
	}
	for _, f := range []struct{ to, from *string }{{&u.Email, p.Email}, {&u.FirstName, p.FirstName}, {&u.LastName, p.LastName}} {
		if f.from != nil {
			*f.to = *f.from
		}
	}
	if err := a.Store.UpdateUser(ctx, u); err != nil {
		return UserInfo{}, err
	}
	if hash != "" {
		if err := a.Store.SetPasswordHash(ctx, username, hash); err != nil {
			return UserInfo{}, err
		}
	}
	extra := username + " role=" + u.Role
	if hash != "" {
		extra += " password changed"
	}
	a.audit(ctx, who, "user.update", scheduler.AuditEvent{Extra: extra})
	return userInfo(u), nil
}
