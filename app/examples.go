package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/wasmflow/wasmflow/examples"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// The connections the example DAGs use (test_pipe, example_http). They are created on a
// home that loads the examples and lacks them, never over a user's connection of that id.
const (
	ExamplesAPIConn       = "examples_api"
	ExamplesWarehouseConn = "examples_warehouse"
)

// examplesAPIDescription marks the examples_api connection wasmflow created: only on that
// one's port does wasmflow serve the demo API (a user's examples_api is theirs to point
// anywhere).
const examplesAPIDescription = "the example DAGs' demo API, served on this loopback port by the wasmflow that runs their tasks"

// ensureExampleConnections adds the example DAGs' connections that are missing. It runs
// before the first DAG sync, which checks that the connections an operator field names exist.
//
// The demo API's port is chosen once, free at that moment, and kept in the connection: every
// wasmflow on this home then serves the demo API on it (serveExamplesAPI), so a `dags test`
// with no standalone running reaches it as a scheduled run does.
func (a *App) ensureExampleConnections(ctx context.Context) error {
	ids, err := a.Store.ConnectionIDs(ctx)
	if err != nil {
		return err
	}
	var missing []tasks.Connection
	if !ids[ExamplesAPIConn] {
		port, err := freeLoopbackPort()
		if err != nil {
			return fmt.Errorf("choose a port for the example DAGs' demo API: %w", err)
		}
		missing = append(missing, tasks.Connection{ConnID: ExamplesAPIConn, ConnType: "http", Host: "127.0.0.1", Port: port,
			Description: examplesAPIDescription})
	}
	if !ids[ExamplesWarehouseConn] {
		missing = append(missing, tasks.Connection{ConnID: ExamplesWarehouseConn, ConnType: "sqlite",
			Host:        filepath.Join(a.Config.Home, "examples_warehouse.db"),
			Description: "the SQLite warehouse the example DAG test_pipe loads"})
	}
	for _, c := range missing {
		// AddConnection never replaces: another wasmflow opening the home at the same time
		// may have added it first, which is as good.
		if err := a.Store.AddConnection(ctx, c); err != nil && !errors.Is(err, scheduler.ErrExists) {
			return fmt.Errorf("create the example DAGs' connection %s: %w", c.ConnID, err)
		}
	}
	return nil
}

func freeLoopbackPort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// serveExamplesAPI serves the demo API on the examples_api connection's port while this
// process runs tasks (it is called with the task runtime), so the example DAGs need no network
// and no other process. When the port is taken by another wasmflow (a standalone serving it),
// that one answers; when something else holds it, a warning says how to move the connection.
// A user's own examples_api connection (not the one wasmflow made) is left alone.
func (a *App) serveExamplesAPI(ctx context.Context) {
	if !a.Config.Core.LoadExamples {
		return
	}
	c, err := a.Store.GetConnection(ctx, ExamplesAPIConn)
	if err != nil || c.Description != examplesAPIDescription || c.Host != "127.0.0.1" || c.Port == 0 {
		return
	}
	addr := net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) && demoAPIAt(addr) {
			return // another wasmflow on this home serves it
		}
		a.Log.Warn("the example DAGs' demo API cannot be served, so their http tasks will fail: "+
			"`wasmflow connections delete "+ExamplesAPIConn+"` and the next start picks another port", "addr", addr, "err", err)
		return
	}
	srv := &http.Server{Handler: examples.DemoAPI(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	a.demoAPI = srv
}

// demoAPIAt reports whether addr answers as the demo API.
func demoAPIAt(addr string) bool {
	client := http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get("http://" + addr + "/ready")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var ready struct{ Service string }
	return json.NewDecoder(resp.Body).Decode(&ready) == nil && ready.Service == examples.DemoAPIService
}
