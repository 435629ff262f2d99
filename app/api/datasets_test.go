package api_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	datasetProducer = `dag_id: producer
tasks:
  - id: orders
    module: modules/echo.wasm
    args: ["orders"]
    outlets: [warehouse://orders]
  - id: customers
    module: modules/echo.wasm
    args: ["customers"]
    outlets: [warehouse://customers]
`
	datasetConsumer = `dag_id: consumer
is_paused_upon_creation: false
schedule:
  datasets: [warehouse://orders, warehouse://customers]
tasks:
  - id: report
    module: modules/echo.wasm
    args: ["report"]
`
)

type datasetEvent struct {
	DatasetID      int64   `json:"dataset_id"`
	DatasetURI     string  `json:"dataset_uri"`
	Extra          any     `json:"extra"`
	SourceDagID    *string `json:"source_dag_id"`
	SourceTaskID   *string `json:"source_task_id"`
	SourceRunID    *string `json:"source_run_id"`
	SourceMapIndex int     `json:"source_map_index"`
	CreatedDagruns []struct {
		RunID string `json:"run_id"`
		DagID string `json:"dag_id"`
		State string `json:"state"`
	} `json:"created_dagruns"`
	Timestamp time.Time `json:"timestamp"`
}

type datasetEvents struct {
	Events []datasetEvent `json:"dataset_events"`
	Total  int            `json:"total_entries"`
}

// TestDatasetsAPI: Airflow's /datasets, /datasets/{uri}, /datasets/events and
// upstreamDatasetEvents after a producer's run triggered a consumer.
func TestDatasetsAPI(t *testing.T) {
	e := newEnv(t, map[string]string{"producer.yaml": datasetProducer, "consumer.yaml": datasetConsumer})
	e.startScheduler()
	e.want(http.StatusOK, "PATCH", "/api/v1/dags/producer", `{"is_paused": false}`, e.as("user"))
	e.trigger("producer", "p1", "")
	if run := e.waitRun("producer", "p1"); run.State != "success" {
		t.Fatalf("producer run: %+v", run)
	}
	var runID string
	waitUntil(t, 30*time.Second, "the consumer's dataset-triggered run ends", func() bool {
		runs := get[struct {
			DagRuns []dagRun `json:"dag_runs"`
		}](e, "/api/v1/dags/consumer/dagRuns")
		if len(runs.DagRuns) == 1 && runs.DagRuns[0].State == "success" {
			runID = runs.DagRuns[0].DagRunID
			return runs.DagRuns[0].RunType == "dataset_triggered"
		}
		return false
	})

	type dataset struct {
		ID            int64  `json:"id"`
		URI           string `json:"uri"`
		Extra         any    `json:"extra"`
		CreatedAt     string `json:"created_at"`
		UpdatedAt     string `json:"updated_at"`
		ConsumingDags []struct {
			DagID     string `json:"dag_id"`
			CreatedAt string `json:"created_at"`
		} `json:"consuming_dags"`
		ProducingTasks []struct {
			DagID  string `json:"dag_id"`
			TaskID string `json:"task_id"`
		} `json:"producing_tasks"`
	}
	list := get[struct {
		Datasets []dataset `json:"datasets"`
		Total    int       `json:"total_entries"`
	}](e, "/api/v1/datasets?order_by=-uri")
	if list.Total != 2 || len(list.Datasets) != 2 || list.Datasets[0].URI != "warehouse://orders" {
		t.Fatalf("datasets = %+v, want orders then customers", list)
	}
	orders := list.Datasets[0]
	if len(orders.ConsumingDags) != 1 || orders.ConsumingDags[0].DagID != "consumer" || len(orders.ProducingTasks) != 1 ||
		orders.ProducingTasks[0].TaskID != "orders" || orders.CreatedAt == "" {
		t.Errorf("orders = %+v", orders)
	}
	if got := get[dataset](e, "/api/v1/datasets/"+url.PathEscape("warehouse://orders")); got.ID != orders.ID {
		t.Errorf("GET /datasets/{uri} = %+v", got)
	}
	e.problem(http.StatusNotFound, "GET", "/api/v1/datasets/"+url.PathEscape("warehouse://nope"), "", e.as("viewer"), "warehouse://nope")
	if page := get[struct {
		Datasets []dataset `json:"datasets"`
		Total    int       `json:"total_entries"`
	}](e, "/api/v1/datasets?uri_pattern=cust&limit=1"); page.Total != 1 || page.Datasets[0].URI != "warehouse://customers" {
		t.Errorf("uri_pattern=cust = %+v", page)
	}

	evs := get[datasetEvents](e, "/api/v1/datasets/events?source_dag_id=producer&order_by=-timestamp")
	if evs.Total != 2 || len(evs.Events) != 2 {
		t.Fatalf("events = %+v", evs)
	}
	for _, ev := range evs.Events {
		if ev.SourceRunID == nil || *ev.SourceRunID != "p1" || ev.SourceMapIndex != -1 || len(ev.CreatedDagruns) != 1 ||
			ev.CreatedDagruns[0].RunID != runID || ev.Extra == nil {
			t.Errorf("event = %+v", ev)
		}
	}
	if one := get[datasetEvents](e, "/api/v1/datasets/events?dataset_id="+strconv.FormatInt(orders.ID, 10)+"&source_task_id=orders&limit=1"); one.Total != 1 ||
		one.Events[0].DatasetURI != "warehouse://orders" {
		t.Errorf("events of orders = %+v", one)
	}
	if none := get[datasetEvents](e, "/api/v1/datasets/events?source_map_index=3"); none.Total != 0 || none.Events == nil {
		t.Errorf("events of map index 3 = %+v, want an empty list", none)
	}
	e.problem(http.StatusBadRequest, "GET", "/api/v1/datasets/events?dataset_id=x", "", e.as("viewer"), "dataset_id")
	e.problem(http.StatusBadRequest, "GET", "/api/v1/datasets?order_by=bogus", "", e.as("viewer"), "order_by")

	up := get[datasetEvents](e, "/api/v1/dags/consumer/dagRuns/"+url.PathEscape(runID)+"/upstreamDatasetEvents")
	if up.Total != 2 || len(up.Events) != 2 {
		t.Errorf("upstreamDatasetEvents = %+v", up)
	}
	if none := get[datasetEvents](e, "/api/v1/dags/producer/dagRuns/p1/upstreamDatasetEvents"); none.Total != 0 {
		t.Errorf("a manual run's upstream events = %+v", none)
	}
	e.problem(http.StatusNotFound, "GET", "/api/v1/dags/consumer/dagRuns/nope/upstreamDatasetEvents", "", e.as("viewer"), "nope")
	if !strings.HasPrefix(runID, "dataset_triggered__") {
		t.Errorf("run id %q", runID)
	}
}
