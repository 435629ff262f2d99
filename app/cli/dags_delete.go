package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wasmflow/wasmflow/app"
)

func (e *env) dagsDelete() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "delete DAG",
		Short: "Delete a DAG's runs, task instances and XComs from the metastore (its file stays)",
		Long: `Delete everything the metastore holds about a DAG's runs: the runs, their task instances,
tries and XComs, as Airflow's dags delete. The DAG file stays, so the DAG is still listed and
scheduled from scratch (with catchup on, its past intervals run again); delete the file to
remove the DAG itself. The scheduler must be stopped while it runs.`,
		Example: `  wasmflow dags delete etl -y`,
		Args:    args(1, "DAG"),
	}
	yes := cmd.Flags().BoolP("yes", "y", false, "do not ask for confirmation")
	cmd.RunE = e.run(func(cmd *cobra.Command, a []string) error {
		ap, err := e.open(cmd.Context(), true)
		if err != nil {
			return err
		}
		if _, err := ap.GetDag(cmd.Context(), a[0]); err != nil {
			return err
		}
		if !*yes && !e.confirm(fmt.Sprintf("This deletes every run of %s with its task instances and XComs. Continue?", a[0])) {
			return errors.New("delete cancelled (pass -y to skip the question)")
		}
		n, err := ap.DeleteDag(cmd.Context(), app.LocalActor(), a[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(e.io.Stdout, "Deleted %s of %s; its file stays\n", count(int(n), "run"), a[0])
		return nil
	})
	return cmd
}
