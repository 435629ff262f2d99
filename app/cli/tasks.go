package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
)

func (e *env) tasksCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "tasks", Short: "List, test, inspect, clear and read the logs of tasks"}
	list := &cobra.Command{
		Use:   "list DAG",
		Short: "List a DAG's tasks; --tree groups them in dependency layers",
		Args:  args(1, "DAG"),
	}
	tree := list.Flags().Bool("tree", false, "show the tasks layer by layer: a task's upstreams are all in earlier layers")
	out := outputFlag(list)
	list.RunE = e.run(func(cmd *cobra.Command, a []string) error {
		ap, err := e.open(cmd.Context(), true)
		if err != nil {
			return err
		}
		d, err := ap.ParsedDag(cmd.Context(), a[0])
		if err != nil {
			return err
		}
		type taskRow struct {
			TaskID      string   `json:"task_id"`
			Layer       int      `json:"layer"`
			Kind        string   `json:"kind"`
			Upstream    []string `json:"upstream_task_ids"`
			Downstream  []string `json:"downstream_task_ids"`
			TriggerRule string   `json:"trigger_rule"`
			Retries     int      `json:"retries"`
			Pool        string   `json:"pool"`
			Queue       string   `json:"queue"`
			TaskGroup   *string  `json:"task_group"` // the innermost group's id, null outside any (as in the API)
		}
		var rows []taskRow
		for i, layer := range d.Layers() {
			for _, t := range layer {
				rows = append(rows, taskRow{TaskID: t.TaskID, Layer: i, Kind: string(t.Kind), Upstream: nonNil(t.Upstream),
					Downstream: nonNil(t.Downstream), TriggerRule: string(t.TriggerRule), Retries: t.Retries, Pool: t.Pool, Queue: t.Queue})
				if g := t.TaskGroup(); g != "" {
					rows[len(rows)-1].TaskGroup = &g
				}
			}
		}
		if *tree && (*out == "table" || *out == "") {
			layer := -1
			for _, r := range rows {
				if r.Layer != layer {
					layer = r.Layer
					fmt.Fprintf(e.io.Stdout, "Layer %d\n", layer)
				}
				line := "  " + r.TaskID
				if len(r.Upstream) > 0 {
					line += "  <- " + strings.Join(r.Upstream, ", ")
				}
				fmt.Fprintln(e.io.Stdout, line)
			}
			return nil
		}
		if !*tree { // Airflow's `tasks list` is sorted by task id.
			sort.Slice(rows, func(i, j int) bool { return rows[i].TaskID < rows[j].TaskID })
		}
		l := listing{data: rows, header: []string{"task_id", "kind", "upstream", "trigger_rule", "retries", "pool", "queue"}}
		for _, r := range rows {
			l.rows = append(l.rows, []string{r.TaskID, r.Kind, strings.Join(r.Upstream, ","), r.TriggerRule, fmt.Sprint(r.Retries), r.Pool, r.Queue})
		}
		return render(e.io.Stdout, *out, l)
	})
	cmd.AddCommand(remoteAll(e.tasksStates(), e.tasksClear(), e.tasksLogs(), e.tasksMark(), e.tasksState(), e.tasksRender())...)
	cmd.AddCommand(localOnly(list, "it parses this home's DAG files; run it where they are"),
		localOnly(e.tasksTest(), "it runs the task in this process, sandboxed, as Airflow's tasks test does"),
		localOnly(e.tasksInit(), "it writes a new module's files here"),
		localOnly(e.tasksFailedDeps(), "it runs the scheduler's dependency checks on the home's metastore; through the API, a task instance's `why` says what it waits for"))
	return cmd
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
