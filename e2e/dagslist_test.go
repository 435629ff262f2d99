//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

const dailyDAG = `dag_id: e2e_daily
description: A scheduled DAG that starts in 2099, for its next run
schedule: "@daily"
start_date: 2099-01-01
is_paused_upon_creation: false
tasks:
  - id: hello
    module: modules/echo.wasm
    args: ["hello"]
`

// TestDagListRuns: the DAGs list counts each DAG's runs by state (live), links its last run
// and a count to those runs, and shows the next run's run-after time with its logical date.
func TestDagListRuns(t *testing.T) {
	s := startServer(t, map[string]string{"e2e_daily.yaml": dailyDAG})
	b := startBrowser(t)
	b.prefix = "dagslist-"
	dumpOnFailure(t, b, s)
	b.login(s)

	var failRun struct {
		DagRunID string `json:"dag_run_id"`
	}
	s.apiDo(t, "POST", "/api/v1/dags/e2e_fail/dagRuns", map[string]any{}, &failRun)
	s.apiDo(t, "POST", "/api/v1/dags/e2e_fail/dagRuns", map[string]any{}, nil)
	s.apiDo(t, "POST", "/api/v1/dags/e2e_mapped/dagRuns", map[string]any{}, nil)

	count := func(dag, state string) string {
		return `document.querySelector('[data-testid="dag-row"][data-dag-id="` + dag + `"] [data-testid="run-count"][data-state="` + state + `"]')?.dataset.count`
	}
	b.waitFor("e2e_fail counts 2 failed runs, live", count("e2e_fail", "failed")+` === "2"`)
	b.waitFor("e2e_mapped counts 1 success run", count("e2e_mapped", "success")+` === "1" && `+count("e2e_mapped", "failed")+` === "0"`)
	if n := eval[string](b, count("e2e_flow", "success")); n != "0" {
		t.Errorf("e2e_flow never ran, its success count is %q", n)
	}
	last := eval[string](b, `document.querySelector('[data-testid="dag-row"][data-dag-id="e2e_fail"] [data-testid="dag-last-run-link"]').dataset.runId`)
	if last == failRun.DagRunID || last == "" {
		t.Errorf("e2e_fail's last run is %q, want the second run, not the first (%s)", last, failRun.DagRunID)
	}
	if got := eval[string](b, `document.querySelector('[data-testid="dag-row"][data-dag-id="e2e_flow"] [data-testid="dag-last-run"]').textContent`); got != "—" {
		t.Errorf("e2e_flow has no runs; its last run shows %q", got)
	}
	b.waitFor("e2e_daily's next run", `document.querySelector('[data-testid="dag-row"][data-dag-id="e2e_daily"] [data-testid="dag-next-run-after"]')`)
	title := eval[string](b, `document.querySelector('[data-testid="dag-row"][data-dag-id="e2e_daily"] [data-testid="dag-next-run-after"]').title`)
	logical := eval[string](b, `document.querySelector('[data-testid="dag-row"][data-dag-id="e2e_daily"] [data-testid="dag-next-run-after"]').dataset.logicalDate`)
	shown := eval[string](b, `document.querySelector('[data-testid="dag-row"][data-dag-id="e2e_daily"] [data-testid="dag-next-run-after"]').firstChild.textContent`)
	if !strings.HasPrefix(title, "logical date ") || logical == "" {
		t.Errorf("e2e_daily's next run shows %q, title %q (logical date %s): want the run-after time, the logical date on hover", shown, title, logical)
	}
	if !strings.HasPrefix(shown, "2099-01-02") || !strings.HasPrefix(title, "logical date 2099-01-01") {
		t.Errorf("e2e_daily's next run shows %q (title %q), want its run-after time 2099-01-02, the end of the first day, with the logical date 2099-01-01 on hover", shown, title)
	}
	b.screenshot("dags")

	// A count links to those runs; the last run to the grid with it selected.
	b.click(`[data-testid="dag-row"][data-dag-id="e2e_fail"] [data-testid="run-count"][data-state="failed"]`)
	b.view("dag-runs")
	b.waitFor("the runs tab lists the 2 failed runs", `document.querySelector('[data-testid="runs-state-filter"]')?.value === "failed" && document.querySelectorAll('[data-testid="run-row"][data-state="failed"]').length === 2 && document.querySelectorAll('[data-testid="run-row"]').length === 2`)
	b.do("back to the DAGs", chromedp.Navigate(s.url+"/#/dags"))
	b.view("dags")
	b.click(`[data-testid="dag-row"][data-dag-id="e2e_fail"] [data-testid="dag-last-run-link"]`)
	b.view("dag-grid")
	b.waitFor("the grid selects the last run", fmt.Sprintf(`document.querySelector('[data-testid="grid-selected-run"]')?.dataset.runId === %q`, last))
}
