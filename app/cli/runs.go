package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wasmflow/wasmflow/app"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

func (e *env) serveCmd(name, short string) *cobra.Command {
	return e.serveVerb(name, short, true)
}

// serveVerb is `standalone` (web true) and `scheduler` (web false: Airflow's split
// deployment, the UI and API served by `wasmflow webserver`).
func (e *env) serveVerb(name, short string, web bool) *cobra.Command {
	return &cobra.Command{
		Use:   name,
		Short: short,
		Args:  args(0),
		RunE: e.run(func(cmd *cobra.Command, _ []string) error {
			e.verbose = true      // runs starting and ending are news here
			e.localCluster = true // it serves this machine: cluster.bind defaults to loopback
			e.serving = true
			ap, err := e.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			if err := ap.SchedulerLocked(); err != nil {
				return err
			}
			url := ""
			if web {
				if url, err = e.startWeb(cmd.Context(), ap); err != nil {
					return err
				}
			}
			err = ap.Serve(cmd.Context(), func(dags, examples int) {
				fmt.Fprintf(e.io.Stdout, "wasmflow %s: the scheduler is running on %s with %s from %s and %s.\n",
					name, ap.Config.Home, count(dags, "DAG"), ap.Config.Core.DagsFolder, count(examples, "example"))
				if web {
					fmt.Fprintf(e.io.Stdout, "UI and API: %s\n", url)
				} else {
					fmt.Fprintln(e.io.Stdout, "No UI here: `wasmflow webserver` serves the UI and API of this home.")
				}
				fmt.Fprintln(e.io.Stdout, "New DAGs start paused: `wasmflow dags unpause DAG` to schedule one, `wasmflow dags trigger DAG` to run it now. Ctrl-C stops.")
			})
			if err != nil && cmd.Context().Err() == nil {
				return err
			}
			fmt.Fprintln(e.io.Stdout, "stopped")
			return nil
		}),
	}
}

// webserverCmd is Airflow's `airflow webserver`: the UI and API on this home's metastore,
// without a scheduler; `wasmflow scheduler` (or a server) runs the tasks.
func (e *env) webserverCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "webserver",
		Short: "Serve the UI and API of this home without scheduling (run `wasmflow scheduler` beside it)",
		Long: `Serve the UI and API of this home's metastore, as Airflow's webserver: no scheduler runs
here, so runs triggered or cleared here start once a scheduler (wasmflow scheduler, server or
standalone) drives the metastore; the views follow what it writes. Listens on api.listen.`,
		Args: args(0),
		RunE: e.run(func(cmd *cobra.Command, _ []string) error {
			e.serving = true
			ap, err := e.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			url, err := e.startWeb(cmd.Context(), ap)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.io.Stdout, "wasmflow webserver: UI and API of %s on %s\n", ap.Config.Home, url)
			if !ap.SchedulerRunning() {
				fmt.Fprintln(e.io.Stdout, "note: no scheduler drives this home yet; start `wasmflow scheduler` for runs to start.")
			}
			if err := ap.ServeWeb(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintln(e.io.Stdout, "stopped")
			return nil
		}),
	}
}

// progress prints task instance state changes as a run goes.
func (e *env) progress(w io.Writer) func(app.TaskInstanceInfo) {
	return func(ti app.TaskInstanceInfo) {
		state := "none"
		if ti.State != nil {
			state = *ti.State
		}
		if state == "none" {
			return
		}
		id := ti.TaskID
		if ti.MapIndex >= 0 { // one instance of a mapped task: which one
			id += "[" + strconv.Itoa(ti.MapIndex) + "]"
		}
		line := fmt.Sprintf("%s  %-24s %s", time.Now().Format("15:04:05.000"), id, state)
		if ti.TryNumber > 1 {
			line += fmt.Sprintf(" (try %d)", ti.TryNumber)
		}
		if ti.Reason != "" && state != "success" {
			line += ": " + ti.Reason
		}
		fmt.Fprintln(w, line)
	}
}

func (e *env) dagsTrigger() *cobra.Command {
	cmd := &cobra.Command{Use: "trigger DAG", Short: "Create a manual run of a DAG (started by the running scheduler)", Args: args(1, "DAG"),
		Example: "  wasmflow dags trigger etl\n  wasmflow dags trigger etl -r nightly_fix -e 2024-01-01 -c '{\"table\": \"orders\"}' --wait"}
	date := cmd.Flags().StringP("exec-date", "e", "", "logical date (default: now)")
	conf := cmd.Flags().StringP("conf", "c", "", "JSON object overriding the DAG's params")
	runID := cmd.Flags().StringP("run-id", "r", "", "run id (default: manual__<logical date>)")
	wait := cmd.Flags().Bool("wait", false, "wait until the run ends; exit 0 if it succeeded, 1 if it failed")
	out := outputFlag(cmd)
	cmd.RunE = e.run(func(cmd *cobra.Command, a []string) error {
		var o app.TriggerOptions
		var err error
		if *date != "" {
			if o.LogicalDate, err = parseDate(*date); err != nil {
				return err
			}
		}
		if o.Conf, err = parseConf(*conf); err != nil {
			return err
		}
		if o.RunID = *runID; o.RunID != "" {
			if err := app.CheckRunID(o.RunID); err != nil {
				return fmt.Errorf("--run-id: %w", err) // before any request: the same answer locally and with --server
			}
		}
		if c, err := e.remote(); err != nil {
			return err
		} else if c != nil {
			return e.remoteTrigger(cmd.Context(), c, a[0], o, *wait, *out)
		}
		ap, err := e.open(cmd.Context(), true)
		if err != nil {
			return err
		}
		run, err := ap.Trigger(cmd.Context(), app.LocalActor(), a[0], o)
		if err != nil {
			return err
		}
		if d, _ := ap.GetDag(cmd.Context(), a[0]); d.IsPaused {
			fmt.Fprintf(e.io.Stderr, "note: %s is paused, so the run waits in queued until `wasmflow dags unpause %s`\n", a[0], a[0])
		}
		if !ap.SchedulerRunning() {
			fmt.Fprintln(e.io.Stderr, "note: no scheduler runs on this home; the run starts when `wasmflow standalone` does")
		}
		if !*wait {
			return render(e.io.Stdout, *out, runListing([]app.RunInfo{run}))
		}
		fmt.Fprintf(e.io.Stdout, "Created %s; waiting for it to end\n", run.DagRunID)
		ended, err := ap.WaitRun(cmd.Context(), run.DagID, run.DagRunID, e.progress(e.io.Stdout))
		if err != nil && cmd.Context().Err() != nil {
			fmt.Fprintf(e.io.Stdout, "Stopped waiting; run %s goes on\n", run.DagRunID)
			return nil
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.io.Stdout, "Run %s ended %s\n", ended.DagRunID, ended.State)
		if ended.State != string(tasks.RunSuccess) {
			return fmt.Errorf("run %s of %s failed: `wasmflow tasks states-for-dag-run %s %s` shows which tasks", ended.DagRunID, ended.DagID, ended.DagID, ended.DagRunID)
		}
		return nil
	})
	return cmd
}

func runListing(runs []app.RunInfo) listing {
	l := listing{data: runs, header: []string{"dag_id", "run_id", "state", "run_type", "logical_date", "start_date", "end_date"}}
	for _, r := range runs {
		l.rows = append(l.rows, []string{r.DagID, r.DagRunID, r.State, r.RunType, r.LogicalDate.Format(time.RFC3339), fmtTime(r.StartDate), fmtTime(r.EndDate)})
	}
	return l
}

// tiListing is a run's task instances as a table. The map_index column comes last, and only
// for a run with a mapped task: the columns scripts read ($1 task, $2 state) stay where they
// were. JSON always has map_index.
func tiListing(tis []app.TaskInstanceInfo) listing {
	mapped := slices.ContainsFunc(tis, func(ti app.TaskInstanceInfo) bool { return ti.MapIndex >= 0 })
	l := listing{data: tis, header: []string{"task_id", "state", "try_number", "start_date", "end_date", "duration", "reason"}}
	if mapped {
		l.header = append(l.header, "map_index")
	}
	for _, ti := range tis {
		state, dur := "none", ""
		if ti.State != nil {
			state = *ti.State
		}
		if ti.Duration != nil {
			dur = (time.Duration(*ti.Duration * float64(time.Second))).Round(time.Millisecond).String()
		}
		row := []string{ti.TaskID, state, fmt.Sprint(ti.TryNumber), fmtTime(ti.StartDate), fmtTime(ti.EndDate), dur, ti.Reason}
		if mapped {
			row = append(row, fmt.Sprint(ti.MapIndex))
		}
		l.rows = append(l.rows, row)
	}
	return l
}

func (e *env) dagsTest() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "test DAG [DATE]",
		Short: "Run one whole DagRun in this process and print every task's state (needs no scheduler)",
		Args:  args(1, "DAG", "DATE"),
	}
	conf := cmd.Flags().StringP("conf", "c", "", "JSON object overriding the DAG's params")
	out := outputFlag(cmd)
	cmd.RunE = e.run(func(cmd *cobra.Command, a []string) error {
		var ld time.Time
		var err error
		if len(a) > 1 {
			if ld, err = parseDate(a[1]); err != nil {
				return err
			}
		}
		c, err := parseConf(*conf)
		if err != nil {
			return err
		}
		// Not synced: TestDag parses the DAG's own file alone when the metastore has it
		// unchanged, and syncs every folder only when it does not.
		ap, err := e.open(cmd.Context(), false)
		if err != nil {
			return err
		}
		progress := e.progress(e.io.Stderr)
		if *out == "table" {
			progress = e.progress(e.io.Stdout)
		}
		run, err := ap.TestDag(cmd.Context(), a[0], ld, c, progress)
		if err != nil {
			return err
		}
		dr, err := ap.FindRun(cmd.Context(), run.DagID, run.DagRunID)
		if err != nil {
			return err
		}
		tis, err := ap.TaskInstances(cmd.Context(), dr, app.TIQuery{})
		if err != nil {
			return err
		}
		if *out == "table" {
			fmt.Fprintf(e.io.Stdout, "\nRun %s ended %s\n", run.DagRunID, run.State)
		}
		if err := render(e.io.Stdout, *out, tiListing(tis)); err != nil {
			return err
		}
		if run.State != string(tasks.RunSuccess) {
			return fmt.Errorf("run %s of %s ended %s", run.DagRunID, run.DagID, run.State)
		}
		return nil
	})
	return cmd
}

func (e *env) dagsListRuns() *cobra.Command {
	cmd := &cobra.Command{Use: "list-runs -d DAG", Short: "List a DAG's runs, newest first", Args: args(0),
		Example: "  wasmflow dags list-runs -d etl --state failed\n  wasmflow dags list-runs -d etl -s 2024-01-01 -e 2024-01-31 -o json"}
	dag := cmd.Flags().StringP("dag-id", "d", "", "the DAG (required)")
	state := cmd.Flags().String("state", "", "only runs in this state: queued, running, success or failed")
	start := cmd.Flags().StringP("start-date", "s", "", "only runs whose logical date is on or after this")
	end := cmd.Flags().StringP("end-date", "e", "", "only runs whose logical date is on or before this")
	noBackfill := cmd.Flags().Bool("no-backfill", false, "leave out backfill runs")
	limit := cmd.Flags().Int("limit", 100, "at most this many runs (0 = all)")
	out := outputFlag(cmd)
	cmd.RunE = e.run(func(cmd *cobra.Command, _ []string) error {
		if *dag == "" {
			return usageError{errors.New("give the DAG with -d DAG")}
		}
		q := app.RunsQuery{Limit: *limit} // without conf, which the listing does not show
		if *state != "" {
			q.States = []tasks.DagRunState{tasks.DagRunState(*state)}
		}
		var err error
		if *start != "" {
			if q.From, err = parseDate(*start); err != nil {
				return err
			}
		}
		if *end != "" {
			if q.To, err = parseDate(*end); err != nil {
				return err
			}
		}
		var runs []app.RunInfo
		if c, err := e.remote(); err != nil {
			return err
		} else if c != nil {
			if runs, err = remoteRuns(cmd.Context(), c, *dag, q); err != nil {
				return err
			}
		} else {
			ap, err := e.open(cmd.Context(), true)
			if err != nil {
				return err
			}
			if runs, _, err = ap.ListRuns(cmd.Context(), *dag, q); err != nil {
				return err
			}
		}
		if *noBackfill {
			kept := runs[:0]
			for _, r := range runs {
				if r.RunType != "backfill" {
					kept = append(kept, r)
				}
			}
			runs = kept
		}
		return render(e.io.Stdout, *out, runListing(runs))
	})
	return cmd
}

func (e *env) dagsState() *cobra.Command {
	return &cobra.Command{Use: "state DAG RUN_ID|DATE", Short: "Print the state of one run", Args: args(2, "DAG", "RUN_ID|DATE"),
		RunE: e.run(func(cmd *cobra.Command, a []string) error {
			if c, err := e.remote(); err != nil {
				return err
			} else if c != nil {
				var run app.RunInfo
				if err := c.call(cmd.Context(), "GET", apiPath("dags", a[0], "dagRuns", a[1]), nil, &run); err != nil {
					return err
				}
				fmt.Fprintln(e.io.Stdout, run.State)
				return nil
			}
			_, run, err := e.openRun(cmd.Context(), false, a[0], a[1])
			if err != nil {
				return err
			}
			fmt.Fprintln(e.io.Stdout, run.State)
			return nil
		})}
}

func (e *env) tasksStates() *cobra.Command {
	cmd := &cobra.Command{Use: "states-for-dag-run DAG RUN_ID|DATE", Short: "List the task instances of one run with their states", Args: args(2, "DAG", "RUN_ID|DATE")}
	out := outputFlag(cmd)
	cmd.RunE = e.run(func(cmd *cobra.Command, a []string) error {
		if c, err := e.remote(); err != nil {
			return err
		} else if c != nil {
			return e.remoteStates(cmd.Context(), c, a[0], a[1], *out)
		}
		ap, run, err := e.openRun(cmd.Context(), true, a[0], a[1])
		if err != nil {
			return err
		}
		tis, err := ap.TaskInstances(cmd.Context(), run, app.TIQuery{})
		if err != nil {
			return err
		}
		return render(e.io.Stdout, *out, tiListing(tis))
	})
	return cmd
}

func (e *env) tasksClear() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "clear DAG",
		Short: "Clear task instances so they run again (running ones are stopped and restart)",
		Args:  args(1, "DAG"),
	}
	var o app.ClearOptions
	regex := cmd.Flags().StringP("task-regex", "t", "", "only tasks whose id matches this regular expression")
	start := cmd.Flags().StringP("start-date", "s", "", "only runs from this logical date")
	end := cmd.Flags().StringP("end-date", "e", "", "only runs up to this logical date")
	cmd.Flags().BoolVarP(&o.Downstream, "downstream", "d", false, "also clear every downstream task")
	cmd.Flags().BoolVarP(&o.Upstream, "upstream", "u", false, "also clear every upstream task")
	cmd.Flags().BoolVarP(&o.OnlyFailed, "only-failed", "f", false, "only failed and upstream_failed task instances")
	yes := cmd.Flags().BoolP("yes", "y", false, "do not ask for confirmation")
	cmd.RunE = e.run(func(cmd *cobra.Command, a []string) error {
		o.DagID, o.TaskRegex = a[0], *regex
		var err error
		if *start != "" {
			if o.Start, err = parseDate(*start); err != nil {
				return err
			}
		}
		if *end != "" {
			if o.End, err = parseDate(*end); err != nil {
				return err
			}
		}
		if c, err := e.remote(); err != nil {
			return err
		} else if c != nil {
			return e.remoteClear(cmd.Context(), c, o, *yes)
		}
		ap, err := e.open(cmd.Context(), true)
		if err != nil {
			return err
		}
		plan, err := ap.PlanClear(cmd.Context(), o)
		if err != nil {
			return err
		}
		if len(plan) == 0 {
			fmt.Fprintln(e.io.Stdout, "No task instances to clear")
			return nil
		}
		runs := make([]string, 0, len(plan))
		n := 0
		for r, ids := range plan {
			runs = append(runs, r)
			n += len(ids)
		}
		sort.Strings(runs)
		for _, r := range runs {
			fmt.Fprintf(e.io.Stdout, "%s: %s\n", r, strings.Join(plan[r], ", "))
		}
		if !*yes && !e.confirm(fmt.Sprintf("Clear these %s?", count(n, "task instance"))) {
			return errors.New("clear cancelled (pass -y to skip the question)")
		}
		cleared, err := ap.Clear(cmd.Context(), app.LocalActor(), o, plan)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.io.Stdout, "Cleared %s\n", count(cleared, "task instance"))
		return nil
	})
	return cmd
}

func (e *env) tasksLogs() *cobra.Command {
	cmd := &cobra.Command{Use: "logs DAG RUN_ID|DATE TASK", Short: "Print the log of a task's try; -f follows it while it runs", Args: args(3, "DAG", "RUN_ID|DATE", "TASK")}
	try := cmd.Flags().Int("try", 0, "which try (default: the latest)")
	follow := cmd.Flags().BoolP("follow", "f", false, "keep printing new lines until the try ends")
	mapIndex := cmd.Flags().Int("map-index", -1, "which instance of a mapped task (its map_index)")
	cmd.RunE = e.run(func(cmd *cobra.Command, a []string) error {
		ctx := cmd.Context()
		if c, err := e.remote(); err != nil {
			return err
		} else if c != nil {
			return e.remoteLogs(ctx, c, a[0], a[1], a[2], *mapIndex, *try, *follow)
		}
		ap, run, err := e.openRun(ctx, false, a[0], a[1])
		if err != nil {
			return err
		}
		key := scheduler.NewTIKey(run.DagID, run.RunID, a[2])
		key.MapIndex = *mapIndex
		want := *try
		var r io.ReadCloser
		for { // with -f, wait for a try that has not started yet
			rc, inst, err := ap.LogReader(ctx, run, key, want)
			if err == nil {
				r = rc
				if want == 0 {
					want = inst.TryNumber
				}
				break
			}
			if !*follow || errors.Is(err, scheduler.ErrNotFound) || inst.State.Finished() || !sleepCtx(ctx, 200*time.Millisecond) {
				return err // with -f, wait only for a try that may still start
			}
		}
		defer r.Close()
		for {
			if _, err := io.Copy(e.io.Stdout, r); err != nil {
				return err
			}
			if !*follow {
				return nil
			}
			inst, err := ap.TaskInstance(ctx, key)
			if err != nil {
				return err
			}
			if inst.TryNumber != want || inst.State != tasks.StateRunning {
				_, err := io.Copy(e.io.Stdout, r) // the last lines, written as it ended
				return err
			}
			if !sleepCtx(ctx, 200*time.Millisecond) {
				return nil
			}
		}
	})
	return cmd
}

// sleepCtx waits d; false when ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

func (e *env) tasksMark() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mark DAG RUN_ID|DATE TASK success|failed|skipped",
		Short: "Set a task instance's state by hand (a running try is stopped); its downstream goes on from there",
		Long: `Set a task instance's state by hand (a running try is stopped); its downstream goes on from there.
A mapped task is marked as a whole (every instance) unless --map-index names one instance.`,
		Example: `  wasmflow tasks mark etl 2024-03-01 load success
  wasmflow tasks mark example_mapping manual__2024-03-01T00:00:00+00:00 per_file failed --map-index 1`,
		Args: args(4, "DAG", "RUN_ID|DATE", "TASK", "STATE"),
	}
	mapIndex := cmd.Flags().Int("map-index", -1, "mark only this instance of a mapped task (its map_index)")
	cmd.RunE = e.run(func(cmd *cobra.Command, a []string) error {
		if c, err := e.remote(); err != nil {
			return err
		} else if c != nil {
			if err := remoteMark(cmd.Context(), c, a[0], a[1], a[2], *mapIndex, a[3]); err != nil {
				return err
			}
		} else {
			ap, err := e.open(cmd.Context(), true)
			if err != nil {
				return err
			}
			if err := ap.MarkTask(cmd.Context(), app.LocalActor(), a[0], a[1], a[2], *mapIndex, tasks.TaskInstanceState(a[3])); err != nil {
				return err
			}
		}
		name := a[2]
		if *mapIndex >= 0 {
			name = fmt.Sprintf("%s[%d]", a[2], *mapIndex)
		}
		fmt.Fprintf(e.io.Stdout, "Marked %s of %s %s\n", name, a[1], a[3])
		return nil
	})
	return cmd
}
