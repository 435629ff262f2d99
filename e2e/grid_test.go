//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestGridPanel: the grid has a state legend and a date axis, and a click on a cell opens the
// instance's panel beside the grid (state, try, duration, links) whose Mark and Clear act on it,
// without leaving the grid.
func TestGridPanel(t *testing.T) {
	s := startServer(t)
	b := startBrowser(t)
	b.prefix = "grid-"
	dumpOnFailure(t, b, s)
	b.login(s)

	var run struct {
		DagRunID string `json:"dag_run_id"`
	}
	s.apiDo(t, "POST", "/api/v1/dags/e2e_fail/dagRuns", map[string]any{}, &run)
	b.do("open the grid", chromedp.Navigate(s.url+"/#/dags/e2e_fail/grid"))
	b.view("dag-grid")
	cell := fmt.Sprintf(`[data-testid="grid-cell"][data-task-id="boom"][data-run-id=%q]`, run.DagRunID)
	b.waitFor("boom fails", fmt.Sprintf(`document.querySelector(%q)?.dataset.state === "failed"`, cell))

	if n := eval[int](b, `document.querySelectorAll('[data-testid="grid-legend"] [data-testid="legend-state"]').length`); n != 13 {
		t.Errorf("the legend shows %d states, want Airflow's 13", n)
	}
	if !eval[bool](b, `!!document.querySelector('[data-testid="grid-legend"] [data-state="up_for_retry"]')`) {
		t.Error("the legend lacks up_for_retry")
	}
	date := eval[string](b, `document.querySelector('[data-testid="grid-date"]')?.textContent ?? ""`)
	if len(date) != 5 || !strings.Contains(date, "-") {
		t.Errorf("the date axis' first label is %q, want the run's MM-DD", date)
	}

	b.click(cell)
	panel := `document.querySelector('[data-testid="ti-panel"]')`
	b.waitFor("the panel shows boom failed, try 1 of 1", panel+`?.dataset.taskId === "boom" && document.querySelector('[data-testid="ti-panel-state"]')?.dataset.state === "failed" && document.querySelector('[data-testid="ti-panel-try"]')?.textContent.trim() === "1 of 1"`)
	if v := eval[string](b, `document.body.dataset.view`); v != "dag-grid" {
		t.Errorf("a click on a cell left the grid for %s", v)
	}
	if h := eval[string](b, `document.querySelector('[data-testid="ti-panel-details"]').getAttribute("href")`); !strings.Contains(h, "/tasks/boom") {
		t.Errorf("the panel's details link is %q", h)
	}
	if h := eval[string](b, `document.querySelector('[data-testid="ti-panel-log"]').getAttribute("href")`); !strings.Contains(h, "/tasks/boom?try=1") {
		t.Errorf("the panel's log link is %q, want the task page at try 1", h)
	}
	b.screenshot("panel")

	b.click(`[data-testid="ti-panel-mark-success"]`)
	b.waitFor("the panel and the cell turn success", `document.querySelector('[data-testid="ti-panel-state"]')?.dataset.state === "success" && `+fmt.Sprintf(`document.querySelector(%q)?.dataset.state === "success"`, cell))

	b.click(`[data-testid="ti-panel-clear"]`)
	b.waitFor("the clear dialog lists boom", `document.querySelector('[data-testid="clear-preview-item"][data-task-id="boom"]')`)
	b.click(`[data-testid="clear-confirm"]`)
	b.waitFor("boom ran again and failed, in the panel and the grid", `document.querySelector('[data-testid="ti-panel-try"]')?.textContent.trim().startsWith("2 of") && document.querySelector('[data-testid="ti-panel-state"]')?.dataset.state === "failed" && `+fmt.Sprintf(`document.querySelector(%q)?.dataset.state === "failed"`, cell))

	b.click(`[data-testid="ti-panel-close"]`)
	b.waitFor("the panel closes", `!`+panel)
}
