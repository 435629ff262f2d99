package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wasmflow/wasmflow/app"
	"github.com/wasmflow/wasmflow/scheduler"
)

func (e *env) tasksState() *cobra.Command {
	return &cobra.Command{
		Use:     "state DAG TASK RUN_ID|DATE",
		Short:   "Print the state of one task instance (None before it is scheduled)",
		Example: "  wasmflow tasks state etl load 2024-01-01\n  wasmflow tasks state etl load manual__2024-01-01T00:00:00+00:00",
		Args:    args(3, "DAG", "TASK", "RUN_ID|DATE"),
		RunE: e.run(func(cmd *cobra.Command, a []string) error {
			var ti app.TaskInstanceInfo
			if c, err := e.remote(); err != nil {
				return err
			} else if c != nil {
				if err := c.call(cmd.Context(), "GET", apiPath("dags", a[0], "dagRuns", a[2], "taskInstances", a[1]), nil, &ti); err != nil {
					return err
				}
			} else {
				ap, run, err := e.openRun(cmd.Context(), false, a[0], a[2])
				if err != nil {
					return err
				}
				inst, err := ap.TaskInstance(cmd.Context(), scheduler.NewTIKey(run.DagID, run.RunID, a[1]))
				if notFound(err) {
					return fmt.Errorf("run %s of %s has no task %q (`wasmflow tasks list %s` lists them): %w", run.RunID, a[0], a[1], a[0], err)
				}
				if err != nil {
					return err
				}
				ti = app.TaskInstanceInfoOf(inst)
			}
			state := "None" // as Airflow prints a task instance without a state
			if ti.State != nil {
				state = *ti.State
			}
			fmt.Fprintln(e.io.Stdout, state)
			return nil
		}),
	}
}

func (e *env) tasksRender() *cobra.Command {
	return &cobra.Command{
		Use:   "render DAG TASK RUN_ID|DATE",
		Short: "Print what a task's module gets in a run: its args, env, stdin and mounts, rendered",
		Long: `Render a task's templates for an existing run, with the run's dates and conf and the XComs
and variables as they are now, and print each property as Airflow's tasks render does.`,
		Example: "  wasmflow tasks render etl load 2024-01-01",
		Args:    args(3, "DAG", "TASK", "RUN_ID|DATE"),
		RunE: e.run(func(cmd *cobra.Command, a []string) error {
			var r app.Rendered
			runID := a[2]
			if c, err := e.remote(); err != nil {
				return err
			} else if c != nil { // the task instance's detail carries its render (secrets masked)
				var ti struct {
					Rendered app.Rendered `json:"rendered"`
				}
				if err := c.call(cmd.Context(), "GET", apiPath("dags", a[0], "dagRuns", a[2], "taskInstances", a[1]), nil, &ti); err != nil {
					return err
				}
				r = ti.Rendered
			} else {
				ap, run, err := e.openRun(cmd.Context(), true, a[0], a[2])
				if err != nil {
					return err
				}
				if r, err = ap.Render(cmd.Context(), run, a[1]); err != nil {
					return err
				}
				runID = run.RunID
			}
			if r.Error != "" {
				return fmt.Errorf("task %s does not render in run %s yet: %s", a[1], runID, r.Error)
			}
			env := make([]string, 0, len(r.Env))
			for k, v := range r.Env {
				env = append(env, k+"="+v)
			}
			sort.Strings(env)
			for _, p := range []struct{ name, value string }{
				{"module", r.Module}, {"args", strings.Join(r.Args, "\n")}, {"env", strings.Join(env, "\n")},
				{"stdin", r.Stdin}, {"mounts", strings.Join(r.Mounts, "\n")},
			} {
				fmt.Fprintf(e.io.Stdout, "\n# %s\n# property: %s\n# %s\n%s\n", rule, p.name, rule, p.value)
			}
			return nil
		}),
	}
}

const rule = "----------------------------------------------------------"

func (e *env) tasksFailedDeps() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "failed-deps DAG TASK RUN_ID|DATE",
		Short: "Say why a task instance does not run: the dependency checks it fails",
		Long: `Run the checks the scheduler makes before it runs a task instance (the DAG not paused, the
run running, the task instance's state, its retry period, its trigger rule, its pool) and print
those it fails, as Airflow's tasks failed-deps.`,
		Example: "  wasmflow tasks failed-deps etl load 2024-01-01",
		Args:    args(3, "DAG", "TASK", "RUN_ID|DATE"),
	}
	out := outputFlag(cmd)
	cmd.RunE = e.run(func(cmd *cobra.Command, a []string) error {
		ap, run, err := e.openRun(cmd.Context(), true, a[0], a[2])
		if err != nil {
			return err
		}
		deps, err := ap.FailedDeps(cmd.Context(), run, a[1])
		if err != nil {
			return err
		}
		if *out != "table" {
			l := listing{data: append([]app.FailedDep{}, deps...), header: []string{"dep", "reason"}}
			for _, d := range deps {
				l.rows = append(l.rows, []string{d.Dep, d.Reason})
			}
			return render(e.io.Stdout, *out, l)
		}
		if len(deps) == 0 {
			fmt.Fprintln(e.io.Stdout, "Task instance dependencies are all met.")
			return nil
		}
		fmt.Fprintln(e.io.Stdout, "Task instance dependencies not met:")
		for _, d := range deps {
			fmt.Fprintf(e.io.Stdout, "%s: %s\n", d.Dep, d.Reason)
		}
		return nil
	})
	return cmd
}
