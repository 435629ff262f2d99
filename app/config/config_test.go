package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, home, toml string, env map[string]string) (Config, error) {
	t.Helper()
	if toml != "" {
		if err := os.WriteFile(filepath.Join(home, "wasmflow.toml"), []byte(toml), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return Load(func(k string) string {
		if k == "WASMFLOW_HOME" {
			return home
		}
		return env[k]
	})
}

func TestDefaults(t *testing.T) {
	home := t.TempDir()
	c, err := load(t, home, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"dags_folder", c.Core.DagsFolder, filepath.Join(home, "dags")},
		{"database.url", c.Database.URL, filepath.Join(home, "wasmflow.db")},
		{"api.listen", c.API.Listen, "127.0.0.1:8080"},
		{"cluster.bind", c.Cluster.Bind, "0.0.0.0:7946"},
		{"logging.level", c.Logging.Level, "info"},
		{"logs", c.LogsFolder(), filepath.Join(home, "logs")},
		{"cache", c.CacheFolder(), filepath.Join(home, "cache")},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %q, want %q", ch.name, ch.got, ch.want)
		}
	}
	if !c.Core.LoadExamples || c.Core.Parallelism != 32 || c.Scheduler.DagDirListInterval != 30*time.Second {
		t.Errorf("defaults: %+v", c)
	}
}

// TestDatabasePool: the PostgreSQL pool keys take Airflow's names, defaults and units (seconds
// for the recycle; a duration works too); nonsense is refused with what would do.
func TestDatabasePool(t *testing.T) {
	c, err := load(t, t.TempDir(), "", nil)
	if err != nil || c.Database.PoolSize != 5 || c.Database.MaxOverflow != 10 || c.Database.PoolRecycle != 1800*time.Second {
		t.Errorf("defaults: %+v, %v; want Airflow's 5, 10, 1800 s", c.Database, err)
	}
	c, err = load(t, t.TempDir(), "[database]\nsql_alchemy_pool_size = 2\nsql_alchemy_max_overflow = -1\nsql_alchemy_pool_recycle = 600\n", nil)
	if err != nil || c.Database.PoolSize != 2 || c.Database.MaxOverflow != -1 || c.Database.PoolRecycle != 10*time.Minute {
		t.Errorf("from the file: %+v, %v", c.Database, err)
	}
	c, err = load(t, t.TempDir(), "", map[string]string{"WASMFLOW__DATABASE__SQL_ALCHEMY_POOL_RECYCLE": "30m"})
	if err != nil || c.Database.PoolRecycle != 30*time.Minute {
		t.Errorf("recycle 30m: %v, %v", c.Database.PoolRecycle, err)
	}
	for env, want := range map[string]string{
		"WASMFLOW__DATABASE__SQL_ALCHEMY_POOL_SIZE":    "at least 1",
		"WASMFLOW__DATABASE__SQL_ALCHEMY_MAX_OVERFLOW": "at least -1 (no limit)",
		"WASMFLOW__DATABASE__SQL_ALCHEMY_POOL_RECYCLE": "number of seconds (1800) or a duration like 30m",
	} {
		if _, err := load(t, t.TempDir(), "", map[string]string{env: "-5x"}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s=-5x: %v, want an error saying %q", env, err, want)
		}
	}
}

func TestPrecedence(t *testing.T) {
	home := t.TempDir()
	c, err := load(t, home, "[core]\ndags_folder = \"my_dags\"\nparallelism = 8\nload_examples = false\n[api]\nlisten = \"0.0.0.0:9000\"\n",
		map[string]string{"WASMFLOW__CORE__PARALLELISM": "4", "WASMFLOW__CLUSTER__SECRET_KEY": "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Core.Parallelism != 4 {
		t.Errorf("env must win over the file: parallelism = %d", c.Core.Parallelism)
	}
	if c.API.Listen != "0.0.0.0:9000" || c.Core.LoadExamples {
		t.Errorf("file must win over defaults: %+v", c)
	}
	if c.Core.DagsFolder != filepath.Join(home, "my_dags") {
		t.Errorf("a relative dags_folder is relative to the home: %q", c.Core.DagsFolder)
	}
	for _, s := range c.Settings() {
		if s.Key == "secret_key" && s.Value != "********" {
			t.Errorf("secret shown: %q", s.Value)
		}
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name, toml string
		env        map[string]string
		want       string
	}{
		{"unknown key in file", "[core]\ndag_folder = \"x\"\n", nil, `unknown key [core] dag_folder (did you mean "core.dags_folder"?)`},
		{"bad bool in file", "[core]\nload_examples = \"maybe\"\n", nil, `[core] load_examples: "maybe" is not true or false`},
		{"bad toml", "[core\n", nil, "wasmflow.toml"},
		{"bad env", "", map[string]string{"WASMFLOW__CORE__PARALLELISM": "0"}, `WASMFLOW__CORE__PARALLELISM: "0" is not a whole number of at least 1`},
		{"bad level", "", map[string]string{"WASMFLOW__LOGGING__LEVEL": "loud"}, "not debug, info, warn or error"},
		{"bad interval", "", map[string]string{"WASMFLOW__SCHEDULER__DAG_DIR_LIST_INTERVAL": "often"}, "positive duration"},
		{"bad size", "[core]\nmax_conf_size = \"big\"\n", nil, `[core] max_conf_size: "big" is not a size like 1048576, 512KiB or 1MiB`},
		{"zero size", "", map[string]string{"WASMFLOW__CORE__MAX_CONF_SIZE": "0"}, "is not a size"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := load(t, t.TempDir(), c.toml, c.env)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestFileShapesAndPaths(t *testing.T) {
	_, err := load(t, t.TempDir(), "load_examples = false\n", nil)
	if err == nil || !strings.Contains(err.Error(), "load_examples = ... is outside any [section]: put it under [core]") {
		t.Errorf("top-level key: %v", err)
	}
	home, _ := os.UserHomeDir()
	c, err := load(t, t.TempDir(), "[core]\ndags_folder = \"~/mydags\"\n", nil)
	if err != nil || c.Core.DagsFolder != filepath.Join(home, "mydags") {
		t.Errorf("~ expansion: %q, %v", c.Core.DagsFolder, err)
	}
	for _, u := range []string{"postgres://bob:s3cret@db/wf", "postgresql://bob@db/wf?sslmode=require&password=s3cret&x=1"} {
		c, _ = load(t, t.TempDir(), "", map[string]string{"WASMFLOW__DATABASE__URL": u})
		for _, s := range c.Settings() {
			if s.Key == "url" && (strings.Contains(s.Value, "s3cret") || !strings.Contains(s.Value, "bob") || !strings.Contains(s.Value, "********")) {
				t.Errorf("database.url %s shown as %q", u, s.Value)
			}
		}
	}
	if !c.Core.DagsArePausedAtCreation {
		t.Error("dags_are_paused_at_creation defaults to true, as in Airflow")
	}
}

func TestSetInFile(t *testing.T) {
	home := t.TempDir()
	env := func(k string) string {
		if k == "WASMFLOW_HOME" {
			return home
		}
		return ""
	}
	// No file yet: created with the section.
	if err := SetInFile(home, "core", "dags_folder", "/data/my dags", env); err != nil {
		t.Fatal(err)
	}
	c, err := Load(env)
	if err != nil || c.Core.DagsFolder != "/data/my dags" {
		t.Fatalf("after create: %q, %v", c.Core.DagsFolder, err)
	}
	// An existing file keeps its comments and other keys; the key is replaced in its section,
	// not in another section that has a key of the same name.
	orig := "# my settings\n[core]\nparallelism = 4 # tuned\ndags_folder = \"old\"\n\n[api]\nlisten = \"127.0.0.1:9000\"\n"
	if err := os.WriteFile(filepath.Join(home, FileName), []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := SetInFile(home, "core", "dags_folder", `/data/dags "x" \ y`, env); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(home, FileName))
	for _, want := range []string{"# my settings", "parallelism = 4 # tuned", `listen = "127.0.0.1:9000"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("lost %q:\n%s", want, b)
		}
	}
	if strings.Contains(string(b), `"old"`) {
		t.Errorf("old value still there:\n%s", b)
	}
	if c, err = Load(env); err != nil || c.Core.DagsFolder != `/data/dags "x" \ y` || c.Core.Parallelism != 4 || c.API.Listen != "127.0.0.1:9000" {
		t.Fatalf("after replace: %+v, %v", c, err)
	}
	// A section without the key gets it right under its header; the file keeps its mode.
	os.Chmod(filepath.Join(home, FileName), 0o600)
	if err := SetInFile(home, "api", "listen", "127.0.0.1:9100", env); err != nil { // replaces
		t.Fatal(err)
	}
	if err := SetInFile(home, "logging", "level", "debug", env); err != nil { // a new section
		t.Fatal(err)
	}
	if err := SetInFile(home, "api", "listen", "127.0.0.1:9200", env); err != nil {
		t.Fatal(err)
	}
	if err := SetInFile(home, "core", "load_examples", "false", env); err != nil { // under [core]
		t.Fatal(err)
	}
	if c, err = Load(env); err != nil || c.API.Listen != "127.0.0.1:9200" || c.Logging.Level != "debug" || c.Core.LoadExamples || c.Core.Parallelism != 4 {
		t.Fatalf("after more edits: %+v, %v", c, err)
	}
	b, _ = os.ReadFile(filepath.Join(home, FileName))
	if !strings.Contains(string(b), "[core]\nload_examples = \"false\"\nparallelism = 4") {
		t.Errorf("load_examples not right under [core]:\n%s", b)
	}
	if st, _ := os.Stat(filepath.Join(home, FileName)); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600 kept", st.Mode().Perm())
	}
	if err := SetInFile(home, "core", "no_such_key", "1", env); err == nil || !strings.Contains(err.Error(), "unknown key") {
		t.Errorf("unknown key: %v", err)
	}
	withEnv := func(k string) string {
		if k == "WASMFLOW__CORE__DAGS_FOLDER" {
			return "/elsewhere"
		}
		return env(k)
	}
	if err := SetInFile(home, "core", "dags_folder", "/x", withEnv); err == nil || !strings.Contains(err.Error(), "WASMFLOW__CORE__DAGS_FOLDER") {
		t.Errorf("env override: %v", err)
	}
}

// TestLocalCluster: standalone and the desktop bind the cluster on loopback unless
// cluster.bind is set, in wasmflow.toml or the environment; the server's default stays.
func TestLocalCluster(t *testing.T) {
	for name, c := range map[string]struct {
		toml string
		env  map[string]string
		want string
	}{
		"default":     {"", nil, LocalClusterBind},
		"in the file": {"[cluster]\nbind = \"0.0.0.0:7946\"\n", nil, "0.0.0.0:7946"},
		"in the env":  {"", map[string]string{"WASMFLOW__CLUSTER__BIND": "10.0.0.5:7000"}, "10.0.0.5:7000"},
	} {
		cfg, err := load(t, t.TempDir(), c.toml, c.env)
		if err != nil {
			t.Fatal(err)
		}
		server := cfg.Cluster.Bind
		cfg.LocalCluster()
		if cfg.Cluster.Bind != c.want {
			t.Errorf("%s: the local cluster binds %q, want %q", name, cfg.Cluster.Bind, c.want)
		}
		if c.toml == "" && c.env == nil && server != "0.0.0.0:7946" {
			t.Errorf("%s: the server binds %q, want 0.0.0.0:7946", name, server)
		}
	}
}

func TestMaxConfSize(t *testing.T) {
	c, err := load(t, t.TempDir(), "", nil)
	if err != nil || c.Core.MaxConfSize != 1<<20 {
		t.Fatalf("default max_conf_size = %d, %v; want 1 MiB", c.Core.MaxConfSize, err)
	}
	for v, want := range map[string]int64{"2048": 2048, "512KiB": 512 << 10, "4 MiB": 4 << 20, "1GiB": 1 << 30, "10B": 10} {
		c, err := load(t, t.TempDir(), "", map[string]string{"WASMFLOW__CORE__MAX_CONF_SIZE": v})
		if err != nil || c.Core.MaxConfSize != want {
			t.Errorf("max_conf_size %q = %d, %v; want %d", v, c.Core.MaxConfSize, err, want)
		}
	}
	for _, s := range c.Settings() {
		if s.Section == "core" && s.Key == "max_conf_size" && s.Value != "1MiB" {
			t.Errorf("config list shows max_conf_size as %q, want 1MiB", s.Value)
		}
	}
}

func TestAllowedMountFolders(t *testing.T) {
	sep := string(os.PathListSeparator)
	home := t.TempDir()
	c, err := load(t, home, "", nil)
	if err != nil || len(c.Core.AllowedMountFolders) != 0 {
		t.Fatalf("default: %q, %v; want none (only the DAGs and examples folders)", c.Core.AllowedMountFolders, err)
	}
	c, err = load(t, home, "", map[string]string{"WASMFLOW__CORE__ALLOWED_MOUNT_FOLDERS": "/srv/data/" + sep + sep + "inbox"})
	if want := []string{"/srv/data", filepath.Join(home, "inbox")}; err != nil || strings.Join(c.Core.AllowedMountFolders, "|") != strings.Join(want, "|") {
		t.Errorf("env list: %q, %v; want %q (cleaned, relative to the home, empty entries dropped)", c.Core.AllowedMountFolders, err, want)
	}
	for _, s := range c.Settings() {
		if s.Key == "allowed_mount_folders" && s.Value != "/srv/data"+sep+filepath.Join(home, "inbox") {
			t.Errorf("config list shows %q", s.Value)
		}
	}
	c, err = load(t, t.TempDir(), "[core]\nallowed_mount_folders = [\"/srv/a\", \"/srv/b\"]\n", nil)
	if err != nil || strings.Join(c.Core.AllowedMountFolders, "|") != "/srv/a|/srv/b" {
		t.Errorf("a TOML array: %q, %v", c.Core.AllowedMountFolders, err)
	}
	// Listing a folder that holds the home would let every DAG read api.secret and the metastore.
	_, err = load(t, home, "", map[string]string{"WASMFLOW__CORE__ALLOWED_MOUNT_FOLDERS": filepath.Dir(home)})
	if err == nil || !strings.Contains(err.Error(), "holds WASMFLOW_HOME") {
		t.Errorf("a folder holding the home: %v", err)
	}
	// So would a link to such a folder: it is judged where it leads.
	link := filepath.Join(t.TempDir(), "data")
	if err := os.Symlink(filepath.Dir(home), link); err != nil {
		t.Fatal(err)
	}
	_, err = load(t, home, "", map[string]string{"WASMFLOW__CORE__ALLOWED_MOUNT_FOLDERS": link})
	if err == nil || !strings.Contains(err.Error(), link+" holds WASMFLOW_HOME") {
		t.Errorf("a link to a folder holding the home: %v", err)
	}
}

func TestMemorySettings(t *testing.T) {
	c, err := load(t, t.TempDir(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Core.MaxTaskMemory != 0 || c.Core.MountQuota != 1<<30 {
		t.Errorf("defaults: max_task_memory %d (want 0, auto), mount_quota %d (want 1 GiB)", c.Core.MaxTaskMemory, c.Core.MountQuota)
	}
	c, err = load(t, t.TempDir(), "[core]\nmax_task_memory = \"6GiB\"\nmount_quota = \"200MiB\"\n", nil)
	if err != nil || c.Core.MaxTaskMemory != 6<<30 || c.Core.MountQuota != 200<<20 {
		t.Fatalf("file: %d %d %v", c.Core.MaxTaskMemory, c.Core.MountQuota, err)
	}
	for _, s := range c.Settings() {
		if s.Key == "max_task_memory" && s.Value != "6GiB" || s.Key == "mount_quota" && s.Value != "200MiB" {
			t.Errorf("config list shows %s = %q", s.Key, s.Value)
		}
	}
	_, err = load(t, t.TempDir(), "", map[string]string{"WASMFLOW__CORE__MAX_TASK_MEMORY": "lots"})
	if err == nil || !strings.Contains(err.Error(), "WASMFLOW__CORE__MAX_TASK_MEMORY") || !strings.Contains(err.Error(), "or auto") {
		t.Errorf("a bad size: %v", err)
	}
}

// TestSchedulerHA: the heartbeat and orphan timeout of servers sharing a database, whose
// timeout may not fall between two heartbeats.
func TestSchedulerHA(t *testing.T) {
	c, err := load(t, t.TempDir(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Scheduler.HeartbeatInterval != 2*time.Second || c.Scheduler.OrphanTimeout != 15*time.Second {
		t.Errorf("defaults: heartbeat %s, orphan timeout %s", c.Scheduler.HeartbeatInterval, c.Scheduler.OrphanTimeout)
	}
	_, err = load(t, t.TempDir(), "[scheduler]\nheartbeat_interval = \"10s\"\n", nil)
	if err == nil || !strings.Contains(err.Error(), "scheduler.orphan_timeout (15s) must be at least twice scheduler.heartbeat_interval (10s)") {
		t.Errorf("orphan timeout below two heartbeats: %v", err)
	}
	c, err = load(t, t.TempDir(), "", map[string]string{"WASMFLOW__SCHEDULER__ORPHAN_TIMEOUT": "30s"})
	if err != nil || c.Scheduler.OrphanTimeout != 30*time.Second {
		t.Errorf("orphan timeout %s, %v", c.Scheduler.OrphanTimeout, err)
	}
}

func TestMaxMapLength(t *testing.T) {
	c, err := load(t, t.TempDir(), "", nil)
	if err != nil || c.Core.MaxMapLength != 1024 {
		t.Fatalf("default max_map_length = %d, %v; want Airflow's 1024", c.Core.MaxMapLength, err)
	}
	c, err = load(t, t.TempDir(), "", map[string]string{"WASMFLOW__CORE__MAX_MAP_LENGTH": "5000"})
	if err != nil || c.Core.MaxMapLength != 5000 {
		t.Errorf("max_map_length from the environment = %d, %v; want 5000", c.Core.MaxMapLength, err)
	}
	if _, err := load(t, t.TempDir(), "", map[string]string{"WASMFLOW__CORE__MAX_MAP_LENGTH": "0"}); err == nil {
		t.Errorf("max_map_length 0 loads; want an error (a mapped task could never run)")
	}
}
