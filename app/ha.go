package app

import (
	"context"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
)

// Several `wasmflow server` processes may drive one shared (PostgreSQL) database, all active:
// each records a scheduler job and drives the runs it owns (see scheduler.JobStore). A SQLite
// home keeps its lock instead: one scheduler per file (lockScheduling).

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
	if a.Store.Shared() {
		cfg.Jobs = a.Store
		cfg.HeartbeatInterval, cfg.OrphanTimeout = a.Config.Scheduler.HeartbeatInterval, a.Config.Scheduler.OrphanTimeout
	}
	return cfg
}
