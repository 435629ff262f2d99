package config

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

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
