package cli

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wasmflow/wasmflow/app"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// parseDate reads a logical date: 2024-01-01 (midnight UTC) or RFC 3339.
func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02", "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usageError{fmt.Errorf("date %q: write 2024-01-01 or 2024-01-01T06:00:00Z", s)}
}

func parseConf(s string) (map[string]any, error) {
	if s == "" {
		return nil, nil
	}
	if err := app.CheckUTF8JSON("conf", []byte(s)); err != nil {
		return nil, usageError{err}
	}
	var conf map[string]any
	if err := json.Unmarshal([]byte(s), &conf); err != nil {
		return nil, usageError{fmt.Errorf("--conf must be a JSON object like '{\"threshold\": 3}': %v", err)}
	}
	return conf, nil
}

func (e *env) tasksTest() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "test DAG TASK [DATE]",
		Short: "Run one task in this process and print its log, XComs and outcome (nothing is recorded)",
		Long: `Run one task of a DAG in this process, sandboxed exactly as the scheduler runs it, and print
its log, its XComs and its final state. Nothing is written to the metastore. DATE is the
logical date (default: now). Exit status 0 only when the task succeeds.

Upstream XComs the task reads come, as in Airflow, from the run recorded at that logical date
when there is one (the log names it; --no-recorded-xcoms leaves them out), and from --xcom,
which overrides them: --xcom extract=42 sets xcom("extract"), --xcom extract.rows=7 sets
xcom("extract", "rows").`,
		Example: `  wasmflow tasks test example_xcom transform 2024-03-01
  wasmflow tasks test example_xcom transform 2024-03-01 --xcom extract='{"rows": 3}'`,
		Args: args(2, "DAG", "TASK", "DATE"),
	}
	conf := cmd.Flags().StringP("conf", "c", "", "JSON object overriding the DAG's params")
	xcoms := cmd.Flags().StringArray("xcom", nil, "an upstream XCom, TASK=VALUE or TASK.KEY=VALUE (repeatable)")
	noRecorded := cmd.Flags().Bool("no-recorded-xcoms", false, "do not read upstream XComs from the run recorded at DATE (only --xcom)")
	out := cmd.Flags().StringP("output", "o", "table", "how to print the result: table or json (the log is always printed)")
	cmd.RunE = e.run(func(cmd *cobra.Command, a []string) error {
		tt := app.TaskTest{DagID: a[0], TaskID: a[1], XComs: map[string]string{}, NoRecorded: *noRecorded}
		var err error
		if len(a) > 2 {
			if tt.LogicalDate, err = parseDate(a[2]); err != nil {
				return err
			}
		}
		if tt.Conf, err = parseConf(*conf); err != nil {
			return err
		}
		for _, x := range *xcoms {
			k, v, ok := strings.Cut(x, "=")
			if !ok || k == "" {
				return usageError{fmt.Errorf("--xcom %q: write TASK=VALUE or TASK.KEY=VALUE", x)}
			}
			tt.XComs[k] = v
		}
		ap, err := e.open(cmd.Context(), true)
		if err != nil {
			return err
		}
		res, err := ap.TestTask(cmd.Context(), tt, e.io.Stdout)
		if err != nil {
			return err
		}
		if *out == "json" {
			b, _ := json.MarshalIndent(res, "", "  ")
			fmt.Fprintln(e.io.Stdout, string(b))
		} else {
			printTaskResult(e, res)
		}
		if res.State != tasks.StateSuccess {
			return fmt.Errorf("task %s.%s ended %s%s", tt.DagID, tt.TaskID, res.State, reasonSuffix(res.Reason))
		}
		return nil
	})
	return cmd
}

func reasonSuffix(r string) string {
	if r == "" {
		return ""
	}
	return ": " + r
}

func printTaskResult(e *env, res app.TaskTestResult) {
	w := e.io.Stdout
	if len(res.XComs) > 0 {
		fmt.Fprintln(w, "--- XComs")
		keys := make([]string, 0, len(res.XComs))
		for k := range res.XComs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "%s = %s\n", k, res.XComs[k])
		}
	}
	if len(res.Calls) > 0 {
		fmt.Fprintln(w, "--- Calls")
		for _, c := range res.Calls {
			fmt.Fprintln(w, callLine(c))
		}
	}
	fmt.Fprintln(w, "--- Result")
	line := fmt.Sprintf("state: %s", res.State)
	if res.ExitCode != nil {
		line += fmt.Sprintf("  exit_code: %d", *res.ExitCode)
	}
	if res.Reason != "" {
		line += "  reason: " + res.Reason
	}
	if res.Duration > 0 {
		line += "  duration: " + res.Duration.Round(time.Microsecond).String()
	}
	if len(res.Follow) > 0 {
		line += "  follow: " + strings.Join(res.Follow, ",")
	}
	fmt.Fprintln(w, line)
}

// callLine is one granted-I/O call of the try: "http api GET /v1/items  200  out 0 B  in 1234 B  3ms",
// or what refused it.
func callLine(c scheduler.Call) string {
	line := strings.TrimSpace(fmt.Sprintf("%s %s %s", c.Kind, c.Target, c.Op))
	switch {
	case c.Status != 0:
		line += fmt.Sprintf("  %d", c.Status)
	case c.Kind == "sql" && c.Error == "":
		line += fmt.Sprintf("  %d rows", c.Rows)
	}
	if c.Refused {
		return line + "  refused: " + c.Error
	}
	line += fmt.Sprintf("  out %d B  in %d B  %s", c.BytesOut, c.BytesIn, c.Duration.Round(time.Microsecond))
	if c.Error != "" {
		line += "  failed: " + c.Error
	}
	return line
}
