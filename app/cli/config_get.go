package cli

import (
	"fmt"
	"strings"

	"github.com/wasmflow/wasmflow/tasks"

	"github.com/spf13/cobra"

	"github.com/wasmflow/wasmflow/app/config"
)

func (e *env) configGetValue() *cobra.Command {
	return &cobra.Command{
		Use:   "get-value SECTION KEY",
		Short: "Print one setting's value, as wasmflow.toml and the environment make it",
		Long: `Print the value of one setting (defaults, then wasmflow.toml, then WASMFLOW__SECTION__KEY),
as Airflow's config get-value. Secrets (keys, tokens, the database password) print masked.`,
		Example: "  wasmflow config get-value core dags_folder\n  wasmflow config get-value api listen",
		Args:    args(2, "SECTION", "KEY"),
		RunE: func(cmd *cobra.Command, a []string) error {
			cfg, err := config.Load(e.io.Getenv)
			if err != nil {
				return err
			}
			var keys []string
			for _, s := range cfg.Settings() {
				if strings.EqualFold(s.Section, a[0]) && strings.EqualFold(s.Key, a[1]) {
					fmt.Fprintln(e.io.Stdout, s.Value)
					return nil
				}
				if strings.EqualFold(s.Section, a[0]) {
					keys = append(keys, s.Key)
				}
			}
			if len(keys) == 0 {
				return fmt.Errorf("the option [%s/%s] is not found in config: there is no section %q (`wasmflow config list` shows them all)", a[0], a[1], a[0])
			}
			return fmt.Errorf("the option [%s/%s] is not found in config%s; [%s] has %s", a[0], a[1], tasks.DidYouMean(a[1], keys...), a[0], strings.Join(keys, ", "))
		},
	}
}
