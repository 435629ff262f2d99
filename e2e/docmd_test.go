//go:build e2e

package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
)

const docDAG = `dag_id: e2e_doc
description: A DAG with docs
schedule: null
is_paused_upon_creation: false
doc_md: |
  ## Daily orders

  Loads **orders** from [the shop](https://shop.example.com/api) into the warehouse.

  - runs ` + "`extract`" + ` first
  - then load

  <script>window.__pwned = "script"</script>
  <img src="x" onerror="window.__pwned = 'img'">
  [click me](javascript:window.__pwned='link')
tasks:
  - id: extract
    module: modules/echo.wasm
    args: ["hi"]
    doc_md: "Reads the *day's* orders."
`

// TestDocMd: a DAG's and a task's doc_md are rendered on their pages, as Markdown, with the
// HTML in them shown as text: no script runs, no event handler, no javascript: link.
func TestDocMd(t *testing.T) {
	s := startServer(t, map[string]string{"e2e_doc.yaml": docDAG})
	b := startBrowser(t)
	b.prefix = "docmd-"
	dumpOnFailure(t, b, s)
	b.login(s)

	b.do("open e2e_doc", chromedp.Navigate(s.url+"/#/dags/e2e_doc/grid"))
	b.view("dag-grid")
	doc := `document.querySelector('[data-testid="dag-doc"] .markdown')`
	b.waitFor("the DAG's docs", doc+`?.querySelector('h2')?.textContent === "Daily orders"`)
	if !eval[bool](b, doc+`.querySelector('strong')?.textContent === "orders" && `+doc+`.querySelector('a[href="https://shop.example.com/api"]')?.rel.includes("noopener") && `+doc+`.querySelectorAll('li').length === 2 && `+doc+`.querySelector('li code')?.textContent === "extract"`) {
		t.Error("the DAG's doc_md is not rendered as Markdown (heading, bold, link, list, code)")
	}
	if n := eval[int](b, doc+`.querySelectorAll('script, img, [onerror], a[href^="javascript"]').length`); n != 0 {
		t.Errorf("the rendered doc has %d script, img with a handler or javascript: link", n)
	}
	if !eval[bool](b, doc+`.textContent.includes('<script>window.__pwned')`) {
		t.Error("the doc's HTML is not shown as text")
	}
	if !eval[bool](b, doc+`.textContent.includes('click me')`) {
		t.Error("the javascript: link lost its text")
	}
	b.screenshot("dag")

	var run struct {
		DagRunID string `json:"dag_run_id"`
	}
	s.apiDo(t, "POST", "/api/v1/dags/e2e_doc/dagRuns", map[string]any{}, &run)
	b.do("open the task's page", chromedp.Navigate(s.url+"/#/dags/e2e_doc/runs/"+run.DagRunID+"/tasks/extract"))
	b.view("task-instance")
	b.waitFor("the task's docs", `document.querySelector('[data-testid="task-doc"] .markdown em')?.textContent === "day's"`)
	b.screenshot("task")
	if p := eval[string](b, `String(window.__pwned ?? "")`); p != "" {
		t.Errorf("the doc ran code in the page: window.__pwned = %q", p)
	}
}
