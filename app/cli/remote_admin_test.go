package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestRemoteAdminCLI runs the variables, pools, users, pause, list-runs, state and mark
// commands through a real standalone's API from a home of its own, and checks each change
// on the server's home; local-only commands say why and which commands work remotely.
func TestRemoteAdminCLI(t *testing.T) {
	bin := buildBinary(t)
	h := newHome(t, "WASMFLOW__CORE__LOAD_EXAMPLES", "false", "WASMFLOW__API__LISTEN", "127.0.0.1:0")
	writeDag(t, h, "echo", "remote.yaml", `dag_id: remote
tasks:
  - {id: hello, module: modules/echo.wasm, args: ["hi"]}
`)
	h.ok("db", "init")
	startStandalone(t, bin, h)
	log, _ := os.ReadFile(filepath.Join(h.dir, "standalone.log"))
	m := regexp.MustCompile(`UI and API: (http://\S+)`).FindSubmatch(log)
	if m == nil {
		t.Fatalf("standalone did not say where its API is:\n%s", log)
	}
	token := strings.TrimSpace(h.ok("users", "token", "-u", "admin"))
	ci := newHome(t)
	with := func(args ...string) []string { return append(args, "--server", string(m[1]), "--token", token) }

	// Variables: set creates then replaces, get, list masks a secret, export does not.
	ci.ok(with("variables", "set", "table", "orders")...)
	ci.ok(with("variables", "set", "table", "refunds", "--description", "the table")...)
	ci.ok(with("variables", "set", "api_password", "s3cret")...)
	if v := ci.ok(with("variables", "get", "table")...); v != "refunds\n" {
		t.Errorf("variables get through the server = %q", v)
	}
	if v := strings.TrimSpace(h.ok("variables", "get", "table")); v != "refunds" {
		t.Errorf("the server's home has table = %q", v)
	}
	if out := ci.ok(with("variables", "get", "nope", "-d", "fallback")...); out != "fallback\n" {
		t.Errorf("variables get -d of a missing key = %q", out)
	}
	if out := ci.ok(with("variables", "list", "-o", "plain")...); strings.Contains(out, "s3cret") || !strings.Contains(out, "the table") {
		t.Errorf("variables list through the server:\n%s", out)
	}
	if out := ci.ok(with("variables", "export", "-")...); !strings.Contains(out, `"api_password": "s3cret"`) {
		t.Errorf("variables export through the server lost the secret's value:\n%s", out)
	}
	code, out, errs := ci.run(`{"imported": "yes"}`, with("variables", "import", "-")...)
	if code != 0 || !strings.Contains(out, "1 of 1 variables") {
		t.Errorf("variables import through the server: exit %d\n%s%s", code, out, errs)
	}
	ci.ok(with("variables", "delete", "imported")...)
	if _, _, errs := h.run("", "variables", "get", "imported"); !strings.Contains(errs, "not found") {
		t.Errorf("the deleted variable is still on the server: %s", errs)
	}

	// Pools.
	ci.ok(with("pools", "set", "api", "2", "the API allows 2 calls")...)
	ci.ok(with("pools", "set", "api", "3")...)
	if out := h.ok("pools", "get", "api", "-o", "plain"); !strings.Contains(out, "3") {
		t.Errorf("the server's pool api after two sets: %q", out)
	}
	if out := ci.ok(with("pools", "export", "-")...); !strings.Contains(out, `"api"`) || !strings.Contains(out, `"slots": 3`) {
		t.Errorf("pools export through the server:\n%s", out)
	}
	ci.ok(with("pools", "delete", "api")...)
	ci.fails(ExitError, `pool "api" not found`, with("pools", "get", "api")...)

	// Users.
	ci.ok(with("users", "create", "-u", "ana", "-r", "Op", "-p", "long enough")...)
	if out := ci.ok(with("users", "list", "-o", "plain")...); !strings.Contains(out, "ana") || !strings.Contains(out, "Op") {
		t.Errorf("users list through the server:\n%s", out)
	}
	if out := ci.ok(with("users", "create", "-u", "bo", "-r", "Viewer", "--use-random-password")...); !strings.Contains(out, "Password: ") {
		t.Errorf("users create --use-random-password through the server shows no password:\n%s", out)
	}
	ci.ok(with("users", "delete", "-u", "bo")...)
	if out := ci.ok(with("users", "add-role", "-u", "ana", "-r", "User")...); !strings.Contains(out, `in place of "Op"`) {
		t.Errorf("users add-role through the server:\n%s", out)
	}
	ci.fails(ExitError, "only role", with("users", "remove-role", "-u", "ana", "-r", "User")...)
	ci.fails(ExitError, "already a member", with("users", "add-role", "-u", "ana", "-r", "User")...)
	if out := h.ok("users", "list", "-o", "plain"); strings.Contains(out, "bo") || !strings.Contains(out, "ana") || !strings.Contains(out, "User") {
		t.Errorf("the server's users after create/delete:\n%s", out)
	}

	// DAGs: pause, a trigger of a paused DAG says it waits, unpause, list-runs, state, mark.
	ci.ok(with("dags", "pause", "remote")...)
	code, _, errs = ci.run("", with("dags", "trigger", "remote", "-r", "r1")...)
	if code != 0 || !strings.Contains(errs, "remote is paused") {
		t.Errorf("trigger of a paused DAG through the server: exit %d, stderr %q", code, errs)
	}
	ci.ok(with("dags", "unpause", "remote")...)
	if out := ci.ok(with("dags", "trigger", "remote", "-r", "r2", "--wait")...); !strings.Contains(out, "ended success") {
		t.Errorf("trigger --wait after unpause:\n%s", out)
	}
	if out := ci.ok(with("dags", "list-runs", "-d", "remote", "-o", "plain")...); !strings.Contains(out, "r1") || !strings.Contains(out, "r2") {
		t.Errorf("list-runs through the server:\n%s", out)
	}
	if st := ci.ok(with("dags", "state", "remote", "r2")...); st != "success\n" {
		t.Errorf("dags state through the server = %q", st)
	}
	if out := ci.ok(with("tasks", "render", "remote", "hello", "r2")...); !strings.Contains(out, "# property: args") || !strings.Contains(out, "\nhi\n") {
		t.Errorf("tasks render through the server:\n%s", out)
	}
	ci.ok(with("tasks", "mark", "remote", "r2", "hello", "failed")...)
	if st := h.taskStates(t, "remote", "r2")["hello"]; *st.State != "failed" {
		t.Errorf("hello after a mark through the server: %s", *st.State)
	}

	writeDag(t, h, "echo", "broken.yaml", "dag_id: broken\ntasks:\n  - {id: t, modul: x}\n")
	h.ok("dags", "list") // parses the folder again, as the server's sync does
	if out := ci.ok(with("dags", "list-import-errors", "-o", "plain")...); !strings.Contains(out, "broken.yaml") || !strings.Contains(out, "modul") {
		t.Errorf("list-import-errors through the server:\n%s", out)
	}
	_, _, errs = ci.run("", with("tasks", "test", "remote", "hello")...)
	if !strings.Contains(errs, "runs the task in this process") || !strings.Contains(errs, "variables set") {
		t.Errorf("tasks test through --server must say why not and what works: %s", errs)
	}
	if _, err := os.Stat(filepath.Join(ci.dir, "wasmflow.db")); err == nil {
		t.Error("remote commands created a metastore in the CI machine's home")
	}
}

// Every command either works through --server or says why it cannot: none answers a bare
// "local only".
func TestEveryCommandIsRemoteOrSaysWhy(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if !c.Runnable() || c.HasSubCommands() || c.Hidden || c.Name() == "help" || c.Name() == "completion" || (c.Parent() != nil && c.Parent().Name() == "completion") {
			return
		}
		if c.Annotations[remoteOK] != "" {
			return
		}
		for p := c; p != nil; p = p.Parent() {
			if p.Annotations[localWhy] != "" {
				return
			}
		}
		t.Errorf("%s neither works through --server nor says why it cannot (localOnly)", c.CommandPath())
	}
	walk(newRoot(IO{}))
}
