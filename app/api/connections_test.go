package api_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/wasmflow/wasmflow/scheduler/metastore"
)

const (
	connPassword = "conn-pw-Xy7Qm2"   // never in an answer, a log line or the audit log
	connToken    = "conn-tok-Bn4Kd8w" // a secret in extra: masked as ***
)

type connection struct {
	ConnectionID string  `json:"connection_id"`
	ConnType     string  `json:"conn_type"`
	Description  string  `json:"description"`
	Host         string  `json:"host"`
	Login        string  `json:"login"`
	Schema       string  `json:"schema"`
	Port         *int    `json:"port"`
	Extra        *string `json:"extra"`
}

type connectionList struct {
	Connections []connection `json:"connections"`
	Total       int          `json:"total_entries"`
}

// noSecret fails if an answer carries the password or the token, or any "password" field.
func noSecret(t *testing.T, what string, r resp) {
	t.Helper()
	for _, s := range []string{connPassword, connToken, `"password"`} {
		if strings.Contains(string(r.body), s) {
			t.Errorf("%s: the answer contains %s: %s", what, s, r.body)
		}
	}
}

func TestConnectionsAPI(t *testing.T) {
	e := newEnv(t, nil)
	body := `{"connection_id": "api", "conn_type": "http", "description": "the API", "host": "api.example.com",
		"login": "bot", "schema": "https", "port": 443, "password": "` + connPassword + `",
		"extra": "{\"token\": \"` + connToken + `\", \"timeout\": 5}"}`
	for _, who := range []string{"viewer", "user"} {
		e.problem(http.StatusForbidden, "POST", "/api/v1/connections", body, e.as(who))
	}
	r := e.want(http.StatusOK, "POST", "/api/v1/connections", body, e.as("op"))
	noSecret(t, "POST", r)
	port := 443
	want := connection{ConnectionID: "api", ConnType: "http", Description: "the API", Host: "api.example.com", Login: "bot",
		Schema: "https", Port: &port}
	got := jsonOf[connection](t, r)
	if got.Extra == nil || !strings.Contains(*got.Extra, `"token":"***"`) || !strings.Contains(*got.Extra, `"timeout":5`) {
		t.Errorf("extra = %v, want the token masked and the rest shown", got.Extra)
	}
	got.Extra = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("POST answered %+v, want %+v", got, want)
	}
	e.want(http.StatusOK, "POST", "/api/v1/connections", `{"connection_id": "db", "conn_type": "sqlite", "host": "/data/b.db"}`, e.as("admin"))
	e.want(http.StatusOK, "POST", "/api/v1/connections", `{"connection_id": "cache", "conn_type": "http", "host": "cache.internal"}`, e.as("op"))
	for _, c := range []struct {
		status int
		body   string
		says   string
	}{
		{http.StatusConflict, `{"connection_id": "api", "conn_type": "http"}`, `connection "api" already exists`},
		{http.StatusBadRequest, `{"connection_id": "x"}`, `needs "connection_id" and "conn_type"`},
		{http.StatusBadRequest, `{"connection_id": "a b", "conn_type": "http"}`, `conn_id "a b" is not valid`},
		{http.StatusBadRequest, `{"connection_id": "x", "conn_type": "http", "extra": "[1]"}`, "extra must be a JSON object"},
		{http.StatusBadRequest, `{"connection_id": "x", "conn_type": "http", "port": 70000}`, "port 70000"},
		{http.StatusBadRequest, `{"connection_id": "x", "conn_type": "http", "is_encrypted": true}`, `unknown field "is_encrypted"`},
	} {
		e.problem(c.status, "POST", "/api/v1/connections", c.body, e.as("op"), c.says)
	}

	// Viewers list and get, and see no secret; nobody does.
	for _, who := range []string{"viewer", "admin"} {
		r := e.want(http.StatusOK, "GET", "/api/v1/connections", "", e.as(who))
		noSecret(t, who+" list", r)
		r = e.want(http.StatusOK, "GET", "/api/v1/connections/api", "", e.as(who))
		noSecret(t, who+" get", r)
	}
	e.problem(http.StatusNotFound, "GET", "/api/v1/connections/nope", "", e.as("viewer"), `connection "nope" not found`)

	ids := func(q string) ([]string, int) {
		l := jsonOf[connectionList](t, e.want(http.StatusOK, "GET", "/api/v1/connections"+q, "", e.as("viewer")))
		var out []string
		for _, c := range l.Connections {
			out = append(out, c.ConnectionID)
		}
		return out, l.Total
	}
	for q, want := range map[string][]string{
		"":                                {"api", "cache", "db"},
		"?order_by=-connection_id":        {"db", "cache", "api"},
		"?order_by=conn_type":             {"api", "cache", "db"},
		"?order_by=-host&limit=2":         {"cache", "api"}, // hosts: /data/b.db < api.example.com < cache.internal
		"?limit=1&offset=1":               {"cache"},
		"?offset=5":                       nil,
		"?order_by=host&limit=2&offset=1": {"api", "cache"},
	} {
		if got, total := ids(q); !reflect.DeepEqual(got, want) || total != 3 {
			t.Errorf("GET /connections%s = %v of %d, want %v of 3", q, got, total, want)
		}
	}
	e.problem(http.StatusBadRequest, "GET", "/api/v1/connections?order_by=password", "", e.as("viewer"), "order_by must be one of")

	// PATCH: update_mask limits what changes; without it, what the body names changes; a
	// token sent back as *** stays what it was; the password stays unless given.
	e.problem(http.StatusForbidden, "PATCH", "/api/v1/connections/api", `{"host": "x"}`, e.as("viewer"))
	r = e.want(http.StatusOK, "PATCH", "/api/v1/connections/api?update_mask=description", `{"description": "changed", "host": "ignored"}`, e.as("op"))
	if c := jsonOf[connection](t, r); c.Description != "changed" || c.Host != "api.example.com" {
		t.Errorf("PATCH with update_mask=description: %+v", c)
	}
	r = e.want(http.StatusOK, "PATCH", "/api/v1/connections/api", `{"host": "api2.example.com", "extra": "{\"token\": \"***\", \"timeout\": 9}"}`, e.as("op"))
	noSecret(t, "PATCH", r)
	stored, err := e.app.GetConnection(t.Context(), "api")
	if err != nil {
		t.Fatal(err)
	}
	if stored.Host != "api2.example.com" || stored.Password != connPassword || !strings.Contains(stored.Extra, connToken) || !strings.Contains(stored.Extra, `"timeout":9`) {
		t.Errorf("after PATCH the stored connection is %+v: want the new host and timeout, the password and token kept", stored)
	}
	e.problem(http.StatusBadRequest, "PATCH", "/api/v1/connections/api?update_mask=conn_id", `{}`, e.as("op"), `"conn_id" is unknown or cannot be updated`)
	e.problem(http.StatusBadRequest, "PATCH", "/api/v1/connections/api", `{"connection_id": "other"}`, e.as("op"), "cannot be renamed")
	e.problem(http.StatusNotFound, "PATCH", "/api/v1/connections/nope", `{"host": "x"}`, e.as("op"))

	e.problem(http.StatusForbidden, "DELETE", "/api/v1/connections/cache", "", e.as("user"))
	e.want(http.StatusNoContent, "DELETE", "/api/v1/connections/cache", "", e.as("op"))
	e.problem(http.StatusNotFound, "DELETE", "/api/v1/connections/cache", "", e.as("op"))

	// The audit log names what was done, never a secret; nor does the server's log.
	r = e.want(http.StatusOK, "GET", "/api/v1/eventLogs", "", e.as("admin"))
	for _, ev := range []string{"connection.create", "connection.edit", "connection.delete"} {
		if !strings.Contains(string(r.body), ev) {
			t.Errorf("the audit log has no %s: %s", ev, r.body)
		}
	}
	for _, s := range []string{connPassword, connToken} {
		if strings.Contains(string(r.body), s) || strings.Contains(e.logs.String(), s) {
			t.Errorf("the audit log or the server's log holds the secret %s", s)
		}
	}
}

// TestConnectionTestAPI: http sends a request with the stored credentials (the server checks
// them), sqlite opens the file; answers are Airflow's {status, message} without the password.
func TestConnectionTestAPI(t *testing.T) {
	e := newEnv(t, nil)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "bot" || p != connPassword {
			http.Error(w, "who are you", http.StatusUnauthorized)
		}
	}))
	t.Cleanup(ts.Close)
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(ts.URL, "http://"))
	e.want(http.StatusOK, "POST", "/api/v1/connections", `{"connection_id": "api", "conn_type": "http", "host": "`+host+`", "port": `+port+`,
		"login": "bot", "password": "`+connPassword+`"}`, e.as("op"))
	db := filepath.Join(t.TempDir(), "data.db")
	e.want(http.StatusOK, "POST", "/api/v1/connections", `{"connection_id": "file", "conn_type": "sqlite", "host": "`+db+`"}`, e.as("op"))

	type result struct {
		Status  bool   `json:"status"`
		Message string `json:"message"`
	}
	test := func(body string, wantOK bool, says string) {
		t.Helper()
		r := e.want(http.StatusOK, "POST", "/api/v1/connections/test", body, e.as("op"))
		noSecret(t, "test "+body, r)
		res := jsonOf[result](t, r)
		if res.Status != wantOK || !strings.Contains(res.Message, says) {
			t.Errorf("test %s = %+v, want status %v and a message saying %q", body, res, wantOK, says)
		}
	}
	test(`{"connection_id": "api"}`, true, "200 OK")
	test(`{"connection_id": "api", "password": "wrong"}`, false, "401 Unauthorized")
	test(`{"connection_id": "api", "password": "***"}`, true, "200 OK")
	test(`{"conn_type": "http", "host": "`+host+`", "port": `+port+`, "login": "bot", "password": "`+connPassword+`"}`, true, "200 OK")
	test(`{"connection_id": "file"}`, false, "does not exist")
	if err := os.WriteFile(db, nil, 0o644); err != nil { // an empty file is an empty database
		t.Fatal(err)
	}
	test(`{"connection_id": "file"}`, true, "opens: 0 tables")
	if err := os.WriteFile(db, []byte("this is not a database, it is text long enough to have a header"), 0o644); err != nil {
		t.Fatal(err)
	}
	test(`{"connection_id": "file"}`, false, "does not open as a database")
	test(`{"conn_type": "ftp", "host": "x"}`, false, `conn_type "ftp" cannot be tested`)
	e.problem(http.StatusBadRequest, "POST", "/api/v1/connections/test", `{}`, e.as("op"), "conn_type")
	e.problem(http.StatusForbidden, "POST", "/api/v1/connections/test", `{"connection_id": "api"}`, e.as("viewer"))
	if strings.Contains(e.logs.String(), connPassword) {
		t.Error("the server's log holds the password")
	}
}

// TestConnectionGrantsFollowConnections: a DAG granting a connection that does not exist is
// an import error at its line; adding the connection through the API loads the DAG, deleting
// it brings the import error back.
func TestConnectionGrantsFollowConnections(t *testing.T) {
	e := newEnv(t, map[string]string{"granted.yaml": `dag_id: granted
schedule: null
tasks:
  - id: fetch
    module: modules/echo.wasm
    connections: [warehouse]
`})
	importError := func() string {
		l := jsonOf[struct {
			ImportErrors []struct {
				Filename   string `json:"filename"`
				StackTrace string `json:"stack_trace"`
			} `json:"import_errors"`
		}](t, e.want(http.StatusOK, "GET", "/api/v1/importErrors", "", e.as("viewer")))
		for _, ie := range l.ImportErrors {
			if filepath.Base(ie.Filename) == "granted.yaml" {
				return ie.StackTrace
			}
		}
		return ""
	}
	if ie := importError(); !strings.Contains(ie, `granted.yaml:6:`) || !strings.Contains(ie, `connection "warehouse" does not exist`) {
		t.Fatalf("import error of granted.yaml = %q, want line 6 saying the connection does not exist", ie)
	}
	e.problem(http.StatusNotFound, "GET", "/api/v1/dags/granted", "", e.as("viewer"))
	e.want(http.StatusOK, "POST", "/api/v1/connections", `{"connection_id": "warehouse", "conn_type": "sqlite", "host": "/data/w.db"}`, e.as("op"))
	if ie := importError(); ie != "" {
		t.Errorf("after adding the connection, import error %q", ie)
	}
	var dag struct {
		DagID string `json:"dag_id"`
	}
	if err := json.Unmarshal(e.want(http.StatusOK, "GET", "/api/v1/dags/granted", "", e.as("viewer")).body, &dag); err != nil || dag.DagID != "granted" {
		t.Errorf("GET /dags/granted = %+v, %v", dag, err)
	}
	e.want(http.StatusNoContent, "DELETE", "/api/v1/connections/warehouse", "", e.as("op"))
	if ie := importError(); !strings.Contains(ie, `connection "warehouse" does not exist`) {
		t.Errorf("after deleting the connection, import error %q, want it back", ie)
	}
}

// TestConnectionGrantsInTheEditor: the editor's check knows the connections too, so a grant of
// an unknown conn_id is shown at its line before the file is saved.
func TestConnectionGrantsInTheEditor(t *testing.T) {
	e := newEnv(t, nil)
	e.want(http.StatusOK, "POST", "/api/v1/connections", `{"connection_id": "known", "conn_type": "http"}`, e.as("op"))
	check := jsonOf[dagFileCheck](t, e.want(http.StatusOK, "POST", "/api/v1/dagFiles/validate", body(map[string]string{"path": "g.yaml", "content": `dag_id: g
tasks:
  - id: a
    module: modules/echo.wasm
    connections: [known, unknown]
    allow_hosts: ["*.example.org", "https://x"]
`}), e.as("op")))
	if check.Valid || len(check.Problems) != 2 {
		t.Fatalf("check = %+v, want the unknown connection and the bad host", check)
	}
	for i, want := range []string{`connection "unknown" does not exist`, `"https://x" is not a host`} {
		if p := check.Problems[i]; !strings.Contains(p.Message, want) || p.Line != 5+i {
			t.Errorf("problem %d = line %d %q, want line %d saying %q", i, p.Line, p.Message, 5+i, want)
		}
	}
}

// TestConnectionsWrongKeyAPI: secrets sealed with another key answer a 500 that says what to
// fix, not garbage and not a bare "internal error".
func TestConnectionsWrongKeyAPI(t *testing.T) {
	e := newEnv(t, nil)
	e.want(http.StatusOK, "POST", "/api/v1/connections", `{"connection_id": "api", "conn_type": "http", "password": "`+connPassword+`"}`, e.as("op"))
	text, _ := metastore.GenerateSecretKey()
	other, err := metastore.NewSecretKey(text, "/elsewhere/fernet.key")
	if err != nil {
		t.Fatal(err)
	}
	e.app.Store.UseSecretKey(other) // as if the key file had been replaced
	for _, path := range []string{"/api/v1/connections", "/api/v1/connections/api"} {
		e.problem(http.StatusInternalServerError, "GET", path, "", e.as("viewer"), "/elsewhere/fernet.key", "not the key it was saved with")
	}
}

// TestConnectionTestPostgres: a postgres connection is tested by logging in to the real server
// (internal/pgtest) and running select 1; a wrong password, a database that does not exist and
// a port with no server answer status false with the server's message (or the dial's error),
// never the password.
func TestConnectionTestPostgres(t *testing.T) {
	s := pgServer(t)
	e := newEnv(t, nil)
	e.want(http.StatusOK, "POST", "/api/v1/connections", fmt.Sprintf(`{"connection_id": "pg", "conn_type": "postgres", "host": %q, "port": %d,
		"login": %q, "password": %q, "schema": "postgres"}`, s.Host, s.Port, s.User, s.Password), e.as("op"))
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close() // nothing listens there now: the dial is refused

	type result struct {
		Status  bool   `json:"status"`
		Message string `json:"message"`
	}
	for _, c := range []struct {
		name, body string
		ok         bool
		says       []string
	}{
		{"the stored connection logs in", `{"connection_id": "pg"}`, true, []string{"logged in, select 1 answered 1", "as postgres, database postgres"}},
		{"a wrong password is the server's refusal", `{"connection_id": "pg", "password": "not-the-password"}`, false,
			[]string{`password authentication failed for user "postgres"`, "SQLSTATE 28P01"}},
		{"a database that does not exist", `{"connection_id": "pg", "schema": "nosuchdb"}`, false,
			[]string{`database "nosuchdb" does not exist`, "SQLSTATE 3D000"}},
		{"no server on the port", fmt.Sprintf(`{"conn_type": "postgres", "host": "127.0.0.1", "port": %d, "login": "postgres", "password": %q}`, closedPort, s.Password),
			false, []string{fmt.Sprintf("127.0.0.1:%d", closedPort), "refused"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.want(http.StatusOK, "POST", "/api/v1/connections/test", c.body, e.as("op"))
			res := jsonOf[result](t, r)
			if strings.Contains(res.Message, s.Password) {
				t.Fatalf("the answer holds the password: %s", res.Message)
			}
			if res.Status != c.ok {
				t.Errorf("status = %v, want %v; message: %s", res.Status, c.ok, res.Message)
			}
			for _, want := range c.says {
				if !strings.Contains(res.Message, want) {
					t.Errorf("message %q does not say %q", res.Message, want)
				}
			}
		})
	}
}
