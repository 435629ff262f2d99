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
	initCmd := &cobra.Command{
		Use:   "init",
		Short: "Create the metastore, or migrate it to this version's schema (never drops data)",
		Args:  args(0),
		RunE: e.run(func(cmd *cobra.Command, _ []string) error {
			a, err := e.open(cmd.Context(), false)
			if err != nil {
				return err
			}
			v, err := a.Store.SchemaVersion(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(e.io.Stdout, "Metastore ready at %s (schema version %d)\n", a.Config.Database.URL, v)
			return nil
		}),
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
			v, err := app.CheckDB(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.io.Stdout, "Metastore OK: %s (schema version %d)\n", cfg.Database.URL, v)
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
		if !*yes && !e.confirm(fmt.Sprintf("This deletes everything in %s. Continue?", a.Config.Database.URL)) {
			return errors.New("reset cancelled (pass -y to skip the question)")
		}
		if err := a.Store.Reset(cmd.Context()); err != nil {
			return err
		}
		fmt.Fprintf(e.io.Stdout, "Metastore reset: %s\n", a.Config.Database.URL)
		return nil
	})
	cmd.AddCommand(initCmd, check, reset)
	return cmd
}
