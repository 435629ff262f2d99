//go:build e2e

package e2e

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// slaDAG: slow misses its 1s sla (it sleeps 2s) and its on_success_callback fails (exit 3):
// the grid marks the cell, the task is success all the same, and its page lists the callback
// as failed, with its log.
const slaDAG = `dag_id: e2e_sla
description: The browser test's SLA miss and failing callback
schedule: null
is_paused_upon_creation: false
sla_miss_callback:
  module: modules/echo.wasm
  args: ["missed"]
tasks:
  - id: slow
    module: modules/sleep.wasm
    args: ["2"]
    sla: 1s
    on_success_callback:
      module: modules/exit.wasm
      args: ["3"]
`

func TestSLAMissAndCallbackViews(t *testing.T) {
	s := startServer(t, map[string]string{"e2e_sla.yaml": slaDAG})
	b := startBrowser(t)
	b.prefix = "sla-"
	dumpOnFailure(t, b, s)
	b.login(s)

	b.do("open e2e_sla", chromedp.Navigate(s.url+"/#/dags/e2e_sla/grid"))
	b.view("dag-grid")
	b.click(`[data-testid="dag-page"] [data-testid="trigger-button"]`)
	b.do("trigger dialog", chromedp.WaitVisible(chromedp.CSS(`[data-testid="trigger-submit"]`)))
	b.click(`[data-testid="trigger-submit"]`)
	b.waitFor("the new run is selected", `document.querySelector('[data-testid="grid-selected-run"]')?.dataset.runId`)
	runID := eval[string](b, `document.querySelector('[data-testid="grid-selected-run"]').dataset.runId`)
	cell := fmt.Sprintf(`[data-testid="grid-cell"][data-task-id="slow"][data-run-id=%q]`, runID)
	b.waitFor("slow succeeded, its cell marked with the SLA miss",
		fmt.Sprintf(`document.querySelector(%q)?.dataset.state === "success" && document.querySelector(%q)?.dataset.slaMiss === "true"`, cell, cell))
	b.screenshot("grid")

	b.click(cell) // the grid's side panel, then the task instance's page
	b.click(`[data-testid="ti-panel-details"]`)
	b.view("task-instance")
	b.waitFor("the page lists the failed callback", `document.querySelector('[data-testid="ti-callback"][data-event="on_success_callback"]')?.dataset.error === "exit_code 3"`)
	b.click(`[data-testid="ti-callback"][data-event="on_success_callback"]`)
	b.waitFor("its log", `(document.querySelector('[data-testid="ti-callback-log"]')?.textContent || "").includes("exiting with code 3")`)
	b.screenshot("callbacks")
}
