package scheduler_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/wasmflow/wasmflow/scheduler/metastore"
	"github.com/wasmflow/wasmflow/tasks"
	"github.com/wasmflow/wasmflow/tasks/operators/operatorstest"
)

const ioPipeline = `dag_id: etl
tasks:
  - id: wait_api
    operator: http_sensor
    http_conn_id: api
    endpoint: /ready
    response_check: json.ready == true
    poke_interval: 1s
    timeout: 1m
  - id: extract
    operator: http
    http_conn_id: api
    endpoint: /orders?day={{ ds }}
    method: GET
    response_filter: len(filter(json.items, .total > 100))
    upstream: [wait_api]
  - id: create
    operator: sql
    conn_id: wh
    sql: create table if not exists orders(day text, n integer)
  - id: load
    operator: sql
    conn_id: wh
    sql: insert into orders(day, n) values (?, ?)
    parameters: ["{{ ds }}", "{{ xcom('extract') }}"]
    upstream: [extract, create]
  - id: wait_rows
    operator: sql_sensor
    conn_id: wh
    sql: select n from orders where day = ?
    parameters: ["{{ ds }}"]
    poke_interval: 1s
    upstream: [load]
  - id: report
    operator: sql
    conn_id: wh
    sql: select day, n from orders
    upstream: [wait_rows]
`

// The HTTP and SQL operators and their sensors run through the scheduler against a real
// loopback server and a real SQLite file: http_sensor pokes again while the API is not ready
// (exit 100, not a failure), http extracts and filters, sql loads the upstream's XCom as a
// bound parameter, sql_sensor finds the row and a final query reads it back.
func TestHTTPAndSQLOperatorsThroughScheduler(t *testing.T) {
	cache := operatorstest.Build(t)
	var readyPolls atomic.Int64
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ready":
			fmt.Fprintf(w, `{"ready": %v}`, readyPolls.Add(1) > 1)
		case "/orders":
			fmt.Fprintf(w, `{"day": %q, "items": [{"total": 50}, {"total": 150}, {"total": 300}]}`, r.URL.Query().Get("day"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer api.Close()
	port := api.Listener.Addr().(*net.TCPAddr).Port
	db := filepath.Join(t.TempDir(), "wh.db")
	rg := newRig(t, map[string]string{"etl": ioPipeline}, func(rg *rig) {
		rg.cacheDir = cache
		text, _ := metastore.GenerateSecretKey()
		key, err := metastore.NewSecretKey(text, "test")
		if err != nil {
			t.Fatal(err)
		}
		rg.store.UseSecretKey(key)
		for _, c := range []tasks.Connection{
			{ConnID: "api", ConnType: "http", Host: "127.0.0.1", Port: port},
			{ConnID: "wh", ConnType: "sqlite", Host: db},
		} {
			if err := rg.store.SetConnection(context.Background(), c); err != nil {
				t.Fatal(err)
			}
		}
	})
	run, tis := rg.trigger("etl", nil)
	if got := stateMap(tis); run.State != tasks.RunSuccess {
		t.Fatalf("run %s, states %v", run.State, got)
	}
	if n := readyPolls.Load(); n < 2 {
		t.Errorf("the API's /ready was polled %d times, want a poke that was not yet and one that was", n)
	}
	ctx := context.Background()
	for task, want := range map[string]string{"extract": "2", "load": "1", "report": `[["2024-03-01",2]]`} {
		x, err := rg.store.GetXCom(ctx, "etl", run.RunID, task, "return_value")
		if err != nil || string(x.Value) != want {
			t.Errorf("%s's return_value = %s, %v; want %s", task, x.Value, err, want)
		}
	}
	tries, _ := rg.store.ListTaskTries(ctx, "etl", run.RunID, "wait_api")
	if len(tries) != 1 {
		t.Errorf("wait_api's tries = %d, want 1 (a not-yet poke is not a retry)", len(tries))
	}
}
