package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wasmflow/wasmflow/app"
	"github.com/wasmflow/wasmflow/app/config"
)

func (e *env) dbCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "db", Short: "Create, check or reset the metastore"}
	initOrMigrate := e.run(func(cmd *cobra.Command, _ []string) error {
		cfg, err := config.Load(e.io.Getenv)
		if err != nil {
			return err
		}
		before := app.SchemaVersionNow(cmd.Context(), cfg)
		a, err := e.open(cmd.Context(), false) // migrates
		if err != nil {
			return err
		}
		v, err := a.Store.SchemaVersion(cmd.Context())
		if err != nil {
			return err
		}
		fmt.Fprintf(e.io.Stdout, "Metastore ready at %s (schema version %d)\n", a.Store.Where(), v)
		switch {
		case before == v:
			fmt.Fprintln(e.io.Stdout, "Already at this version's schema: nothing to migrate")
		case before == 0:
			fmt.Fprintf(e.io.Stdout, "Created the schema (migrations 1 to %d)\n", v)
		default:
			fmt.Fprintf(e.io.Stdout, "Migrated from schema version %d to %d\n", before, v)
		}
		return nil
	})
	initCmd := &cobra.Command{
		Use:   "init",
		Short: "Create the metastore, or migrate it to this version's schema (never drops data)",
		Args:  args(0),
		RunE:  initOrMigrate,
	}
	// Airflow 2.7 renamed db init to db migrate; both do the same here.
	migrate := &cobra.Command{
		Use:   "migrate",
		Short: "Migrate the metastore to this version's schema, creating it if needed (never drops data)",
		Long: `Apply the migrations the metastore lacks, creating it when it does not exist, and say the
schema version. Running it again changes nothing. The same as db init.`,
		Example: "  wasmflow db migrate\n  WASMFLOW__DATABASE__URL=postgres://wasmflow@db/wasmflow wasmflow db migrate",
		Args:    args(0),
		RunE:    initOrMigrate,
	}
	check := &cobra.Command{
		Use:   "check",
		Short: "Check that the metastore exists, is reachable and its schema is current (changes nothing)",
		Args:  args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(e.io.Getenv)
			if err != nil {
				return err
			}
			st, err := app.CheckDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.io.Stdout, "Metastore OK: %s (dialect %s, schema version %d, %s)\n", st.Where, st.Dialect, st.SchemaVersion, st.Server)
			return nil
		},
	}
	reset := &cobra.Command{
		Use:   "reset",
		Short: "Drop every table and create the schema again: all runs, users and variables are lost",
		Args:  args(0),
	}
	yes := reset.Flags().BoolP("yes", "y", false, "do not ask for confirmation")
	reset.RunE = e.run(func(cmd *cobra.Command, _ []string) error {
		a, err := e.open(cmd.Context(), false)
		if err != nil {
			return err
		}
		if !*yes && !e.confirm(fmt.Sprintf("This deletes everything in %s. Continue?", a.Store.Where())) {
			return errors.New("reset cancelled (pass -y to skip the question)")
		}
		if err := a.Store.Reset(cmd.Context()); err != nil {
			return err
		}
		fmt.Fprintf(e.io.Stdout, "Metastore reset: %s\n", a.Store.Where())
		return nil
	})
	cmd.AddCommand(initCmd, migrate, check, reset)
	return cmd
}
