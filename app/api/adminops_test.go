package api_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/wasmflow/wasmflow/app/api"
)

// configJSON is Airflow's Config JSON.
type configJSON struct {
	Sections []struct {
		Name    string `json:"name"`
		Options []struct {
			Key   string `json:"key"`
			Value string `json:"value"`
		} `json:"options"`
	} `json:"sections"`
}

func (c configJSON) value(section, key string) (string, bool) {
	for _, s := range c.Sections {
		for _, o := range s.Options {
			if s.Name == section && o.Key == key {
				return o.Value, true
			}
		}
	}
	return "", false
}

func TestConfigIsExposedOnlyWhenChosen(t *testing.T) {
	e := newEnv(t, nil)
	// Airflow's default: not exposed, 403 saying which key changes that.
	e.problem(http.StatusForbidden, "GET", "/api/v1/config", "", e.as("admin"), "expose_config", "WASMFLOW__API__EXPOSE_CONFIG")

	e.app.Config.API.ExposeConfig = true
	e.app.Config.Core.FernetKey = "the-fernet-key-itself"
	e.app.Config.Database.URL = "postgres://wf:db-password@db:5432/wf"
	c := jsonOf[configJSON](t, e.want(http.StatusOK, "GET", "/api/v1/config", "", e.as("op")))
	if v, ok := c.value("core", "dags_folder"); !ok || v != e.app.Config.Core.DagsFolder {
		t.Errorf("core.dags_folder = %q, %v; want %q", v, ok, e.app.Config.Core.DagsFolder)
	}
	if v, _ := c.value("api", "expose_config"); v != "true" {
		t.Errorf("api.expose_config = %q", v)
	}
	if v, _ := c.value("core", "fernet_key"); v != "********" {
		t.Errorf("core.fernet_key is %q, want it masked", v)
	}
	if v, _ := c.value("database", "url"); strings.Contains(v, "db-password") || !strings.Contains(v, "wf:********@db") {
		t.Errorf("database.url is %q, want its password masked", v)
	}
	names := []string{}
	for _, s := range c.Sections {
		names = append(names, s.Name)
	}
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	if len(slices.Compact(sorted)) != len(names) || !slices.Contains(names, "scheduler") {
		t.Errorf("sections %v: want each once", names)
	}
	// Airflow answers the file's text to text/plain.
	r := e.call("GET", "/api/v1/config", "", func(r *http.Request) { e.as("op")(r); r.Header.Set("Accept", "text/plain") })
	if r.status != http.StatusOK || !strings.Contains(string(r.body), "[core]\n") || !strings.Contains(string(r.body), "fernet_key = ********\n") {
		t.Errorf("text/plain config: %d %s", r.status, r.body)
	}
	e.problem(http.StatusForbidden, "GET", "/api/v1/config", "", e.as("user"), "needs the Op role")
}

type role struct {
	Name    string `json:"name"`
	Actions []struct {
		Action   struct{ Name string } `json:"action"`
		Resource struct{ Name string } `json:"resource"`
	} `json:"actions"`
}

func (r role) may(action, resource string) bool {
	for _, a := range r.Actions {
		if a.Action.Name == action && a.Resource.Name == resource {
			return true
		}
	}
	return false
}

func TestRolesAreTheBuiltInOnesWithTheirPermissions(t *testing.T) {
	e := newEnv(t, nil)
	l := get[struct {
		Roles []role `json:"roles"`
		Total int    `json:"total_entries"`
	}](e, "/api/v1/roles")
	byName := map[string]role{}
	for _, r := range l.Roles {
		byName[r.Name] = r
	}
	if l.Total != 5 || len(byName) != 5 || byName["Admin"].Name == "" || byName["Public"].Name == "" {
		t.Fatalf("roles: %+v", l)
	}
	// Each role may what the routes let it, by Airflow's names, and not more.
	for _, c := range []struct {
		role, action, resource string
		may                    bool
	}{
		{"Viewer", "can_read", "DAGs", true}, {"Viewer", "can_read", "Task Logs", true}, {"Viewer", "can_edit", "DAGs", false},
		{"Viewer", "can_read", "Variables", false}, {"User", "can_edit", "DAGs", true}, {"User", "can_create", "DAG Runs", true},
		{"User", "can_create", "Pools", false}, {"Op", "can_create", "Pools", true}, {"Op", "can_read", "Variables", true},
		{"Op", "can_read", "Configurations", true}, {"Op", "can_read", "Users", false}, {"Admin", "can_delete", "Users", true},
		{"Admin", "can_read", "Audit Logs", true}, {"Admin", "can_read", "Roles", true}, {"Public", "can_read", "DAGs", false},
	} {
		if got := byName[c.role].may(c.action, c.resource); got != c.may {
			t.Errorf("%s may %s on %s: %v, want %v", c.role, c.action, c.resource, got, c.may)
		}
	}
	if n := len(byName["Public"].Actions); n != 0 {
		t.Errorf("Public has %d permissions; what it may call needs none", n)
	}
	// Paged and ordered as every list.
	page := get[struct {
		Roles []role `json:"roles"`
		Total int    `json:"total_entries"`
	}](e, "/api/v1/roles?order_by=-name&limit=2&offset=1")
	if page.Total != 5 || len(page.Roles) != 2 || page.Roles[0].Name != "User" || page.Roles[1].Name != "Public" {
		t.Errorf("roles?order_by=-name&limit=2&offset=1: %+v", page)
	}
	if r := get[role](e, "/api/v1/roles/viewer"); r.Name != "Viewer" || !r.may("can_read", "DAGs") {
		t.Errorf("GET /roles/viewer: %+v", r)
	}
	e.problem(http.StatusNotFound, "GET", "/api/v1/roles/Auditor", "", e.as("admin"), "Admin, Op, User, Viewer")
	// The roles are fixed: making or changing one says so and what to do instead.
	e.problem(http.StatusBadRequest, "POST", "/api/v1/roles", `{"name":"Auditor","actions":[{"action":{"name":"can_read"},"resource":{"name":"Audit Logs"}}]}`,
		e.as("admin"), "cannot be created", "fixed", "PATCH /api/v1/users/")
	e.problem(http.StatusBadRequest, "PATCH", "/api/v1/roles/Viewer", `{"name":"Viewer","actions":[]}`, e.as("admin"), "cannot be changed")
	e.problem(http.StatusBadRequest, "DELETE", "/api/v1/roles/Op", "", e.as("admin"), "cannot be deleted")
	e.problem(http.StatusNotFound, "DELETE", "/api/v1/roles/Auditor", "", e.as("admin"))
	e.problem(http.StatusForbidden, "GET", "/api/v1/roles", "", e.as("op"), "needs the Admin role")
	if got := get[role](e, "/api/v1/roles/Op"); !got.may("can_create", "Pools") {
		t.Errorf("after the refused changes, Op is %+v", got)
	}

	perms := get[struct {
		Actions []struct{ Name string } `json:"actions"`
		Total   int                     `json:"total_entries"`
	}](e, "/api/v1/permissions")
	if perms.Total != 4 || len(perms.Actions) != 4 || perms.Actions[1].Name != "can_read" {
		t.Errorf("permissions: %+v", perms)
	}
}

func TestPatchUser(t *testing.T) {
	e := newEnv(t, nil)
	e.want(http.StatusOK, "POST", "/api/v1/users", `{"username":"carol","password":"carol-pw-1","email":"c@x","first_name":"Carol","roles":[{"name":"Viewer"}]}`, e.as("admin"))
	carol := basic("carol", "carol-pw-1")
	e.problem(http.StatusForbidden, "GET", "/api/v1/variables", "", carol, "needs the Op role")

	// update_mask: only the fields it names change, whatever else the body holds.
	u := jsonOf[userInfo](t, e.want(http.StatusOK, "PATCH", "/api/v1/users/carol?update_mask=email", `{"email":"carol@example.com","first_name":"Caroline"}`, e.as("admin")))
	if u.Email != "carol@example.com" || u.FirstName != "Carol" {
		t.Errorf("after update_mask=email: %+v", u)
	}
	// A new role governs access at once; the fields a GET answers may be sent back.
	got := get[map[string]any](e, "/api/v1/users/carol")
	got["roles"] = []map[string]string{{"name": "Op"}}
	got["last_name"] = "Jones"
	u = jsonOf[userInfo](t, e.want(http.StatusOK, "PATCH", "/api/v1/users/carol", body(got), e.as("admin")))
	if u.Roles[0].Name != "Op" || u.LastName != "Jones" || u.Email != "carol@example.com" {
		t.Errorf("after the role change: %+v", u)
	}
	e.want(http.StatusOK, "GET", "/api/v1/variables", "", carol)

	// A new password replaces the old one.
	e.want(http.StatusOK, "PATCH", "/api/v1/users/carol?update_mask=password", `{"password":"carol-pw-2"}`, e.as("admin"))
	e.problem(http.StatusUnauthorized, "GET", "/api/v1/pools", "", carol)
	e.want(http.StatusOK, "GET", "/api/v1/pools", "", basic("carol", "carol-pw-2"))

	e.problem(http.StatusBadRequest, "PATCH", "/api/v1/users/carol", `{"password":"short"}`, e.as("admin"), "at least 8")
	e.problem(http.StatusBadRequest, "PATCH", "/api/v1/users/carol", `{"roles":[{"name":"Boss"}]}`, e.as("admin"), "Viewer")
	e.problem(http.StatusBadRequest, "PATCH", "/api/v1/users/carol", `{"roles":[]}`, e.as("admin"), "exactly one role")
	e.problem(http.StatusBadRequest, "PATCH", "/api/v1/users/carol", `{"username":"caroline"}`, e.as("admin"), "cannot be renamed")
	e.problem(http.StatusBadRequest, "PATCH", "/api/v1/users/carol?update_mask=email", `{"first_name":"X"}`, e.as("admin"), `no "email"`)
	e.problem(http.StatusBadRequest, "PATCH", "/api/v1/users/carol?update_mask=active", `{"active":false}`, e.as("admin"), "cannot be updated")
	e.problem(http.StatusBadRequest, "PATCH", "/api/v1/users/admin", `{"roles":[{"name":"Viewer"}]}`, e.as("admin"), "your own role")
	e.problem(http.StatusNotFound, "PATCH", "/api/v1/users/nobody", `{"email":"n@x"}`, e.as("admin"))
	e.problem(http.StatusForbidden, "PATCH", "/api/v1/users/carol", `{"email":"n@x"}`, e.as("op"), "needs the Admin role")
	if u := get[userInfo](e, "/api/v1/users/carol"); u.Roles[0].Name != "Op" || u.FirstName != "Carol" {
		t.Errorf("refused patches changed carol: %+v", u)
	}
}

func TestEventLogAndImportErrorByID(t *testing.T) {
	e := newEnv(t, map[string]string{"syntax.yaml": "dag_id: [unclosed\n"})
	e.want(http.StatusOK, "POST", "/api/v1/pools", `{"name":"p1","slots":2}`, e.as("op"))
	logs := get[struct {
		EventLogs []map[string]any `json:"event_logs"`
	}](e, "/api/v1/eventLogs?limit=1")
	if len(logs.EventLogs) != 1 {
		t.Fatalf("event logs: %+v", logs)
	}
	newest := logs.EventLogs[0]
	one := get[map[string]any](e, "/api/v1/eventLogs/"+jsonNumber(newest["event_log_id"]))
	if one["event"] != newest["event"] || one["owner"] != "op" || one["when"] != newest["when"] {
		t.Errorf("event log %v: %v, want %v", newest["event_log_id"], one, newest)
	}
	e.problem(http.StatusNotFound, "GET", "/api/v1/eventLogs/999999", "", e.as("admin"), "999999")
	e.problem(http.StatusBadRequest, "GET", "/api/v1/eventLogs/latest", "", e.as("admin"), "whole number")

	ies := get[struct {
		ImportErrors []map[string]any `json:"import_errors"`
	}](e, "/api/v1/importErrors")
	for _, ie := range ies.ImportErrors {
		got := jsonOf[map[string]any](t, e.want(http.StatusOK, "GET", "/api/v1/importErrors/"+jsonNumber(ie["import_error_id"]), "", e.as("viewer")))
		if got["filename"] != ie["filename"] || got["stack_trace"] != ie["stack_trace"] {
			t.Errorf("import error %v: %v, want %v", ie["import_error_id"], got, ie)
		}
	}
	if len(ies.ImportErrors) == 0 {
		t.Fatal("no import error listed for syntax.yaml")
	}
	e.problem(http.StatusNotFound, "GET", "/api/v1/importErrors/999999", "", e.as("viewer"), "GET /api/v1/importErrors")
}

func TestPluginsAndProvidersAreEmpty(t *testing.T) {
	e := newEnv(t, nil)
	for path, field := range map[string]string{"/api/v1/plugins": "plugins", "/api/v1/providers": "providers"} {
		got := get[map[string]any](e, path)
		if l, ok := got[field].([]any); !ok || len(l) != 0 || got["total_entries"] != float64(0) {
			t.Errorf("%s: %v, want an empty %q and total_entries 0", path, got, field)
		}
	}
}

// jsonNumber writes a decoded JSON number as a path's id.
func jsonNumber(v any) string {
	f, _ := v.(float64)
	return strconv.FormatInt(int64(f), 10)
}

// TestEveryRouteHasAResource: each route's permission names the resource it is about, so a
// new route does not end up as the catch-all "Website" by accident.
func TestEveryRouteHasAResource(t *testing.T) {
	e := newEnv(t, nil)
	for _, rt := range e.srv.RouteTable() {
		got := api.ResourceOf(rt.Path)
		web := rt.Path == "/api/v1/events" || strings.Contains(rt.Path, "/desktop/")
		if rt.Role != api.Public && (got == "Website") != web {
			t.Errorf("%s %s is about %q: name its resource in resourceRules", rt.Method, rt.Path, got)
		}
	}
	for path, want := range map[string]string{
		"/api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/logs/{try_number}": "Task Logs",
		"/api/v1/dagFiles/{path...}":                       "DAG Code",
		"/api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/clear": "DAG Runs",
		"/api/v1/dagSources/{file_token}":                  "DAG Code",
	} {
		if got := api.ResourceOf(path); got != want {
			t.Errorf("%s is about %q, want %q", path, got, want)
		}
	}
}
