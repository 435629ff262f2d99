package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
)

// TestTriesListTheirCalls: GET .../tries gives each try its recorded granted-I/O calls, to a
// Viewer too (the record holds no secret), and an empty list for a try that made none.
func TestTriesListTheirCalls(t *testing.T) {
	e := newEnv(t, nil)
	e.startScheduler()
	e.trigger("pipe", "r1", `{}`)
	if run := e.waitRun("pipe", "r1"); run.State != "success" {
		t.Fatalf("run r1: %+v", run)
	}
	// The record of a try, as the scheduler writes it when the try's result comes back.
	key := scheduler.NewTIKey("pipe", "r1", "extract")
	calls := []scheduler.Call{
		{Kind: "http", Target: "api", Op: "GET /v1/items", Status: 200, BytesIn: 5, Duration: 1500 * time.Microsecond},
		{Kind: "http", Target: "example.com", Op: "GET /", Refused: true, Error: `host example.com is not granted: add "example.com:80" to allow_hosts`},
	}
	if err := e.app.Store.Save(t.Context(), scheduler.Changes{Calls: []scheduler.TryCalls{{Key: key, TryNumber: 1, Calls: calls}}}); err != nil {
		t.Fatal(err)
	}
	type call struct {
		Kind       string `json:"kind"`
		Target     string `json:"target"`
		Op         string `json:"op"`
		Status     int    `json:"status"`
		BytesIn    int64  `json:"bytes_in"`
		DurationNs int64  `json:"duration_ns"`
		Refused    bool   `json:"refused"`
		Error      string `json:"error"`
	}
	type tries struct {
		TaskInstances []struct {
			TryNumber int     `json:"try_number"`
			Calls     *[]call `json:"calls"`
		} `json:"task_instances"`
	}
	l := jsonOf[tries](t, e.want(http.StatusOK, "GET", "/api/v1/dags/pipe/dagRuns/r1/taskInstances/extract/tries", "", e.as("viewer")))
	if len(l.TaskInstances) != 1 || l.TaskInstances[0].Calls == nil || len(*l.TaskInstances[0].Calls) != 2 {
		t.Fatalf("tries = %+v", l)
	}
	got := *l.TaskInstances[0].Calls
	if want := (call{Kind: "http", Target: "api", Op: "GET /v1/items", Status: 200, BytesIn: 5, DurationNs: 1500000}); got[0] != want {
		t.Errorf("call 1 = %+v, want %+v", got[0], want)
	}
	if !got[1].Refused || got[1].Error != calls[1].Error || got[1].Target != "example.com" {
		t.Errorf("call 2 = %+v", got[1])
	}
	l = jsonOf[tries](t, e.want(http.StatusOK, "GET", "/api/v1/dags/pipe/dagRuns/r1/taskInstances/load/tries", "", e.as("viewer")))
	if len(l.TaskInstances) != 1 || l.TaskInstances[0].Calls == nil || len(*l.TaskInstances[0].Calls) != 0 {
		t.Errorf("a try without calls: %+v, want calls: []", l)
	}
}
