//go:build e2e

package e2e

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"
)

const mappedDAG = `dag_id: e2e_mapped
description: The browser test's mapped task
schedule: null
is_paused_upon_creation: false
tasks:
  - id: files
    module: modules/echo.wasm
    args: ['["a.csv", "b.csv", "c.csv"]']
  - id: per_file
    module: modules/echo.wasm
    expand: 'xcom("files")'
    args: ["read {{ item }}"]
    upstream: [files]
`

// TestMappedTaskViews: a mapped task is one grid row and one graph node with its instance
// count; its page lists the instances, and an instance's page shows its own log.
func TestMappedTaskViews(t *testing.T) {
	s := startServer(t)
	b := startBrowser(t)
	b.prefix = "mapped-"
	dumpOnFailure(t, b, s)
	b.login(s)

	b.do("open e2e_mapped", chromedp.Navigate(s.url+"/#/dags/e2e_mapped/grid"))
	b.view("dag-grid")
	b.click(`[data-testid="dag-page"] [data-testid="trigger-button"]`)
	b.do("trigger dialog", chromedp.WaitVisible(chromedp.CSS(`[data-testid="trigger-submit"]`)))
	b.click(`[data-testid="trigger-submit"]`)
	b.waitFor("the new run is selected", `document.querySelector('[data-testid="grid-selected-run"]')?.dataset.runId`)
	runID := eval[string](b, `document.querySelector('[data-testid="grid-selected-run"]').dataset.runId`)
	cell := fmt.Sprintf(`[data-testid="grid-cell"][data-task-id="per_file"][data-run-id=%q]`, runID)
	b.waitFor("per_file is one cell for its 3 instances, all success",
		fmt.Sprintf(`document.querySelector(%q)?.dataset.state === "success" && document.querySelector(%q)?.dataset.mapped === "3"`, cell, cell))
	if n := eval[int](b, `document.querySelectorAll('[data-testid="grid-task"][data-task-id="per_file"]').length`); n != 1 {
		t.Errorf("per_file has %d grid rows, want 1", n)
	}
	if !eval[bool](b, `document.querySelector('[data-testid="grid-task"][data-task-id="per_file"]')?.dataset.mapped === "true"`) {
		t.Error("per_file's row is not marked mapped")
	}
	b.screenshot("grid")

	b.click(cell)
	b.click(`[data-testid="ti-panel"][data-task-id="per_file"] [data-testid="ti-panel-details"]`)
	b.waitFor("the task page lists the 3 instances", `document.querySelector('[data-testid="mapped-instances"]')?.dataset.count === "3" && document.querySelectorAll('[data-testid="mapped-row"][data-state="success"]').length === 3`)
	b.click(`[data-testid="mapped-row"][data-map-index="1"] a`)
	b.view("task-instance")
	b.waitFor("instance 1's page shows its own log", `document.querySelector('[data-testid="ti-map-index"]') && (document.querySelector('[data-testid="log-pane"]')?.textContent || "").includes("read b.csv")`)
	b.screenshot("instance")

	// Mark this one instance failed, then clear it alone: the others keep their success.
	b.click(`[data-testid="mark-failed-button"]`)
	b.waitFor("instance 1 is failed", `document.querySelector('[data-testid="ti-state"]')?.dataset.state === "failed"`)
	b.click(`[data-testid="clear-button"]`)
	b.waitFor("the clear dialog lists instance 1 alone", `document.querySelectorAll('[data-testid="clear-preview-item"]').length >= 1 && [...document.querySelectorAll('[data-testid="clear-preview-item"][data-task-id="per_file"]')].map((e) => e.dataset.mapIndex).join() === "1"`)
	b.click(`[data-testid="clear-confirm"]`)
	b.waitFor("instance 1 ran again and succeeded", `document.querySelector('[data-testid="ti-state"]')?.dataset.state === "success"`)
	b.click(`[data-testid="ti-map-index"]`)
	b.waitFor("the 3 instances are success again", `document.querySelectorAll('[data-testid="mapped-row"][data-state="success"]').length === 3`)

	b.do("open the graph", chromedp.Navigate(s.url+"/#/dags/e2e_mapped/graph?run="+url.QueryEscape(runID)))
	b.view("dag-graph")
	b.waitFor("per_file is one node with its count", `document.querySelectorAll('[data-testid="graph-node"][data-task-id="per_file"]').length === 1 && document.querySelector('[data-testid="graph-node"][data-task-id="per_file"]')?.dataset.mapped === "3" && document.querySelector('[data-testid="graph-node"][data-task-id="per_file"] [data-testid="graph-node-count"]')?.textContent === "[3]"`)
	b.screenshot("graph")
}
