package app

import (
	"context"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// memRuns is a metastore as another process writes it: the test changes it between looks.
type memRuns struct {
	runs map[runKey]scheduler.DagRun
	tis  map[runKey][]scheduler.TaskInstance
}

func (m *memRuns) ListDagRuns(_ context.Context, _ string, st tasks.DagRunState, _ int) ([]scheduler.DagRun, error) {
	var out []scheduler.DagRun
	for _, r := range m.runs {
		if r.State == st {
			out = append(out, r)
		}
	}
	return out, nil
}

func (m *memRuns) GetDagRun(_ context.Context, dagID, runID string) (scheduler.DagRun, error) {
	r, ok := m.runs[runKey{dagID, runID}]
	if !ok {
		return r, scheduler.ErrNotFound
	}
	return r, nil
}

func (m *memRuns) DagRunsAfter(_ context.Context, after int64, _ int) ([]scheduler.DagRun, int64, error) {
	var out []scheduler.DagRun
	last := after
	for _, r := range m.runs {
		if r.ID > after {
			out = append(out, r)
			last = max(last, r.ID)
		}
	}
	return out, last, nil
}

func (m *memRuns) LastDagRunID(context.Context) (int64, error) {
	var last int64
	for _, r := range m.runs {
		last = max(last, r.ID)
	}
	return last, nil
}

func (m *memRuns) ListTaskInstances(_ context.Context, dagID, runID string) ([]scheduler.TaskInstance, error) {
	return m.tis[runKey{dagID, runID}], nil
}

// TestFollowerPublishesWhatOthersWrite: a webserver without a scheduler publishes a run that
// another process created, each task instance change, and the run's end, once each; and a
// run that was created and ended between two looks.
func TestFollowerPublishesWhatOthersWrite(t *testing.T) {
	m := &memRuns{runs: map[runKey]scheduler.DagRun{}, tis: map[runKey][]scheduler.TaskInstance{}}
	old := runKey{"etl", "old"}
	m.runs[old] = scheduler.DagRun{ID: 1, DagID: "etl", RunID: "old", State: tasks.RunRunning}
	var got []scheduler.Changes
	f := &follower{store: m, publish: func(c scheduler.Changes) { got = append(got, c) }, runs: map[runKey]runSeen{}}
	look := func() {
		t.Helper()
		if err := f.look(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	look()
	if len(got) != 0 {
		t.Fatalf("the first look published %+v: views load what is already there", got)
	}
	k := runKey{"etl", "r1"}
	m.runs[k] = scheduler.DagRun{ID: 2, DagID: "etl", RunID: "r1", State: tasks.RunRunning}
	m.tis[k] = []scheduler.TaskInstance{{DagID: "etl", RunID: "r1", TaskID: "a", State: tasks.StateRunning, TryNumber: 1}}
	look()
	if len(got) != 1 || len(got[0].Runs) != 1 || got[0].Runs[0].RunID != "r1" || len(got[0].TaskInstances) != 1 {
		t.Fatalf("a new run: %+v", got)
	}
	look()
	if len(got) != 1 {
		t.Fatalf("nothing changed, yet published %+v", got[1:])
	}
	end := time.Now()
	m.tis[k] = []scheduler.TaskInstance{{DagID: "etl", RunID: "r1", TaskID: "a", State: tasks.StateSuccess, TryNumber: 1, EndDate: &end}}
	m.runs[k] = scheduler.DagRun{ID: 2, DagID: "etl", RunID: "r1", State: tasks.RunSuccess}
	delete(m.runs, old) // deleted by a user meanwhile
	look()
	if len(got) != 2 || len(got[1].Runs) != 1 || got[1].Runs[0].State != tasks.RunSuccess ||
		len(got[1].TaskInstances) != 1 || got[1].TaskInstances[0].State != tasks.StateSuccess {
		t.Fatalf("the run's end: %+v", got[1:])
	}
	look()
	if len(got) != 2 || len(f.runs) != 0 {
		t.Fatalf("an ended run is followed on: %+v, %v", got[2:], f.runs)
	}

	quick := runKey{"etl", "quick"}
	m.runs[quick] = scheduler.DagRun{ID: 3, DagID: "etl", RunID: "quick", State: tasks.RunSuccess}
	m.tis[quick] = []scheduler.TaskInstance{{DagID: "etl", RunID: "quick", TaskID: "a", State: tasks.StateSuccess, TryNumber: 1, EndDate: &end}}
	look()
	if len(got) != 3 || len(got[2].Runs) != 1 || got[2].Runs[0].RunID != "quick" || len(got[2].TaskInstances) != 1 {
		t.Fatalf("a run that began and ended between two looks: %+v", got[2:])
	}
	look()
	if len(got) != 3 {
		t.Fatalf("a run that ended before the last look is published again: %+v", got[3:])
	}
}
