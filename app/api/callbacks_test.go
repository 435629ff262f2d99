package api_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// SLA misses, as the scheduler records them, are listed by GET /api/v1/slaMisses (newest
// first, by DAG) and mark the grid: the task's cell, and the run for a missed deadline.
func TestSLAMissesAndGrid(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	day := func(d int) time.Time { return time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC) }
	seedRun(t, e.app.Store, "", "pipe", "d1", day(1), tasks.StateSuccess, 1, "extract", "transform", "load")
	seedRun(t, e.app.Store, "", "pipe", "d2", day(2), tasks.StateSuccess, 1, "extract", "transform", "load")
	if err := e.app.Store.Save(ctx, scheduler.Changes{SLAMisses: []scheduler.SLAMiss{
		{DagID: "pipe", RunID: "d1", TaskID: "transform", LogicalDate: day(1), SLA: time.Hour, Timestamp: day(1).Add(time.Hour), Description: "task transform had not succeeded"},
		{DagID: "pipe", RunID: "d2", LogicalDate: day(2), SLA: 2 * time.Hour, Timestamp: day(2).Add(2 * time.Hour), Description: "deadline"},
		{DagID: "pipe", RunID: "d2", LogicalDate: day(2), SLA: 2 * time.Hour, Timestamp: day(2).Add(2 * time.Hour), Description: "recorded twice"},
	}}); err != nil {
		t.Fatal(err)
	}
	got := jsonOf[struct {
		SLAMisses []struct {
			DagRunID    string  `json:"dag_run_id"`
			TaskID      *string `json:"task_id"`
			SLA         float64 `json:"sla"`
			Description string  `json:"description"`
		} `json:"sla_misses"`
		Total int `json:"total_entries"`
	}](t, e.want(http.StatusOK, "GET", "/api/v1/slaMisses?dag_id=pipe", "", e.as("viewer")))
	if got.Total != 2 || len(got.SLAMisses) != 2 {
		t.Fatalf("slaMisses = %+v, want 2 (the same miss recorded twice is one)", got)
	}
	if m := got.SLAMisses[0]; m.DagRunID != "d2" || m.TaskID != nil || m.SLA != 7200 || m.Description != "deadline" {
		t.Errorf("newest miss = %+v, want d2's deadline", m)
	}
	if m := got.SLAMisses[1]; m.TaskID == nil || *m.TaskID != "transform" || m.SLA != 3600 {
		t.Errorf("older miss = %+v", m)
	}
	if other := get[struct {
		Total int `json:"total_entries"`
	}](e, "/api/v1/slaMisses?dag_id=naps"); other.Total != 0 {
		t.Errorf("naps has %d SLA misses, want 0", other.Total)
	}

	g := jsonOf[struct {
		DagRuns []struct {
			DagRunID string `json:"dag_run_id"`
			SLAMiss  bool   `json:"sla_miss"`
		} `json:"dag_runs"`
		Instances [][]*struct {
			SLAMiss bool `json:"sla_miss"`
		} `json:"instances"`
	}](t, e.want(http.StatusOK, "GET", "/api/v1/dags/pipe/grid", "", e.as("viewer")))
	if len(g.DagRuns) != 2 || g.DagRuns[0].SLAMiss || !g.DagRuns[1].SLAMiss {
		t.Errorf("grid runs = %+v, want d2 marked", g.DagRuns)
	}
	for i, row := range g.Instances {
		for j, c := range row {
			if want := i == 0 && j == 1; c.SLAMiss != want {
				t.Errorf("grid cell %d,%d sla_miss = %v, want %v", i, j, c.SLAMiss, want)
			}
		}
	}
}

// A run's callbacks are listed with whether they ran and why one failed, and each one's log
// is served from the logs folder.
func TestRunCallbacks(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	seedRun(t, e.app.Store, "", "pipe", "r1", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), tasks.StateFailed, 1, "extract")
	if err := e.app.Store.Save(ctx, scheduler.Changes{Callbacks: []scheduler.CallbackRequest{
		{DagID: "pipe", RunID: "r1", TaskID: "extract", MapIndex: -1, Event: tasks.OnFailureCallback, TryNumber: 1, State: "failed", Reason: "exit_code 1", CreatedAt: time.Now()},
		{DagID: "pipe", RunID: "r1", MapIndex: -1, Event: tasks.OnFailureCallback, State: "failed", CreatedAt: time.Now()},
	}}); err != nil {
		t.Fatal(err)
	}
	pending, err := e.app.Store.PendingCallbacks(ctx)
	if err != nil || len(pending) != 2 {
		t.Fatalf("pending = %+v, %v", pending, err)
	}
	if err := e.app.Store.FinishCallback(ctx, pending[0].ID, time.Now(), "node-1", "exit_code 3"); err != nil {
		t.Fatal(err)
	}
	log := scheduler.CallbackLogPath(e.app.Config.LogsFolder(), pending[0])
	os.MkdirAll(filepath.Dir(log), 0o700)
	os.WriteFile(log, []byte("the hook said no\n"), 0o600)

	type callback struct {
		CallbackID int64      `json:"callback_id"`
		TaskID     *string    `json:"task_id"`
		Event      string     `json:"event"`
		DoneAt     *time.Time `json:"done_at"`
		Error      string     `json:"error"`
		LogURL     string     `json:"log_url"`
	}
	got := jsonOf[struct {
		Callbacks []callback `json:"callbacks"`
	}](t, e.want(http.StatusOK, "GET", "/api/v1/dags/pipe/dagRuns/r1/callbacks", "", e.as("viewer")))
	if len(got.Callbacks) != 2 {
		t.Fatalf("callbacks = %+v", got)
	}
	c0, c1 := got.Callbacks[0], got.Callbacks[1]
	if c0.TaskID == nil || *c0.TaskID != "extract" || c0.DoneAt == nil || c0.Error != "exit_code 3" || c1.TaskID != nil || c1.DoneAt != nil {
		t.Errorf("callbacks = %+v %+v", c0, c1)
	}
	if text := string(e.want(http.StatusOK, "GET", c0.LogURL, "", e.as("viewer")).body); !strings.Contains(text, "the hook said no") {
		t.Errorf("callback log = %q", text)
	}
	e.problem(http.StatusNotFound, "GET", c1.LogURL, "", e.as("viewer"), "has not run yet")
	if only := get[struct {
		Callbacks []callback `json:"callbacks"`
	}](e, "/api/v1/dags/pipe/dagRuns/r1/callbacks?task_id=extract"); len(only.Callbacks) != 1 {
		t.Errorf("task_id=extract: %+v", only)
	}
}
