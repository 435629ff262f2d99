package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/wasmflow/wasmflow/tasks"
)

// key is one setting: where it lives, its default (rendered for docs), and how to set it.
type key struct {
	section, name string
	doc           string
	def           func(c *Config) string
	set           func(c *Config, v string) error
}

func str(p func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *p(c) = v; return nil }
}

func boolean(p func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		*p(c) = b
		return nil
	}
}

func positive(p func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("%q is not a whole number of at least 1", v)
		}
		*p(c) = n
		return nil
	}
}

func duration(p func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("%q is not a positive duration like 30s or 5m", v)
		}
		*p(c) = d
		return nil
	}
}

// size reads a byte size as DAG files write it (1048576, 512KiB, 64MiB, 1GiB) of at least min
// bytes; with auto, "auto" is 0 (the runtime's own default).
func size(p func(*Config) *int64, min int64, auto bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		if auto && strings.EqualFold(strings.TrimSpace(v), "auto") {
			*p(c) = 0
			return nil
		}
		n, err := tasks.ParseSize(v)
		if err != nil || n < min {
			least, or := "", ""
			if min > 1 {
				least = " of at least " + FormatSize(min) + ","
			}
			if auto {
				or = " or auto"
			}
			return fmt.Errorf("%q is not a size%s like 1048576, 512KiB or 1MiB%s", v, least, or)
		}
		*p(c) = n
		return nil
	}
}

// pathList reads a list of folders separated by the OS path-list separator (":" on Unix,
// ";" on Windows), as PATH is; empty entries are dropped.
func pathList(p func(*Config) *[]string) func(*Config, string) error {
	return func(c *Config, v string) error {
		var list []string
		for _, f := range filepath.SplitList(v) {
			if f = strings.TrimSpace(f); f != "" {
				list = append(list, f)
			}
		}
		*p(c) = list
		return nil
	}
}

var sizeUnits = []struct {
	suffix string
	bytes  int64
}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}

// FormatSize writes a size as tasks.ParseSize reads it, in the largest unit that divides it.
func FormatSize(n int64) string {
	for _, u := range sizeUnits {
		if n >= u.bytes && n%u.bytes == 0 && u.bytes > 1 {
			return strconv.FormatInt(n/u.bytes, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// sizeString renders a size setting as it can be written back; 0 is auto.
func sizeString(n int64) string {
	if n == 0 {
		return "auto"
	}
	return FormatSize(n)
}

// formatDuration writes d as time.ParseDuration reads it, without the zero minutes and
// seconds of a whole number of hours or minutes: 24h, 1h30m, 90s.
func formatDuration(d time.Duration) string {
	s := d.String()
	s, _ = strings.CutSuffix(s, "m0s")
	if strings.HasSuffix(s, "h0") {
		return strings.TrimSuffix(s, "0")
	}
	if !strings.ContainsAny(s[len(s)-1:], "smh") {
		s += "m"
	}
	return s
}

func fixed(s string) func(*Config) string { return func(*Config) string { return s } }

var keys = []key{
	{"core", "dags_folder", "folder scanned for DAG files (*.yaml, *.yml)",
		func(c *Config) string { return filepath.Join(c.Home, "dags") }, str(func(c *Config) *string { return &c.Core.DagsFolder })},
	{"core", "load_examples", "load the example DAGs shipped with wasmflow",
		fixed("true"), boolean(func(c *Config) *bool { return &c.Core.LoadExamples })},
	{"core", "dags_are_paused_at_creation", "new DAGs start paused unless their file sets is_paused_upon_creation",
		fixed("true"), boolean(func(c *Config) *bool { return &c.Core.DagsArePausedAtCreation })},
	{"core", "allowed_mount_folders", "host folders tasks may mount besides the DAGs folder (and the examples folder when loaded), separated by " + string(os.PathListSeparator) + " like PATH; every Op can read them through a DAG, and write them unless mounted :ro",
		fixed(""), pathList(func(c *Config) *[]string { return &c.Core.AllowedMountFolders })},
	{"core", "parallelism", "task instances running at once on this scheduler",
		fixed("32"), positive(func(c *Config) *int { return &c.Core.Parallelism })},
	{"core", "max_map_length", "the most task instances a mapped task (expand:) may expand into; a longer list fails the task whose XCom it is (or the mapped task, for a list no XCom made)",
		fixed("1024"), positive(func(c *Config) *int { return &c.Core.MaxMapLength })},
	{"core", "max_conf_size", "largest conf a run may have, as JSON (bytes, or with KiB, MiB, GiB); a trigger with more is refused",
		fixed("1MiB"), size(func(c *Config) *int64 { return &c.Core.MaxConfSize }, 1, false)},
	{"core", "max_task_memory", "the most memory the tries running at once in one process (standalone, server or worker) may hold, " +
		"their memory_limit added up; a try that does not fit waits, queued; auto: half of the machine's memory (or of its cgroup limit)",
		fixed("auto"), size(func(c *Config) *int64 { return &c.Core.MaxTaskMemory }, 1<<20, true)},
	{"core", "mount_quota", "the most one try may write into its writable mounts, together, unless the task sets mount_quota; " +
		"past it writes fail with ENOSPC",
		fixed("1GiB"), size(func(c *Config) *int64 { return &c.Core.MountQuota }, 1<<20, false)},
	{"core", "default_task_execution_timeout", "the execution_timeout of a task that sets none (a duration like 24h or 90m): " +
		"past it the module is stopped and the try fails as timed out, retried per its retries",
		fixed("24h"), duration(func(c *Config) *time.Duration { return &c.Core.DefaultTaskExecutionTimeout })},
	{"core", "fernet_key", "key that encrypts connection passwords and extras in the metastore (32 bytes, url-safe base64); empty: the file fernet.key in the home, generated on first start",
		fixed(""), str(func(c *Config) *string { return &c.Core.FernetKey })},
	{"scheduler", "dag_dir_list_interval", "full rescan of the DAGs folder; changes are also picked up at once by file watching",
		fixed("30s"), duration(func(c *Config) *time.Duration { return &c.Scheduler.DagDirListInterval })},
	{"scheduler", "heartbeat_interval", "how often each `wasmflow server` on a shared (PostgreSQL) database records that it lives, in its scheduler_job row",
		fixed("2s"), duration(func(c *Config) *time.Duration { return &c.Scheduler.HeartbeatInterval })},
	{"scheduler", "orphan_timeout", "how long a server on a shared (PostgreSQL) database may go without a heartbeat before the other servers take its runs over " +
		"(its tries that ran in its own process run again without using a retry); keep it above heartbeat_interval and the clock skew between the machines",
		fixed("15s"), duration(func(c *Config) *time.Duration { return &c.Scheduler.OrphanTimeout })},
	{"database", "url", "the metastore: a SQLite file path or sqlite:///path, or postgres://user:password@host:5432/db " +
		"(postgresql:// too; the database must exist), which several servers may share",
		func(c *Config) string { return filepath.Join(c.Home, "wasmflow.db") }, str(func(c *Config) *string { return &c.Database.URL })},
	{"database", "sql_alchemy_pool_size", "PostgreSQL: connections to the metastore each process keeps open (Airflow's name; SQLite ignores it)",
		fixed("5"), positive(func(c *Config) *int { return &c.Database.PoolSize })},
	{"database", "sql_alchemy_max_overflow", "PostgreSQL: connections opened beyond sql_alchemy_pool_size under load, closed again when idle; -1: no limit",
		fixed("10"), func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < -1 {
				return fmt.Errorf("%q is not a whole number of at least -1 (no limit)", v)
			}
			c.Database.MaxOverflow = n
			return nil
		}},
	{"database", "sql_alchemy_pool_recycle", "PostgreSQL: seconds after which a connection is closed and replaced " +
		"(a duration like 30m works too), so none outlives a proxy's or a firewall's idle timeout; 0 or -1: never",
		fixed("1800"), func(c *Config, v string) error {
			if n, err := strconv.Atoi(v); err == nil {
				c.Database.PoolRecycle = time.Duration(max(n, 0)) * time.Second
				return nil
			}
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("%q is not a number of seconds (1800) or a duration like 30m", v)
			}
			c.Database.PoolRecycle = max(d, 0)
			return nil
		}},
	{"api", "listen", "address of the HTTP API and UI",
		fixed("127.0.0.1:8080"), str(func(c *Config) *string { return &c.API.Listen })},
	{"api", "trust_forwarded_for", "take a client's address from the X-Forwarded-For header (its last address) for the login throttle, " +
		"which counts failed logins per client address and user; only behind a proxy that sets it, or a client could pick its address",
		fixed("false"), boolean(func(c *Config) *bool { return &c.API.TrustForwardedFor })},
	{"api", "expose_config", "serve the settings at GET /api/v1/config to Op and Admin (secrets masked), as Airflow's webserver.expose_config; " +
		"false: that endpoint answers 403",
		fixed("false"), boolean(func(c *Config) *bool { return &c.API.ExposeConfig })},
	{"cluster", "bind", "address workers gossip on (the data channel: the next port); `wasmflow server` binds 0.0.0.0:7946 unless set, `standalone` and the desktop app 127.0.0.1:7946 (set it for workers on other machines)",
		fixed("0.0.0.0:7946"), str(func(c *Config) *string { return &c.Cluster.Bind })},
	{"cluster", "secret_key", "shared secret that encrypts gossip; workers must use the same",
		fixed(""), str(func(c *Config) *string { return &c.Cluster.SecretKey })},
	{"logging", "level", "debug, info, warn or error",
		fixed("info"), func(c *Config, v string) error {
			switch strings.ToLower(v) {
			case "debug", "info", "warn", "warning", "error":
				c.Logging.Level = strings.ToLower(v)
				return nil
			}
			return fmt.Errorf("%q is not debug, info, warn or error", v)
		}},
	{"cli", "server", "URL of a running wasmflow server for CLI commands (empty: work on the local home)",
		fixed(""), str(func(c *Config) *string { return &c.CLI.Server })},
	{"cli", "token", "API token for cli.server",
		fixed(""), str(func(c *Config) *string { return &c.CLI.Token })},
}

// EnvName is the environment variable that sets section.name.
func EnvName(section, name string) string {
	return "WASMFLOW__" + strings.ToUpper(section) + "__" + strings.ToUpper(name)
}

func lookup(section, name string) (key, bool) {
	for _, k := range keys {
		if k.section == section && k.name == name {
			return k, true
		}
	}
	return key{}, false
}

// unknownKey says that [section] name is not a key, with the closest one if a typo is likely.
func unknownKey(section, name string) string {
	var names []string
	for _, k := range keys {
		names = append(names, k.section+"."+k.name)
	}
	return fmt.Sprintf("unknown key [%s] %s%s (known keys: %s)", section, name, tasks.DidYouMean(section+"."+name, names...), knownKeys())
}

func knownKeys() string {
	var names []string
	for _, k := range keys {
		names = append(names, k.section+"."+k.name)
	}
	return strings.Join(names, ", ")
}
