package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func (e *env) dagsReport() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "report",
		Short:   "Parse every DAG file again and show how long each took, with its DAGs and tasks",
		Example: "  wasmflow dags report\n  wasmflow dags report -o json",
		Args:    args(0),
	}
	out := outputFlag(cmd)
	cmd.RunE = e.run(func(cmd *cobra.Command, _ []string) error {
		ap, err := e.open(cmd.Context(), true)
		if err != nil {
			return err
		}
		files, err := ap.DagReport(cmd.Context())
		if err != nil {
			return err
		}
		type row struct {
			File     string `json:"file"`
			Duration string `json:"duration"`
			DagNum   int    `json:"dag_num"`
			TaskNum  int    `json:"task_num"`
			Dags     string `json:"dags"`
		}
		data := make([]row, 0, len(files))
		l := listing{header: []string{"file", "duration", "dag_num", "task_num", "dags"}}
		for _, f := range files {
			r := row{f.File, timedelta(f.Duration), f.DagNum, f.TaskNum, strings.Join(f.Dags, ",")}
			data = append(data, r)
			l.rows = append(l.rows, []string{r.File, r.Duration, strconv.Itoa(r.DagNum), strconv.Itoa(r.TaskNum), r.Dags})
		}
		l.data = data
		return render(e.io.Stdout, *out, l)
	})
	return cmd
}

// timedelta writes d as Python's str(timedelta) does, as Airflow's report shows durations.
func timedelta(d time.Duration) string {
	us := d.Microseconds()
	h, us := us/3_600_000_000, us%3_600_000_000
	m, us := us/60_000_000, us%60_000_000
	s, us := us/1_000_000, us%1_000_000
	if us == 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d:%02d.%06d", h, m, s, us)
}
