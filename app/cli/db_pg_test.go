package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/internal/pgtest"
)

// TestDBPostgres: database.url = postgres://... from the CLI: db check on the empty database
// says to migrate, db migrate creates the schema, db check reports the dialect, the schema
// version and the server's version, the metastore keeps what one command wrote for the next,
// db reset empties it; no output, error or config list shows the password.
func TestDBPostgres(t *testing.T) {
	pg, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Stop() })
	if _, err := pg.Psql("postgres", "CREATE DATABASE meta"); err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("postgresql://%s:%s@%s:%d/meta?sslmode=disable", pg.User, pg.Password, pg.Host, pg.Port)
	where := fmt.Sprintf("postgres://%s@%s:%d/meta", pg.User, pg.Host, pg.Port)
	h := newHome(t, "WASMFLOW__DATABASE__URL", url, "WASMFLOW__CORE__LOAD_EXAMPLES", "false")
	noPassword := func(what, out string) {
		t.Helper()
		if strings.Contains(out, pg.Password) {
			t.Errorf("%s shows the password:\n%s", what, out)
		}
	}
	code, out, errs := h.run("", "db", "check")
	if code != 1 || !strings.Contains(errs, where+": it holds no wasmflow schema: create it with `wasmflow db migrate`") {
		t.Errorf("db check of an empty database: exit %d\n%s%s", code, out, errs)
	}
	noPassword("db check", out+errs)
	out = h.ok("db", "migrate")
	if !strings.Contains(out, "Metastore ready at "+where+" (schema version 11)") {
		t.Errorf("db migrate: %s", out)
	}
	noPassword("db migrate", out)
	out = h.ok("db", "check")
	if !strings.Contains(out, "Metastore OK: "+where+" (dialect postgres, schema version 11, PostgreSQL ") {
		t.Errorf("db check: %s", out)
	}
	noPassword("db check", out)
	noPassword("config list", h.ok("config", "list", "-o", "plain"))

	h.ok("variables", "set", "k", "on postgres")
	if out := h.ok("variables", "get", "k"); !strings.Contains(out, "on postgres") {
		t.Errorf("variables get: %s", out)
	}
	noPassword("db reset", h.ok("db", "reset", "-y"))
	h.fails(1, "not found", "variables", "get", "k")

	h.env["WASMFLOW__DATABASE__URL"] = strings.Replace(url, pg.Password, "wrong", 1)
	code, out, errs = h.run("", "db", "check")
	if code != 1 || !strings.Contains(errs, "open metastore "+where) || !strings.Contains(errs, "password authentication failed") {
		t.Errorf("db check with a wrong password: exit %d\n%s%s", code, out, errs)
	}
	noPassword("db check with a wrong password", out+errs)
	if strings.Contains(out+errs, "wrong") {
		t.Errorf("db check shows the wrong password:\n%s", out+errs)
	}
}

// TestStandalonePostgres: two homes (two machines, say) on one PostgreSQL metastore. No lock
// keeps a second scheduler out there: several drive it at once, each its own runs (see
// TestServersPostgresKill9); the other home's CLI triggers a run that the schedulers take to
// success, and, since they live, refuses to write to the runs itself, naming the database.
func TestStandalonePostgres(t *testing.T) {
	bin := buildBinary(t)
	pg, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Stop() })
	if _, err := pg.Psql("postgres", "CREATE DATABASE shared"); err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("postgres://%s:%s@%s:%d/shared?sslmode=disable", pg.User, pg.Password, pg.Host, pg.Port)
	a := newHome(t, "WASMFLOW__DATABASE__URL", url, "WASMFLOW__CORE__LOAD_EXAMPLES", "false")
	dags := withModules(t, a, "echo")
	if err := os.WriteFile(filepath.Join(dags, "pg_echo.yaml"), []byte("dag_id: pg_echo\nis_paused_upon_creation: false\n"+
		"tasks:\n  - {id: say, module: modules/echo.wasm, args: [\"shared\"]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a.ok("db", "migrate")
	startStandalone(t, bin, a)

	b := newHome(t, "WASMFLOW__DATABASE__URL", url, "WASMFLOW__CORE__LOAD_EXAMPLES", "false", "WASMFLOW__CORE__DAGS_FOLDER", dags)
	startStandalone(t, bin, b)
	code, out, errs := b.run("", "dags", "trigger", "pg_echo", "--run-id", "r1", "--wait")
	if code != 0 {
		t.Fatalf("trigger --wait from the other home: exit %d\n%s\n%s", code, out, errs)
	}
	if st := b.taskStates(t, "pg_echo", "r1"); st["say"].State == nil || *st["say"].State != "success" {
		t.Errorf("states seen from the other home: %+v", st)
	}
	// A clear from a third home is filed for the scheduler that drove the run, which runs the
	// task again; a backfill is left to the live schedulers.
	c := newHome(t, "WASMFLOW__DATABASE__URL", url, "WASMFLOW__CORE__LOAD_EXAMPLES", "false", "WASMFLOW__CORE__DAGS_FOLDER", dags)
	if out := c.ok("tasks", "clear", "pg_echo", "-t", "^say$", "-y"); !strings.Contains(out, "Cleared 1 task instance\n") {
		t.Errorf("clear from a third home: %s", out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for st := c.taskStates(t, "pg_echo", "r1"); st["say"].TryNumber != 2 || st["say"].State == nil || *st["say"].State != "success"; st = c.taskStates(t, "pg_echo", "r1") {
		if time.Now().After(deadline) {
			t.Fatalf("the cleared task did not run again: %+v", st["say"])
		}
		time.Sleep(50 * time.Millisecond)
	}
}
