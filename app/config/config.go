// Package config loads wasmflow's settings: defaults, then $WASMFLOW_HOME/wasmflow.toml, then
// WASMFLOW__SECTION__KEY environment variables (env wins), like Airflow's AIRFLOW__CORE__... .
// Every key is declared once in the keys table below, with its default and what it does.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/wasmflow/wasmflow/tasks"
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

func (c *Config) loadFile(path string) error {
	var raw map[string]any
	_, err := toml.DecodeFile(path, &raw)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	var problems []string
	for section, v := range raw {
		values, ok := v.(map[string]any)
		if !ok {
			hint := ""
			for _, k := range keys {
				if k.name == section {
					hint = fmt.Sprintf(": put it under [%s]", k.section)
					break
				}
			}
			problems = append(problems, fmt.Sprintf("%s: %s = ... is outside any [section]%s", path, section, hint))
			continue
		}
		for name, v := range values {
			k, ok := lookup(section, name)
			if !ok {
				problems = append(problems, fmt.Sprintf("%s: %s", path, unknownKey(section, name)))
				continue
			}
			if list, ok := v.([]any); ok {
				// A TOML array of folders is the path list it reads naturally as.
				v = joinList(list)
			}
			if err := k.set(c, fmt.Sprint(v)); err != nil {
				problems = append(problems, fmt.Sprintf("%s: [%s] %s: %v", path, section, name, err))
			}
			c.set[section+"."+name] = true
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return nil
}

func joinList(list []any) string {
	parts := make([]string, len(list))
	for i, v := range list {
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, string(os.PathListSeparator))
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

// Setting is one resolved key, for `wasmflow config list`.
type Setting struct {
	Section string `json:"section"`
	Key     string `json:"key"`
	Value   string `json:"value"`
	Env     string `json:"env"`
	Doc     string `json:"description"`
}

// Settings lists every key with its resolved value; secrets are masked.
func (c Config) Settings() []Setting {
	values := map[string]string{
		"core.dags_folder": c.Core.DagsFolder, "core.load_examples": strconv.FormatBool(c.Core.LoadExamples),
		"core.parallelism": strconv.Itoa(c.Core.Parallelism), "core.max_map_length": strconv.Itoa(c.Core.MaxMapLength), "core.dags_are_paused_at_creation": strconv.FormatBool(c.Core.DagsArePausedAtCreation),
		"core.max_conf_size": FormatSize(c.Core.MaxConfSize), "scheduler.dag_dir_list_interval": c.Scheduler.DagDirListInterval.String(),
		"scheduler.heartbeat_interval": formatDuration(c.Scheduler.HeartbeatInterval), "scheduler.orphan_timeout": formatDuration(c.Scheduler.OrphanTimeout),
		"core.allowed_mount_folders": strings.Join(c.Core.AllowedMountFolders, string(os.PathListSeparator)),
		"core.max_task_memory":       sizeString(c.Core.MaxTaskMemory), "core.mount_quota": sizeString(c.Core.MountQuota),
		"core.default_task_execution_timeout": formatDuration(c.Core.DefaultTaskExecutionTimeout),
		"core.fernet_key":                     mask(c.Core.FernetKey),
		"database.url":                        RedactURL(c.Database.URL),
		"database.sql_alchemy_pool_size":      strconv.Itoa(c.Database.PoolSize),
		"database.sql_alchemy_max_overflow":   strconv.Itoa(c.Database.MaxOverflow),
		"database.sql_alchemy_pool_recycle":   strconv.Itoa(int(c.Database.PoolRecycle / time.Second)), "api.listen": c.API.Listen, "api.trust_forwarded_for": strconv.FormatBool(c.API.TrustForwardedFor),
		"api.expose_config": strconv.FormatBool(c.API.ExposeConfig), "cluster.bind": c.Cluster.Bind,
		"cluster.secret_key": mask(c.Cluster.SecretKey), "logging.level": c.Logging.Level,
		"cli.server": c.CLI.Server, "cli.token": mask(c.CLI.Token),
	}
	out := make([]Setting, 0, len(keys))
	for _, k := range keys {
		out = append(out, Setting{Section: k.section, Key: k.name, Value: values[k.section+"."+k.name], Env: EnvName(k.section, k.name), Doc: k.doc})
	}
	return out
}

// RedactURL hides the password of a database URL: scheme://user:password@host/..., and a
// password=... parameter (libpq's and pgx's way to pass it in the query).
func RedactURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if user, _, hasPass := strings.Cut(rest[:at], ":"); hasPass {
			rest = user + ":********" + rest[at:]
		}
	}
	return scheme + "://" + passwordParam.ReplaceAllString(rest, "${1}********")
}

// passwordParam is a password=... query parameter of a database URL.
var passwordParam = regexp.MustCompile(`([?&]password=)[^&]*`)

func mask(s string) string {
	if s == "" {
		return ""
	}
	return "********"
}

// FileName is the configuration file in the home.
const FileName = "wasmflow.toml"

// SetInFile sets [section] name = value in home's wasmflow.toml, creating the file or the
// section when missing and keeping every other line (comments included) as it is. The file
// is replaced atomically. It refuses a key this version does not know, and one an environment
// variable overrides, since the change would have no effect.
func SetInFile(home, section, name, value string, getenv func(string) string) error {
	if _, ok := lookup(section, name); !ok {
		return errors.New(unknownKey(section, name))
	}
	if env := EnvName(section, name); getenv != nil && getenv(env) != "" {
		return fmt.Errorf("%s is set in the environment, which wins over %s: unset it to change [%s] %s here", env, FileName, section, name)
	}
	path := filepath.Join(home, FileName)
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real // a linked wasmflow.toml (dotfiles) stays a link to the edited file
	}
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	var b strings.Builder
	if err := toml.NewEncoder(&b).Encode(map[string]string{name: value}); err != nil {
		return err
	}
	line := strings.TrimSpace(b.String())
	lines := strings.Split(strings.TrimRight(string(old), "\n"), "\n")
	if len(old) == 0 {
		lines = nil
	}
	current, header, done := "", -1, false
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "[") {
			current = strings.Trim(strings.SplitN(t, "#", 2)[0], " []")
			if current == section {
				header = i
			}
			continue
		}
		if current != section {
			continue
		}
		if k, _, ok := strings.Cut(t, "="); ok && strings.TrimSpace(k) == name {
			lines[i], done = line, true
		}
	}
	switch {
	case done:
	case header >= 0:
		lines = append(lines[:header+1], append([]string{line}, lines[header+1:]...)...)
	default:
		if len(lines) > 0 {
			lines = append(lines, "")
		}
		lines = append(lines, "["+section+"]", line)
	}
	data := []byte(strings.Join(lines, "\n") + "\n")
	// Check the result parses before it replaces a working file.
	if err := toml.Unmarshal(data, new(map[string]any)); err != nil {
		return fmt.Errorf("the edited %s would not parse: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), FileName+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
