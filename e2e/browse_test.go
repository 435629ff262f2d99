//go:build e2e

package e2e

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowse: the Browse menu opens the task instances and XComs across DAGs, filtered by the
// URL: the task instances through Airflow's batch endpoint, the XComs through xcomEntries with
// "~", and one task instance's XComs with the DAG, run and task filled in.
func TestBrowse(t *testing.T) {
	s := startServer(t)
	b := startBrowser(t)
	b.prefix = "browse-"
	dumpOnFailure(t, b, s)
	b.login(s)

	var run struct {
		DagRunID string `json:"dag_run_id"`
	}
	s.apiDo(t, "POST", "/api/v1/dags/e2e_fail/dagRuns", map[string]any{}, nil)
	s.apiDo(t, "POST", "/api/v1/dags/e2e_mapped/dagRuns", map[string]any{}, &run)
	b.click(`[data-testid="nav-browse"] summary`)
	b.click(`[data-testid="nav-browse-tis"]`)
	b.view("browse-task-instances")
	b.do("filter failed", chromedp.Navigate(s.url+"/#/browse/taskInstances?state=failed"))
	b.view("browse-task-instances")
	b.waitFor("e2e_fail's boom, failed, is listed alone", `(() => { const r = [...document.querySelectorAll('[data-testid="browse-ti"]')]; return r.length === 1 && r[0].dataset.dagId === "e2e_fail" && r[0].dataset.state === "failed" })()`)
	b.screenshot("task-instances")

	b.click(`[data-testid="nav-browse"] summary`)
	b.click(`[data-testid="nav-browse-xcoms"]`)
	b.view("browse-xcoms")
	// Across DAGs (Airflow's "~"): the mapped run's XComs are among them, no banner.
	b.waitFor("the mapped run ended", fmt.Sprintf(`fetch('/api/v1/dags/e2e_mapped/dagRuns/%s').then(r => r.json()).then(j => j.state === "success")`, url.PathEscape(run.DagRunID)))
	b.do("every XCom", chromedp.Navigate(s.url+"/#/browse/xcoms?offset=0"))
	b.view("browse-xcoms")
	b.waitFor("per_file's XComs across DAGs", `document.querySelectorAll('[data-testid="browse-xcom"][data-task-id="per_file"]').length === 3 && !document.querySelector('[data-testid="browse-not-served"]')`)
	b.waitFor("files ran", fmt.Sprintf(`fetch('/api/v1/dags/e2e_mapped/dagRuns/%s/taskInstances/files').then(r => r.json()).then(j => j.state === "success")`, url.PathEscape(run.DagRunID)))
	b.do("one task instance's XComs", chromedp.Navigate(s.url+"/#/browse/xcoms?dag=e2e_mapped&task=files&run="+url.QueryEscape(run.DagRunID)))
	b.view("browse-xcoms")
	b.waitFor("files' return_value listed", `document.querySelector('[data-testid="browse-xcom"][data-task-id="files"][data-key="return_value"]')?.textContent.includes("a.csv")`)
	b.screenshot("xcoms")
}
