//go:build e2e

package e2e

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowse: the Browse menu opens the task instances and XComs across DAGs. The task
// instances read Airflow's batch endpoint, filtered by the URL: listed where the server serves
// it, a banner saying what is missing where it does not. The XComs of one task instance list
// with the DAG, run and task filled in.
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
	var spec struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	s.apiGet(t, "/api/v1/openapi.json", &spec)
	batch := spec.Paths["/api/v1/dags/~/dagRuns/~/taskInstances/list"]["post"] != nil

	b.click(`[data-testid="nav-browse"] summary`)
	b.click(`[data-testid="nav-browse-tis"]`)
	b.view("browse-task-instances")
	if batch {
		b.do("filter failed", chromedp.Navigate(s.url+"/#/browse/taskInstances?state=failed"))
		b.view("browse-task-instances")
		b.waitFor("e2e_fail's boom, failed, is listed alone", `(() => { const r = [...document.querySelectorAll('[data-testid="browse-ti"]')]; return r.length === 1 && r[0].dataset.dagId === "e2e_fail" && r[0].dataset.state === "failed" })()`)
	} else {
		b.waitFor("the banner says which endpoint is missing", `(document.querySelector('[data-testid="browse-not-served"]')?.textContent ?? "").includes("taskInstances/list")`)
		t.Log("this server has no POST /dags/~/dagRuns/~/taskInstances/list: the page says so")
		// One run's instances are listed all the same, through the run's own endpoint.
		b.waitFor("the mapped run ended", fmt.Sprintf(`fetch('/api/v1/dags/e2e_mapped/dagRuns/%s').then(r => r.json()).then(j => j.state === "success")`, url.PathEscape(run.DagRunID)))
		b.do("one run's instances", chromedp.Navigate(s.url+"/#/browse/taskInstances?dag=e2e_mapped&task=per_file&run="+url.QueryEscape(run.DagRunID)))
		b.view("browse-task-instances")
		b.waitFor("per_file's 3 instances", `document.querySelectorAll('[data-testid="browse-ti"][data-task-id="per_file"]').length === 3 && document.querySelectorAll('[data-testid="browse-ti"]').length === 3`)
	}
	b.screenshot("task-instances")

	b.click(`[data-testid="nav-browse"] summary`)
	b.click(`[data-testid="nav-browse-xcoms"]`)
	b.view("browse-xcoms")
	b.waitFor("files ran", fmt.Sprintf(`fetch('/api/v1/dags/e2e_mapped/dagRuns/%s/taskInstances/files').then(r => r.json()).then(j => j.state === "success")`, url.PathEscape(run.DagRunID)))
	b.do("one task instance's XComs", chromedp.Navigate(s.url+"/#/browse/xcoms?dag=e2e_mapped&task=files&run="+url.QueryEscape(run.DagRunID)))
	b.view("browse-xcoms")
	b.waitFor("files' return_value listed", `document.querySelector('[data-testid="browse-xcom"][data-task-id="files"][data-key="return_value"]')?.textContent.includes("a.csv")`)
	b.screenshot("xcoms")
}
