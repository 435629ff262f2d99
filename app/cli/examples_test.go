package cli

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/glebarez/go-sqlite" // database/sql driver "sqlite", to read the warehouse back

	"github.com/wasmflow/wasmflow/examples"
	"github.com/wasmflow/wasmflow/tasks/operators/operatorstest"
)

// withOperators builds the operator modules (a fresh clone has not run `make operators`) and
// gives the home the shared compilation cache, so the script module is compiled once per
// machine rather than once per home. Call it before the home is first opened.
func withOperators(t *testing.T, h *home) {
	t.Helper()
	cache := operatorstest.Build(t)
	if err := os.MkdirAll(filepath.Join(h.dir, "cache"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(cache, filepath.Join(h.dir, "cache", "modules")); err != nil {
		t.Fatal(err)
	}
}

// warehouseRow is one row of test_pipe's orders table.
type warehouseRow struct {
	OrderID  int64
	Customer string
	Amount   float64
}

// warehouse reads the rows test_pipe loaded for a day from the SQLite file of the
// examples_warehouse connection, in the home.
func warehouse(t *testing.T, h *home, day string) []warehouseRow {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(h.dir, "examples_warehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("select order_id, customer, amount from orders where day = ? order by order_id", day)
	if err != nil {
		t.Fatalf("read the warehouse: %v", err)
	}
	defer rows.Close()
	var out []warehouseRow
	for rows.Next() {
		var r warehouseRow
		if err := rows.Scan(&r.OrderID, &r.Customer, &r.Amount); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// paidOrders is what test_pipe must load for a day: the demo API's paid orders, in units.
func paidOrders(t *testing.T, day string) []warehouseRow {
	t.Helper()
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		t.Fatal(err)
	}
	var out []warehouseRow
	for _, o := range examples.DemoOrders(d) {
		if o.Status == "paid" {
			out = append(out, warehouseRow{OrderID: o.ID, Customer: o.Customer, Amount: float64(o.AmountCents) / 100})
		}
	}
	return out
}

// checkLoaded compares the warehouse's rows of a day with the demo API's paid orders.
func checkLoaded(t *testing.T, h *home, day string) {
	t.Helper()
	got, want := warehouse(t, h, day), paidOrders(t, day)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the warehouse's rows for %s = %v, want the demo API's paid orders %v", day, got, want)
	}
}

// The example DAG test_pipe end to end on a fresh home, as a user runs it from a fresh clone:
// the example connections are there, `dags test` serves the demo API itself (no standalone
// runs), the day's orders are fetched over loopback HTTP, transformed by the script, loaded
// into the SQLite warehouse in the home, found by the sensor and reported; a rerun of the
// same day replaces its rows instead of adding to them. example_http runs on the same demo
// API, its script calling it through http(). Then the running scheduler
// (standalone, in this process) runs a triggered day the same way.
func TestExamplePipelineEndToEnd(t *testing.T) {
	h := newHome(t)
	withOperators(t, h)
	out := h.ok("dags", "test", "test_pipe", "2024-03-01")
	for _, w := range []string{"ended success", "extract", "transform", "load", "wait_rows", "report"} {
		if !strings.Contains(out, w) {
			t.Errorf("dags test output misses %q:\n%s", w, out)
		}
	}
	checkLoaded(t, h, "2024-03-01")
	want := paidOrders(t, "2024-03-01")
	revenue := 0.0
	customers := map[string]bool{}
	for _, o := range want {
		revenue += o.Amount
		customers[o.Customer] = true
	}
	runs := decode[[]map[string]any](t, h.ok("dags", "list-runs", "-d", "test_pipe", "-o", "json"))
	report := h.ok("tasks", "logs", "test_pipe", runs[0]["dag_run_id"].(string), "report")
	if line := fmt.Sprintf("2024-03-01: %d paid orders, %v in revenue, from %d customers", len(want), math.Round(revenue*100)/100, len(customers)); !strings.Contains(report, line) {
		t.Errorf("the report's log lacks %q:\n%s", line, report)
	}

	h.ok("dags", "test", "test_pipe", "2024-03-01")
	checkLoaded(t, h, "2024-03-01") // the same rows, not twice as many

	// example_http: the sensor on /ready, a checked and filtered fetch, a script's own http().
	h.ok("dags", "test", "example_http", "2024-03-01")
	big := 0
	for _, o := range want {
		if o.Amount >= 100 {
			big++
		}
	}
	runs = decode[[]map[string]any](t, h.ok("dags", "list-runs", "-d", "example_http", "-o", "json"))
	if log, line := h.ok("tasks", "logs", "example_http", runs[0]["dag_run_id"].(string), "big_orders"),
		fmt.Sprintf("%d of %d paid orders on 2024-03-01 are at least 100", big, len(want)); !strings.Contains(log, line) {
		t.Errorf("big_orders' log lacks %q:\n%s", line, log)
	}

	stop := h.standalone(t)
	h.ok("dags", "unpause", "test_pipe")
	if out := h.ok("dags", "trigger", "test_pipe", "-e", "2024-02-01", "--run-id", "feb1", "--wait"); !strings.Contains(out, "success") {
		t.Errorf("trigger --wait:\n%s", out)
	}
	h.ok("dags", "pause", "test_pipe") // the day before today, scheduled once unpaused, may stop where it is
	stop()
	checkLoaded(t, h, "2024-02-01")
	checkLoaded(t, h, "2024-03-01")
}

// The example connections are made on a fresh home, and a user's connection of the same id
// is never replaced: test_pipe then uses the user's.
func TestExampleConnections(t *testing.T) {
	h := newHome(t)
	conns := decode[[]map[string]any](t, h.ok("connections", "list", "-o", "json"))
	if len(conns) != 2 || conns[0]["connection_id"] != "examples_api" || conns[0]["host"] != "127.0.0.1" || conns[0]["port"] == nil ||
		conns[1]["connection_id"] != "examples_warehouse" || conns[1]["host"] != filepath.Join(h.dir, "examples_warehouse.db") {
		t.Errorf("a fresh home's connections = %v, want examples_api on a loopback port and examples_warehouse in the home", conns)
	}

	mine := newHome(t, "WASMFLOW__CORE__LOAD_EXAMPLES", "false")
	mine.ok("connections", "add", "examples_warehouse", "--conn-type", "sqlite", "--conn-host", "/srv/my.db")
	delete(mine.env, "WASMFLOW__CORE__LOAD_EXAMPLES")
	got := decode[map[string]any](t, mine.ok("connections", "get", "examples_warehouse", "-o", "json"))
	if got["host"] != "/srv/my.db" {
		t.Errorf("the user's examples_warehouse became %v", got)
	}
	if out := mine.ok("connections", "get", "examples_api", "-o", "json"); !strings.Contains(out, "127.0.0.1") {
		t.Errorf("the missing examples_api was not created: %s", out)
	}
}

// standalone runs `wasmflow standalone` on the home in this process (so the operator modules
// operatorstest built are the ones it runs) until the returned stop is called; it returns
// once the scheduler is running.
func (h *home) standalone(t *testing.T) (stop func()) {
	t.Helper()
	h.env["WASMFLOW__API__LISTEN"] = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	out := &lineWaiter{want: "the scheduler is running", seen: make(chan struct{})}
	done := make(chan int, 1)
	go func() {
		getenv := func(k string) string {
			if k == "WASMFLOW_HOME" {
				return h.dir
			}
			return h.env[k]
		}
		done <- Run(ctx, []string{"standalone"}, IO{Stdin: strings.NewReader(""), Stdout: out, Stderr: out, Getenv: getenv})
	}()
	select {
	case <-out.seen:
	case code := <-done:
		cancel()
		t.Fatalf("standalone exited %d before it was ready:\n%s", code, out.String())
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if code := <-done; code != 0 {
				t.Errorf("standalone exited %d:\n%s", code, out.String())
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// lineWaiter collects output and closes seen once want is written.
type lineWaiter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
	once sync.Once
}

func (w *lineWaiter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}

func (w *lineWaiter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
