package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/wasmflow/wasmflow/app/config"
	"github.com/wasmflow/wasmflow/cluster"
	"github.com/wasmflow/wasmflow/examples"
	"github.com/wasmflow/wasmflow/runtime"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/scheduler/metastore"
	"github.com/wasmflow/wasmflow/tasks"
)

// App is wasmflow opened on one home: the configuration, the metastore and the DAG folders.
type App struct {
	Config config.Config
	Store  *metastore.Store
	Dags   *scheduler.DagSyncer
	Log    *slog.Logger
	// Events carries live changes to the API's subscribers while this process schedules.
	Events *Events
	// ShutdownGrace is how long running tries may go on once the scheduler is told to stop,
	// before they are killed; 0 means 30 s. The desktop window, which the user is waiting to
	// close, uses less.
	ShutdownGrace time.Duration

	runner *runtime.Runner // created on first use: not every command runs tasks
	// waitPoll is how often WaitRun reads a run that no scheduler in this process reports on;
	// 0 means defaultWaitPoll. Tests make it long to show a run here is followed by its events.
	waitPoll time.Duration
	// sched is the scheduler this process runs (Serve, ServeCluster), nil otherwise: changes
	// go to it directly instead of through the metastore's command queue.
	sched    atomic.Pointer[scheduler.Scheduler]
	executor atomic.Pointer[cluster.RemoteExecutor] // the cluster's, under ServeCluster
	demoAPI  *http.Server                           // the example DAGs' demo API, served with the runtime
}

// Open prepares the home (folders, metastore with migrations, example DAGs) without parsing
// DAGs yet; call SyncDags for that.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger, opts ...OpenOption) (*App, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var o openOptions
	for _, opt := range opts {
		opt(&o)
	}
	for _, dir := range []string{cfg.Home, cfg.Core.DagsFolder, cfg.LogsFolder(), cfg.CacheFolder()} {
		mode := os.FileMode(0o755)
		if dir == cfg.LogsFolder() {
			mode = scheduler.LogFolderMode
		}
		if err := os.MkdirAll(dir, mode); err != nil {
			return nil, fmt.Errorf("create %s: %w (set WASMFLOW_HOME to a writable folder)", dir, err)
		}
	}
	store, err := metastore.Open(ctx, cfg.Database.URL, append([]metastore.Option{metastore.WithPool(dbPool(cfg))}, o.store...)...)
	if err != nil {
		return nil, err // it names the file, never a URL's password
	}
	warnOpenModes(cfg, store.Path(), log)
	key, err := loadSecretKey(ctx, cfg, store, log)
	if err != nil {
		store.Close()
		return nil, err
	}
	store.UseSecretKey(key)
	a := &App{Config: cfg, Store: store, Log: log, Events: NewEvents()}
	folders := []string{cfg.Core.DagsFolder}
	if cfg.Core.LoadExamples {
		dir, err := examples.Unpack(filepath.Join(cfg.CacheFolder(), "examples"))
		if err != nil {
			store.Close()
			return nil, err
		}
		folders = append(folders, dir)
		if err := a.ensureExampleConnections(ctx); err != nil {
			store.Close()
			return nil, err
		}
	}
	// Mounts may use the folders DAGs come from and those an Admin lists, nothing else.
	// The home is private whatever core.dags_folder is (a dags_folder of ~ holds ~/.wasmflow):
	// home/dags and the unpacked examples, inside it, stay allowed.
	roots := tasks.MountRoots{Allowed: append(append([]string{}, folders...), cfg.Core.AllowedMountFolders...),
		Private: []string{cfg.Home}}
	a.Dags = &scheduler.DagSyncer{Store: store, Folders: folders, Log: log, PausedAtCreation: cfg.Core.DagsArePausedAtCreation,
		Parse: tasks.ParseOptions{MountRoots: roots}, Connections: store.ConnectionIDs}
	return a, nil
}

// OpenOption changes how Open opens the home.
type OpenOption func(*openOptions)

type openOptions struct{ store []metastore.Option }

// ForOneCommand opens the home for a process that runs one command and exits, as the CLI's
// do (not its servers): the metastore keeps one connection for reads and writes
// (metastore.SingleConnection), since opening more costs such a process more than it saves.
func ForOneCommand() OpenOption {
	return func(o *openOptions) { o.store = append(o.store, metastore.SingleConnection()) }
}

// dbPool is the PostgreSQL connection pool database.sql_alchemy_* configure, mapped as
// SQLAlchemy reads them: pool_size connections kept, max_overflow more at most (-1: no limit),
// each replaced after pool_recycle (0: never). A Config not from config.Load (no pool size)
// takes the metastore's default, which is Airflow's.
func dbPool(cfg config.Config) metastore.Pool {
	d := cfg.Database
	if d.PoolSize < 1 {
		return metastore.Pool{}
	}
	p := metastore.Pool{MaxIdle: d.PoolSize, MaxOpen: d.PoolSize + d.MaxOverflow, MaxLifetime: d.PoolRecycle}
	if d.MaxOverflow < 0 {
		p.MaxOpen = -1
	}
	if d.PoolRecycle <= 0 {
		p.MaxLifetime = -1
	}
	return p
}

// DBStatus is what `wasmflow db check` reports of a metastore.
type DBStatus struct {
	Where         string // the file, or the URL without its password
	Dialect       metastore.Dialect
	SchemaVersion int
	Server        string // "SQLite 3.41.2", "PostgreSQL 15.8"
}

// CheckDB checks the metastore without creating or migrating it, for `wasmflow db check`.
func CheckDB(ctx context.Context, cfg config.Config) (DBStatus, error) {
	store, err := metastore.Open(ctx, cfg.Database.URL, metastore.WithoutMigrations(), metastore.WithPool(dbPool(cfg)))
	if err != nil {
		return DBStatus{}, err
	}
	defer store.Close()
	if err := store.Check(ctx); err != nil {
		return DBStatus{}, err
	}
	st := DBStatus{Where: store.Where(), Dialect: store.Dialect()}
	if st.SchemaVersion, err = store.SchemaVersion(ctx); err != nil {
		return DBStatus{}, err
	}
	if st.Server, err = store.ServerVersion(ctx); err != nil {
		return DBStatus{}, err
	}
	return st, nil
}

// Close releases the task runtime and the metastore.
func (a *App) Close() error {
	if a.demoAPI != nil {
		a.demoAPI.Close()
	}
	if a.runner != nil {
		a.runner.Close(context.Background())
	}
	return a.Store.Close()
}

// SyncDags parses the DAG folders and records what changed. Example DAGs recorded earlier
// are deactivated when load_examples is off, as Airflow hides them, because no folder
// defines them any more.
func (a *App) SyncDags(ctx context.Context) (scheduler.SyncReport, error) {
	return a.Dags.SyncOnce(ctx)
}

// Actor names who does something, for the audit log: the signed-in user, or for the local
// CLI "cli:<os user>".
type Actor string

// LocalActor is the CLI user on this machine.
func LocalActor() Actor {
	if u, err := user.Current(); err == nil {
		return Actor("cli:" + u.Username)
	}
	return "cli"
}

func (a *App) audit(ctx context.Context, who Actor, event string, e scheduler.AuditEvent) {
	e.When, e.Owner, e.Event = time.Now().UTC(), string(who), event
	if err := a.Store.AddAuditEvent(ctx, e); err != nil {
		// The action itself succeeded; a missing audit row must not undo it, but it is logged.
		a.Log.Error("write audit log", "event", event, "err", err)
	}
}
