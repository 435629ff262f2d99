package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmflow/wasmflow/tasks/operators/operatorstest"
)

const sqlDAG = `dag_id: warehouse
params: {n: 3}
tasks:
  - id: create
    operator: sql
    conn_id: wh
    sql: create table orders(day text, n integer)
  - id: load
    operator: sql
    conn_id: wh
    sql: insert into orders(day, n) values (?, ?), (?, 1)
    parameters: ["{{ ds }}", "{{ params.n }}", "{{ macros_free }}"]
  - id: read
    operator: sql
    conn_id: wh
    sql: |
      -- the day's orders
      select day, n from orders where day = $1 order by n
    parameters:
      - "{{ ds }}"
  - id: broken
    operator: sql
    conn_id: wh
    sql: select * from nowhere
  - id: wait_day
    operator: sql_sensor
    conn_id: wh
    sql: select count(*) from orders where day = ?
    parameters: ["{{ ds }}"]
`

const badSQLDAG = `dag_id: bad_sql
tasks:
  - id: not_a_list
    operator: sql
    conn_id: wh
    sql: select 1
    parameters: {a: 1}
  - id: nested
    operator: sql
    conn_id: wh
    sql: select ?
    parameters: [[1]]
  - id: bad_template
    operator: sql
    conn_id: wh
    sql: select ?
    parameters: ["{{ ds + }}"]
  - id: no_conn
    operator: sql
    sql: select 1
  - id: unknown_conn
    operator: sql
    conn_id: nope
    sql: select 1
`

// `tasks test` runs operator: sql on a real SQLite file through a connection: a statement's
// XCom is the rows it affected, a query's the rows as JSON with the parameters bound; a
// failing statement fails the try with the database's message; bad fields are import errors
// at their lines; sql_sensor is met on a day with rows and exits 100 (not yet) on one without.
func TestTasksTestSQLOperator(t *testing.T) {
	cache := operatorstest.Build(t)
	dags := t.TempDir()
	// The third parameter of load is a typo'd name, which makes the DAG an import error until it
	// is fixed below: a template is compiled when the file is parsed.
	for name, text := range map[string]string{"warehouse.yaml": sqlDAG, "bad_sql.yaml": badSQLDAG} {
		if err := os.WriteFile(filepath.Join(dags, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h := newHome(t, "WASMFLOW__CORE__DAGS_FOLDER", dags, "WASMFLOW__CORE__LOAD_EXAMPLES", "false")
	if err := os.MkdirAll(filepath.Join(h.dir, "cache"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(cache, filepath.Join(h.dir, "cache", "modules")); err != nil {
		t.Fatal(err)
	}
	h.ok("connections", "add", "wh", "--conn-type", "sqlite", "--conn-host", filepath.Join(t.TempDir(), "wh.db"))

	errs := h.ok("dags", "list-import-errors")
	for _, want := range []string{
		`7:17: task "not_a_list": parameters must be a list`,
		`12:18: task "nested": parameters[0] must be a scalar`,
		`17:25: task "bad_template": parameters[0]: expression "ds +": unexpected token EOF`,
		`19:15: task "no_conn": operator sql needs conn_id`,
		`23:14: task "unknown_conn": conn_id: connection "nope" does not exist`,
		`warehouse.yaml  12:52: task "load": parameters[2]: expression "macros_free": unknown name macros_free`,
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("dags list-import-errors lacks %q:\n%s", want, errs)
		}
	}
	fixed := strings.Replace(sqlDAG, `"{{ macros_free }}"`, `"{{ ds_nodash }}"`, 1)
	if err := os.WriteFile(filepath.Join(dags, "warehouse.yaml"), []byte(fixed), 0o644); err != nil {
		t.Fatal(err)
	}

	if rv := returnValue(t, h.ok("tasks", "test", "warehouse", "create", "-o", "json")); rv != "0" {
		t.Errorf("create return_value = %q, want 0 rows affected", rv)
	}
	if rv := returnValue(t, h.ok("tasks", "test", "warehouse", "load", "2024-03-01", "-o", "json")); rv != "2" {
		t.Errorf("load return_value = %q, want 2 rows affected", rv)
	}
	if rv := returnValue(t, h.ok("tasks", "test", "warehouse", "read", "2024-03-01", "-o", "json")); rv != `[["2024-03-01",3]]` {
		t.Errorf("read return_value = %q, want the row load inserted for the day", rv)
	}
	for day, want := range map[string]string{"2024-03-01": "the first cell is 1: met", "2024-03-02": "not yet: the first cell is 0"} {
		_, out, stderr := h.run("", "tasks", "test", "warehouse", "wait_day", day)
		if !strings.Contains(out+stderr, want) || strings.Contains(out, "exit code 100") != (day == "2024-03-02") {
			t.Errorf("tasks test wait_day %s: want %q\nstdout: %s\nstderr: %s", day, want, out, stderr)
		}
	}
	code, out, stderr := h.run("", "tasks", "test", "warehouse", "broken")
	if code != 1 || !strings.Contains(out+stderr, "sql on wh: ") || !strings.Contains(out+stderr, "no such table: nowhere") {
		t.Errorf("tasks test broken: exit %d\nstdout: %s\nstderr: %s", code, out, stderr)
	}
}
