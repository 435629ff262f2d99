//go:build e2e

package e2e

import (
	"fmt"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"
)

// groupsDAG has a group with a nested one (extract, extract.inner) and a group whose tasks end
// one green and one red (checks), so its summed-up state is failed.
const groupsDAG = `dag_id: e2e_groups
description: Task groups in the browser test
schedule: null
is_paused_upon_creation: false
groups:
  - {id: extract, tooltip: Pull the sources}
  - {id: inner, parent_group: extract}
  - {id: checks}
tasks:
  - {id: fetch, group: extract, module: modules/echo.wasm, args: [fetch]}
  - {id: parse, group: inner, module: modules/echo.wasm, args: [parse], upstream: [extract.fetch]}
  - {id: tidy, group: inner, module: modules/echo.wasm, args: [tidy], upstream: [extract.fetch]}
  - {id: transform, module: modules/sum.wasm, args: ["1", "2"], upstream: [extract]}
  - {id: ok, group: checks, module: modules/exit.wasm, args: ["0"], upstream: [transform]}
  - {id: broken, group: checks, module: modules/exit.wasm, args: ["1"], upstream: [transform]}
  - {id: report, module: modules/echo.wasm, args: [report], upstream: [checks]}
`

// TestTaskGroupViews runs a DAG with task groups, folds a group's rows in the grid (its row keeps
// the summed-up state), and collapses a group in the graph into one node whose edges are
// merged, then expands it again.
func TestTaskGroupViews(t *testing.T) {
	s := startServer(t, map[string]string{"e2e_groups.yaml": groupsDAG})
	b := startBrowser(t)
	b.prefix = "groups-"
	dumpOnFailure(t, b, s)

	b.login(s)
	b.click(`[data-testid="dag-row"][data-dag-id="e2e_groups"] [data-testid="dag-link"]`)
	b.view("dag-grid")
	b.click(`[data-testid="dag-page"] [data-testid="trigger-button"]`)
	b.do("trigger dialog", chromedp.WaitVisible(chromedp.CSS(`[data-testid="trigger-dialog"]`)))
	b.click(`[data-testid="trigger-submit"]`)
	b.do("the dialog closes", chromedp.WaitNotPresent(chromedp.CSS(`[data-testid="trigger-dialog"]`)))
	b.waitFor("the run fails (checks.broken)", `document.querySelector('[data-testid="grid-run"]')?.dataset.state === "failed"`)

	// Grid: a row per group above its tasks, indented; the group's cell sums its tasks up.
	names := `[...document.querySelectorAll('.grid-names [data-testid]')].map(e => e.dataset.groupId ? "group " + e.dataset.groupId : e.dataset.taskId)`
	groupCell := func(id string) string {
		return fmt.Sprintf(`document.querySelector('[data-testid="grid-group-cell"][data-group-id=%q]')?.dataset.state`, id)
	}
	b.waitFor("report ends upstream_failed", `document.querySelector('[data-testid="grid-cell"][data-task-id="report"]')?.dataset.state === "upstream_failed"`)
	wantRows := []string{"group extract", "extract.fetch", "group extract.inner", "extract.inner.parse", "extract.inner.tidy",
		"transform", "group checks", "checks.ok", "checks.broken", "report"}
	if got := eval[[]string](b, names); !slices.Equal(got, wantRows) {
		t.Errorf("grid rows = %q, want %q", got, wantRows)
	}
	if got := eval[string](b, groupCell("extract")); got != "success" {
		t.Errorf("extract's cell = %q, want success", got)
	}
	if got := eval[string](b, groupCell("checks")); got != "failed" {
		t.Errorf("checks' cell = %q, want failed (one of its tasks failed)", got)
	}
	if got := eval[string](b, `document.querySelector('[data-testid="grid-task"][data-task-id="extract.inner.parse"]').textContent.trim()`); got != "parse" {
		t.Errorf("a grouped task's row reads %q, want its label parse", got)
	}

	// Fold extract: its tasks and its nested group go; its row, with its state, stays.
	b.click(`[data-testid="grid-group"][data-group-id="extract"]`)
	b.waitFor("extract folded", `document.querySelector('[data-testid="grid-group"][data-group-id="extract"]')?.dataset.folded === "true"`)
	wantFolded := []string{"group extract", "transform", "group checks", "checks.ok", "checks.broken", "report"}
	if got := eval[[]string](b, names); !slices.Equal(got, wantFolded) {
		t.Errorf("grid rows with extract folded = %q, want %q", got, wantFolded)
	}
	if got := eval[string](b, groupCell("extract")); got != "success" {
		t.Errorf("folded extract's cell = %q, want success", got)
	}
	b.screenshot("grid-folded")
	b.click(`[data-testid="grid-group"][data-group-id="extract"]`)
	b.waitFor("extract unfolded", fmt.Sprintf(`(%s).length === %d`, names, len(wantRows)))

	// Graph: the groups are boxes around their tasks.
	b.click(`[data-testid="tab-graph"]`)
	b.view("dag-graph")
	nodes := `[...document.querySelectorAll('[data-testid="graph-node"], [data-testid="graph-group"][data-collapsed="true"]')].map(n => n.dataset.taskId ?? n.dataset.groupId).sort()`
	edges := `[...document.querySelectorAll('[data-testid="graph-edge"]')].map(e => e.dataset.from + " -> " + e.dataset.to).sort()`
	expanded := []string{"checks.broken", "checks.ok", "extract.fetch", "extract.inner.parse", "extract.inner.tidy", "report", "transform"}
	b.waitFor("seven task nodes", `document.querySelectorAll('[data-testid="graph-node"]').length === 7`)
	if got := eval[[]string](b, nodes); !slices.Equal(got, expanded) {
		t.Errorf("graph nodes = %q, want %q", got, expanded)
	}
	if got := eval[[]string](b, `[...document.querySelectorAll('[data-testid="graph-group"]')].map(g => g.dataset.groupId + ":" + g.dataset.collapsed).sort()`); !slices.Equal(got, []string{"checks:false", "extract.inner:false", "extract:false"}) {
		t.Errorf("group boxes = %q", got)
	}
	b.screenshot("graph-expanded")

	// Collapse extract: one node for its three tasks and its nested group, their three edges
	// into transform merged into one.
	b.click(`[data-testid="graph-group"][data-group-id="extract"] [data-testid="graph-group-toggle"]`)
	b.waitFor("extract collapsed", `document.querySelector('[data-testid="graph-group"][data-group-id="extract"]')?.dataset.collapsed === "true"`)
	if got, want := eval[[]string](b, nodes), []string{"checks.broken", "checks.ok", "extract", "report", "transform"}; !slices.Equal(got, want) {
		t.Errorf("graph nodes with extract collapsed = %q, want %q", got, want)
	}
	if got, want := eval[[]string](b, edges), []string{"checks.broken -> report", "checks.ok -> report", "extract -> transform", "transform -> checks.broken", "transform -> checks.ok"}; !slices.Equal(got, want) {
		t.Errorf("graph edges with extract collapsed = %q, want %q", got, want)
	}
	if got := eval[string](b, `document.querySelector('[data-testid="graph-group"][data-group-id="extract"]').dataset.state`); got != "success" {
		t.Errorf("collapsed extract's state = %q, want success", got)
	}
	b.screenshot("graph-collapsed")

	// A click on the collapsed node expands it again.
	b.click(`[data-testid="graph-group"][data-group-id="extract"]`)
	b.waitFor("extract expanded", `document.querySelectorAll('[data-testid="graph-node"]').length === 7`)
	if got := eval[[]string](b, nodes); !slices.Equal(got, expanded) {
		t.Errorf("graph nodes expanded again = %q, want %q", got, expanded)
	}
}
