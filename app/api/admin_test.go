package api_test

import (
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/app"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

type pool struct {
	Name          string `json:"name"`
	Slots         int    `json:"slots"`
	OccupiedSlots int    `json:"occupied_slots"`
	RunningSlots  int    `json:"running_slots"`
	QueuedSlots   int    `json:"queued_slots"`
	OpenSlots     int    `json:"open_slots"`
	Description   string `json:"description"`
}

type poolList struct {
	Pools []pool `json:"pools"`
	Total int    `json:"total_entries"`
}

func TestPools(t *testing.T) {
	e := newEnv(t, nil)
	l := jsonOf[poolList](t, e.want(http.StatusOK, "GET", "/api/v1/pools", "", e.as("viewer")))
	if l.Total != 1 || l.Pools[0].Name != "default_pool" || l.Pools[0].Slots < 1 || l.Pools[0].OpenSlots != l.Pools[0].Slots {
		t.Fatalf("pools of a new home: %+v", l)
	}
	p := jsonOf[pool](t, e.want(http.StatusOK, "POST", "/api/v1/pools", `{"name":"gpu","slots":3,"description":"the GPUs"}`, e.as("op")))
	if p != (pool{Name: "gpu", Slots: 3, OpenSlots: 3, Description: "the GPUs"}) {
		t.Errorf("created pool: %+v", p)
	}
	e.want(http.StatusOK, "POST", "/api/v1/pools", `{"name":"io","slots":0}`, e.as("op"))
	e.want(http.StatusOK, "POST", "/api/v1/pools", `{"name":"net","slots":10}`, e.as("admin"))
	for _, c := range []struct {
		status int
		body   string
		says   string
	}{
		{http.StatusConflict, `{"name":"gpu","slots":1}`, "already exists"},
		{http.StatusBadRequest, `{"name":"x"}`, `needs "name" and "slots"`},
		{http.StatusBadRequest, `{"slots":1}`, `needs "name" and "slots"`},
		{http.StatusBadRequest, `{"name":" ","slots":1}`, "needs a name"},
		{http.StatusBadRequest, `{"name":"x","slots":-2}`, "slots"},
		{http.StatusBadRequest, `{"name":"x","slots":"many"}`, "not valid JSON"},
		{http.StatusBadRequest, `{"name":"x","slots":1,"include_deferred":true}`, `unknown field "include_deferred"`},
	} {
		e.problem(c.status, "POST", "/api/v1/pools", c.body, e.as("op"), c.says)
	}
	// Usage: a running task instance holds a slot of its pool, a queued one too.
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	seedRun(t, e.app.Store, "", "pipe", "r1", at, tasks.StateRunning, 1, "extract")
	seedRun(t, e.app.Store, "", "naps", "n1", at, tasks.StateQueued, 0, "nap")
	var moved []scheduler.TaskInstance
	for _, k := range [][2]string{{"pipe", "r1"}, {"naps", "n1"}} {
		tis, err := e.app.Store.ListTaskInstances(t.Context(), k[0], k[1])
		if err != nil {
			t.Fatal(err)
		}
		tis[0].Pool = "gpu"
		moved = append(moved, tis[0])
	}
	if err := e.app.Store.Save(t.Context(), scheduler.Changes{TaskInstances: moved}); err != nil {
		t.Fatal(err)
	}
	p = jsonOf[pool](t, e.want(http.StatusOK, "GET", "/api/v1/pools/gpu", "", e.as("viewer")))
	if p.RunningSlots != 1 || p.QueuedSlots != 1 || p.OccupiedSlots != 2 || p.OpenSlots != 1 {
		t.Errorf("gpu with a running and a queued task instance: %+v", p)
	}
	e.problem(http.StatusNotFound, "GET", "/api/v1/pools/nope", "", e.as("viewer"), `pool "nope" not found`)
	// Change slots and description; a name cannot change.
	p = jsonOf[pool](t, e.want(http.StatusOK, "PATCH", "/api/v1/pools/gpu", `{"slots":1}`, e.as("op")))
	if p.Slots != 1 || p.Description != "the GPUs" || p.OpenSlots != 0 {
		t.Errorf("gpu after slots=1: %+v (open_slots never below 0)", p)
	}
	p = jsonOf[pool](t, e.want(http.StatusOK, "PATCH", "/api/v1/pools/gpu", `{"name":"gpu","description":"two GPUs"}`, e.as("op")))
	if p.Slots != 1 || p.Description != "two GPUs" {
		t.Errorf("gpu after a new description: %+v", p)
	}
	e.problem(http.StatusBadRequest, "PATCH", "/api/v1/pools/gpu", `{"name":"tpu"}`, e.as("op"), "cannot be renamed")
	e.problem(http.StatusBadRequest, "PATCH", "/api/v1/pools/gpu", `{"slots":-5}`, e.as("op"), "slots")
	e.problem(http.StatusNotFound, "PATCH", "/api/v1/pools/nope", `{"slots":1}`, e.as("op"), `pool "nope" not found`)
	checkPagination(t, e, "/api/v1/pools", func(r resp) (int, int) { l := jsonOf[poolList](t, r); return len(l.Pools), l.Total })
	var names []string
	for _, p := range get[poolList](e, "/api/v1/pools?offset=1&limit=2").Pools {
		names = append(names, p.Name)
	}
	all := get[poolList](e, "/api/v1/pools")
	if all.Total != 4 || !reflect.DeepEqual(names, []string{all.Pools[1].Name, all.Pools[2].Name}) {
		t.Errorf("pools %+v, page %v", all, names)
	}
	// Delete.
	e.want(http.StatusNoContent, "DELETE", "/api/v1/pools/net", "", e.as("op"))
	e.problem(http.StatusNotFound, "GET", "/api/v1/pools/net", "", e.as("viewer"))
	e.problem(http.StatusNotFound, "DELETE", "/api/v1/pools/net", "", e.as("op"), `pool "net" not found`)
	e.problem(http.StatusBadRequest, "DELETE", "/api/v1/pools/default_pool", "", e.as("op"), "cannot be deleted")
}

type variable struct {
	Key         string `json:"key"`
	Value       string `json:"value"`
	Description string `json:"description"`
}

func TestVariables(t *testing.T) {
	e := newEnv(t, nil)
	v := jsonOf[variable](t, e.want(http.StatusOK, "POST", "/api/v1/variables", `{"key":"bucket","value":"s3://x","description":"where"}`, e.as("op")))
	if v != (variable{"bucket", "s3://x", "where"}) {
		t.Errorf("created %+v", v)
	}
	e.want(http.StatusOK, "POST", "/api/v1/variables", `{"key":"empty","value":""}`, e.as("op"))
	e.want(http.StatusOK, "POST", "/api/v1/variables", `{"key":"json","value":"{\"a\": [1, 2]}"}`, e.as("op"))
	if got := get[variable](e, "/api/v1/variables/json"); got.Value != `{"a": [1, 2]}` {
		t.Errorf("a JSON value is kept as text: %q", got.Value)
	}
	if got := get[variable](e, "/api/v1/variables/bucket"); got != v {
		t.Errorf("GET bucket: %+v", got)
	}
	// POST of an existing key replaces it (as `wasmflow variables set`).
	e.want(http.StatusOK, "POST", "/api/v1/variables", `{"key":"bucket","value":"s3://y"}`, e.as("op"))
	if got := get[variable](e, "/api/v1/variables/bucket"); got.Value != "s3://y" {
		t.Errorf("bucket after a second POST: %+v", got)
	}
	v = jsonOf[variable](t, e.want(http.StatusOK, "PATCH", "/api/v1/variables/bucket", `{"description":"the bucket"}`, e.as("op")))
	if v.Value != "s3://y" || v.Description != "the bucket" {
		t.Errorf("PATCH description: %+v", v)
	}
	v = jsonOf[variable](t, e.want(http.StatusOK, "PATCH", "/api/v1/variables/bucket", `{"key":"bucket","value":"s3://z"}`, e.as("op")))
	if v.Value != "s3://z" || v.Description != "the bucket" {
		t.Errorf("PATCH value: %+v", v)
	}
	for _, c := range []struct {
		status       int
		method, path string
		body, says   string
	}{
		{http.StatusBadRequest, "POST", "/api/v1/variables", `{"key":"x"}`, `needs "key" and "value"`},
		{http.StatusBadRequest, "POST", "/api/v1/variables", `{"value":"x"}`, `needs "key" and "value"`},
		{http.StatusBadRequest, "POST", "/api/v1/variables", `{"key":"  ","value":"x"}`, "non-empty key"},
		{http.StatusBadRequest, "POST", "/api/v1/variables", `{"key":"x","value":5}`, "not valid JSON"},
		{http.StatusBadRequest, "PATCH", "/api/v1/variables/bucket", `{"key":"pail"}`, "cannot be renamed"},
		{http.StatusNotFound, "PATCH", "/api/v1/variables/nope", `{"value":"x"}`, `variable "nope" not found`},
		{http.StatusNotFound, "GET", "/api/v1/variables/nope", ``, `variable "nope" not found`},
		{http.StatusNotFound, "DELETE", "/api/v1/variables/nope", ``, `variable "nope" not found`},
	} {
		e.problem(c.status, c.method, c.path, c.body, e.as("op"), c.says)
	}
	checkPagination(t, e, "/api/v1/variables", func(r resp) (int, int) {
		l := jsonOf[struct {
			Variables []variable `json:"variables"`
			Total     int        `json:"total_entries"`
		}](t, r)
		return len(l.Variables), l.Total
	})
	l := get[struct {
		Variables []variable `json:"variables"`
	}](e, "/api/v1/variables")
	var keys []string
	for _, v := range l.Variables {
		keys = append(keys, v.Key)
	}
	if !reflect.DeepEqual(keys, []string{"bucket", "empty", "json"}) {
		t.Errorf("variables by key: %v", keys)
	}
	e.want(http.StatusNoContent, "DELETE", "/api/v1/variables/empty", "", e.as("op"))
	e.problem(http.StatusNotFound, "GET", "/api/v1/variables/empty", "", e.as("op"))
	// Variables are the Op's: a User does not read them (docs/api.md).
	if r := e.call("GET", "/api/v1/variables/bucket", "", e.as("user")); r.status != http.StatusForbidden {
		t.Errorf("a User reads variables: %d", r.status)
	}
}

type userInfo struct {
	Username  string `json:"username"`
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Roles     []struct {
		Name string `json:"name"`
	} `json:"roles"`
	Active    bool       `json:"active"`
	CreatedOn time.Time  `json:"created_on"`
	LastLogin *time.Time `json:"last_login"`
}

func TestUsers(t *testing.T) {
	e := newEnv(t, nil)
	l := jsonOf[struct {
		Users []userInfo `json:"users"`
		Total int        `json:"total_entries"`
	}](t, e.want(http.StatusOK, "GET", "/api/v1/users", "", e.as("admin")))
	var names []string
	for _, u := range l.Users {
		names = append(names, u.Username+":"+u.Roles[0].Name)
	}
	if !reflect.DeepEqual(names, []string{"admin:Admin", "op:Op", "user:User", "viewer:Viewer"}) || l.Total != 4 {
		t.Errorf("users: %v (%d)", names, l.Total)
	}
	if l.Users[0].LastLogin != nil || !l.Users[0].Active || l.Users[0].CreatedOn.IsZero() {
		t.Errorf("admin before any login: %+v", l.Users[0])
	}
	u := jsonOf[userInfo](t, e.want(http.StatusOK, "POST", "/api/v1/users",
		`{"username":"ann","password":"ann-pw-123456","role":"op","email":"ann@example.com","first_name":"Ann","last_name":"Lee"}`, e.as("admin")))
	if u.Username != "ann" || u.Roles[0].Name != "Op" || u.Email != "ann@example.com" || u.FirstName != "Ann" || u.LastName != "Lee" || !u.Active {
		t.Errorf("created user: %+v", u)
	}
	// ann logs in with her password and has her role.
	s := e.login("ann", "ann-pw-123456")
	me := jsonOf[map[string]any](t, e.want(http.StatusOK, "GET", "/api/v1/auth/me", "", s.auth()))
	if me["role"] != "Op" || me["username"] != "ann" {
		t.Errorf("ann's /auth/me: %v", me)
	}
	if u := get[userInfo](e, "/api/v1/users/ann"); u.LastLogin == nil || time.Since(*u.LastLogin) > time.Minute {
		t.Errorf("ann's last_login after logging in: %v", u.LastLogin)
	}
	for _, c := range []struct {
		body, says string
	}{
		{`{"username":"bob","password":"short","role":"Viewer"}`, "the password has 5 characters; a password has at least 8"},
		{`{"username":"bob","password":"p","role":"Superuser"}`, `role "Superuser" is not one of`},
		{`{"username":"bob","role":"Viewer"}`, "needs a password"},
		{`{"username":"","password":"p","role":"Viewer"}`, "needs a username"},
		{`{"username":"bob","password":"` + strings.Repeat("x", 73) + `","role":"Viewer"}`, "longer than 72 bytes"},
		{`{"username":"bob","password":"p","role":"Viewer","roles":[{"name":"Admin"}]}`, `role "Viewer" and roles ["Admin"] differ`},
	} {
		e.problem(http.StatusBadRequest, "POST", "/api/v1/users", c.body, e.as("admin"), c.says)
	}
	// A taken name is a conflict (Airflow's 409), saying what changes the user instead.
	e.problem(http.StatusConflict, "POST", "/api/v1/users", `{"username":"ann","password":"p-long-enough","role":"Viewer"}`, e.as("admin"), "already exists", "PATCH /api/v1/users/ann")
	e.problem(http.StatusNotFound, "GET", "/api/v1/users/bob", "", e.as("admin"), `user "bob" not found`)
	checkPagination(t, e, "/api/v1/users", func(r resp) (int, int) {
		l := jsonOf[struct {
			Users []userInfo `json:"users"`
			Total int        `json:"total_entries"`
		}](t, r)
		return len(l.Users), l.Total
	})
	e.want(http.StatusNoContent, "DELETE", "/api/v1/users/ann", "", e.as("admin"))
	e.problem(http.StatusNotFound, "GET", "/api/v1/users/ann", "", e.as("admin"))
	e.problem(http.StatusNotFound, "DELETE", "/api/v1/users/ann", "", e.as("admin"), `user "ann" not found`)
	e.problem(http.StatusUnauthorized, "GET", "/api/v1/auth/me", "", s.auth())
	e.problem(http.StatusBadRequest, "DELETE", "/api/v1/users/admin", "", e.as("admin"), "cannot delete yourself")
}

func TestEventLogs(t *testing.T) {
	e := newEnv(t, nil)
	for i := 0; i < 7; i++ {
		e.want(http.StatusOK, "POST", "/api/v1/variables", `{"key":"k`+strconv.Itoa(i)+`","value":"v"}`, e.as("op"))
	}
	type eventLog struct {
		ID    int64     `json:"event_log_id"`
		When  time.Time `json:"when"`
		Event string    `json:"event"`
		Owner string    `json:"owner"`
		DagID string    `json:"dag_id"`
		RunID string    `json:"run_id"`
		Extra string    `json:"extra"`
	}
	type list struct {
		EventLogs []eventLog `json:"event_logs"`
		Total     int        `json:"total_entries"`
	}
	all := jsonOf[list](t, e.want(http.StatusOK, "GET", "/api/v1/eventLogs", "", e.as("admin")))
	// 4 user creations by the test, 7 variables by op.
	if all.Total != 11 || len(all.EventLogs) != 11 {
		t.Fatalf("event logs: %d of %d, want 11", len(all.EventLogs), all.Total)
	}
	newest := all.EventLogs[0]
	if newest.Event != "variable.set" || newest.Owner != "op" || newest.Extra != "k6" || newest.ID == 0 || time.Since(newest.When) > time.Minute {
		t.Errorf("newest event: %+v", newest)
	}
	for i := 1; i < len(all.EventLogs); i++ {
		if all.EventLogs[i].When.After(all.EventLogs[i-1].When) {
			t.Errorf("event logs not newest first at %d", i)
		}
	}
	// total_entries is every event, not the page.
	checkPagination(t, e, "/api/v1/eventLogs", func(r resp) (int, int) { l := jsonOf[list](t, r); return len(l.EventLogs), l.Total })
	page := get[list](e, "/api/v1/eventLogs?limit=3&offset=2")
	if len(page.EventLogs) != 3 || page.EventLogs[0].ID != all.EventLogs[2].ID || page.Total != 11 {
		t.Errorf("limit=3&offset=2: %+v, want events 2..4 of 11", page)
	}
}

func TestHealthVersionMeMembers(t *testing.T) {
	e := newEnv(t, nil)
	type health struct {
		Metadatabase struct{ Status string } `json:"metadatabase"`
		Scheduler    struct{ Status string } `json:"scheduler"`
	}
	h := jsonOf[health](t, e.want(http.StatusOK, "GET", "/api/v1/health", "", nil))
	if h.Metadatabase.Status != "healthy" || h.Scheduler.Status != "unhealthy" {
		t.Errorf("health without a scheduler: %+v", h)
	}
	v := jsonOf[map[string]string](t, e.want(http.StatusOK, "GET", "/api/v1/version", "", nil))
	if v["version"] != app.Version || v["git_version"] != app.Commit() {
		t.Errorf("version: %v", v)
	}
	me := jsonOf[map[string]string](t, e.want(http.StatusOK, "GET", "/api/v1/auth/me", "", e.as("viewer")))
	if !reflect.DeepEqual(me, map[string]string{"username": "viewer", "role": "Viewer", "csrf_token": ""}) {
		t.Errorf("auth/me with a token: %v (a token needs no CSRF token)", me)
	}
	me = jsonOf[map[string]string](t, e.want(http.StatusOK, "GET", "/api/v1/auth/me", "", basic("op", passwordOf("op"))))
	if me["username"] != "op" || me["role"] != "Op" {
		t.Errorf("auth/me with basic auth: %v", me)
	}
	// A standalone process dispatches to no cluster: no members, nothing waiting.
	m := jsonOf[map[string][]any](t, e.want(http.StatusOK, "GET", "/api/v1/cluster/members", "", e.as("viewer")))
	if m["members"] == nil || len(m["members"]) != 0 || m["waiting"] == nil || len(m["waiting"]) != 0 {
		t.Errorf("cluster members of a standalone: %v", m)
	}
	e.startScheduler()
	if h := get[health](e, "/api/v1/health"); h.Scheduler.Status != "healthy" {
		t.Errorf("health with the scheduler running: %+v", h)
	}
	// Login bodies are checked.
	e.problem(http.StatusBadRequest, "POST", "/api/v1/auth/login", `{"username":"op"`, nil, "not valid JSON")
	e.problem(http.StatusUnauthorized, "POST", "/api/v1/auth/login", `{"username":"op"}`, nil, "wrong user name or password")
}
