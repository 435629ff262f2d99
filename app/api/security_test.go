package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/wasmflow/wasmflow/app/api"
	"github.com/wasmflow/wasmflow/tasks"
)

// documented is docs/api.md's table: the role each endpoint needs (Public: none). The route
// table must serve exactly these, each with this role.
var documented = map[string]api.Role{
	"GET /api/v1/health":                                                                              api.Public,
	"GET /api/v1/version":                                                                             api.Public,
	"GET /api/v1/openapi.json":                                                                        api.Public,
	"POST /api/v1/auth/login":                                                                         api.Public,
	"POST /api/v1/auth/logout":                                                                        api.Public,
	"GET /api/v1/auth/me":                                                                             api.Viewer,
	"GET /api/v1/dags":                                                                                api.Viewer,
	"GET /api/v1/ui/dags":                                                                             api.Viewer,
	"GET /api/v1/dags/{dag_id}":                                                                       api.Viewer,
	"GET /api/v1/dags/{dag_id}/details":                                                               api.Viewer,
	"PATCH /api/v1/dags/{dag_id}":                                                                     api.User,
	"GET /api/v1/dags/{dag_id}/tasks":                                                                 api.Viewer,
	"GET /api/v1/dags/{dag_id}/source":                                                                api.Viewer,
	"GET /api/v1/dags/{dag_id}/grid":                                                                  api.Viewer,
	"GET /api/v1/dags/{dag_id}/calendar":                                                              api.Viewer,
	"GET /api/v1/importErrors":                                                                        api.Viewer,
	"GET /api/v1/importErrors/{import_error_id}":                                                      api.Viewer,
	"GET /api/v1/dags/{dag_id}/dagRuns":                                                               api.Viewer,
	"POST /api/v1/dags/{dag_id}/dagRuns":                                                              api.User,
	"GET /api/v1/dags/{dag_id}/dagRuns/{dag_run_id}":                                                  api.Viewer,
	"PATCH /api/v1/dags/{dag_id}/dagRuns/{dag_run_id}":                                                api.User,
	"POST /api/v1/dags/{dag_id}/clearTaskInstances":                                                   api.User,
	"GET /api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances":                                    api.Viewer,
	"GET /api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}":                          api.Viewer,
	"PATCH /api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}":                        api.User,
	"GET /api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/tries":                    api.Viewer,
	"POST /api/v1/dags/~/dagRuns/list":                                                                api.Viewer,
	"POST /api/v1/dags/~/dagRuns/~/taskInstances/list":                                                api.Viewer,
	"PATCH /api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}":            api.User,
	"GET /api/v1/dagSources/{file_token}":                                                             api.Viewer,
	"POST /api/v1/dags/{dag_id}/updateTaskInstancesState":                                             api.User,
	"PATCH /api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/setNote":                                        api.User,
	"PATCH /api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/setNote":                api.User,
	"PATCH /api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}/setNote":    api.User,
	"GET /api/v1/dagWarnings":                                                                         api.Viewer,
	"PATCH /api/v1/dags":                                                                              api.User,
	"DELETE /api/v1/dags/{dag_id}":                                                                    api.Op,
	"GET /api/v1/dags/{dag_id}/tasks/{task_id}":                                                       api.Viewer,
	"DELETE /api/v1/dags/{dag_id}/dagRuns/{dag_run_id}":                                               api.Op,
	"POST /api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/clear":                                           api.User,
	"GET /api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/xcomEntries/{xcom_key}":   api.Viewer,
	"GET /api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/links":                    api.Viewer,
	"GET /api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/logs/{try_number}":        api.Viewer,
	"GET /api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/logs/{try_number}/stream": api.Viewer,
	"GET /api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/xcomEntries":              api.Viewer,
	"GET /api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/listMapped":               api.Viewer,
	"GET /api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}":              api.Viewer,
	"GET /api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/upstreamDatasetEvents":                            api.Viewer,
	"GET /api/v1/datasets":                                                                            api.Viewer,
	"GET /api/v1/datasets/events":                                                                     api.Viewer,
	"GET /api/v1/datasets/{uri...}":                                                                   api.Viewer,
	"GET /api/v1/pools":                                                                               api.Viewer,
	"POST /api/v1/pools":                                                                              api.Op,
	"GET /api/v1/pools/{name}":                                                                        api.Viewer,
	"PATCH /api/v1/pools/{name}":                                                                      api.Op,
	"DELETE /api/v1/pools/{name}":                                                                     api.Op,
	"GET /api/v1/connections":                                                                         api.Viewer,
	"POST /api/v1/connections":                                                                        api.Op,
	"POST /api/v1/connections/test":                                                                   api.Op,
	"GET /api/v1/connections/{connection_id}":                                                         api.Viewer,
	"PATCH /api/v1/connections/{connection_id}":                                                       api.Op,
	"DELETE /api/v1/connections/{connection_id}":                                                      api.Op,
	"GET /api/v1/variables":                                                                           api.Op,
	"POST /api/v1/variables":                                                                          api.Op,
	"GET /api/v1/variables/{key}":                                                                     api.Op,
	"PATCH /api/v1/variables/{key}":                                                                   api.Op,
	"DELETE /api/v1/variables/{key}":                                                                  api.Op,
	"GET /api/v1/users":                                                                               api.Admin,
	"POST /api/v1/users":                                                                              api.Admin,
	"GET /api/v1/users/{username}":                                                                    api.Admin,
	"PATCH /api/v1/users/{username}":                                                                  api.Admin,
	"DELETE /api/v1/users/{username}":                                                                 api.Admin,
	"GET /api/v1/roles":                                                                               api.Admin,
	"POST /api/v1/roles":                                                                              api.Admin,
	"GET /api/v1/roles/{role_name}":                                                                   api.Admin,
	"PATCH /api/v1/roles/{role_name}":                                                                 api.Admin,
	"DELETE /api/v1/roles/{role_name}":                                                                api.Admin,
	"GET /api/v1/permissions":                                                                         api.Admin,
	"GET /api/v1/eventLogs":                                                                           api.Admin,
	"GET /api/v1/eventLogs/{event_log_id}":                                                            api.Admin,
	"GET /api/v1/config":                                                                              api.Op,
	"GET /api/v1/plugins":                                                                             api.Viewer,
	"GET /api/v1/providers":                                                                           api.Op,
	"GET /api/v1/cluster/members":                                                                     api.Viewer,
	"GET /api/v1/events":                                                                              api.Viewer,
	"GET /api/v1/slaMisses":                                                                           api.Viewer,
	"GET /api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/callbacks":                                        api.Viewer,
	"GET /api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/callbacks/{callback_id}/log":                      api.Viewer,
}

var roleOf = map[string]api.Role{"viewer": api.Viewer, "user": api.User, "op": api.Op, "admin": api.Admin}

// concrete fills a route's path parameters with values that exist in a seeded env (or, for
// pools, variables, connections and users, that do not: an allowed DELETE must not remove a fixture).
func concrete(path string) string {
	return strings.NewReplacer("{dag_id}", "pipe", "{dag_run_id}", "r1", "{task_id}", "extract", "{try_number}", "1",
		"{name}", "no_such_pool", "{key}", "no_such_key", "{connection_id}", "no_such_conn", "{username}", "no_such_user",
		"{role_name}", "Viewer", "{event_log_id}", "999999", "{import_error_id}", "999999", "{callback_id}", "1").Replace(path)
}

// status sends a request (empty body) and answers its status as soon as the headers arrive,
// then hangs up: event streams never end by themselves.
func (e *env) status(method, path string, a auth) int {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, e.ts.URL+path, strings.NewReader(""))
	if err != nil {
		e.t.Fatal(err)
	}
	if a != nil {
		a(req)
	}
	res, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	res.Body.Close()
	return res.StatusCode
}

func TestRouteTableIsTheDocumentedOne(t *testing.T) {
	e := newEnv(t, nil)
	seen := map[string]bool{}
	for _, rt := range e.srv.RouteTable() {
		k := rt.Method + " " + rt.Path
		seen[k] = true
		want, ok := documented[k]
		switch {
		case !ok:
			t.Errorf("%s is served but not in docs/api.md's table (nor in this test's copy of it)", k)
		case want != rt.Role:
			t.Errorf("%s needs %s, docs/api.md says %s", k, rt.Role, want)
		}
	}
	for k := range documented {
		if !seen[k] {
			t.Errorf("docs/api.md lists %s, which is not served", k)
		}
	}
	// The OpenAPI description is built from the same table: every route is in it, with its
	// security (none for the public ones).
	doc := get[struct {
		Paths map[string]map[string]struct {
			Security []map[string][]string `json:"security"`
		} `json:"paths"`
	}](e, "/api/v1/openapi.json")
	for _, rt := range e.srv.RouteTable() {
		op, ok := doc.Paths[rt.Path][strings.ToLower(rt.Method)]
		if !ok {
			t.Errorf("openapi.json misses %s %s", rt.Method, rt.Path)
			continue
		}
		if (rt.Role == api.Public) != (len(op.Security) == 0) {
			t.Errorf("openapi.json: %s %s has security %v for role %s", rt.Method, rt.Path, op.Security, rt.Role)
		}
	}
}

func TestNoEndpointWithoutCredentials(t *testing.T) {
	e := newEnv(t, nil)
	seedRun(t, e.app.Store, e.app.Config.LogsFolder(), "pipe", "r1", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), tasks.StateSuccess, 1, "extract", "transform", "load")
	other := t.TempDir() // a token signed with another home's key
	forged, _, err := api.IssueToken(other, "admin", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string]auth{
		"no credentials":      nil,
		"garbage bearer":      bearer("wf1.garbage"),
		"foreign key token":   bearer(forged),
		"garbage cookie":      func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "wasmflow_session", Value: "x.y"}) },
		"unknown auth scheme": func(r *http.Request) { r.Header.Set("Authorization", "Token "+e.tokens["admin"]) },
	}
	public := 0
	for i, rt := range e.srv.RouteTable() {
		path := concrete(rt.Path)
		if rt.Role == api.Public {
			public++
			if code := e.status(rt.Method, path, nil); code == http.StatusUnauthorized || code == http.StatusForbidden {
				t.Errorf("public %s %s answers %d without credentials", rt.Method, path, code)
			}
			continue
		}
		// Wrong basic auth passwords count as failed logins: five a minute per name would
		// lock the name out (429), so each route gets names of its own.
		bad["unknown user"] = basic("nobody-"+strconv.Itoa(i), "whatever")
		bad["wrong password"] = basic(users[i%len(users)].name, "not-the-password")
		if i >= 4*len(users) {
			delete(bad, "wrong password")
		}
		for name, a := range bad {
			r := e.call(rt.Method, path, "", a)
			checkProblem(t, name+": "+rt.Method+" "+path, r, http.StatusUnauthorized)
			if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic ") {
				t.Errorf("%s: %s %s: no WWW-Authenticate: Basic header (curl -u needs it)", name, rt.Method, path)
			}
		}
	}
	if public != 5 {
		t.Errorf("%d public routes; docs/api.md has 5 (health, version, openapi.json, login, logout)", public)
	}
	// Unknown paths answer 404 without saying more, with or without credentials; a method a
	// path does not serve, 405 with what it does (the public openapi.json says as much).
	e.problem(http.StatusNotFound, "GET", "/api/v1/nothing_here", "", nil, "openapi.json")
	e.problem(http.StatusMethodNotAllowed, "PUT", "/api/v1/dags", "", nil, "GET")
}

func TestRolesOnEveryRoute(t *testing.T) {
	e := newEnv(t, nil)
	e.app.Config.API.ExposeConfig = true // else GET /config is 403 for every role
	seedRun(t, e.app.Store, e.app.Config.LogsFolder(), "pipe", "r1", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), tasks.StateSuccess, 1, "extract", "transform", "load")
	for _, rt := range e.srv.RouteTable() {
		if rt.Role == api.Public {
			continue
		}
		path := concrete(rt.Path)
		for _, u := range users {
			// By bearer token; basic auth gives the same role (checked below on a few
			// routes only: each costs a bcrypt).
			code := e.status(rt.Method, path, e.as(u.name))
			if roleOf[u.name] < rt.Role {
				if code != http.StatusForbidden {
					t.Errorf("%s (%s) %s %s: %d, want 403 (needs %s)", u.name, u.role, rt.Method, path, code, rt.Role)
				}
				continue
			}
			if code == http.StatusUnauthorized || code == http.StatusForbidden {
				t.Errorf("%s (%s) %s %s: %d, but the role may", u.name, u.role, rt.Method, path, code)
			}
		}
	}
	// The 403 says which role is needed, and basic auth gives the same role as a token.
	e.problem(http.StatusForbidden, "GET", "/api/v1/users", "", basic("op", passwordOf("op")), "needs the Admin role", "op is Op")
	e.want(http.StatusOK, "GET", "/api/v1/users", "", basic("admin", passwordOf("admin")))
	e.problem(http.StatusForbidden, "GET", "/api/v1/variables", "", basic("user", passwordOf("user")), "needs the Op role")
	e.want(http.StatusOK, "GET", "/api/v1/variables", "", basic("op", passwordOf("op")))
}

func TestViewerCannotTriggerClearMarkOrPause(t *testing.T) {
	e := newEnv(t, nil)
	seedRun(t, e.app.Store, "", "pipe", "r1", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), tasks.StateFailed, 1, "extract", "transform", "load")
	s := e.login("viewer", passwordOf("viewer"))
	for name, a := range map[string]auth{"token": e.as("viewer"), "basic": basic("viewer", passwordOf("viewer")), "session": s.auth()} {
		for _, c := range []struct{ method, path, body string }{
			{"POST", "/api/v1/dags/pipe/dagRuns", `{"dag_run_id":"by_viewer"}`},
			{"POST", "/api/v1/dags/pipe/clearTaskInstances", `{"dag_run_id":"r1","dry_run":false}`},
			{"PATCH", "/api/v1/dags/pipe/dagRuns/r1", `{"state":"success"}`},
			{"PATCH", "/api/v1/dags/pipe/dagRuns/r1/taskInstances/load", `{"new_state":"success"}`},
			{"PATCH", "/api/v1/dags/pipe", `{"is_paused":true}`},
		} {
			checkProblem(t, "viewer by "+name+": "+c.method+" "+c.path, e.call(c.method, c.path, c.body, a), http.StatusForbidden, "needs the User role", "viewer is Viewer")
		}
	}
	// Nothing changed: no run was made, r1 and its tasks are still failed, pipe not paused.
	runs := get[struct {
		DagRuns []dagRun `json:"dag_runs"`
		Total   int      `json:"total_entries"`
	}](e, "/api/v1/dags/pipe/dagRuns")
	if runs.Total != 1 || runs.DagRuns[0].DagRunID != "r1" || runs.DagRuns[0].State != "failed" {
		t.Errorf("after the viewer's attempts, pipe's runs are %+v", runs)
	}
	for id, ti := range e.tis("pipe", "r1") {
		if stateOf(ti) != "failed" || ti.TryNumber != 1 {
			t.Errorf("task %s became %s try %d", id, stateOf(ti), ti.TryNumber)
		}
	}
	if d := get[map[string]any](e, "/api/v1/dags/pipe"); d["is_paused"] != false {
		t.Errorf("the viewer paused pipe: %v", d["is_paused"])
	}
	// The viewer still reads.
	e.want(http.StatusOK, "GET", "/api/v1/dags/pipe/dagRuns/r1/taskInstances", "", s.auth())
}

func TestCSRF(t *testing.T) {
	e := newEnv(t, nil)
	s := e.login("admin", passwordOf("admin"))
	other := e.login("op", passwordOf("op"))
	if s.csrf == other.csrf {
		t.Fatal("two sessions have the same CSRF token")
	}
	// /auth/me gives the same token the login gave, so a reloaded page can find it again.
	me := jsonOf[map[string]any](t, e.want(http.StatusOK, "GET", "/api/v1/auth/me", "", s.with("")))
	if me["csrf_token"] != s.csrf || me["username"] != "admin" || me["role"] != "Admin" {
		t.Errorf("auth/me = %v, want admin, Admin and the login's csrf_token", me)
	}
	changes := []struct{ method, path, body string }{
		{"POST", "/api/v1/variables", `{"key":"k1","value":"v1"}`},
		{"PATCH", "/api/v1/variables/k0", `{"value":"changed"}`},
		{"DELETE", "/api/v1/variables/k0", ""},
		{"POST", "/api/v1/dags/pipe/dagRuns", `{"dag_run_id":"csrf_run"}`},
		{"PATCH", "/api/v1/dags/pipe", `{"is_paused":true}`},
		{"POST", "/api/v1/pools", `{"name":"p1","slots":3}`},
	}
	e.want(http.StatusOK, "POST", "/api/v1/variables", `{"key":"k0","value":"v0"}`, e.as("admin"))
	for _, c := range changes {
		for name, a := range map[string]auth{
			"no header":               s.with(""),
			"wrong header":            s.with("not-the-token"),
			"another session's token": s.with(other.csrf),
			"the token of no session": s.with(strings.Repeat("A", len(s.csrf))),
		} {
			checkProblem(t, name+": "+c.method+" "+c.path, e.call(c.method, c.path, c.body, a), http.StatusForbidden, "X-CSRF-Token")
		}
	}
	// Nothing of it happened.
	if v := get[map[string]any](e, "/api/v1/variables/k0"); v["value"] != "v0" {
		t.Errorf("a refused PATCH changed k0: %v", v)
	}
	e.want(http.StatusNotFound, "GET", "/api/v1/variables/k1", "", e.as("admin"))
	e.want(http.StatusNotFound, "GET", "/api/v1/dags/pipe/dagRuns/csrf_run", "", e.as("admin"))
	e.want(http.StatusNotFound, "GET", "/api/v1/pools/p1", "", e.as("admin"))
	// With the right token, each is allowed.
	for _, c := range changes {
		if r := e.call(c.method, c.path, c.body, s.auth()); r.status >= 300 {
			t.Errorf("%s %s with the session's CSRF token: %d %s", c.method, c.path, r.status, r.body)
		}
	}
	e.want(http.StatusNotFound, "GET", "/api/v1/variables/k0", "", e.as("admin"))
	e.want(http.StatusOK, "GET", "/api/v1/dags/pipe/dagRuns/csrf_run", "", e.as("admin"))
	// Reads need no token; tokens and basic auth need none for changes (a browser does not
	// send them by itself).
	e.want(http.StatusOK, "GET", "/api/v1/variables", "", s.with(""))
	e.want(http.StatusOK, "POST", "/api/v1/variables", `{"key":"k2","value":"v"}`, e.as("op"))
	e.want(http.StatusOK, "POST", "/api/v1/variables", `{"key":"k3","value":"v"}`, basic("op", passwordOf("op")))
	// The session cookie is HttpOnly and SameSite=Strict.
	r := e.want(http.StatusOK, "POST", "/api/v1/auth/login", `{"username":"viewer","password":"`+passwordOf("viewer")+`"}`, nil)
	set := r.header.Get("Set-Cookie")
	for _, w := range []string{"wasmflow_session=", "HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(set, w) {
			t.Errorf("Set-Cookie %q misses %s", set, w)
		}
	}
}

func TestPathTraversalInLogsAndSources(t *testing.T) {
	e := newEnv(t, nil)
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	seedRun(t, e.app.Store, e.app.Config.LogsFolder(), "pipe", "r1", at, tasks.StateSuccess, 1, "extract", "transform", "load")
	// Secrets where a path joined from request parts with ".." would land: the home, the
	// logs folder, a DAG's log folder, and /etc/passwd-like places under the home.
	const secret = "TOP-SECRET-6f1c"
	logs := e.app.Config.LogsFolder()
	for _, p := range []string{
		filepath.Join(e.home, "secret.txt"), filepath.Join(e.home, "1.log"), filepath.Join(logs, "1.log"),
		filepath.Join(logs, "pipe", "1.log"), filepath.Join(logs, "pipe", "r1", "1.log"),
		filepath.Join(e.home, "etc", "passwd"), filepath.Join(e.home, "dags", "secret.yaml.bak"),
	} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, p, secret+"\n")
	}
	// The legitimate log is served.
	ok := e.want(http.StatusOK, "GET", "/api/v1/dags/pipe/dagRuns/r1/taskInstances/extract/logs/1", "", e.as("viewer"))
	if string(ok.body) != "log of extract\n" || ok.header.Get("X-Log-Offset") != strconv.Itoa(len("log of extract\n")) {
		t.Fatalf("the log of extract: %q, X-Log-Offset %q", ok.body, ok.header.Get("X-Log-Offset"))
	}
	base := "/api/v1/dags/pipe/dagRuns/r1/taskInstances/"
	attacks := []string{
		base + "..%2F..%2F..%2F..%2Fetc%2Fpasswd/logs/1",
		base + "..%2F..%2Fsecret.txt/logs/1",
		base + "../../../secret.txt/logs/1",
		base + "%2E%2E/logs/1",
		base + "extract/logs/..%2F..%2Fx",
		base + "extract/logs/../../x",
		base + "extract/logs/-1",
		base + "extract/logs/0",
		base + "extract/logs/2",
		base + "extract/logs/1%2F..%2F..%2F..%2F1",
		base + "extract/logs/1/stream?offset=-5",
		base + "extract/logs/1?offset=abc",
		"/api/v1/dags/pipe/dagRuns/..%2F..%2F/taskInstances/extract/logs/1",
		"/api/v1/dags/pipe/dagRuns/../../x/taskInstances/extract/logs/1",
		"/api/v1/dags/pipe/dagRuns/..%2F/taskInstances/..%2F/logs/1",
		"/api/v1/dags/..%2Fpipe/dagRuns/r1/taskInstances/extract/logs/1",
		"/api/v1/dags/..%2F..%2Fsecret.txt/source",
		"/api/v1/dags/..%2Fdags%2Fsecret.yaml.bak/source",
		"/api/v1/dags/../../etc/passwd/source",
		"/api/v1/dags/pipe/dagRuns/r1/taskInstances/..%2F..%2F..%2F1.log/xcomEntries",
	}
	for _, path := range attacks {
		r := e.call("GET", path, "", e.as("admin"))
		if r.status != http.StatusNotFound && r.status != http.StatusBadRequest {
			t.Errorf("GET %s: %d, want 404 or 400: %s", path, r.status, r.body)
		}
		if strings.Contains(string(r.body), secret) || strings.Contains(string(r.body), "log of") {
			t.Errorf("GET %s returned a file: %s", path, r.body)
		}
	}
	// try_number is checked as a number, with a message that says so.
	e.problem(http.StatusBadRequest, "GET", base+"extract/logs/..%2F..%2Fx", "", e.as("admin"), "try_number must be a number")
	e.problem(http.StatusNotFound, "GET", base+"extract/logs/2", "", e.as("admin"), "no try 2")

	// The static views: only files of the assets, never the home.
	srv, err := api.New(e.app, api.Options{Assets: fstest.MapFS{"index.html": {Data: []byte("<html>index</html>")}, "assets/app.js": {Data: []byte("js")}}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	views := *e
	views.ts = ts
	for _, path := range []string{"/..%2F..%2Fsecret.txt", "/assets/..%2F..%2F..%2Fsecret.txt", "/../secret.txt", "/%2e%2e/%2e%2e/etc/passwd"} {
		r := views.call("GET", path, "", nil)
		if strings.Contains(string(r.body), secret) {
			t.Errorf("GET %s on the views returned a file of the home: %s", path, r.body)
		}
	}
	if r := views.want(http.StatusOK, "GET", "/assets/app.js", "", nil); string(r.body) != "js" || !strings.Contains(r.header.Get("Cache-Control"), "immutable") {
		t.Errorf("assets/app.js: %q %v", r.body, r.header)
	}
	if r := views.want(http.StatusOK, "GET", "/runs/deep/link", "", nil); !strings.Contains(string(r.body), "index") {
		t.Errorf("a deep link does not get index.html: %q", r.body)
	}
	views.problem(http.StatusMethodNotAllowed, "POST", "/index.html", "", nil)
	// Security headers on everything.
	r := views.call("GET", "/", "", nil)
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"} {
		if r.header.Get(h) != want {
			t.Errorf("%s = %q, want %q", h, r.header.Get(h), want)
		}
	}
	if !regexp.MustCompile(`frame-ancestors 'none'`).MatchString(r.header.Get("Content-Security-Policy")) {
		t.Errorf("Content-Security-Policy %q", r.header.Get("Content-Security-Policy"))
	}
}
