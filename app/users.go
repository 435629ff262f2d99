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
	scheduler.RoleOp:     "what User may, and manage variables, pools and connections, and read the audit log",
	scheduler.RoleAdmin:  "what Op may, and manage users",
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
