package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/wasmflow/wasmflow/tasks"
)

func (e *env) dagsDetails() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "details DAG",
		Short:   "Show a DAG's settings: schedule, dates, limits, params, tasks",
		Example: "  wasmflow dags details etl\n  wasmflow dags details etl -o json",
		Args:    args(1, "DAG"),
	}
	out := outputFlag(cmd)
	cmd.RunE = e.run(func(cmd *cobra.Command, a []string) error {
		ap, err := e.open(cmd.Context(), true)
		if err != nil {
			return err
		}
		info, err := ap.GetDag(cmd.Context(), a[0])
		if err != nil {
			return err
		}
		d, err := ap.ParsedDag(cmd.Context(), a[0])
		if err != nil {
			return err
		}
		// Airflow's DAG details: the DAG's fields, then what only the file says.
		var detail map[string]any
		b, _ := json.Marshal(info)
		_ = json.Unmarshal(b, &detail)
		ids := make([]string, len(d.Tasks))
		for i, t := range d.Tasks {
			ids[i] = t.TaskID
		}
		params := d.Params
		if params == nil {
			params = map[string]any{}
		}
		detail["start_date"], detail["end_date"] = d.StartDate, d.EndDate
		detail["params"], detail["task_ids"], detail["doc_md"] = params, ids, d.DocMD
		detail["dagrun_timeout"] = nil
		if d.DagrunTimeout > 0 {
			detail["dagrun_timeout"] = d.DagrunTimeout.String()
		}
		keys := []string{"dag_id", "description", "fileloc", "owners", "is_paused", "is_active", "schedule_interval",
			"timezone", "start_date", "end_date", "catchup", "max_active_runs", "max_active_tasks", "dagrun_timeout",
			"tags", "params", "task_ids", "last_parsed_time", "next_dagrun", "next_dagrun_data_interval_start",
			"next_dagrun_data_interval_end", "next_dagrun_create_after", "doc_md"}
		l := listing{data: []map[string]any{detail}, header: []string{"property_name", "property_value"}}
		for _, k := range keys {
			l.rows = append(l.rows, []string{k, detailValue(detail[k])})
		}
		return render(e.io.Stdout, *out, l)
	})
	return cmd
}

// detailValue shows one property as text: a date as RFC 3339, a list joined, none as None.
func detailValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case *time.Time:
		if x == nil {
			return "None"
		}
		return x.UTC().Format(time.RFC3339)
	case string:
		return x
	case []string:
		return strings.Join(x, ",")
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			if m, ok := p.(map[string]any); ok && m["name"] != nil { // a tag
				p = m["name"]
			}
			parts[i] = fmt.Sprint(p)
		}
		return strings.Join(parts, ",")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func (e *env) dagsNextExecution() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "next-execution DAG",
		Short:   "Print the logical dates of a DAG's next scheduled runs",
		Example: "  wasmflow dags next-execution etl\n  wasmflow dags next-execution etl -n 5",
		Args:    args(1, "DAG"),
	}
	n := cmd.Flags().IntP("num-executions", "n", 1, "how many next runs to print")
	cmd.RunE = e.run(func(cmd *cobra.Command, a []string) error {
		if *n < 1 {
			return usageError{fmt.Errorf("-n must be 1 or more, got %d", *n)}
		}
		ap, err := e.open(cmd.Context(), true)
		if err != nil {
			return err
		}
		info, err := ap.GetDag(cmd.Context(), a[0])
		if err != nil {
			return err
		}
		if info.IsPaused {
			fmt.Fprintf(e.io.Stderr, "[INFO] Please be reminded this DAG is PAUSED now.\n")
		}
		dates, err := ap.NextExecutions(cmd.Context(), a[0], *n)
		if err != nil {
			return err
		}
		if len(dates) == 0 {
			fmt.Fprintln(e.io.Stderr, "[INFO] No run in the future: the DAG has no schedule or is past its end_date.")
			fmt.Fprintln(e.io.Stdout, "None")
		}
		if d, err := ap.ParsedDag(cmd.Context(), a[0]); err == nil && d.Schedule.Kind == tasks.ScheduleContinuous && len(dates) > 0 {
			fmt.Fprintln(e.io.Stderr, "[INFO] @continuous: the next run starts as soon as the active one ends (now, if none is active); later dates are not known ahead.")
		}
		for _, d := range dates {
			fmt.Fprintln(e.io.Stdout, d.Format(time.RFC3339))
		}
		return nil
	})
	return cmd
}
