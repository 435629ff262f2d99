package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// airflowOnly are Airflow's top-level commands that have no wasmflow counterpart of the same
// name, with the wasmflow way to do what an Airflow user meant by them.
var airflowOnly = map[string]string{
	"triggerer":         "sensors in reschedule mode free their slot between pokes in the scheduler itself",
	"celery":            "start workers with `wasmflow worker --join HOST` (see `wasmflow server`); queues are the tasks' `queue:`",
	"kubernetes":        "tasks are WebAssembly modules run by `wasmflow worker` processes",
	"dag-processor":     "the DAG folder sync runs inside `wasmflow scheduler`, `server` and `standalone`",
	"kerberos":          "give tasks credentials through connections (`wasmflow connections`)",
	"flower":            "the Cluster page of the UI and `wasmflow cluster members` show the workers",
	"plugins":           "built-in operators are listed by `wasmflow operators list`, anything else is a task module",
	"providers":         "`wasmflow operators list` lists the built-in operators",
	"rotate-fernet-key": "connection passwords are encrypted with the home's secret key; see docs/operators.md",
	"sync-perm":         "roles are built in (Admin, Op, User, Viewer): nothing to sync",
	"cheat-sheet":       "`wasmflow --help` lists every command; `wasmflow COMMAND --help` says more",
	"jobs":              "`wasmflow db check` and the scheduler's log say whether a scheduler runs",
	"internal-api":      "`wasmflow server` is what workers and remote CLIs talk to",
}

// airflowOnlyCmds makes each of airflowOnly a hidden command that fails saying what to do.
func airflowOnlyCmds() []*cobra.Command {
	var out []*cobra.Command
	for name, instead := range airflowOnly {
		out = append(out, &cobra.Command{
			Use:                name,
			Hidden:             true,
			DisableFlagParsing: true,
			RunE: func(*cobra.Command, []string) error {
				return fmt.Errorf("`airflow %s` has no wasmflow counterpart: %s", name, instead)
			},
		})
	}
	return out
}
