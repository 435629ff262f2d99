// Package cli is the `wasmflow` command line (SPEC.md §6). Run is the whole CLI: main calls
// it with the process's arguments, tests call it with their own streams and environment.
package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wasmflow/wasmflow/app"
	"github.com/wasmflow/wasmflow/app/config"
	"github.com/wasmflow/wasmflow/scheduler"
)

// IO is where a command reads and writes, and the environment it sees.
type IO struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// Exit codes.
const (
	ExitOK    = 0
	ExitError = 1 // the command failed
	ExitUsage = 2 // the command line is wrong
)

// usageError marks errors in how the command was called.
type usageError struct{ error }

// Run executes one command line and returns the process exit code.
func Run(ctx context.Context, args []string, io IO) int {
	root := newRoot(io)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintf(io.Stderr, "Error: %v\n", err)
	var ue usageError
	if errors.As(err, &ue) {
		if cmd, _, ferr := root.Find(args); ferr == nil && cmd != nil {
			fmt.Fprintf(io.Stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
		return ExitUsage
	}
	return ExitError
}

func newRoot(io IO) *cobra.Command {
	root := &cobra.Command{
		Use:   "wasmflow",
		Short: "An Airflow-class workflow orchestrator whose tasks are WebAssembly modules",
		Long: `wasmflow runs DAGs of WebAssembly (WASI) tasks: author them in YAML, schedule them,
watch them run, retry and backfill them, on one machine or many.

Everything lives in WASMFLOW_HOME (default ~/wasmflow): wasmflow.toml, dags/, wasmflow.db,
logs/ and cache/. Settings come from wasmflow.toml or WASMFLOW__SECTION__KEY variables;
'wasmflow config list' shows them all.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       app.Version,
	}
	root.SetIn(io.Stdin)
	root.SetOut(io.Stdout)
	root.SetErr(io.Stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	e := &env{io: io}
	root.PersistentFlags().StringVar(&e.server, "server", "", "send the command to a running server's API, e.g. http://host:8080 (or WASMFLOW__CLI__SERVER); a command that cannot work through it says why and lists those that do")
	root.PersistentFlags().StringVar(&e.token, "token", "", "API `token` for --server, from wasmflow users token -u USER (or WASMFLOW__CLI__TOKEN)")
	root.AddCommand(localOnly(e.dbCmd(), "it works on the metastore where it is: run it on the server's machine"), e.dagsCmd(), e.tasksCmd(), e.variablesCmd(), e.connectionsCmd(), e.poolsCmd(), e.usersCmd(),
		localOnly(e.configCmd(), "it shows this machine's settings; a server's are at GET /api/v1/config (with api.expose_config)"),
		localOnly(e.versionCmd(), "it prints this binary's version; a server's is at GET /api/v1/version"),
		localOnly(e.operatorsCmd(), "the operators are built into this binary"),
		localOnly(e.rolesCmd(), "the roles are built in, the same on every server"),
		localOnly(e.infoCmd(), "it describes this install"),
		localOnly(e.clusterCmd(), "it asks the cluster itself: give a node's cluster address with --join HOST[:PORT]"))
	const starts = "it starts a process on this machine (a worker joins with --join)"
	for _, c := range []*cobra.Command{
		e.serveCmd("standalone", "Run everything on this machine: the scheduler, the DAG folder sync and a local worker"),
		e.serveVerb("scheduler", "Run the scheduler, the DAG folder sync and a local worker, without the UI (see webserver)", false),
		e.webserverCmd(), e.serverCmd(), e.workerCmd(),
	} {
		root.AddCommand(localOnly(c, starts))
	}
	root.AddCommand(airflowOnlyCmds()...)
	for _, c := range root.Commands() {
		strictGroup(c)
	}
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error { return e.checkRemote(cmd) }
	return root
}

// strictGroup makes a command group (`wasmflow dags`) refuse an unknown subcommand with a
// usage error and a suggestion, where cobra would print the help and exit 0.
func strictGroup(c *cobra.Command) {
	if !c.HasSubCommands() || c.RunE != nil || c.Run != nil {
		return
	}
	c.SuggestionsMinimumDistance = 2
	c.Args = func(cmd *cobra.Command, a []string) error {
		if len(a) == 0 {
			return nil
		}
		msg := fmt.Sprintf("unknown command %q for %q", a[0], cmd.CommandPath())
		if s := cmd.SuggestionsFor(a[0]); len(s) > 0 {
			msg += fmt.Sprintf("; did you mean %q?", s[0])
		}
		return usageError{errors.New(msg)}
	}
	c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
}

// env is what every command shares: the streams, and the App opened on first use.
type env struct {
	io      IO
	app     *app.App
	verbose bool // log at logging.level (standalone, server); other commands log warnings only
	// localCluster makes cluster.bind default to loopback (standalone serves this machine).
	localCluster bool
	// serving marks the commands that serve until stopped (standalone, server): they open the
	// home as servers do; every other command opens it for one command (app.ForOneCommand).
	serving bool
	// restoreGC undoes deferFirstGC when the command ends.
	restoreGC func()
	// server and token send a command to a running server's API instead of the local home.
	server, token string
}

// open loads the configuration and opens the home; with sync, the DAG folders are parsed
// and recorded first, as `airflow dags list` reads the DagBag.
func (e *env) open(ctx context.Context, sync bool) (*app.App, error) {
	if e.app == nil {
		cfg, err := config.Load(e.io.Getenv)
		if err != nil {
			return nil, err
		}
		if e.localCluster {
			cfg.LocalCluster()
		}
		level := slog.LevelWarn
		if e.verbose {
			_ = level.UnmarshalText([]byte(cfg.Logging.Level))
		}
		var opts []app.OpenOption
		if !e.serving {
			opts = append(opts, app.ForOneCommand())
			e.restoreGC = deferFirstGC(firstGCAt)
		}
		a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(e.io.Stderr, &slog.HandlerOptions{Level: level})), opts...)
		if err != nil {
			return nil, err
		}
		e.app = a
	}
	if sync {
		if _, err := e.app.SyncDags(ctx); err != nil {
			return nil, err
		}
	}
	return e.app, nil
}

// openRun opens the home (syncing the DAG folder if sync) and finds a run of dagID by its
// run id or logical date: what every command about one run starts with.
func (e *env) openRun(ctx context.Context, sync bool, dagID, ref string) (*app.App, scheduler.DagRun, error) {
	ap, err := e.open(ctx, sync)
	if err != nil {
		return nil, scheduler.DagRun{}, err
	}
	run, err := ap.FindRun(ctx, dagID, ref)
	return ap, run, err
}

// run wraps a command body so the App is closed when it returns.
func (e *env) run(fn func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		defer func() {
			if e.app != nil {
				e.app.Close()
				e.app = nil
			}
			if e.restoreGC != nil {
				e.restoreGC()
				e.restoreGC = nil
			}
		}()
		return fn(cmd, args)
	}
}

// args checks the number of positional arguments, as a usage error.
func args(n int, names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if len(a) < n {
			return usageError{fmt.Errorf("missing %s", strings.Join(names[len(a):n], ", "))}
		}
		if len(a) > len(names) {
			return usageError{fmt.Errorf("unexpected argument %q", a[len(names)])}
		}
		return nil
	}
}

// outputFlag adds -o to a listing command.
func outputFlag(cmd *cobra.Command) *string {
	return cmd.Flags().StringP("output", "o", "table", "output format: table, json, yaml or plain")
}

// confirm asks a yes/no question on stdin; anything but y/yes is no.
func (e *env) confirm(question string) bool {
	fmt.Fprintf(e.io.Stdout, "%s [y/N] ", question)
	if e.io.Stdin == nil {
		return false
	}
	line, _ := bufio.NewReader(e.io.Stdin).ReadString('\n')
	line = strings.ToLower(strings.TrimSpace(line))
	return line == "y" || line == "yes"
}

func (e *env) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print wasmflow's version",
		Args:  args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(e.io.Stdout, app.Version)
			return nil
		},
	}
}

func (e *env) configCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Show the configuration"}
	list := &cobra.Command{
		Use:   "list",
		Short: "List every setting with its value and the environment variable that sets it",
		Args:  args(0),
	}
	out := outputFlag(list)
	list.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := config.Load(e.io.Getenv)
		if err != nil {
			return err
		}
		s := cfg.Settings()
		l := listing{data: s, header: []string{"key", "value", "env", "description"}}
		for _, v := range s {
			l.rows = append(l.rows, []string{v.Section + "." + v.Key, v.Value, v.Env, v.Doc})
		}
		return render(e.io.Stdout, *out, l)
	}
	cmd.AddCommand(list, e.configGetValue())
	return cmd
}

// notFound reports whether err is a missing row, for commands that explain it.
func notFound(err error) bool { return errors.Is(err, scheduler.ErrNotFound) }
