package app

import (
	"context"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
)

// Several `wasmflow server` processes may drive one shared (PostgreSQL) database, all active:
// each records a scheduler job and drives the runs it owns (see scheduler.JobStore). A SQLite
// home keeps its lock instead: one scheduler per file.

// lockHome takes the right to schedule. On SQLite it is the home's lock. On a shared database
// a server (server true) takes nothing, sharing the database with the others through its job;
// anything else (the CLI driving runs, or writing to them directly) is refused, as a
// LockedError, while a live scheduler job exists, so that it leaves the work to the servers.
func (a *App) lockHome(server bool) (release func(), err error) {
	if !a.Config.SharedDatabase() {
		return lockScheduler(a.Config.Home)
	}
	if server {
		return func() {}, nil
	}
	if n, err := a.liveSchedulers(context.Background()); err != nil {
		return nil, err
	} else if n > 0 {
		return nil, &LockedError{Path: a.Config.Database.URL, Shared: n}
	}
	return func() {}, nil
}

// liveSchedulers counts the scheduler jobs heard from within scheduler.orphan_timeout.
func (a *App) liveSchedulers(ctx context.Context) (int, error) {
	jobs, err := a.Store.ListJobs(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, j := range jobs {
		if j.Alive(time.Now(), a.Config.Scheduler.OrphanTimeout) {
			n++
		}
	}
	return n, nil
}

// withJobs makes cfg one of several active schedulers when the database is shared.
func (a *App) withJobs(cfg scheduler.Config) scheduler.Config {
	if a.Config.SharedDatabase() {
		cfg.Jobs = a.Store
		cfg.HeartbeatInterval, cfg.OrphanTimeout = a.Config.Scheduler.HeartbeatInterval, a.Config.Scheduler.OrphanTimeout
	}
	return cfg
}
