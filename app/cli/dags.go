package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wasmflow/wasmflow/app"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

func (e *env) dagsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "dags", Short: "List, inspect, pause, trigger, test and backfill DAGs"}
	const parses = "it parses this home's DAG files; run it where they are"
	cmd.AddCommand(remoteAll(e.dagsList(), e.dagsPause(true), e.dagsPause(false), e.dagsTrigger(), e.dagsListRuns(), e.dagsState(),
		e.dagsImportErrors())...)
	cmd.AddCommand(localOnly(e.dagsShow(), parses), localOnly(e.dagsReport(), parses),
		localOnly(e.dagsNextExecution(), parses), localOnly(e.dagsDetails(), parses),
		localOnly(e.dagsTest(), "it runs the DagRun in this process, as Airflow's dags test does; trigger a run on the server with dags trigger --wait"),
		localOnly(e.dagsBackfill(), "a backfill runs in the process that starts it (or on the home's running scheduler), as Airflow's does; run it on the server's machine"),
		localOnly(e.dagsDelete(), "a DAG's runs are deleted on the home that keeps them, with no scheduler driving them (DELETE /api/v1/dags/{dag_id} refuses while one does)"))
	return cmd
}

func (e *env) dagsList() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the DAGs (parses the DAGs folder first)",
		Args:  args(0),
	}
	out := outputFlag(cmd)
	all := cmd.Flags().Bool("include-inactive", false, "also list DAGs whose file is gone")
	tag := cmd.Flags().StringSlice("tag", nil, "only DAGs with one of these tags")
	cmd.RunE = e.run(func(cmd *cobra.Command, _ []string) error {
		var dags []app.DagInfo
		if c, err := e.remote(); err != nil {
			return err
		} else if c != nil {
			if dags, err = e.remoteDagsList(cmd.Context(), c, *all, *tag); err != nil {
				return err
			}
		} else {
			a, err := e.open(cmd.Context(), true)
			if err != nil {
				return err
			}
			if dags, err = a.ListDags(cmd.Context(), scheduler.DagFilter{OnlyActive: !*all, Tags: *tag}); err != nil {
				return err
			}
		}
		l := listing{data: dags, header: []string{"dag_id", "fileloc", "owners", "is_paused", "schedule", "tags"}}
		for _, d := range dags {
			var tags []string
			for _, t := range d.Tags {
				tags = append(tags, t.Name)
			}
			sched := string(d.ScheduleInterval)
			if len(d.ScheduleDatasets) > 0 {
				sched += ": " + strings.Join(d.ScheduleDatasets, ", ")
			}
			if sched == "" {
				sched = "None"
			}
			row := []string{d.DagID, d.Fileloc, strings.Join(d.Owners, ","), fmt.Sprint(d.IsPaused), sched, strings.Join(tags, ",")}
			if *all {
				row = append(row, fmt.Sprint(d.IsActive))
			}
			l.rows = append(l.rows, row)
		}
		if *all {
			l.header = append(l.header, "is_active")
		}
		return render(e.io.Stdout, *out, l)
	})
	return cmd
}

func (e *env) dagsImportErrors() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list-import-errors",
		Short: "List the DAG files that failed to load, one problem per row with file:line:column",
		Args:  args(0),
	}
	out := outputFlag(cmd)
	cmd.RunE = e.run(func(cmd *cobra.Command, _ []string) error {
		var errs []app.ImportErrorInfo
		if c, err := e.remote(); err != nil {
			return err
		} else if c != nil {
			if errs, err = listAll[app.ImportErrorInfo](cmd.Context(), c, "/api/v1/importErrors", "import_errors", nil); err != nil {
				return err
			}
		} else {
			a, err := e.open(cmd.Context(), true)
			if err != nil {
				return err
			}
			if errs, err = a.ImportErrors(cmd.Context()); err != nil {
				return err
			}
		}
		l := listing{data: errs, header: []string{"filepath", "error"}}
		for _, ie := range errs {
			for _, line := range strings.Split(ie.StackTrace, "\n") {
				// Problems start with the file's path; the column already says which file.
				line = strings.TrimPrefix(line, ie.Filename+":")
				l.rows = append(l.rows, []string{ie.Filename, line})
			}
		}
		return render(e.io.Stdout, *out, l)
	})
	return cmd
}

func (e *env) dagsShow() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show DAG",
		Short: "Show a DAG's tasks and dependencies as text, or as Graphviz DOT with --dot",
		Args:  args(1, "DAG"),
	}
	dot := cmd.Flags().Bool("dot", false, "print Graphviz DOT (render with: dot -Tsvg)")
	cmd.RunE = e.run(func(cmd *cobra.Command, a []string) error {
		ap, err := e.open(cmd.Context(), true)
		if err != nil {
			return err
		}
		d, err := ap.ParsedDag(cmd.Context(), a[0])
		if err != nil {
			return err
		}
		if *dot {
			return writeDot(e.io.Stdout, d)
		}
		return writeGraph(e.io.Stdout, d)
	})
	return cmd
}

func (e *env) dagsPause(pause bool) *cobra.Command {
	verb, what := "unpause", "Resume scheduling a DAG"
	if pause {
		verb, what = "pause", "Stop scheduling new runs of a DAG (running ones go on)"
	}
	return &cobra.Command{
		Use:   verb + " DAG",
		Short: what,
		Args:  args(1, "DAG"),
		RunE: e.run(func(cmd *cobra.Command, a []string) error {
			if c, err := e.remote(); err != nil {
				return err
			} else if c != nil {
				if err := c.call(cmd.Context(), "PATCH", apiPath("dags", a[0]), map[string]bool{"is_paused": pause}, nil); err != nil {
					return err
				}
			} else {
				ap, err := e.open(cmd.Context(), true)
				if err != nil {
					return err
				}
				if err := ap.SetPaused(cmd.Context(), app.LocalActor(), a[0], pause); err != nil {
					return err
				}
			}
			fmt.Fprintf(e.io.Stdout, "Dag: %s, paused: %v\n", a[0], pause)
			return nil
		}),
	}
}

// writeGraph prints a DAG as text: its settings, then every task with what it waits for,
// in topological order.
func writeGraph(w io.Writer, d *tasks.DAG) error {
	sched := d.Schedule.Raw
	if d.Schedule.Kind == tasks.ScheduleDatasets {
		sched = tasks.DatasetScheduleName + ": " + strings.Join(d.Schedule.Datasets, ", ")
	}
	if sched == "" {
		sched = "none (manual runs only)"
	}
	fmt.Fprintf(w, "DAG %s  schedule: %s  timezone: %s  tasks: %d\n", d.DagID, sched, d.Timezone, len(d.Tasks))
	if d.Description != "" {
		fmt.Fprintf(w, "  %s\n", d.Description)
	}
	fmt.Fprintln(w)
	for _, t := range d.TopologicalOrder() {
		line := fmt.Sprintf("%s [%s]", t.TaskID, describeTask(t))
		if len(t.Upstream) > 0 {
			line += fmt.Sprintf("  <- %s", strings.Join(t.Upstream, ", "))
			if t.TriggerRule != tasks.AllSuccess {
				line += fmt.Sprintf(" (%s)", t.TriggerRule)
			}
		}
		fmt.Fprintln(w, line)
	}
	return nil
}

func describeTask(t *tasks.Task) string {
	switch {
	case t.IsBranch() && t.Branch != nil:
		return "branch: " + t.Branch.Source
	case t.IsBranch():
		return "branch module"
	case t.IsSensor() && t.Sensor.Condition != nil:
		return "sensor: " + t.Sensor.Condition.Source
	case t.Operator != nil:
		return "operator: " + t.Operator.Name // http_sensor is a sensor by its name
	case t.IsSensor():
		return "sensor module"
	}
	return "module"
}

// writeDot prints a DAG as Graphviz DOT, as `airflow dags show` does.
func writeDot(w io.Writer, d *tasks.DAG) error {
	q := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }
	fmt.Fprintf(w, "digraph %s {\n  graph [label=%s labelloc=t rankdir=LR];\n  node [shape=rectangle style=\"filled,rounded\" fillcolor=\"#f0f0f0\"];\n", q(d.DagID), q(d.DagID))
	node := func(t *tasks.Task, indent string) {
		shape := ""
		switch {
		case t.IsBranch():
			shape = " shape=diamond"
		case t.IsSensor():
			shape = " shape=ellipse"
		}
		label := t.TaskID
		if t.TaskGroup() != "" && t.Label != "" {
			label = t.Label // inside its group's box, as Airflow labels it
		}
		fmt.Fprintf(w, "%s%s [label=%s%s];\n", indent, q(t.TaskID), q(label), shape)
	}
	// A task group is a cluster around its tasks and child groups (Airflow's dot renderer).
	var group func(g *tasks.TaskGroup, indent string)
	group = func(g *tasks.TaskGroup, indent string) {
		fmt.Fprintf(w, "%ssubgraph %s {\n%s  graph [label=%s tooltip=%s style=\"rounded,dashed\"];\n", indent, q("cluster_"+g.GroupID), indent, q(g.Label), q(g.Tooltip))
		for _, c := range d.Groups {
			if c.Parent == g.GroupID {
				group(c, indent+"  ")
			}
		}
		for _, t := range d.Tasks {
			if t.TaskGroup() == g.GroupID {
				node(t, indent+"  ")
			}
		}
		fmt.Fprintf(w, "%s}\n", indent)
	}
	for _, g := range d.Groups {
		if g.Parent == "" {
			group(g, "  ")
		}
	}
	for _, t := range d.Tasks {
		if t.TaskGroup() == "" {
			node(t, "  ")
		}
	}
	for _, t := range d.TopologicalOrder() {
		for _, u := range t.Upstream {
			fmt.Fprintf(w, "  %s -> %s;\n", q(u), q(t.TaskID))
		}
	}
	_, err := fmt.Fprintln(w, "}")
	return err
}
