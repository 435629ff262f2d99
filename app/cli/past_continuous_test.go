package cli

import (
	"sort"
	"strings"
	"testing"
	"time"
)

// tasks failed-deps names the previous run a depends_on_past task waits for; the first run
// has no such dependency.
func TestFailedDepsNamesThePreviousRun(t *testing.T) {
	h := newHome(t, "WASMFLOW__CORE__LOAD_EXAMPLES", "false")
	writeDag(t, h, "echo", "past", "dag_id: past\ntasks:\n  - {id: a, module: modules/echo.wasm, args: [hi], depends_on_past: true}\n")
	h.ok("dags", "trigger", "past", "-r", "r1", "-e", "2024-03-01")
	h.ok("dags", "trigger", "past", "-r", "r2", "-e", "2024-03-02")
	if deps := h.ok("tasks", "failed-deps", "past", "a", "r2"); !strings.Contains(deps, "Previous Dagrun State: depends_on_past: a of the previous run r1 is none (not run yet)") {
		t.Errorf("failed-deps of the second run:\n%s", deps)
	}
	if deps := h.ok("tasks", "failed-deps", "past", "a", "r1"); strings.Contains(deps, "Previous Dagrun State") {
		t.Errorf("failed-deps of the first run:\n%s", deps)
	}
}

// @continuous through a real standalone: each run starts once the one before ended (never two
// at once), dated when it started; dags next-execution says so; pausing stops the chain.
func TestContinuousRunsOneAfterAnother(t *testing.T) {
	bin := buildBinary(t)
	h := newHome(t, "WASMFLOW__CORE__LOAD_EXAMPLES", "false", "WASMFLOW__API__LISTEN", "127.0.0.1:0")
	writeDag(t, h, "echo", "cont", `dag_id: cont
schedule: "@continuous"
start_date: 2024-01-01
max_active_runs: 1
is_paused_upon_creation: false
tasks:
  - {id: a, module: modules/echo.wasm, args: ["{{ ts }}"]}
  - {id: b, module: modules/echo.wasm, args: [b], upstream: [a]}
`)
	h.ok("db", "init")
	startStandalone(t, bin, h)
	type runRow struct {
		RunID       string     `json:"dag_run_id"`
		RunType     string     `json:"run_type"`
		State       string     `json:"state"`
		LogicalDate time.Time  `json:"logical_date"`
		StartDate   *time.Time `json:"start_date"`
		EndDate     *time.Time `json:"end_date"`
	}
	list := func() []runRow {
		rows := decode[[]runRow](t, h.ok("dags", "list-runs", "-d", "cont", "-o", "json"))
		sort.Slice(rows, func(i, j int) bool { return rows[i].LogicalDate.Before(rows[j].LogicalDate) })
		return rows
	}
	var rows []runRow
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if rows = list(); len(rows) >= 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d runs of a continuous DAG in 30s: %+v", len(rows), rows)
		}
	}
	for i, r := range rows {
		if r.RunType != "scheduled" {
			t.Errorf("%s: run_type %s", r.RunID, r.RunType)
		}
		if i == len(rows)-1 {
			break
		}
		next := rows[i+1]
		if r.State != "success" || r.EndDate == nil {
			t.Errorf("run %s is %s (ended %v) while a later one exists", r.RunID, r.State, r.EndDate)
			continue
		}
		started := next.StartDate == nil || !next.StartDate.Before(*r.EndDate) // nil: the next one is still queued
		if !started || next.LogicalDate.Before(*r.EndDate) {
			t.Errorf("run %s (%s, ended %v) and the next %s (dated %v, started %v): want one after the other",
				r.RunID, r.State, r.EndDate, next.RunID, next.LogicalDate, next.StartDate)
		}
	}
	if out := h.ok("dags", "next-execution", "cont"); strings.Count(out, "\n") != 1 {
		t.Errorf("next-execution = %q, want one date", out)
	}

	h.ok("dags", "pause", "cont")
	// The run going on at the pause may finish; none starts after it.
	var settled int
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		rows = list()
		if last := rows[len(rows)-1]; last.State != "running" && last.State != "queued" {
			settled = len(rows)
			break
		}
		if time.Now().After(deadline) {
			break // a queued run stays queued while paused: that is stopped too
		}
	}
	time.Sleep(time.Second) // nothing to wait for: no run is what must happen
	if rows = list(); settled != 0 && len(rows) != settled {
		t.Errorf("paused: %d runs, then %d a second later", settled, len(rows))
	}
}
