package cli

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/app"
	"github.com/wasmflow/wasmflow/app/api"
	"github.com/wasmflow/wasmflow/app/config"
)

const (
	cliPassword = "cli-pw-R5tW9z"
	cliToken    = "cli-tok-J2nV6p"
)

// noSecrets fails if out shows the password or the token.
func noSecrets(t *testing.T, what, out string) {
	t.Helper()
	for _, s := range []string{cliPassword, cliToken} {
		if strings.Contains(out, s) {
			t.Errorf("%s shows the secret %s:\n%s", what, s, out)
		}
	}
}

// authServer answers 200 to the credentials of cliPassword, 401 to others.
func authServer(t *testing.T) (host, port string) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "bot" || p != cliPassword {
			http.Error(w, "no", http.StatusUnauthorized)
		}
	}))
	t.Cleanup(ts.Close)
	host, port, _ = net.SplitHostPort(strings.TrimPrefix(ts.URL, "http://"))
	return host, port
}

func TestConnectionsCLI(t *testing.T) {
	h := newHome(t, "WASMFLOW__CORE__LOAD_EXAMPLES", "false")
	host, port := authServer(t)
	out := h.ok("connections", "add", "api", "--conn-type", "http", "--conn-host", host, "--conn-port", port,
		"--conn-login", "bot", "--conn-password", cliPassword, "--conn-extra", `{"token": "`+cliToken+`", "retries": 2}`,
		"--conn-description", "the test API")
	if want := "Successfully added `conn_id`=api : http://bot:***@" + host + ":" + port + "/"; !strings.Contains(out, want) {
		t.Errorf("add said %q, want %q", out, want)
	}
	noSecrets(t, "add", out)
	out = h.ok("connections", "add", "warehouse", "--conn-uri", "postgresql://loader:"+cliPassword+"@db.internal:5432/sales?sslmode=require&application_name=wf")
	noSecrets(t, "add --conn-uri", out)

	list := decode[[]map[string]any](t, h.ok("connections", "list", "-o", "json"))
	if len(list) != 2 || list[0]["connection_id"] != "api" || list[1]["connection_id"] != "warehouse" {
		t.Fatalf("list -o json = %v", list)
	}
	wh := list[1]
	if wh["conn_type"] != "postgres" || wh["host"] != "db.internal" || wh["port"] != 5432.0 || wh["login"] != "loader" ||
		wh["schema"] != "sales" || wh["extra"] != `{"application_name":"wf","sslmode":"require"}` {
		t.Errorf("the URI was read as %v", wh)
	}
	if _, has := list[0]["password"]; has {
		t.Errorf("list -o json has a password field: %v", list[0])
	}
	for _, format := range []string{"table", "json", "yaml", "plain"} {
		out := h.ok("connections", "list", "-o", format)
		noSecrets(t, "list -o "+format, out)
		if !strings.Contains(out, `"retries":2`) && !strings.Contains(out, `\"retries\":2`) {
			t.Errorf("list -o %s does not show the extra's other settings:\n%s", format, out)
		}
	}
	get := decode[map[string]any](t, h.ok("connections", "get", "api", "-o", "json"))
	if get["password"] != "***" || get["extra"] != `{"retries":2,"token":"***"}` || get["description"] != "the test API" {
		t.Errorf("get -o json = %v, want the password and token as ***", get)
	}
	noSecrets(t, "get", h.ok("connections", "get", "api"))

	if out := h.ok("connections", "test", "api"); !strings.Contains(out, "Connection success!") || !strings.Contains(out, "200 OK") {
		t.Errorf("test of the http connection: %q", out)
	}
	if out := h.ok("connections", "test", "api", "-o", "json"); !strings.Contains(out, `"status":true`) {
		t.Errorf("test -o json: %q", out)
	}
	db := filepath.Join(t.TempDir(), "x.db")
	h.ok("connections", "add", "file", "--conn-type", "sqlite", "--conn-host", db)
	h.fails(ExitError, "SQLite file "+db+" does not exist", "connections", "test", "file")

	h.fails(ExitError, `connection "api" already exists`, "connections", "add", "api", "--conn-type", "http")
	h.fails(ExitUsage, "give --conn-type", "connections", "add", "x")
	h.fails(ExitUsage, "--conn-host cannot be given with --conn-uri", "connections", "add", "x", "--conn-uri", "http://a", "--conn-host", "b")
	h.fails(ExitError, "extra must be a JSON object", "connections", "add", "x", "--conn-type", "http", "--conn-extra", "token=1")
	h.ok("connections", "delete", "file")
	h.fails(ExitError, `connection "file" not found`, "connections", "delete", "file")
	h.fails(ExitError, `connection "file" not found`, "connections", "get", "file")

	// At rest: no secret in the metastore; the key file beside it, readable by its owner only.
	for _, f := range []string{"wasmflow.db", "wasmflow.db-wal"} {
		b, _ := os.ReadFile(filepath.Join(h.dir, f))
		if bytes.Contains(b, []byte(cliPassword)) || bytes.Contains(b, []byte(cliToken)) {
			t.Errorf("%s holds a secret", f)
		}
	}
	st, err := os.Stat(filepath.Join(h.dir, "fernet.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("fernet.key: %v, mode %v, want 0600", err, st.Mode().Perm())
	}
}

// TestConnectionsKeyErrors: a key file gone while secrets are sealed, and a core.fernet_key
// that is not the key, are errors that name what to fix.
func TestConnectionsKeyErrors(t *testing.T) {
	h := newHome(t, "WASMFLOW__CORE__LOAD_EXAMPLES", "false")
	h.ok("connections", "add", "api", "--conn-type", "http", "--conn-password", cliPassword)
	keyFile := filepath.Join(h.dir, "fernet.key")
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	other := newHome(t, "WASMFLOW__CORE__LOAD_EXAMPLES", "false")
	other.ok("connections", "list")
	otherKey, _ := os.ReadFile(filepath.Join(other.dir, "fernet.key"))

	h.env["WASMFLOW__CORE__FERNET_KEY"] = strings.TrimSpace(string(otherKey))
	h.fails(ExitError, "with the secret key from core.fernet_key", "connections", "get", "api")
	h.env["WASMFLOW__CORE__FERNET_KEY"] = "short"
	h.fails(ExitError, "the secret key in core.fernet_key", "connections", "list")
	h.env["WASMFLOW__CORE__FERNET_KEY"] = strings.TrimSpace(string(key)) // the key itself, set in config: works
	h.ok("connections", "get", "api")
	delete(h.env, "WASMFLOW__CORE__FERNET_KEY")

	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}
	h.fails(ExitError, "the key file "+keyFile+" is missing", "connections", "list")
	if _, err := os.Stat(keyFile); err == nil {
		t.Error("a new key file was made although sealed secrets exist")
	}
}

// TestConnectionsRemote: the same commands through --server against a server's API.
func TestConnectionsRemote(t *testing.T) {
	srvHome := newHome(t, "WASMFLOW__CORE__LOAD_EXAMPLES", "false")
	srvHome.ok("users", "create", "-u", "ops", "-r", "Op", "-p", "ops-pw-1234567")
	cfg, err := config.Load(func(k string) string {
		if k == "WASMFLOW_HOME" {
			return srvHome.dir
		}
		return srvHome.env[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	ap, err := app.Open(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ap.Close() })
	srv, err := api.New(ap, api.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	tok, _, err := api.IssueToken(srvHome.dir, "ops", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	host, port := authServer(t)
	ci := newHome(t)
	with := func(args ...string) []string { return append(args, "--server", ts.URL, "--token", tok) }
	ci.ok(with("connections", "add", "api", "--conn-type", "http", "--conn-host", host, "--conn-port", port,
		"--conn-login", "bot", "--conn-password", cliPassword, "--conn-extra", `{"api_key": "`+cliToken+`"}`)...)
	if c, err := ap.GetConnection(context.Background(), "api"); err != nil || c.Password != cliPassword {
		t.Fatalf("the server stored %+v, %v", c, err)
	}
	out := ci.ok(with("connections", "list", "-o", "json")...)
	noSecrets(t, "remote list", out)
	if !strings.Contains(out, `"connection_id": "api"`) {
		t.Errorf("remote list: %s", out)
	}
	noSecrets(t, "remote get", ci.ok(with("connections", "get", "api")...))
	if out := ci.ok(with("connections", "test", "api")...); !strings.Contains(out, "Connection success!") {
		t.Errorf("remote test: %q", out)
	}
	ci.ok(with("connections", "delete", "api")...)
	ci.fails(ExitError, "not found", with("connections", "get", "api")...)
	if _, err := os.Stat(filepath.Join(ci.dir, "wasmflow.db")); err == nil {
		t.Error("remote commands created a metastore in the CI machine's home")
	}
}
