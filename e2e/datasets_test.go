//go:build e2e

package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
)

var datasetDAGs = map[string]string{
	"e2e_producer.yaml": `dag_id: e2e_producer
description: The browser test's dataset producer
schedule: null
is_paused_upon_creation: false
tasks:
  - id: export
    module: modules/echo.wasm
    args: ["exported"]
    outlets: [warehouse://e2e_orders]
`,
	"e2e_consumer.yaml": `dag_id: e2e_consumer
description: The browser test's dataset consumer
is_paused_upon_creation: false
schedule:
  datasets: [warehouse://e2e_orders]
tasks:
  - id: report
    module: modules/echo.wasm
    args: ["report"]
`,
}

// TestDatasetsView: the Datasets view (a nav entry) shows producer task → dataset → consumer
// DAG, and once the producer ran, the dataset's event with the consumer's run it triggered.
func TestDatasetsView(t *testing.T) {
	s := startServer(t, datasetDAGs)
	b := startBrowser(t)
	b.prefix = "datasets-"
	dumpOnFailure(t, b, s)
	b.login(s)

	b.click(`[data-testid="nav-datasets"]`)
	b.view("datasets")
	row := `[data-testid="dataset-row"][data-uri="warehouse://e2e_orders"]`
	b.waitFor("the lineage of warehouse://e2e_orders",
		`document.querySelector('`+row+` [data-testid="dataset-producer"]')?.textContent === "e2e_producer.export" && `+
			`document.querySelector('`+row+` [data-testid="dataset-consumer"]')?.textContent === "e2e_consumer"`)
	b.screenshot("lineage")

	b.do("open e2e_producer", chromedp.Navigate(s.url+"/#/dags/e2e_producer/grid"))
	b.view("dag-grid")
	b.click(`[data-testid="dag-page"] [data-testid="trigger-button"]`)
	b.do("trigger dialog", chromedp.WaitVisible(chromedp.CSS(`[data-testid="trigger-submit"]`)))
	b.click(`[data-testid="trigger-submit"]`)

	b.click(`[data-testid="nav-datasets"]`)
	b.view("datasets")
	b.click(row + ` [data-testid="dataset-uri"]`)
	b.waitFor("the event and the consumer run it triggered, ended success",
		`[...document.querySelectorAll('[data-testid="dataset-event"][data-uri="warehouse://e2e_orders"] [data-testid="dataset-event-run"]')].some(a => a.dataset.state === "success" && a.textContent.startsWith("e2e_consumer dataset_triggered__"))`)
	b.screenshot("events")
	b.click(`[data-testid="dataset-event-run"]`)
	b.view("dag-grid")
}
