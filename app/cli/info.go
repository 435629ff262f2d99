package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/wasmflow/wasmflow/app"
	"github.com/wasmflow/wasmflow/app/config"
)

// infoSection is one block of `wasmflow info`, as Airflow's info prints them.
type infoSection struct {
	name string
	rows [][2]string
}

func (e *env) infoCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "info",
		Short: "Show the version, paths, metastore, executor and tools of this install, for bug reports",
		Long: `Show what a bug report needs, as Airflow's info: wasmflow's version and build, the executor,
the metastore (dialect and schema version; it is not created or migrated), the system, the
tools found on PATH and the paths of this home. Secrets are masked.`,
		Example: "  wasmflow info\n  wasmflow info -o json",
		Args:    args(0),
	}
	out := outputFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := config.Load(e.io.Getenv)
		if err != nil {
			return err
		}
		sections := []infoSection{e.wasmflowInfo(cmd, cfg), systemInfo(), toolsInfo(), pathsInfo(cfg)}
		switch *out {
		case "table", "":
			for i, s := range sections {
				if i > 0 {
					fmt.Fprintln(e.io.Stdout)
				}
				fmt.Fprintln(e.io.Stdout, s.name)
				if err := render(e.io.Stdout, "table", sectionListing(s)); err != nil {
					return err
				}
			}
			return nil
		case "plain":
			l := listing{}
			for _, s := range sections {
				for _, r := range s.rows {
					l.rows = append(l.rows, []string{s.name, r[0], r[1]})
				}
			}
			return render(e.io.Stdout, "plain", l)
		}
		data := map[string]map[string]string{}
		for _, s := range sections {
			data[s.name] = map[string]string{}
			for _, r := range s.rows {
				data[s.name][r[0]] = r[1]
			}
		}
		return render(e.io.Stdout, *out, listing{data: data})
	}
	return cmd
}

func sectionListing(s infoSection) listing {
	l := listing{header: []string{"key", "value"}}
	for _, r := range s.rows {
		l.rows = append(l.rows, []string{r[0], r[1]})
	}
	return l
}

func (e *env) wasmflowInfo(cmd *cobra.Command, cfg config.Config) infoSection {
	commit := app.Commit()
	if commit == "" {
		commit = "unknown"
	}
	s := infoSection{name: "wasmflow info", rows: [][2]string{{"version", app.Version}, {"commit", commit},
		{"executor", "LocalExecutor in standalone and scheduler; workers join wasmflow server (cluster.bind " + cfg.Cluster.Bind + ")"},
		{"database_url", config.RedactURL(cfg.Database.URL)}}}
	st, err := app.CheckDB(cmd.Context(), cfg)
	if err != nil {
		s.rows = append(s.rows, [2]string{"metastore", "not ready: " + err.Error()})
	} else {
		s.rows = append(s.rows, [2]string{"metastore_dialect", fmt.Sprint(st.Dialect)}, [2]string{"metastore_schema_version", strconv.Itoa(st.SchemaVersion)},
			[2]string{"metastore_server", st.Server})
	}
	return s
}

func systemInfo() infoSection {
	host, _ := os.Hostname()
	return infoSection{name: "System info", rows: [][2]string{{"OS", runtime.GOOS}, {"architecture", runtime.GOARCH},
		{"cpus", strconv.Itoa(runtime.NumCPU())}, {"hostname", host}, {"go_version", runtime.Version()}}}
}

func toolsInfo() infoSection {
	wazero := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/tetratelabs/wazero" {
				wazero = d.Version
			}
		}
	}
	s := infoSection{name: "Tools info", rows: [][2]string{{"wazero", wazero}}}
	for _, tool := range []string{"sqlite3", "psql", "git", "dot"} {
		where, err := exec.LookPath(tool)
		if err != nil {
			where = "NOT AVAILABLE"
		}
		s.rows = append(s.rows, [2]string{tool, where})
	}
	return s
}

func pathsInfo(cfg config.Config) infoSection {
	cfgFile := filepath.Join(cfg.Home, config.FileName)
	if _, err := os.Stat(cfgFile); err != nil {
		cfgFile += " (none: defaults and the environment)"
	}
	onPath := "False"
	if _, err := exec.LookPath("wasmflow"); err == nil {
		onPath = "True"
	}
	return infoSection{name: "Paths info", rows: [][2]string{{"wasmflow_home", cfg.Home}, {"config_file", cfgFile},
		{"dags_folder", cfg.Core.DagsFolder}, {"logs_folder", cfg.LogsFolder()}, {"cache_folder", cfg.CacheFolder()},
		{"system_path", os.Getenv("PATH")}, {"wasmflow_on_path", onPath}}}
}
