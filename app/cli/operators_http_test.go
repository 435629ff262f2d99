package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/wasmflow/wasmflow/tasks/operators/operatorstest"
)

// ordersAPI is a loopback server standing for a user's API: /orders wants the connection's
// token and answers the day's items, /echo answers the request's method, content type and
// body, anything else is a 404 with a message.
type ordersAPI struct {
	*httptest.Server
	mu   sync.Mutex
	days []string
}

func newOrdersAPI(t *testing.T) *ordersAPI {
	a := &ordersAPI{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/orders":
			if r.Header.Get("Authorization") != "Bearer tok-1" {
				http.Error(w, "no token", http.StatusUnauthorized)
				return
			}
			a.mu.Lock()
			a.days = append(a.days, r.URL.Query().Get("day"))
			a.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"items": [{"id": 1, "total": 120}, {"id": 2, "total": 80}]}`)
		case "/echo":
			b, _ := io.ReadAll(r.Body)
			fmt.Fprintf(w, "%s %s %s", r.Method, r.Header.Get("Content-Type"), b)
		default:
			http.Error(w, "no such orders: "+r.URL.Path, http.StatusNotFound)
		}
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *ordersAPI) port() string { return strconv.Itoa(a.Listener.Addr().(*net.TCPAddr).Port) }

const httpDAG = `dag_id: fetching
tasks:
  - id: fetch
    operator: http
    http_conn_id: api
    endpoint: /orders?day={{ ds }}
    method: GET
    response_check: status == 200 && headers["Content-Type"] == "application/json" && len(json.items) > 0
    response_filter: filter(json.items, .total > 100)
  - id: post
    operator: http
    url: http://127.0.0.1:PORT/echo
    allow_hosts: ["127.0.0.1:PORT"]
    data: '{"day": "{{ ds }}"}'
    headers: '{"Content-Type": "application/json"}'
  - id: missing
    operator: http
    http_conn_id: api
    endpoint: /gone
    method: GET
  - id: few
    operator: http
    http_conn_id: api
    endpoint: /orders
    method: GET
    response_check: len(json.items) > 5
`

const badHTTPDAG = `dag_id: bad_fetch
tasks:
  - id: typo
    operator: http
    http_conn_id: api
    endpoint: /orders
    response_chek: status == 200
  - id: syntax
    operator: http
    http_conn_id: api
    response_check: status == 200 &&
  - id: both
    operator: http
    http_conn_id: api
    url: http://127.0.0.1:1/
    allow_hosts: ["127.0.0.1:1"]
  - id: neither
    operator: http
    endpoint: /orders
  - id: typo_name
    operator: http
    http_conn_id: api
    response_check: stauts == 200
  - id: ungranted
    operator: http
    url: http://example.com/x
`

// `tasks test` runs operator: http against a real loopback server: through a connection (the
// host adds its token), and by url under allow_hosts; the check and the filter are evaluated
// on the response, and a failing status or check fails the try with the status and body.
func TestTasksTestHTTPOperator(t *testing.T) {
	cache := operatorstest.Build(t)
	api := newOrdersAPI(t)
	dags := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dags, name), []byte(strings.ReplaceAll(text, "PORT", api.port())), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("fetching.yaml", httpDAG)
	write("bad_fetch.yaml", badHTTPDAG)
	h := newHome(t, "WASMFLOW__CORE__DAGS_FOLDER", dags, "WASMFLOW__CORE__LOAD_EXAMPLES", "false")
	if err := os.MkdirAll(filepath.Join(h.dir, "cache"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(cache, filepath.Join(h.dir, "cache", "modules")); err != nil {
		t.Fatal(err)
	}
	h.ok("connections", "add", "api", "--conn-type", "http", "--conn-host", "127.0.0.1", "--conn-port", api.port(), "--conn-extra", `{"token": "tok-1"}`)

	errs := h.ok("dags", "list-import-errors")
	for _, want := range []string{
		`7:5: unknown task key "response_chek" (did you mean "response_check"?)`,
		`11:36: task "syntax": response_check: expression "status == 200 &&" over status, headers, text and json: unexpected token EOF`,
		`15:5: task "both": http_conn_id and url exclude each other`,
		`18:15: task "neither": operator http needs one of http_conn_id or url`,
		`23:21: task "typo_name": response_check: expression "stauts == 200" over status, headers, text and json: unknown name stauts`,
		`task "ungranted": url: host example.com:80 is not granted to this task`,
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("dags list-import-errors lacks %q:\n%s", want, errs)
		}
	}

	var got []map[string]any
	if err := json.Unmarshal([]byte(returnValue(t, h.ok("tasks", "test", "fetching", "fetch", "2024-03-01", "-o", "json"))), &got); err != nil ||
		len(got) != 1 || got[0]["id"] != float64(1) {
		t.Errorf("fetch return_value = %v (%v), want the one item over 100", got, err)
	}
	api.mu.Lock()
	days := append([]string(nil), api.days...)
	api.mu.Unlock()
	if len(days) != 1 || days[0] != "2024-03-01" {
		t.Errorf("the server saw days %q, want the rendered endpoint's 2024-03-01", days)
	}
	if rv := returnValue(t, h.ok("tasks", "test", "fetching", "post", "2024-03-01", "-o", "json")); rv != `POST application/json {"day": "2024-03-01"}` {
		t.Errorf("post return_value = %q", rv)
	}
	for task, want := range map[string]string{
		"missing": "GET conn://api/gone answered 404: no such orders: /gone",
		"few":     `GET conn://api/orders answered 200 and response_check "len(json.items) > 5" is false: {"items"`,
	} {
		code, out, stderr := h.run("", "tasks", "test", "fetching", task)
		if code != 1 || !strings.Contains(out+stderr, want) || !strings.Contains(stderr, "ended failed") {
			t.Errorf("tasks test %s: exit %d, want 1 and %q\nstdout: %s\nstderr: %s", task, code, want, out, stderr)
		}
	}
}
