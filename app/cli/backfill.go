package cli

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wasmflow/wasmflow/app"
	"github.com/wasmflow/wasmflow/tasks"
)

func (e *env) dagsBackfill() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "backfill DAG -s START -e END",
		Short: "Run every data interval whose logical date is in [START, END], even with catchup off",
		Long: `Create a backfill run for every data interval of DAG whose logical date is in [START, END]
and that has no run yet (dates as 2024-01-01 or RFC 3339). With a scheduler running on this
home (wasmflow standalone), it runs them; otherwise they run here and the command returns when
they have ended. max_active_runs paces them either way.

Runs already in the range are left alone, unless --reset-dagruns clears them to run again
(all their tasks, or those -t selects) or --rerun-failed-tasks clears their failed tasks.
-t REGEX runs only the matching tasks and their upstream; a new run skips the others.
--dry-run prints what would run and changes nothing.`,
		Example: `  wasmflow dags backfill etl -s 2024-01-01 -e 2024-01-31
  wasmflow dags backfill etl -s 2024-01-01 -e 2024-01-07 -t '^load' --reset-dagruns -y
  wasmflow dags backfill etl -s 2024-01-01 -e 2024-01-07 --rerun-failed-tasks --dry-run
  wasmflow dags backfill etl -s 2024-01-01 -e 2024-01-02 -c '{"table": "orders"}'`,
		Args: args(1, "DAG"),
	}
	start := cmd.Flags().StringP("start-date", "s", "", "first logical date (required)")
	end := cmd.Flags().StringP("end-date", "e", "", "last logical date (required)")
	regex := cmd.Flags().StringP("task-regex", "t", "", "only tasks whose id matches this regular expression, with their upstream")
	reset := cmd.Flags().Bool("reset-dagruns", false, "clear the runs already in the range so they run again")
	rerunFailed := cmd.Flags().Bool("rerun-failed-tasks", false, "clear the failed tasks of the runs already in the range so they run again")
	dry := cmd.Flags().BoolP("dry-run", "n", false, "print what would run, change nothing")
	conf := cmd.Flags().StringP("conf", "c", "", "JSON object overriding the DAG's params in the new runs")
	yes := cmd.Flags().BoolP("yes", "y", false, "do not ask before --reset-dagruns clears runs")
	out := outputFlag(cmd)
	cmd.RunE = e.run(func(cmd *cobra.Command, a []string) error {
		if *start == "" || *end == "" {
			return usageError{errors.New("give both -s START and -e END")}
		}
		o := app.BackfillOptions{DagID: a[0], TaskRegex: *regex, ResetRuns: *reset, RerunFailed: *rerunFailed}
		var err error
		if o.From, err = parseDate(*start); err != nil {
			return err
		}
		if o.To, err = parseDate(*end); err != nil {
			return err
		}
		if o.Conf, err = parseConf(*conf); err != nil {
			return err
		}
		ap, err := e.open(cmd.Context(), true)
		if err != nil {
			return err
		}
		if err := ap.CheckConf(o.Conf); err != nil {
			return err
		}
		steps, err := ap.PlanBackfill(cmd.Context(), o)
		if err != nil {
			return err
		}
		if *dry {
			return render(e.io.Stdout, *out, backfillPlanListing(steps))
		}
		if clears := countClears(steps); *reset && clears > 0 && !*yes {
			if *out == "table" {
				_ = render(e.io.Stdout, *out, backfillPlanListing(steps))
			}
			if !e.confirm(fmt.Sprintf("--reset-dagruns clears %s. Continue?", count(clears, "existing run"))) {
				return errors.New("backfill cancelled (pass -y to skip the question)")
			}
		}
		runs, ranHere, err := ap.Backfill(cmd.Context(), app.LocalActor(), o, steps, e.progress(e.io.Stderr))
		if err != nil {
			return err
		}
		if len(runs) == 0 {
			fmt.Fprintln(e.io.Stderr, "every interval in that range already has a run; --reset-dagruns runs them again")
		} else if !ranHere {
			fmt.Fprintf(e.io.Stderr, "%s created or cleared; the running scheduler runs them\n", count(len(runs), "backfill run"))
		}
		if err := render(e.io.Stdout, *out, runListing(runs)); err != nil {
			return err
		}
		for _, r := range runs {
			if ranHere && r.State != string(tasks.RunSuccess) {
				return fmt.Errorf("backfill run %s ended %s", r.DagRunID, r.State)
			}
		}
		return nil
	})
	return cmd
}

func countClears(steps []app.BackfillStep) int {
	n := 0
	for _, s := range steps {
		if s.Action == "clear" {
			n++
		}
	}
	return n
}

// backfillPlanListing shows a dry run: per interval, the run created or cleared and its tasks.
func backfillPlanListing(steps []app.BackfillStep) listing {
	if steps == nil {
		steps = []app.BackfillStep{}
	}
	l := listing{data: steps, header: []string{"logical_date", "run_id", "action", "task_ids"}}
	for _, s := range steps {
		l.rows = append(l.rows, []string{s.LogicalDate.Format(time.RFC3339), s.RunID, s.Action, strings.Join(s.TaskIDs, ",")})
	}
	return l
}
