package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dagsHome has bf (a -> b -> c) and short: daily from 2024-01-01 to 2024-01-05 with catchup.
func dagsHome(t *testing.T) *home {
	h := backfillHome(t)
	os.WriteFile(filepath.Join(h.dir, "dags", "short.yaml"), []byte(`dag_id: short
schedule: "@daily"
start_date: 2024-01-01
end_date: 2024-01-05
catchup: true
tasks:
  - {id: only, module: modules/echo.wasm}
`), 0o644)
	return h
}

func TestDagsTriggerRunIDListRunsDatesAndDelete(t *testing.T) {
	h := dagsHome(t)
	h.ok("dags", "backfill", "bf", "-s", "2024-01-01", "-e", "2024-01-03", "-t", "^a$")
	if run := decode[[]map[string]any](t, h.ok("dags", "trigger", "bf", "-r", "mine", "-e", "2024-02-01", "-o", "json")); run[0]["dag_run_id"] != "mine" {
		t.Errorf("trigger -r: %v", run)
	}
	if out := h.ok("dags", "list-runs", "-d", "bf", "-s", "2024-01-02", "-e", "2024-01-03", "-o", "plain"); strings.Count(out, "\n") != 2 ||
		!strings.Contains(out, "2024-01-02T00:00:00Z") || !strings.Contains(out, "2024-01-03T00:00:00Z") {
		t.Errorf("list-runs -s 2024-01-02 -e 2024-01-03:\n%s", out)
	}
	if out := h.ok("dags", "list-runs", "-d", "bf", "--no-backfill", "-o", "plain"); strings.Count(out, "\n") != 1 || !strings.Contains(out, "\tmine\t") {
		t.Errorf("list-runs --no-backfill:\n%s", out)
	}

	code, out, _ := h.run("n\n", "dags", "delete", "bf")
	if code != 1 || !strings.Contains(out, "This deletes every run of bf") {
		t.Errorf("delete answered no: exit %d\n%s", code, out)
	}
	if out := h.ok("dags", "delete", "bf", "-y"); !strings.Contains(out, "Deleted 4 runs of bf; its file stays") {
		t.Errorf("delete -y: %s", out)
	}
	if out := h.ok("dags", "list-runs", "-d", "bf"); !strings.Contains(out, "No data found") {
		t.Errorf("runs left after delete:\n%s", out)
	}
	h.fails(1, "has no run", "tasks", "states-for-dag-run", "bf", "mine")
	if out := h.ok("dags", "list", "-o", "plain"); !strings.Contains(out, "bf\t") {
		t.Errorf("the DAG itself must stay listed:\n%s", out)
	}
	h.fails(1, `DAG "nope" not found`, "dags", "delete", "nope", "-y")
}

func TestDagsDetailsNextExecutionAndReport(t *testing.T) {
	h := dagsHome(t)
	det := decode[[]map[string]any](t, h.ok("dags", "details", "bf", "-o", "json"))
	if len(det) != 1 || det[0]["schedule_interval"] != "@daily" || det[0]["params"].(map[string]any)["word"] != "hello" || len(det[0]["task_ids"].([]any)) != 3 {
		t.Errorf("details -o json: %v", det)
	}
	if out := h.ok("dags", "details", "bf"); !strings.Contains(out, "task_ids ") || !strings.Contains(out, "a,b,c") || !strings.Contains(out, "2024-01-01T00:00:00Z") {
		t.Errorf("details table:\n%s", out)
	}

	if out := h.ok("dags", "next-execution", "short"); out != "2024-01-01T00:00:00Z\n" {
		t.Errorf("next-execution of a DAG never run = %q", out)
	}
	h.ok("dags", "backfill", "short", "-s", "2024-01-01", "-e", "2024-01-02")
	// The intervals after the last run, up to end_date.
	if out := h.ok("dags", "next-execution", "short", "-n", "3"); out != "2024-01-03T00:00:00Z\n2024-01-04T00:00:00Z\n2024-01-05T00:00:00Z\n" {
		t.Errorf("next-execution -n 3 = %q", out)
	}
	h.ok("dags", "backfill", "short", "-s", "2024-01-03", "-e", "2024-01-05")
	code, out, errs := h.run("", "dags", "next-execution", "short")
	if code != 0 || out != "None\n" || !strings.Contains(errs, "No run in the future") || !strings.Contains(errs, "PAUSED") {
		t.Errorf("next-execution past end_date: exit %d %q %q", code, out, errs)
	}

	os.WriteFile(filepath.Join(h.dir, "dags", "broken.yaml"), []byte("dag_id: broken\ntasks: 3\n"), 0o644)
	rep := decode[[]map[string]any](t, h.ok("dags", "report", "-o", "json"))
	got := map[string]string{}
	for _, r := range rep {
		got[filepath.Base(r["file"].(string))] = strings.Join([]string{r["dags"].(string), fmt.Sprint(r["dag_num"]), fmt.Sprint(r["task_num"])}, " ")
		if !strings.HasPrefix(r["duration"].(string), "0:00:0") {
			t.Errorf("duration %v is not a timedelta", r["duration"])
		}
	}
	if got["bf.yaml"] != "bf 1 3" || got["short.yaml"] != "short 1 1" || got["broken.yaml"] != " 0 0" || len(got) != 3 {
		t.Errorf("dags report: %v", got)
	}
	if out := h.ok("dags", "report"); !strings.Contains(out, "file") || !strings.Contains(out, "task_num") {
		t.Errorf("report table:\n%s", out)
	}
}
