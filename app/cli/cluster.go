package cli

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wasmflow/wasmflow/app"
	"github.com/wasmflow/wasmflow/app/config"
	"github.com/wasmflow/wasmflow/cluster"
)

// workerCmd is `wasmflow worker --join HOST[:PORT]`.
func (e *env) workerCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "worker --join HOST[:PORT]",
		Short: "Join a cluster and run its tasks",
		Long: `Join the cluster of a wasmflow server and run the tasks it sends: modules come from the
server by sha256 and are cached in WASMFLOW_HOME/cache/worker; logs stream back as they are
written; results are held until the server has them. SIGTERM (or Ctrl-C) drains the worker: it
takes no new tasks, lets running ones finish for --grace, then leaves the cluster.`,
		Args: args(0),
	}
	join := cmd.Flags().StringSlice("join", nil, "the server's cluster address, HOST[:PORT] (port 7946 by default); repeat or comma-separate for several")
	secret := cmd.Flags().String("secret", "", "the cluster secret the server printed (default: cluster.secret_key, "+config.EnvName("cluster", "secret_key")+")")
	queues := cmd.Flags().String("queues", "", "comma-separated queues to serve (default: the default queue)")
	slots := cmd.Flags().Int("slots", 0, "tasks to run at once (default: the number of CPUs)")
	name := cmd.Flags().String("name", "", "this worker's name in the cluster, unique (default: the hostname)")
	bind := cmd.Flags().String("bind", "", "gossip address HOST:PORT (default: cluster.bind); the data channel uses the next port")
	advertise := cmd.Flags().String("advertise", "", "address the others reach this worker at, when it differs from --bind")
	grace := cmd.Flags().Duration("grace", 60*time.Second, "on SIGTERM, how long running tasks may finish before they are killed")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if len(*join) == 0 {
			return usageError{fmt.Errorf("missing --join HOST[:PORT]: the address `wasmflow server` printed")}
		}
		q, err := cluster.ParseQueues(*queues)
		if err != nil {
			return usageError{fmt.Errorf("--queues: %w", err)}
		}
		if *slots < 0 {
			return usageError{fmt.Errorf("--slots %d: give a positive number", *slots)}
		}
		cfg, err := config.Load(e.io.Getenv)
		if err != nil {
			return err
		}
		log := slog.New(slog.NewTextHandler(e.io.Stderr, &slog.HandlerOptions{Level: logLevel(cfg.Logging.Level)}))
		err = app.RunWorker(cmd.Context(), cfg, app.WorkerOptions{Join: *join, Secret: *secret, Queues: q, Slots: *slots, Name: *name,
			Bind: *bind, Advertise: *advertise, Grace: *grace}, log, func(w *cluster.Worker) {
			m := w.Node().LocalMeta()
			fmt.Fprintf(e.io.Stdout, "wasmflow worker %s joined the cluster at %s: queues %s, %d slots. Ctrl-C or SIGTERM drains it.\n",
				w.Node().Name(), strings.Join(*join, ","), strings.Join(m.Queues, ","), m.Slots)
		})
		if err != nil {
			return err
		}
		fmt.Fprintln(e.io.Stdout, "drained and left the cluster")
		return nil
	}
	return cmd
}

func logLevel(s string) slog.Level {
	switch s {
	case "debug":
		return slog.LevelDebug
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// clusterCmd is `wasmflow cluster members`.
func (e *env) clusterCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "cluster", Short: "Look at the cluster of servers and workers"}
	members := &cobra.Command{
		Use:   "members",
		Short: "List the cluster's nodes: role, state, queues, slots used/free, version",
		Long: `List the cluster's nodes as the server sees them. It joins the cluster of the server on this
machine (cluster.bind) for a moment, with cluster.secret_key, and asks the server over the data
channel; --join looks elsewhere (a worker's address works too). The state is alive, draining,
suspect (its data channel stopped answering the server), dead (crashed or cut off) or left
(stopped); the server keeps dead and left nodes listed (the last 1,000) until they come back.`,
		Args: args(0),
	}
	out := outputFlag(members)
	seed := members.Flags().String("join", "", "a cluster address to ask, HOST[:PORT] (default: cluster.bind on this machine)")
	members.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := config.Load(e.io.Getenv)
		if err != nil {
			return err
		}
		a := &app.App{Config: cfg, Log: slog.New(slog.DiscardHandler)}
		ms, err := a.ClusterMembers(cmd.Context(), *seed)
		if err != nil {
			return err
		}
		return render(e.io.Stdout, *out, membersListing(ms))
	}
	cmd.AddCommand(members)
	return cmd
}

func membersListing(ms []cluster.Member) listing {
	l := listing{data: ms, header: []string{"name", "role", "state", "address", "queues", "slots used/total", "version"}}
	for _, m := range ms {
		slots := "-"
		if m.Slots > 0 {
			slots = strconv.Itoa(m.UsedSlots) + "/" + strconv.Itoa(m.Slots)
		}
		state := m.State
		if m.Draining && state == cluster.StateAlive {
			state = "draining"
		}
		queues := strings.Join(m.Queues, ",")
		if queues == "" {
			queues = "-"
		}
		l.rows = append(l.rows, []string{m.Name, string(m.Role), state, m.Address, queues, slots, m.Version})
	}
	return l
}

// serverCmd is `wasmflow server`: the scheduler and metastore, headless, as the cluster's seed.
func (e *env) serverCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the scheduler and metastore headless, as the seed of a cluster of workers",
		Long: `Run the scheduler and metastore headless. Workers join it with the command it prints
(cluster.bind for gossip, the next port for the data channel, both to be reachable by workers).
Tasks go to live workers whose queues match the task's queue; the server runs tasks itself too,
for --queues with --slots, unless --no-local.`,
		Args: args(0),
	}
	noLocal := cmd.Flags().Bool("no-local", false, "run no tasks on the server itself: workers run everything")
	queues := cmd.Flags().String("queues", "", "queues the server runs itself (default: the default queue)")
	slots := cmd.Flags().Int("slots", 0, "tasks the server runs itself at once (default: core.parallelism)")
	advertise := cmd.Flags().String("advertise", "", "address workers reach the server at, when it differs from cluster.bind")
	cmd.RunE = e.run(func(cmd *cobra.Command, _ []string) error {
		q, err := cluster.ParseQueues(*queues)
		if err != nil {
			return usageError{fmt.Errorf("--queues: %w", err)}
		}
		e.serving = true
		ap, err := e.open(cmd.Context(), false)
		if err != nil {
			return err
		}
		if err := ap.SchedulerLocked(); err != nil {
			return err
		}
		url, err := e.startWeb(cmd.Context(), ap)
		if err != nil {
			return err
		}
		err = ap.ServeCluster(cmd.Context(), app.ClusterOptions{NoLocal: *noLocal, Queues: q, Slots: *slots, Advertise: *advertise},
			func(dags int, ex *cluster.RemoteExecutor, join string) {
				fmt.Fprintf(e.io.Stdout, "wasmflow server: the scheduler is running on %s with %s (from %s).\n", ap.Config.Home, count(dags, "DAG"), ap.Config.Core.DagsFolder)
				fmt.Fprintf(e.io.Stdout, "UI and API: %s\n", url)
				fmt.Fprintf(e.io.Stdout, "Cluster %s (data channel %s). Join workers with:\n\n    %s\n\n", ex.Node().Address(), ex.Node().DataAddress(), join)
				if note := app.JoinNote(ex); note != "" {
					fmt.Fprintf(e.io.Stdout, "Note: %s.\n\n", note)
				}
				fmt.Fprintln(e.io.Stdout, "New DAGs start paused: `wasmflow dags unpause DAG` to schedule one, `wasmflow dags trigger DAG` to run it now. Ctrl-C stops.")
			})
		if err != nil && cmd.Context().Err() == nil {
			return err
		}
		fmt.Fprintln(e.io.Stdout, "stopped")
		return nil
	})
	return cmd
}
