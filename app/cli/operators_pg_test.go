package cli

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wasmflow/wasmflow/internal/pgtest"
	"github.com/wasmflow/wasmflow/tasks/operators/operatorstest"
)

const pgDAG = `dag_id: pg_warehouse
tasks:
  - id: create
    operator: sql
    conn_id: pg
    sql: create table orders(day date, n int)
  - id: load
    operator: sql
    conn_id: pg
    sql: insert into orders(day, n) values ($1::date, $2::int), ($1::date, $2::int + 1)
    parameters: ["{{ ds }}", "{{ params.n }}"]
  - id: read
    operator: sql
    conn_id: pg
    sql: select to_char(day, 'YYYY-MM-DD'), n from orders where day = $1::date order by n
    parameters: ["{{ ds }}"]
  - id: wait
    operator: sql_sensor
    conn_id: pg
    sql: select count(*) from orders where day = $1::date
    parameters: ["{{ ds }}"]
  - id: broken
    operator: sql
    conn_id: pg
    sql: select * from nowhere
params: {n: 7}
`

// operator: sql and sql_sensor on a real PostgreSQL through a connection: parameters bound
// (cast where the column is not text), rows affected, rows read back as JSON, the sensor's
// first cell, and the server's message when a statement fails.
func TestTasksTestSQLOperatorPostgres(t *testing.T) {
	cache := operatorstest.Build(t)
	pg, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Stop() })
	if _, err := pg.Psql("postgres", "CREATE DATABASE warehouse"); err != nil {
		t.Fatal(err)
	}
	dags := t.TempDir()
	if err := os.WriteFile(filepath.Join(dags, "pg_warehouse.yaml"), []byte(pgDAG), 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHome(t, "WASMFLOW__CORE__DAGS_FOLDER", dags, "WASMFLOW__CORE__LOAD_EXAMPLES", "false")
	if err := os.MkdirAll(filepath.Join(h.dir, "cache"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(cache, filepath.Join(h.dir, "cache", "modules")); err != nil {
		t.Fatal(err)
	}
	h.ok("connections", "add", "pg", "--conn-type", "postgres", "--conn-host", pg.Host, "--conn-port", strconv.Itoa(pg.Port),
		"--conn-login", pg.User, "--conn-password", pg.Password, "--conn-schema", "warehouse")

	if rv := returnValue(t, h.ok("tasks", "test", "pg_warehouse", "create", "-o", "json")); rv != "0" {
		t.Errorf("create return_value = %q", rv)
	}
	if _, out, _ := h.run("", "tasks", "test", "pg_warehouse", "wait", "2024-03-01"); !strings.Contains(out, "not yet: the first cell is 0") {
		t.Errorf("wait before load:\n%s", out)
	}
	if rv := returnValue(t, h.ok("tasks", "test", "pg_warehouse", "load", "2024-03-01", "-o", "json")); rv != "2" {
		t.Errorf("load return_value = %q, want 2 rows affected", rv)
	}
	if rv := returnValue(t, h.ok("tasks", "test", "pg_warehouse", "read", "2024-03-01", "-o", "json")); rv != `[["2024-03-01",7],["2024-03-01",8]]` {
		t.Errorf("read return_value = %q", rv)
	}
	if out := h.ok("tasks", "test", "pg_warehouse", "wait", "2024-03-01"); !strings.Contains(out, "the first cell is 2: met") {
		t.Errorf("wait after load:\n%s", out)
	}
	code, out, stderr := h.run("", "tasks", "test", "pg_warehouse", "broken")
	if code != 1 || !strings.Contains(out, `sql on pg: `) || !strings.Contains(out, `relation "nowhere" does not exist`) {
		t.Errorf("tasks test broken: exit %d\nstdout: %s\nstderr: %s", code, out, stderr)
	}
}
