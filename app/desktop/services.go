package desktop

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os/user"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wasmflow/wasmflow/app"
	"github.com/wasmflow/wasmflow/app/api"
	"github.com/wasmflow/wasmflow/app/config"
	"github.com/wasmflow/wasmflow/cluster"
	"github.com/wasmflow/wasmflow/tasks"
)

// shutdownGrace is how long running tries may finish when the app quits, before they are
// killed (and retried at the next start). The user is waiting for the app to go away.
const shutdownGrace = 10 * time.Second

// Services are what the window hosts: the App on the home, its scheduler with a local worker
// (as a cluster server, so `wasmflow worker --join` works against the app) and the API its
// views call. They start before the window shows and stop after it closed; they restart in
// place when the user picks another DAGs folder.
type Services struct {
	Getenv  func(string) string
	Log     *slog.Logger
	Desktop api.Desktop // the window's own endpoints (dialogs, the rendered report)
	// OnRunFailed, if set, is called for each run that fails while the services run.
	OnRunFailed func(app.RunInfo)
	// Grace is how long running tries may finish when the services stop; 0: shutdownGrace.
	Grace time.Duration

	mu      sync.Mutex
	app     *app.App
	stop    context.CancelFunc
	done    chan error
	info    Info
	handler atomic.Pointer[http.Handler]
}

// Info says what runs.
type Info struct {
	Home       string
	DagsFolder string
	// JoinCommand joins a worker to this app; empty when the cluster ports were taken, and
	// NoCluster says why.
	JoinCommand string
	NoCluster   string
}

// Start opens the home and starts the scheduler; it returns once the scheduler runs. A home
// another wasmflow already schedules is an *app.LockedError.
func (s *Services) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.app != nil {
		return errors.New("the services already run")
	}
	cfg, err := config.Load(s.Getenv)
	if err != nil {
		return err
	}
	a, err := app.Open(ctx, cfg, s.Log)
	if err != nil {
		return err
	}
	a.ShutdownGrace = cmp.Or(s.Grace, shutdownGrace)
	srv, err := api.New(a, api.Options{LocalAdmin: localUser(), Desktop: s.Desktop, Log: s.Log})
	if err != nil {
		a.Close()
		return err
	}
	h := srv.Handler()
	info := Info{Home: cfg.Home, DagsFolder: cfg.Core.DagsFolder}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	ready, done := make(chan struct{}), make(chan error, 1)
	go func() {
		err := a.ServeCluster(runCtx, app.ClusterOptions{}, func(_ int, _ *cluster.RemoteExecutor, join string) {
			info.JoinCommand = join
			close(ready)
		})
		if err != nil && runCtx.Err() == nil && isClusterPortError(err) {
			// Another program has the cluster ports: the app still runs everything itself;
			// only workers on other machines cannot join it.
			info.NoCluster = err.Error()
			s.Log.Warn("running without the cluster: workers cannot join this app", "err", err)
			err = a.Serve(runCtx, func(int, int) { close(ready) })
		}
		done <- err
	}()
	select {
	case <-ready:
	case err := <-done:
		stop()
		a.Close()
		if err == nil {
			err = errors.New("the scheduler stopped while starting")
		}
		return err
	}
	s.app, s.stop, s.done, s.info = a, stop, done, info
	if s.OnRunFailed != nil {
		go watchFailures(runCtx, a.Events, s.OnRunFailed)
	}
	s.handler.Store(&h)
	return nil
}

// isClusterPortError tells a taken cluster port (the one error the app can run without).
func isClusterPortError(err error) bool {
	return strings.Contains(err.Error(), "cluster.bind")
}

// Stop stops the scheduler (running tries get shutdownGrace to finish) and closes the home.
func (s *Services) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.app == nil {
		return nil
	}
	s.handler.Store(nil)
	s.stop()
	err := <-s.done
	if cerr := s.app.Close(); err == nil {
		err = cerr
	}
	s.app = nil
	return err
}

// Restart stops and starts again, reading the configuration anew.
func (s *Services) Restart(ctx context.Context) error {
	if err := s.Stop(); err != nil {
		s.Log.Warn("stop the scheduler", "err", err)
	}
	return s.Start(ctx)
}

// Info says what runs; the zero Info when nothing does.
func (s *Services) Info() Info {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.info
}

// App is the open home, nil when stopped.
func (s *Services) App() *app.App {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.app
}

// Running counts the task instances queued or running, for the question before quitting.
func (s *Services) Running(ctx context.Context) (int, error) {
	a := s.App()
	if a == nil {
		return 0, nil
	}
	return a.Store.CountTaskInstances(ctx, tasks.StateQueued, tasks.StateRunning)
}

// ServeHTTP serves the API of the running services; while they restart, a 503 the views
// retry.
func (s *Services) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := s.handler.Load()
	if h == nil {
		w.Header().Set("Content-Type", "application/problem+json")
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, `{"status":503,"title":"Service Unavailable","detail":"wasmflow is starting or restarting its scheduler","type":"about:blank"}`)
		return
	}
	(*h).ServeHTTP(w, r)
}

// localUser names the window's user in the audit log.
func localUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "desktop:" + u.Username
	}
	return "desktop"
}

// watchFailures calls failed for each run that ends failed, until ctx ends.
func watchFailures(ctx context.Context, events *app.Events, failed func(app.RunInfo)) {
	for ctx.Err() == nil {
		ch, cancel := events.Subscribe("")
		for open := true; open; {
			select {
			case <-ctx.Done():
				cancel()
				return
			case e, ok := <-ch:
				open = ok
				if r, isRun := e.Data.(app.RunInfo); ok && isRun && e.Kind == "dag_run" && r.State == string(tasks.RunFailed) {
					failed(r)
				}
			}
		}
		cancel() // fell behind and was dropped: subscribe again
	}
}

// SetDagsFolder makes dir the DAGs folder: it is written to wasmflow.toml (so `wasmflow`
// on the command line agrees) and the scheduler restarts on it.
func (s *Services) SetDagsFolder(ctx context.Context, dir string) error {
	info := s.Info()
	if info.Home == "" {
		return errors.New("wasmflow is not running")
	}
	if err := config.SetInFile(info.Home, "core", "dags_folder", dir, s.Getenv); err != nil {
		return err
	}
	return s.Restart(ctx)
}
