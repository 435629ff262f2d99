package scheduler_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmflow/wasmflow/cluster"
	"github.com/wasmflow/wasmflow/runtime"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/scheduler/metastore"
	"github.com/wasmflow/wasmflow/tasks"
	"github.com/wasmflow/wasmflow/tasks/operators"
	"github.com/wasmflow/wasmflow/tasks/operators/operatorstest"
)

// PORT is the loopback server's port, replaced before the file is parsed.
const scriptHTTPPipeline = `dag_id: script_http
tasks:
  - id: by_conn
    operator: script
    language: javascript
    connections: [api]
    code: |
      const r = http({conn_id: "api", endpoint: "/orders?day=" + ds});
      log("orders answered", r.status, r.headers["Content-Type"]);
      return {status: r.status, totals: r.json.items.map(i => i.total), auth: r.json.auth};
  - id: by_url
    operator: script
    language: javascript
    allow_hosts: ["127.0.0.1:PORT"]
    code: |
      const r = http({url: "http://127.0.0.1:PORT", endpoint: "/echo", method: "post", data: {day: ds}, headers: {"X-Day": ds}});
      const missing = http("http://127.0.0.1:PORT/gone");
      return [r.status, r.text, missing.status, missing.text];
  - id: denied_caught
    operator: script
    language: javascript
    allow_hosts: ["127.0.0.1:PORT"]
    code: |
      try {
        http({conn_id: "api", endpoint: "/orders"});
        return "reached";
      } catch (e) {
        return e.message;
      }
  - id: denied
    operator: script
    language: javascript
    connections: [api]
    code: |
      const r = http("http://127.0.0.1:PORT/echo");
      return r.text;
`

// A script's http() makes its request through the host under the task's grants, as operator:
// http does, through the running scheduler against a real loopback server: by a granted
// connection (the host adds its token; the script never sees it), by URL to an allow_hosts
// host (a POST of a JSON object, headers; a 404 is an answer, not an error), and a request
// the grants do not allow is a JavaScript Error with the host's reason, which a script can
// catch and which otherwise fails the try, and is recorded as refused.
func TestScriptHTTPThroughScheduler(t *testing.T) {
	cache := operatorstest.Build(t)
	warmOperator(t, cache, "script")
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/orders":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"day": %q, "auth": %q, "items": [{"total": 50}, {"total": 150}]}`, r.URL.Query().Get("day"), r.Header.Get("Authorization"))
		case "/echo":
			b, _ := io.ReadAll(r.Body)
			fmt.Fprintf(w, "%s %s %s %s", r.Method, r.Header.Get("Content-Type"), r.Header.Get("X-Day"), b)
		default:
			http.Error(w, "no such page", http.StatusNotFound)
		}
	}))
	defer api.Close()
	port := fmt.Sprint(api.Listener.Addr().(*net.TCPAddr).Port)
	rg := newRig(t, map[string]string{"script_http": strings.ReplaceAll(scriptHTTPPipeline, "PORT", port)}, func(rg *rig) {
		rg.cacheDir = cache
		text, _ := metastore.GenerateSecretKey()
		key, err := metastore.NewSecretKey(text, "test")
		if err != nil {
			t.Fatal(err)
		}
		rg.store.UseSecretKey(key)
		c := tasks.Connection{ConnID: "api", ConnType: "http", Host: "127.0.0.1", Port: api.Listener.Addr().(*net.TCPAddr).Port, Extra: `{"token": "tok-9"}`}
		if err := rg.store.SetConnection(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	})
	run, tis := rg.trigger("script_http", nil)
	if got := stateMap(tis); got["by_conn"] != "success" || got["by_url"] != "success" || got["denied_caught"] != "success" || got["denied"] != "failed" {
		t.Fatalf("run %s, states %v", run.State, got)
	}
	ctx := context.Background()
	for task, want := range map[string]string{
		"by_conn":       `{"auth":"Bearer tok-9","status":200,"totals":[50,150]}`,
		"by_url":        `[200,"POST application/json 2024-03-01 {\"day\":\"2024-03-01\"}",404,"no such page\n"]`,
		"denied_caught": `http GET conn://api/orders: connection "api" is not granted: add "api" to the task's connections`,
	} {
		x, err := rg.store.GetXCom(ctx, "script_http", run.RunID, task, "return_value")
		if err != nil || string(x.Value) != want {
			t.Errorf("%s's return_value = %s, %v; want %s", task, x.Value, err, want)
		}
	}
	log, _ := os.ReadFile(cluster.LogPath(filepath.Join(rg.dir, ".logs"), scheduler.NewTIKey("script_http", run.RunID, "denied"), 1))
	if want := "script failed at line 1, column 15 of code (script_http.yaml:35): Error: http GET http://127.0.0.1:" + port +
		"/echo: host 127.0.0.1 is not granted: add \"127.0.0.1:" + port + "\" to allow_hosts"; !strings.Contains(string(log), want) {
		t.Errorf("denied's log lacks %q:\n%s", want, log)
	}
	tries, _ := rg.store.ListTaskTries(ctx, "script_http", run.RunID, "denied")
	if len(tries) != 1 || len(tries[0].Calls) != 1 || !tries[0].Calls[0].Refused {
		t.Errorf("denied's try = %+v, want one refused call recorded", tries)
	}
}

// warmOperator compiles an operator's module into the compilation cache before a run is
// timed by the rig's wait: a cold compile of the 19 MB script module takes longer than that
// on a busy machine.
func warmOperator(t *testing.T, cache, name string) {
	t.Helper()
	path, err := operators.ModulePath(name)
	if err != nil {
		t.Fatal(err)
	}
	wasm, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := runtime.New(context.Background(), runtime.Config{CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	if _, err := r.Run(context.Background(), runtime.Try{Module: wasm, TaskID: "warm", Stdin: "{}", Log: io.Discard}); err != nil {
		t.Fatal(err)
	}
}
