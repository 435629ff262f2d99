package scheduler_test

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/scheduler/metastore"
	"github.com/wasmflow/wasmflow/tasks"
)

// TestResolveGrants: a try's grants resolve to the stored connections, secrets included; a
// connection deleted since the DAG parsed is a MissingConnectionError that names it and how to
// add it back.
func TestResolveGrants(t *testing.T) {
	ctx := t.Context()
	store := openStore(t)
	text, _ := metastore.GenerateSecretKey()
	key, err := metastore.NewSecretKey(text, "test")
	if err != nil {
		t.Fatal(err)
	}
	store.UseSecretKey(key)
	for _, c := range []tasks.Connection{{ConnID: "api", ConnType: "http", Password: "pw"}, {ConnID: "vault", ConnType: "http", Extra: `{"token":"t"}`}} {
		if err := store.SetConnection(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	g := tasks.Grants{Connections: []string{"api"}, Secrets: []string{"vault", "api"}, AllowHosts: []string{"x.example.com"}}
	got, err := scheduler.ResolveGrants(ctx, store, g)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["api"].Password != "pw" || got["vault"].Extra != `{"token":"t"}` {
		t.Errorf("ResolveGrants = %+v", got)
	}
	if err := store.DeleteConnection(ctx, "vault"); err != nil {
		t.Fatal(err)
	}
	_, err = scheduler.ResolveGrants(ctx, store, g)
	var missing *scheduler.MissingConnectionError
	if !errors.As(err, &missing) || missing.ConnID != "vault" ||
		!strings.Contains(err.Error(), `connection "vault" does not exist (deleted since the DAG was parsed?)`) ||
		!strings.Contains(err.Error(), "wasmflow connections add vault") {
		t.Errorf("ResolveGrants after a delete = %v, want a MissingConnectionError naming vault and how to add it", err)
	}
}

// TestGrantsReachTheModule: through a DAG file on the local executor, a task granted a
// connection calls it (the host adds the token the server checks) and the try's record comes
// back with the result; a task whose connection was deleted after the DAG parsed fails with
// that reason, and its module never runs.
func TestGrantsReachTheModule(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok-1" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "items")
	}))
	defer api.Close()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "modules"), 0o755)
	cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, "modules", "hostio.wasm"), "../runtime/testdata/hostio")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build runtime/testdata/hostio: %v\n%s", err, out)
	}
	store := openStore(t)
	text, _ := metastore.GenerateSecretKey()
	key, err := metastore.NewSecretKey(text, "test")
	if err != nil {
		t.Fatal(err)
	}
	store.UseSecretKey(key)
	port := api.Listener.Addr().(*net.TCPAddr).Port
	for _, c := range []tasks.Connection{
		{ConnID: "api", ConnType: "http", Host: "127.0.0.1", Port: port, Extra: `{"token": "tok-1"}`},
		{ConnID: "vault", ConnType: "http", Password: "pw"},
	} {
		if err := store.SetConnection(t.Context(), c); err != nil {
			t.Fatal(err)
		}
	}
	write(t, filepath.Join(dir, "io.yaml"), `dag_id: io
tasks:
  - id: fetch
    module: modules/hostio.wasm
    args: [get, "conn://api/v1/items"]
    connections: [api]
  - id: gone
    module: modules/hostio.wasm
    args: [secret, vault]
    secrets: [vault]
`)
	rg := &rig{t: t, dir: dir, store: store, finished: map[string]chan scheduler.DagRun{}}
	rg.sync = &scheduler.DagSyncer{Store: store, Folders: []string{dir}}
	if rep := syncOnce(t, rg.sync); rep.Errors > 0 {
		errs, _ := store.ListImportErrors(t.Context())
		t.Fatalf("the DAG does not parse: %+v", errs)
	}
	if err := store.DeleteConnection(t.Context(), "vault"); err != nil {
		t.Fatal(err)
	}
	rg.start()
	run, err := rg.sched.Trigger(t.Context(), "io", scheduler.TriggerOptions{LogicalDate: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	rg.mu.Lock()
	ended := rg.ch(run.DagID + "/" + run.RunID)
	rg.mu.Unlock()
	select { // the first try compiles a 10 MB module: on a busy machine, longer than rig.wait allows
	case <-ended:
	case <-time.After(2 * time.Minute):
		t.Fatalf("the run did not end: %v", rg.states(run))
	}
	tis := rg.states(run)
	if ti := tis["fetch"]; ti.State != tasks.StateSuccess {
		t.Errorf("fetch: %s %q", ti.State, ti.Reason)
	}
	x, err := store.GetXCom(t.Context(), "io", tis["fetch"].RunID, "fetch", "return_value")
	if err != nil || string(x.Value) != "status=200 body=items" {
		t.Errorf("fetch's return_value = %q, %v", x.Value, err)
	}
	tries, err := store.ListTaskTries(t.Context(), "io", run.RunID, "fetch")
	if err != nil || len(tries) != 1 || len(tries[0].Calls) != 1 {
		t.Fatalf("fetch's tries = %+v, %v; want one with its call", tries, err)
	}
	if c := tries[0].Calls[0]; c.Kind != "http" || c.Target != "api" || c.Op != "GET /v1/items" || c.Status != 200 || c.BytesIn != 5 || c.Refused {
		t.Errorf("fetch's recorded call = %+v", c)
	}
	if ti := tis["gone"]; ti.State != tasks.StateFailed || !strings.Contains(ti.Reason, `connection "vault" does not exist (deleted since the DAG was parsed?)`) {
		t.Errorf("gone: %s %q", ti.State, ti.Reason)
	}
}
