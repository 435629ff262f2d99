package api

import (
	"net/http"

	"github.com/wasmflow/wasmflow/app"
)

// patchUser changes a user's email, names, role or password; update_mask names which. The
// read-only fields a GET answers (active, created_on, ...) may be sent back and are ignored,
// so a client can send what it read with its changes.
func (s *Server) patchUser(_ http.ResponseWriter, r *http.Request, p principal) (any, error) {
	var b struct {
		Username  *string    `json:"username"`
		Email     *string    `json:"email"`
		FirstName *string    `json:"first_name"`
		LastName  *string    `json:"last_name"`
		Roles     *[]app.Tag `json:"roles"`
		Role      *string    `json:"role"` // wasmflow's one role, as POST takes it
		Password  *string    `json:"password"`
		// Read-only: ignored.
		Active           any `json:"active"`
		CreatedOn        any `json:"created_on"`
		ChangedOn        any `json:"changed_on"`
		LastLogin        any `json:"last_login"`
		LoginCount       any `json:"login_count"`
		FailedLoginCount any `json:"failed_login_count"`
	}
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	fields := []string{"username", "email", "first_name", "last_name", "roles", "password"}
	mask, err := maskOf(r, fields, func(f string) bool {
		return map[string]bool{"username": b.Username != nil, "email": b.Email != nil, "first_name": b.FirstName != nil,
			"last_name": b.LastName != nil, "roles": b.Roles != nil || b.Role != nil, "password": b.Password != nil}[f]
	})
	if err != nil {
		return nil, err
	}
	name := r.PathValue("username")
	if changes(mask, "username", b.Username != nil) && *b.Username != name {
		return nil, badRequest("a user cannot be renamed: create %q and delete %q", *b.Username, name)
	}
	var patch app.UserPatch
	if changes(mask, "email", b.Email != nil) {
		patch.Email = b.Email
	}
	if changes(mask, "first_name", b.FirstName != nil) {
		patch.FirstName = b.FirstName
	}
	if changes(mask, "last_name", b.LastName != nil) {
		patch.LastName = b.LastName
	}
	if changes(mask, "password", b.Password != nil) {
		patch.Password = b.Password
	}
	if changes(mask, "roles", b.Roles != nil || b.Role != nil) {
		var roles []app.Tag
		if b.Roles != nil {
			roles = *b.Roles
			if len(roles) == 0 {
				return nil, badRequest("a wasmflow user has exactly one role: send \"roles\": [{\"name\": \"Viewer\"}] with one of Viewer, User, Op, Admin")
			}
		}
		role, err := roleOf(deref(b.Role), roles)
		if err != nil {
			return nil, err
		}
		if name == p.Username && !sameRole(role, p.Role) {
			return nil, badRequest("you cannot change your own role: ask another Admin")
		}
		patch.Role = &role
	}
	u, err := s.app.PatchUser(r.Context(), p.actor(), name, patch)
	if err != nil {
		return nil, err
	}
	return u, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// sameRole says whether a role name, in any case, is r.
func sameRole(name string, r Role) bool { return parseRole(name) == r }
