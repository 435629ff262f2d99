package desktop

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/user"
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
// stopped (and run again at the next start). The user is waiting for the app to go away.
const shutdownGrace = 10 * time.Second

// webviewAddr is the RemoteAddr Wails gives the requests of its web view (RFC 5737
// TEST-NET, never a real peer). The window's API has no login, so it answers no one else.
const webviewAddr = "192.0.2.1:1234"

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
	// OnStopped, if set, is called when the scheduler stops by itself (not by Stop), with why.
	OnStopped func(error)
	// Grace is how long running tries may finish when the services stop; 0: shutdownGrace.
	Grace time.Duration

	// life serializes Start, Stop, Restart and Close: a quit during a restart waits for it,
	// then stops what it started.
	life   sync.Mutex
	closed bool

	mu      sync.Mutex // guards what readers see: app, info, lastErr
	app     *app.App
	info    Info
	lastErr error
	stop    context.CancelFunc
	run     *schedulerRun
	handler atomic.Pointer[http.Handler]
}

// schedulerRun is one run of the scheduler: exited is closed when it returned, err is why.
type schedulerRun struct {
	exited chan struct{}
	err    error
}

// Info says what runs.
type Info struct {
	Home       string
	DagsFolder string
	// JoinCommand joins a worker to this app; empty when the cluster ports were taken, and
	// NoCluster says why.
	JoinCommand string
	NoCluster   string
	// JoinNote says that only workers on this machine can join (cluster.bind is loopback).
	JoinNote string
}

// Start opens the home and starts the scheduler; it returns once the scheduler runs. A home
// another wasmflow already schedules is an *app.LockedError.
func (s *Services) Start(ctx context.Context) error {
	s.life.Lock()
	defer s.life.Unlock()
	return s.start(ctx)
}

func (s *Services) start(ctx context.Context) (err error) {
	defer func() {
		s.mu.Lock()
		s.lastErr = err
		s.mu.Unlock()
	}()
	if s.closed {
		return errors.New("wasmflow is quitting")
	}
	if s.App() != nil {
		return errors.New("the services already run")
	}
	cfg, err := config.Load(s.Getenv)
	if err != nil {
		return err
	}
	cfg.LocalCluster() // the window serves this machine: no cluster port for the network unless set
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
	ready, run := make(chan struct{}), &schedulerRun{exited: make(chan struct{})}
	var once sync.Once
	markReady := func() { once.Do(func() { close(ready) }) }
	go func() {
		defer close(run.exited)
		err := a.ServeCluster(runCtx, app.ClusterOptions{}, func(_ int, ex *cluster.RemoteExecutor, join string) {
			info.JoinCommand, info.JoinNote = join, app.JoinNote(ex)
			markReady()
		})
		var pe *app.ClusterPortError
		if errors.As(err, &pe) && runCtx.Err() == nil {
			// Another program has the cluster ports: the app still runs everything itself;
			// only workers on other machines cannot join it.
			info.NoCluster = err.Error()
			s.Log.Warn("running without the cluster: workers cannot join this app", "err", err)
			err = a.Serve(runCtx, func(int, int) { markReady() })
		}
		run.err = err
	}()
	select {
	case <-ready:
	case <-run.exited:
		stop()
		a.Close()
		return cmp.Or(run.err, errors.New("the scheduler stopped while starting"))
	}
	s.mu.Lock()
	s.app, s.stop, s.info, s.run = a, stop, info, run
	s.mu.Unlock()
	s.handler.Store(&h)
	if s.OnRunFailed != nil {
		go watchFailures(runCtx, a.Events, s.OnRunFailed)
	}
	// The scheduler ends only when told to, unless something broke (the metastore's disk
	// is gone): say so rather than serve views of a home nothing schedules.
	go func() {
		<-run.exited
		if runCtx.Err() == nil && s.OnStopped != nil {
			s.OnStopped(cmp.Or(run.err, errors.New("the scheduler stopped")))
		}
	}()
	return nil
}

// Stop stops the scheduler (running tries get the grace period to finish) and closes the home.
func (s *Services) Stop() error {
	s.life.Lock()
	defer s.life.Unlock()
	return s.stopLocked()
}

// Close stops for good: the app is quitting, nothing may start again.
func (s *Services) Close() error {
	s.life.Lock()
	defer s.life.Unlock()
	s.closed = true
	return s.stopLocked()
}

func (s *Services) stopLocked() error {
	s.mu.Lock()
	a, stop, run := s.app, s.stop, s.run
	s.mu.Unlock()
	if a == nil {
		return nil
	}
	s.handler.Store(nil)
	stop()
	<-run.exited
	err := run.err
	s.mu.Lock()
	s.app, s.info, s.run = nil, Info{}, nil
	s.mu.Unlock()
	if cerr := a.Close(); err == nil {
		err = cerr
	}
	return err
}

// Restart stops and starts again, reading the configuration anew.
func (s *Services) Restart(ctx context.Context) error {
	s.life.Lock()
	defer s.life.Unlock()
	if err := s.stopLocked(); err != nil {
		s.Log.Warn("stop the scheduler", "err", err)
	}
	return s.start(ctx)
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

// ServeHTTP serves the API of the running services to the window's web view only; while
// they restart, a 503 the views retry.
func (s *Services) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.RemoteAddr != webviewAddr {
		// A development server (wails dev) would serve this no-login Admin API over TCP.
		problem(w, http.StatusForbidden, "the desktop window's API answers only its own window: use `wasmflow server` for a browser")
		return
	}
	h := s.handler.Load()
	if h == nil {
		s.mu.Lock()
		why := "wasmflow is starting or restarting its scheduler"
		if s.lastErr != nil {
			why = "wasmflow's scheduler is not running: " + s.lastErr.Error()
		}
		s.mu.Unlock()
		w.Header().Set("Retry-After", "1")
		problem(w, http.StatusServiceUnavailable, why)
		return
	}
	(*h).ServeHTTP(w, r)
}

func problem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	fmt.Fprintf(w, "{\"status\":%d,\"title\":%q,\"detail\":%q,\"type\":\"about:blank\"}\n", status, http.StatusText(status), detail)
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
// on the command line agrees) and the scheduler restarts on it. When the scheduler cannot
// start on it, the previous folder is put back and the scheduler restarted on that.
func (s *Services) SetDagsFolder(ctx context.Context, dir string) error {
	s.life.Lock()
	defer s.life.Unlock()
	old := s.Info()
	if old.Home == "" {
		return errors.New("wasmflow's scheduler is not running")
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("%s is not a folder wasmflow can read", dir)
	}
	if _, err := os.ReadDir(dir); err != nil {
		return fmt.Errorf("cannot read %s: %w", dir, err)
	}
	if err := config.SetInFile(old.Home, "core", "dags_folder", dir, s.Getenv); err != nil {
		return err
	}
	if err := s.stopLocked(); err != nil {
		s.Log.Warn("stop the scheduler", "err", err)
	}
	err := s.start(ctx)
	if err == nil {
		return nil
	}
	if rerr := config.SetInFile(old.Home, "core", "dags_folder", old.DagsFolder, s.Getenv); rerr != nil {
		return fmt.Errorf("cannot run on %s (%w), nor put %s back in %s: %v", dir, err, old.DagsFolder, config.FileName, rerr)
	}
	if serr := s.start(ctx); serr != nil {
		return fmt.Errorf("cannot run on %s (%w), nor again on %s: %v", dir, err, old.DagsFolder, serr)
	}
	return fmt.Errorf("cannot run on %s, so wasmflow went back to %s: %w", dir, old.DagsFolder, err)
}
