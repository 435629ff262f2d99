//go:build e2e

package e2e

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

const retryDAG = `dag_id: e2e_retry
description: A task that fails twice, after a quick one
schedule: null
is_paused_upon_creation: false
tasks:
  - id: quick
    module: modules/echo.wasm
    args: ["quick"]
  - id: boom
    module: modules/exit.wasm
    args: ["1"]
    retries: 1
    retry_delay: 1s
    upstream: [quick]
`

// TestRetriesClearNotFoundCluster: the Gantt draws a retried task's earlier try before its
// last and marks one longest bar; the clear dialog shows each instance's current state; an
// unknown tab or route says "not found" with a way home; the standalone Cluster page says what
// it shows and how workers join.
func TestRetriesClearNotFoundCluster(t *testing.T) {
	s := startServer(t, map[string]string{"e2e_retry.yaml": retryDAG})
	b := startBrowser(t)
	b.prefix = "edges-"
	dumpOnFailure(t, b, s)
	b.login(s)

	var run struct {
		DagRunID string `json:"dag_run_id"`
	}
	s.apiDo(t, "POST", "/api/v1/dags/e2e_retry/dagRuns", map[string]any{}, &run)
	b.do("open the gantt", chromedp.Navigate(s.url+"/#/dags/e2e_retry/gantt?run="+url.QueryEscape(run.DagRunID)))
	b.view("dag-gantt")
	b.waitFor("boom's second try failed, its first drawn before it", `document.querySelector('[data-testid="gantt-bar"][data-task-id="boom"]')?.dataset.state === "failed" && document.querySelector('[data-testid="gantt-try"][data-task-id="boom"][data-try="1"]')?.dataset.state === "failed"`)
	if !eval[bool](b, `(() => {
		const first = document.querySelector('[data-testid="gantt-try"][data-task-id="boom"]').getBoundingClientRect()
		const last = document.querySelector('[data-testid="gantt-bar"][data-task-id="boom"]').getBoundingClientRect()
		return first.left < last.left && Math.abs(first.top - last.top) < 2 && getComputedStyle(document.querySelector('[data-testid="gantt-try"]')).opacity < 1
	})()`) {
		t.Error("boom's first try is not drawn lighter, left of its last on the same row")
	}
	if n := eval[int](b, `document.querySelectorAll('[data-testid="gantt-bar"][data-longest="true"]').length`); n != 1 {
		t.Errorf("%d bars are marked longest, want 1", n)
	}
	if n := eval[int](b, `document.querySelectorAll('[data-testid="gantt-try"]').length`); n != 1 {
		t.Errorf("%d earlier tries drawn, want boom's one (quick ran once)", n)
	}
	b.screenshot("gantt-retries")

	// The clear dialog lists what it would clear with the state each is in now.
	b.do("open the grid", chromedp.Navigate(s.url+"/#/dags/e2e_retry/grid?run="+url.QueryEscape(run.DagRunID)+"&task=quick"))
	b.view("dag-grid")
	b.click(`[data-testid="ti-panel-clear"]`)
	item := func(task string) string {
		return fmt.Sprintf(`document.querySelector('[data-testid="clear-preview-item"][data-task-id=%q] [data-state]')?.dataset.state`, task)
	}
	b.waitFor("quick (success) and downstream boom (failed) listed with their states", item("quick")+` === "success" && `+item("boom")+` === "failed"`)
	b.screenshot("clear-states")
	b.click(`[data-testid="modal-close"]`)

	b.do("an unknown tab", chromedp.Navigate(s.url+"/#/dags/e2e_retry/bogus"))
	b.view("dag-bogus")
	if txt := eval[string](b, `document.querySelector('[data-testid="not-found"]')?.textContent ?? ""`); !strings.Contains(txt, "no tab bogus") || !strings.Contains(txt, "grid") {
		t.Errorf("an unknown tab shows %q", txt)
	}
	b.do("an unknown route", chromedp.Navigate(s.url+"/#/nowhere/at/all"))
	b.view("nowhere")
	b.screenshot("not-found")
	b.click(`[data-testid="not-found-home"]`)
	b.view("dags")

	b.click(`[data-testid="nav-cluster"]`)
	b.view("cluster")
	b.waitFor("the standalone explanation", `(document.querySelector('[data-testid="cluster-standalone"]')?.textContent ?? "").includes("wasmflow worker --join")`)
	b.screenshot("cluster")
}
