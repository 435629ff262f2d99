// Package config loads wasmflow's settings: defaults, then $WASMFLOW_HOME/wasmflow.toml, then
// WASMFLOW__SECTION__KEY environment variables (env wins), like Airflow's AIRFLOW__CORE__... .
// Every key is declared once in the keys table (keys.go), with its default and what it does.
//
// By file: config.go the Config and Load; keys.go the key table and its value parsers;
// file.go wasmflow.toml, read and written (SetInFile); settings.go the resolved settings
// listed for `config list` and the API, secrets masked.
package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Config is every setting, resolved.
type Config struct {
	Home string // WASMFLOW_HOME: holds wasmflow.toml, dags/, wasmflow.db, logs/, cache/

	Core struct {
		DagsFolder              string
		LoadExamples            bool
		Parallelism             int
		DagsArePausedAtCreation bool
		MaxConfSize             int64 // bytes of a run's conf, as JSON
		// MaxMapLength is the most task instances a mapped task may expand into; a longer
		// list fails the task that pushed it (Airflow's UnmappableXComLengthPushed).
		MaxMapLength int
		// AllowedMountFolders are host folders, besides the DAGs and examples folders, that a
		// task's mounts may use; absolute once loaded.
		AllowedMountFolders []string
		// MaxTaskMemory caps the memory limits of the tries this process runs at once, added
		// up; 0 ("auto") is the task runtime's default, half of the machine's memory.
		MaxTaskMemory int64
		// MountQuota is what one try may write into its writable mounts, unless the task sets
		// mount_quota.
		MountQuota int64
		// DefaultTaskExecutionTimeout is the execution_timeout of a task that sets none, so a
		// module that never ends does not hold its slot until someone marks it failed.
		DefaultTaskExecutionTimeout time.Duration
		// FernetKey encrypts connection passwords and extras in the metastore; empty means
		// the key file in the home (FernetKeyFile), generated on first start.
		FernetKey string
	}
	Scheduler struct {
		DagDirListInterval time.Duration // rescan of the DAGs folder, backstop to file watching
		// HeartbeatInterval and OrphanTimeout are for several servers on one PostgreSQL
		// database: how often each tells the others it lives, and after how long without a
		// heartbeat the others take its runs over.
		HeartbeatInterval time.Duration
		OrphanTimeout     time.Duration
	}
	Database struct {
		URL string
		// The PostgreSQL connection pool, by Airflow's names: PoolSize connections kept open,
		// up to MaxOverflow more under load (-1: no limit), each replaced after PoolRecycle
		// (0: never). SQLite ignores them.
		PoolSize    int
		MaxOverflow int
		PoolRecycle time.Duration
	}
	API struct {
		Listen string
		// TrustForwardedFor makes the login throttle take a client's address from the
		// X-Forwarded-For header a proxy in front adds, instead of the connection's.
		TrustForwardedFor bool
		// ExposeConfig lets GET /api/v1/config answer the settings (secrets masked), as
		// Airflow's webserver.expose_config; off, it answers 403.
		ExposeConfig bool
	}
	Cluster struct {
		Bind      string
		SecretKey string
	}
	Logging struct {
		Level string
	}
	CLI struct {
		Server string
		Token  string
	}

	// set holds the keys wasmflow.toml or the environment gave ("section.name"): a default
	// that depends on the command (LocalCluster) never overrides one of them.
	set map[string]bool
}

// IsSet reports whether section.name was given in wasmflow.toml or the environment, rather
// than left at its default.
func (c Config) IsSet(section, name string) bool { return c.set[section+"."+name] }

// LocalClusterBind is cluster.bind's default for the commands that serve this machine alone
// (`wasmflow standalone`, the desktop app): a stranger on the network must not reach their
// cluster ports. `wasmflow server`, the seed of a cluster, keeps 0.0.0.0:7946.
const LocalClusterBind = "127.0.0.1:7946"

// LocalCluster makes cluster.bind LocalClusterBind unless wasmflow.toml or the environment
// set it: workers on other machines join only once it is set to an address they reach.
func (c *Config) LocalCluster() {
	if !c.IsSet("cluster", "bind") {
		c.Cluster.Bind = LocalClusterBind
	}
}

// LogsFolder is where try logs are written.
func (c Config) LogsFolder() string { return filepath.Join(c.Home, "logs") }

// FernetKeyFile is the key that encrypts connection secrets when core.fernet_key is not set:
// kept beside the metastore, never inside it, so a copy of wasmflow.db alone reveals nothing.
func (c Config) FernetKeyFile() string { return filepath.Join(c.Home, "fernet.key") }

// CacheFolder holds compiled modules and unpacked example DAGs.
func (c Config) CacheFolder() string { return filepath.Join(c.Home, "cache") }

// Load resolves the configuration from getenv (os.Getenv in production).
func Load(getenv func(string) string) (Config, error) {
	var c Config
	c.Home = getenv("WASMFLOW_HOME")
	if rest, ok := strings.CutPrefix(c.Home, "~/"); ok {
		if dir, err := os.UserHomeDir(); err == nil {
			c.Home = filepath.Join(dir, rest)
		}
	}
	if c.Home == "" {
		dir, err := os.UserHomeDir()
		if err != nil {
			return c, fmt.Errorf("find home folder: %w (set WASMFLOW_HOME)", err)
		}
		c.Home = filepath.Join(dir, "wasmflow")
	}
	if abs, err := filepath.Abs(c.Home); err == nil {
		c.Home = abs
	}
	c.set = map[string]bool{}
	for _, k := range keys {
		if err := k.set(&c, k.def(&c)); err != nil {
			return c, fmt.Errorf("default of %s.%s: %w", k.section, k.name, err)
		}
	}
	path := filepath.Join(c.Home, FileName)
	if err := c.loadFile(path); err != nil {
		return c, err
	}
	for _, k := range keys {
		if v := getenv(EnvName(k.section, k.name)); v != "" {
			if err := k.set(&c, v); err != nil {
				return c, fmt.Errorf("%s: %w", EnvName(k.section, k.name), err)
			}
			c.set[k.section+"."+k.name] = true
		}
	}
	// "~/" is the user's home; other relative folders are relative to WASMFLOW_HOME.
	paths := []*string{&c.Core.DagsFolder, &c.Database.URL}
	for i := range c.Core.AllowedMountFolders {
		paths = append(paths, &c.Core.AllowedMountFolders[i])
	}
	for _, p := range paths {
		if rest, ok := strings.CutPrefix(*p, "~/"); ok {
			if dir, err := os.UserHomeDir(); err == nil {
				*p = filepath.Join(dir, rest)
			}
		}
		if *p != "" && !filepath.IsAbs(*p) && !strings.Contains(*p, "://") {
			*p = filepath.Join(c.Home, *p)
		}
	}
	for i, f := range c.Core.AllowedMountFolders {
		c.Core.AllowedMountFolders[i] = filepath.Clean(f)
	}
	if err := c.checkMountFolders(); err != nil {
		return c, err
	}
	if c.Scheduler.OrphanTimeout < 2*c.Scheduler.HeartbeatInterval {
		return c, fmt.Errorf("scheduler.orphan_timeout (%s) must be at least twice scheduler.heartbeat_interval (%s): "+
			"a server would be taken for dead between two heartbeats", c.Scheduler.OrphanTimeout, c.Scheduler.HeartbeatInterval)
	}
	return c, nil
}

// checkMountFolders refuses an allowed mount folder that holds the home: tasks would read its
// api.secret, users and metastore. Both are compared where their links lead, so a link to /
// is no way round. (Mounts check the home again at parse and run time, whatever folder they go
// through: a core.dags_folder of ~ holds the home too.)
func (c Config) checkMountFolders() error {
	home := resolved(c.Home)
	for _, f := range c.Core.AllowedMountFolders {
		if rel, err := filepath.Rel(resolved(f), home); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return fmt.Errorf("core.allowed_mount_folders: %s holds WASMFLOW_HOME (%s), whose secrets tasks must not read: list the data folders themselves", f, c.Home)
		}
	}
	return nil
}

// resolved is where path leads through its links, or path cleaned when it does not exist yet.
func resolved(path string) string {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		return real
	}
	return filepath.Clean(path)
}
