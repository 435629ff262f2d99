package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func userRole(t *testing.T, h *home, name string) string {
	t.Helper()
	for _, u := range decode[[]map[string]any](t, h.ok("users", "list", "-o", "json")) {
		if u["username"] == name {
			return u["roles"].([]any)[0].(map[string]any)["name"].(string)
		}
	}
	return ""
}

func TestUsersRolesImportExport(t *testing.T) {
	h := newHome(t, "WASMFLOW__CORE__LOAD_EXAMPLES", "false")
	h.ok("users", "create", "-u", "ann", "-r", "Viewer", "-p", "secret-pass", "-e", "ann@example.com", "-f", "Ann", "-l", "Lee")
	if out := h.ok("users", "add-role", "-u", "ann", "-r", "op"); out != "User \"ann\" added to role \"Op\" (in place of \"Viewer\": a user has one role)\n" {
		t.Errorf("add-role: %q", out)
	}
	if got := userRole(t, h, "ann"); got != "Op" {
		t.Errorf("ann's role after add-role = %s", got)
	}
	h.fails(1, `user "ann" is already a member of role "Op"`, "users", "add-role", "-u", "ann", "-r", "Op")
	h.fails(1, `user "bob" not found`, "users", "add-role", "-u", "bob", "-r", "Op")
	h.fails(2, `role "boss" is not one of`, "users", "add-role", "-u", "ann", "-r", "boss")
	h.fails(2, "give the user with -u USERNAME and the role with -r ROLE", "users", "remove-role", "-u", "ann")
	h.fails(1, `user "ann" is not a member of role "Admin" (its role is "Op")`, "users", "remove-role", "-u", "ann", "-r", "Admin")
	h.fails(1, "users add-role -u ann -r Viewer", "users", "remove-role", "-u", "ann", "-r", "Op")

	file := filepath.Join(t.TempDir(), "users.json")
	if out := h.ok("users", "export", file); out != "1 users successfully exported to "+file+"\n" {
		t.Errorf("export: %q", out)
	}
	b, _ := os.ReadFile(file)
	if strings.Contains(strings.ToLower(string(b)), "password") {
		t.Errorf("the export holds passwords:\n%s", b)
	}
	users := decode[[]map[string]any](t, string(b))
	var ann map[string]any
	for _, u := range users {
		if u["username"] == "ann" {
			ann = u
		}
	}
	if ann == nil || ann["email"] != "ann@example.com" || ann["firstname"] != "Ann" || ann["lastname"] != "Lee" || ann["roles"].([]any)[0] != "Op" {
		t.Errorf("exported ann = %v\n%s", ann, b)
	}

	// Into another home: ann is new there; then changed and imported again, ann is updated.
	other := newHome(t, "WASMFLOW__CORE__LOAD_EXAMPLES", "false")
	out := other.ok("users", "import", file)
	if !strings.HasPrefix(out, "Created the following users:\n\tann (password: ") || strings.Contains(out, "Updated") {
		t.Errorf("import into another home:\n%s", out)
	}
	if got := userRole(t, other, "ann"); got != "Op" {
		t.Errorf("imported ann's role = %s", got)
	}
	os.WriteFile(file, []byte(`[{"username": "ann", "email": "ann@new.example", "firstname": "Ann", "lastname": "Lee", "roles": ["Viewer", "User"]}]`), 0o644)
	code, out, errs := other.run("", "users", "import", file)
	if code != 0 || out != "Updated the following users:\n\tann\n" || !strings.Contains(errs, "ann has roles Viewer, User; a user has one here: User") {
		t.Errorf("import of an update: exit %d %q %q", code, out, errs)
	}
	if got := userRole(t, other, "ann"); got != "User" {
		t.Errorf("ann's role after the update = %s", got)
	}
	os.WriteFile(file, []byte(`[{"username": "cy", "roles": ["User"]}, {"username": "dee", "roles": ["Boss"]}]`), 0o644)
	other.fails(1, `user dee of `+file+`: role "Boss" is not one of`, "users", "import", file)
	if userRole(t, other, "cy") != "" {
		t.Errorf("a file with a bad entry imported cy")
	}
}

func TestRolesList(t *testing.T) {
	h := newHome(t)
	roles := decode[[]map[string]any](t, h.ok("roles", "list", "-o", "json"))
	var names []string
	for _, r := range roles {
		names = append(names, r["name"].(string))
	}
	if strings.Join(names, ",") != "Viewer,User,Op,Admin" {
		t.Errorf("roles list = %v", names)
	}
	if out := h.ok("roles", "list"); !strings.Contains(out, "Admin") || !strings.Contains(out, "manage users") {
		t.Errorf("roles list table:\n%s", out)
	}
}
