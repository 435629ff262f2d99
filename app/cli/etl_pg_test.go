package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/internal/pgtest"
)

// pgETL is test_pipe's shape on PostgreSQL, with the script fetching a second endpoint itself
// through http(): extract over a connection, a transform that enriches each order, an
// idempotent load (upsert of the day) with parameters cast to date and json, the sensor, and
// the rows read back.
const pgETL = `dag_id: pg_etl
schedule: "@daily"
start_date: 2024-01-01
catchup: false
tasks:
  - id: extract
    operator: http
    http_conn_id: api
    endpoint: /orders?day={{ ds }}
    method: GET
    response_check: status == 200
    response_filter: json.items
  - id: transform
    operator: script
    language: javascript
    connections: [api]
    code: |
      const rates = http({conn_id: "api", endpoint: "/rates"}).json;
      return JSON.parse(xcom("extract"))
        .filter(i => i.total > 100)
        .map(i => ({id: i.id, total: i.total, eur: i.total * rates.eur}));
    upstream: [extract]
  - id: create
    operator: sql
    conn_id: pg
    sql: create table if not exists orders(day date, id int, total int, eur numeric, primary key (day, id))
  - id: load
    operator: sql
    conn_id: pg
    sql: |
      insert into orders(day, id, total, eur)
      select $1::date, (o->>'id')::int, (o->>'total')::int, (o->>'eur')::numeric from json_array_elements($2::json) o
      on conflict (day, id) do update set total = excluded.total, eur = excluded.eur
    parameters: ["{{ ds }}", "{{ xcom('transform') }}"]
    upstream: [transform, create]
  - id: wait_rows
    operator: sql_sensor
    conn_id: pg
    sql: select count(*) from orders where day = $1::date
    parameters: ["{{ ds }}"]
    poke_interval: 1s
    upstream: [load]
  - id: read
    operator: sql
    conn_id: pg
    sql: select to_char(day, 'YYYY-MM-DD'), id, total, eur::text from orders where day = $1::date order by id
    parameters: ["{{ ds }}"]
    upstream: [wait_rows]
`

// An ETL into a real PostgreSQL from a real loopback HTTP server, through `dags test` and
// through the running scheduler (standalone in this process): the day's orders fetched with the
// connection's token, transformed by a script that calls the API itself, loaded, sensed and read
// back, by the DAG's own query and by psql; a rerun of a day leaves its rows as they were.
func TestETLPostgresEndToEnd(t *testing.T) {
	pg, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Stop() })
	if _, err := pg.Psql("postgres", "CREATE DATABASE warehouse"); err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok-2" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/orders":
			day, err := time.Parse(time.DateOnly, r.URL.Query().Get("day"))
			if err != nil {
				http.Error(w, "bad day", http.StatusBadRequest)
				return
			}
			d := day.Day()
			fmt.Fprintf(w, `{"items": [{"id": 1, "total": %d}, {"id": 2, "total": 50}, {"id": 3, "total": %d}]}`, 100+d, 200+d)
		case "/rates":
			fmt.Fprint(w, `{"eur": 0.5}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(api.Close)
	port := strings.TrimPrefix(api.URL, "http://127.0.0.1:")

	dags := t.TempDir()
	if err := os.WriteFile(filepath.Join(dags, "pg_etl.yaml"), []byte(pgETL), 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHome(t, "WASMFLOW__CORE__DAGS_FOLDER", dags, "WASMFLOW__CORE__LOAD_EXAMPLES", "false")
	withOperators(t, h)
	h.ok("connections", "add", "api", "--conn-type", "http", "--conn-host", "127.0.0.1", "--conn-port", port, "--conn-extra", `{"token": "tok-2"}`)
	h.ok("connections", "add", "pg", "--conn-type", "postgres", "--conn-host", pg.Host, "--conn-port", strconv.Itoa(pg.Port),
		"--conn-login", pg.User, "--conn-password", pg.Password, "--conn-schema", "warehouse")

	rows := func() string {
		t.Helper()
		out, err := pg.Psql("warehouse", "select string_agg(to_char(day, 'YYYY-MM-DD') || ' ' || id || ' ' || total || ' ' || eur, ', ' order by day, id) from orders")
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	for range 2 { // the second run of the day must leave its rows as they were
		if out := h.ok("dags", "test", "pg_etl", "2024-03-01"); !strings.Contains(out, "ended success") {
			t.Fatalf("dags test:\n%s", out)
		}
		if got, want := rows(), "2024-03-01 1 101 50.5, 2024-03-01 3 201 100.5\n"; !strings.Contains(got, want) {
			t.Errorf("the warehouse after dags test = %q, want %q", got, want)
		}
	}
	if rv := returnValue(t, h.ok("tasks", "test", "pg_etl", "read", "2024-03-01", "-o", "json")); rv != `[["2024-03-01",1,101,"50.5"],["2024-03-01",3,201,"100.5"]]` {
		t.Errorf("read's return_value = %s, want the day's rows", rv)
	}

	h.standalone(t)
	h.ok("dags", "unpause", "pg_etl")
	if out := h.ok("dags", "trigger", "pg_etl", "-e", "2024-03-02", "--run-id", "mar2", "--wait"); !strings.Contains(out, "success") {
		t.Errorf("trigger --wait:\n%s", out)
	}
	h.ok("dags", "pause", "pg_etl")
	if got, want := rows(), "2024-03-01 1 101 50.5, 2024-03-01 3 201 100.5, 2024-03-02 1 102 51, 2024-03-02 3 202 101"; !strings.Contains(got, want) {
		t.Errorf("the warehouse after the scheduler's run = %q, want %q", got, want)
	}
}
