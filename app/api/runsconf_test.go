package api_test

import (
	"fmt"
	"github.com/wasmflow/wasmflow/app/api"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
)

// TestRunsListBoundsAViewersMemory: a Viewer listing runs with large confs gets at most 100 of
// them (Airflow's api.maximum_page_limit) whatever limit is asked, total_entries counts them
// all, and the request costs a small multiple of the bytes it answers: the confs are handed on
// as stored, not decoded into maps and encoded again.
func TestRunsListBoundsAViewersMemory(t *testing.T) {
	e := newEnv(t, nil)
	api.SkipAnswerChecks(t)
	// A conf of 50,000 small values, about 100 KB of JSON: decoded into []any, each "1," of it
	// takes 24 bytes (before the fix, a page of 21 MB allocated 1.2 GB).
	const runs, values = 110, 50_000
	list := make([]any, values)
	for i := range list {
		list[i] = i % 10
	}
	conf := map[string]any{"v": list}
	day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range runs {
		r := scheduler.DagRun{DagID: "pipe", RunID: fmt.Sprintf("big%03d", i), LogicalDate: day.Add(time.Duration(i) * time.Hour), Conf: conf}
		if _, err := e.app.Store.CreateDagRun(t.Context(), r, nil); err != nil {
			t.Fatal(err)
		}
	}

	var r resp
	used := allocated(func() {
		r = e.want(http.StatusOK, "GET", "/api/v1/dags/pipe/dagRuns?limit=1000", "", e.as("viewer"))
	})
	t.Logf("a page of %d MB allocated %d MB", len(r.body)>>20, used>>20)
	// The rows read, the answer encoded (its buffer doubling) and read back here: about 8 times.
	if limit := 12 * uint64(len(r.body)); used > limit {
		t.Errorf("listing runs allocated %d MB for an answer of %d MB, want under %d MB (12 times)", used>>20, len(r.body)>>20, limit>>20)
	}
	l := jsonOf[runList](t, r)
	if len(l.DagRuns) != 100 || l.Total != runs {
		t.Fatalf("limit=1000 answered %d runs of total_entries %d, want 100 of %d", len(l.DagRuns), l.Total, runs)
	}
	if got := l.DagRuns[0]; got.DagRunID != "big109" || len(got.Conf["v"].([]any)) != values || got.Conf["v"].([]any)[7] != 7.0 {
		t.Errorf("first run %s, want big109 with its conf of %d values", got.DagRunID, values)
	}

	l = jsonOf[runList](t, e.want(http.StatusOK, "GET", "/api/v1/dags/pipe/dagRuns?limit=1000&offset=100", "", e.as("viewer")))
	if len(l.DagRuns) != runs-100 || l.Total != runs || !strings.HasPrefix(l.DagRuns[0].DagRunID, "big009") {
		t.Errorf("the next page: %d runs from %v of %d, want %d from big009", len(l.DagRuns), runIDs(l)[:1], l.Total, runs-100)
	}
}
